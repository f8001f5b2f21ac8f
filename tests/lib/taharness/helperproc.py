"""The privileged helper seen from outside (SPEC §6): its processes in /proc, its socket, and
raw frames of its protocol (src/wire/ta_proto.h) for tests that talk to it directly.

Every frame is a 12-byte header - 'T' 'A', version 1, type, request id (uint32 big-endian),
body length (uint32 big-endian, at most MAX_BODY) - and the body. An AUTH_REQ body is four
fields (service, user, password, rhost), each a uint16 big-endian length and the bytes.

Tests talk to the socket from inside the namespace, as a chosen user, with CLIENT: a small
Python program run by MountNamespace.python_as that reports what happened as JSON."""

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

HELPER_COMM = "ta-helper"
SOCKET_REL = "tokenauth/helper.sock"   # below DefaultRuntimeDir

MAGIC = b"TA"
VERSION = 1
HEADER_LEN = 12
MAX_BODY = 16384
AUTH_REQ, AUTH_RESP, ERROR = 1, 2, 0x7f
ERR_MALFORMED, ERR_BAD_VERSION, ERR_BAD_TYPE, ERR_TOO_LARGE, ERR_INTERNAL = 1, 2, 3, 4, 5
AUTH_OK, AUTH_BAD_CREDENTIALS, AUTH_ACCOUNT_REFUSED, AUTH_UNAVAILABLE = 0, 1, 2, 3


# --- processes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str     # R, S, Z, ...
    comm: str
    uid: int       # real uid
    euid: int


def proc_info(pid: int):
    """The process pid from /proc, or None when it does not exist (not even as a zombie)."""
    try:
        stat = Path("/proc", str(pid), "stat").read_text()
        status = Path("/proc", str(pid), "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    uids = next(ln.split()[1:3] for ln in status.splitlines() if ln.startswith("Uid:"))
    return Proc(pid, int(fields[1]), fields[0], comm, int(uids[0]), int(uids[1]))


def processes(comm: str = HELPER_COMM) -> list:
    """Every process in /proc (zombies too) whose comm is comm."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            p = proc_info(int(entry))
            if p is not None and p.comm == comm:
                out.append(p)
    return out


def helpers_of(server) -> list:
    """The ta-helper processes (any state) whose parent is server's Apache parent."""
    pid = server.pid()
    return [p for p in processes() if pid and p.ppid == pid]


def open_files(pid: int) -> list:
    """Targets of pid's open descriptors ([] for a zombie or a process gone)."""
    out = []
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for n in names:
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, n)))
        except OSError:
            pass
    return out


def helpers_holding(path) -> list:
    """ta-helper processes holding path open (the helper keeps its server's error log): finds
    a helper of a server even after it lost its parent."""
    return [p for p in processes() if str(path) in open_files(p.pid)]


def socket_path(server) -> Path:
    return Path(server.paths.run) / SOCKET_REL


# --- frames --------------------------------------------------------------------------------

def frame(msg_type: int, body: bytes = b"", req_id: int = 1, length: int = None,
          version: int = VERSION, magic: bytes = MAGIC) -> bytes:
    """One frame; length overrides the body length written in the header."""
    n = len(body) if length is None else length
    return magic + bytes([version, msg_type]) + struct.pack(">II", req_id, n) + body


def file_req(user: str, subdir: str, path: str, flags: int = 0, msg_type: int = 3,
             req_id: int = 1) -> bytes:
    """An OPEN_REQ (3) or LIST_REQ (5): flags (1 owner only, 2 allow hidden), then user,
    subdir and path, each with a uint16 length."""
    body = bytes([flags]) + b"".join(struct.pack(">H", len(f)) + f
                                     for f in (s.encode() for s in (user, subdir, path)))
    return frame(msg_type, body, req_id)


