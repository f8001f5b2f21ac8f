"""Revoking one share link (SPEC §4 tokenauth-logout, "token"): a signed-in user revokes a url
or share token of their own; the link is refused at once, on this server and on the others
that share the cache, while the session that revoked it keeps working. Only a session may
ask, only for a link our keys signed for the same name and uid: nobody can revoke someone
else's link, nor fill the revocation ledger with made-up ids."""

import re
import time

import pytest

from taharness import paths, tokens
from taharness.http import Client
from taharness.keys import HS256, KeyFile, new_key
from taharness.links import HELLO, bearer, link_works, mint_link, session_works
from taharness.redis import RedisServer
from taharness.site import MINT, WHOAMI
from taharness.waiting import wait_until

# The full ledger of test_a_full_ledger_says_what_it_revoked: refused revocations are errors.
ERROR_LOG_ALLOW = [r"TA00033: revocation ledger: full",
                   r"TA00131: revocation of carol's link \S+ from \S+ could not be "
                   r"recorded \(full\)"]

CLEARED_FOR = 1.0  # seconds a child reuses the shared store's "not revoked" (ta_revoke.c)


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[MINT, WHOAMI])


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


def revoke(c, session, link_token, how="json", source="bearer", **kw):
    """POST /logout asking to revoke link_token, authenticated by session from source."""
    headers = {"Accept": "application/json"} if how == "json" else {"Accept": "text/html"}
    if source == "bearer":
        headers.update(bearer(session))
    elif source == "cookie":
        headers["Cookie"] = "tokenauth=" + session
    headers.update(kw.pop("headers", {}))
    url = kw.pop("url", "/logout")
    if source == "query":
        url += "?token=" + session
    body = kw.pop("body", {"token": link_token})
    if how == "json":
        return c.post(url, headers=headers, json=body, **kw)
    return c.post(url, headers=headers, data=body, **kw)


def error_of(r) -> str:
    return r.json()["error"]


# --- the owner revokes ----------------------------------------------------------------------

@pytest.mark.parametrize("kind,path", [("share", "/files/hello.txt"), ("url", "/files/")])
def test_revoked_link_is_refused_at_once_and_the_session_stays(srv, alice, kind, path):
    """A real sign-in (JSON, cookie), a link minted over HTTP, revoked with the cookie."""
    with Client(srv.base_url) as browser:
        r = browser.login("alice", alice.password)
        assert r.status_code == 200, r.text
        session = r.json()["token"]
        link = mint_link(browser, session, path=path, kind=kind)
        if kind == "url":
            link["url"] = "/files/hello.txt?token=" + link["token"]
        assert link_works(srv, link)
        r = browser.post("/logout", json={"token": link["token"]},
                         headers={"Accept": "application/json"})
        assert r.status_code == 200, r.text
        jti = tokens.parts(link["token"])[1]["jti"]
        assert r.json() == {"revoked": "link", "jti": jti, "expires_at": link["expires_at"]}
        assert "Set-Cookie" not in r.headers, "the session's cookie is left alone"
        assert r.headers["Cache-Control"] == "no-store"
        assert not link_works(srv, link), "the link is refused at once"
        assert browser.get("/auth/whoami").status_code == 200, "the cookie session still works"
        assert browser.get("/files/hello.txt").text == HELLO


def test_revoking_one_link_leaves_the_others(srv, c, mint):
    session = mint("alice")
    one, two = mint_link(c, session), mint_link(c, session)
    assert revoke(c, session, one["token"]).status_code == 200
    assert not link_works(srv, one)
    assert link_works(srv, two)
    assert session_works(c, session)


def test_form_post_goes_to_the_login_url_without_clearing_the_cookie(srv, c, mint):
    session = mint("alice")
    link = mint_link(c, session)
    r = revoke(c, session, link["token"], how="form", source="cookie")
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == "/login"
    assert "Set-Cookie" not in r.headers
    assert not link_works(srv, link)
    assert session_works(c, session)


def test_revoking_twice_is_no_error(srv, c, mint):
    session = mint("alice")
    link = mint_link(c, session)
    assert revoke(c, session, link["token"]).json()["revoked"] == "link"
    r = revoke(c, session, link["token"])
    assert r.status_code == 200 and r.json()["revoked"] == "link"
    assert not link_works(srv, link)


def test_revocation_is_logged_without_the_token(srv, c, mint):
    session = mint("alice")
    link = mint_link(c, session)
    jti = tokens.parts(link["token"])[1]["jti"]
    since = srv.error_log.mark()
    assert revoke(c, session, link["token"]).status_code == 200
    text = srv.error_log.text(since)
    assert re.search(r"TA00130: alice from 127\.0\.0\.1 revoked share token %s until %d"
                     % (re.escape(jti), link["expires_at"]), text), text
    assert link["token"] not in text and link["token"].split(".")[2] not in text
    assert session not in text


