"""TokenAuthLoginThrottle (SPEC §2, §4, §7): failed logins counted per user name and per
client address; 429 with Retry-After before PAM is asked; a success clears the user's count.

Each test sends from loopback addresses of its own (127.0.0.N: Linux answers the whole
127/8) and uses user names of its own, so that counters of one test never reach another.
The PAM service has `pam_unix.so nodelay`, so failures answer at once."""

import itertools
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from taharness.http import raw_request

NODELAY_SERVICE = "ta-throttle-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"

_addresses = (f"127.0.{a}.{b}" for a, b in itertools.product(range(10, 250), range(2, 250)))


def new_address() -> str:
    return next(_addresses)


def new_name(tag: str) -> str:
    return "%s%s" % (tag, secrets.token_hex(3))


@pytest.fixture(scope="module")
def nodelay(harness):
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    yield "TokenAuthPAMService " + NODELAY_SERVICE
    harness.remove_pam_service(NODELAY_SERVICE)


@pytest.fixture(scope="module")
def default(apache_factory, nodelay):
    """No TokenAuthLoginThrottle line: the default 5 300 300."""
    return apache_factory("default", extra=[nodelay])


@pytest.fixture(scope="module")
def short(apache_factory, nodelay):
    return apache_factory("short", extra=[nodelay, "TokenAuthLoginThrottle 2 60 2"])


@pytest.fixture(scope="module")
def stock(apache_factory):
    """pam_unix as shipped (1-3 s per failure): the window a parallel burst could use."""
    return apache_factory("stock", extra=["TokenAuthLoginThrottle 3 300 300"])


@pytest.fixture(scope="module")
def narrow(apache_factory, nodelay):
    return apache_factory("narrow", extra=[nodelay, "TokenAuthLoginThrottle 3 2 60"])


@pytest.fixture
def account(harness):
    made = []

    def make(tag):
        made.append(harness.users.add_user(new_name(tag), "pw-" + secrets.token_hex(6)))
        return made[-1]
    yield make
    for u in made:
        harness.users.delete_user(u.name)


def login(srv, user: str, password: str, source: str, form: bool = False):
    if form:
        body = ("username=%s&password=%s" % (user, password)).encode()
        ctype = "application/x-www-form-urlencoded"
    else:
        body = json.dumps({"username": user, "password": password}).encode()
        ctype = "application/json"
    return raw_request(srv.port, "POST", "/login", [("Content-Type", ctype)], body,
                       source=source)


def fail(srv, user: str, source: str, times: int) -> None:
    for i in range(times):
        r = login(srv, user, "wrong-%d" % i, source)
        assert r.status == 401, (i, r.status, r.body[:200])


def pam_asked(srv, since: int) -> bool:
    return "TA00061: helper: auth " in srv.error_log.text(since)


# --- per user name ---------------------------------------------------------------------------

def test_default_locks_a_user_after_five_failures_with_429_and_retry_after(default, account):
    u = account("thr")
    fail(default, u.name, new_address(), 5)
    since = default.error_log.mark()
    r = login(default, u.name, u.password, new_address())
    assert r.status == 429, "locked even with the right password"
    assert 295 <= int(r.header("Retry-After")) <= 300
    assert json.loads(r.body) == {"error": "throttled"}
    assert r.header("Cache-Control") == "no-store"
    assert not pam_asked(default, since), "the throttle is decided before PAM"


def test_four_failures_do_not_lock(default, account):
    u = account("thr")
    fail(default, u.name, new_address(), 4)
    assert login(default, u.name, u.password, new_address()).status == 200


def test_a_user_is_locked_across_client_addresses(default):
    name = new_name("nobody")
    for _ in range(5):
        fail(default, name, new_address(), 1)
    assert login(default, name, "x", new_address()).status == 429


def test_locking_one_user_leaves_others_alone(default, account):
    locked, other = new_name("nobody"), account("thr")
    fail(default, locked, new_address(), 5)
    assert login(default, other.name, other.password, new_address()).status == 200


