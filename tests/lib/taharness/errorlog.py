"""Reading an Apache error log and judging it.

After each test module the log must hold no error, crit, alert or emerg line that the module
did not declare as expected (httpd's own test suite works the same way). Some trouble is
logged below error level or not in the usual format at all - a child killed by a signal is a
`notice`, a sanitizer or glibc abort writes raw text - so those count as unexpected too."""

import re
from pathlib import Path

BAD_LEVELS = ("error", "crit", "alert", "emerg")

# "[Thu Nov 27 15:00:00.123456 2025] [tokenauth:info] [pid 1:tid 2] ..."
_LINE = re.compile(r"^\[[^\]]*\] \[(?:(?P<module>[\w.-]*):)?(?P<level>\w+)\] ")

# httpd's own noise while it stops or restarts: a worker finishing a keep-alive connection
# after the listener has closed its pollset. Tolerated only inside such a transition.
TRANSITION_NOISE = (
    re.compile(r"\(9\)Bad file descriptor: AH03093: process_socket: apr_pollset_add failure"),
    # at an ungraceful stop the event MPM's main thread closes the workers' sockets while a
    # worker may be closing its own (httpd's close_worker_sockets race): only inside a stop
    re.compile(r"\(9\)Bad file descriptor: AH00468: error closing socket"),
)

ALWAYS_BAD = (
    re.compile(r"AH00052: child pid \d+ exit signal"),   # a crash, logged at notice
    re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:"),
    re.compile(r"double free|corrupted|stack smashing|free\(\): "),
)


def level_of(line: str):
    m = _LINE.match(line)
    return m.group("level") if m else None


def is_bad(line: str) -> bool:
    """An error-level line, a crash notice, or raw text from a dying process."""
    if not line.strip():
        return False
    if any(p.search(line) for p in ALWAYS_BAD):
        return True
    level = level_of(line)
    return level is None or level in BAD_LEVELS


def unexpected(lines, allow=()) -> list:
    """The bad lines that match none of the allow patterns (regex strings or compiled)."""
    pats = [re.compile(a) if isinstance(a, str) else a for a in allow]
    return [ln for ln in lines if is_bad(ln) and not any(p.search(ln) for p in pats)]


def is_transition_noise(line: str) -> bool:
    return any(p.search(line) for p in TRANSITION_NOISE)


class LogFile:
    """A growing log file read from byte offsets, so each test can look only at what its
    own requests added."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def mark(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def text(self, since: int = 0) -> str:
        try:
            with open(self.path, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def lines(self, since: int = 0) -> list:
        return self.text(since).splitlines()

    def lines_at(self, since: int = 0) -> list:
        """(byte offset, line) pairs from since on."""
        out, pos = [], since
        for line in self.text(since).splitlines(keepends=True):
            out.append((pos, line.rstrip("\n")))
            pos += len(line.encode(errors="replace"))
        return out
