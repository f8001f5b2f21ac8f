#!/usr/bin/env python3
"""The per-request cost of the revocation check, in one run: wrk on a token-protected static
file served by three Apaches side by side,

  baseline   the module built from a git ref without revocation support (BENCH_BASELINE_REF,
             default 5ee7711), into a temporary git worktree that is removed at the end;
  current    the module in TA_BUILD (default build/), which consults the revocation ledger on
             every token-authenticated request (TokenAuthCache left at its default, shmcb, so
             the ledger is the only look-up);
  loaded     the same current module after BENCH_LOGOUTS (default 20000) logouts of forged
             session tokens have put that many entries into its ledger.

Prints requests per second (median of alternating rounds), the ratios to the baseline and an
estimate of the extra time per request. Not a test: nothing here passes or fails. Loopback
only; every wrk run and every build is bounded in time.

Environment: TA_BUILD, BENCH_BASELINE_REF, BENCH_SECONDS (per round, default 5), BENCH_ROUNDS
(default 3), BENCH_CONNECTIONS (default 16), BENCH_FILE_SIZE (bytes, default 4096),
BENCH_LOGOUTS (default 20000), BENCH_LOGOUT_CLIENTS (default 8), BENCH_LOGOUT_SECONDS (a bound
on the logout phase, default 90; fewer logouts are reported when it is reached)."""

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import requests  # noqa: E402

from taharness import Harness, paths, tokens  # noqa: E402
from taharness.keys import HS256, new_key  # noqa: E402
from bench_http import status_of, wrk  # noqa: E402  (this directory is on sys.path when run as a script)

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
FILE_SIZE = int(os.environ.get("BENCH_FILE_SIZE", "4096"))
BASELINE_REF = os.environ.get("BENCH_BASELINE_REF") or "5ee7711"
LOGOUTS = int(os.environ.get("BENCH_LOGOUTS", "20000"))
LOGOUT_CLIENTS = int(os.environ.get("BENCH_LOGOUT_CLIENTS", "8"))
LOGOUT_SECONDS = float(os.environ.get("BENCH_LOGOUT_SECONDS", "90"))
LOGOUT_TTL = 3600      # the revoked tokens, and so their ledger entries, outlive the run
BUILD_TIMEOUT = 600
REVSTORE_SYMBOL = "ta_revstore_is_revoked"


def bench_site(p) -> str:
    """As in bench_http.py: the file behind AuthType token, debug logging turned down. Only
    directives the baseline module knows too (no TokenAuthCache, no TokenAuthLoginThrottle);
    the default site it is added to has /logout (tokenauth-logout) already."""
    return f"""\
LogLevel warn
Alias /bench-token "{p.docroot}/bench"
<Location /bench-token>
    AuthType token
    AuthName "bench"
    Require valid-user
</Location>
"""


# --- the baseline module ------------------------------------------------------------------
def git(*args, cwd=None, timeout=120) -> str:
    return subprocess.run(["git"] + list(args), cwd=cwd or paths.repo_root(), check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout).stdout.strip()


@contextlib.contextmanager
def baseline_build(ref: str):
    """Build the module of ref in a temporary detached worktree; yield (commit, build dir);
    remove the worktree afterwards whatever happens."""
    commit = git("rev-parse", "--verify", ref + "^{commit}")
    subject = git("log", "-1", "--format=%h %s", commit)
    print("baseline: %s = %s\n          %s" % (ref, commit, subject[:100]))
    parent = Path(tempfile.mkdtemp(prefix="tokenauth-baseline-"))
    tree = parent / "tree"
    added = False
    try:
        git("worktree", "add", "--detach", str(tree), commit)
        added = True
        build = tree / "build"
        t0 = time.monotonic()
        out = subprocess.run(["make", "-f", "Makefile.apxs", "module", "BUILD=%s" % build],
                             cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=BUILD_TIMEOUT)
        if out.returncode != 0:
            raise RuntimeError("baseline build failed:\n" + out.stdout[-4000:])
        print("          built in %.0f s into %s" % (time.monotonic() - t0, build))
        yield commit, build
    finally:
        if added:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)],
                           cwd=paths.repo_root(), timeout=120, check=False)
        shutil.rmtree(parent, ignore_errors=True)


