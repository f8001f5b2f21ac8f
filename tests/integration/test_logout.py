"""tokenauth-logout (SPEC §4) and the revocation check of the access checker (SPEC §3, §7):
one token revoked while another session of the same user still works; all=1 revokes every
token issued up to that second; the revocations outlive restarts; what cannot log out."""

import json
import re
import time

import pytest

from taharness import tokens
from taharness.apache import ApacheError
from taharness.http import Client
from taharness.site import FILES, WHOAMI

HELLO = FILES["files/hello.txt"]

# The full ledger of test_a_full_ledger_*: refused revocations are errors by design.
ERROR_LOG_ALLOW = [r"TA00033: revocation ledger: full",
                   r"TA00031: logout of (alice|carol) from \S+ could not be recorded \(full\)"]


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[WHOAMI])


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


def bearer(token: str) -> dict:
    return {"Authorization": "Bearer " + token}


def works(c, token: str, source: str = "bearer") -> bool:
    r = c.get_with_token("/files/hello.txt", token, source)
    assert r.status_code in (200, 401), (r.status_code, r.text[:200])
    return r.status_code == 200 and r.text == HELLO


def logout(c, token: str, **kw):
    """POST /logout with the token as bearer and a JSON answer asked for."""
    headers = dict(bearer(token), Accept="application/json")
    headers.update(kw.pop("headers", {}))
    return c.post("/logout", headers=headers, **kw)


def cutoff_logged(srv, since: int, user: str) -> int:
    """The cutoff second of user's last logout-all, from the TA00030 line."""
    pat = re.compile(r"TA00030: logout of %s from \S+: every token issued up to (\d+) revoked"
                     % re.escape(user))
    found = [int(m.group(1)) for m in map(pat.search, srv.error_log.lines(since)) if m]
    assert found, "no TA00030 line for " + user
    return found[-1]


# --- one token ------------------------------------------------------------------------------

def test_logout_revokes_that_token_only(c, mint):
    first, second = mint("alice"), mint("alice")
    assert works(c, first) and works(c, second)
    r = logout(c, first)
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": "token", "user": "alice"}
    assert not works(c, first)
    assert works(c, second), "another session of the same user must still work"


def test_revoked_token_is_refused_from_every_source(c, mint):
    token = mint("alice")
    assert logout(c, token).status_code == 200
    for source in ("bearer", "cookie"):
        r = c.get_with_token("/files/hello.txt", token, source)
        assert r.status_code == 401, source
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_revoked_token_is_refused_by_every_child(srv, mint):
    """The ledger is shared memory: a fresh connection lands on any child process."""
    token = mint("alice")
    with Client(srv.base_url) as c:
        assert logout(c, token).status_code == 200
    assert len(srv.child_pids()) >= 1
    for _ in range(40):
        with Client(srv.base_url) as fresh:
            assert fresh.get_with_token("/files/hello.txt", token).status_code == 401


def test_revoked_token_cannot_log_out_again(c, mint):
    token = mint("alice")
    assert logout(c, token).status_code == 200
    assert logout(c, token).status_code == 401


def test_revocation_is_logged_without_the_token(srv, c, mint):
    token = mint("alice")
    jti = tokens.parts(token)[1]["jti"]
    since = srv.error_log.mark()
    assert logout(c, token).status_code == 200
    lines = [ln for ln in srv.error_log.lines(since) if "TA00030:" in ln]
    assert lines and "logout of alice from 127.0.0.1" in lines[-1] and jti in lines[-1]
    assert token not in srv.error_log.text(since)
    assert token.split(".")[2] not in srv.error_log.text(since)


def test_logout_answer_is_not_cached_and_clears_the_cookie(c, mint):
    r = logout(c, mint("alice"))
    assert r.headers["Cache-Control"] == "no-store"
    assert r.raw.headers.getlist("Set-Cookie") == [
        "tokenauth=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"]


# --- everywhere -----------------------------------------------------------------------------

@pytest.fixture
def next_second():
    """A logout-all refuses tokens issued in its own second: a test that mints for a user
    another test logged out everywhere starts in a later second."""
    time.sleep(1.05 - (time.time() % 1.0))


@pytest.mark.parametrize("how", ["form", "json"])
def test_all_revokes_every_session_of_the_user(c, mint, how, next_second):
    first, second = mint("bob"), mint("bob")
    other = mint("carol")
    kw = {"data": {"all": "1"}} if how == "form" else {"json": {"all": True}}
    r = logout(c, first, **kw)
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": "all", "user": "bob"}
    assert not works(c, first) and not works(c, second)
    assert works(c, other), "another user's session is not touched"
    time.sleep(1.1)  # a token issued in the cutoff second is refused: wait for the next
    assert works(c, mint("bob")), "a token issued after the logout works"


