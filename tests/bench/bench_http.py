#!/usr/bin/env python3
"""wrk on one Apache, in one run: the same static file served plainly and behind
AuthType token (bearer session token, query url token, cookie). Prints requests per second
(median of several alternating rounds) and each token case's ratio to plain serving.

Not a test: nothing here passes or fails. Loopback only; every wrk run is bounded in time.
Environment: BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 3),
BENCH_CONNECTIONS (default 16), BENCH_FILE_SIZE (bytes, default 4096)."""

import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
FILE_SIZE = int(os.environ.get("BENCH_FILE_SIZE", "4096"))


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


def wrk(url: str, headers=(), seconds: int = SECONDS) -> float:
    """Requests per second of one bounded wrk run (bench_revocation.py uses it too)."""
    argv = ["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--timeout", "5s"]
    for h in headers:
        argv += ["-H", h]
    out = subprocess.run(argv + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=seconds + 30, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError("wrk saw error responses:\n" + out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 1
    with Harness() as h:
        user = h.users.add_user("bench", "bench-pw")
        server = h.apache("bench", extra=[bench_site])
        bench_dir = server.paths.docroot / "bench"
        bench_dir.mkdir(mode=0o755)
        (bench_dir / "file.bin").write_bytes(os.urandom(FILE_SIZE))
        os.chmod(bench_dir / "file.bin", 0o644)
        server.start()
        session = h.mint(user.name)
        url_token = h.mint(user.name, kind="url", scope="/bench-token/", ttl=3600)
        base = server.base_url
        cases = [
            ("plain static", base + "/bench-plain/file.bin", ()),
            ("token: bearer session", base + "/bench-token/file.bin",
             ("Authorization: Bearer " + session,)),
            ("token: query url", base + "/bench-token/file.bin?token=" + url_token, ()),
            ("token: cookie session", base + "/bench-token/file.bin",
             ("Cookie: tokenauth=" + session,)),
        ]
        for _, url, headers in cases:  # warm up, and prove every case answers 200
            code = status_of(url, headers)
            if code != "200":
                raise RuntimeError("%s answered %s" % (url, code))
        results = {name: [] for name, _, _ in cases}
        for _ in range(ROUNDS):  # alternate, so drift on the machine hits every case alike
            for name, url, headers in cases:
                results[name].append(wrk(url, headers))
        plain = statistics.median(results["plain static"])
        print("\nwrk -t2 -c%d -d%ds, %d rounds, %d-byte file, one Apache (event MPM), loopback"
              % (CONNECTIONS, SECONDS, ROUNDS, FILE_SIZE))
        print("%-24s %12s %10s   %s" % ("case", "req/s (med)", "vs plain", "rounds"))
        for name, _, _ in cases:
            med = statistics.median(results[name])
            print("%-24s %12.0f %9.1f%%   %s" % (name, med, 100.0 * med / plain,
                                                 " ".join("%.0f" % x for x in results[name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
