#!/usr/bin/env python3
"""wrk on one Apache, in one run: a 4 KiB and a 1 MiB file from a 0700 home, served through
AuthType token and TokenAuthHome (the helper opens them with the user's credentials and
passes the descriptor), against the same files served as plain static files by the same
Apache without authentication. Prints requests per second (median of alternating rounds)
and each home case's ratio to its plain twin. Targets (issue 4): at least 85% for 4 KiB and
95% for 1 MiB.

Not a test: nothing here passes or fails. Loopback only; every wrk run is bounded in time.
Environment: BENCH_SECONDS (default 5), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (16)."""

import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness  # noqa: E402
from bench_http import CONNECTIONS, ROUNDS, SECONDS, status_of, wrk  # noqa: E402

SIZES = {"4 KiB": 4096, "1 MiB": 1024 * 1024}


def bench_site(p) -> str:
    return f"""\
LogLevel warn
EnableSendfile On
Alias /bench-plain "{p.docroot}/bench"
<Location /home-files>
    AuthType token
    AuthName "bench"
    Require valid-user
    TokenAuthHome public
</Location>
"""


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 1
    with Harness() as h:
        user = h.users.add_user("benchhome", "bench-pw")
        server = h.apache("benchhome", extra=[bench_site])
        plain_dir = server.paths.docroot / "bench"
        plain_dir.mkdir(mode=0o755)
        for label, size in SIZES.items():
            data = os.urandom(size)
            name = "file-%d.bin" % size
            (plain_dir / name).write_bytes(data)
            os.chmod(plain_dir / name, 0o644)
            home_file = user.host_home / "public" / name
            home_file.write_bytes(data)
            os.chown(home_file, user.uid, user.gid)
        server.start()
        auth = ("Authorization: Bearer " + h.mint(user.name, ttl=3600),)
        base = server.base_url
        cases = []
        for label, size in SIZES.items():
            name = "file-%d.bin" % size
            cases.append(("plain %s" % label, base + "/bench-plain/" + name, ()))
            cases.append(("home %s" % label, base + "/home-files/" + name, auth))
        for _, url, headers in cases:
            code = status_of(url, headers)
            if code != "200":
                raise RuntimeError("%s answered %s" % (url, code))
            wrk(url, headers, seconds=1)
        results = {name: [] for name, _, _ in cases}
        for _ in range(ROUNDS):
            for name, url, headers in cases:
                results[name].append(wrk(url, headers))
        print("\nwrk -t2 -c%d -d%ds, %d rounds, one Apache (event MPM), loopback; home files "
              "from a 0700 home through the helper" % (CONNECTIONS, SECONDS, ROUNDS))
        print("%-14s %12s %10s   %s" % ("case", "req/s (med)", "vs plain", "rounds"))
        for label in SIZES:
            plain = statistics.median(results["plain %s" % label])
            for name in ("plain %s" % label, "home %s" % label):
                med = statistics.median(results[name])
                print("%-14s %12.0f %9.1f%%   %s" % (
                    name, med, 100.0 * med / plain,
                    " ".join("%.0f" % x for x in results[name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