def test_success_resets_the_user_count(default, account):
    u = account("thr")
    fail(default, u.name, new_address(), 4)
    assert login(default, u.name, u.password, new_address()).status == 200
    fail(default, u.name, new_address(), 4)
    assert login(default, u.name, u.password, new_address()).status == 200


# --- per client address ----------------------------------------------------------------------

def test_an_address_is_locked_after_five_failures_for_any_users(default, account):
    addr = new_address()
    for _ in range(5):
        fail(default, new_name("nobody"), addr, 1)
    u = account("thr")
    since = default.error_log.mark()
    r = login(default, u.name, u.password, addr)
    assert r.status == 429
    assert int(r.header("Retry-After")) > 0
    assert not pam_asked(default, since)
    assert login(default, u.name, u.password, new_address()).status == 200, \
        "the user itself is not locked, only the address"


def test_success_does_not_reset_the_address_count(default, account):
    addr, u = new_address(), account("thr")
    fail(default, new_name("nobody"), addr, 4)
    assert login(default, u.name, u.password, addr).status == 200
    fail(default, new_name("nobody"), addr, 1)
    assert login(default, u.name, u.password, addr).status == 429


# --- time ------------------------------------------------------------------------------------

def test_lockout_ends_after_its_time(short, account):
    u = account("thr")
    fail(short, u.name, new_address(), 2)
    r = login(short, u.name, u.password, new_address())
    assert r.status == 429
    assert 1 <= int(r.header("Retry-After")) <= 2
    time.sleep(int(r.header("Retry-After")) + 1.1)
    assert login(short, u.name, u.password, new_address()).status == 200


def test_failures_outside_the_window_do_not_add_up(narrow):
    name, addr = new_name("nobody"), new_address()
    fail(narrow, name, addr, 2)
    time.sleep(2.5)
    fail(narrow, name, addr, 2)
    assert login(narrow, name, "x", addr).status == 401, "a fresh window: not locked"
    assert login(narrow, name, "x", addr).status == 429


# --- answers and logs ------------------------------------------------------------------------

def test_throttled_form_login_shows_the_form_with_a_message(default):
    addr, name = new_address(), new_name("nobody")
    fail(default, name, addr, 5)
    r = login(default, name, "x", addr, form=True)
    assert r.status == 429
    assert r.header("Content-Type").startswith("text/html")
    assert b"Too many attempts. Try again in 5 minutes." in r.body
    assert b"<form" in r.body
    assert r.header("Retry-After")


def test_throttling_is_logged_with_user_address_and_reason(default):
    addr, name = new_address(), new_name("nobody")
    fail(default, name, addr, 5)
    since = default.error_log.mark()
    assert login(default, name, "x", addr).status == 429
    lines = [ln for ln in default.error_log.lines(since) if "TA00021:" in ln]
    assert lines, default.error_log.text(since)
    assert "login of %s from %s failed: throttled" % (name, addr) in lines[-1]


def test_refused_before_parsing_still_counts_nothing(default):
    """A malformed request is 400 before the throttle, and is not a failed login."""
    addr = new_address()
    for _ in range(6):
        r = raw_request(default.port, "POST", "/login",
                        [("Content-Type", "application/json")], b"{", source=addr)
        assert r.status == 400
    name = new_name("nobody")
    assert login(default, name, "x", addr).status == 401


def test_parallel_attempts_cannot_outrun_the_count(stock):
    """Attempts are counted before PAM, under one lock: of 12 sent at once for one user name
    (from 12 addresses), 3 reach PAM and the rest are 429, although every PAM answer takes a
    second or more."""
    name = new_name("nobody")
    since = stock.error_log.mark()
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(lambda a: login(stock, name, "wrong", a).status,
                                   [new_address() for _ in range(12)]))
    assert statuses == [401] * 3 + [429] * 9, statuses
    asked = stock.error_log.text(since).count("TA00061: helper: auth ")
    assert asked == 3, "PAM was asked %d times" % asked


def test_parallel_attempts_from_one_address_cannot_outrun_the_count(stock):
    addr = new_address()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(lambda n: login(stock, n, "wrong", addr).status,
                                   [new_name("nobody") for _ in range(10)]))
    assert statuses == [401] * 3 + [429] * 7, statuses
