#!/usr/bin/env python3
"""Issue 11's measurement: how close TokenAuthHome comes to plain Apache. wrk on one Apache
(event MPM, loopback, EnableSendfile On), in one run, side by side, a 4 KiB and a 1 MiB file:

  plain      static files from the document root, no authentication
  token      the same static files behind AuthType token (Bearer, an EdDSA session token)
  home hot   the same sizes from a 0700 home through TokenAuthHome, default
             TokenAuthHomeCache (1 s): a child reuses the descriptor the helper opened, so
             most requests do not reach the helper
  home cold  the same home files through a second location with TokenAuthHomeCache 0: every
             request goes to the helper, which verifies the token and opens the file as the
             user (what a first open costs)

Run:    make -f Makefile.apxs bench-home        (as root; builds first)
  or:   TA_BUILD=$PWD/build /usr/bin/python3 tests/bench/bench_home.py   (after
        make -f Makefile.apxs all probes)
Short:  BENCH_ROUNDS=2 BENCH_SECONDS=1 (to check that it works; numbers mean little)
Environment: BENCH_SECONDS (per wrk run, default 3), BENCH_ROUNDS (interleaved rounds, default
7), BENCH_CONNECTIONS (default 32; wrk -t2), BENCH_SYSCALLS (0 = no system call counts; they
need perf), BENCH_SYSCALL_SECONDS (default 2), BENCH_HOME_BASELINE_REF (empty by default: a
commit whose module a second Apache loads, side by side, serving the same home files with an
HS256 token through one home location of the default cache setting, "before:" in the table;
the comparison issue 9 asked for; built in a temporary git worktree as bench_revocation.py
does).

Each round runs every case once for BENCH_SECONDS, starting at another case each round, so
that drift on the shared machine hits every case alike. Columns of the main table (medians
over the rounds; bench_http.print_table):

  req/s       requests per second wrk completed
  ratio       req/s over plain's at the same size
  cpu us/req  CPU time (user + system) of every Apache process and of the helper (its PAM
              process included) during the run, divided by the requests wrk completed;
              steadier than req/s on a noisy machine
  apache      the Apache processes' share of it (parent, MPM children)
  helper      the helper's share of it
  +us         cpu us/req minus plain's at the same size
  cpu ratio   plain's cpu us/req over the case's: the throughput ratio if CPU alone limited it

Then: issue 11's targets for hot home files (at least 0.90x plain at 4 KiB, 0.97x at 1 MiB)
next to the measured ratios; where the CPU per request goes (differences between the cases'
medians: token - plain is the token check, home hot - token what the home path adds to it,
home cold - home hot a round trip to the helper and a confined open; the helper's part in
brackets); and, unless BENCH_SYSCALLS=0, the system calls and context switches per request
of the Apache children and of the helper for the 4 KiB cases: perf stat counts them over one
more wrk run per case (counters only, no tracing; enabled just for the wrk run).

Not a test: nothing here passes or fails, the targets are reported, not checked. Loopback
only; every wrk run, perf stat and the baseline build is bounded in time."""

import contextlib
import os
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

# This benchmark's defaults; bench_http reads the same variables when it is imported.
os.environ.setdefault("BENCH_SECONDS", "3")
os.environ.setdefault("BENCH_ROUNDS", "7")
os.environ.setdefault("BENCH_CONNECTIONS", "32")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness, helperproc, paths  # noqa: E402
from taharness.keys import EDDSA, HS256  # noqa: E402
from bench_http import (Case, keys_of_both_algs, loadavg, print_table, run_rounds,  # noqa: E402
                        wrk_run)
from bench_revocation import baseline_build, ta_build  # noqa: E402

