#!/usr/bin/env python3
"""`make -f Makefile.apxs soak`: minutes of mixed load on one real Apache with mod_tokenauth
while its helper is killed and stopped, Apache restarts gracefully, and its redis goes away and
comes back. Not part of `make check`.

The harness of the integration tests does the setting up: Apache as root with User www-data
(event MPM, two children of eight threads), users with 0700 homes in a private mount
namespace, a real redis-server as TokenAuthCache. Then:

  warm-up   load without chaos (10% of the time, at most 20 s), then a quiet sample of the
            server's processes, descriptors and memory
  chaos     load with chaos events one after another (chaos.py) for about 70% of the time
  tail      load without chaos for the rest (at least 12 s), with a quiet sample at its start
  end       the load stops; after a settle period, the last sample

Every answer is classified (outcomes.py); the error log is read for crashes and unexplained
errors (logjudge.py); the samples are compared (resources.py). The run passes with no wrong
answer, no unexpected answer, no crash, no unexplained error line, no chaos event the server
failed to come through, and no growth beyond the stated limits; it prints a summary and ends
with `soak: PASS` (exit 0) or `soak: FAIL (...)` (exit 1).

Environment: SOAK_SECONDS (default 600: the load's duration, quiet samples not counted),
SOAK_CLIENTS (default 8 threads), TA_BUILD (the build to test, as for the integration
tests), TA_KEEP=1 (keep the work directory, logs included), SOAK_TRACE=FILE (every answer,
one line each: start in seconds from the beginning, seconds taken, kind, status, verdict)."""

import os
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from taharness import Harness  # noqa: E402
from taharness.http import Client as HttpClient  # noqa: E402
from taharness.redis import RedisServer  # noqa: E402
from taharness.waiting import wait_until  # noqa: E402

import chaos as chaoslib  # noqa: E402
import clients  # noqa: E402
import logjudge  # noqa: E402
import outcomes  # noqa: E402
import resources  # noqa: E402
import soaksite  # noqa: E402

DEFAULT_SECONDS = 600
DEFAULT_CLIENTS = 8
MIN_SECONDS = 40
WARMUP_SHARE, WARMUP_MAX = 0.1, 20.0
TAIL_SHARE, TAIL_MIN = 0.2, 12.0
SETTLE = 7.0             # past Apache's KeepAliveTimeout (5 s): idle connections closed
SETTLE_MAX = 30.0
SEED_TTL = 7200
SHOWN = 50               # unexpected answers and log lines printed (all WRONG ones are)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


class Aborted(Exception):
    """The server did not come through a chaos event: nothing left to measure."""


class Timeline:
    """Load time (the gate open) against wall time."""

    def __init__(self):
        self.load_seconds = 0.0
        self._opened = None

    def opened(self):
        self._opened = time.monotonic()

    def closed(self):
        if self._opened is not None:
            self.load_seconds += time.monotonic() - self._opened
            self._opened = None


def quiet_sample(load, server, limits, timeline):
    """Pause the load, let the server settle, sample, and resume."""
    timeline.closed()
    load.pause()
    time.sleep(SETTLE)
    wait_until(lambda: resources.settled(server, limits), SETTLE_MAX, interval=0.5)
    sample = resources.take(server)
    load.resume()
    timeline.opened()
    return sample


def redis_probe(server, site, token):
    """Whether a token check (revocations in redis) and a login (counters in redis) work."""
    u = site.users[soaksite.USERS[0]]

    def probe() -> bool:
        try:
            with HttpClient(server.base_url, timeout=10) as c:
                if c.get_with_token(soaksite.WHOAMI_PATH, token).status_code != 200:
                    return False
                return c.login(u.name, u.password).status_code == 200
        except requests.RequestException:
            return False
    return probe


