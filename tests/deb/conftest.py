"""The throwaway Debian root of the package tests (make deb-check).

  debs     (session) the .deb files `make deb` left in TA_DEB_DIR: {"module": path, "cli": path}
  root     (session) a fresh bookworm made by mmdebstrap (stock apache2, ssl-cert, curl, passwd)
           under TA_BUILD, entered through a namespace of its own: a private mount table
           (/proc and /dev mounted into the root only), a network namespace with nothing but
           its own loopback (Apache listens on port 80 and 443 there, never on this machine's)
           and a pid namespace whose end stops everything started in it. Nothing runs against
           this machine's dpkg database or /etc. Removed at the end.
  timings  (session) seconds of the slow steps, printed in the summary
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("TA_BUILD", REPO / "build")).resolve()
DEB_DIR = Path(os.environ.get("TA_DEB_DIR", BUILD / "deb")).resolve()
SUITE = "bookworm"
INCLUDE = "apache2,ssl-cert,curl,passwd"
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

TIMINGS = {}


def pytest_terminal_summary(terminalreporter):
    for step, seconds in TIMINGS.items():
        terminalreporter.write_line("deb-check timing: %s %.1f s" % (step, seconds))


@pytest.fixture(scope="session")
def timings():
    return TIMINGS


def find_debs(directory):
    """The module and CLI packages in directory (never the -dbgsym ones)."""
    found = {}
    for p in sorted(Path(directory).glob("*.deb")):
        if p.name.startswith("libapache2-mod-tokenauth_"):
            found["module"] = p
        elif p.name.startswith("tokenauth_"):
            found["cli"] = p
    assert set(found) == {"module", "cli"}, "no packages in %s: run make deb" % directory
    return found


@pytest.fixture(scope="session")
def debs():
    return find_debs(DEB_DIR)


class Root:
    """A bookworm root and the namespace holder process every command enters."""

    def __init__(self, path):
        self.path = Path(path)
        self.holder = None
        self.pid = None

    def enter(self):
        # pid 1 of the new pid namespace mounts /proc and /dev into the root (in its private
        # mount table), raises lo, says so and sleeps; --kill-child ends it with unshare.
        script = ("set -e; mount -t proc proc '{r}/proc'; mount --rbind /dev '{r}/dev'; "
                  "ip link set lo up; echo ready; exec sleep infinity").format(r=self.path)
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--net", "--pid", "--fork",
             "--kill-child", "sh", "-c", script], stdout=subprocess.PIPE, text=True)
        line = self.holder.stdout.readline()
        assert line.strip() == "ready", "the namespace did not come up"
        children = Path("/proc/%d/task/%d/children" % (self.holder.pid, self.holder.pid))
        self.pid = int(children.read_text().split()[0])

    def leave(self):
        # unshare ignores SIGTERM while it waits; the end of the namespace's pid 1 (the
        # process it started, by its id) ends every process of the namespace, then unshare.
        if self.holder is not None:
            if self.pid is not None:
                os.kill(self.pid, signal.SIGKILL)
            self.holder.wait(timeout=30)
            self.holder = None

    def run(self, script, check=True, stdin=subprocess.DEVNULL, timeout=300):
        """sh -c script as root in the root, with a clean environment; bytes out."""
        cmd = ["nsenter", "--target", str(self.pid), "--mount", "--net", "--pid", "--",
               "chroot", str(self.path), "/usr/bin/env", "-i", "PATH=" + ROOT_PATH,
               "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive",
               "/bin/sh", "-c", script]
        p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("in the root: %s\nexit %d\nstdout: %s\nstderr: %s" % (
                script, p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace")))
        return p

    def out(self, script, **kw):
        return self.run(script, **kw).stdout.decode()

    def file(self, path):
        """The root's path as seen from here (for reading and comparing bytes)."""
        return self.path / path.lstrip("/")

    def processes(self):
        """Names of the processes of the root's pid namespace."""
        return self.out("cat /proc/[0-9]*/comm 2>/dev/null || true").split()

    def http(self, url, method="GET", headers=(), data=None, insecure=False):
        """curl inside the namespace: (status, headers text, body bytes)."""
        args = ["curl", "-sS", "--path-as-is", "--max-time", "20", "-X", method,
                "-o", "/tmp/ta-body", "-D", "/tmp/ta-head", "-w", "%{http_code}"]
        if insecure:
            args.append("-k")
        for h in headers:
            args += ["-H", h]
        if data is not None:
            args += ["--data-binary", "@/tmp/ta-data"]
            self.file("/tmp/ta-data").write_bytes(data)
        args.append(url)
        status = self.out(" ".join(shell_quote(a) for a in args))
        return (int(status), self.file("/tmp/ta-head").read_text(errors="replace"),
                self.file("/tmp/ta-body").read_bytes())


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def mounts_below(path):
    """Mount points of this machine's mount table at or below path."""
    prefix = str(path).rstrip("/") + "/"
    with open("/proc/self/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    return [m for m in points if m == str(path) or m.startswith(prefix)]


@pytest.fixture(scope="session")
def root():
    BUILD.mkdir(parents=True, exist_ok=True)
    top = Path(tempfile.mkdtemp(prefix="deb-root.", dir=BUILD))
    r = Root(top / "root")
    try:
        t0 = time.monotonic()
        subprocess.run(["mmdebstrap", "--quiet", "--variant=apt", "--include=" + INCLUDE,
                        SUITE, str(r.path)], check=True, timeout=900)
        TIMINGS["mmdebstrap"] = time.monotonic() - t0
        r.enter()
        yield r
    finally:
        if r.holder is not None:
            r.run("apache2ctl stop >/dev/null 2>&1 || true", check=False)
        r.leave()
        # Never remove a tree that still has anything mounted in it.
        assert not mounts_below(top), "still mounted: %s" % mounts_below(top)
        shutil.rmtree(top)


def key_lines(text):
    """The key lines of a key file (no comments, no blank lines)."""
    return [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


EDDSA_LINE = re.compile(r"^k\d{8}-[A-Za-z0-9_-]{4} EdDSA [A-Za-z0-9_-]{43}$")
