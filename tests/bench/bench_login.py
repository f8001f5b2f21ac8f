#!/usr/bin/env python3
"""Logins through the module and its helper, against pamtester for the same account and PAM
stack, in one run: the module's own overhead per login, and logins per second with several
concurrent clients. Four timings of the same login, median of BENCH_LOGINS each:

  HTTP      a JSON POST to /login: Apache, the worker, the helper, its PAM process, signing
  hub       the helper's AUTH alone: a client inside the namespace takes a copy of an Apache
            child's hub (as taharness.hubclient does for the tests), becomes www-data, makes
            one connection the way a worker thread does and times AUTH_REQ -> AUTH_RESP on it
            (the helper, the broker's fork of a PAM process, PAM, the EdDSA signature)
  pamtester its own process, the same PAM stack
  PAM work  ta_pam_check alone, timed inside the probe's process

hub minus PAM work is what the helper path adds to PAM (issue 9: at most 1 ms; the hub time
includes the Python client's own send and receive, some tens of microseconds); HTTP minus hub is
what Apache, the worker and this client add (a GET of a small static file by the same client is
printed beside it as the floor of that). The four are interleaved: BENCH_ROUNDS rounds of
BENCH_LOGINS / BENCH_ROUNDS each.

Not a test: nothing here passes or fails. Loopback only, bounded. Environment: BENCH_LOGINS
(sequential logins of each kind, default 40), BENCH_ROUNDS (default 5), BENCH_CLIENTS (default
8), BENCH_SECONDS (for the concurrent run, default 5)."""

import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import requests  # noqa: E402

from taharness import Harness, helperproc, paths  # noqa: E402
from taharness.site import RELAXED_THROTTLE  # noqa: E402
from bench_http import loadavg  # noqa: E402

LOGINS = int(os.environ.get("BENCH_LOGINS", "40"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
LOGIN_SITE = "LogLevel warn\n"  # the default site has /login; debug lines would weigh
HUB_TIMEOUT = 60

# Runs inside the namespace as root (python3 -I -c, argv[1] a JSON object): hubclient's own
# functions borrow the hub of Apache child "pid", become www-data and connect; then each
# request (hex) is sent on that one connection and timed to its one answer frame.
HUB_TIMER = """
import json, sys, time
sys.path.insert(0, %r)
import hubclient
cfg = json.loads(sys.argv[1])
hub, _, _ = hubclient.borrow_hub(cfg["pid"])
hubclient.become(cfg["creds"])
sock, accept = hubclient.connect(hub)
seconds, replies = [], []
for req in cfg["requests"]:
    t0 = time.perf_counter()
    r = hubclient.send_and_receive(sock, bytes.fromhex(req), 30.0, 1)
    seconds.append(time.perf_counter() - t0)
    replies.append(r["reply"])
    if r["closed"]:
        break
print(json.dumps({"accept": accept, "seconds": seconds, "replies": replies}))
""" % str(Path(helperproc.__file__).parent)


def login(session, url, user, password) -> float:
    t0 = time.perf_counter()
    r = session.post(url, json={"username": user, "password": password}, timeout=30)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError("login answered %d: %s" % (r.status_code, r.text))
    return elapsed


def static_get(session, url) -> float:
    """One GET of a small static file: the floor of an HTTP round trip with this client."""
    t0 = time.perf_counter()
    r = session.get(url, timeout=30)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError("%s answered %d" % (url, r.status_code))
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


def hub_logins(ns, server, user, password, count: int) -> list:
    """count AUTH requests on one connection through an Apache child's hub, as www-data; the
    seconds each took to its answer."""
    cfg = {"pid": helperproc.worker_with_hub(server), "creds": helperproc.creds_of(ns, "www-data"),
           "requests": [helperproc.auth_req(user, password, "127.0.0.1", req_id=i + 1).hex()
                        for i in range(count)]}
    r = ns.python_as(None, HUB_TIMER, [json.dumps(cfg)], timeout=HUB_TIMEOUT + 2 * count)
    if r.returncode != 0 or not r.stdout.strip():
        raise RuntimeError("hub client failed: %s %s" % (r.stdout, r.stderr))
    out = json.loads(r.stdout.strip().splitlines()[-1])
    for reply in out["replies"]:
        (answer,) = helperproc.parse_frames(bytes.fromhex(reply))
        if helperproc.auth_resp(answer).result != helperproc.AUTH_OK:
            raise RuntimeError("AUTH through the hub answered %s" % (answer,))
    if out["accept"] != "accepted" or len(out["seconds"]) != count:
        raise RuntimeError("hub client: %s" % out)
    return out["seconds"]


def concurrent_logins(url, user, password) -> tuple:
    """(logins per second with CLIENTS threads for SECONDS, keep-alive connections the server
    closed without an answer: the client goes on with a new one)."""
    count, dropped = [0] * CLIENTS, [0] * CLIENTS
    stop = time.perf_counter() + SECONDS

    def client(i):
        while time.perf_counter() < stop:
            with requests.Session() as s:
                try:
                    while time.perf_counter() < stop:
                        login(s, url, user, password)
                        count[i] += 1
                except requests.ConnectionError:
                    dropped[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / (time.perf_counter() - t0), sum(dropped)


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
        ours, hub, theirs, pam, floor = [], [], [], [], []
        static_url = server.base_url + "/open/hello.txt"   # taharness.site: no authentication
        per_round = max(1, LOGINS // ROUNDS)
        with requests.Session() as s:
            login(s, url, user.name, user.password)  # warm up
            for _ in range(ROUNDS):     # interleaved, so drift on the machine hits all alike
                ours += [login(s, url, user.name, user.password) for _ in range(per_round)]
                floor += [static_get(s, static_url) for _ in range(per_round)]
                hub += hub_logins(h.ns, server, user.name, user.password, per_round)
                theirs += [pamtester(h.ns, user.name, user.password) for _ in range(per_round)]
                pam += [pam_only(h.ns, user.name, user.password) for _ in range(per_round)]
        rate, dropped = concurrent_logins(url, user.name, user.password)
    med_ours = statistics.median(ours)
    med_pam, med_hub = statistics.median(pam), statistics.median(hub)
    print("\nlogins of one account, pam_unix, %d each in %d interleaved rounds, median "
          "(min-max); load average now %s:" % (len(ours), ROUNDS, loadavg()))
    for what, times in (("HTTP JSON login through mod_tokenauth and its helper", ours),
                        ("hub: the helper's AUTH alone (PAM process, signing)", hub),
                        ("pamtester (its own process, same PAM stack)", theirs),
                        ("ta_pam_check alone (PAM work only, in-process)", pam)):
        print("  %-54s %7.2f ms  (%.2f-%.2f)" % (what + ":", statistics.median(times) * 1e3,
                                                 min(times) * 1e3, max(times) * 1e3))
    print("  helper path over PAM work (hub minus PAM work):        %7.2f ms  (target <= 1 ms)"
          % ((med_hub - med_pam) * 1e3))
    print("  Apache, the worker, the client (HTTP login minus hub): %7.2f ms  (a static GET: "
          "%.2f ms)" % ((med_ours - med_hub) * 1e3, statistics.median(floor) * 1e3))
    print("  module overhead (HTTP login minus PAM work):           %7.2f ms"
          % ((med_ours - med_pam) * 1e3))
    print("concurrent: %d clients for %.0f s: %.1f logins/s%s" % (
        CLIENTS, SECONDS, rate, "; %d connections closed without an answer" % dropped
        if dropped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
