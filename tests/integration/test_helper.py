"""The privileged helper (SPEC §6, issues 3 and 9): one root process per Apache, started from
the parent as a program of its own, reachable only through the hub that Apache's children
inherit (no socket in the file system), strict about what it is sent, limited per peer,
restarted when it dies, and gone after a graceful restart or a stop.

The tests look at /proc from outside the namespace (it shares our pid namespace) and talk to
the helper the way a worker does: through a copy of an Apache child's hub, taken as root with
pidfd_getfd, with a connection made as www-data (or as whoever a test says) - see
taharness.helperproc and taharness.hubclient."""

import os
import re
import signal
import stat
import struct
import threading
import time

import pytest

from taharness import helperproc, paths, php, site
from taharness.helperproc import (AUTH_OK, AUTH_REQ, AUTH_RESP, ERR_BAD_TYPE, ERR_BAD_VERSION,
                                  ERR_FORBIDDEN, ERR_MALFORMED, ERR_TOO_LARGE, ERROR,
                                  FILE_BAD_TOKEN, FILE_FORBIDDEN, LIST_REQ, LIST_RESP, MAX_BODY,
                                  MINT_REQ, MINT_RESP, OPEN_REQ, OPEN_RESP, PAM_REQ, PAM_RESP,
                                  auth_req, auth_resp, frame, list_req, mint_req, open_req, s16)
from taharness.http import Client
from taharness.waiting import wait_until

RESTART_WITHIN = 3.0     # SPEC §6 / issue 3: back within a second or two
STALL_CUTOFF = 5.0       # the helper's I/O timeout for a client that stops mid-frame
PER_PEER = 24            # connections one process may hold: 2 x ThreadsPerChild (8) + 8
BOGUS_TOKEN = "e30.e30.AAAA"   # a well-formed JWS that no key signed: answered at once

# The restart itself is logged at error level (the helper did die); a login that fell into
# the gap is logged as unavailable.
ERROR_LOG_ALLOW = [r"TA00013: helper \(pid \d+\) exited", r"TA00022: login of "]

REFUSED_CONNECTION = re.compile(r"\[tokenauth:warn\].*TA00068: helper: refused a connection "
                                r"\((?P<why>[^,]+), pid (?P<pid>\d+)\)")


@pytest.fixture(scope="module")
def srv(apache_factory):
    """A server of our own: these tests kill and restart its helper."""
    return apache_factory("main")


def the_helper(srv, timeout: float = RESTART_WITHIN):
    """The server's one live helper (waits for it, bounded); fails unless exactly one."""
    def one():
        live = [p for p in helperproc.helpers_of(srv) if p.state != "Z"]
        return live[0] if len(live) == 1 else None
    found = wait_until(one, timeout)
    assert found, "not exactly one live ta-helper child of %s: %s" % (
        srv.pid(), helperproc.helpers_of(srv))
    return found


def login(srv, user, password=None, close=True):
    """One JSON login on a fresh connection (a graceful restart closes idle keep-alives)."""
    with Client(srv.base_url) as c:
        return c.login(user.name, user.password if password is None else password,
                       headers={"Connection": "close"} if close else {})


def assert_login_works(srv, user):
    r = login(srv, user)
    assert r.status_code == 200, (r.status_code, r.text[:200])
    assert r.json()["user"] == user.name


def talk(harness, srv, data, **kw):
    return helperproc.talk(harness.ns, srv, data, **kw)


def assert_helper_answers(harness, srv, alice):
    """The legitimate route: a www-data connection through a worker's hub logs alice in."""
    (f,) = talk(harness, srv, auth_req("alice", alice.password), frames=1).frames
    a = auth_resp(f)
    assert (a.result, a.uid) == (AUTH_OK, alice.uid), a


def refusal_lines(srv, since: int, why: str) -> list:
    return [m for m in REFUSED_CONNECTION.finditer(srv.error_log.text(since))
            if m.group("why") == why]


# --- the process ------------------------------------------------------------------------------

def test_exactly_one_helper_child_of_the_parent_running_as_root(srv):
    helpers = helperproc.helpers_of(srv)
    assert len(helpers) == 1, helpers
    h = helpers[0]
    assert h.state != "Z"
    assert (h.uid, h.euid) == (0, 0)


