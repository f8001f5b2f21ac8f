"""What the server holds, read from /proc: its processes, descriptors and memory, sampled when
the load is quiet (after the warm-up, and after a settle period at the end), and once more at
the start of the chaos-free tail of the run (the helper and children then alive live on to
the end, so their own growth under load is measured on the same processes).

Limits, stated in the summary:
  - the Apache parent's descriptors: no more at the end than at the start; its RSS grows by at
    most PARENT_RSS_GROWTH_KIB (each graceful restart re-reads the configuration)
  - processes: at most ServerLimit MPM children and mod_cgid's daemon; exactly one helper with
    its one PAM process; no zombie below the parent; no process outside Apache's tree still
    holding its error log (a helper or PAM process left behind by a kill or a restart)
  - the helper's descriptors other than sockets: the same at the end as at the start; its
    sockets at most its hub, its PAM process's and one kept connection per worker thread
    (MaxRequestWorkers)
  - the helper's RSS: from the tail's start to the end (the same process) at most
    HELPER_RSS_TAIL_GROWTH_KIB; end against start (a newer process) at most
    HELPER_RSS_GROWTH_KIB
  - each worker child alive in the tail and at the end: descriptors other than sockets no
    more than at the tail's start, RSS growth at most CHILD_RSS_TAIL_GROWTH_KIB"""

import re
from dataclasses import dataclass, field

from taharness import helperproc

PARENT_RSS_GROWTH_KIB = 2048
HELPER_RSS_TAIL_GROWTH_KIB = 2048
HELPER_RSS_GROWTH_KIB = 8192
CHILD_RSS_TAIL_GROWTH_KIB = 4096
HELPER_BASE_SOCKETS = 2          # the hub and the PAM process's socket


def rss_kib(pid: int) -> int:
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def _fd_split(pid: int):
    """(targets of non-socket descriptors sorted, number of sockets)."""
    fds = helperproc.open_files(pid)
    sockets = sum(1 for t in fds.values() if t.startswith("socket:"))
    others = sorted(re.sub(r"\[\d+\]", "[]", t) for t in fds.values()
                    if not t.startswith("socket:"))
    return others, sockets


def mpm_numbers(server) -> dict:
    text = server.config_text()
    out = {}
    for name in ("ServerLimit", "MaxRequestWorkers"):
        m = re.findall(r"^%s\s+(\d+)" % name, text, re.M)
        out[name] = int(m[-1])
    return out


@dataclass
class Sample:
    parent: int
    parent_fds: int
    parent_rss: int
    workers: list                    # pids of the MPM children
    cgid: list
    helpers: list                    # live ta-helper children of the parent
    pam: list                        # live ta-helper-pam children of the helper
    zombies: list
    outsiders: list                  # processes outside the tree holding the error log
    helper_other_fds: list = field(default_factory=list)
    helper_sockets: int = 0
    helper_rss: int = -1
    child_other_fds: dict = field(default_factory=dict)   # pid -> number
    child_rss: dict = field(default_factory=dict)

    @property
    def helper(self):
        return self.helpers[0] if len(self.helpers) == 1 else None


def take(server) -> Sample:
    parent = server.pid()
    tree = helperproc.descendants(parent)
    children = [p for p in tree if p.ppid == parent and p.state != "Z"]
    helpers = [p.pid for p in children if p.comm == helperproc.HELPER_COMM]
    cgid = helperproc.cgid_daemons(server)
    workers = [p.pid for p in children if p.comm == "apache2" and p.pid not in cgid]
    pam = [p.pid for p in tree if p.ppid in helpers and p.state != "Z"]
    in_tree = {parent} | {p.pid for p in tree}
    s = Sample(parent, len(helperproc.open_files(parent)), rss_kib(parent), workers, cgid,
               helpers, pam, [p for p in tree if p.state == "Z"],
               [p for p in helperproc.holding(server.paths.error_log) if p.pid not in in_tree])
    if s.helper:
        s.helper_other_fds, s.helper_sockets = _fd_split(s.helper)
        s.helper_rss = rss_kib(s.helper)
    for pid in workers:
        s.child_other_fds[pid] = len(_fd_split(pid)[0])
        s.child_rss[pid] = rss_kib(pid)
    return s


