"""PAM runs in a process of its own (SPEC §6, issue 9): a PAM module that crashes, hangs or
changes the process's credentials may fail logins (401 or 503, answered in bounded time and
logged) but never takes the helper down, never stops file serving, and never makes the
helper serve a file with the wrong user's rights.

One server; each PAM service is a virtual host of its own (TokenAuthPAMService is a server
directive), all sharing one helper, its PAM broker and the same /login and home locations;
the first virtual host keeps the shipped pam_unix service. The misbehaving modules are
tests/integration/pam_ta_misbehave.c, built by `make probes`.

Each bad login is one episode: while it runs, alice and bob fetch their own home files in a
loop; the episode records the login's answer and time, the helper's and the broker's pids
before and after, every file answer and the log lines it added. The tests then read one
property each from the episodes."""

import json
import os
import re
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest

from taharness import helperproc, paths, procs, tokens
from taharness.http import Client
from taharness.site import RELAXED_THROTTLE, key_file_line
from taharness.waiting import wait_until

MODULE = paths.probe_path("pam_ta_misbehave.so")
BAD_USER = "mallet"          # the account the misbehaving logins are for
MAIN_HOST = "main.test"       # the shipped PAM service (pam_unix)
PAM_ALARM = 20                # the broker's deadline for one PAM conversation (design)
QUICK_BOUND = 10              # a crash must be answered well within this
HANG_BOUND = PAM_ALARM + 15   # a hang: the deadline, and some slack for a loaded machine
SETTLE = 30                   # how long a PAM child may take to be reaped after the answer
TRAFFIC_LEAD = 0.5            # file traffic before and after the login, seconds
REQUEST_TIMEOUT = 10

# name -> (module arguments, bound in seconds for the login's answer)
BEHAVIOURS = {
    "segv": ("segv", QUICK_BOUND),
    "abort": ("abort", QUICK_BOUND),
    "hang": ("hang", HANG_BOUND),
    "stubborn_hang": ("hang stubborn", HANG_BOUND),
    "seteuid_then_fail": ("seteuid=bob", QUICK_BOUND),
}
SETEUID_SUCCEED = ("seteuid_then_succeed", "seteuid=bob succeed")
HANGS = ("hang", "stubborn_hang")


def service_name(behaviour: str) -> str:
    return "ta-" + behaviour.replace("_", "-")


def host_of(behaviour: str) -> str:
    return behaviour.replace("_", "-") + ".test"


ALL_BEHAVIOURS = list(BEHAVIOURS) + [SETEUID_SUCCEED[0]]

# A PAM process that crashed or hung is an error for the operator to see: the helper's line
# naming the service, and the login handler's for BAD_USER. Nothing else is expected.
ERROR_LOG_ALLOW = [r"TA00062: helper: PAM unavailable for service "
                   r"ta-(segv|abort|hang|stubborn-hang): ",
                   r"TA00022: login of %s from \S+: PAM unavailable$" % BAD_USER]


def site(key_file):
    """Login and home locations for every virtual host, one virtual host per PAM service."""
    def snippet(p) -> str:
        vhosts = ["<VirtualHost 127.0.0.1:%d>\n    ServerName %s\n</VirtualHost>"
                  % (p.port, MAIN_HOST)]
        for b in ALL_BEHAVIOURS:
            vhosts.append("<VirtualHost 127.0.0.1:%d>\n    ServerName %s\n"
                          "    TokenAuthPAMService %s\n</VirtualHost>"
                          % (p.port, host_of(b), service_name(b)))
        return f"""\
{key_file_line(key_file)}
{RELAXED_THROTTLE}
<Location /login>
    SetHandler tokenauth-login
</Location>
<Location /mine>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
<Location /lax>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
    TokenAuthOwnerOnly Off
</Location>
""" + "\n".join(vhosts) + "\n"
    return snippet


