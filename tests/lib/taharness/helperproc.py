"""The privileged helper seen from outside (SPEC §6, issue 9): its processes in /proc, the hub
through which Apache's children reach it, and raw frames of its protocol, version 2
(src/wire/ta_proto.h), for tests that talk to it directly.

There is no socket in the file system. The parent makes one socketpair(AF_UNIX,
SOCK_SEQPACKET), the hub; the helper holds one end, every Apache child inherits the other. A
worker that wants a connection makes a socketpair(AF_UNIX, SOCK_STREAM), sends one end over
the hub (one byte 'C' and SCM_RIGHTS), waits for the helper's one byte 'A' on the other end
(it took the connection; it closes one it refuses) and then speaks frames on it. Tests do the same from a
borrowed copy of a child's hub (taharness.hubclient, run inside the namespace as root, which
may pidfd_getfd a child that is not dumpable; it then becomes www-data, or whoever the test
says, before it makes the connection).

Every frame is a 12-byte header - 'T' 'A', version 2, type, request id (uint32 big-endian),
body length (uint32 big-endian, at most MAX_BODY) - and the body. Strings are a uint16
big-endian length and the bytes. A request names a virtual host (0 the main server, then the
virtual hosts in order) and a URL path; a file request carries the raw token: never a user, a
directory or policy flags. The helper works out from its own copy of the configuration which
<Location> applies."""

import json
import os
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HELPER_COMM = "ta-helper"
HELPER_PROGRAM = "tokenauth-helper"

MAGIC = b"TA"
VERSION = 2
HEADER_LEN = 12
MAX_BODY = 16384

AUTH_REQ, AUTH_RESP, OPEN_REQ, OPEN_RESP, LIST_REQ, LIST_RESP = 1, 2, 3, 4, 5, 6
MINT_REQ, MINT_RESP, PAM_REQ, PAM_RESP, ERROR = 8, 9, 10, 11, 0x7f
ANSWER_OF = {AUTH_REQ: AUTH_RESP, OPEN_REQ: OPEN_RESP, LIST_REQ: LIST_RESP, MINT_REQ: MINT_RESP}

ERR_MALFORMED, ERR_BAD_VERSION, ERR_BAD_TYPE, ERR_TOO_LARGE = 1, 2, 3, 4
ERR_INTERNAL, ERR_FORBIDDEN = 5, 6

AUTH_OK, AUTH_BAD_CREDENTIALS, AUTH_ACCOUNT_REFUSED, AUTH_UNAVAILABLE, AUTH_THROTTLED = range(5)
MINT_OK, MINT_REFUSED, MINT_BAD_REQUEST, MINT_UNAVAILABLE = range(4)
KIND_URL, KIND_SHARE = 2, 3

# OPEN_RESP / LIST_RESP status (src/wire/ta_filestatus.h)
FILE_OK, FILE_IS_DIR, FILE_NOT_FOUND, FILE_FORBIDDEN, FILE_BAD_PATH, FILE_BAD_USER = range(6)
FILE_ERROR, FILE_BAD_TOKEN, FILE_TOO_LARGE = 6, 7, 8
FILE_STATUS_NAMES = ("ok", "is_dir", "not_found", "forbidden", "bad_path", "bad_user", "error",
                     "bad_token", "too_large")

CLIENT = (Path(__file__).with_name("hubclient.py")).read_text()
CLIENT_TIMEOUT = 60


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


def all_processes() -> list:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            p = proc_info(int(entry))
            if p is not None:
                out.append(p)
    return out


def processes(comm: str = HELPER_COMM) -> list:
    """Every process in /proc (zombies too) whose comm is comm."""
    return [p for p in all_processes() if p.comm == comm]


def children_of(pid: int) -> list:
    return [p for p in all_processes() if p.ppid == pid]


def descendants(pid: int) -> list:
    """Every process below pid (children, their children, ...)."""
    procs = all_processes()
    out, frontier = [], {pid}
    while frontier:
        level = [p for p in procs if p.ppid in frontier]
        out += level
        frontier = {p.pid for p in level}
    return out


def helpers_of(server) -> list:
    """The ta-helper processes (any state) whose parent is server's Apache parent."""
    pid = server.pid()
    return [p for p in processes() if pid and p.ppid == pid]


