#!/usr/bin/env python3
"""The listing of a 100,000-entry TokenAuthHome directory: how long a whole HTML page, the
whole JSON array, and JSON pages of 1000 (at offset 0 and at offset 50000) take, and what
they cost the helper's memory (VmHWM of the helper process, its peak resident size, read
before the first listing and after each kind) and an Apache child's.

Not a test: nothing here passes or fails. Loopback only. Environment: BENCH_ROUNDS (default 5),
BENCH_ENTRIES (default 100000)."""

import os
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness, helperproc  # noqa: E402
from taharness.homefiles import make_files_as  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "100000"))
SITE = """\
LogLevel warn
<Location /h>
    AuthType token
    AuthName "bench"
    Require valid-user
    TokenAuthHome public
</Location>
"""


def make_photos_as(user, directory, count):
    """count empty files photo-NNNNNN.jpg, created out of order, owned by the user."""
    make_files_as(user, directory, ["photo-%06d.jpg" % ((i * 7919) % count) for i in range(count)])


def kib(pid, field) -> int:
    return int(helperproc.status_field(pid, field).split()[0])


def timed(url, headers):
    """Seconds for the whole answer, and its size."""
    t = time.monotonic()
    r = requests.get(url, headers=headers, timeout=120)
    assert r.status_code == 200, (url, r.status_code, r.text[:200])
    return time.monotonic() - t, len(r.content)


def main() -> int:
    with Harness() as h:
        user = h.users.add_user("benchlist", "bench-pw")
        d = user.host_home / "public" / "big"
        d.mkdir(parents=True)
        os.chown(d, user.uid, user.gid)
        t = time.monotonic()
        make_photos_as(user, d, ENTRIES)
        print("%d files made in %.1f s" % (ENTRIES, time.monotonic() - t))
        server = h.apache("benchlist", extra=[SITE]).start()
        token = h.mint(user.name, ttl=3600)
        auth = {"Authorization": "Bearer " + token}
        json_h = dict(auth, Accept="application/json")
        base = server.base_url + "/h/big/"
        requests.get(server.base_url + "/h/", headers=json_h, timeout=10)  # warm: a helper
        (helper,) = [p.pid for p in helperproc.helpers_of(server) if p.state != "Z"]
        print("helper pid %d: VmHWM %d KiB, VmRSS %d KiB before any large listing"
              % (helper, kib(helper, "VmHWM"), kib(helper, "VmRSS")))
        cases = [("HTML, whole", base, auth), ("JSON, whole", base, json_h),
                 ("JSON, 1000 at offset 0", base + "?offset=0&limit=1000", json_h),
                 ("JSON, 1000 at offset 50000", base + "?offset=50000&limit=1000", json_h)]
        print("%-28s %10s %10s %10s %12s %14s" % ("listing of %d entries" % ENTRIES, "median s",
                                                  "min s", "max s", "bytes",
                                                  "helper VmHWM"))
        for label, url, headers in cases:
            runs = [timed(url, headers) for _ in range(ROUNDS)]
            secs = [s for s, _ in runs]
            print("%-28s %10.3f %10.3f %10.3f %12d %11d KiB" % (
                label, statistics.median(secs), min(secs), max(secs), runs[0][1],
                kib(helper, "VmHWM")))
        children = helperproc.worker_children(server)
        print("helper VmRSS now %d KiB; Apache children VmHWM: %s KiB" % (
            kib(helper, "VmRSS"), ", ".join(str(kib(p, "VmHWM")) for p in children)))
        print("load average at the end: %s" % open("/proc/loadavg").read().strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