def test_no_helper_is_started_by_the_workers(srv):
    """Started from the parent while it is root, never from a child (SPEC §6)."""
    children = set(srv.child_pids())
    assert children, "no Apache children?"
    assert [p for p in helperproc.processes() if p.ppid in children] == []


def test_login_goes_through_the_helper(srv, alice):
    """The debug line is the helper's own (TA00061), so the login really went through it."""
    mark = srv.error_log.mark()
    assert_login_works(srv, alice)
    assert wait_until(lambda: re.search(r"TA00061: helper: auth alice \(service tokenauth\): ok",
                                        srv.error_log.text(mark)), 5), srv.error_log.text(mark)


# --- the hub ----------------------------------------------------------------------------------

def test_no_helper_socket_in_the_file_system(srv):
    """Nothing to connect to: below the runtime directory there is mod_cgid's socket and no
    other, and no process of the helper has a Unix socket bound to any name."""
    found = [os.path.join(d, n) for d, ds, fs in os.walk(srv.paths.run) for n in ds + fs
             if stat.S_ISSOCK(os.lstat(os.path.join(d, n)).st_mode)]
    assert len(found) == 1 and helperproc.is_cgid_socket(srv, found[0]), found
    helper = the_helper(srv)
    table = helperproc.unix_sockets()
    for p in [helper] + helperproc.descendants(helper.pid):
        named = {n: s for n, s in helperproc.unix_sockets_of(p.pid, table).items()
                 if s.path or s.listening}
        assert named == {}, (p, named)


def test_each_worker_child_holds_exactly_one_hub_end(srv):
    """A child closes the helper's end it inherited: it holds only its own end."""
    workers = helperproc.worker_children(srv)
    assert workers
    for pid in workers:
        assert len(helperproc.hub_fds(pid)) == 1, (pid, helperproc.unix_sockets_of(pid))


def test_helper_holds_the_hub(srv):
    assert len(helperproc.hub_fds(the_helper(srv).pid)) >= 1


def test_www_data_connection_through_the_hub_is_answered(harness, srv, alice):
    """The raw protocol as the module speaks it: AUTH_RESP, the request id echoed, the uid,
    a session token for alice."""
    t = talk(harness, srv, auth_req("alice", alice.password, req_id=0x01020304), frames=1)
    assert t.accept == "accepted"
    (f,) = t.frames
    assert (f.msg_type, f.req_id, f.version) == (AUTH_RESP, 0x01020304, 2)
    a = auth_resp(f)
    assert (a.result, a.uid, a.retry_after) == (AUTH_OK, alice.uid, 0)
    assert a.expires_at > time.time() and a.token.count(".") == 2


# --- who may talk to it -------------------------------------------------------------------------

def test_a_connection_made_by_root_is_refused(harness, srv, alice):
    """The helper checks SO_PEERCRED of the socket it was passed: the pair must be made by
    Apache's user. Root's is closed without an answer, even to the right password."""
    mark = srv.error_log.mark()
    t = talk(harness, srv, auth_req("alice", alice.password), as_user=None)
    assert (t.accept, t.reply, t.closed) == ("closed", b"", True), t
    assert wait_until(lambda: refusal_lines(srv, mark, "not Apache's user"), 5), \
        srv.error_log.text(mark)
    assert_helper_answers(harness, srv, alice)


@pytest.mark.parametrize("user", ["alice", "nobody"])
def test_a_connection_made_by_another_user_is_refused(harness, srv, user, alice):
    t = talk(harness, srv, auth_req("alice", alice.password), as_user=user)
    assert (t.accept, t.reply, t.closed) == ("closed", b"", True), t
    assert_helper_answers(harness, srv, alice)


# --- what it is sent ----------------------------------------------------------------------------

def refused_with(t, code: int, req_id: int = None):
    """One ERROR frame with code, then the connection closed."""
    assert t.reply[:4] == b"TA\x02\x7f", t.reply[:32]
    (f,) = t.frames
    assert (f.msg_type, f.body) == (ERROR, bytes([code])), f
    if req_id is not None:
        assert f.req_id == req_id
    assert t.closed, "connection left open after a refused frame"


