#!/usr/bin/env python3
"""wrk in one run: the per-request cost of the shared cache. Two Apaches with the same site
and key file, a token-protected 4 KiB file, bearer session token: one with the default
TokenAuthCache (shmcb: revocations are checked in the local ledger only), one with
TokenAuthCache redis: (the ledger, then redis for revocations made on other servers).
A real redis-server is started on a free loopback port and stopped by its pid. Prints
requests per second (median of alternating rounds) and the ratio.

Not a test: nothing here passes or fails. Environment: BENCH_SECONDS (default 5),
BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (16)."""

import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness, paths  # noqa: E402
from taharness.redis import RedisServer  # noqa: E402
from bench_http import CONNECTIONS, ROUNDS, SECONDS, bench_site, status_of, wrk  # noqa: E402


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 1
    with Harness() as h:
        redis = RedisServer(h.workdir / "redis").start()
        try:
            user = h.users.add_user("benchcache", "bench-pw")
            redis_lines = ["LoadModule socache_redis_module %s/mod_socache_redis.so"
                           % paths.APACHE_MODULES,
                           "TokenAuthCache redis:127.0.0.1:%d" % redis.port]
            servers = {"shmcb": h.apache("cache-shmcb", extra=[bench_site]),
                       "redis": h.apache("cache-redis", extra=[bench_site] + redis_lines)}
            data = os.urandom(4096)
            for srv in servers.values():
                d = srv.paths.docroot / "bench"
                d.mkdir(mode=0o755)
                (d / "file.bin").write_bytes(data)
                os.chmod(d / "file.bin", 0o644)
                srv.start()
            auth = ("Authorization: Bearer " + h.mint(user.name, ttl=3600),)
            cases = [("%s: bearer" % name, srv.base_url + "/bench-token/file.bin", auth)
                     for name, srv in servers.items()]
            cases.insert(0, ("shmcb: plain", servers["shmcb"].base_url +
                             "/bench-plain/file.bin", ()))
            for _, url, headers in cases:
                code = status_of(url, headers)
                if code != "200":
                    raise RuntimeError("%s answered %s" % (url, code))
                wrk(url, headers, seconds=1)
            results = {name: [] for name, _, _ in cases}
            for _ in range(ROUNDS):
                for name, url, headers in cases:
                    results[name].append(wrk(url, headers))
            base = statistics.median(results["shmcb: bearer"])
            print("\nwrk -t2 -c%d -d%ds, %d rounds, 4096-byte file, bearer session token; two "
                  "Apaches side by side, redis-server on loopback" % (CONNECTIONS, SECONDS, ROUNDS))
            print("%-16s %12s %12s   %s" % ("case", "req/s (med)", "vs shmcb", "rounds"))
            for name, _, _ in cases:
                med = statistics.median(results[name])
                print("%-16s %12.0f %11.1f%%   %s" % (name, med, 100.0 * med / base,
                                                     " ".join("%.0f" % x for x in results[name])))
        finally:
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
