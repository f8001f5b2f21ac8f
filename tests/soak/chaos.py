"""Chaos on a schedule, one event at a time, each kind in every round of four (in a shuffled
order), with a short random gap between events:

  helper-kill   SIGKILL to the helper; Apache must start a new one (within RESTART_WITHIN)
  helper-stop   SIGSTOP to the helper for 3 s or 12 s (alternately: shorter and longer than
                the 10 s a worker waits for a home file), then SIGCONT; requests meanwhile must
                get their answer or a 503 within the module's own time limits, never hang
  graceful      SIGUSR1 to the Apache parent (by the pid in its pid file, as apachectl -k
                graceful does); the old helper must go and a new one come
  redis-down    redis-server stopped (SIGTERM, which saves its data, or SIGKILL, which loses
                what came after the last save), restarted on the same port after 5 s; token
                checks and logins must fail closed meanwhile, and work again within seconds
  stop+graceful from the second round on: the helper SIGSTOPped, then a graceful restart,
                which must get rid of the stuck helper (and its PAM process) by itself

Each event is recorded with its span and a grace after it, within which 503s (and, for a
graceful restart, connections closed under a request) are excused. The helper is signalled
through a pidfd, so that a pid recycled in between is never hit."""

import os
import random
import signal
import threading
import time
import traceback
from dataclasses import dataclass

from taharness import helperproc
from taharness.apache import ApacheError
from taharness.waiting import wait_until

KILL, STOP, GRACEFUL, REDIS = "helper-kill", "helper-stop", "graceful", "redis-down"
STOP_GRACEFUL = "stop+graceful"
BASIC_KINDS = (KILL, STOP, GRACEFUL, REDIS)      # the first round: each once
KINDS = BASIC_KINDS + (STOP_GRACEFUL,)
RESTARTS = (GRACEFUL, STOP_GRACEFUL)             # close idle keep-alive connections
GRACE = {KILL: 5.0, STOP: 2.0, GRACEFUL: 5.0, REDIS: 10.0, STOP_GRACEFUL: 5.0}
STOPPED_BEFORE_GRACEFUL = 1.0
STOP_SECONDS = (3.0, 12.0)
REDIS_DOWN_SECONDS = 5.0
GAP_SECONDS = (2.0, 6.0)
RESTART_WITHIN = 5.0       # a killed helper replaced by then
GONE_WITHIN = 10.0         # the helper of the old generation gone after a graceful restart
RECOVERY_WITHIN = GRACE[REDIS]   # redis back: token checks and logins work again by then
REDIS_START_ATTEMPTS = 3


@dataclass
class Event:
    kind: str
    start: float          # wall clock
    end: float
    detail: str = ""

    @property
    def grace(self) -> float:
        return GRACE[self.kind]

    def excuses(self, t0: float, t1: float, closed: bool) -> bool:
        """A request sent at t0 and answered at t1 overlapped this event or its grace; a
        closed connection is excused by a graceful restart only."""
        if closed and self.kind not in RESTARTS:
            return False
        return t0 <= self.end + self.grace and t1 >= self.start


class ChaosFailure(Exception):
    """The server did not come through an event (no new helper, no recovery, ...)."""


