"""The failure delay of a login (SPEC §4: "the same answer and about the same time for an unknown
user as for a wrong password"; src/helper/ta_delay.h).

The helper answers every refusal at the start of the attempt plus one draw of 1-3 s (libpam's
distribution for pam_unix's 2 s), whatever the reason: a wrong password, an unknown user, an
expired or locked account whose password was right, an account below TokenAuthMinUID. PAM's
own sleep is switched off (PAM_FAIL_DELAY), so refusals that PAM would not have slept wait the
same. A throttled attempt and a success answer at once, and a delayed refusal holds up nothing
but itself. The distribution itself is a unit test (tests/unit/test_delay.c); the before/after
numbers are tests/bench/bench_login_timing.py's.

Refusals against the PAM stack we ship cost 1-3 s each, so they run in parallel threads."""

import threading
import time

import pytest

from taharness import helperproc
from taharness.http import Client
from taharness.site import FILES, RELAXED_THROTTLE

HELLO = FILES["files/hello.txt"]
FAIL_DELAY_MIN = 0.9      # the draw lies in 1..3 s
FAIL_DELAY_MAX = 3.0 + 2.0  # ... plus generous room for a loaded machine
AT_ONCE = 0.9             # anything that must not wait the delay
NODELAY_SERVICE = "ta-delay-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"


@pytest.fixture(scope="module")
def accounts(harness):
    """low first, so that its uid is the lowest; expired and locked with their right password."""
    made = {k: harness.users.add_user("delay-" + k, "delay-%s-pw" % k)
            for k in ("low", "ok", "other", "expired", "locked")}
    harness.users.expire(made["expired"].name)
    harness.users.lock(made["locked"].name)
    yield made
    for u in made.values():
        harness.users.delete_user(u.name)


@pytest.fixture(scope="module")
def stock(apache_factory, accounts):
    """The PAM stack we ship; delay-low is below this server's TokenAuthMinUID (and so are the
    session's users, alice, bob and carol, made before it)."""
    return apache_factory("stock", extra=[RELAXED_THROTTLE,
                                          "TokenAuthMinUID %d" % (accounts["low"].uid + 1)])


def timed(base_url, attempts: dict) -> dict:
    """attempts {key: (user, password)}, JSON logins all at once; {key: (status, seconds)}."""
    results = {}

    def attempt(key, user, password):
        with Client(base_url, timeout=20) as c:
            t0 = time.monotonic()
            r = c.login(user, password)
            results[key] = (r.status_code, time.monotonic() - t0)

    threads = [threading.Thread(target=attempt, args=(k,) + v) for k, v in attempts.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert set(results) == set(attempts)
    return results


def test_every_refusal_waits_the_failure_delay(stock, accounts):
    """Each kind of refusal, the right password where there is one: 401 after 1-3 s."""
    a = accounts
    results = timed(stock.base_url, {
        "wrong password": (a["ok"].name, "not-" + a["ok"].password),
        "unknown user": ("delay-nosuch", "whatever"),
        "expired, right password": (a["expired"].name, a["expired"].password),
        "locked, right password": (a["locked"].name, a["locked"].password),
        "below TokenAuthMinUID, right password": (a["low"].name, a["low"].password),
        "name outside the rule": ("d\u00e9lai", "whatever"),
    })
    assert {k: s for k, (s, _) in results.items()} == dict.fromkeys(results, 401)
    times = {k: round(t, 2) for k, (_, t) in results.items()}
    assert all(FAIL_DELAY_MIN <= t <= FAIL_DELAY_MAX for t in times.values()), times


def test_success_answers_at_once(stock, accounts):
    u = accounts["ok"]
    with Client(stock.base_url) as c:
        t0 = time.monotonic()
        r = c.login(u.name, u.password)
        elapsed = time.monotonic() - t0
    assert r.status_code == 200
    assert elapsed < AT_ONCE, elapsed


def test_refusals_in_flight_hold_up_no_other_login_or_file(stock, accounts, mint):
    """Eight refusals wait their delay at once (each on its own helper thread); meanwhile a
    login and a file request of another account answer at once."""
    u, other = accounts["ok"], accounts["other"]
    token = mint(other.name)
    waiting = threading.Thread(target=timed, args=(stock.base_url, {
        i: (u.name, "wrong-%d" % i) for i in range(8)}))
    waiting.start()
    try:
        time.sleep(0.3)        # the refusals are in the helper by now
        with Client(stock.base_url) as c:
            t0 = time.monotonic()
            login = c.login(other.name, other.password)
            file = c.get_with_token("/files/hello.txt", token)
            elapsed = time.monotonic() - t0
        assert waiting.is_alive()   # still waiting out their delay
    finally:
        waiting.join(timeout=30)
    assert login.status_code == 200
    assert (file.status_code, file.text) == (200, HELLO)
    assert elapsed < AT_ONCE, elapsed


@pytest.fixture(scope="module")
def strict(apache_factory):
    """The PAM stack we ship, and a throttle that locks after 2 failures."""
    return apache_factory("strict", extra=["TokenAuthLoginThrottle 2 300 300"])


def test_throttled_login_answers_at_once(strict, accounts):
    """After the limit, 429 comes without the delay (decided before PAM): a locked-out guesser
    gets its answer fast and learns nothing; before it, each failure waited."""
    u = accounts["ok"]
    with Client(strict.base_url, timeout=20) as c:
        t0 = time.monotonic()
        assert [c.login(u.name, "wrong-%d" % i).status_code for i in range(2)] == [401, 401]
        assert time.monotonic() - t0 >= 2 * FAIL_DELAY_MIN
        t0 = time.monotonic()
        r = c.login(u.name, u.password)
        elapsed = time.monotonic() - t0
    assert r.status_code == 429
    assert elapsed < AT_ONCE, elapsed


def test_throttled_answer_of_the_helper_itself_comes_at_once(harness, strict, accounts):
    """The helper's own count (behind the HTTP one, for a client that talks to it directly
    from inside an Apache child): its THROTTLED answer is not delayed either."""
    u = accounts["locked"]

    def ask(password):
        t0 = time.monotonic()
        frame = helperproc.ask(harness.ns, strict, helperproc.auth_req(u.name, password,
                                                                       "192.0.2.5"))
        return helperproc.auth_resp(frame).result, time.monotonic() - t0

    first, second = ask("wrong-1"), ask("wrong-2")
    assert [first[0], second[0]] == [helperproc.AUTH_BAD_CREDENTIALS] * 2
    assert min(first[1], second[1]) >= FAIL_DELAY_MIN
    result, elapsed = ask("wrong-3")
    assert result == helperproc.AUTH_THROTTLED
    assert elapsed < AT_ONCE, elapsed


@pytest.fixture(scope="module")
def nodelay(harness, apache_factory):
    """pam_unix "nodelay": the administrator's way to turn the delay off."""
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    yield apache_factory("nodelay", extra=["TokenAuthPAMService " + NODELAY_SERVICE,
                                           RELAXED_THROTTLE])
    harness.remove_pam_service(NODELAY_SERVICE)


def test_nodelay_stack_refuses_at_once(nodelay, accounts):
    """The helper follows the stack: without a delay asked for, a wrong password and an
    expired account with its right password are refused at once, alike."""
    a = accounts
    with Client(nodelay.base_url) as c:
        t0 = time.monotonic()
        statuses = [c.login(a["ok"].name, "wrong").status_code,
                    c.login(a["expired"].name, a["expired"].password).status_code]
        elapsed = time.monotonic() - t0
    assert statuses == [401, 401]
    assert elapsed < AT_ONCE, elapsed
