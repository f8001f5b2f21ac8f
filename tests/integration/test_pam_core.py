"""ta_pam_check (src/helper/ta_pam.c) against real pam_unix in the harness's namespace (SPEC §4: PAM
runs pam_authenticate and then pam_acct_mgmt; expired or locked accounts fail; the same answer
for an unknown user as for a wrong password).

Each check runs tests/integration/ta_pam_probe.c once, as root like the privileged helper, with
our conf/pam.d/tokenauth. Some services use pam_ta_prompt.so (tests/integration/pam_ta_prompt.c),
a test-only module that asks the conversation what real modules may ask. make builds both into
<build>/probe; nothing is compiled here."""

import shutil
import subprocess
from dataclasses import dataclass

import pytest

from taharness import paths, sanitizers

PROBE = paths.probe_path("ta_pam_probe")
PROMPT_MODULE = paths.probe_path("pam_ta_prompt.so")
CHECK_TIMEOUT = 20        # a conversation that waited for input would hang: never
FAST = 0.5                # a check that PAM does not sleep (pam_unix hashes in ~10 ms); the
                          # failure delay is the helper's, after the check (ta_delay.h)
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"
VALGRIND = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect"]


@dataclass
class Check:
    status: str
    why: str
    seconds: float        # as measured inside the probe, around ta_pam_check alone
    fail_delay: int       # 1: a refusal is to wait the failure delay; 0: the stack asked none
    returncode: int
    stderr: str