def test_garbage_gets_an_error_frame_and_the_helper_keeps_serving(harness, srv, alice):
    before = the_helper(srv)
    refused_with(talk(harness, srv, b"GET / HTTP/1.0\r\nHost: x\r\n\r\n"), ERR_MALFORMED)
    assert the_helper(srv).pid == before.pid
    assert_helper_answers(harness, srv, alice)
    assert_login_works(srv, alice)


@pytest.mark.parametrize("length", [0xFFFFFFFF, MAX_BODY + 1])
def test_huge_body_length_is_refused_before_it_is_read(harness, srv, alice, length):
    before = the_helper(srv)
    refused_with(talk(harness, srv, frame(AUTH_REQ, b"", req_id=7, length=length)),
                 ERR_TOO_LARGE, req_id=7)
    assert the_helper(srv).pid == before.pid
    assert_helper_answers(harness, srv, alice)


def test_a_body_of_exactly_the_limit_is_read_not_refused_as_too_large(harness, srv, alice):
    """MAX_BODY itself is allowed: such a frame is read whole and judged on its fields (here:
    a request padded past its last field, so malformed), not refused by its length."""
    body = open_req(BOGUS_TOKEN, "/files/x")[12:]
    data = frame(OPEN_REQ, body + bytes(MAX_BODY - len(body)), req_id=11)
    refused_with(talk(harness, srv, data), ERR_MALFORMED, req_id=11)
    assert_helper_answers(harness, srv, alice)


def _body(data: bytes) -> bytes:
    return data[12:]


BAD_FRAMES = {
    "version 1 login": (helperproc.v1_auth_req("alice", "x", req_id=9), ERR_BAD_VERSION),
    "version 1 file request": (helperproc.v1_file_req("bob", ".", ".ssh/id_rsa", req_id=9),
                               ERR_BAD_VERSION),
    "version 3": (frame(AUTH_REQ, _body(auth_req("alice", "x")), req_id=9, version=3),
                  ERR_BAD_VERSION),
    "unknown type 7": (frame(7, b"", req_id=9), ERR_BAD_TYPE),
    "unknown type 0": (frame(0, b"", req_id=9), ERR_BAD_TYPE),
    "unknown type 12": (frame(12, b"", req_id=9), ERR_BAD_TYPE),
    "an AUTH answer": (frame(AUTH_RESP, bytes([1]) + bytes(16) + s16(""), req_id=9),
                       ERR_FORBIDDEN),
    "a MINT answer": (frame(MINT_RESP, bytes([1]) + bytes(8) + s16(""), req_id=9),
                      ERR_FORBIDDEN),
    "an ERROR": (frame(ERROR, bytes([1]), req_id=9), ERR_FORBIDDEN),
    "PAM_REQ for root through su": (frame(PAM_REQ, s16("su") + s16("root") + s16("") + s16(""),
                                          req_id=9), ERR_FORBIDDEN),
    "PAM_RESP saying yes": (frame(PAM_RESP, bytes([0, 0]) + s16(""), req_id=9), ERR_FORBIDDEN),
    "open request without fields": (frame(OPEN_REQ, b"", req_id=9), ERR_MALFORMED),
    "open request with an empty token": (open_req("", "/files/x", req_id=9), ERR_MALFORMED),
    "open request with a token that is not base64url": (open_req("a b.c.d", "/files/x",
                                                                 req_id=9), ERR_MALFORMED),
    "open request with an empty path": (open_req(BOGUS_TOKEN, "", req_id=9), ERR_MALFORMED),
    "open request with a control character in the path": (
        open_req(BOGUS_TOKEN, "/files/a\nb", req_id=9), ERR_MALFORMED),
    "open request with an unknown tighten bit": (open_req(BOGUS_TOKEN, "/files/x", req_id=9,
                                                          tighten=0x04), ERR_MALFORMED),
    "list request with a trailing byte": (frame(LIST_REQ, _body(list_req(BOGUS_TOKEN, "/f"))
                                                + b"\x00", req_id=9), ERR_MALFORMED),
    "list request with a limit over the most a listing holds": (
        list_req(BOGUS_TOKEN, "/files/", req_id=9, limit=1000001), ERR_MALFORMED),
    "login with a control character in the user": (auth_req("ali\x1bce", "x", req_id=9),
                                                   ERR_MALFORMED),
    "login with a space in the client address": (auth_req("alice", "x", rhost="1.2.3.4 x",
                                                          req_id=9), ERR_MALFORMED),
    "login with a NUL in the password": (auth_req("alice", "a\x00b", req_id=9), ERR_MALFORMED),
    "login with an empty user": (auth_req("", "x", req_id=9), ERR_MALFORMED),
    "field longer than the body": (frame(AUTH_REQ, b"\x00\x00\x00\x40/login", req_id=9),
                                   ERR_MALFORMED),
    "mint of a session token": (mint_req(BOGUS_TOKEN, "/files/", kind=1, req_id=9),
                                ERR_MALFORMED),
    "mint of kind 4": (mint_req(BOGUS_TOKEN, "/files/", kind=4, req_id=9), ERR_MALFORMED),
}