def test_the_revocation_outlives_a_graceful_restart(apache_factory, mint):
    s = apache_factory("restart", extra=[MINT])
    with Client(s.base_url) as c:
        session = mint("alice")
        link = mint_link(c, session)
        assert revoke(c, session, link["token"]).status_code == 200
    s.graceful()
    assert not link_works(s, link)


def test_revocation_with_an_hs256_key_file(harness, apache_factory, mint):
    """The other algorithm: the worker holds the secret itself, the same rules hold."""
    kf = KeyFile(harness.workdir / "revoke-hs256.keys", alg=HS256)
    s = apache_factory("hs256", extra=[MINT, WHOAMI], key_file=kf.path)
    session, bobs = mint("alice", key_file=kf.path), mint("bob", key_file=kf.path)
    with Client(s.base_url) as c:
        link = mint_link(c, session)
        assert link_works(s, link)
        assert revoke(c, bobs, link["token"]).status_code == 403
        assert link_works(s, link)
        assert revoke(c, session, link["token"]).status_code == 200
        assert not link_works(s, link)
        assert session_works(c, session)


def test_a_full_ledger_says_what_it_revoked(apache_factory, alice, carol, key_file):
    """TokenAuthRevocationSlots 64, one probe window, filled: alice's logout everywhere gave
    her a cutoff entry, carol's logouts took the rest. A link of alice's then has no room of
    its own, and its revocation moves her cutoff instead, which ends her session too: the
    answer says so and clears the cookie. carol, with no entry to move, gets 503 and her link
    keeps working (nothing was revoked, and she was told)."""
    s = apache_factory("full", extra=[MINT, WHOAMI, "TokenAuthRevocationSlots 64"])
    key = key_file.signing_key

    def session(user):
        return tokens.forge(key, tokens.claims(user, ttl=600))
    with Client(s.base_url) as c:
        r = c.post("/logout", headers=dict(bearer(session(alice)), Accept="application/json"),
                   json={"all": True})
        assert r.status_code == 200
        carols = session(carol)
        link_of_carol = mint_link(c, carols)
        for _ in range(62):
            assert c.post("/logout", headers=dict(bearer(session(carol)),
                                                  Accept="application/json")).status_code == 200
        time.sleep(1.05 - (time.time() % 1.0))  # alice's next token is issued after her cutoff
        alices = session(alice)
        link = mint_link(c, alices)
        r = revoke(c, alices, link["token"])
        assert r.status_code == 200, r.text
        assert r.json() == {"revoked": "all", "user": "alice"}
        assert "Max-Age=0" in r.headers["Set-Cookie"]
        assert not link_works(s, link)
        assert not session_works(c, alices)
        r = revoke(c, carols, link_of_carol["token"])
        assert r.status_code == 503
        assert link_works(s, link_of_carol)
        assert session_works(c, carols)


# --- expired links --------------------------------------------------------------------------

def test_an_expired_link_needs_nothing(srv, c, mint, alice, key_file):
    session = mint("alice")
    old = tokens.forge(key_file.signing_key,
                       tokens.claims(alice, kind="share", scope="/files/hello.txt",
                                     now=int(time.time()) - 100, ttl=50))
    since = srv.error_log.mark()
    r = revoke(c, session, old)
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": "expired"}
    assert "TA00133: alice from 127.0.0.1: share token " in srv.error_log.text(since)
    assert "TA00130:" not in srv.error_log.text(since), "nothing was recorded"
    assert session_works(c, session)


def test_an_expired_link_of_another_user_is_not_yours(c, mint, bob, key_file):
    old = tokens.forge(key_file.signing_key,
                       tokens.claims(bob, kind="share", scope="/files/hello.txt",
                                     now=int(time.time()) - 100, ttl=50))
    r = revoke(c, mint("alice"), old)
    assert r.status_code == 403 and error_of(r) == "not_yours"


# --- someone else's link --------------------------------------------------------------------

def test_bob_cannot_revoke_alices_link(srv, c, mint):
    link = mint_link(c, mint("alice"))
    since = srv.error_log.mark()
    r = revoke(c, mint("bob"), link["token"])
    assert r.status_code == 403
    assert r.json()["error"] == "not_yours"
    assert link_works(srv, link), "alice's link still works"
    assert "TA00132: bob from 127.0.0.1: link not revoked: a link of alice" in \
        srv.error_log.text(since)


