"""A fingerprint of the host's user database, PAM configuration and /home.

The harness only ever edits copies that are bind-mounted inside a private namespace; this is
the proof. Take a snapshot before anything starts and compare it at the very end."""

import hashlib
import os
from pathlib import Path

WATCHED_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")
WATCHED_TREE = "/etc/pam.d"
WATCHED_LISTING = "/home"


class HostChanged(AssertionError):
    """The real system was modified: the isolation of the harness is broken."""


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return "absent"


def _tree_digest(root: str) -> str:
    """Names, link targets and contents of every entry below root, in a stable order."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            p = os.path.join(dirpath, name)
            h.update(p.encode() + b"\0")
            if os.path.islink(p):
                h.update(b"link:" + os.readlink(p).encode())
            elif os.path.isfile(p):
                h.update(_file_digest(p).encode())
    return h.hexdigest()


def _listing(root: str) -> tuple:
    """Names with owner and mode: a new, removed or re-owned home shows up."""
    out = []
    for name in sorted(os.listdir(root)):
        st = os.lstat(os.path.join(root, name))
        out.append((name, st.st_uid, st.st_gid, st.st_mode))
    return tuple(out)


def snapshot() -> dict:
    snap = {path: _file_digest(path) for path in WATCHED_FILES}
    snap[WATCHED_TREE] = _tree_digest(WATCHED_TREE)
    snap[WATCHED_LISTING] = _listing(WATCHED_LISTING)
    return snap


def assert_unchanged(before: dict) -> None:
    after = snapshot()
    changed = sorted(k for k in before if before[k] != after.get(k))
    if changed:
        raise HostChanged("the REAL system was modified by the test harness: %s" % ", ".join(changed))


def real_ids(path: str, field: int) -> set:
    """Numeric ids in column `field` of the host's passwd/group file (never our copies)."""
    ids = set()
    for line in Path(path).read_text().splitlines():
        parts = line.split(":")
        if len(parts) > field and parts[field].isdigit():
            ids.add(int(parts[field]))
    return ids
