"""Login names (SPEC §4; the login name rule of docs/handlers.md): which names may log in, the
name a token is issued for, and the name failures are counted under.

The rule: 1 to 64 bytes of ASCII letters, digits, ".", "_", "-" and "@", not starting with
"-". Any other name (UTF-8, spaces, control characters, longer names) gets the same generic 401
as a wrong password, at the same failure delay, is never passed to PAM, and is logged at info
with the reason, escaped. Such names used to pass PAM and then fail when the token was signed
(an answer of 503 for an account whose password was right).

A user database that ignores case (sssd, LDAP) is simulated with tests/integration/nss_ta_fold.c
(a test-only NSS module mounted in the namespace for this module's tests only): "ALICE" logs in
as alice, the token names alice, and failures under any spelling count for alice."""

import glob
import threading
import time

import pytest

from taharness import paths, tokens
from taharness.http import Client, raw_request
from taharness.site import FILES, RELAXED_THROTTLE
from taharness.waiting import wait_until

HELLO = FILES["files/hello.txt"]
FAILURE_JSON = {"error": "invalid_credentials"}
GENERIC_MESSAGE = "The user name or password is not right."
FAIL_DELAY_MIN = 0.9      # the failure delay is drawn in 1..3 s
NODELAY_SERVICE = "ta-names-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"
UTF8_NAMES = {"latin": "j\u00fcrgen", "cjk": "\u7528\u6237"}
REASON = "user name outside the login name rule"
FOLD_MODULE = paths.probe_path("nss_ta_fold.so")
FOLD_NSSWITCH = "passwd: files hesiod\ngroup: files\nshadow: files hesiod\n"


def escaped(name: str) -> str:
    """How Apache's error log writes name: bytes outside printable ASCII as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7f else "\\x%02x" % b for b in name.encode())


def logged(server, since: int, text: str, timeout: float = 5.0) -> bool:
    return bool(wait_until(lambda: text in server.error_log.text(since), timeout))


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fast(harness, apache_factory):
    """A server whose PAM service has no failure delay: pam_unix "nodelay"."""
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    yield apache_factory("fast", extra=["TokenAuthPAMService " + NODELAY_SERVICE,
                                        RELAXED_THROTTLE])
    harness.remove_pam_service(NODELAY_SERVICE)


@pytest.fixture(scope="module")
def utf8_users(harness):
    """Accounts with UTF-8 names in the namespace's /etc/passwd and /etc/shadow."""
    made = {k: harness.users.add_user(name, "pw-" + k) for k, name in UTF8_NAMES.items()}
    yield made
    for u in made.values():
        harness.users.delete_user(u.name)


def pam_probe(harness, user: str, password: str) -> str:
    """ta_pam_check's verdict for user, through the PAM stack we ship."""
    probe = paths.probe_path("ta_pam_probe")
    r = harness.ns.run([str(probe), "tokenauth", user], input=password,
                       env=harness.sanitizers.env(probe))
    out = dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)
    return out.get("status", "probe failed: %s %s" % (r.stdout, r.stderr))