class Run:
    def __init__(self, harness, site, redis, seconds: int, n_clients: int):
        self.h = harness
        self.site = site
        self.redis = redis
        self.seconds = seconds
        self.n_clients = n_clients
        self.warmup = min(WARMUP_MAX, seconds * WARMUP_SHARE)
        self.tail = max(TAIL_MIN, seconds * TAIL_SHARE)
        self.chaos_seconds = seconds - self.warmup - self.tail
        self.timeline = Timeline()
        trace = os.environ.get("SOAK_TRACE")
        self.results = outcomes.Results(open(trace, "w", buffering=1) if trace else None)

    def start_server(self):
        self.server = self.h.start_apache("soak", extra=[soaksite.home_site(self.redis.port)])
        self.limits = resources.mpm_numbers(self.server)
        self.log_mark = self.server.error_log.mark()
        self.stderr_mark = logjudge.stderr_mark(self.server)
        self.core_dirs = ["/", str(self.server.paths.root),
                          os.readlink("/proc/%d/cwd" % self.server.pid())]
        self.cores_before = logjudge.core_files(self.core_dirs)

    def make_load(self):
        key = self.h.key_file.signing_key
        self.shared = clients.Shared(self.site, self.server, self.results, key, seed=11)
        seeds = {(i, u): self.h.mint(u, ttl=SEED_TTL)
                 for i in range(self.n_clients) for u in self.site.users}
        self.load = clients.Load(self.shared, self.n_clients,
                                 lambda i: {u: seeds[(i, u)] for u in self.site.users})

    def execute(self):
        self.start_server()
        self.make_load()
        outcomes.Results.epoch = chaoslib.Chaos.epoch = time.time()
        self.timeline.opened()
        self.load.start()
        try:
            time.sleep(self.warmup)
            self.start_sample = quiet_sample(self.load, self.server, self.limits, self.timeline)
            self.chaos = chaoslib.Chaos(
                self.server, self.redis, time.monotonic() + self.chaos_seconds,
                redis_probe(self.server, self.site, self.h.mint(soaksite.USERS[0],
                                                                ttl=SEED_TTL)))
            chaos_began = time.monotonic()
            self.chaos.start()
            self.chaos.join()
            if self.chaos.fatal:
                raise Aborted("; ".join(self.chaos.failures))
            chaos_took = time.monotonic() - chaos_began
            self.tail_sample = quiet_sample(self.load, self.server, self.limits, self.timeline)
            # the tail is what is left of the load time once chaos overran its share
            time.sleep(max(TAIL_MIN, self.tail - max(0.0, chaos_took - self.chaos_seconds)))
        finally:
            self.chaos_abort()
            self.timeline.closed()
            self.load.stop()
        time.sleep(SETTLE)
        wait_until(lambda: resources.settled(self.server, self.limits), SETTLE_MAX, interval=0.5)
        self.end_sample = resources.take(self.server)

    def chaos_abort(self):
        c = getattr(self, "chaos", None)
        if c is not None:
            c.abort.set()
            c.join(60)

    def judge(self):
        self.results.resolve(self.chaos.events)
        self.crashes, self.refusals, self.bad_lines = logjudge.judge(
            self.server, self.log_mark, self.chaos.events, self.chaos.killed)
        self.crashes += logjudge.stderr_crashes(self.server, self.stderr_mark)
        self.crashes += sorted("new core file %s" % p for p in
                               logjudge.core_files(self.core_dirs) - self.cores_before)
        self.rows = resources.judge(self.start_sample, self.tail_sample, self.end_sample,
                                    self.limits)
        self.explain_refused()

    def explain_refused(self):
        """Name the helper's refusal as the cause of an unexplained 503 it coincides with (the
        helper logs one refusal line a second at most: a line covers the second after it)."""
        times = [t for t in map(logjudge.line_time, self.refusals) if t is not None]
        r = self.results
        for i, a in enumerate(r.unexpected):
            if a.status == 503 and any(a.t0 - 1.0 <= t <= a.t1 + 0.5 for t in times):
                r.unexpected[i] = outcomes.Answer(a.kind, a.t0, a.t1, a.status, a.note +
                                                  " (the helper refused the child: TA00068)")

    def stop_server(self):
        """A stop that fails (Apache exits non-zero: a crash in a cleanup) is a crash too."""
        try:
            self.server.stop()
        except Exception as e:   # ApacheError, or a hang past the harness's bounds
            self.crashes.append("stopping Apache: %s" % e)


# --- the summary ------------------------------------------------------------------------------

KIND_ORDER = ("login", "login-bad", "file", "range", "url-token", "share", "share-scope",
              "listing", "whoami", "mint", "logout", "revoked", "bad", "foreign")


def print_requests(run) -> None:
    r = run.results
    cols = len(outcomes.OUTCOMES)
    print(("%-12s %9s" + " %10s" * cols + " %9s %9s") % (
        ("kind", "requests") + outcomes.OUTCOMES + ("slowest s", "retried")))
    kinds = [k for k in KIND_ORDER if k in r.counts] + sorted(set(r.counts) - set(KIND_ORDER))
    totals = {o: 0 for o in outcomes.OUTCOMES}
    for k in kinds:
        c = r.counts[k]
        for o in outcomes.OUTCOMES:
            totals[o] += c[o]
        print(("%-12s %9d" + " %10d" * cols + " %9.2f %9d") % (
            (k, sum(c.values())) + tuple(c[o] for o in outcomes.OUTCOMES) +
            (r.slowest[k], r.retries[k])))
    total = sum(totals.values())
    print(("%-12s %9d" + " %10d" * cols + " %9s %9d") % (
        ("all", total) + tuple(totals[o] for o in outcomes.OUTCOMES) +
        ("", sum(r.retries.values()))))
    print("load: %d requests in %.0f s of load = %.0f requests/s (%d clients)"
          % (total, run.timeline.load_seconds, total / max(1.0, run.timeline.load_seconds),
             run.n_clients))
    print("revoked tokens: %d logged out (200), probed %d times afterwards"
          % (run.shared.revoked.added, sum(r.counts["revoked"].values())))
    print("retried: requests sent again after httpd closed their idle keep-alive connection "
          "unanswered (the event MPM does when all of a child's workers are busy)")


