"""The limit on link revocations (docs/handlers.md "Revoking one link"): each revoked link
takes a slot of the revocation ledger until its exp, and minting is cheap, so one user may ask
to revoke at most 100 links within an hour. The 101st request gets 429 with Retry-After and
{"error":"too_many_revocations"}, whatever it named; refusals (garbage, another user's link)
count as well. Other users, logging out, logging in and minting are untouched. The counters
live in TokenAuthCache under keys of their own, apart from the login counters.

Each test that reaches the limit has a server of its own, so that counts never carry over."""

import re
import subprocess
import time

import pytest

from taharness import paths, tokens
from taharness.http import Client
from taharness.links import bearer, link_works, mint_link, session_works
from taharness.redis import RedisServer
from taharness.site import MINT, WHOAMI
from taharness.waiting import wait_until

LIMIT = 100     # TA_SINGLE_REVOKE_LIMIT (mod_tokenauth/ta_loginlimit.h)
LOCKOUT = 3600  # TA_SINGLE_REVOKE_LOCKOUT

# test_an_unwritable_counter_fails_closed: the redis that refuses writes is an error, three
# times (mod_socache_redis names the key, hex: "tr:", a link revocation counter).
ERROR_LOG_ALLOW = [r"AH03478: scache_rd: error setting key 'tokenauth:74723a[0-9a-f]+' with 21 "
                   r"bytes of data",
                   r"TA00016: TokenAuthCache redis:\S+: store failed",
                   r"TA00136: carol from \S+: link revocations cannot be counted \(unavailable\)"]


def revoke(c, session: str, token: str, form=False):
    """POST /logout asking to revoke token, the session as bearer."""
    if form:
        return c.post("/logout", headers=dict(bearer(session), Accept="text/html"),
                      data={"token": token})
    return c.post("/logout", headers=dict(bearer(session), Accept="application/json"),
                  json={"token": token})


def assert_throttled(r):
    """A 429 of the limit: JSON error, Retry-After within the lockout."""
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.json()["error"] == "too_many_revocations"
    assert r.headers["Cache-Control"] == "no-store"
    assert 0 < int(r.headers["Retry-After"]) <= LOCKOUT, r.headers["Retry-After"]


def use_up(srv, c, session: str, count=LIMIT) -> list:
    """count legitimate revocations of links minted over HTTP; each must be done. The links."""
    links = []
    for i in range(count):
        link = mint_link(c, session)
        r = revoke(c, session, link["token"])
        assert r.status_code == 200 and r.json()["revoked"] == "link", (i, r.status_code, r.text)
        links.append(link)
    return links


# --- alice reaches the limit ----------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[MINT, WHOAMI])


@pytest.fixture(scope="module")
def limited(srv, harness):
    """alice, with LIMIT revocations done: {"session", "revoked" (the links), "seconds"}."""
    session = harness.mint("alice")
    with Client(srv.base_url) as c:
        started = time.monotonic()
        links = use_up(srv, c, session)
        return {"session": session, "revoked": links, "seconds": time.monotonic() - started}


def test_the_first_100_revocations_all_take_effect(srv, limited):
    print("%d mints and revocations over HTTP: %.2f s" % (LIMIT, limited["seconds"]))
    assert len(limited["revoked"]) == LIMIT
    for link in limited["revoked"][:3] + limited["revoked"][-3:]:
        assert not link_works(srv, link)


def test_the_101st_is_429_and_its_link_still_works(srv, limited):
    session = limited["session"]
    with Client(srv.base_url) as c:
        link = mint_link(c, session)
        since = srv.error_log.mark()
        r = revoke(c, session, link["token"])
        assert_throttled(r)
        assert LOCKOUT - 600 < int(r.headers["Retry-After"]), "locked for the hour, not less"
        assert "Set-Cookie" not in r.headers
        assert link_works(srv, link), "nothing was revoked"
        assert session_works(c, session), "the session stays"
        text = srv.error_log.text(since)
        assert re.search(r"\[tokenauth:info\] .*TA00135: alice from 127\.0\.0\.1: link not "
                         r"revoked: throttled after 100 link revocations within 3600 s "
                         r"\(\d+ s left\)", text), text
        assert link["token"] not in text and session not in text
        assert "TA00130:" not in text


def test_a_form_post_is_refused_too(srv, limited):
    session = limited["session"]
    with Client(srv.base_url) as c:
        link = mint_link(c, session)
        assert_throttled(revoke(c, session, link["token"], form=True))
        assert link_works(srv, link)


def test_the_limit_comes_before_the_link_is_looked_at(srv, limited, mint):
    """Garbage, or someone else's link, gets the 429 too: a limited user learns nothing of
    what they send."""
    session = limited["session"]
    with Client(srv.base_url) as c:
        bobs = mint_link(c, mint("bob"))
        assert_throttled(revoke(c, session, "not.a.token"))
        assert_throttled(revoke(c, session, bobs["token"]))
        assert link_works(srv, bobs)


def test_another_user_is_unaffected(srv, limited, mint):
    session = mint("bob")
    with Client(srv.base_url) as c:
        link = mint_link(c, session)
        r = revoke(c, session, link["token"])
        assert r.status_code == 200 and r.json()["revoked"] == "link", r.text
        assert not link_works(srv, link)