def timed_logins(base_url: str, attempts: dict) -> dict:
    """attempts {key: (kind, user, password)} at once; {key: (response, seconds)}."""
    results = {}

    def attempt(key, kind, user, password):
        with Client(base_url, timeout=20) as c:
            t0 = time.monotonic()
            r = c.login(user, password) if kind == "json" else c.login_form(user, password)
            results[key] = (r, time.monotonic() - t0)

    threads = [threading.Thread(target=attempt, args=(k,) + v) for k, v in attempts.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert set(results) == set(attempts)
    return results


# --- names outside the rule -----------------------------------------------------------------

@pytest.mark.parametrize("kind", UTF8_NAMES)
def test_pam_itself_accepts_the_utf8_accounts(harness, utf8_users, kind):
    """The premise: PAM would let these accounts in, so their refusal is the rule's."""
    u = utf8_users[kind]
    assert pam_probe(harness, u.name, u.password) == "ok"


@pytest.mark.parametrize("kind", UTF8_NAMES)
def test_utf8_name_with_the_right_password_gets_the_generic_401(fast, utf8_users, kind):
    u = utf8_users[kind]
    mark = fast.error_log.mark()
    with Client(fast.base_url) as c:
        r = c.login(u.name, u.password)
        wrong = c.login("alice", "not-alice's")
    assert (r.status_code, r.json()) == (401, FAILURE_JSON), r.text[:200]
    assert r.content == wrong.content
    assert r.headers["Content-Type"] == wrong.headers["Content-Type"]
    assert r.raw.headers.getlist("Set-Cookie") == []
    assert logged(fast, mark, "TA00021: login of %s from 127.0.0.1 failed: %s"
                  % (escaped(u.name), REASON))


@pytest.mark.parametrize("kind", UTF8_NAMES)
def test_utf8_name_form_login_gets_the_form_with_the_generic_message(fast, utf8_users, kind):
    u = utf8_users[kind]
    with Client(fast.base_url) as c:
        r = c.login_form(u.name, u.password)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.count(GENERIC_MESSAGE) == 1
    assert r.raw.headers.getlist("Set-Cookie") == []


def test_name_outside_the_rule_never_reaches_pam(fast, utf8_users):
    """The helper refuses it before PAM (its debug line says so; no PAM verdict is logged for
    it), and the password was never sent to the helper at all."""
    u = utf8_users["latin"]
    mark = fast.error_log.mark()
    with Client(fast.base_url) as c:
        assert c.login(u.name, u.password).status_code == 401
    assert logged(fast, mark, "TA00092: helper: login of")
    text = fast.error_log.text(mark)
    assert "refused before PAM: outside the login name rule" in text
    assert "TA00061" not in text        # the helper's line for every PAM check
    assert u.password not in text


OTHER_NAMES = {"space": "a b", "control": "al\x01ce", "65-bytes": "x" * 65,
               "dash-first": "-alice", "plus": "a+b", "empty": "", "300-bytes": "n" * 300}


def test_other_names_outside_the_rule_get_the_generic_401(fast):
    """Whatever the protocol to the helper could carry or not: one answer, one log line each
    (all at once: each waits the failure delay)."""
    mark = fast.error_log.mark()
    results = timed_logins(fast.base_url, {k: ("json", name, "some password")
                                           for k, name in OTHER_NAMES.items()})
    assert {k: (r.status_code, r.json()) for k, (r, _) in results.items()} == \
        dict.fromkeys(OTHER_NAMES, (401, FAILURE_JSON))
    assert wait_until(lambda: fast.error_log.text(mark).count("failed: " + REASON)
                      == len(OTHER_NAMES), 5)


def test_refused_names_wait_the_failure_delay_like_a_wrong_password(server, utf8_users):
    """On the PAM stack we ship: a name the rule refuses answers no sooner than a wrong
    password does, whatever the protocol could carry (all at once, in parallel)."""
    u = utf8_users["cjk"]
    results = timed_logins(server.base_url, {
        "utf8-right-password": ("json", u.name, u.password),
        "utf8-form": ("form", utf8_users["latin"].name, "whatever"),
        "control": ("json", "al\x01ce", "whatever"),
        "long": ("json", "n" * 300, "whatever"),
        "wrong-password": ("json", "alice", "not-alice's"),
    })
    assert {k: r.status_code for k, (r, _) in results.items()} == dict.fromkeys(results, 401)
    times = {k: round(t, 2) for k, (_, t) in results.items()}
    assert min(times.values()) >= FAIL_DELAY_MIN, times


def test_tokens_never_name_an_account_outside_the_rule(harness, server, utf8_users, key_file):
    """Neither the CLI nor a token signed with the server's own key gets such a name in: the
    access checker refuses the token as it would a forged one."""
    u = utf8_users["latin"]
    with pytest.raises(RuntimeError):
        harness.mint(u.name)
    forged = tokens.forge(key_file.signing_key, tokens.claims(u))
    with Client(server.base_url) as c:
        r = c.get_with_token("/files/hello.txt", forged)
        assert r.status_code == 401
        assert "invalid_token" in r.headers.get("WWW-Authenticate", "")
        good = c.get_with_token("/files/hello.txt", tokens.forge(
            key_file.signing_key, tokens.claims(harness.users.get("alice"))))
        assert (good.status_code, good.text) == (200, HELLO)


# --- a user database that ignores case ------------------------------------------------------

def hesiod_path() -> str:
    found = sorted(glob.glob("/usr/lib/*/libnss_hesiod.so.2"))
    if not found:
        pytest.fail("libnss_hesiod.so.2 not found: the folding user database needs its place")
    return found[0]


@pytest.fixture(scope="module")
def folded_db(harness):
    """In the namespace only, while this fixture lasts: getpwnam and getspnam ignore case.
    Servers started after it take it up (glibc also rereads a changed nsswitch.conf)."""
    if not FOLD_MODULE.exists():
        pytest.fail("not built: %s (make -f Makefile.apxs probes)" % FOLD_MODULE, pytrace=False)
    nsswitch = harness.workdir / "nsswitch-fold.conf"
    nsswitch.write_text(FOLD_NSSWITCH)
    nsswitch.chmod(0o644)
    mounts = [(str(FOLD_MODULE), hesiod_path()), (str(nsswitch), "/etc/nsswitch.conf")]
    done = []
    try:
        for src, dst in mounts:
            harness.ns.run(["mount", "--bind", src, dst], check=True)
            done.append(dst)
        check = harness.ns.run(["getent", "passwd", "ALICE"])
        assert check.stdout.startswith("alice:"), (check.stdout, check.stderr)
        yield
    finally:
        for dst in reversed(done):
            harness.ns.run(["umount", dst], check=True)
    assert harness.ns.run(["getent", "passwd", "ALICE"]).returncode != 0


@pytest.fixture(scope="module")
def folding_server(folded_db, fast, apache_factory):
    """A server started under the folding database, on fast's PAM service (no failure delay),
    with TokenAuthLoginThrottle 3 300 300."""
    return apache_factory("folding", extra=["TokenAuthPAMService " + NODELAY_SERVICE,
                                            "TokenAuthLoginThrottle 3 300 300"])


def test_other_spelling_logs_in_as_the_account_itself(folding_server, alice):
    """PAM accepts "ALICE"; the token, the answer and REMOTE_USER name alice, as the user
    database spells her, so that `Require user alice` and her files work."""
    with Client(folding_server.base_url) as c:
        r = c.login("ALICE", alice.password)
        assert r.status_code == 200, r.text[:200]
        body = r.json()
        assert (body["user"], body["uid"]) == ("alice", alice.uid)
        assert tokens.parts(body["token"])[1]["sub"] == "alice"
        only = c.get_with_token("/only-alice/hello.txt", body["token"])
        assert (only.status_code, only.text) == (200, FILES["only-alice/hello.txt"])
        env = c.get_with_token("/env/id.txt", body["token"])
        assert env.headers["X-Ta-User"] == "alice"


def test_failures_under_other_spellings_count_for_the_account(folding_server, alice, bob):
    """An attacker who varies the case of the name (and the address) to escape the count:
    three failures as ALICE, Alice and aLIce from three addresses lock alice (limit 3), so the
    right password as AlIcE from a fourth address is throttled, by the helper's count of the
    account; bob, from another address, is not."""
    port, mark = folding_server.port, folding_server.error_log.mark()

    def login(name, password, source):
        return raw_request(port, "POST", "/login", source=source, headers=[
            ("Content-Type", "application/json")], body=(
                '{"username":"%s","password":"%s"}' % (name, password)).encode())

    for i, name in enumerate(["ALICE", "Alice", "aLIce"]):
        assert login(name, "wrong-%d" % i, "127.0.0.%d" % (10 + i)).status == 401
    locked = login("AlIcE", alice.password, "127.0.0.13")
    assert locked.status == 429
    assert int(locked.header("Retry-After")) > 0
    assert logged(folding_server, mark, "TA00063: helper: login of AlIcE throttled")
    assert login("bob", bob.password, "127.0.0.14").status == 200


def test_case_variants_do_not_tell_a_known_account_from_an_unknown_name(folding_server,
                                                                                 carol):
    """User enumeration (found by an attack review): the helper counts a known account's failures under
    its canonical name, an unknown name's under the name as typed. Three wrong passwords under
    three spellings of a name, from three addresses (the HTTP side counts each spelling and
    each address apart), then a fourth spelling from a fourth address: for carol that is 429
    (the helper's count of the account), for a name nobody has it is 401. The answer tells
    whether the account exists. Expected: the same answer for both."""
    port = folding_server.port

    def login(name, source):
        return raw_request(port, "POST", "/login", source=source, headers=[
            ("Content-Type", "application/json")], body=(
                '{"username":"%s","password":"wrong"}' % name).encode()).status

    def probe(spellings, first_addr):
        return [login(n, "127.0.0.%d" % (first_addr + i)) for i, n in enumerate(spellings)]

    known = probe(["CAROL", "Carol", "cAROL", "CaRoL"], 20)
    unknown = probe(["NOSUCHR2", "Nosuchr2", "nOSUCHR2", "NoSuChR2"], 30)
    assert known[:3] == unknown[:3] == [401] * 3, (known, unknown)
    assert known[3] == unknown[3], ("carol exists: %d, nosuchr2 does not: %d"
                                    % (known[3], unknown[3]))