@pytest.mark.parametrize("name", list(BAD_FRAMES))
def test_malformed_frames_get_their_error_code(harness, srv, alice, name):
    data, code = BAD_FRAMES[name]
    refused_with(talk(harness, srv, data), code, req_id=9)
    assert_helper_answers(harness, srv, alice)


def random_requests(n: int, seed: int = 9) -> list:
    """n frames with sound headers and bodies that are random bytes or a well-formed file or
    mint request with one byte changed (no login: a valid one would wait out PAM's delay)."""
    import random
    rnd = random.Random(seed)
    valid = [open_req(BOGUS_TOKEN, "/files/x")[12:], list_req(BOGUS_TOKEN, "/files/")[12:],
             mint_req(BOGUS_TOKEN, "/files/")[12:]]
    out = []
    for i in range(n):
        msg_type = rnd.choice([AUTH_REQ, OPEN_REQ, LIST_REQ, MINT_REQ])
        if msg_type == AUTH_REQ or rnd.random() < 0.3:
            body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 48)))
        else:
            body = bytearray(valid[[OPEN_REQ, LIST_REQ, MINT_REQ].index(msg_type)])
            body[rnd.randrange(len(body))] = rnd.randrange(256)
            body = bytes(body)
        out.append(frame(msg_type, body, req_id=i + 1))
    return out


def test_random_bodies_get_an_answer_each_and_never_crash_the_helper(harness, srv, alice):
    before = the_helper(srv)
    frames = random_requests(200)
    talks = helperproc.conversations(harness.ns, srv, [(f, 1, True, 5.0) for f in frames])
    answers = {OPEN_REQ: OPEN_RESP, LIST_REQ: LIST_RESP, MINT_REQ: MINT_RESP,
               AUTH_REQ: AUTH_RESP}
    for f, t in zip(frames, talks):
        (a,) = t.frames
        assert a.req_id == struct.unpack(">I", f[4:8])[0]
        assert a.msg_type in (ERROR, answers[f[3]]), (f.hex(), a)
    assert the_helper(srv).pid == before.pid
    assert_helper_answers(harness, srv, alice)


def test_a_pam_request_from_a_worker_runs_no_pam_and_is_logged(harness, srv, alice):
    """PAM_REQ is what the helper sends its PAM process; from a worker it is refused before
    anything else happens: no PAM conversation (no auth line), a warning naming it and the
    pid. Refusal warnings are rate-limited (one a second), so the request is repeated until
    one of its refusals is the one logged."""
    mark = srv.error_log.mark()
    data = frame(PAM_REQ, s16("tokenauth") + s16("alice") + s16(alice.password) + s16(""))
    line = re.compile(r"TA00069: helper: refused (a )?pam_req from pid \d+")

    def refused_and_logged():
        refused_with(talk(harness, srv, data), ERR_FORBIDDEN)
        return line.search(srv.error_log.text(mark))
    assert wait_until(refused_and_logged, 5, interval=0.2), srv.error_log.text(mark)
    assert "TA00061" not in srv.error_log.text(mark)
    assert_helper_answers(harness, srv, alice)


