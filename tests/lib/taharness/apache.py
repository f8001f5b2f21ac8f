"""One Apache httpd: the real /usr/sbin/apache2, started as root inside the namespace, with
its own ServerRoot, configuration, logs and pid file.

It runs with -DFOREGROUND as our child, so its exit can be awaited and reaped (this
container's init does not reap orphans). It is always stopped through the pid in its own
pid file: SIGTERM, wait, SIGKILL after a bounded wait."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from . import apacheconf, errorlog, paths, ports
from .waiting import wait_until

START_TIMEOUT = 20      # generous: ASan makes start-up slow
STOP_TIMEOUT = 10
RELOAD_TIMEOUT = 20
PORT_ATTEMPTS = 3
READY_LINE = "resuming normal operations"
# How long a stop or restart waits for connections that are being closed (see _settle)
SETTLE_TIMEOUT = 2.0
SETTLE_AFTER = 0.02
CRASH_RE = re.compile(r"AH00052: child pid (\d+) exit signal")


class ApacheError(RuntimeError):
    pass


class ApacheServer:
    """A server whose files live under root. Construct, then start(); or configtest() only."""

    def __init__(self, ns, root: Path, snippets=(), modules=apacheconf.BASE_MODULES, env=None,
                 populate=None):
        self.ns = ns
        self.snippets = list(snippets)
        self.modules = modules
        self.env = dict(env or {})
        self.populate = populate
        self.paths = apacheconf.ServerPaths(Path(root), ports.free_port())
        self.error_log = errorlog.LogFile(self.paths.error_log)
        self.access_log = errorlog.LogFile(self.paths.access_log)
        self.proc = None
        self.transitions = []   # error-log byte spans of stops and restarts
        self._prepare_dirs()

    # --- files -------------------------------------------------------------------------
    def _prepare_dirs(self) -> None:
        for d in (self.paths.root, self.paths.root / "conf", self.paths.logs, self.paths.run,
                  self.paths.docroot):
            d.mkdir(mode=0o755, parents=True, exist_ok=True)
            os.chmod(d, 0o755)  # www-data traverses to the docroot and the cgid socket
        if self.populate:
            self.populate(self.paths.docroot)

    @property
    def port(self) -> int:
        return self.paths.port

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def url(self, path: str) -> str:
        return self.base_url + path

    def config_text(self) -> str:
        return apacheconf.render(self.paths, self.snippets, self.modules)

    def write_config(self) -> str:
        text = self.config_text()
        self.paths.conf.write_text(text)
        return text

    # --- commands ------------------------------------------------------------------------
    def _argv(self, *extra) -> list:
        return [paths.APACHE_BIN, "-d", self.paths.root, "-f", self.paths.conf] + list(extra)

    def configtest(self) -> subprocess.CompletedProcess:
        """`apache2 -t` on the current configuration, as root inside the namespace."""
        self.write_config()
        return self.ns.run(self._argv("-t"), env=self.env)

    def start(self) -> "ApacheServer":
        """Start and wait until it accepts connections; on failure, raise with its output.
        The port was free when chosen but may have been taken since: then try another."""
        if self.proc is not None:
            raise ApacheError("already started")
        for attempt in range(PORT_ATTEMPTS):
            try:
                return self._start_once()
            except ApacheError as e:
                if "Address already in use" not in str(e) or attempt + 1 == PORT_ATTEMPTS:
                    raise
                self.paths = apacheconf.ServerPaths(self.paths.root, ports.free_port())

    def _start_once(self) -> "ApacheServer":
        self.write_config()
        out = open(self.paths.logs / "stderr.log", "ab")
        try:
            self.proc = self.ns.popen(self._argv("-DFOREGROUND"), env=self.env,
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        finally:
            out.close()
        if not wait_until(self._ready, START_TIMEOUT):
            self._fail("did not start within %ds" % START_TIMEOUT)
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            self._fail("exited with status %s during start-up" % self.proc.returncode)
        return self.pid() == self.proc.pid and ports.accepts(self.port)

    def _fail(self, why: str) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        self.proc = None
        raise ApacheError("apache2 %s\n--- stderr:\n%s\n--- error log (tail):\n%s" % (
            why, (self.paths.logs / "stderr.log").read_text(errors="replace"),
            "\n".join(self.error_log.lines()[-30:])))

    def pid(self):
        """The pid in Apache's own pid file, or None."""
        try:
            return int(self.paths.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def child_pids(self) -> list:
        """Apache's children (workers and the cgid daemon), from /proc."""
        return _children_of(self.pid()) if self.pid() else []

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _reload(self, sig, what: str) -> None:
        """Signal the parent and wait for the new generation to be up."""
        mark = self.error_log.mark()
        os.kill(self.pid(), sig)
        ok = wait_until(lambda: READY_LINE in self.error_log.text(mark) and
                        ports.accepts(self.port), RELOAD_TIMEOUT)
        self.transitions.append((mark, self.error_log.mark()))
        if not ok:
            self._fail("did not come back from %s" % what)

    def graceful(self) -> None:
        """SIGUSR1: re-read the configuration (and key file); old children finish first."""
        self.write_config()
        self._reload(signal.SIGUSR1, "a graceful restart")

    def restart(self) -> None:
        """SIGHUP: re-read the configuration and replace every child at once."""
        self.write_config()
        self._settle()
        self._reload(signal.SIGHUP, "a restart")

    def _settle(self) -> None:
        """Before an ungraceful stop or restart, let the server finish closing the connections
        its clients just hung up (bounded). httpd's event MPM has a race there of its own: the
        child's main thread closes the sockets its workers hold (close_worker_sockets) without
        a lock, and reads a socket whose connection a worker is closing at that moment. Seen
        as a child's segfault in apr_os_sock_get, called from the MPM's main thread (a
        backtrace taken with a SIGSEGV handler preloaded into Apache), in about one of
        thirty-five stops in test_helper_down's pattern: a request just after the helper
        resumed, the client hangs up, the stop. When the close itself races, it shows as
        AH00468. Waiting for those closes keeps the run's crash check about our code."""
        wait_until(lambda: ports.closing_connections(self.paths.port) == 0, SETTLE_TIMEOUT)
        time.sleep(SETTLE_AFTER)

    def stop(self) -> None:
        """SIGTERM to the pid in the pid file; SIGKILL (parent and its children) if it hangs."""
        if self.proc is None:
            return
        pid = self.pid() or self.proc.pid
        mark = self.error_log.mark()
        killed = False
        if self.proc.poll() is None:
            self._settle()
            _signal_quietly(pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill_hard(pid)
                killed = True
        self.transitions.append((mark, self.error_log.mark()))
        status, self.proc = self.proc.returncode, None
        if status != 0 and not killed:
            # a crash while stopping (a cleanup of ours after the module was unloaded, say)
            raise ApacheError("apache2 exited with status %s when stopped" % status)

    def _kill_hard(self, pid: int) -> None:
        for child in _children_of(pid):
            _signal_quietly(child, signal.SIGKILL)
        _signal_quietly(pid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)

    # --- logs ----------------------------------------------------------------------------
    def access_lines_with(self, needle: str, timeout: float = 5.0) -> list:
        """Access-log lines containing needle. The line is written after the response is
        sent, so wait for it (bounded) instead of reading once."""
        def found():
            return [ln for ln in self.access_log.lines() if needle in ln]
        return wait_until(found, timeout) or []

    def unexpected_errors(self, since: int = 0, allow=()) -> list:
        """Bad error-log lines from since on, except allowed ones and httpd's known noise
        inside a stop or restart."""
        def in_transition(pos):
            return any(a <= pos < b for a, b in self.transitions)
        lines = [ln for pos, ln in self.error_log.lines_at(since)
                 if not (in_transition(pos) and errorlog.is_transition_noise(ln))]
        bad = errorlog.unexpected(lines, allow)
        for line in list(bad):
            crashed = CRASH_RE.search(line)
            if crashed:
                bad.append(self.last_words(int(crashed.group(1))))
        return bad

    def last_words(self, pid: int, n: int = 12) -> str:
        """What the crashed process was (our helper logs its pid at start, TA00058) and the
        last lines it logged: children are not dumpable (the module's own choice), so no core
        tells."""
        own = [ln for ln in self.error_log.lines() if "[pid %d:" % pid in ln or
               "[pid %d]" % pid in ln or "helper %d " % pid in ln]
        return "--- the last %d of %d error-log lines of pid %d:\n%s" % (
            min(n, len(own)), len(own), pid, "\n".join(own[-n:]))


def _children_of(pid: int) -> list:
    """Pids whose parent is pid (Apache's children), read from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def _signal_quietly(pid: int, sig) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
