"""tokenauth-whoami (SPEC §4): GET tells who the token is; share links learn nothing."""

import pytest

from taharness.http import Client
from taharness.site import WHOAMI

@pytest.fixture(scope="module")
def whoami(apache_factory):
    srv = apache_factory("whoami", extra=[WHOAMI])
    with Client(srv.base_url) as c:
        yield c


def bearer(token):
    return {"Authorization": "Bearer " + token}


def test_whoami_tells_user_uid_kind_and_expiry(whoami, mint, alice):
    token = mint("alice", ttl=600)
    r = whoami.get("/auth/whoami", headers=bearer(token))
    assert r.status_code == 200
    body = r.json()
    assert (body["user"], body["uid"], body["kind"]) == ("alice", alice.uid, "session")
    assert isinstance(body["expires_at"], int)
    assert r.headers["Cache-Control"] == "no-store"


def test_whoami_of_url_token_says_url(whoami, mint):
    r = whoami.get("/auth/whoami?token=" + mint("bob", kind="url", scope="/auth/"))
    assert r.status_code == 200
    assert r.json()["kind"] == "url"


def test_whoami_refuses_share_token(whoami, mint):
    r = whoami.get("/auth/whoami?token=" + mint("bob", kind="share", scope="/auth/whoami"))
    assert r.status_code == 403
    assert r.json() == {"error": "insufficient_scope"}


def test_whoami_without_token_is_401(whoami):
    r = whoami.get("/auth/whoami")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="files"')


def test_whoami_refuses_post(whoami, mint):
    r = whoami.post("/auth/whoami", headers=bearer(mint("alice")), data="x=1")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]


# --- a whoami location without AuthType token -------------------------------------------------

BARE_WHOAMI = """
<Location /bare/whoami>
    SetHandler tokenauth-whoami
</Location>
"""


@pytest.fixture(scope="module")
def bare(apache_factory):
    srv = apache_factory("whoami-bare", extra=[BARE_WHOAMI])
    with Client(srv.base_url) as c:
        yield c


def test_bare_whoami_without_token_is_401_with_a_challenge(bare):
    r = bare.get("/bare/whoami")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert r.json() == {"error": "unauthorized"}


def test_bare_whoami_reads_bearer_and_cookie_under_the_same_rules(bare, mint):
    token = mint("alice")
    assert bare.get("/bare/whoami", headers=bearer(token)).json()["user"] == "alice"
    assert bare.get("/bare/whoami", headers={"Cookie": "tokenauth=" + token}).status_code == 200
    assert bare.get("/bare/whoami", headers=bearer(token[:-4] + "AAAA")).status_code == 401
    # never the query: a url token in a link is not a session
    assert bare.get("/bare/whoami?token=" + token).status_code == 401