@pytest.fixture(scope="module")
def srv(harness, apache_factory):
    if not MODULE.exists():
        pytest.fail("not built: %s (make -f Makefile.apxs probes)" % MODULE, pytrace=False)
    if BAD_USER not in harness.users.users:
        harness.users.add_user(BAD_USER, BAD_USER + "-pw")
    for b, (args, _) in BEHAVIOURS.items():
        harness.pam_service(service_name(b), pam_text(args))
    harness.pam_service(service_name(SETEUID_SUCCEED[0]), pam_text(SETEUID_SUCCEED[1]))
    server = apache_factory("main", snippets=[site(harness.key_file.path)])
    yield server
    kill_left_pam_children()     # first, so that the broker reaps them (no zombie is left)
    server.stop()
    for b in ALL_BEHAVIOURS:
        harness.remove_pam_service(service_name(b))


def pam_text(args: str) -> str:
    return "auth required %s %s\naccount required pam_permit.so\n" % (MODULE, args)


def kill_left_pam_children() -> None:
    """A hung PAM child the broker failed to end would sleep for an hour: end those of our
    module (found by the module's path in their maps, so never anything else)."""
    for pid in procs.processes_mapping(MODULE):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- the helper's processes -----------------------------------------------------------------

def helper_pid(server):
    live = [p.pid for p in helperproc.helpers_of(server) if p.state != "Z"]
    return live[0] if len(live) == 1 else None


def broker_pid(server):
    """The PAM broker: the helper's one child while no login is in flight."""
    h = helper_pid(server)
    kids = procs.children(h) if h else []
    return kids[0] if len(kids) == 1 else None


def pam_children():
    return procs.processes_mapping(MODULE)


# --- episodes ---------------------------------------------------------------------------------

@dataclass
class FileAnswer:
    user: str
    status: int
    body: str
    error: str = None


@dataclass
class Episode:
    behaviour: str
    status: int = None
    body: str = ""
    error: str = None          # the client's exception, when the login got no answer
    seconds: float = None
    helper_before: int = None
    helper_after: int = None
    broker_before: int = None
    broker_after: int = None
    pam_children_left: list = field(default_factory=list)
    files: list = field(default_factory=list)
    log: str = ""


class Traffic:
    """alice and bob fetch /mine/hello.txt in a loop, each on a connection of their own."""

    def __init__(self, server, tokens_by_user):
        self.server = server
        self.tokens = tokens_by_user
        self.answers = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(u,)) for u in tokens_by_user]

    def _run(self, user):
        with Client(self.server.base_url, timeout=REQUEST_TIMEOUT) as c:
            while not self.stop.is_set():
                try:
                    r = c.get("/mine/hello.txt", headers={
                        "Authorization": "Bearer " + self.tokens[user], "Host": MAIN_HOST})
                    self.answers.append(FileAnswer(user, r.status_code, r.text))
                except Exception as e:  # a timeout or a reset is a finding, not a crash
                    self.answers.append(FileAnswer(user, None, "", repr(e)))
                time.sleep(0.02)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(REQUEST_TIMEOUT + 5)


def login(server, host: str, user: str, password: str, timeout: float):
    with Client(server.base_url, timeout=timeout) as c:
        return c.login(user, password, headers={"Host": host})


def run_episode(server, behaviour, bound, user_tokens, password="whatever") -> Episode:
    ep = Episode(behaviour)
    ep.helper_before, ep.broker_before = helper_pid(server), broker_pid(server)
    mark = server.error_log.mark()
    with Traffic(server, user_tokens) as traffic:
        time.sleep(TRAFFIC_LEAD)
        t0 = time.monotonic()
        try:
            r = login(server, host_of(behaviour), BAD_USER, password, bound + 10)
            ep.status, ep.body = r.status_code, r.text
        except Exception as e:
            ep.error = repr(e)
        ep.seconds = time.monotonic() - t0
        time.sleep(TRAFFIC_LEAD)
    ep.files = list(traffic.answers)
    wait_until(lambda: not pam_children() and broker_pid(server) is not None, SETTLE, 0.2)
    ep.pam_children_left = pam_children()
    ep.helper_after, ep.broker_after = helper_pid(server), broker_pid(server)
    ep.log = server.error_log.text(mark)
    return ep