def status_field(pid: int, name: str):
    """A field of /proc/PID/status ("CapEff", "NoNewPrivs", ...), or None."""
    try:
        for line in Path("/proc", str(pid), "status").read_text().splitlines():
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def open_files(pid: int) -> dict:
    """fd number -> target of pid's open descriptors ({} for a zombie or a process gone)."""
    out = {}
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for n in names:
        try:
            out[int(n)] = os.readlink("/proc/%d/fd/%s" % (pid, n))
        except OSError:
            pass
    return out


def holding(path) -> list:
    """Every process (any comm) holding path open."""
    return [p for p in all_processes() if str(path) in open_files(p.pid).values()]


def helpers_holding(path) -> list:
    """ta-helper processes holding path open (the helper keeps its server's error log): finds
    a helper of a server even after it lost its parent."""
    return [p for p in holding(path) if p.comm == HELPER_COMM]


# --- Unix sockets, from /proc/net/unix ------------------------------------------------------

SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET = 1, 2, 5
SO_ACCEPTCON = 0x10000


@dataclass(frozen=True)
class UnixSocket:
    inode: int
    type: int
    listening: bool
    path: str      # "" for an unnamed socket, "@name" for an abstract one


def unix_sockets() -> dict:
    """inode -> UnixSocket, for every Unix socket of our network namespace."""
    out = {}
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        f = line.split(None, 7)
        if len(f) < 7:
            continue
        inode = int(f[6])
        out[inode] = UnixSocket(inode, int(f[4], 16), bool(int(f[3], 16) & SO_ACCEPTCON),
                                f[7].strip() if len(f) > 7 else "")
    return out


def socket_fds(pid: int) -> dict:
    """fd number -> inode of pid's socket descriptors."""
    return {n: int(t[8:-1]) for n, t in open_files(pid).items() if t.startswith("socket:[")}


def unix_sockets_of(pid: int, table=None) -> dict:
    """fd number -> UnixSocket of pid's Unix sockets."""
    table = unix_sockets() if table is None else table
    return {n: table[i] for n, i in socket_fds(pid).items() if i in table}


def hub_fds(pid: int) -> list:
    """pid's SOCK_SEQPACKET Unix sockets: the hub's ends it holds."""
    return sorted(n for n, s in unix_sockets_of(pid).items() if s.type == SOCK_SEQPACKET)


def is_cgid_socket(server, path) -> bool:
    """path is mod_cgid's socket: its ScriptSock, to which httpd appends the parent's pid."""
    return os.path.basename(str(path)).startswith("cgid.sock") and \
        os.path.dirname(str(path)) == str(server.paths.run)


def cgid_daemons(server) -> list:
    """Children of server's parent that hold a listening socket bound to its ScriptSock."""
    table = unix_sockets()
    return [p.pid for p in children_of(server.pid())
            if any(is_cgid_socket(server, s.path) for s in unix_sockets_of(p.pid, table).values())]


def worker_children(server) -> list:
    """Apache's MPM children: the parent's apache2 children except mod_cgid's daemon."""
    cgid = set(cgid_daemons(server))
    return [p.pid for p in children_of(server.pid())
            if p.comm == "apache2" and p.pid not in cgid and p.state != "Z"]


def worker_with_hub(server) -> int:
    """One MPM child that holds a hub end (the one a worker uses)."""
    for pid in worker_children(server):
        if hub_fds(pid):
            return pid
    raise AssertionError("no Apache child of %s holds a SOCK_SEQPACKET hub: %s" % (
        server.pid(), {p: unix_sockets_of(p) for p in worker_children(server)}))


# --- frames --------------------------------------------------------------------------------

def frame(msg_type: int, body: bytes = b"", req_id: int = 1, length: int = None,
          version: int = VERSION, magic: bytes = MAGIC) -> bytes:
    """One frame; length overrides the body length written in the header."""
    n = len(body) if length is None else length
    return magic + bytes([version, msg_type]) + struct.pack(">II", req_id, n) + body


def s16(value) -> bytes:
    """A string field: uint16 length and the bytes."""
    if isinstance(value, str):
        value = value.encode()
    return struct.pack(">H", len(value)) + value


def auth_req(user: str, password: str, rhost: str = "", server: int = 0, path: str = "/login",
             req_id: int = 1) -> bytes:
    """AUTH_REQ: virtual host, the login URL path, user, password, client address."""
    body = struct.pack(">H", server) + s16(path) + s16(user) + s16(password) + s16(rhost)
    return frame(AUTH_REQ, body, req_id)


TIGHTEN_OWNER_ONLY, TIGHTEN_HIDE = 0x01, 0x02   # the worker's own, stricter policy


