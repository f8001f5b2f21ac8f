"""Processes seen as root through /proc: parentage, executable, environment, descriptors,
status fields, the shared objects they map, and a scan of their memory for given bytes.

The tests of issue 9 read these to check what the privileged helper program is (its own
executable, a clean environment, few descriptors, only CAP_SETUID and CAP_SETGID) and what
Apache's processes do not hold (no EdDSA private key anywhere in their memory)."""

import os
import re
from pathlib import Path

READ_CHUNK = 16 * 1024 * 1024
# Regions whose contents are the kernel's, not the process's (reading [vvar] fails).
SKIPPED_REGIONS = ("[vvar]", "[vsyscall]", "[vvar_vclock]")


def _proc(pid: int, name: str) -> Path:
    return Path("/proc", str(pid), name)


def alive(pid: int) -> bool:
    """pid exists and is not a zombie."""
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def stat_fields(pid: int) -> list:
    """The fields of /proc/PID/stat after the command name: state, ppid, ..."""
    text = _proc(pid, "stat").read_text()
    return text[text.rindex(")") + 2:].split()


def comm(pid: int) -> str:
    return _proc(pid, "comm").read_text().strip()


def children(pid: int) -> list:
    """Live (non-zombie) processes whose parent is pid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = stat_fields(int(entry))
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


def exe(pid: int) -> str:
    """The executable's path (readlink of /proc/PID/exe)."""
    return os.readlink(_proc(pid, "exe"))


def environ(pid: int) -> dict:
    """The environment the process was started with."""
    raw = _proc(pid, "environ").read_bytes()
    pairs = [e.split(b"=", 1) for e in raw.split(b"\0") if e]
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in
            (p if len(p) == 2 else (p[0], b"") for p in pairs)}


def status(pid: int) -> dict:
    """/proc/PID/status as a dict of stripped strings."""
    out = {}
    for line in _proc(pid, "status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def cap_mask(pid: int, field: str) -> int:
    """A capability set (CapEff, CapPrm, CapInh, CapBnd, CapAmb) as an integer."""
    return int(status(pid)[field], 16)


def descriptors(pid: int) -> dict:
    """fd number -> readlink target ("socket:[123]", "/dev/null", a path, ...)."""
    out = {}
    fd_dir = _proc(pid, "fd")
    for name in os.listdir(fd_dir):
        try:
            out[int(name)] = os.readlink(fd_dir / name)
        except OSError:
            pass
    return out


def socket_inodes(pid: int) -> set:
    return {int(m.group(1)) for t in descriptors(pid).values()
            for m in [re.match(r"socket:\[(\d+)\]$", t)] if m}


def inet_socket_inodes(pid: int) -> dict:
    """Inode -> (table, state hex) of every TCP/UDP socket (v4 and v6) in pid's network
    namespace, from /proc/PID/net/*."""
    out = {}
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = _proc(pid, "net/" + table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            out[int(f[9])] = (table, f[3])
    return out


def mapped_files(pid: int) -> set:
    """Paths of the files pid maps (shared objects, the executable, ...)."""
    out = set()
    try:
        lines = _proc(pid, "maps").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            out.add(parts[5].replace(" (deleted)", ""))
    return out


def processes_mapping(path) -> list:
    """Live processes that map the file at path (a PAM module, say)."""
    path = str(path)
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and alive(int(e))
            and path in mapped_files(int(e))]


def readable_regions(pid: int) -> list:
    """(start, end, description) of every readable mapping of pid."""
    out = []
    for line in _proc(pid, "maps").read_text().splitlines():
        parts = line.split(None, 5)
        span, perms = parts[0], parts[1]
        what = parts[5] if len(parts) == 6 else ""
        if perms[0] != "r" or what in SKIPPED_REGIONS:
            continue
        start, end = (int(x, 16) for x in span.split("-"))
        out.append((start, end, what))
    return out


def memory_contains(pid: int, needles) -> dict:
    """Scan every readable region of pid's memory (as root) for each needle (bytes); return
    needle -> list of (address, region description) where it was found. Regions that cannot
    be read (a mapping past the end of its file, a guard page) are skipped; the number of
    bytes read is returned under the key None, so a test can show the scan covered memory."""
    needles = [bytes(n) for n in needles]
    overlap = max(len(n) for n in needles) - 1
    found = {n: set() for n in needles}
    total = 0
    fd = os.open(_proc(pid, "mem"), os.O_RDONLY)
    try:
        for start, end, what in readable_regions(pid):
            tail = b""
            pos = start
            while pos < end:
                try:
                    chunk = os.pread(fd, min(READ_CHUNK, end - pos), pos)
                except OSError:
                    break
                if not chunk:
                    break
                total += len(chunk)
                data = tail + chunk
                base = pos - len(tail)
                for n in needles:
                    i = data.find(n)
                    while i >= 0:
                        found[n].add((base + i, what))
                        i = data.find(n, i + 1)
                tail = data[-overlap:] if overlap else b""
                pos += len(chunk)
    finally:
        os.close(fd)
    out = {n: sorted(hits) for n, hits in found.items()}
    out[None] = total
    return out