@pytest.fixture(scope="module")
def user_tokens(srv, alice, bob):
    """Session tokens from real pam_unix logins on the main virtual host."""
    out = {}
    for u in (alice, bob):
        r = login(srv, MAIN_HOST, u.name, u.password, REQUEST_TIMEOUT)
        assert r.status_code == 200, (r.status_code, r.text)
        out[u.name] = r.json()["token"]
    return out


@pytest.fixture(scope="module")
def episodes(srv, user_tokens):
    """Every misbehaving login, once each, in order (cached for the module)."""
    assert helper_pid(srv) is not None, "no helper before the episodes"
    cache = {}

    def get(behaviour):
        if behaviour not in cache:
            args, bound = BEHAVIOURS[behaviour]
            cache[behaviour] = run_episode(srv, behaviour, bound, user_tokens)
        return cache[behaviour]
    return get


@pytest.fixture(scope="module")
def seteuid_login(srv, episodes, user_tokens):
    """A login through the module that takes bob's euid and then says yes."""
    return run_episode(srv, SETEUID_SUCCEED[0], QUICK_BOUND, user_tokens)


@pytest.fixture
def c(srv):
    with Client(srv.base_url, timeout=REQUEST_TIMEOUT) as client:
        client.headers["Host"] = MAIN_HOST
        yield client


def fetch(c, path, token):
    return c.get(path, headers={"Authorization": "Bearer " + token})


def put_file(user, rel, text, owner=None, mode=0o644):
    p = user.host_home / rel
    p.write_text(text)
    uid, gid = owner if owner is not None else (user.uid, user.gid)
    os.chown(p, uid, gid)
    os.chmod(p, mode)
    return p


# --- bad logins fail cleanly ----------------------------------------------------------------

@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_login_through_misbehaving_pam_module_fails_with_401_or_503(episodes, behaviour):
    ep = episodes(behaviour)
    assert ep.error is None, "no answer to the login: %s" % ep.error
    assert ep.status in (401, 503), (ep.status, ep.body[:200])
    assert "token" not in ep.body


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_login_through_misbehaving_pam_module_is_answered_in_bounded_time(episodes, behaviour):
    ep = episodes(behaviour)
    assert ep.seconds is not None and ep.seconds < BEHAVIOURS[behaviour][1], ep.seconds


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_login_through_misbehaving_pam_module_is_logged(episodes, behaviour):
    ep = episodes(behaviour)
    lines = [ln for ln in ep.log.splitlines()
             if "[tokenauth:" in ln and re.search(r"\b%s\b" % BAD_USER, ln)]
    assert lines, "no tokenauth line about %s's login:\n%s" % (BAD_USER, ep.log)


# --- the helper lives on ----------------------------------------------------------------------

@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_helper_process_survives_misbehaving_pam_module(episodes, behaviour):
    ep = episodes(behaviour)
    assert ep.helper_before is not None
    assert ep.helper_after == ep.helper_before, "the helper was replaced (it died)"


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_pam_broker_survives_misbehaving_pam_module(episodes, behaviour):
    ep = episodes(behaviour)
    assert ep.broker_before is not None, "no PAM broker (a child of the helper) before"
    assert ep.broker_before != ep.helper_before
    assert ep.broker_after == ep.broker_before, "the PAM broker was replaced (it died)"


@pytest.mark.parametrize("behaviour", HANGS)
def test_hung_pam_child_is_ended_after_the_deadline(episodes, behaviour):
    ep = episodes(behaviour)
    assert ep.pam_children_left == [], "PAM processes still running %ds after the answer" % SETTLE


# --- file serving goes on, and right -------------------------------------------------------

