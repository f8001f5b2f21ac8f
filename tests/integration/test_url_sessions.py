"""Minted url tokens die with the session that minted them (a `sid` claim naming the
session's jti, checked with revocations, by the access checker and by the helper alike), and
end when it ends; share tokens live their own life."""

import time

import jwt
import pytest

from taharness import helperproc
from taharness.http import Client
from taharness.site import MINT, WHOAMI

HOME = """
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
<Location /short>
    SetHandler tokenauth-login
    TokenAuthSessionTTL 120
</Location>
"""


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("sid", extra=[MINT, WHOAMI, HOME, "TokenAuthURLTokenTTL 300 86400"])


def login(srv, user, path="/login"):
    with Client(srv.base_url) as c:
        r = c.post(path, json={"username": user.name, "password": user.password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def mint(srv, session, path, kind="url", ttl=None):
    body = {"path": path, "kind": kind}
    if ttl:
        body["ttl"] = ttl
    with Client(srv.base_url) as c:
        r = c.post("/auth/mint", headers={"Authorization": "Bearer " + session}, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def status(srv, url):
    with Client(srv.base_url) as c:
        return c.get(url).status_code


def logout(srv, session, everywhere=False):
    with Client(srv.base_url) as c:
        r = c.post("/logout", headers={"Authorization": "Bearer " + session},
                   json={"all": True} if everywhere else {})
    assert r.status_code == 200, r.text


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def test_url_token_names_its_session_and_share_does_not(srv, alice):
    session = login(srv, alice)
    url = claims(mint(srv, session, "/files/")["token"])
    share = claims(mint(srv, session, "/files/", kind="share")["token"])
    assert url["sid"] == claims(session)["jti"]
    assert "sid" not in share


def test_logout_ends_the_sessions_url_tokens_and_leaves_its_shares(srv, alice):
    session = login(srv, alice)
    other = login(srv, alice)                      # another session of the same user
    url = mint(srv, session, "/files/")["url"]
    home = mint(srv, session, "/h/")["url"]
    share = mint(srv, session, "/files/hello.txt", kind="share")["url"]
    other_url = mint(srv, other, "/files/")["url"]
    files_url = url.replace("/files/?", "/files/hello.txt?")
    home_url = home.replace("/h/?", "/h/cat.txt?")
    assert status(srv, files_url) == 200 and status(srv, home_url) == 200
    logout(srv, session)
    assert status(srv, files_url) == 401           # the access checker
    assert status(srv, share) == 200               # a share lives its own life
    assert status(srv, other_url.replace("/files/?", "/files/hello.txt?")) == 200
    assert status(srv, home_url) == 401


def test_home_helper_refuses_a_url_token_of_a_revoked_session(srv, alice, harness):
    """The helper checks the sid itself: a worker that skips the access checker (code in an
    Apache child) still cannot open a file with the url token of a closed session."""
    session = login(srv, alice)
    url_tok = mint(srv, session, "/h/")["token"]
    ok = helperproc.ask(harness.ns, srv, helperproc.open_req(url_tok, "/h/cat.txt"))
    assert helperproc.open_resp(ok).status == helperproc.FILE_OK
    logout(srv, session)
    refused = helperproc.ask(harness.ns, srv, helperproc.open_req(url_tok, "/h/cat.txt"))
    assert helperproc.open_resp(refused).status == helperproc.FILE_BAD_TOKEN


def test_log_out_everywhere_ends_url_tokens_too(srv, alice):
    session = login(srv, alice)
    url = mint(srv, session, "/files/hello.txt")["url"]
    assert status(srv, url) == 200
    time.sleep(1.1)                                # a later second than the token's iat
    logout(srv, login(srv, alice), everywhere=True)
    assert status(srv, url) == 401


def test_url_token_ends_when_its_session_ends(srv, bob):
    session = login(srv, bob, "/short")          # a session of 120 s
    t = mint(srv, session, "/files/", ttl=3600)
    assert t["expires_at"] <= claims(session)["exp"]
    assert claims(t["token"])["exp"] == t["expires_at"]
    share = mint(srv, session, "/files/", kind="share", ttl=3600)
    assert share["expires_at"] > claims(session)["exp"] + 3000   # a share is not capped