def test_all_refuses_a_token_issued_in_the_same_second(srv, c, mint, bob, key_file, next_second):
    since = srv.error_log.mark()
    assert logout(c, mint("bob"), data={"all": "1"}).status_code == 200
    cut = cutoff_logged(srv, since, "bob")
    key = key_file.signing_key
    same = tokens.forge(key, tokens.claims(bob, now=cut))
    after = tokens.forge(key, tokens.claims(bob, now=cut + 1))
    assert not works(c, same), "iat equal to the cutoff must be refused"
    assert works(c, after), "iat after the cutoff must work"


def test_all_also_ends_url_tokens_of_the_user(c, mint, next_second):
    url = mint("bob", kind="url", scope="/files/")
    assert works(c, url, "query")
    assert logout(c, mint("bob"), json={"all": True}).status_code == 200
    assert not works(c, url, "query")


def test_all_false_revokes_only_the_token(c, mint, next_second):
    first, second = mint("carol"), mint("carol")
    r = logout(c, first, json={"all": False})
    assert r.json() == {"revoked": "token", "user": "carol"}
    assert works(c, second)


# --- browsers -------------------------------------------------------------------------------

def test_browser_logout_by_cookie_redirects_to_the_login_page(srv, alice):
    with Client(srv.base_url) as browser:
        r = browser.login_form("alice", alice.password)
        assert r.status_code == 303
        token = browser.cookies["tokenauth"]
        assert browser.get("/auth/whoami").status_code == 200
        r = browser.post("/logout", data={}, headers={"Accept": "text/html"})
        assert r.status_code == 303
        assert r.headers["Location"] == "/login"
        assert "tokenauth" not in browser.cookies, "the cookie is cleared"
    with Client(srv.base_url) as c:
        assert not works(c, token, "cookie")


def test_browser_with_a_dead_session_is_sent_to_the_login_page(c, mint, key_file, alice):
    """Nothing to revoke: the browser is logged out already, and goes to the login page
    rather than to one that would return it to the POST-only /logout."""
    old = tokens.forge(key_file.signing_key, tokens.claims(alice, now=int(time.time()) - 100,
                                                           ttl=50))
    for cookie in ("tokenauth=" + old, None):
        headers = {"Accept": "text/html"}
        if cookie:
            headers["Cookie"] = cookie
        r = c.post("/logout", data={}, headers=headers)
        assert r.status_code == 303
        assert r.headers["Location"] == "/login"
        assert "Max-Age=0" in r.headers["Set-Cookie"]


def test_form_logout_without_login_url_goes_to_the_root(apache_factory, mint):
    s = apache_factory("no-login-url", extra=["""<Location /bye>
    SetHandler tokenauth-logout
</Location>"""])
    with Client(s.base_url) as c:
        r = c.post("/bye", headers={"Cookie": "tokenauth=" + mint("alice")}, data={"all": "0"})
        assert r.status_code == 303
        assert r.headers["Location"] == "/"


# --- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_logout_by_other_methods_is_405(c, mint, method):
    token = mint("alice")
    r = c.request(method, "/logout", headers=bearer(token))
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(",")) - {"TRACE"} == {"POST", "OPTIONS"}
    assert works(c, token), "nothing was revoked"