@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_home_files_keep_being_served_during_misbehaving_login(episodes, behaviour, alice, bob):
    ep = episodes(behaviour)
    assert len(ep.files) >= 10, "too little traffic to judge: %d answers" % len(ep.files)
    bad = [a for a in ep.files if a.status != 200]
    assert not bad, "%d of %d file answers failed, first: %s" % (len(bad), len(ep.files), bad[0])


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_home_files_never_go_to_another_user_during_misbehaving_login(episodes, behaviour):
    ep = episodes(behaviour)
    wrong = [a for a in ep.files if a.status == 200 and a.body != "hello from %s\n" % a.user]
    assert ep.files and not wrong, wrong[:3]


# --- a module that changes its euid ----------------------------------------------------------

def test_seteuid_module_that_succeeds_gives_a_token_for_the_login_user(seteuid_login, harness):
    """The module's yes counts (PAM said so) but for the user who logged in, not for bob."""
    ep = seteuid_login
    assert ep.status == 200, (ep.status, ep.body[:200])
    _, claims = tokens.parts(json.loads(ep.body)["token"])
    mallet = harness.users.get(BAD_USER)
    assert (claims["sub"], claims["uid"]) == (mallet.name, mallet.uid)


def test_seteuid_module_leaves_helper_and_broker_in_place(seteuid_login):
    ep = seteuid_login
    assert ep.helper_after == ep.helper_before and ep.broker_after == ep.broker_before


def test_after_seteuid_each_token_gets_its_own_users_file(seteuid_login, c, user_tokens):
    for user in ("alice", "bob"):
        r = fetch(c, "/mine/hello.txt", user_tokens[user])
        assert (r.status_code, r.text) == (200, "hello from %s\n" % user)


def test_after_seteuid_a_root_only_file_is_not_served(seteuid_login, c, user_tokens, alice):
    put_file(alice, "alice-own-600.txt", "alice's own\n", mode=0o600)
    put_file(alice, "root-600.txt", "root only\n", owner=(0, 0), mode=0o600)
    r = fetch(c, "/lax/alice-own-600.txt", user_tokens["alice"])
    assert (r.status_code, r.text) == (200, "alice's own\n")      # the legitimate path
    r = fetch(c, "/lax/root-600.txt", user_tokens["alice"])
    assert r.status_code in (403, 404) and "root only" not in r.text


def test_after_seteuid_a_file_only_bob_can_read_is_not_served_to_alice(seteuid_login, c,
                                                                      user_tokens, alice, bob):
    """The module took bob's euid: had that leaked into the helper's file side, alice's
    request would read what only bob can."""
    put_file(alice, "bob-600.txt", "only bob can read this\n", owner=(bob.uid, bob.gid),
             mode=0o600)
    r = fetch(c, "/lax/bob-600.txt", user_tokens["alice"])
    assert r.status_code in (403, 404) and "only bob" not in r.text
    r = fetch(c, "/lax/hello.txt", user_tokens["alice"])
    assert (r.status_code, r.text) == (200, "hello from alice\n")


def test_after_seteuid_the_login_users_token_gets_only_their_files(seteuid_login, c, harness):
    token = json.loads(seteuid_login.body)["token"]
    r = fetch(c, "/mine/hello.txt", token)
    assert (r.status_code, r.text) == (200, "hello from %s\n" % BAD_USER)


# --- the shipped service on the same server ---------------------------------------------------

def test_pam_unix_login_still_works_after_the_misbehaving_modules(srv, episodes, seteuid_login,
                                                                 alice):
    for b in BEHAVIOURS:
        episodes(b)
    r = login(srv, MAIN_HOST, alice.name, alice.password, REQUEST_TIMEOUT)
    assert r.status_code == 200, (r.status_code, r.text)
    r = login(srv, MAIN_HOST, alice.name, "wrong", REQUEST_TIMEOUT)
    assert r.status_code == 401
