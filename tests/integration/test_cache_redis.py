"""TokenAuthCache with a shared provider (SPEC §2, §7): revocations and login counters in a
real redis-server, seen by two Apache servers; when redis cannot be reached, token checks
and logins fail closed with 503 and recover by themselves once it is back."""

import json
import time

import pytest

from taharness import paths
from taharness.http import Client, raw_request
from taharness.redis import RedisServer
from taharness.site import FILES
from taharness.waiting import wait_until

HELLO = FILES["files/hello.txt"]
CLEARED_FOR = 1.0  # seconds a child reuses the shared store's "not revoked" (ta_revoke.c)
NODELAY_SERVICE = "ta-redis-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"

# While redis is down: mod_socache_redis's own lines, and ours (TA00016 the failed look-up,
# TA00034 the 503 of a token check, TA00022 the 503 of a login).
ERROR_LOG_ALLOW = [r"AH03\d{3}", r"scache_rd", r"TA00016: TokenAuthCache redis:",
                   r"TA00034: cannot check revocations", r"TA00022: login of ",
                   r"TA00031: logout of "]


@pytest.fixture(scope="module")
def redis(harness):
    server = RedisServer(harness.workdir / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pair(harness, apache_factory, redis):
    """Two servers sharing the key file and the redis."""
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    extra = ["LoadModule socache_redis_module %s/mod_socache_redis.so" % paths.APACHE_MODULES,
             "TokenAuthCache redis:127.0.0.1:%d" % redis.port,
             "TokenAuthPAMService " + NODELAY_SERVICE,
             "TokenAuthLoginThrottle 3 300 300",
             "<Location /logout>\n    SetHandler tokenauth-logout\n</Location>"]
    yield apache_factory("a", extra=extra), apache_factory("b", extra=extra)
    harness.remove_pam_service(NODELAY_SERVICE)


def status(srv, token: str) -> int:
    with Client(srv.base_url) as c:
        return c.get_with_token("/files/hello.txt", token).status_code


def logout(srv, token: str, **kw):
    with Client(srv.base_url) as c:
        return c.post("/logout", headers={"Authorization": "Bearer " + token,
                                          "Accept": "application/json"}, **kw)


def failed_login(srv, user: str, source: str) -> int:
    body = json.dumps({"username": user, "password": "wrong"}).encode()
    return raw_request(srv.port, "POST", "/login", [("Content-Type", "application/json")],
                       body, source=source).status


def test_logout_on_one_server_is_honoured_by_the_other(pair, redis, mint):
    a, b = pair
    token, other = mint("alice"), mint("alice")
    assert status(a, token) == 200 and status(b, token) == 200
    assert logout(b, token).status_code == 200
    # A's children reuse a clear answer of the shared store for up to a second
    assert wait_until(lambda: status(a, token) == 401, CLEARED_FOR + 2), \
        "A must refuse what B revoked"
    assert status(a, other) == 200
    assert redis.key_count() >= 1, "the revocation is in redis"


def test_login_on_a_logout_on_b_refused_on_a(pair, alice):
    a, b = pair
    with Client(a.base_url) as c:
        r = c.login("alice", alice.password)
        assert r.status_code == 200, r.text
        token = r.json()["token"]
    assert status(a, token) == 200
    assert logout(b, token).status_code == 200
    assert wait_until(lambda: status(a, token) == 401, CLEARED_FOR + 2)


def test_logout_everywhere_on_one_server_is_honoured_by_the_other(pair, mint):
    a, b = pair
    token = mint("carol")
    assert logout(a, mint("carol"), json={"all": True}).status_code == 200
    assert wait_until(lambda: status(b, token) == 401, CLEARED_FOR + 2)


def test_login_failures_add_up_across_servers(pair):
    a, b = pair
    user = "nobody-redis"
    assert failed_login(a, user, "127.0.1.2") == 401
    assert failed_login(b, user, "127.0.1.3") == 401
    assert failed_login(a, user, "127.0.1.4") == 401
    assert failed_login(b, user, "127.0.1.5") == 429, "three failures on A and B together"


def test_a_token_cleared_a_moment_ago_is_not_looked_up_again(pair, redis, mint):
    """The shared store is asked once a second per child for a token in use, not on every
    request: MONITOR-free check through redis' own command counter."""
    a, _ = pair
    token = mint("alice")
    assert status(a, token) == 200
    before = redis.commands_processed()
    for _ in range(20):
        assert status(a, token) == 200
    used = redis.commands_processed() - before
    children = max(1, len(a.child_pids()))
    assert used <= 3 * (children + 2), "%d redis commands for 20 requests" % used


def test_redis_down_fails_closed_then_recovers(pair, redis, mint, alice):
    a, b = pair
    token = mint("alice")
    assert status(a, token) == 200
    revoked = mint("alice")
    assert logout(b, revoked).status_code == 200
    redis.stop()
    time.sleep(CLEARED_FOR + 0.2)  # past the second a clear answer may be reused
    try:
        # every request, not only the first: once APR's client holds the server for dead it
        # answers "not found" for every key, which must not read as "not revoked"
        for _ in range(15):
            assert status(a, token) == 503
            assert status(b, token) == 503
            assert status(a, revoked) == 503
        for i in range(6):
            with Client(a.base_url) as c:
                assert c.login("alice", alice.password).status_code == 503, i
            assert failed_login(b, "nobody-down", "127.0.2.%d" % (i + 2)) == 503
        assert logout(a, mint("alice")).status_code == 503
        assert "TA00034: cannot check revocations" in a.error_log.text(0)
    finally:
        redis.start()
    assert wait_until(lambda: status(a, token) == 200 and status(b, token) == 200, 20), \
        "service did not come back after redis returned"
    assert wait_until(lambda: status(a, revoked) == 401, 20), \
        "the revocation outlived the outage (redis saved it)"

    def logs_in():
        with Client(a.base_url) as c:
            return c.login("alice", alice.password).status_code == 200
    # each child's redis client retries the server on its own schedule: within seconds
    assert wait_until(logs_in, 20), "logins did not come back after redis returned"


def test_a_logout_refused_during_an_outage_can_be_retried(pair, redis, mint):
    a, b = pair
    token = mint("alice")
    redis.stop()
    try:
        assert logout(a, token).status_code == 503
    finally:
        redis.start()
    assert wait_until(lambda: logout(a, token).status_code == 200, 20), \
        "the retry must not be refused by A's own ledger"
    assert wait_until(lambda: status(b, token) == 401, 20), "and B must know of it"