def test_the_limited_user_still_mints_and_logs_in(srv, limited, alice):
    """Logging in works (the login counters are apart: were they one, 100 counts would lock
    the name), and a successful login, which clears the name's login counter, leaves the
    revocation counter as it was."""
    with Client(srv.base_url) as c:
        for _ in range(6):
            r = c.login("alice", alice.password)
            assert r.status_code == 200, r.text
        session = r.json()["token"]
        link = mint_link(c, session)
        assert link_works(srv, link)
        assert_throttled(revoke(c, session, link["token"]))
        assert link_works(srv, link)


def test_the_limited_user_can_still_log_out(srv, limited, mint):
    """Logging out is never refused: past the limit a plain logout takes no ledger slot but
    revokes every token of the user instead (TA00138); a logout everywhere is one anyway."""
    with Client(srv.base_url) as c:
        session = mint("alice")
        r = c.post("/logout", headers=dict(bearer(session), Accept="application/json"), json={})
        assert r.status_code == 200 and r.json()["revoked"] == "all", r.text
        assert not session_works(c, session)
        time.sleep(1.05 - time.time() % 1.0)  # alice's next tokens after any earlier cutoff
        session = mint("alice")
        link = mint_link(c, session)
        r = c.post("/logout", headers=dict(bearer(session), Accept="application/json"),
                   json={"all": True})
        assert r.status_code == 200 and r.json()["revoked"] == "all", r.text
        assert not session_works(c, session)
        assert not link_works(srv, link), "a logout everywhere still ends the links"


# --- refusals count -------------------------------------------------------------------------

def test_refused_requests_count_too(apache_factory, mint):
    """carol guesses: garbage, links of bob's, each refused; after LIMIT of them even her own
    real link is 429, and stays working."""
    s = apache_factory("guess", extra=[MINT, WHOAMI])
    carols, bobs = mint("carol"), mint("bob")
    with Client(s.base_url) as c:
        bobs_link = mint_link(c, bobs)
        for i in range(LIMIT):
            if i % 2:
                r = revoke(c, carols, "guess.%d.x" % i)
                assert r.status_code == 400, (i, r.text)
            else:
                r = revoke(c, carols, bobs_link["token"])
                assert r.status_code == 403 and r.json()["error"] == "not_yours", (i, r.text)
        own = mint_link(c, carols)
        assert_throttled(revoke(c, carols, own["token"]))
        assert link_works(s, own)
        assert link_works(s, bobs_link)


def test_links_revoked_by_forged_sessions_count_per_user(apache_factory, mint, key_file, carol):
    """The count is the user's, not the session's: a new session each time changes nothing."""
    s = apache_factory("sessions", extra=[MINT, WHOAMI])
    key = key_file.signing_key
    with Client(s.base_url) as c:
        for i in range(LIMIT):
            session = tokens.forge(key, tokens.claims(carol, ttl=600))
            link = tokens.forge(key, tokens.claims(carol, kind="share", scope="/files/hello.txt"))
            assert revoke(c, session, link).status_code == 200, i
        session = mint("carol")
        link = mint_link(c, session)
        assert_throttled(revoke(c, session, link["token"]))
        assert link_works(s, link)


# --- several servers ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis(harness):
    server = RedisServer(harness.workdir / "redis-revoke-limit").start()
    yield server
    server.stop()


def redis_cli(redis, *args) -> str:
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(redis.port), *args],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def pair(apache_factory, redis):
    extra = ["LoadModule socache_redis_module %s/mod_socache_redis.so" % paths.APACHE_MODULES,
             "TokenAuthCache redis:127.0.0.1:%d" % redis.port, MINT, WHOAMI]
    return apache_factory("a", extra=extra), apache_factory("b", extra=extra)


def test_revocations_add_up_across_servers(pair, mint):
    """Half on one server, half on the other: the next is refused on both."""
    a, b = pair
    session = mint("alice")
    with Client(a.base_url) as ca, Client(b.base_url) as cb:
        use_up(a, ca, session, LIMIT // 2)
        use_up(b, cb, session, LIMIT - LIMIT // 2)
        link = mint_link(ca, session)
        assert_throttled(revoke(ca, session, link["token"]))
        assert_throttled(revoke(cb, session, link["token"]))
        assert link_works(a, link) and link_works(b, link)


def test_an_unwritable_counter_fails_closed(pair, redis, mint):
    """A redis that still answers reads but refuses writes (maxmemory reached, noeviction):
    the token checks pass, the count cannot be written, and the request is 503 (TA00136)
    rather than an uncounted revocation. Once redis takes writes again, it works."""
    a, _ = pair
    session = mint("carol")
    with Client(a.base_url) as c:
        link = mint_link(c, session)
        assert session_works(c, session)
        since = a.error_log.mark()
        redis_cli(redis, "CONFIG", "SET", "maxmemory", "1")
        try:
            r = revoke(c, session, link["token"])
        finally:
            redis_cli(redis, "CONFIG", "SET", "maxmemory", "0")
        assert r.status_code == 503, (r.status_code, r.text)
        assert "TA00136: carol from 127.0.0.1: link revocations cannot be counted" in \
            a.error_log.text(since)
        assert link_works(a, link)
        assert wait_until(lambda: revoke(c, session, link["token"]).status_code == 200, 10)
        assert not link_works(a, link)