class Chaos(threading.Thread):
    """probe() says whether a token check and a login work (for redis recovery)."""

    def __init__(self, server, redis, deadline: float, probe, seed: int = 7):
        super().__init__(name="soak-chaos", daemon=True)
        self.server = server
        self.redis = redis
        self.deadline = deadline          # time.monotonic() after which no event starts
        self.probe = probe
        self.rng = random.Random(seed)
        self.abort = threading.Event()
        self.events = []
        self.failures = []
        self.killed = set()               # helper pids this thread SIGKILLed
        self.restart_seconds = []         # kill -> new helper
        self.recovery_seconds = []        # redis back -> token check and login work
        self.fatal = False                # the server is gone: stop the run
        self._n = {k: 0 for k in KINDS}

    # --- schedule --------------------------------------------------------------------------
    def run(self) -> None:
        rounds = 0
        while not self.abort.is_set() and not self.fatal:
            order = list(BASIC_KINDS if rounds == 0 else KINDS)
            self.rng.shuffle(order)
            rounds += 1
            for kind in order:
                if self.abort.wait(self.rng.uniform(*GAP_SECONDS)):
                    return
                if time.monotonic() >= self.deadline or self.fatal:
                    return
                self.one(kind)

    def one(self, kind: str) -> None:
        do = {KILL: self.kill_helper, STOP: self.stop_helper, GRACEFUL: self.graceful,
              REDIS: self.redis_down, STOP_GRACEFUL: self.stop_and_graceful}[kind]
        start = time.time()
        try:
            detail = do(self._n[kind])
        except ChaosFailure as e:
            self.failures.append("%s at +%.0f s: %s" % (kind, start - self.epoch, e))
            detail = "FAILED: %s" % e
        except ApacheError as e:
            self.failures.append("%s: Apache did not come back: %s" % (kind, str(e)[:2000]))
            detail, self.fatal = "FAILED", True
        except Exception as e:   # a fault of the soak itself: reported, and the run goes on
            self.failures.append("%s: %s" % (kind, traceback.format_exc(limit=4)))
            detail = "FAILED: %r" % e
        self._n[kind] += 1
        self.events.append(Event(kind, start, time.time(), detail))

    epoch = 0.0

    def count(self, kind: str) -> int:
        return sum(1 for e in self.events if e.kind == kind)

    def windows(self, kind: str) -> list:
        """(start, end) of every event of kind."""
        return [(e.start, e.end) for e in self.events if e.kind == kind]

    # --- the helper -------------------------------------------------------------------------
    def live_helper(self, other_than=None, timeout: float = RESTART_WITHIN):
        def one():
            live = [p for p in helperproc.helpers_of(self.server)
                    if p.state != "Z" and p.pid != other_than]
            return live[0] if len(live) == 1 else None
        return wait_until(one, timeout)

    def helper_pidfd(self):
        """(the live helper, a pidfd of it), checked after the pidfd was opened."""
        h = self.live_helper()
        if h is None:
            raise ChaosFailure("no single live helper: %s" % helperproc.helpers_of(self.server))
        try:
            fd = os.pidfd_open(h.pid)
        except ProcessLookupError:
            raise ChaosFailure("helper %d vanished" % h.pid)
        now = helperproc.proc_info(h.pid)
        if now is None or now.comm != h.comm or now.ppid != h.ppid:
            os.close(fd)
            raise ChaosFailure("helper %d vanished" % h.pid)
        return h, fd

    @staticmethod
    def send(fd: int, sig) -> None:
        try:
            signal.pidfd_send_signal(fd, sig)
        except ProcessLookupError:
            pass

    def kill_helper(self, n: int) -> str:
        old, fd = self.helper_pidfd()
        t0 = time.monotonic()
        self.killed.add(old.pid)
        try:
            self.send(fd, signal.SIGKILL)
        finally:
            os.close(fd)
        new = self.live_helper(other_than=old.pid)
        if new is None:
            raise ChaosFailure("no new helper within %.0f s of killing %d"
                               % (RESTART_WITHIN, old.pid))
        self.restart_seconds.append(time.monotonic() - t0)
        return "pid %d killed, %d after %.2f s" % (old.pid, new.pid, self.restart_seconds[-1])

    def stop_helper(self, n: int) -> str:
        seconds = STOP_SECONDS[n % len(STOP_SECONDS)]
        h, fd = self.helper_pidfd()
        try:
            self.send(fd, signal.SIGSTOP)
            self.abort.wait(seconds)
        finally:
            self.send(fd, signal.SIGCONT)
            os.close(fd)
        return "pid %d stopped %.0f s" % (h.pid, seconds)

    def stop_and_graceful(self, n: int) -> str:
        """A graceful restart while the helper hangs: Apache must end it by itself."""
        h, fd = self.helper_pidfd()
        below = helperproc.descendants(h.pid)
        try:
            self.send(fd, signal.SIGSTOP)
            self.abort.wait(STOPPED_BEFORE_GRACEFUL)
            t0 = time.monotonic()
            detail = self.graceful(n, old=h)
            took = time.monotonic() - t0
        finally:
            self.send(fd, signal.SIGCONT)   # in case it is still there: the check below tells
            os.close(fd)
        def alive():
            return [p.pid for p in below if helperproc.proc_info(p.pid) is not None and
                    helperproc.proc_info(p.pid).state != "Z"]
        wait_until(lambda: not alive(), GONE_WITHIN)
        left = alive()
        if left:
            raise ChaosFailure("the stopped helper's PAM process outlived the graceful restart: "
                               "%s" % left)
        return "stopped %d, then %s; the restart took %.1f s" % (h.pid, detail, took)

    # --- Apache -----------------------------------------------------------------------------
    def graceful(self, n: int, old=None) -> str:
        old = old or self.live_helper()
        self.server.graceful()
        new = self.live_helper(other_than=old.pid if old else None)
        if new is None:
            raise ChaosFailure("no new helper after the graceful restart")
        if old and not wait_until(lambda: helperproc.proc_info(old.pid) is None, GONE_WITHIN):
            raise ChaosFailure("the old helper %d outlived the graceful restart: %s"
                               % (old.pid, helperproc.proc_info(old.pid)))
        return "helper %s -> %d" % (old.pid if old else None, new.pid)

    # --- redis ------------------------------------------------------------------------------
    def redis_down(self, n: int) -> str:
        how = ("SIGTERM", "SIGKILL")[n % 2]
        if how == "SIGTERM":
            self.redis.stop()
        else:
            os.kill(self.redis.proc.pid, signal.SIGKILL)
            self.redis.proc.wait(timeout=10)
            self.redis.proc = None
        try:
            self.abort.wait(REDIS_DOWN_SECONDS)
        finally:
            self._restart_redis()
        t0 = time.monotonic()
        if not wait_until(self.probe, RECOVERY_WITHIN, interval=0.1):
            raise ChaosFailure("token checks or logins did not work within %.0f s of redis "
                               "coming back" % RECOVERY_WITHIN)
        self.recovery_seconds.append(time.monotonic() - t0)
        return "%s, %.0f s down, service back %.2f s after" % (how, REDIS_DOWN_SECONDS,
                                                             self.recovery_seconds[-1])

    def _restart_redis(self) -> None:
        for attempt in range(REDIS_START_ATTEMPTS):
            try:
                self.redis.start()
                return
            except RuntimeError as e:
                if attempt + 1 == REDIS_START_ATTEMPTS:
                    self.fatal = True
                    raise ChaosFailure("redis did not start again on port %d: %s"
                                       % (self.redis.port, str(e)[:300]))
                time.sleep(1)