def test_logout_without_a_token_is_401(c):
    r = c.post("/logout", headers={"Accept": "application/json"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")


def test_logout_ignores_a_token_in_the_query(c, mint):
    token = mint("alice")
    r = c.post("/logout?token=" + token, headers={"Accept": "application/json"})
    assert r.status_code == 401
    assert works(c, token)


@pytest.mark.parametrize("kind,scope", [("url", "/logout"), ("share", "/logout")])
def test_url_and_share_tokens_cannot_log_out(c, mint, kind, scope):
    token = mint("alice", kind=kind, scope=scope)
    r = logout(c, token)
    assert r.status_code == 401, r.status_code  # refused by the method rule: GET/HEAD only
    session = mint("alice")
    assert works(c, session)


def test_foreign_origin_is_403_and_revokes_nothing(c, mint):
    token = mint("alice")
    r = logout(c, token, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert works(c, token)


@pytest.mark.parametrize("fetch_site,status", [("same-origin", 200), ("cross-site", 403),
                                               ("same-site", 403), (None, 403)])
def test_origin_null_counts_as_ours_only_with_sec_fetch_site_same_origin(c, mint, srv,
                                                                         fetch_site, status):
    """What a browser sends for a form posted from our own pages, which carry Referrer-Policy:
    no-referrer: Origin null, and its own Sec-Fetch-Site. A sandboxed or data: page of anyone's
    also sends null, but as cross-site."""
    token = mint("alice")
    headers = {"Origin": "null"}
    if fetch_site:
        headers["Sec-Fetch-Site"] = fetch_site
    mark = srv.error_log.mark()
    r = logout(c, token, headers=headers)
    assert r.status_code == status
    assert works(c, token) == (status != 200)
    refusals = [line for line in srv.error_log.lines(mark) if "TA00104" in line]
    assert len(refusals) == (status == 403), refusals


@pytest.mark.parametrize("body,ctype,status", [
    (b"{", "application/json", 400),
    (b'{"all":1}', "application/json", 400),
    (b'{"all":true,"all":false}', "application/json", 400),
    (b"[]", "application/json", 400),
    (b"all=maybe", "application/x-www-form-urlencoded", 400),
    (b"all=1&all=1", "application/x-www-form-urlencoded", 400),
    (b"all=1", "text/plain", 415),
])
def test_bad_logout_bodies_revoke_nothing(c, mint, body, ctype, status):
    token = mint("alice")
    r = logout(c, token, data=body, headers={"Content-Type": ctype})
    assert r.status_code == status
    assert works(c, token)


def test_logout_body_over_8_kib_is_413(c, mint):
    token = mint("alice")
    r = logout(c, token, json={"all": False, "pad": "x" * 8200})
    assert r.status_code == 413
    assert works(c, token)


def test_expired_token_cannot_log_out(c, alice, key_file):
    now = int(time.time())
    old = tokens.forge(key_file.signing_key, tokens.claims(alice, now=now - 100, ttl=50))
    assert logout(c, old).status_code == 401


# --- what outlives a restart ----------------------------------------------------------------

def test_revocations_survive_graceful_restart_and_stop(apache_factory, mint):
    s = apache_factory("restarts")
    one, everywhere, kept = mint("alice"), mint("carol"), mint("alice")
    with Client(s.base_url) as c:
        assert logout(c, one).status_code == 200
        assert logout(c, everywhere, json={"all": True}).status_code == 200
    s.graceful()
    with Client(s.base_url) as c:
        assert not works(c, one) and not works(c, everywhere)
        assert works(c, kept)
    s.stop()
    s.start()
    with Client(s.base_url) as c:
        assert not works(c, one) and not works(c, everywhere)
        assert works(c, kept)


def test_a_damaged_ledger_stops_start_up(apache_factory, expect_error_log):
    expect_error_log(r"TA00015: revocation ledger: ")
    expect_error_log(r"AH00020: Configuration Failed")
    s = apache_factory("damaged")
    s.stop()
    ledger = s.paths.run / "tokenauth" / "revocations"
    data = bytearray(ledger.read_bytes())
    data[0:8] = b"NOTOURS!"
    ledger.write_bytes(bytes(data))
    with pytest.raises(ApacheError):
        s.start()
    assert "TA00015: revocation ledger: " in s.error_log.text(0)
    ledger.unlink()
    s.start()
    with Client(s.base_url) as c:
        assert c.get("/files/hello.txt").status_code == 401


# --- a full ledger ------------------------------------------------------------------------------

def test_a_full_ledger_refuses_logouts_it_cannot_hold_and_never_drops_one(apache_factory, alice,
                                                                           bob, carol, key_file):
    """TokenAuthRevocationSlots 64: one probe window is the whole table. bob's logout-all takes
    two entries (his jti and his cutoff), alice's logouts the other 62. Then nothing is
    dropped to make room: alice's next logout is 503 and her token still works (she was told);
    bob's next logout falls back to moving his cutoff (an entry he already has) and works;
    carol, who has no entry, is refused."""
    s = apache_factory("full", extra=["TokenAuthRevocationSlots 64"])
    key = key_file.signing_key

    def session(user):
        return tokens.forge(key, tokens.claims(user, ttl=600))
    with Client(s.base_url) as c:
        assert logout(c, session(bob), json={"all": True}).status_code == 200
        revoked = []
        for _ in range(62):
            revoked.append(session(alice))
            assert logout(c, revoked[-1]).status_code == 200
        extra = session(alice)
        r = logout(c, extra)
        assert r.status_code == 503, r.status_code
        assert works(c, extra), "a logout answered 503 revoked nothing"
        assert not any(works(c, t) for t in revoked[:5] + revoked[-5:]), "none was dropped"
        time.sleep(1.05 - (time.time() % 1.0))  # bob's next token is issued after his cutoff
        later = session(bob)
        assert works(c, later)
        since = s.error_log.mark()
        assert logout(c, later).status_code == 200
        assert not works(c, later)
        assert "TA00033: revocation ledger full where token " in s.error_log.text(since)
        r = logout(c, session(carol))
        assert r.status_code == 503
