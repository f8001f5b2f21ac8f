#!/usr/bin/env python3
"""Logins through the module and its helper, against pamtester for the same account and PAM
stack, in one run: the module's own overhead per login, and logins per second with several
concurrent clients. Not a test: nothing here passes or fails. Loopback only, bounded.
Environment: BENCH_LOGINS (sequential logins, default 40), BENCH_CLIENTS (default 8),
BENCH_SECONDS (for the concurrent run, default 5)."""

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import requests  # noqa: E402

from taharness import Harness, paths  # noqa: E402
from taharness.site import RELAXED_THROTTLE  # noqa: E402

LOGINS = int(os.environ.get("BENCH_LOGINS", "40"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
LOGIN_SITE = "LogLevel warn\n"  # the default site has /login; debug lines would weigh


def login(session, url, user, password) -> float:
    t0 = time.perf_counter()
    r = session.post(url, json={"username": user, "password": password}, timeout=30)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError("login answered %d: %s" % (r.status_code, r.text))
    return elapsed


def pamtester(ns, user, password) -> float:
    """One pamtester authenticate+acct_mgmt, timed from outside, inside the namespace."""
    t0 = time.perf_counter()
    r = ns.run(["pamtester", "tokenauth", user, "authenticate", "acct_mgmt"],
               input=password + "\n")
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError("pamtester failed: %s" % r.stderr)
    return elapsed


def pam_only(ns, user, password) -> float:
    """ta_pam_check alone, as the probe times it inside its own process."""
    r = ns.run([str(paths.probe_path("ta_pam_probe")), "tokenauth", user], input=password)
    fields = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    if fields.get("status") != "ok":
        raise RuntimeError("probe: %s" % r.stdout)
    return int(fields["elapsed_us"]) / 1e6


def concurrent_logins(url, user, password) -> float:
    """Logins per second with CLIENTS threads for SECONDS."""
    count = [0] * CLIENTS
    stop = time.perf_counter() + SECONDS

    def client(i):
        with requests.Session() as s:
            while time.perf_counter() < stop:
                login(s, url, user, password)
                count[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / (time.perf_counter() - t0)


def main() -> int:
    if shutil.which("pamtester") is None:
        print("pamtester is not installed (apt-get install pamtester)")
        return 1
    with Harness() as h:
        user = h.users.add_user("benchlogin", "bench-login-pw")
        # 8 clients log in as one user from one address at once: attempts in flight count
        # against the throttle (taharness.site.RELAXED_THROTTLE lifts it for this)
        server = h.start_apache("benchlogin", extra=[LOGIN_SITE, RELAXED_THROTTLE])
        url = server.base_url + "/login"
        with requests.Session() as s:
            login(s, url, user.name, user.password)  # warm up
            ours = [login(s, url, user.name, user.password) for _ in range(LOGINS)]
        theirs = [pamtester(h.ns, user.name, user.password) for _ in range(LOGINS)]
        pam = [pam_only(h.ns, user.name, user.password) for _ in range(LOGINS)]
        rate = concurrent_logins(url, user.name, user.password)
    med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
    med_pam = statistics.median(pam)
    print("\nlogins of one account, pam_unix SHA-512 hash, %d each, median:" % LOGINS)
    print("  HTTP JSON login through mod_tokenauth and its helper: %7.2f ms" % (med_ours * 1e3))
    print("  pamtester (its own process, same PAM stack):          %7.2f ms" % (med_theirs * 1e3))
    print("  ta_pam_check alone (PAM work only, in-process):       %7.2f ms" % (med_pam * 1e3))
    print("  module overhead (HTTP login minus PAM work):          %7.2f ms"
          % ((med_ours - med_pam) * 1e3))
    print("concurrent: %d clients for %.0f s: %.1f logins/s" % (CLIENTS, SECONDS, rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
