#!/usr/bin/env python3
"""wrk on one Apache, in one run: the same static file served plainly and behind AuthType token
(issue 9: a 4 KiB file with an EdDSA bearer token against plain Apache, target at least 0.95x).
The key file holds an EdDSA key (it signs) and an HS256 key (it verifies), so one server answers

  plain static                 no authentication
  bearer EdDSA                 one session token for the whole run: after its first request in
                               a child, a hit in that child's cache of verified tokens
  bearer HS256                 the same, a token signed by the HS256 key
  query url / cookie (EdDSA)   the other places a token may come from
  bearer EdDSA, never cached   every request a token the server has not seen lately (wrk
                               script fresh_tokens.lua): each pays for a full Ed25519 verify

Prints, per case, the median requests per second of interleaved rounds (each round starts at
another case, so drift on the machine hits every case alike), the ratio to plain serving, and
the CPU time per request: user + system time of Apache's parent, its children and the helper
(from /proc/PID/stat, children that were reaped included), divided by the requests wrk
completed. On a shared VM that is steadier than requests per second.

This file also holds the one way of measuring that the other benchmarks use: wrk_run/wrk,
status_of, server_cpu, Case, run_rounds and print_table.

Not a test: nothing here passes or fails. Loopback only; every wrk run is bounded in time.
Environment: BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 5),
BENCH_CONNECTIONS (default 16), BENCH_FILE_SIZE (bytes, default 4096), BENCH_FRESH_TOKENS
(tokens for the never-cached case, default 30000)."""

import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness, helperproc, procs, tokens  # noqa: E402
from taharness.keys import EDDSA, HS256, KeyFile, new_key  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
FILE_SIZE = int(os.environ.get("BENCH_FILE_SIZE", "4096"))
FRESH_TOKENS = int(os.environ.get("BENCH_FRESH_TOKENS", "30000"))
WRK_THREADS = 2
WARM_UP_SECONDS = 1
CLK_TCK = os.sysconf("SC_CLK_TCK")
FRESH_SCRIPT = Path(__file__).resolve().with_name("fresh_tokens.lua")
TOKENCACHE_H = Path(__file__).resolve().parents[2] / "mod_tokenauth" / "ta_tokencache.h"


def bench_site(p) -> str:
    """Two URL prefixes onto one directory: one plain, one behind a token. Debug logging of
    the test base is turned down so that it does not weigh on the token side only."""
    return f"""\
LogLevel warn
Alias /bench-plain "{p.docroot}/bench"
Alias /bench-token "{p.docroot}/bench"
<Location /bench-token>
    AuthType token
    AuthName "bench"
    Require valid-user
</Location>
"""


def status_of(url: str, headers=()) -> str:
    """The HTTP status of one bounded curl request (the other benchmarks use it too)."""
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5"]
                         + sum((["-H", x] for x in headers), []) + [url],
                         stdout=subprocess.PIPE, text=True, timeout=10)
    return out.stdout