def file_req(token, path, server: int = 0, msg_type: int = OPEN_REQ, req_id: int = 1,
             tighten: int = 0, window=None) -> bytes:
    """OPEN_REQ (3) or LIST_REQ (5): virtual host, tighten (bits that can only make the
    helper's policy stricter; 0, the loosest, is what an attacker sends), for a LIST_REQ the
    window (offset u32, limit u32: 0 for all), token, the whole URL path."""
    body = struct.pack(">HB", server, tighten)
    if window is not None:
        body += struct.pack(">II", *window)
    return frame(msg_type, body + s16(token) + s16(path), req_id)


def open_req(token, path, server: int = 0, req_id: int = 1, tighten: int = 0) -> bytes:
    return file_req(token, path, server, OPEN_REQ, req_id, tighten)


def list_req(token, path, server: int = 0, req_id: int = 1, tighten: int = 0,
             offset: int = 0, limit: int = 0) -> bytes:
    return file_req(token, path, server, LIST_REQ, req_id, tighten, (offset, limit))


def mint_req(token, scope, kind: int = KIND_URL, ttl: int = 0, server: int = 0,
             req_id: int = 1) -> bytes:
    """MINT_REQ: virtual host, kind (2 url, 3 share), ttl (0: the default), session token,
    scope."""
    body = struct.pack(">HBQ", server, kind, ttl) + s16(token) + s16(scope)
    return frame(MINT_REQ, body, req_id)


def v1_auth_req(user: str, password: str, service: str = "tokenauth", req_id: int = 1) -> bytes:
    """A version-1 AUTH_REQ (service, user, password, rhost): what the old helper took."""
    body = b"".join(s16(f) for f in (service, user, password, ""))
    return frame(AUTH_REQ, body, req_id, version=1)


def v1_file_req(user: str, subdir: str, path: str, flags: int = 2, req_id: int = 1) -> bytes:
    """A version-1 OPEN_REQ: flags, user, subdir, path - the request that believed the worker."""
    body = bytes([flags]) + b"".join(s16(f) for f in (user, subdir, path))
    return frame(OPEN_REQ, body, req_id, version=1)


@dataclass(frozen=True)
class Frame:
    msg_type: int
    req_id: int
    body: bytes
    version: int = VERSION


def parse_frames(data: bytes) -> list:
    """The whole frames in data (an answer stream); raises ValueError on anything else."""
    out = []
    while data:
        if len(data) < HEADER_LEN or data[:2] != MAGIC:
            raise ValueError("not a frame: %r" % data[:32])
        req_id, n = struct.unpack(">II", data[4:12])
        if len(data) < HEADER_LEN + n:
            raise ValueError("truncated frame: %r" % data[:32])
        out.append(Frame(data[3], req_id, data[HEADER_LEN:HEADER_LEN + n], data[2]))
        data = data[HEADER_LEN + n:]
    return out


def _str16(body: bytes, pos: int):
    n = struct.unpack(">H", body[pos:pos + 2])[0]
    return body[pos + 2:pos + 2 + n], pos + 2 + n


@dataclass(frozen=True)
class AuthResp:
    result: int
    uid: int
    expires_at: int
    retry_after: int
    token: str


def auth_resp(f: Frame) -> AuthResp:
    assert f.msg_type == AUTH_RESP, f
    result, uid, expires, retry = struct.unpack(">BIQI", f.body[:17])
    token, end = _str16(f.body, 17)
    assert end == len(f.body), f
    return AuthResp(result, uid, expires, retry, token.decode())


@dataclass(frozen=True)
class OpenResp:
    status: int
    mode: int
    size: int

    @property
    def status_name(self) -> str:
        return FILE_STATUS_NAMES[self.status] if self.status < len(FILE_STATUS_NAMES) else \
            str(self.status)


def open_resp(f: Frame) -> OpenResp:
    assert f.msg_type == OPEN_RESP and len(f.body) == 41, f
    status, mode, size = struct.unpack(">BIQ", f.body[:13])
    return OpenResp(status, mode, size)


@dataclass(frozen=True)
class ListResp:
    status: int
    more: int        # 1: another frame of this answer follows
    total: int       # entries of the whole listing
    names: tuple     # this frame's


