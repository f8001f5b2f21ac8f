"""A www-data process that is not one of Apache's children - a CGI, a cron job, anything that
runs as the web server's user - cannot reach the privileged helper at all (issue 9): there is
no socket in the file system to connect to, and it cannot take the hub from an Apache child
(pidfd_getfd, /proc/PID/fd) because the children are not dumpable. So it gets nothing from any
request type, however it is formed.

The server sets CoreDumpDirectory, with which httpd makes its children dumpable again after
they drop root (the case the issue's key-in-a-heap attack used), and runs mod_cgid, whose
daemon is a child of the parent that skips the MPM's child_init. Each refusal is shown next to
a control: the same pidfd_getfd on a www-data process of the attacker's own works, and the
test's own route (root from outside, through a child's hub) gets the helper's answer."""

import os

import pytest

from taharness import helperproc
from taharness.helperproc import (AUTH_OK, auth_req, auth_resp, list_req, mint_req, open_req,
                                  parse_frames)
from taharness.http import Client

# mod_cgid answers our probe of its socket (the helper's frames are no request of its)
ERROR_LOG_ALLOW = [r"AH01248: Error reading request on cgid socket"]

HOME = """
<Location /whole>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
"""


def core_dump_dir(p) -> str:
    d = p.root / "cores"
    d.mkdir(exist_ok=True)
    os.chmod(d, 0o1777)
    return 'CoreDumpDirectory "%s"' % d


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[HOME, core_dump_dir])


def requests_of_every_type(alice, token) -> bytes:
    """One request of each type a worker may make, pipelined, all of which the helper would
    answer with alice's data: her password, her token."""
    return (auth_req("alice", alice.password, req_id=1) + open_req(token, "/whole/hello.txt",
                                                                    req_id=2)
            + list_req(token, "/whole/", req_id=3) + mint_req(token, "/whole/", req_id=4))


def apache_processes(srv) -> dict:
    """pid -> role for the parent and everything below it: "helper" (and "below the
    helper": its PAM process), "cgid" (mod_cgid's daemon; "cgi" below it), "worker"."""
    parent = srv.pid()
    below = helperproc.descendants(parent)
    ppid = {p.pid: p.ppid for p in below}
    top_role = {}
    cgid = set(helperproc.cgid_daemons(srv))
    for p in below:
        if p.ppid == parent:
            top_role[p.pid] = ("helper" if p.comm == helperproc.HELPER_COMM else
                               "cgid" if p.pid in cgid else "worker")
    out = {parent: "parent"}
    for p in below:
        top = p.pid
        while ppid.get(top) != parent:
            top = ppid[top]
        role = top_role[top]
        out[p.pid] = role if top == p.pid else \
            {"helper": "below the helper", "cgid": "cgi"}.get(role, "below a worker")
    return out


def reach_everything(harness, srv, alice, token):
    roles = apache_processes(srv)
    return roles, helperproc.reach(harness.ns, "www-data", pids=list(roles),
                                   dirs=[srv.paths.root],
                                   probe=requests_of_every_type(alice, token))


@pytest.fixture(scope="module")
def token(srv, alice):
    with Client(srv.base_url) as c:
        r = c.login("alice", alice.password)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def the_route_works(harness, srv, alice, token) -> bool:
    """The test's own route: the same requests through a worker's hub, made by root from
    outside and used as www-data, are all answered, alice's file among them."""
    t = helperproc.talk(harness.ns, srv, requests_of_every_type(alice, token), frames=4,
                        wait=10)
    frames = parse_frames(t.reply)
    assert [f.req_id for f in frames] == [1, 2, 3, 4], frames
    assert auth_resp(frames[0]).result == AUTH_OK
    assert t.contents == [b"hello from alice\n"]
    return True


@pytest.fixture(scope="module")
def route(harness, srv, alice, token):
    return the_route_works(harness, srv, alice, token)


@pytest.fixture(scope="module")
def outsider(harness, srv, alice, token):
    """What a www-data process outside Apache met, trying everything."""
    return reach_everything(harness, srv, alice, token)


def test_the_control_www_data_may_take_descriptors_of_its_own_processes(outsider, route):
    assert route
    _, seen = outsider
    assert seen["control"]["taken"], seen["control"]


def test_www_data_finds_no_socket_of_the_helper(outsider, srv, route):
    """Below the server's directories the one socket is mod_cgid's."""
    assert route
    _, seen = outsider
    assert len(seen["sockets"]) == 1, seen["sockets"]
    assert helperproc.is_cgid_socket(srv, list(seen["sockets"])[0]), seen["sockets"]