def wrk_run(url: str, headers=(), seconds: int = SECONDS, script=()) -> tuple:
    """(requests per second, requests completed) of one bounded wrk run. script: () or the
    wrk script and its arguments."""
    argv = ["wrk", "-t%d" % WRK_THREADS, "-c%d" % CONNECTIONS, "-d%ds" % seconds,
            "--timeout", "5s"]
    for h in headers:
        argv += ["-H", h]
    if script:
        argv += ["-s", str(script[0]), url, "--"] + [str(a) for a in script[1:]]
    else:
        argv.append(url)
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=seconds + 30, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError("wrk saw error responses:\n" + out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, int(re.search(r"(\d+) requests in ", out).group(1))


def wrk(url: str, headers=(), seconds: int = SECONDS) -> float:
    """Requests per second of one bounded wrk run (bench_revocation.py uses it too)."""
    return wrk_run(url, headers, seconds)[0]


# --- CPU time of a server's processes -----------------------------------------------------
def process_cpu(pid: int) -> float:
    """Seconds of CPU pid used, with its reaped children's (utime + stime + cutime + cstime
    of /proc/PID/stat); 0 when it is gone."""
    try:
        fields = procs.stat_fields(pid)     # state, ppid, ...: utime is the 12th
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def server_cpu(server) -> dict:
    """CPU seconds so far of server's processes: {"apache": the parent and its children (the
    MPM children, mod_cgid's daemon), "helper": the helper and what it started (its PAM
    broker and the broker's children)}. Differences of two readings give what a run cost."""
    parent = server.pid()
    helper = {p.pid for h in helperproc.helpers_of(server)
              for p in [h] + helperproc.descendants(h.pid)}
    apache = {parent} | ({p.pid for p in helperproc.descendants(parent)} - helper)
    return {"apache": sum(process_cpu(p) for p in apache),
            "helper": sum(process_cpu(p) for p in helper)}


# --- cases, rounds, tables ----------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    server: object          # an ApacheServer, for its processes' CPU time
    url: str
    headers: tuple = ()
    baseline: str = None    # the case this one is compared with (None: itself)
    script: tuple = ()      # a wrk script and its arguments


@dataclass
class Sample:
    rps: float
    requests: int
    cpu: dict = field(default_factory=dict)   # seconds per process group, during the run

    def us_per_request(self, group: str = None) -> float:
        used = self.cpu[group] if group else sum(self.cpu.values())
        return 1e6 * used / max(self.requests, 1)


def measure(case: Case, seconds: int = SECONDS) -> Sample:
    before = server_cpu(case.server)
    rps, requests = wrk_run(case.url, case.headers, seconds, case.script)
    after = server_cpu(case.server)
    return Sample(rps, requests, {g: after[g] - before[g] for g in after})


def check_cases(cases) -> None:
    """Every case answers 200 (a script case is not checked with curl), and a short wrk run
    warms each up (children started, caches filled, the helper's connections made)."""
    for c in cases:
        if not c.script:
            code = status_of(c.url, c.headers)
            if code != "200":
                raise RuntimeError("%s: %s answered %s" % (c.name, c.url, code))
        wrk_run(c.url, c.headers, WARM_UP_SECONDS, c.script)


def run_rounds(cases, rounds: int = ROUNDS, seconds: int = SECONDS) -> dict:
    """name -> [Sample per round]. Each round runs every case once, starting at another case
    each time, so that drift on the machine hits every case alike."""
    check_cases(cases)
    results = {c.name: [] for c in cases}
    for i in range(rounds):
        for c in cases[i % len(cases):] + cases[:i % len(cases)]:
            results[c.name].append(measure(c, seconds))
    return results


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_table(title: str, cases, results, seconds: int = SECONDS) -> None:
    """Medians over rounds: req/s and its ratio to the baseline case; CPU microseconds per
    request, split into Apache's processes and the helper's, what it costs more than the
    baseline, and the baseline's CPU per request over this case's (the throughput ratio if
    CPU were all that limited it)."""
    rounds = len(next(iter(results.values())))
    print("\n%s\nwrk -t%d -c%d -d%ds, %d interleaved rounds, loopback; load average now %s"
          % (title, WRK_THREADS, CONNECTIONS, seconds, rounds, loadavg()))
    print("%-28s %8s %6s %11s %7s %7s %7s %9s" % ("case", "req/s", "ratio", "cpu us/req",
                                                  "apache", "helper", "+us", "cpu ratio"))
    med = {}
    for c in cases:
        s = results[c.name]
        med[c.name] = (statistics.median(x.rps for x in s),
                       statistics.median(x.us_per_request() for x in s))
    for c in cases:
        s = results[c.name]
        rps, cpu = med[c.name]
        base_rps, base_cpu = med[c.baseline or c.name]
        print("%-28s %8.0f %6.3f %11.1f %7.1f %7.1f %+7.1f %9.3f" % (
            c.name, rps, rps / base_rps, cpu,
            statistics.median(x.us_per_request("apache") for x in s),
            statistics.median(x.us_per_request("helper") for x in s), cpu - base_cpu,
            base_cpu / cpu))
    print("per round (req/s | cpu us/req):")
    for c in cases:
        s = results[c.name]
        print("  %-28s %s | %s" % (c.name, " ".join("%.0f" % x.rps for x in s),
                                   " ".join("%.1f" % x.us_per_request() for x in s)))
    baselines = sorted({c.baseline for c in cases if c.baseline})
    print("ratio: req/s over its baseline's (%s); +us: CPU per request over the baseline's; "
          "cpu ratio: the baseline's CPU per request over the case's" % ", ".join(baselines))


# --- keys of both algorithms --------------------------------------------------------------
def keys_of_both_algs(h) -> dict:
    """Make the harness's key file (the one its servers load) hold an EdDSA key, which signs,
    and an HS256 key, which verifies; {alg: a key file that mints with that alg's key}. Call
    before the servers start."""
    h.key_file.keys = [new_key(alg=EDDSA), new_key(alg=HS256)]
    h.key_file.write()
    hs_only = KeyFile(h.workdir / "hs256.keys", keys=h.key_file.keys[1:])
    return {EDDSA: h.key_file.path, HS256: hs_only.path}


def fresh_token_file(path: Path, key, user, count: int) -> Path:
    """count session tokens for user, each new, signed with key, one a line."""
    path.write_text("".join(tokens.forge(key, tokens.claims(user, ttl=3600)) + "\n"
                            for _ in range(count)))
    return path


def fresh_note(most: int) -> str:
    """Whether the never-cached case may have hit the cache: only when the token list wrapped
    within a run and is not well above what the two children's caches hold."""
    slots = int(re.search(r"#define TA_TOKENCACHE_SLOTS (\d+)",
                          TOKENCACHE_H.read_text()).group(1))
    note = "never cached: %d tokens, at most %d requests in a run" % (FRESH_TOKENS, most)
    if most <= FRESH_TOKENS:
        return note
    verdict = "long evicted" if FRESH_TOKENS >= 4 * slots else \
        "SOME MAY HAVE BEEN HITS: raise BENCH_FRESH_TOKENS"
    return note + "; the list wrapped: a token came back after %d others, %d-slot cache per " \
        "child (%s)" % (FRESH_TOKENS - 1, slots, verdict)


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 1
    print("load average at start: %s" % loadavg())
    with Harness() as h:
        user = h.users.add_user("bench", "bench-pw")
        mint_with = keys_of_both_algs(h)
        server = h.apache("bench", extra=[bench_site])
        bench_dir = server.paths.docroot / "bench"
        bench_dir.mkdir(mode=0o755)
        (bench_dir / "file.bin").write_bytes(os.urandom(FILE_SIZE))
        os.chmod(bench_dir / "file.bin", 0o644)
        server.start()
        ed_session = h.mint(user.name, key_file=mint_with[EDDSA], ttl=3600)
        hs_session = h.mint(user.name, key_file=mint_with[HS256], ttl=3600)
        url_token = h.mint(user.name, key_file=mint_with[EDDSA], kind="url",
                           scope="/bench-token/", ttl=3600)
        fresh = fresh_token_file(h.workdir / "fresh-tokens", h.key_file.signing_key, user,
                                 FRESH_TOKENS)
        plain_url = server.base_url + "/bench-plain/file.bin"
        token_url = server.base_url + "/bench-token/file.bin"
        base = "plain static"
        cases = [
            Case(base, server, plain_url),
            Case("token: bearer EdDSA", server, token_url,
                 ("Authorization: Bearer " + ed_session,), base),
            Case("token: bearer HS256", server, token_url,
                 ("Authorization: Bearer " + hs_session,), base),
            Case("token: query url EdDSA", server, token_url + "?token=" + url_token, (), base),
            Case("token: cookie EdDSA", server, token_url,
                 ("Cookie: tokenauth=" + ed_session,), base),
            Case("token: EdDSA never cached", server, token_url, (), base,
                 (FRESH_SCRIPT, fresh, WRK_THREADS)),
        ]
        if status_of(token_url, ("Authorization: Bearer " + fresh.read_text().split()[0],)) \
                != "200":
            raise RuntimeError("a forged fresh token was refused")
        results = run_rounds(cases)
        print_table("%d-byte static file, one Apache (event MPM), tokens from an EdDSA+HS256 "
                    "key file" % FILE_SIZE, cases, results)
        print(fresh_note(max(s.requests for s in results[cases[-1].name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