def list_resp(f: Frame) -> ListResp:
    assert f.msg_type == LIST_RESP, f
    status, more, total, count = struct.unpack(">BBII", f.body[:10])
    pos, names = 10, []
    for _ in range(count):
        pos += 17                    # type, size, mtime
        name, pos = _str16(f.body, pos)
        names.append(name.decode(errors="surrogateescape"))
    return ListResp(status, more, total, tuple(names))


@dataclass(frozen=True)
class MintResp:
    status: int
    expires_at: int
    token: str


def mint_resp(f: Frame) -> MintResp:
    assert f.msg_type == MINT_RESP, f
    status, expires = struct.unpack(">BQ", f.body[:9])
    token, _ = _str16(f.body, 9)
    return MintResp(status, expires, token.decode())


# --- a client inside the namespace ---------------------------------------------------------

@dataclass
class Talk:
    reply: bytes          # everything the helper sent on the connection
    closed: bool          # the helper closed the connection (EOF or reset)
    error: str = None     # an OSError while sending or reading (ECONNRESET, ...)
    fds: list = field(default_factory=list)   # descriptors passed: {"mode", "content" bytes}
    seconds: float = 0.0
    accept: str = None    # the helper's word on the connection: "accepted", "closed", ...

    @property
    def frames(self) -> list:
        return parse_frames(self.reply)

    @property
    def contents(self) -> list:
        return [f["content"] for f in self.fds]

    @classmethod
    def from_json(cls, d: dict) -> "Talk":
        fds = [dict(f, content=bytes.fromhex(f.get("content") or "")) for f in d["fds"]]
        return cls(bytes.fromhex(d["reply"]), d["closed"], d["error"], fds,
                   d.get("seconds", 0.0), d.get("accept"))


def creds_of(ns, user):
    """[uid, gid] of user in the namespace, or None for root."""
    return None if user is None else list(ns.ids_of(user))


def ns_pid(pid: int) -> int:
    """pid as its own (innermost) pid namespace numbers it."""
    return int(status_field(pid, "NSpid").split()[-1])