def auth_req(user: str, password: str, service: str = "tokenauth", rhost: str = "",
             req_id: int = 1) -> bytes:
    body = b"".join(struct.pack(">H", len(f)) + f
                    for f in (s.encode() for s in (service, user, password, rhost)))
    return frame(AUTH_REQ, body, req_id)


@dataclass(frozen=True)
class Frame:
    msg_type: int
    req_id: int
    body: bytes


def parse_frames(data: bytes) -> list:
    """The whole frames in data (an answer stream); raises ValueError on anything else."""
    out = []
    while data:
        if len(data) < HEADER_LEN or data[:2] != MAGIC or data[2] != VERSION:
            raise ValueError("not a frame: %r" % data[:32])
        req_id, n = struct.unpack(">II", data[4:12])
        if len(data) < HEADER_LEN + n:
            raise ValueError("truncated frame: %r" % data[:32])
        out.append(Frame(data[3], req_id, data[HEADER_LEN:HEADER_LEN + n]))
        data = data[HEADER_LEN + n:]
    return out


# --- a client inside the namespace ---------------------------------------------------------

# argv: socket path, hex of the bytes to send, seconds to wait for the answer, mode, frames.
# mode "talk": send, read until the helper closes, `frames` whole frames came (0: no such
# limit) or the time is up, and report. mode "stall": send, print "sent", then hold the
# connection open until stdin closes.
CLIENT = r"""
import json, socket, struct, sys, time
path, data, wait, mode = sys.argv[1], bytes.fromhex(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
frames = int(sys.argv[5])


def whole_frames(buf):
    n = 0
    while len(buf) >= 12 and len(buf) >= 12 + struct.unpack(">I", buf[8:12])[0]:
        buf = buf[12 + struct.unpack(">I", buf[8:12])[0]:]
        n += 1
    return n


out = {"connect": "ok", "reply": "", "closed": False, "error": None}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(path)
except OSError as e:
    out["connect"] = type(e).__name__
    print(json.dumps(out))
    sys.exit(0)
reply = b""
try:
    s.sendall(data)
    if mode == "stall":
        print("sent", flush=True)
        sys.stdin.read()
    s.settimeout(wait)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            out["closed"] = True
            break
        reply += chunk
        if frames and whole_frames(reply) >= frames:
            break
except socket.timeout:
    pass
except OSError as e:
    out["error"] = type(e).__name__
    out["closed"] = True
out["reply"] = reply.hex()
print(json.dumps(out))
"""


@dataclass
class Talk:
    connect: str          # "ok" or the exception's name (PermissionError, ...)
    reply: bytes          # everything the helper sent
    closed: bool          # the helper closed the connection (EOF or reset)
    error: str = None     # an OSError while sending or reading (ConnectionResetError, ...)

    @property
    def frames(self) -> list:
        return parse_frames(self.reply)


def talk(ns, path, data: bytes, user="www-data", wait: float = 5.0, frames: int = 0) -> Talk:
    """Connect to the helper socket at path as user (None: root), send data, and collect the
    answer until the helper closes the connection, `frames` whole frames came (when not 0)
    or wait seconds pass."""
    r = ns.python_as(user, CLIENT, [path, data.hex(), wait, "talk", frames], timeout=wait + 20)
    assert r.returncode == 0 and r.stdout.strip(), "client failed: %s %s" % (r.stdout, r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return Talk(out["connect"], bytes.fromhex(out["reply"]), out["closed"], out["error"])


def stall(ns, path, data: bytes, user="www-data", wait: float = 5.0):
    """A client that sends data and then holds the connection until its stdin is closed:
    returns the running Popen once data is sent. Close stdin, then wait() for it."""
    p = ns.popen_python_as(user, CLIENT, [path, data.hex(), wait, "stall", 0])
    line = p.stdout.readline()
    if line.strip() != "sent":
        p.kill()
        p.wait()
        raise AssertionError("stalling client did not connect: %r %s" % (line, p.stderr.read()))
    return p