def print_chaos(run) -> None:
    c = run.chaos
    lines = {
        chaoslib.KILL: "new helper within %s" % _max_s(c.restart_seconds),
        chaoslib.STOP: "%s s each" % " and ".join("%.0f" % s for s in chaoslib.STOP_SECONDS),
        chaoslib.GRACEFUL: "old helper gone, new one up",
        chaoslib.REDIS: "SIGTERM and SIGKILL alternately, %.0f s down; token checks and logins "
                        "back within %s" % (chaoslib.REDIS_DOWN_SECONDS,
                                            _max_s(c.recovery_seconds)),
        chaoslib.STOP_GRACEFUL: "helper stopped %.0f s, then a graceful restart; the stuck "
                                "helper and its PAM process gone" % chaoslib.STOPPED_BEFORE_GRACEFUL,
    }
    print("chaos events (%d):" % len(c.events))
    for kind in chaoslib.KINDS:
        slow = run.results.slowest_within(c.windows(kind))
        print("  %-13s x%-3d %s; answers excused: %d; slowest answer during one: %s" % (
            kind, c.count(kind), lines[kind], run.results.excused_by[kind],
            "%.2f s (%s, bound %d s)" % (slow.seconds, slow.kind,
                                         clients.BOUNDS.get(slow.kind, clients.OTHER_BOUND))
            if slow else "under %.2f s" % outcomes.SLOW_RECORDED))
    for e in c.events:
        print("    +%6.1f s .. +%6.1f s  %-13s %s" % (e.start - c.epoch, e.end - c.epoch, e.kind,
                                                    e.detail))
    for f in c.failures:
        print("  FAILED: %s" % f)


def _max_s(values) -> str:
    return "max %.2f s (mean %.2f s)" % (max(values), sum(values) / len(values)) if values \
        else "(none measured)"


def print_resources(run) -> None:
    print("%-28s %10s %10s %10s  %-44s %s" % ("resources", "start", "tail", "end", "limit",
                                              "verdict"))
    for row in run.rows:
        print("%-28s %10s %10s %10s  %-44s %s" % (row.what, row.start, row.tail, row.end,
                                                  row.limit, "ok" if row.ok else "GROWTH"))


def print_problems(run) -> None:
    r = run.results
    if r.wrong:
        print("WRONG answers (%d):" % len(r.wrong))
        for a in r.wrong:
            print("  " + a.describe())
    if r.unexpected_total:
        print("unexpected answers (%d, first %d):" % (r.unexpected_total, SHOWN))
        for a in r.unexpected[:SHOWN]:
            print("  " + a.describe())
    for title, lines in (("crashes", run.crashes),
                         ("the helper refused Apache's own children", run.refusals),
                         ("unexplained error-log lines", run.bad_lines)):
        if lines:
            print("%s (%d, first %d):" % (title, len(lines), SHOWN))
            for ln in lines[:SHOWN]:
                print("  " + ln)


def verdict(run) -> list:
    r = run.results
    why = []
    for n, what in ((len(r.wrong), "wrong answers"), (r.unexpected_total, "unexpected answers"),
                    (len(run.crashes), "crashes"),
                    (len(run.refusals), "refusals of Apache's children by the helper"),
                    (len(run.bad_lines), "unexplained error-log lines"),
                    (len(run.chaos.failures), "chaos events not come through")):
        if n:
            why.append("%d %s" % (n, what))
    grown = [row.what for row in run.rows if not row.ok]
    if grown:
        why.append("resource growth: " + ", ".join(grown))
    return why


def summary(run) -> int:
    print()
    print("== soak: %.0f s of load (warm-up %.0f s, chaos %.0f s, quiet tail >= %.0f s), "
          "event MPM ServerLimit %d MaxRequestWorkers %d, TokenAuthCache redis:127.0.0.1:%d, "
          "%s signing key" % (run.timeline.load_seconds, run.warmup, run.chaos_seconds,
                              run.tail, run.limits["ServerLimit"],
                              run.limits["MaxRequestWorkers"], run.redis.port,
                              run.h.key_file.signing_key.alg))
    print()
    print_requests(run)
    print()
    print_chaos(run)
    print()
    print_resources(run)
    print()
    print_problems(run)
    why = verdict(run)
    print("soak: PASS" if not why else "soak: FAIL (%s)" % "; ".join(why))
    return 0 if not why else 1


def main() -> int:
    seconds = env_int("SOAK_SECONDS", DEFAULT_SECONDS)
    n_clients = env_int("SOAK_CLIENTS", DEFAULT_CLIENTS)
    if seconds < MIN_SECONDS or n_clients < 1:
        print("SOAK_SECONDS must be at least %d and SOAK_CLIENTS at least 1" % MIN_SECONDS)
        return 2
    with Harness() as h:
        site = soaksite.SoakSite(h).create()
        redis = RedisServer(h.workdir / "redis").start()
        run = Run(h, site, redis, seconds, n_clients)
        try:
            print("soak: %d s, %d clients, work directory %s" % (seconds, n_clients, h.workdir),
                  flush=True)
            run.execute()
            run.judge()
            run.stop_server()
        except Aborted as e:
            print("soak: FAIL (aborted: %s)" % e)
            return 1
        finally:
            run.chaos_abort()
            h.stop_servers()
            redis.stop()
        return summary(run)


if __name__ == "__main__":
    sys.exit(main())