class Pam:
    """The probe in the namespace, and PAM service files in the namespace's pam.d copy."""

    def __init__(self, harness):
        self.harness = harness
        self.pamd = harness.ns.etc / "pam.d"
        self.services = []

    def service(self, name: str, text: str) -> str:
        (self.pamd / name).write_text(text)
        self.services.append(name)
        return name

    def check(self, user, password, service="tokenauth", rhost=None, as_user=None,
              wrapper=()) -> Check:
        argv = [str(PROBE), service, user] + ([rhost] if rhost is not None else [])
        if as_user:
            argv = ["runuser", "-u", as_user, "--"] + argv
        r = self.harness.ns.run(list(wrapper) + argv, input=password, timeout=CHECK_TIMEOUT,
                                env=self.harness.sanitizers.env(PROBE))
        out = dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)
        assert "status" in out, "probe failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr)
        assert password == "" or password not in r.stdout + r.stderr
        return Check(out["status"], out["why"], int(out["elapsed_us"]) / 1e6,
                     int(out["fail_delay"]), r.returncode, r.stderr)

    def remove_services(self) -> None:
        for name in self.services:
            (self.pamd / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def pam(harness):
    missing = [str(p) for p in (PROBE, PROMPT_MODULE) if not p.exists()]
    if missing:
        pytest.fail("not built: %s (make -f Makefile.apxs probes)" % ", ".join(missing),
                    pytrace=False)
    p = Pam(harness)
    # the harness installs our service file for every server; these checks run it as shipped
    assert (p.pamd / "tokenauth").read_text() == \
        (paths.repo_root() / "conf" / "pam.d" / "tokenauth").read_text()
    yield p
    p.remove_services()


@pytest.fixture
def user(harness):
    """A throw-away account (its shadow line is changed by the test), removed afterwards."""
    made = []

    def make(name, password=None):
        made.append(harness.users.add_user(name, password or name + "-pw"))
        return made[-1]
    yield make
    for u in made:
        harness.users.delete_user(u.name)


def prompting(*args) -> str:
    """An auth stack of pam_ta_prompt.so with args, then common-auth and common-account."""
    return "auth required %s %s\n@include common-auth\n@include common-account\n" \
        % (PROMPT_MODULE, " ".join(args))


# --- passwords ----------------------------------------------------------------------------

def test_right_password_is_ok(pam, alice):
    c = pam.check("alice", alice.password)
    assert (c.status, c.returncode, c.why) == ("ok", 0, "authenticated")


def test_wrong_password_is_bad_credentials(pam, alice):
    c = pam.check("alice", "not-" + alice.password)
    assert (c.status, c.why) == ("bad_credentials", "pam_authenticate: Authentication failure")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(pam, alice):
    """pam_unix says PAM_USER_UNKNOWN, but Debian's common-auth only jumps over pam_deny on
    success: the application sees pam_deny's PAM_AUTH_ERR either way, and so do logs."""
    unknown = pam.check("nobody-such", "whatever")
    wrong = pam.check("alice", "whatever")
    assert (unknown.status, unknown.why) == (wrong.status, wrong.why)


def test_failures_ask_for_the_delay_alike_and_pam_does_not_sleep_it(pam, alice, user):
    """pam_unix asks for its fail delay for a wrong password, an unknown user and a refused
    account alike (SPEC §4: about the same time); ta_pam_check passes the request on and PAM
    does not sleep it: the helper waits, for every refusal alike, also for those PAM itself
    would not have slept (an expired account whose password was right)."""
    user("pam-expired-delay")
    pam.harness.users.expire("pam-expired-delay")
    checks = {"wrong": pam.check("alice", "wrong"),
              "unknown": pam.check("nobody-such", "wrong"),
              "expired": pam.check("pam-expired-delay", "pam-expired-delay-pw"),
              "right": pam.check("alice", alice.password)}
    assert [c.status for c in checks.values()] == ["bad_credentials", "bad_credentials",
                                                   "account_refused", "ok"]
    assert {k: c.fail_delay for k, c in checks.items()} == dict.fromkeys(checks, 1)
    slow = {k: c.seconds for k, c in checks.items() if c.seconds >= FAST}
    assert slow == {}, slow


def test_nodelay_stack_asks_for_no_delay(pam, alice):
    """pam_unix's "nodelay" is how an administrator turns the delay off; it still refuses."""
    svc = pam.service("ta-pam-nodelay", NODELAY_PAM)
    wrong = pam.check("alice", "wrong", service=svc)
    assert (wrong.status, wrong.fail_delay) == ("bad_credentials", 0)
    assert pam.check("alice", alice.password, service=svc).status == "ok"


def test_refusal_before_pam_keeps_the_delay(pam, alice):
    """An empty password never reaches PAM, which could not say whether it wants a delay:
    the refusal keeps it."""
    c = pam.check("alice", "")
    assert (c.status, c.fail_delay) == ("bad_credentials", 1)


def test_password_is_passed_byte_for_byte(pam, user):
    pw = "pässwörd with spaces, 'quotes' \"and\" \\ \t tab"
    user("pam-bytes", pw)
    assert pam.check("pam-bytes", pw).status == "ok"
    assert pam.check("pam-bytes", pw + " ").status == "bad_credentials"
    assert pam.check("pam-bytes", pw[:-1]).status == "bad_credentials"


def test_empty_password_is_refused_before_pam(pam, alice):
    c = pam.check("alice", "")
    assert (c.status, c.why) == ("bad_credentials", "empty password")
    assert c.seconds < FAST


def test_empty_user_name_is_refused_before_pam(pam):
    """PAM would otherwise prompt for a user name."""
    c = pam.check("", "whatever")
    assert (c.status, c.why) == ("bad_credentials", "empty user name")


def test_account_without_password_never_logs_in(harness, pam, user):
    """Debian's common-auth has pam_unix nullok: without PAM_DISALLOW_NULL_AUTHTOK an account
    with an empty hash is let in (pamtester shows it), whatever it is sent."""
    user("pam-nopw")
    harness.users.clear_password("pam-nopw")
    if shutil.which("pamtester"):
        r = harness.ns.run(["pamtester", "tokenauth", "pam-nopw", "authenticate"],
                           stdin=subprocess.DEVNULL, timeout=CHECK_TIMEOUT)
        assert r.returncode == 0, "nullok no longer lets it in: this test proves nothing"
    assert pam.check("pam-nopw", "anything").status == "bad_credentials"
    assert pam.check("pam-nopw", "").status == "bad_credentials"


# --- accounts -----------------------------------------------------------------------------

def test_locked_account_is_bad_credentials_even_with_the_right_password(harness, pam, user):
    """'!' before the hash (passwd -l) makes the hash unmatchable: pam_authenticate refuses,
    pam_acct_mgmt is never reached."""
    u = user("pam-locked")
    harness.users.lock("pam-locked")
    c = pam.check("pam-locked", u.password)
    assert (c.status, c.why) == ("bad_credentials", "pam_authenticate: Authentication failure")


def test_expired_account_is_account_refused(harness, pam, user):
    """pam_unix's account check says PAM_ACCT_EXPIRED; through Debian's common-account the
    application sees pam_deny's PAM_AUTH_ERR, which after a right password is the account."""
    u = user("pam-expired")
    harness.users.expire("pam-expired")
    c = pam.check("pam-expired", u.password)
    assert c.status == "account_refused"
    assert c.why.startswith("pam_acct_mgmt: ") and "account has expired" in c.why


def test_expired_account_with_wrong_password_is_bad_credentials(harness, pam, user):
    """ACCOUNT_REFUSED would tell that the password was right."""
    user("pam-expired2")
    harness.users.expire("pam-expired2")
    assert pam.check("pam-expired2", "wrong").status == "bad_credentials"


def test_required_password_change_is_account_refused_without_a_prompt(harness, pam, user):
    """passwd -e: pam_acct_mgmt says PAM_NEW_AUTHTOK_REQD; we never start a change."""
    u = user("pam-change")
    harness.users.require_password_change("pam-change")
    c = pam.check("pam-change", u.password)
    assert (c.status, c.returncode) == ("account_refused", 2)
    assert "new one required" in c.why and c.seconds < FAST


# --- services -----------------------------------------------------------------------------

def test_service_without_pam_file_falls_back_to_other(pam, alice):
    """Debian's /etc/pam.d/other includes the common-* files, so a missing
    /etc/pam.d/tokenauth behaves like ours; other distributions deny in other."""
    assert not (pam.pamd / "ta-no-such-service").exists()
    assert pam.check("alice", alice.password, service="ta-no-such-service").status == "ok"
    assert pam.check("alice", "wrong", service="ta-no-such-service").status == "bad_credentials"


def test_service_without_pam_file_or_other_is_unavailable(pam, alice):
    """pam_start fails (PAM_ABORT). libpam 1.5.2 leaks about 96 bytes on this path, inside
    the handle it has already freed: nothing a caller can release."""
    other = pam.pamd / "other"
    other.rename(pam.pamd / "other.ta-test")
    try:
        c = pam.check("alice", alice.password, service="ta-no-such-service")
    finally:
        (pam.pamd / "other.ta-test").rename(other)
    assert c.status == "unavailable" and c.why.startswith("pam_start: ")


@pytest.mark.parametrize("service", ["../tokenauth", "a/b", ".hidden", "x" * 65, "t\nx"])
def test_invalid_service_name_is_unavailable(pam, alice, service):
    c = pam.check("alice", alice.password, service=service)
    assert (c.status, c.why) == ("unavailable", "invalid PAM service name")


def test_missing_module_is_unavailable(pam, alice):
    """A required module that cannot be loaded is PAM failing (503), not a wrong password."""
    pam.service("ta-missing-auth",
                "auth required pam_ta_no_such_module.so\n@include common-auth\n")
    pam.service("ta-missing-acct",
                "@include common-auth\naccount required pam_ta_no_such_module.so\n")
    for service, step in (("ta-missing-auth", "pam_authenticate"),
                          ("ta-missing-acct", "pam_acct_mgmt")):
        c = pam.check("alice", alice.password, service=service)
        assert (c.status, c.why) == ("unavailable", step + ": Module is unknown")


def test_client_address_reaches_pam_as_rhost(harness, pam, alice):
    """PAM_RHOST, IPv4 and IPv6 alike (SPEC §7); not set at all without an address. pam_exec
    exports the item as $PAM_RHOST to a command whose output it logs."""
    log = harness.workdir / "pam-rhost.log"
    service = pam.service("ta-rhost",
                          "auth optional pam_exec.so quiet log=%s /bin/sh -c "
                          "[echo rhost=${PAM_RHOST-unset}]\n"
                          "@include common-auth\n@include common-account\n" % log)
    for rhost in ("192.0.2.7", "2001:db8::7", "", None):
        assert pam.check("alice", alice.password, service=service, rhost=rhost).status == "ok"
    seen = [ln for ln in log.read_text().splitlines() if ln.startswith("rhost=")]
    assert seen == ["rhost=192.0.2.7", "rhost=2001:db8::7", "rhost=unset", "rhost=unset"]


def test_module_changing_the_user_name_is_account_refused(pam, alice, bob):
    """A module that maps login names (PAM_USER changed) would have us issue a token for a
    name PAM did not check the password of: refused, never followed."""
    service = pam.service("ta-rename", "@include common-auth\n"
                          "auth required %s user=bob\n@include common-account\n" % PROMPT_MODULE)
    c = pam.check("alice", alice.password, service=service)
    assert c.status == "account_refused" and "PAM changed the user name" in c.why
    assert pam.check("alice", "wrong", service=service).status == "bad_credentials"


# --- the conversation ---------------------------------------------------------------------

def test_the_first_hidden_prompt_gets_exactly_the_password(pam, alice):
    """One conversation call with messages around the prompt: messages need no answer."""
    service = pam.service("ta-batch", "auth required %s batch expect=%s err:oops info:hi "
                          "off:Password:\n@include common-account\n"
                          % (PROMPT_MODULE, alice.password))
    c = pam.check("alice", alice.password, service=service)
    assert (c.status, c.why) == ("ok", 'authenticated; module said "oops"')
    assert pam.check("alice", "other", service=service).status == "bad_credentials"


def test_second_hidden_prompt_is_refused_not_answered(pam, alice):
    """A second password prompt ("New password:", a one-time code) fails the conversation:
    the password is never given to it and the check never hangs."""
    service = pam.service("ta-second", "@include common-auth\n"
                          "auth required %s off:New-password:\n@include common-account\n"
                          % PROMPT_MODULE)
    c = pam.check("alice", alice.password, service=service)
    assert c.status == "bad_credentials"
    assert c.why == ('pam_authenticate: Conversation error; '
                     'refused second hidden prompt "New-password:"')


def test_second_hidden_prompt_in_the_same_call_frees_the_first_answer(pam, alice):
    """The failure path that has an answer to free (valgrind checks the freeing)."""
    service = pam.service("ta-two-in-one", "auth required %s batch off:Password: off:Again:\n"
                          "@include common-account\n" % PROMPT_MODULE)
    c = pam.check("alice", alice.password, service=service)
    assert c.status == "bad_credentials" and 'refused second hidden prompt "Again:"' in c.why


def test_visible_prompt_is_refused(pam, alice):
    service = pam.service("ta-visible", prompting("on:Verification-code:"))
    c = pam.check("alice", alice.password, service=service)
    assert c.status == "bad_credentials"
    assert 'refused visible prompt "Verification-code:"' in c.why


def test_prompt_in_the_account_stack_is_account_refused(pam, alice):
    service = pam.service("ta-acct-prompt", "@include common-auth\n"
                          "account required %s on:Name:\n" % PROMPT_MODULE)
    c = pam.check("alice", alice.password, service=service)
    assert c.status == "account_refused"
    assert c.why == 'pam_acct_mgmt: Conversation error; refused visible prompt "Name:"'


def test_module_messages_are_noted_without_control_characters(harness, pam, alice):
    """A module's text goes to our log: newlines and escapes must not forge log lines."""
    text = harness.workdir / "pam-message.txt"
    text.write_text("line one\nline two\x1b[31m\n")
    service = pam.service("ta-echo", "auth optional pam_echo.so file=%s\n"
                          "@include common-auth\n@include common-account\n" % text)
    c = pam.check("alice", alice.password, service=service)
    assert (c.status, c.why) == ("ok", 'authenticated; module said "line one?line two?[31m"')


# --- who may check ------------------------------------------------------------------------

def test_non_root_caller_checks_only_its_own_account(pam, alice, bob):
    """SPEC §6: a helper not started as root runs as Apache's user and can log in that one
    account; pam_unix's unix_chkpwd refuses to check anybody else's password."""
    assert pam.check("alice", alice.password, as_user="alice").status == "ok"
    assert pam.check("bob", bob.password, as_user="alice").status == "bad_credentials"


# --- memory -------------------------------------------------------------------------------

@pytest.mark.skipif(sanitizers.enabled(), reason="ASan and valgrind do not mix")
def test_no_memory_errors_or_leaks_under_valgrind(pam, alice):
    """Success, refusal, and the conversation's failure paths, under valgrind (exit 99 on an
    error or a definite/indirect leak)."""
    if not shutil.which("valgrind"):
        pytest.skip("valgrind not installed")
    pam.service("ta-vg-second", "auth required %s batch off:Password: off:Again:\n"
                "@include common-account\n" % PROMPT_MODULE)
    cases = [("tokenauth", alice.password), ("tokenauth", "wrong"),
             ("ta-vg-second", alice.password)]
    for service, password in cases:
        c = pam.check("alice", password, service=service, wrapper=VALGRIND)
        assert c.returncode != 99, "valgrind (service %s):\n%s" % (service, c.stderr)
        assert c.stderr == "", c.stderr