def has_symbol(so: Path, name: str):
    """True/False when nm can tell whether so defines name, None when it cannot."""
    if shutil.which("nm") is None:
        return None
    out = subprocess.run(["nm", "-D", "--defined-only", str(so)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, timeout=30)
    if out.returncode != 0:
        return None
    return any(line.split()[-1] == name for line in out.stdout.splitlines() if line.split())


@contextlib.contextmanager
def ta_build(build: Path):
    """TA_BUILD set to build for the duration: the harness asks paths.module_path() for the
    module when it creates a server and again when it renders the configuration (start)."""
    before = os.environ.get("TA_BUILD")
    os.environ["TA_BUILD"] = str(build)
    try:
        yield
    finally:
        if before is None:
            del os.environ["TA_BUILD"]
        else:
            os.environ["TA_BUILD"] = before


def start_server(h, name: str, build: Path):
    """An Apache of the bench site loading the module of build; checks its LoadModule line."""
    with ta_build(build):
        server = h.apache(name, extra=[bench_site])
        bench_dir = server.paths.docroot / "bench"
        bench_dir.mkdir(mode=0o755)
        (bench_dir / "file.bin").write_bytes(os.urandom(FILE_SIZE))
        os.chmod(bench_dir / "file.bin", 0o644)
        server.start()
        so = paths.module_path()
    loaded = re.search(r"^LoadModule tokenauth_module (\S+)$", server.paths.conf.read_text(),
                       re.M).group(1)
    if Path(loaded) != so:
        raise RuntimeError("%s loads %s, not %s" % (name, loaded, so))
    return server, so


# --- the logouts ----------------------------------------------------------------------------
def fill_ledger(server, key, user, count: int):
    """POST count forged session tokens to /logout; returns (tokens revoked, seconds)."""
    url = server.base_url + "/logout"
    local = threading.local()
    deadline = time.monotonic() + LOGOUT_SECONDS
    revoked = []
    lock = threading.Lock()

    def logout(_):
        if time.monotonic() > deadline:
            return
        if not hasattr(local, "session"):
            local.session = requests.Session()
        token = tokens.forge(key, tokens.claims(user, ttl=LOGOUT_TTL))
        r = local.session.post(url, headers={"Authorization": "Bearer " + token,
                                             "Accept": "application/json"},
                               timeout=10, allow_redirects=False)
        if r.status_code != 200:
            raise RuntimeError("logout answered %d: %s" % (r.status_code, r.text[:200]))
        with lock:
            revoked.append(token)

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=LOGOUT_CLIENTS) as pool:
        for _ in pool.map(logout, range(count)):
            pass
    return revoked, time.monotonic() - t0


# --- wrk ----------------------------------------------------------------------------------
def main() -> int:
    for tool in ("wrk", "curl", "make"):
        if shutil.which(tool) is None:
            print("%s is not installed" % tool)
            return 1
    current_build = paths.build_dir()
    print("current:  %s" % paths.module_path())
    with baseline_build(BASELINE_REF) as (_, base_build), Harness() as h:
        user = h.users.add_user("bench", "bench-pw")
        # the baseline module reads only "KID SECRET" lines: one HS256 key for all three
        h.key_file.keys = [new_key(alg=HS256)]
        h.key_file.write()
        servers = {}
        for name, build in (("baseline", base_build), ("current", current_build),
                            ("loaded", current_build)):
            servers[name], so = start_server(h, name, build)
            print("%-9s %s  (port %d; revocation ledger: %s)" % (
                name + ":", so, servers[name].port,
                {True: "yes", False: "NO", None: "unknown"}[has_symbol(so, REVSTORE_SYMBOL)]))

        revoked, took = fill_ledger(servers["loaded"], h.key_file.signing_key, user, LOGOUTS)
        print("loaded:   %d logouts (forged session tokens, %d clients) in %.1f s%s" % (
            len(revoked), LOGOUT_CLIENTS, took,
            "" if len(revoked) == LOGOUTS else
            " -- stopped by BENCH_LOGOUT_SECONDS=%g, fewer than the %d asked"
            % (LOGOUT_SECONDS, LOGOUTS)))

        session = h.mint(user.name)
        auth = ("Authorization: Bearer " + session,)
        cases = [(name, servers[name].base_url + "/bench-token/file.bin")
                 for name in ("baseline", "current", "loaded")]
        for name, url in cases:  # prove every case answers 200, and warm up
            code = status_of(url, auth)
            if code != "200":
                raise RuntimeError("%s: %s answered %s" % (name, url, code))
            wrk(url, auth, seconds=1)
        probe = ("Authorization: Bearer " + revoked[0],) if revoked else None

        def revoked_refused():
            """A revoked token is refused by the loaded server (its ledger is in force) and
            still served by the current one (each server has its own ledger)."""
            if probe is None:
                return True
            return (status_of(cases[2][1], probe) == "401" and
                    status_of(cases[1][1], probe) == "200")

        if not revoked_refused():
            raise RuntimeError("the loaded server's ledger does not refuse a revoked token")

        results = {name: [] for name, _ in cases}
        for i in range(ROUNDS):  # alternate, with a rotating start, so drift hits all alike
            for name, url in cases[i % len(cases):] + cases[:i % len(cases)]:
                results[name].append(wrk(url, auth))
        still = revoked_refused()

    med = {name: statistics.median(v) for name, v in results.items()}
    base = med["baseline"]
    print("\nwrk -t2 -c%d -d%ds, %d rounds, %d-byte file behind AuthType token, bearer session "
          "token, three Apaches (event MPM) side by side, loopback"
          % (CONNECTIONS, SECONDS, ROUNDS, FILE_SIZE))
    print("%-34s %12s %11s %14s   %s" % ("case", "req/s (med)", "vs baseline",
                                         "us/req vs base", "rounds"))
    labels = {"baseline": "baseline (no revocation)",
              "current": "current (ledger, empty)",
              "loaded": "current, %d revoked in ledger" % len(revoked)}
    for name, _ in cases:
        diff = 1e6 / med[name] - 1e6 / base
        print("%-34s %12.0f %10.1f%% %+14.2f   %s" % (
            labels[name], med[name], 100.0 * med[name] / base, diff,
            " ".join("%.0f" % x for x in results[name])))
    print("ratio current/baseline %.3f, loaded/baseline %.3f, loaded/current %.3f"
          % (med["current"] / base, med["loaded"] / base, med["loaded"] / med["current"]))
    print("us per request (1e6/rps - 1e6/rps_baseline): current %+.2f, loaded %+.2f "
          "(wall time at saturation on this machine, not CPU time of the look-up alone)"
          % (1e6 / med["current"] - 1e6 / base, 1e6 / med["loaded"] - 1e6 / base))
    print("revoked token still refused by the loaded server after the runs: %s"
          % ("yes" if still else "NO"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
