"""Apache as PID 1 (issue 9), the usual container layout: the event MPM with mod_cgid in a pid
namespace of its own (`unshare --pid --fork --mount-proc`, inside the harness's mount
namespace). A CGI that double-forks leaves a grandchild that the kernel re-parents to PID 1,
Apache itself - a www-data process whose parent is Apache's parent, which an "is the peer an
Apache child?" check would have let in. It tries every way to the helper: any Unix socket
under the server's directories, /proc/<apache process>/fd/N, pidfd_getfd on every Apache
process (children are not dumpable), and the descriptors it inherited itself. It gets nowhere,
while a login over HTTP on the same server works (the helper is alive and serves).

The server is stopped by its own pid (the host's pid of the namespace's PID 1), and nothing of
its pid namespace may be left afterwards."""

import json
import os
from pathlib import Path

import pytest

from taharness import helperproc, paths, ports, site
from taharness.apache import ApacheServer
from taharness.helperproc import AUTH_RESP, auth_req, parse_frames
from taharness.http import Client
from taharness.waiting import wait_until

# mod_cgid answers the grandchild's probe of its socket (our frames are no request of its)
ERROR_LOG_ALLOW = [r"AH01248: Error reading request on cgid socket"]

CGI_NAME = "reach.cgi"
REACH_SITE = """
ScriptAlias /reach/ "{docroot}/reach-bin/"
<Location /whole>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
"""