def test_every_request_type_is_answered_in_order_when_sent_at_once(harness, srv, alice, bob):
    """A client may write several requests before reading: each gets its answer, in order,
    with its own id (bytes read past the end of one frame are the start of the next)."""
    data = (auth_req("alice", alice.password, req_id=1) + open_req(BOGUS_TOKEN, "/files/x",
                                                                    req_id=2)
            + list_req(BOGUS_TOKEN, "/files/", req_id=3) + mint_req(BOGUS_TOKEN, "/files/",
                                                                  req_id=4)
            + auth_req("bob", bob.password, req_id=5))
    t = talk(harness, srv, data, wait=10, frames=5)
    assert [(f.msg_type, f.req_id) for f in t.frames] == [
        (AUTH_RESP, 1), (OPEN_RESP, 2), (LIST_RESP, 3), (MINT_RESP, 4), (AUTH_RESP, 5)], t
    assert not t.closed


def test_a_refused_token_keeps_the_connection_for_the_next_request(harness, srv, alice):
    """A file status is an answer, not a protocol error: the worker reuses its connection."""
    t1, t2 = helperproc.conversations(harness.ns, srv, [
        (open_req(BOGUS_TOKEN, "/files/x", req_id=1), 1),
        (auth_req("alice", alice.password, req_id=2), 1)])
    assert helperproc.open_resp(t1.frames[0]).status in (FILE_FORBIDDEN, FILE_BAD_TOKEN)
    assert not t1.closed
    assert auth_resp(t2.frames[0]).result == AUTH_OK


def test_a_stalled_client_is_cut_off_after_five_seconds(harness, srv, alice):
    """Half a frame, then silence: the helper's read timeout closes the connection."""
    p = helperproc.stall(harness.ns, srv, auth_req("alice", "x")[:6], wait=STALL_CUTOFF + 10)
    out = helperproc.stall_result(p)
    assert out["closed"], out
    assert STALL_CUTOFF - 1 <= out["after"] <= STALL_CUTOFF + 3, out


def test_a_stalled_client_does_not_hold_up_a_login(harness, srv, alice):
    """The helper serves each connection on its own: logins go on meanwhile."""
    stalled = [helperproc.stall(harness.ns, srv, auth_req("alice", "x")[:6], wait=0.2)
               for _ in range(3)]
    try:
        assert_login_works(srv, alice)
    finally:
        for p in stalled:
            helperproc.release(p)


# --- limits -------------------------------------------------------------------------------------

EXTRA = 24


@pytest.fixture(scope="module")
def over_the_cap(harness, srv):
    """One process holds PER_PEER + EXTRA connections (each sent a request); the states, the
    error-log lines they caused, and whether an HTTP login worked while they were held."""
    mark = srv.error_log.mark()
    p, states = helperproc.hold(harness.ns, srv, PER_PEER + EXTRA,
                                open_req(BOGUS_TOKEN, "/files/x"), wait=2)
    try:
        login_status = login(srv, harness.users.get("alice")).status_code
    finally:
        helperproc.release(p)
    return states, mark, login_status


def test_connections_beyond_the_cap_of_one_process_are_closed(over_the_cap):
    states, _, _ = over_the_cap
    assert states[:PER_PEER] == ["answered"] * PER_PEER, states
    assert states[PER_PEER:] == ["closed"] * EXTRA, states


def test_refused_connections_are_logged_rate_limited(srv, over_the_cap):
    """EXTRA refusals in a burst: a warning line naming the reason, but one a second at most,
    not one per refusal."""
    _, mark, _ = over_the_cap
    lines = refusal_lines(srv, mark, "too many connections from one process")
    assert 1 <= len(lines) <= 3, [m.group(0) for m in lines]


def test_the_workers_are_served_while_one_process_is_at_its_cap(over_the_cap):
    _, _, login_status = over_the_cap
    assert login_status == 200


def test_a_process_gets_connections_again_once_it_closed_its_own(harness, srv, alice,
                                                                 over_the_cap):
    p, states = helperproc.hold(harness.ns, srv, PER_PEER, open_req(BOGUS_TOKEN, "/files/x"),
                                wait=2)
    helperproc.release(p)
    assert states == ["answered"] * PER_PEER, states
    assert_helper_answers(harness, srv, alice)


BUSY_THREADS = 24
BIG = 16 * 1024 * 1024