SIZES = {"4 KiB": 4096, "1 MiB": 1024 * 1024}
TARGETS = {"4 KiB": 0.90, "1 MiB": 0.97}      # issue 11: hot home files against plain
BASELINE_REF = os.environ.get("BENCH_HOME_BASELINE_REF", "")
SYSCALL_COUNTS = os.environ.get("BENCH_SYSCALLS", "1") != "0" and shutil.which("perf") is not None
SYSCALL_SECONDS = int(os.environ.get("BENCH_SYSCALL_SECONDS", "2"))
PERF_ACK_TIMEOUT = 30.0
MIN_PER_REQUEST = 0.05    # rarer system calls are counted among the others
# The system calls counted one by one (perf stat opens a counter per event and thread, and
# each one costs at every context switch, so not all of them): what the four 4 KiB cases make
# Apache's children and the helper call at least now and then; the rest is shown as others.
SYSCALLS = ("read", "write", "writev", "sendfile64", "openat", "openat2", "close",
            "newfstatat", "setsockopt", "fcntl", "accept4", "shutdown", "mmap", "munmap",
            "futex", "epoll_wait", "epoll_ctl", "poll", "sendto", "recvmsg", "sendmsg",
            "getpid", "setfsuid", "setfsgid", "setgroups", "getgroups", "capget", "geteuid")
KINDS = ("plain", "token", "home hot", "home cold")

HOME_LOCATION = """\
<Location {path}>
    AuthType token
    AuthName "bench"
    Require valid-user
    TokenAuthHome public
{extra}</Location>
"""


def bench_site(p) -> str:
    """Plain and token-protected aliases of one docroot folder; two home locations onto the
    same files, with the default descriptor cache and without it."""
    return f"""\
LogLevel warn
EnableSendfile On
Alias /bench-plain "{p.docroot}/bench"
Alias /bench-token "{p.docroot}/bench"
<Location /bench-token>
    AuthType token
    AuthName "bench"
    Require valid-user
</Location>
""" + HOME_LOCATION.format(path="/home-hot", extra="") + \
        HOME_LOCATION.format(path="/home-cold", extra="    TokenAuthHomeCache 0\n")


def baseline_site(p) -> str:
    """What an older module understands: one home location, no TokenAuthHomeCache."""
    return "LogLevel warn\nEnableSendfile On\n" + HOME_LOCATION.format(path="/home-hot",
                                                                       extra="")


def file_name(size: int) -> str:
    return "file-%d.bin" % size


def start_server(h, name: str, build, site, key_file=None):
    """An Apache of site, loading the module of build, with the docroot's files."""
    with ta_build(build):
        server = h.apache(name, extra=[site], key_file=key_file)
        plain_dir = server.paths.docroot / "bench"
        plain_dir.mkdir(mode=0o755)
        for size in SIZES.values():
            (plain_dir / file_name(size)).write_bytes(os.urandom(size))
            os.chmod(plain_dir / file_name(size), 0o644)
        return server.start()


def baseline(ref: str):
    """baseline_build of ref, or nothing (None for the build) when ref is empty."""
    return baseline_build(ref) if ref else contextlib.nullcontext((None, None))


def put_home_files(user) -> None:
    """The files of every size in the user's 0700 home, under public/, owned by the user."""
    if user.host_home.stat().st_mode & 0o777 != 0o700:
        raise RuntimeError("%s is not mode 0700" % user.host_home)
    for size in SIZES.values():
        home_file = user.host_home / "public" / file_name(size)
        home_file.write_bytes(os.urandom(size))
        os.chown(home_file, user.uid, user.gid)


def cases_of(server, bearer, before=None, before_bearer=None) -> list:
    """Per size: plain, token, home hot, home cold (and the baseline's home, if any); each
    compared with plain of its size."""
    cases = []
    for label, size in SIZES.items():
        plain = "plain %s" % label
        url = server.base_url
        cases += [Case(plain, server, url + "/bench-plain/" + file_name(size)),
                  Case("token %s" % label, server, url + "/bench-token/" + file_name(size),
                       bearer, plain),
                  Case("home hot %s" % label, server, url + "/home-hot/" + file_name(size),
                       bearer, plain),
                  Case("home cold %s" % label, server, url + "/home-cold/" + file_name(size),
                       bearer, plain)]
        if before:
            cases.append(Case("before: home %s HS256" % label, before,
                              before.base_url + "/home-hot/" + file_name(size), before_bearer,
                              plain))
    return cases


# --- what the table's numbers mean for issue 11 -------------------------------------------
def medians(results) -> dict:
    """name -> (req/s, cpu us/req, helper us/req), medians over the rounds."""
    return {name: (statistics.median(s.rps for s in samples),
                   statistics.median(s.us_per_request() for s in samples),
                   statistics.median(s.us_per_request("helper") for s in samples))
            for name, samples in results.items()}


