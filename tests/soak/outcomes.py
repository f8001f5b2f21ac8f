"""Every answer the soak's clients get, classified:

  ok          the right answer to a request that should succeed (and its body checked)
  refused     a refusal (4xx) where one is the right answer: wrong password, revoked or forged
              token, another user's path
  503-chaos   a 503 while a chaos event was under way or within its recovery grace
  conn-chaos  a connection closed under the request during a graceful restart (httpd closes
              idle keep-alive connections when its children change)
  unexpected  an answer that is not wrong in the security sense but should not happen: a 503 or
              a closed connection with no chaos to explain it, a 500, a valid token refused, an
              answer slower than the module's own time limits, no answer at all
  WRONG       a wrong answer: another file's bytes, another user's identity or listing, a 200 for
              a revoked, forged or foreign token, a 200 for a wrong password

A request whose kept-alive connection httpd closed before answering it (it was never read) is
sent once more on a new connection, as HTTP clients do, and counted as retried; the answer to
the second attempt is the one classified.

503s and closed connections are kept aside until the run ends (a chaos event's window is known
only when it is over) and then judged against the events."""

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

OK, REFUSED, CHAOS_503, CHAOS_CONN, UNEXPECTED, WRONG = (
    "ok", "refused", "503-chaos", "conn-chaos", "unexpected", "WRONG")
OUTCOMES = (OK, REFUSED, CHAOS_503, CHAOS_CONN, UNEXPECTED, WRONG)
SLOW_RECORDED = 0.25     # answers at least this slow are kept, to find the slowest in a stop
KEPT_PROBLEMS = 2000     # unexpected answers kept for the report (all are counted)


@dataclass(frozen=True)
class Answer:
    kind: str
    t0: float            # wall clock when the request was sent
    t1: float            # ... and when its answer (or error) came
    status: object       # the HTTP status, or the name of the client's exception
    note: str = ""

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0

    def describe(self) -> str:
        return "%s at +%.1f s (%.2f s): %s %s" % (self.kind, self.t0 - Results.epoch, self.seconds,
                                                  self.status, self.note)


class Results:
    epoch = 0.0          # wall clock of the start, for readable times in the report

    def __init__(self, trace=None):
        """trace: a text file to which every answer is written as it comes (a post-mortem
        aid: SOAK_TRACE)."""
        self.trace = trace
        self.lock = threading.Lock()
        self.counts = defaultdict(Counter)   # kind -> outcome -> n
        self.pending = []                    # 503s and closed connections, judged at the end
        self.wrong = []
        self.unexpected = []
        self.unexpected_total = 0
        self.slow = []                       # answers of at least SLOW_RECORDED seconds
        self.slowest = Counter()             # kind -> seconds
        self.excused_by = Counter()          # chaos event kind -> answers it excused
        self.retries = Counter()             # kind -> requests sent again (see clients.py)

    def retried(self, kind: str) -> None:
        """A request found its kept-alive connection closed unanswered and went again."""
        with self.lock:
            self.retries[kind] += 1

    def record(self, answer: Answer, outcome: str) -> None:
        """outcome None: a 503 or a closed connection, to be judged by resolve()."""
        with self.lock:
            if self.trace is not None:
                self.trace.write("%.3f %.3f %s %s %s %s\n" % (
                    answer.t0 - self.epoch, answer.seconds, answer.kind, answer.status,
                    outcome, answer.note[:200]))
            if answer.seconds > self.slowest[answer.kind]:
                self.slowest[answer.kind] = answer.seconds
            if answer.seconds >= SLOW_RECORDED:
                self.slow.append(answer)
            if outcome is None:
                self.pending.append(answer)
            else:
                self._count(answer, outcome)

    def _count(self, answer: Answer, outcome: str) -> None:
        self.counts[answer.kind][outcome] += 1
        if outcome == WRONG:
            self.wrong.append(answer)
        elif outcome == UNEXPECTED:
            self.unexpected_total += 1
            if len(self.unexpected) < KEPT_PROBLEMS:
                self.unexpected.append(answer)

    def resolve(self, chaos_events) -> None:
        """Judge the kept 503s and closed connections: excused when the request overlapped a
        chaos event (closed connections: a graceful restart only) or its grace after it."""
        with self.lock:
            pending, self.pending = self.pending, []
            for a in pending:
                closed = not isinstance(a.status, int)
                # the latest event that began before the answer came
                event = max((e for e in chaos_events if e.excuses(a.t0, a.t1, closed)),
                            key=lambda e: e.start, default=None)
                if event is None:
                    self._count(Answer(a.kind, a.t0, a.t1, a.status,
                                       (a.note + " " if a.note else "") + "with no chaos under way"),
                                UNEXPECTED)
                else:
                    self.excused_by[event.kind] += 1
                    self._count(a, CHAOS_CONN if closed else CHAOS_503)

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values()) + len(self.pending)

    def slowest_within(self, windows):
        """The slowest Answer among those overlapping any (start, end) window (None when
        none took SLOW_RECORDED or more)."""
        return max((a for a in self.slow
                    if any(a.t0 <= end and a.t1 >= start for start, end in windows)),
                   key=lambda a: a.seconds, default=None)