def held_requests(srv, token, path, n):
    """n requests sent at once on connections of their own, each read no further than its
    status line, so that each keeps a worker thread busy in the handler: their statuses."""
    import socket as so
    conns, statuses = [], []
    try:
        for _ in range(n):
            c = so.create_connection(("127.0.0.1", srv.port), timeout=10)
            c.setsockopt(so.SOL_SOCKET, so.SO_RCVBUF, 4096)
            c.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
                       % (path, token)).encode())
            conns.append(c)
        for c in conns:
            line = c.recv(64).split(b"\r\n", 1)[0]
            statuses.append(line.decode(errors="replace"))
    finally:
        for c in conns:
            c.close()
    return statuses


def test_a_childs_own_worker_threads_are_not_refused_by_the_per_process_cap(apache_factory,
                                                                            mint, alice):
    """One child with 32 threads, 24 of them busy at once with a home file (each asked the
    helper on its own connection): the cap on one process's connections is for attackers,
    it must not turn the child's own threads away (503)."""
    p = alice.host_home / "big.bin"
    p.write_bytes(b"x" * BIG)
    os.chown(p, alice.uid, alice.gid)
    s = apache_factory("threads", extra=["ServerLimit 1", "StartServers 1", "ThreadsPerChild 32",
                                         "MaxRequestWorkers 32", "MinSpareThreads 1",
                                         "MaxSpareThreads 64", """<Location /whole>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>"""])
    try:
        statuses = held_requests(s, mint("alice"), "/whole/big.bin", BUSY_THREADS)
    finally:
        p.unlink()
    assert len(helperproc.worker_children(s)) == 1
    assert statuses == ["HTTP/1.1 200 OK"] * BUSY_THREADS, statuses


# --- death, restarts, stop ----------------------------------------------------------------------

def kill_helper(p) -> None:
    """SIGKILL the helper p and wait until it is dead (a zombie or gone): until then it still
    counts as the live helper (its teardown takes a while under ASan)."""
    os.kill(p.pid, signal.SIGKILL)

    def dead():
        now = helperproc.proc_info(p.pid)
        return now is None or now.state == "Z"
    assert wait_until(dead, 5), helperproc.proc_info(p.pid)


def test_killed_helpers_pam_process_does_not_live_on(srv, alice):
    """Its parent killed, the PAM process ends too (a zombie left to init is init's to reap;
    a root process running on with nobody to ask it is not)."""
    old = the_helper(srv)
    below = helperproc.descendants(old.pid)
    assert below, "no PAM process below the helper"
    kill_helper(old)
    the_helper(srv, RESTART_WITHIN)
    for p in below:
        assert wait_until(lambda: (helperproc.proc_info(p.pid) or p).state in ("Z", "X") or
                          helperproc.proc_info(p.pid) is None, 5), helperproc.proc_info(p.pid)
    assert_login_works(srv, alice)


def test_killed_helper_is_restarted_and_reaped(srv, alice):
    old = the_helper(srv)
    mark = srv.error_log.mark()
    t0 = time.monotonic()
    kill_helper(old)
    during = login(srv, alice)
    assert during.status_code in (200, 503), (during.status_code, during.text[:200])
    new = the_helper(srv, RESTART_WITHIN)
    assert new.pid != old.pid
    assert wait_until(lambda: login(srv, alice).status_code == 200,
                      max(0.1, RESTART_WITHIN - (time.monotonic() - t0)), interval=0.2), \
        "no successful login within %.0f s of the kill" % RESTART_WITHIN
    assert wait_until(lambda: helperproc.proc_info(old.pid) is None, 2), \
        "the killed helper was not reaped: %s" % (helperproc.proc_info(old.pid),)
    assert "TA00013: helper (pid %d) exited" % old.pid in srv.error_log.text(mark)
    assert len(helperproc.helpers_of(srv)) == 1


def test_the_same_childs_hub_reaches_the_restarted_helper(harness, srv, alice):
    """The hub outlives a helper: a child started before the kill reaches the new helper."""
    child = helperproc.worker_with_hub(srv)
    old = the_helper(srv)
    kill_helper(old)
    new = the_helper(srv, RESTART_WITHIN)
    assert new.pid != old.pid
    assert helperproc.proc_info(child) is not None

    def answered():
        t = helperproc.talk(harness.ns, srv, auth_req("alice", alice.password), frames=1,
                            pid=child)
        return t.frames and auth_resp(t.frames[0]).result == AUTH_OK
    assert wait_until(answered, RESTART_WITHIN, interval=0.2)


