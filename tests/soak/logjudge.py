"""The error log (and Apache's stderr) after the soak:

  crashes     a child killed by a signal (AH00052), a sanitizer or glibc abort, a segfault, a
              PAM process that ended under its helper (TA00070), a helper that exited when the
              soak had not killed it (TA00013 for a pid the chaos thread did not SIGKILL), a
              new core file
  refusals    the helper refusing a connection or a request (TA00068, TA00069): the soak
              reaches the helper only through Apache, so each one is the helper turning away
              Apache's own children (a legitimate request then gets 503)
  unexpected  any other error-level (or unformatted) line, unless it is what a chaos event
              makes the module say (the helper unreachable, the cache unreachable) and was
              written while that event, its grace, or a request begun within them, lasted"""

import os
import re
import time

from taharness import errorlog

# What the module and mod_socache_redis say when the helper or redis is away.
CHAOS_LINES = [re.compile(p) for p in (
    r"AH03\d{3}", r"scache_rd", r"TA00016: TokenAuthCache", r"TA00034: cannot check revocations",
    r"TA00022: login of ", r"TA00031: logout of ", r"TA00040: home (file|listing) for ",
    r"TA00051: cannot mint ",
    # a PAM child gives up on a helper frozen in mid-login (its request or answer overdue)
    r"TA00062: helper: PAM unavailable for service",
)]
# httpd's own answer to a path climbing above the root (the soak sends such paths).
ALWAYS_ALLOWED = [re.compile(r"AH10244: invalid URI path")]
CRASH_LINES = list(errorlog.ALWAYS_BAD) + [re.compile(p) for p in (
    r"Segmentation fault", r"core dumped", r"TA00070: ",
)]
HELPER_REFUSAL = re.compile(r"TA0006[89]: helper: refused")
HELPER_EXIT = re.compile(r"TA00013: helper \(pid (\d+)\) exited \(status (-?\d+)\)")
TIMESTAMP = re.compile(r"^\[\w{3} (\w{3} +\d+ \d\d:\d\d:\d\d)(\.\d+)? (\d{4})\]")
REQUEST_LONGEST = 30.0     # a request begun in a window may log this long after it


def line_time(line: str):
    """Wall-clock time of an error-log line, or None."""
    m = TIMESTAMP.match(line)
    if not m:
        return None
    t = time.mktime(time.strptime("%s %s" % (m.group(1), m.group(3)), "%b %d %H:%M:%S %Y"))
    return t + float(m.group(2) or 0)


def _in_chaos(t, events) -> bool:
    return t is not None and any(e.start - 1 <= t <= e.end + e.grace + REQUEST_LONGEST
                                 for e in events)


def judge(server, mark: int, events, killed: set):
    """(crash lines, refusal lines, unexpected lines) of server's error log from byte offset
    mark on."""
    crashes, refusals, unexpected = [], [], []
    transitions = server.transitions
    for pos, line in server.error_log.lines_at(mark):
        if not line.strip():
            continue
        if HELPER_REFUSAL.search(line):
            refusals.append(line)
            continue
        m = HELPER_EXIT.search(line)
        if m:
            if int(m.group(1)) not in killed:
                crashes.append(line)
            continue
        if any(p.search(line) for p in CRASH_LINES):
            crashes.append(line)
            continue
        if not errorlog.is_bad(line) or any(p.search(line) for p in ALWAYS_ALLOWED):
            continue
        if errorlog.is_transition_noise(line) and any(a <= pos < b for a, b in transitions):
            continue
        if any(p.search(line) for p in CHAOS_LINES) and _in_chaos(line_time(line), events):
            continue
        unexpected.append(line)
    return crashes, refusals, unexpected


def stderr_crashes(server, mark: int) -> list:
    path = server.paths.logs / "stderr.log"
    try:
        with open(path, "rb") as f:
            f.seek(mark)
            text = f.read().decode(errors="replace")
    except FileNotFoundError:
        return []
    return [ln for ln in text.splitlines() if any(p.search(ln) for p in CRASH_LINES)]


def stderr_mark(server) -> int:
    try:
        return (server.paths.logs / "stderr.log").stat().st_size
    except FileNotFoundError:
        return 0


def core_files(dirs) -> set:
    """Files named core or core.* in dirs (core_pattern "core" writes them in the cwd)."""
    out = set()
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        out |= {os.path.join(d, n) for n in names if n == "core" or n.startswith("core.")}
    return out
