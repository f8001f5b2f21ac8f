#!/usr/bin/env python3
"""How long a failed login takes to answer, by the reason it failed. SPEC §4 asks for about the
same time for every failure: a client that could tell a refused account with the right password
from a wrong password by the clock would learn the password. Failures, timed as a client sees
them (a JSON POST to /login through Apache, the worker and the helper), BENCH_TIMING_N of each
kind, interleaved (one of each kind per round, so that drift on the machine hits all alike):

  expired, right password   the account's expiry date (shadow field 8) is past
  wrong password            an ordinary account
  unknown user              no such account
  below TokenAuthMinUID     the right password of an account under the server's minimum uid
  name outside the rule     a UTF-8 name (no such account)

For each: n, mean, sd, min, the deciles and max, in seconds; then the gap between the expired
account and a wrong password (the issue this measures: its fastest decile answered sooner).

Not a test: nothing here passes or fails. Loopback only, sequential. Environment:
BENCH_TIMING_N (logins of each kind, default 40)."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import requests  # noqa: E402

from taharness import Harness  # noqa: E402
from taharness.site import RELAXED_THROTTLE  # noqa: E402
from bench_http import loadavg  # noqa: E402

N = int(os.environ.get("BENCH_TIMING_N", "40"))
SITE = "LogLevel warn\n"  # the default site has /login; debug lines would weigh


def failed_login(session, url, user, password) -> float:
    """Seconds until a login that must fail is answered 401."""
    t0 = time.perf_counter()
    r = session.post(url, json={"username": user, "password": password}, timeout=30)
    elapsed = time.perf_counter() - t0
    if r.status_code != 401:
        raise RuntimeError("login of %r answered %d, not 401: %s" % (user, r.status_code, r.text))
    return elapsed


def describe(times) -> str:
    deciles = statistics.quantiles(times, n=10, method="inclusive")
    return ("n=%d mean=%.3f sd=%.3f min=%.3f deciles=[%s] max=%.3f"
            % (len(times), statistics.mean(times), statistics.stdev(times), min(times),
               " ".join("%.2f" % d for d in deciles), max(times)))


def main() -> int:
    with Harness() as h:
        low = h.users.add_user("benchlow", "bench-low-pw")    # the first, so the lowest uid
        ordinary = h.users.add_user("benchok", "bench-ok-pw")
        expired = h.users.add_user("benchexp", "bench-exp-pw")
        h.users.expire(expired.name)
        server = h.start_apache("benchtiming", extra=[
            SITE, RELAXED_THROTTLE, "TokenAuthMinUID %d" % (low.uid + 1)])
        url = server.base_url + "/login"
        kinds = {
            "expired, right password": (expired.name, expired.password),
            "wrong password": (ordinary.name, "not-" + ordinary.password),
            "unknown user": ("benchnosuch", "some-password"),
            "below TokenAuthMinUID": (low.name, low.password),
            "name outside the rule": ("j\u00fcrgen", "some-password"),
        }
        times = {k: [] for k in kinds}
        with requests.Session() as s:
            r = s.post(url, json={"username": ordinary.name, "password": ordinary.password},
                       timeout=30)
            if r.status_code != 200:     # the set-up works: the right password logs in
                raise RuntimeError("login of %s answered %d" % (ordinary.name, r.status_code))
            for _ in range(N):
                for kind, (user, password) in kinds.items():
                    times[kind].append(failed_login(s, url, user, password))
    print("\nfailed logins, seconds from request to 401, %d of each kind interleaved; load "
          "average now %s:" % (N, loadavg()))
    for kind, t in times.items():
        print("  %-26s %s" % (kind + ":", describe(t)))
    exp, wrong = times["expired, right password"], times["wrong password"]
    print("expired minus wrong password: mean %+.3f s, fastest decile %+.3f s"
          % (statistics.mean(exp) - statistics.mean(wrong),
             statistics.quantiles(exp, n=10, method="inclusive")[0]
             - statistics.quantiles(wrong, n=10, method="inclusive")[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
