#!/usr/bin/env python3
"""wrk on one Apache, in one run: a 4 KiB and a 1 MiB file from a 0700 home, served through
AuthType token and TokenAuthHome (the helper verifies the token itself, opens the file with the
user's credentials and passes the descriptor), against the same files served as plain static
files by the same Apache without authentication.

The key file holds an EdDSA key (it signs) and an HS256 key (it verifies). The helper keeps no
cache of verified tokens: it checks the signature of every file request. Each file is asked
for with an EdDSA token and with an HS256 one; the difference in the helper's CPU time per
request is what its Ed25519 verify costs.

Issue 9 asks that the home path be no slower than before its rework (0.40x at 4 KiB and 0.88x at
1 MiB were measured then). So a second Apache, side by side, loads the module of
BENCH_HOME_BASELINE_REF (default 4a309ae, the last commit before the rework: a helper forked
from Apache that believed the worker), built in a temporary git worktree as bench_revocation.py
builds its baseline; it reads HS256 keys only, and serves the same home files with the HS256
token. Its home cases are compared with the current server's plain twins (plain static files
do not involve the module).

Prints requests per second (median of interleaved rounds), each home case's ratio to its plain
twin, and the CPU time per request of Apache's processes and of the helper (see bench_http.py,
whose way of measuring this uses).

Not a test: nothing here passes or fails. Loopback only; every wrk run and the build are
bounded in time. Environment: BENCH_SECONDS (default 5), BENCH_ROUNDS (default 5),
BENCH_CONNECTIONS (16), BENCH_HOME_BASELINE_REF (empty: no baseline server)."""

import contextlib
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness, paths  # noqa: E402
from taharness.keys import EDDSA, HS256  # noqa: E402
from bench_http import Case, keys_of_both_algs, loadavg, print_table, run_rounds  # noqa: E402
from bench_revocation import baseline_build, ta_build  # noqa: E402

SIZES = {"4 KiB": 4096, "1 MiB": 1024 * 1024}
BASELINE_REF = os.environ.get("BENCH_HOME_BASELINE_REF", "4a309ae")


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


def start_server(h, name: str, build, key_file=None):
    """An Apache of the bench site, loading the module of build, with the plain files."""
    with ta_build(build):
        server = h.apache(name, extra=[bench_site], key_file=key_file)
        plain_dir = server.paths.docroot / "bench"
        plain_dir.mkdir(mode=0o755)
        for size in SIZES.values():
            name = "file-%d.bin" % size
            (plain_dir / name).write_bytes(os.urandom(size))
            os.chmod(plain_dir / name, 0o644)
        return server.start()


def baseline(ref: str):
    """baseline_build of ref, or nothing (None for the build) when ref is empty."""
    return baseline_build(ref) if ref else contextlib.nullcontext((None, None))


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 1
    print("load average at start: %s" % loadavg())
    with baseline(BASELINE_REF) as (_, base_build), Harness() as h:
        user = h.users.add_user("benchhome", "bench-pw")
        mint_with = keys_of_both_algs(h)
        for size in SIZES.values():
            home_file = user.host_home / "public" / ("file-%d.bin" % size)
            home_file.write_bytes(os.urandom(size))
            os.chown(home_file, user.uid, user.gid)
        server = start_server(h, "benchhome", paths.build_dir())
        before = base_build and start_server(h, "before", base_build, mint_with[HS256])
        auth = {alg: ("Authorization: Bearer " + h.mint(user.name, key_file=kf, ttl=3600),)
                for alg, kf in mint_with.items()}
        cases = []
        for label, size in SIZES.items():
            path = "/home-files/file-%d.bin" % size
            plain = "plain %s" % label
            cases.append(Case(plain, server, server.base_url + "/bench-plain/file-%d.bin" % size))
            for alg in (EDDSA, HS256):
                cases.append(Case("home %s, %s" % (label, alg), server, server.base_url + path,
                                  auth[alg], plain))
            if before:
                cases.append(Case("before: home %s, %s" % (label, HS256), before,
                                  before.base_url + path, auth[HS256], plain))
        results = run_rounds(cases)
        print_table("home files from a 0700 home through the helper against plain static "
                    "files, EnableSendfile On; Apache (event MPM) of the current module%s"
                    % (" and, side by side, of %s (before:)" % BASELINE_REF if before else ""),
                    cases, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