def test_same_name_with_another_uid_is_not_yours(srv, c, mint, alice, key_file):
    """A signed link of an earlier account of the same name (another uid) is not the
    caller's, even though the name matches."""
    other = tokens.forge(key_file.signing_key,
                         tokens.claims(alice, kind="share", scope="/files/hello.txt",
                                       uid=alice.uid + 1))
    session = mint("alice")
    r = revoke(c, session, other)
    assert r.status_code == 403 and error_of(r) == "not_yours"
    mine = tokens.forge(key_file.signing_key,
                        tokens.claims(alice, kind="share", scope="/files/hello.txt"))
    assert revoke(c, session, mine).status_code == 200, "the same claims with alice's uid"


def test_same_uid_under_another_name_is_not_yours(c, mint, alice, bob, key_file):
    """A signed link of bob's carrying alice's uid (an account renamed, a uid given to
    someone else): the uid alone is not enough either."""
    other = tokens.forge(key_file.signing_key,
                         tokens.claims(bob, kind="share", scope="/files/hello.txt",
                                       uid=alice.uid))
    r = revoke(c, mint("alice"), other)
    assert r.status_code == 403 and error_of(r) == "not_yours"


# --- tokens that are not our links ----------------------------------------------------------

@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "not a token at all",
                                     "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
                                     "A" * 5000], ids=range(6))
def test_garbage_is_400_invalid_token(c, mint, garbage):
    session = mint("alice")
    r = revoke(c, session, garbage)
    assert r.status_code == 400, r.status_code
    assert error_of(r) == "invalid_token"
    assert session_works(c, session)


def test_a_changed_link_is_400(srv, c, mint):
    """A real link with its claims changed (another scope) or its signature cut."""
    session = mint("alice")
    link = mint_link(c, session)
    h, p, s = link["token"].split(".")
    claims = tokens.parts(link["token"])[1]
    claims["scope"] = "/files/"
    changed = h + "." + tokens._part(claims) + "." + s
    for bad in (changed, h + "." + p + "." + s[:-4]):
        r = revoke(c, session, bad)
        assert r.status_code == 400 and error_of(r) == "invalid_token"
    assert link_works(srv, link)


def test_a_link_signed_with_a_foreign_key_is_400(srv, c, mint, alice, key_file):
    """An attacker's own key, under a kid of its own and under ours; an HMAC made with our
    public key (algorithm confusion); another issuer with our key."""
    ours = key_file.signing_key
    theirs = new_key()
    claims = tokens.claims(alice, kind="share", scope="/files/hello.txt")
    forged = [
        tokens.forge(theirs, claims),
        tokens.forge(theirs, claims, hdr=tokens.header(ours)),
        tokens.sign(tokens.header(ours, alg=HS256), claims, ours.public_bytes
                    if ours.is_eddsa else b"guess"),
        tokens.forge(ours, dict(claims, iss="someone-else")),
    ]
    session = mint("alice")
    since = srv.error_log.mark()
    for bad in forged:
        r = revoke(c, session, bad)
        assert r.status_code == 400, r.text
        assert error_of(r) == "invalid_token"
    assert "TA00130:" not in srv.error_log.text(since), "no made-up jti reached the ledger"
    assert session_works(c, session)


def test_a_session_token_as_the_link_is_400_and_stays_valid(c, mint):
    session, other = mint("alice"), mint("alice")
    for target in (other, session):
        r = revoke(c, session, target)
        assert r.status_code == 400
        assert error_of(r) == "invalid_request"
        assert "log out" in r.json()["error_description"]
    assert session_works(c, session) and session_works(c, other)


# --- who may ask -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["share", "url"])
@pytest.mark.parametrize("source", ["bearer", "cookie"])
def test_a_link_cannot_revoke_a_link(srv, c, mint, kind, source):
    """A url or share token as the credential: refused, even for its own owner's link, and
    even with a scope that covers /logout."""
    session = mint("alice")
    target = mint_link(c, session)
    for scope in ("/logout", "/"):
        credential = mint_link(c, session, path=scope, kind=kind)["token"]
        r = revoke(c, credential, target["token"], source=source)
        assert r.status_code in (401, 403), r.status_code
        r = revoke(c, credential, credential, source=source)
        assert r.status_code in (401, 403), r.status_code
    assert link_works(srv, target)


@pytest.mark.parametrize("kind", ["session", "share"])
def test_a_token_in_the_query_cannot_revoke(srv, c, mint, kind):
    session = mint("alice")
    target = mint_link(c, session)
    credential = session if kind == "session" else mint_link(c, session, path="/logout")["token"]
    r = revoke(c, credential, target["token"], source="query")
    assert r.status_code == 401, r.status_code
    assert link_works(srv, target)