def settled(server, limits) -> bool:
    """Quiet enough to sample: no zombie, one helper with one PAM process, no more children
    than the MPM allows."""
    s = take(server)
    return (not s.zombies and len(s.helpers) == 1 and len(s.pam) == 1 and
            len(s.workers) <= limits["ServerLimit"])


@dataclass
class Row:
    what: str
    start: object
    tail: object
    end: object
    limit: str
    ok: bool


def judge(start: Sample, tail: Sample, end: Sample, limits: dict) -> list:
    rows = [
        Row("Apache parent pid", start.parent, tail.parent, end.parent, "the same",
            start.parent == end.parent),
        Row("parent descriptors", start.parent_fds, tail.parent_fds, end.parent_fds,
            "<= start", end.parent_fds <= start.parent_fds),
        Row("parent RSS KiB", start.parent_rss, tail.parent_rss, end.parent_rss,
            "<= start + %d" % PARENT_RSS_GROWTH_KIB,
            end.parent_rss <= start.parent_rss + PARENT_RSS_GROWTH_KIB),
        Row("MPM children", len(start.workers), len(tail.workers), len(end.workers),
            "<= ServerLimit %d" % limits["ServerLimit"],
            len(end.workers) <= limits["ServerLimit"]),
        Row("cgid daemons", len(start.cgid), len(tail.cgid), len(end.cgid), "1",
            len(end.cgid) == 1),
        Row("helpers", len(start.helpers), len(tail.helpers), len(end.helpers), "1",
            len(end.helpers) == 1),
        Row("helper PAM processes", len(start.pam), len(tail.pam), len(end.pam), "1",
            len(end.pam) == 1),
        Row("zombies below the parent", len(start.zombies), len(tail.zombies), len(end.zombies),
            "0", not end.zombies),
        Row("processes left outside", len(start.outsiders), len(tail.outsiders),
            len(end.outsiders), "0", not end.outsiders),
        Row("helper pid", start.helper, tail.helper, end.helper, "(changes with kills)", True),
        Row("helper other descriptors", len(start.helper_other_fds), len(tail.helper_other_fds),
            len(end.helper_other_fds), "the same files as at start",
            end.helper_other_fds == start.helper_other_fds),
        Row("helper sockets", start.helper_sockets, tail.helper_sockets, end.helper_sockets,
            "<= %d + MaxRequestWorkers %d" % (HELPER_BASE_SOCKETS, limits["MaxRequestWorkers"]),
            end.helper_sockets <= HELPER_BASE_SOCKETS + limits["MaxRequestWorkers"]),
    ]
    same_helper = tail.helper is not None and tail.helper == end.helper
    rows.append(Row("helper RSS KiB", start.helper_rss, tail.helper_rss, end.helper_rss,
                    "end <= start + %d; same pid: <= tail + %d" % (
                        HELPER_RSS_GROWTH_KIB, HELPER_RSS_TAIL_GROWTH_KIB),
                    end.helper_rss <= start.helper_rss + HELPER_RSS_GROWTH_KIB and
                    (not same_helper or
                     end.helper_rss <= tail.helper_rss + HELPER_RSS_TAIL_GROWTH_KIB)))
    rows += _children_rows(tail, end)
    return rows


def _children_rows(tail: Sample, end: Sample) -> list:
    both = sorted(set(tail.child_other_fds) & set(end.child_other_fds))
    fd_t = sum(tail.child_other_fds[p] for p in both)
    fd_e = sum(end.child_other_fds[p] for p in both)
    rss_t = sum(tail.child_rss[p] for p in both)
    rss_e = sum(end.child_rss[p] for p in both)
    growth = max((end.child_rss[p] - tail.child_rss[p] for p in both), default=0)
    return [
        Row("children alive tail..end", "-", len(both), len(both), "(informative)", True),
        Row("their other descriptors", "-", fd_t, fd_e, "<= tail", fd_e <= fd_t),
        Row("their RSS KiB (sum)", "-", rss_t, rss_e,
            "each <= tail + %d" % CHILD_RSS_TAIL_GROWTH_KIB,
            growth <= CHILD_RSS_TAIL_GROWTH_KIB),
    ]