def test_graceful_restart_replaces_the_helper(harness, srv, alice):
    old = the_helper(srv)
    below = helperproc.descendants(old.pid)     # its PAM process
    srv.graceful()
    # the new helper may take a moment to appear on a loaded machine
    assert wait_until(lambda: [h for h in helperproc.helpers_of(srv)
                               if h.pid != old.pid and h.state != "Z"], RESTART_WITHIN)
    helpers = [h for h in helperproc.helpers_of(srv) if h.state != "Z"]
    assert len(helpers) == 1 and helpers[0].pid != old.pid, (old, helpers)
    for p in [old] + below:
        assert wait_until(lambda: helperproc.proc_info(p.pid) is None, 5), \
            "left after a graceful restart: %s" % (helperproc.proc_info(p.pid),)
    assert_login_works(srv, alice)
    assert_helper_answers(harness, srv, alice)


def test_graceful_restart_under_a_login_loop_loses_no_login(srv, alice):
    """Issue 3: logins running (4 clients in a loop) while Apache restarts gracefully all
    succeed; none gets 503 because the old helper went away under it."""
    results, stop = [], threading.Event()

    def loop():
        while not stop.is_set():
            try:
                results.append(login(srv, alice).status_code)
            except Exception as e:   # a lost connection is a lost login too
                results.append(repr(e))

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(results) >= 20, 5)
        srv.graceful()
        n = len(results)
        wait_until(lambda: len(results) >= n + 20, 5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert len(results) >= 40
    assert [r for r in results if r != 200] == [], results
    assert len(helperproc.helpers_of(srv)) == 1


def test_graceful_restart_lets_a_login_in_progress_finish(srv, alice):
    """A login whose PAM conversation is under way (here: pam_unix's 1-3 s fail delay after
    a wrong password) when the graceful restart comes gets its real answer, 401, not 503.
    The PAM process forks a child for each login: while it lives, the login is in PAM."""
    helper = the_helper(srv)
    idle = {p.pid for p in helperproc.descendants(helper.pid)}
    answer = []
    t = threading.Thread(target=lambda: answer.append(login(srv, alice, "wrong-in-flight")))
    t.start()
    in_pam = wait_until(lambda: [p for p in helperproc.descendants(helper.pid)
                                 if p.pid not in idle], 5, interval=0.01)
    srv.graceful()
    t.join(timeout=30)
    assert in_pam, "no PAM child appeared for the login"
    assert answer and answer[0].status_code == 401, \
        (answer[0].status_code, answer[0].text[:200]) if answer else "no answer"


def test_prefork_restarts_and_stop_do_not_kill_the_pam_process(harness, alice):
    """prefork's parent signals its whole process group (killpg) to restart and stop its
    children: the helper and its PAM process must not take those signals as their own (a PAM
    process that dies of them is logged as a failure and restarted in the middle of a stop)."""
    s = php.PreforkServer(harness.ns, harness.workdir / "test_helper-prefork",
                          [site.default_site(harness.key_file.path), site.RELAXED_THROTTLE],
                          modules=php.PREFORK_MODULES,
                          env=harness.sanitizers.env(paths.module_path()), populate=site.populate)
    harness.servers.append(s)
    s.start()
    mark = s.error_log.mark()
    try:
        assert_login_works(s, alice)
        s.graceful()
        assert_login_works(s, alice)
        s.restart()
        assert_login_works(s, alice)
    finally:
        s.stop()
    assert re.findall(r".*TA00070.*", s.error_log.text(mark)) == []


def test_stop_leaves_no_helper_and_no_zombie(apache_factory, alice):
    s = apache_factory("stop")
    apache_pid = s.pid()
    helper = the_helper(s)
    below = helperproc.descendants(helper.pid)     # its PAM process
    assert_login_works(s, alice)
    before = {p.pid for p in helperproc.all_processes()}
    s.stop()
    for p in [helper] + below:
        assert wait_until(lambda: helperproc.proc_info(p.pid) is None, 5), \
            "left after stop: %s" % (helperproc.proc_info(p.pid),)
    left = [p for p in helperproc.all_processes()
            if p.ppid == apache_pid or (p.pid not in before and p.ppid == 1)]
    assert left == [], left
    assert helperproc.holding(s.paths.error_log) == []