def run_client(ns, cfg: dict, timeout: float = CLIENT_TIMEOUT, enter: int = None) -> dict:
    """Run hubclient as root in the namespace with cfg; its JSON report. enter: the host's
    pid of a process whose pid and mount namespaces the client joins instead (Apache as PID
    1: the helper learns its peers' pids, which must exist in its namespace); cfg's pid is
    then as that namespace numbers it."""
    if enter is not None:
        r = subprocess.run(["nsenter", "--target", str(enter), "--pid", "--mount", "--",
                            "/usr/bin/python3", "-I", "-c", CLIENT, json.dumps(cfg)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, cwd="/")
    else:
        r = ns.python_as(None, CLIENT, [json.dumps(cfg)], timeout=timeout)
    assert r.returncode == 0 and r.stdout.strip(), "hub client failed: %s %s" % (
        r.stdout, r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def conversations(ns, server, convs, as_user="www-data", pid=None, hub_fd=None,
                  enter=None) -> list:
    """convs: (data, frames) or (data, frames, new_connection) tuples, sent in order on a
    connection made through the hub of Apache child pid (default: one of server's workers) as
    as_user (None: root). A list of Talk, one per conversation."""
    cfg = {"mode": "talk", "pid": pid or worker_with_hub(server), "hub_fd": hub_fd,
           "creds": creds_of(ns, as_user), "conversations": []}
    for c in convs:
        data, frames = c[0], c[1]
        new = c[2] if len(c) > 2 else False
        wait = c[3] if len(c) > 3 else 5.0
        cfg["conversations"].append({"data": data.hex(), "frames": frames, "new": new,
                                     "wait": wait})
    if enter is not None:
        cfg["pid"] = ns_pid(cfg["pid"])
    out = run_client(ns, cfg, timeout=CLIENT_TIMEOUT + sum(c["wait"] for c in
                                                            cfg["conversations"]),
                     enter=enter)
    assert out.get("hub") is not None, "no hub in child %s: %s" % (cfg["pid"], out)
    return [Talk.from_json(r) for r in out["results"]]


def talk(ns, server, data: bytes, as_user="www-data", wait: float = 5.0, frames: int = 0,
         pid=None, enter=None) -> Talk:
    """One connection through a worker's hub: send data, collect the answer until the helper
    closes the connection, `frames` whole frames came (when not 0) or wait seconds pass."""
    (t,) = conversations(ns, server, [(data, frames, True, wait)], as_user, pid, enter=enter)
    return t


def ask(ns, server, request: bytes, as_user="www-data", wait: float = 10.0) -> Frame:
    """One request, its one answer frame."""
    t = talk(ns, server, request, as_user, wait, frames=1)
    frames = t.frames
    assert len(frames) == 1, "expected one answer frame: %s" % (t,)
    return frames[0]


def hold(ns, server, count: int, data: bytes = b"", as_user="www-data", wait: float = 3.0,
         pid=None):
    """count connections through a worker's hub, kept open by a client process: returns
    (its Popen, the state of each: "answered", "closed" or "silent"). Close the Popen's stdin
    to let the connections go, then wait() for it (release())."""
    cfg = {"mode": "hold", "pid": pid or worker_with_hub(server), "creds": creds_of(ns, as_user),
           "count": count, "data": data.hex(), "wait": wait}
    p = ns.popen_python_as(None, CLIENT, [json.dumps(cfg)])
    line = p.stdout.readline()
    if not line.strip():
        release(p)
        raise AssertionError("holding client failed: %s" % p.stderr.read())
    out = json.loads(line)
    return p, out["states"]


def stall(ns, server, data: bytes, as_user="www-data", wait: float = 30.0):
    """A connection on which data is sent and nothing more: returns the client's Popen once
    data is sent. stall_result(p) then tells when the helper closed it."""
    cfg = {"mode": "stall", "pid": worker_with_hub(server), "creds": creds_of(ns, as_user),
           "data": data.hex(), "wait": wait}
    p = ns.popen_python_as(None, CLIENT, [json.dumps(cfg)])
    line = p.stdout.readline()
    if json.loads(line or "{}").get("sent") is not True:
        release(p)
        raise AssertionError("stalling client did not connect: %r %s" % (line, p.stderr.read()))
    return p


def stall_result(p) -> dict:
    """The stalled client's report: "closed", "after" (seconds from its send to the close)."""
    line = p.stdout.readline()
    out = json.loads(line) if line.strip() else {"closed": False, "after": None}
    release(p)
    return out


def release(p) -> None:
    """Let a holding or stalling client go and reap it."""
    try:
        p.stdin.close()
    except OSError:
        pass
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)
    for f in (p.stdout, p.stderr):
        if f:
            f.close()


def hub_messages(ns, server, messages, probe: bytes, as_user="www-data", wait: float = 2.0):
    """Send odd messages over a borrowed hub (payload, attached descriptor kinds) and try
    probe on every stream-like socket passed: per message {"sent", "answers": [Talk|None]}."""
    cfg = {"mode": "hubmsg", "pid": worker_with_hub(server), "creds": creds_of(ns, as_user),
           "probe": probe.hex(), "wait": wait,
           "messages": [{"payload": m.get("payload", b"C").hex(), "attach": m.get("attach", [])}
                        for m in messages]}
    out = run_client(ns, cfg)
    assert out.get("hub") is not None, out
    for r in out["results"]:
        r["answers"] = [None if a is None else Talk.from_json(a) for a in r["answers"]]
    return out["results"]


def intercept(ns, user, pids, seconds: float):
    """As user, take the hub ends pidfd_getfd allows from pids and collect, for seconds, the
    connections arriving on them: returns (Popen, the ends taken). intercepted(p) then gives
    what was read on each connection (bytes)."""
    cfg = {"mode": "intercept", "pids": list(pids), "seconds": seconds}
    p = ns.popen_python_as(user, CLIENT, [json.dumps(cfg)])
    line = p.stdout.readline()
    if not line.strip():
        release(p)
        raise AssertionError("intercepting client failed: %s" % p.stderr.read())
    return p, json.loads(line)["taken"]


def intercepted(p) -> list:
    line = p.stdout.readline()
    out = json.loads(line) if line.strip() else {"connections": []}
    release(p)
    return [bytes.fromhex(c) for c in out["connections"]]


def reach(ns, user, pids=(), dirs=(), probe: bytes = b"", wait: float = 2.0) -> dict:
    """As user (a process that is no Apache child), try every way to the helper: pidfd_getfd
    and /proc/PID/fd on pids, every Unix socket below dirs (sent probe)."""
    cfg = {"mode": "reach", "pids": list(pids), "dirs": [str(d) for d in dirs],
           "probe": probe.hex(), "wait": wait}
    r = ns.python_as(user, CLIENT, [json.dumps(cfg)], timeout=CLIENT_TIMEOUT)
    assert r.returncode == 0 and r.stdout.strip(), "reach client failed: %s %s" % (
        r.stdout, r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])