def print_targets(med) -> None:
    print("\nissue 11 targets, hot home files against plain at the same size (reported, not "
          "checked):")
    print("  %-6s %8s %12s %10s" % ("size", "target", "req/s ratio", "cpu ratio"))
    for label, target in TARGETS.items():
        hot, plain = med["home hot %s" % label], med["plain %s" % label]
        print("  %-6s %7s %12.3f %10.3f" % (label, ">=%.2f" % target, hot[0] / plain[0],
                                            plain[1] / hot[1]))


def print_cpu_breakdown(med) -> None:
    """Differences of median CPU per request between the cases of one size."""
    steps = (("token check (token - plain)", "token", "plain"),
             ("home path, hot (home hot - token)", "home hot", "token"),
             ("helper round trip + open (home cold - home hot)", "home cold", "home hot"),
             ("hot home over plain (home hot - plain)", "home hot", "plain"))
    print("\nwhere the CPU per request goes (differences of the medians above, us/request; "
          "[helper's part]):")
    print("  %-48s %s" % ("", "".join("%18s" % label for label in SIZES)))
    for text, case, base in steps:
        cells = []
        for label in SIZES:
            a, b = med["%s %s" % (case, label)], med["%s %s" % (base, label)]
            cells.append("%+9.1f [%+6.1f]" % (a[1] - b[1], a[2] - b[2]))
        print("  %-48s %s" % (text, "".join("%18s" % c for c in cells)))


# --- system calls and context switches per request (perf stat) ----------------------------
def perf_events() -> list:
    return ["raw_syscalls:sys_enter", "context-switches"] + \
        ["syscalls:sys_enter_" + name for name in SYSCALLS]


def perf_command(ctl: int, ack: int, command: str, errors: Path) -> None:
    """Send perf stat a control command and wait, bounded, for its acknowledgement."""
    try:
        os.write(ctl, (command + "\n").encode())
    except BrokenPipeError:
        raise RuntimeError("perf stat is gone: %s" % errors.read_text()[-2000:])
    ready, _, _ = select.select([ack], [], [], PERF_ACK_TIMEOUT)
    if not ready or not os.read(ack, 64).startswith(b"ack"):
        raise RuntimeError("perf stat did not acknowledge %r: %s"
                           % (command, errors.read_text()[-2000:]))


def perf_stop(proc: subprocess.Popen) -> None:
    """Stop perf stat (it writes its counts on SIGINT), bounded."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def raise_fd_limit() -> None:
    """perf stat opens a counter per event and thread."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def perf_counting(pids, out: Path):
    """perf stat of perf_events() on every thread of pids, counting only inside the with
    block (started disabled, then enabled and disabled through its control pipe, each step
    acknowledged); the counts are in out afterwards, its messages in out.err."""
    errors = out.with_suffix(".err")
    ctl_r, ctl_w = os.pipe()
    ack_r, ack_w = os.pipe()
    argv = ["perf", "stat", "-x,", "-o", str(out), "-D", "-1",
            "--control", "fd:%d,%d" % (ctl_r, ack_w), "-e", ",".join(perf_events()),
            "-p", ",".join(str(p) for p in pids)]
    with errors.open("w") as err:
        proc = subprocess.Popen(argv, pass_fds=(ctl_r, ack_w), stdout=subprocess.DEVNULL,
                                stderr=err, preexec_fn=raise_fd_limit)
    os.close(ctl_r)
    os.close(ack_w)
    try:
        perf_command(ctl_w, ack_r, "enable", errors)
        yield
        perf_command(ctl_w, ack_r, "disable", errors)
    finally:
        os.close(ctl_w)
        os.close(ack_r)
        perf_stop(proc)
    if proc.returncode not in (0, -signal.SIGINT, 128 + signal.SIGINT):
        raise RuntimeError("perf stat failed (%s): %s" % (proc.returncode,
                                                          errors.read_text()[-2000:]))


def perf_counts(out: Path) -> dict:
    """event -> count, from perf stat -x, output (syscalls:sys_enter_read -> read); an event
    perf did not count (no thread of the group ran while it was enabled) is 0."""
    counts = {}
    for line in out.read_text().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and re.fullmatch(r"\d+|<not counted>", fields[0]):
            name = re.sub(r"^syscalls:sys_enter_", "", fields[2])
            counts[name] = int(fields[0]) if fields[0].isdigit() else 0
    return counts