def test_a_token_in_the_query_cannot_revoke_where_token_auth_runs(apache_factory, mint):
    """At a /logout behind AuthType token (query tokens accepted there), a session token in
    the query is refused by the handler itself."""
    s = apache_factory("authtype", extra=[MINT, """<Location /out>
    SetHandler tokenauth-logout
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthQuerySessions On
</Location>"""])
    with Client(s.base_url) as c:
        session = mint("alice")
        target = mint_link(c, session)
        r = revoke(c, session, target["token"], source="query", url="/out")
        assert r.status_code == 403 and error_of(r) == "token_in_query"
        assert link_works(s, target)
        assert revoke(c, session, target["token"], url="/out").status_code == 200
        assert not link_works(s, target)


def test_without_a_session_nothing_is_revoked(srv, c, mint):
    """An app gets 401; a browser form (whose session is gone) gets 401 too, not the logout
    redirect that would look like success."""
    target = mint_link(c, mint("alice"))
    r = c.post("/logout", json={"token": target["token"]}, headers={"Accept": "application/json"})
    assert r.status_code == 401
    r = c.post("/logout", data={"token": target["token"]}, headers={"Accept": "text/html"})
    assert r.status_code == 401
    assert link_works(srv, target)


def test_a_revoked_session_cannot_revoke(srv, c, mint):
    session = mint("alice")
    target = mint_link(c, session)
    assert c.post("/logout", headers=dict(bearer(session), Accept="application/json"),
                  json={}).status_code == 200
    assert revoke(c, session, target["token"]).status_code == 401
    assert link_works(srv, target)


def test_another_sites_origin_is_403(srv, c, mint):
    session = mint("alice")
    target = mint_link(c, session)
    for how in ("json", "form"):
        r = revoke(c, session, target["token"], how=how, source="cookie",
                   headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
    assert link_works(srv, target)
    r = revoke(c, session, target["token"], headers={"Origin": srv.base_url})
    assert r.status_code == 200, "our own origin is fine"


# --- malformed requests -------------------------------------------------------------------------

@pytest.mark.parametrize("how,extra", [("json", {"all": True}), ("json", {"all": False}),
                                       ("form", {"all": "1"}), ("form", {"all": "0"})])
def test_token_with_all_is_400_and_revokes_nothing(srv, c, mint, how, extra):
    session = mint("alice")
    target = mint_link(c, session)
    r = revoke(c, session, None, how=how, body=dict(extra, token=target["token"]))
    assert r.status_code == 400, r.status_code
    assert link_works(srv, target)
    assert session_works(c, session)


@pytest.mark.parametrize("body,ctype", [
    (b'{"token":1}', "application/json"),
    (b'{"token":null}', "application/json"),
    (b'{"token":["x"]}', "application/json"),
    (b'{"token":"a","token":"b"}', "application/json"),
    (b'{"token":"x\\u0000y"}', "application/json"),
    (b"token=a&token=b", "application/x-www-form-urlencoded"),
    (b"token=%zz", "application/x-www-form-urlencoded"),
])
def test_malformed_token_fields_are_400(c, mint, body, ctype):
    session = mint("alice")
    r = c.post("/logout", data=body, headers=dict(bearer(session), **{
        "Content-Type": ctype, "Accept": "application/json"}))
    assert r.status_code == 400
    assert session_works(c, session)


def test_a_link_with_a_nul_suffix_is_refused(srv, c, mint):
    """The JSON string must be the token, not a token followed by a NUL and anything."""
    session = mint("alice")
    target = mint_link(c, session)
    body = ('{"token":"%s\\u0000junk"}' % target["token"]).encode()
    r = c.post("/logout", data=body, headers=dict(bearer(session), **{
        "Content-Type": "application/json", "Accept": "application/json"}))
    assert r.status_code == 400
    assert link_works(srv, target)


# --- several servers --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis(harness):
    server = RedisServer(harness.workdir / "redis-share-revoke").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pair(apache_factory, redis):
    extra = ["LoadModule socache_redis_module %s/mod_socache_redis.so" % paths.APACHE_MODULES,
             "TokenAuthCache redis:127.0.0.1:%d" % redis.port, MINT, WHOAMI]
    return apache_factory("a", extra=extra), apache_factory("b", extra=extra)


def test_a_link_revoked_on_one_server_is_refused_by_the_other(pair, redis, mint):
    a, b = pair
    session = mint("alice")
    with Client(a.base_url) as ca, Client(b.base_url) as cb:
        link, kept = mint_link(ca, session), mint_link(ca, session)
        assert link_works(a, link) and link_works(b, link)
        assert revoke(cb, session, link["token"]).status_code == 200
        assert not link_works(b, link)
        # A's children reuse a clear answer of the shared store for up to a second
        assert wait_until(lambda: not link_works(a, link), CLEARED_FOR + 2), \
            "A must refuse the link B revoked"
        assert link_works(a, kept) and link_works(b, kept)
        assert session_works(ca, session) and session_works(cb, session)
    assert redis.key_count() >= 1