class Pid1Server(ApacheServer):
    """Apache as PID 1 of a pid namespace of its own. Its pid file says 1; pid() is the host's
    pid of that process (the one child of unshare), which is what stop() signals."""

    def _argv(self, *extra) -> list:
        return ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
                str(paths.APACHE_BIN), "-d", str(self.paths.root), "-f", str(self.paths.conf)] \
            + list(extra)

    def pid(self):
        if self.proc is None:
            return None
        kids = [p.pid for p in helperproc.children_of(self.proc.pid) if p.comm == "apache2"]
        return kids[0] if kids else None

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            self._fail("exited with status %s during start-up" % self.proc.returncode)
        return self.pid() is not None and self.pid_in_namespace() == 1 and \
            ports.accepts(self.port)

    def pid_in_namespace(self):
        try:
            return int(self.paths.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def pid_namespace(self) -> str:
        return os.readlink("/proc/%d/ns/pid" % self.pid())


def processes_in(ns_link: str) -> list:
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                if os.readlink("/proc/%s/ns/pid" % e) == ns_link:
                    out.append(int(e))
            except OSError:
                pass
    return out


def install_cgi(docroot: Path) -> None:
    d = docroot / "reach-bin"
    d.mkdir(exist_ok=True)
    os.chmod(d, 0o755)
    cgi = d / CGI_NAME
    cgi.write_text("#!/usr/bin/python3 -I\n" + helperproc.CLIENT)
    os.chmod(cgi, 0o755)


@pytest.fixture(scope="module")
def srv(harness):
    s = Pid1Server(harness.ns, harness.workdir / "pid1-main",
                   [site.default_site(harness.key_file.path), site.RELAXED_THROTTLE,
                    lambda p: REACH_SITE.format(docroot=p.docroot)],
                   env=harness.sanitizers.env(paths.module_path()), populate=site.populate)
    install_cgi(s.paths.docroot)
    harness.servers.append(s)
    s.start()
    yield s
    s.stop()


def login(srv, user):
    with Client(srv.base_url) as c:
        return c.login(user.name, user.password, headers={"Connection": "close"})


@pytest.fixture(scope="module")
def grandchild(srv, alice):
    """The report of the CGI's re-parented grandchild, with logins before and after."""
    before = login(srv, alice)
    cfg = {"dirs": [str(srv.paths.root)], "probe": auth_req("alice", alice.password).hex(),
           "wait": 2}
    with Client(srv.base_url, timeout=60) as c:
        r = c.get("/reach/%s?%s" % (CGI_NAME, json.dumps(cfg).encode().hex()))
    assert r.status_code == 200, (r.status_code, r.text[:500])
    report = r.json()
    after = login(srv, alice)
    return report, before, after


def apache_pids(report) -> dict:
    """pid (inside the namespace) -> comm of Apache's processes the grandchild saw."""
    return {int(p): c for p, c in report["pids"].items()
            if c == "apache2" or c.startswith(helperproc.HELPER_COMM)}


def test_apache_is_pid_1_of_its_namespace(srv):
    assert srv.pid_in_namespace() == 1
    assert helperproc.proc_info(srv.pid()).comm == "apache2"
    assert len([p for p in helperproc.helpers_of(srv) if p.state != "Z"]) == 1


def legit(grandchild) -> None:
    """Meanwhile the legitimate route works: a login over HTTP before and after."""
    _, before, after = grandchild
    assert (before.status_code, after.status_code) == (200, 200), (before.text, after.text)


def test_the_grandchild_was_re_parented_to_apache(grandchild):
    report, _, _ = grandchild
    legit(grandchild)
    assert report["ppid"] == 1, report["ppid"]
    assert report["pids"].get("1") == "apache2"
    assert report["uid"] == 33


def test_the_grandchild_sees_the_helper_and_apaches_children(grandchild):
    """So that the refusals below are refusals of real targets."""
    report, _, _ = grandchild
    legit(grandchild)
    comms = list(apache_pids(report).values())
    assert helperproc.HELPER_COMM in comms and comms.count("apache2") >= 3, report["pids"]


def test_the_grandchild_inherited_no_hub(grandchild):
    report, _, _ = grandchild
    legit(grandchild)
    assert report["own_seqpacket"] == [], report["own_seqpacket"]


def test_the_grandchild_finds_no_helper_socket(grandchild, srv):
    report, _, _ = grandchild
    legit(grandchild)
    assert len(report["sockets"]) == 1, report["sockets"]
    assert helperproc.is_cgid_socket(srv, list(report["sockets"])[0]), report["sockets"]
    for path, r in report["sockets"].items():
        reply = bytes.fromhex(r["reply"])
        assert not reply.startswith(b"TA"), (path, reply[:64])


def test_the_grandchild_cannot_take_a_descriptor_from_any_apache_process(grandchild):
    report, _, _ = grandchild
    legit(grandchild)
    assert report["control"]["taken"], report["control"]
    for pid, comm in apache_pids(report).items():
        got = report["getfd"][str(pid)]
        assert got["taken"] == [], (pid, comm, got)
        assert "EPERM" in got["errors"], (pid, comm, got)


def test_the_grandchild_cannot_open_apache_processes_descriptors(grandchild):
    report, _, _ = grandchild
    legit(grandchild)
    for pid, comm in apache_pids(report).items():
        got = report["procfd"][str(pid)]
        assert got["opened"] == [], (pid, comm, got)


def test_a_login_over_http_works_on_that_server(grandchild):
    _, before, after = grandchild
    assert before.status_code == 200, before.text
    assert after.status_code == 200, after.text


def test_the_helper_answers_through_a_childs_hub(harness, srv, alice, grandchild):
    """The route the grandchild could not take, taken by root (inside the pid namespace, so
    that the helper can see who made the connection)."""
    t = helperproc.talk(harness.ns, srv, auth_req("alice", alice.password), frames=1,
                        pid=helperproc.worker_with_hub(srv), enter=srv.pid())
    (f,) = parse_frames(t.reply)
    assert f.msg_type == AUTH_RESP and helperproc.auth_resp(f).result == 0


def test_stopping_pid_1_leaves_nothing_of_its_namespace(harness, alice):
    s = Pid1Server(harness.ns, harness.workdir / "pid1-stop",
                   [site.default_site(harness.key_file.path)],
                   env=harness.sanitizers.env(paths.module_path()), populate=site.populate)
    harness.servers.append(s)
    s.start()
    assert login(s, alice).status_code == 200
    ns_link, host_pid, launcher = s.pid_namespace(), s.pid(), s.proc
    assert len(processes_in(ns_link)) >= 4        # Apache, its children, the helper, ...
    s.stop()
    assert launcher.poll() is not None
    assert wait_until(lambda: processes_in(ns_link) == [], 5), processes_in(ns_link)
    assert helperproc.proc_info(host_pid) is None