def groups_of(server) -> dict:
    """{"apache": the MPM children, "helper": the helper and its descendants}."""
    helper = [p.pid for h in helperproc.helpers_of(server)
              for p in [h] + helperproc.descendants(h.pid)]
    return {"apache": helperproc.worker_children(server), "helper": helper}


def counts_per_request(case: Case, workdir: Path) -> dict:
    """{group: {event: count per request}} of one wrk run of SYSCALL_SECONDS."""
    outs = {}
    with contextlib.ExitStack() as stack:
        for group, pids in groups_of(case.server).items():
            outs[group] = workdir / ("perf-%s-%s.txt" % (case.name.replace(" ", "-"), group))
            stack.enter_context(perf_counting(pids, outs[group]))
        _, requests = wrk_run(case.url, case.headers, SYSCALL_SECONDS)
    return {group: {name: n / max(requests, 1) for name, n in perf_counts(out).items()}
            for group, out in outs.items()}


def print_row(text: str, values, fmt: str) -> None:
    print("  %-24s %s" % (text, "".join(fmt % v for v in values)))


def print_counts(counts: dict) -> None:
    """One column per case; per group all system calls, context switches, each system call of
    SYSCALLS seen at least MIN_PER_REQUEST times per request in some case, and the rest."""
    names = list(counts)
    print("\nsystem calls and context switches per request (perf stat on the Apache children "
          "and on the helper, 4 KiB, wrk %d s per case):" % SYSCALL_SECONDS)
    print_row("", [n.replace(" 4 KiB", "") for n in names], "%11s")
    for group in ("apache", "helper"):
        per_case = [counts[n][group] for n in names]
        print_row(group + ": system calls", [c["raw_syscalls:sys_enter"] for c in per_case],
                  "%11.1f")
        print_row("  context switches", [c["context-switches"] for c in per_case], "%11.2f")
        seen = [s for s in SYSCALLS if max(c.get(s, 0) for c in per_case) >= MIN_PER_REQUEST]
        for s in sorted(seen, key=lambda s: -max(c.get(s, 0) for c in per_case)):
            print_row("    " + s, [c.get(s, 0) for c in per_case], "%11.2f")
        print_row("    (others)", [max(0.0, c["raw_syscalls:sys_enter"] -
                                   sum(c.get(s, 0) for s in SYSCALLS)) for c in per_case],
                  "%11.2f")
    print("futex and epoll counts depend on timing (how often a thread had to wait); the others "
          "are what each request asks for")


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 1
    print("load average at start: %s" % loadavg())
    with baseline(BASELINE_REF) as (_, base_build), Harness() as h:
        user = h.users.add_user("benchhome", "bench-pw")
        mint_with = keys_of_both_algs(h)
        put_home_files(user)
        server = start_server(h, "benchhome", paths.build_dir(), bench_site)
        before = base_build and start_server(h, "before", base_build, baseline_site,
                                             mint_with[HS256])
        bearer = ("Authorization: Bearer " + h.mint(user.name, key_file=mint_with[EDDSA],
                                                     ttl=3600),)
        hs_bearer = ("Authorization: Bearer " + h.mint(user.name, key_file=mint_with[HS256],
                                                        ttl=3600),)
        cases = cases_of(server, bearer, before, hs_bearer)
        results = run_rounds(cases)
        print_table("plain, AuthType token and TokenAuthHome (hot: TokenAuthHomeCache 1, cold: "
                    "0) files, EdDSA bearer token, EnableSendfile On, one Apache (event "
                    "MPM)%s" % (" and, side by side, the module of %s (before:)" % BASELINE_REF
                                if before else ""), cases, results)
        med = medians(results)
        print_targets(med)
        print_cpu_breakdown(med)
        if SYSCALL_COUNTS:
            small = [c for c in cases if c.name in ["%s 4 KiB" % k for k in KINDS]]
            try:
                print_counts({c.name: counts_per_request(c, h.workdir) for c in small})
            except (OSError, RuntimeError) as e:
                print("\nno system call counts: %s" % e)
        else:
            print("\nno system call counts (perf is not installed, or BENCH_SYSCALLS=0)")
        print("load average at the end: %s" % loadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