def test_no_socket_www_data_can_connect_to_answers_in_the_helpers_protocol(outsider, route):
    assert route
    _, seen = outsider
    for path, r in seen["sockets"].items():
        reply = bytes.fromhex(r["reply"])
        assert not reply.startswith(b"TA"), (path, reply[:64])
        assert r["fds"] == [], (path, r["fds"])


def test_www_data_cannot_take_a_descriptor_from_an_apache_child_or_the_helper(outsider, route):
    assert route
    roles, seen = outsider
    for pid, role in roles.items():
        if role in ("worker", "helper", "parent", "below the helper"):
            got = seen["getfd"][str(pid)]
            assert got["taken"] == [], (role, pid, got)
            assert "EPERM" in got["errors"], (role, pid, got)


def test_no_apache_process_www_data_can_take_descriptors_from_holds_the_hub(outsider, route):
    """Whatever www-data may take (mod_cgid's daemon is made dumpable by CoreDumpDirectory),
    none of it is a hub end."""
    assert route
    roles, seen = outsider
    for pid, role in roles.items():
        got = seen["getfd"][str(pid)]
        assert [k for _, k in got["taken"] if k == "seqpacket"] == [], (role, pid, got)


def test_www_data_cannot_list_an_apache_childs_descriptors(outsider, route):
    assert route
    roles, seen = outsider
    for pid, role in roles.items():
        if role in ("worker", "helper", "below the helper"):
            got = seen["procfd"][str(pid)]
            assert got["opened"] == [], (role, pid, got)


def test_mod_cgids_daemon_holds_no_hub_end(srv, route):
    """It is a child of the parent but no MPM child: it never runs child_init, and a CGI
    may reach it (with CoreDumpDirectory it is dumpable). It must not hold the hub."""
    assert route
    daemons = helperproc.cgid_daemons(srv)
    assert daemons, "no mod_cgid daemon found"
    for pid in daemons:
        assert helperproc.hub_fds(pid) == [], (pid, helperproc.unix_sockets_of(pid))


@pytest.fixture(scope="module")
def after_graceful(harness, srv, alice, token, outsider):
    """The same, after a graceful restart. The hub is made once per parent and kept across
    graceful restarts, so the processes of the next generation (mod_cgid's daemon among them)
    are forked while it exists."""
    srv.graceful()
    return reach_everything(harness, srv, alice, token)


def test_mod_cgids_daemon_holds_no_hub_end_after_a_graceful_restart(srv, after_graceful, route):
    assert route
    daemons = helperproc.cgid_daemons(srv)
    assert daemons, "no mod_cgid daemon found"
    for pid in daemons:
        assert helperproc.hub_fds(pid) == [], (pid, helperproc.unix_sockets_of(pid))


def test_after_a_graceful_restart_www_data_takes_no_hub_from_any_process(after_graceful, route):
    assert route
    roles, seen = after_graceful
    assert seen["control"]["taken"]
    for pid, role in roles.items():
        got = seen["getfd"][str(pid)]
        assert [k for _, k in got["taken"] if k == "seqpacket"] == [], (role, pid, got)


def test_after_a_graceful_restart_www_data_takes_nothing_from_children_or_helper(
        after_graceful, route):
    assert route
    roles, seen = after_graceful
    for pid, role in roles.items():
        if role in ("worker", "helper", "parent", "below the helper"):
            assert seen["getfd"][str(pid)]["taken"] == [], (role, pid, seen["getfd"][str(pid)])


def test_www_data_cannot_intercept_what_workers_send_the_helper(harness, srv, alice, token,
                                                               after_graceful, route):
    """Whatever hub end an outsider could take (test above), it must not receive the
    workers' connections: they carry every user's token. Home files fetched with alice's token
    while an outsider listens on every end it can take: it reads none of them."""
    assert route
    roles, _ = after_graceful
    p, taken = helperproc.intercept(harness.ns, "www-data", list(roles), seconds=4)
    try:
        with Client(srv.base_url, timeout=3) as c:
            for _ in range(40):
                try:
                    c.get_with_token("/whole/hello.txt", token, headers={"Connection": "close"})
                except Exception:    # a stolen connection is a request that never ends
                    pass
    finally:
        got = helperproc.intercepted(p)
    assert [g for g in got if token.encode() in g] == [], (taken, len(got))
    assert got == [], (taken, [g[:40] for g in got])


def test_the_route_through_a_childs_hub_still_gets_every_answer(harness, srv, alice, token):
    """After everything above (a graceful restart, intercepted connections)."""
    assert the_route_works(harness, srv, alice, token)
