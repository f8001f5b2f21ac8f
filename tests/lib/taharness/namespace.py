"""A private mount namespace in which copies of /etc/passwd, /etc/shadow, /etc/group,
/etc/gshadow and /etc/pam.d, and a private /home, hide the real ones.

Test users must be visible to Apache, to the tokenauth CLI and (later) to PAM, but must never
touch the host. A long-lived holder process owns the namespace; every command that must see
the users is started inside it with nsenter. The copies are edited from outside, through
their real paths under the work directory: a bind mount shows the same inode, so an edit made
in place (never by rename, which cannot replace a mount point) is seen inside at once."""

import grp
import os
import shlex
import shutil
import signal
import subprocess
import select
from pathlib import Path

SHADOW_FILES = ("shadow", "gshadow")  # root:shadow 0640, as on Debian
ETC_FILES = ("passwd", "shadow", "group", "gshadow")
READY_TIMEOUT = 10
PYTHON = "/usr/bin/python3"


class MountNamespace:
    """Holder process plus the directory of copies it mounts over the originals."""

    def __init__(self, workdir: Path):
        self.etc = Path(workdir) / "etc"
        self.home = Path(workdir) / "home"
        self.holder = None

    @property
    def pid(self) -> int:
        return self.holder.pid

    def start(self) -> "MountNamespace":
        self._copy_etc()
        self.home.mkdir(mode=0o755)
        os.chmod(self.home, 0o755)
        self._start_holder()
        return self

    def _copy_etc(self) -> None:
        """Copies keep owner and mode, so PAM and NSS see what they expect. The folder opens
        to others only once they do: copy2 writes a copy before it sets its mode, and an open
        file stays readable."""
        self.etc.mkdir(mode=0o700)
        os.chmod(self.etc, 0o700)
        for name in ETC_FILES:
            src = Path("/etc") / name
            if not src.exists():
                continue
            dst = self.etc / name
            shutil.copy2(src, dst)
            if name in SHADOW_FILES:
                os.chown(dst, 0, grp.getgrnam("shadow").gr_gid)
                os.chmod(dst, 0o640)
        shutil.copytree("/etc/pam.d", self.etc / "pam.d", symlinks=True)
        os.chmod(self.etc, 0o755)

    def _binds(self) -> list:
        """(copy, target) pairs: what the holder bind-mounts over what."""
        binds = [(self.etc / n, "/etc/" + n) for n in ETC_FILES if (self.etc / n).exists()]
        return binds + [(self.etc / "pam.d", "/etc/pam.d"), (self.home, "/home")]

    def bind_targets(self) -> list:
        """The paths our copies hide inside the namespace (/etc/passwd, ..., /home)."""
        return [target for _, target in self._binds()]

    def mount_points(self) -> set:
        """Mount points the namespace has now, from its holder's mountinfo. A bind target that
        is missing was detached: e.g. the host renamed a new /etc/passwd over the original,
        and the kernel drops mounts on a replaced file in every namespace."""
        text = Path("/proc", str(self.pid), "mountinfo").read_text()
        return {line.split()[4] for line in text.splitlines() if len(line.split()) > 4}

    def _mount_script(self) -> str:
        cmds = ["mount --bind %s %s" % (shlex.quote(str(s)), shlex.quote(d))
                for s, d in self._binds()]
        return "set -e; %s; echo ready; exec sleep infinity" % "; ".join(cmds)

    def _start_holder(self) -> None:
        """unshare with private propagation: our mounts never leak back to the host."""
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
             self._mount_script()],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.holder.stdout], [], [], READY_TIMEOUT)
        line = self.holder.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.stop()
            raise RuntimeError("namespace holder failed: %r %s" % (line, self._holder_stderr()))

    def _holder_stderr(self) -> str:
        try:
            return self.holder.stderr.read().decode(errors="replace")
        except (OSError, ValueError):
            return ""

    def command(self, argv, env=None) -> list:
        """argv prefixed so that it runs inside the namespace. env, when given, is set with
        env(1) after nsenter, so nsenter itself does not run with e.g. an ASan preload."""
        prefix = ["nsenter", "--target", str(self.pid), "--mount", "--"]
        if env:
            prefix += ["env"] + ["%s=%s" % kv for kv in env.items()]
        return prefix + [str(a) for a in argv]

    def run(self, argv, env=None, timeout=30, check=False, **kw) -> subprocess.CompletedProcess:
        """Run to completion inside the namespace; text output captured."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return subprocess.run(self.command(argv, env), timeout=timeout, check=check, text=True,
                              **kw)

    def ids_of(self, name: str) -> tuple:
        """(uid, gid) of name in the namespace's copy of /etc/passwd."""
        for line in (self.etc / "passwd").read_text().splitlines():
            parts = line.split(":")
            if parts[0] == name:
                return int(parts[2]), int(parts[3])
        raise KeyError("no user %s in the namespace" % name)

    def as_user(self, user, argv) -> list:
        """argv prefixed to run with user's uid and primary gid and no supplementary groups
        (setpriv, so no PAM session and no login shell); user None keeps root."""
        if user is None:
            return list(argv)
        uid, gid = self.ids_of(user)
        return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups",
                "--"] + list(argv)

    def run_as(self, user, argv, **kw) -> subprocess.CompletedProcess:
        """run(), as user (see as_user), from / so that no unreadable cwd matters."""
        kw.setdefault("cwd", "/")
        return self.run(self.as_user(user, argv), **kw)

    def python_as(self, user, code: str, args=(), **kw) -> subprocess.CompletedProcess:
        """A Python snippet (Debian's /usr/bin/python3, isolated mode) inside the namespace as
        user; args become sys.argv[1:]."""
        return self.run_as(user, [PYTHON, "-I", "-c", code] + [str(a) for a in args], **kw)

    def popen_python_as(self, user, code: str, args=(), **kw) -> subprocess.Popen:
        """python_as, but started in the background (text pipes unless told otherwise)."""
        kw.setdefault("cwd", "/")
        kw.setdefault("stdin", subprocess.PIPE)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        return self.popen(self.as_user(user, [PYTHON, "-I", "-c", code] +
                                       [str(a) for a in args]), **kw)

    def popen(self, argv, env=None, **kw) -> subprocess.Popen:
        """Start inside the namespace. nsenter without --pid execs the command, so the
        returned process is the command itself."""
        return subprocess.Popen(self.command(argv, env), **kw)

    def stop(self) -> None:
        """Killing the holder ends the namespace once nothing else runs in it."""
        if self.holder is None or self.holder.poll() is not None:
            return
        self.holder.send_signal(signal.SIGKILL)
        self.holder.wait(timeout=10)
