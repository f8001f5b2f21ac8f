"""An in-process attacker: Debian's mod_php (libapache2-mod-php) under the prefork MPM, with a
PHP script that talks to the privileged helper from inside an Apache child (issue 9).

The script (ATTACKER, served as /attack.php from a www-data docroot) finds the hub among the
descriptors its child inherited - the SOCK_SEQPACKET Unix socket - and does what a worker
thread does: socketpair(AF_UNIX, SOCK_STREAM), one end sent over the hub as the byte 'C' with
SCM_RIGHTS, the helper's byte 'A' awaited on the other end, then frames of protocol version 2
on it. It builds the frames itself from a JSON plan POSTed to it, and answers with JSON: every
reply in hex, and the content of any descriptor the helper passed back.

Why FFI: PHP's own sockets extension can send and receive descriptors (socket_sendmsg with
SCM_RIGHTS), but a PHP script under Apache cannot turn a raw inherited descriptor number into
a PHP socket at all: php://fd/N is refused outside the CLI ("Direct access to file descriptors
is only available from command-line PHP"), opening /proc/self/fd/N fails for a socket, and the
hub is close-on-exec, so a program started with proc_open does not inherit it. The attacker
here therefore calls libc through PHP's FFI extension (shipped in Debian's php8.2 and enabled
by our own php.ini): native code running inside the Apache child, which is the strongest
in-process attacker PHP can be and the same as a compromised module.

The server is one of its own: prefork (mod_php is not thread-safe), mod_php with a php.ini
of ours (PHPIniDir, and PHP_INI_SCAN_DIR pointing at an empty directory, so nothing from the
machine's /etc/php is read), no mod_cgid."""

import json
import os
import re
from pathlib import Path

import pytest

from . import apacheconf, paths, sanitizers, site
from .apache import ApacheServer
from .http import Client

PHP_MODULE_GLOB = "libphp*.so"
PREFORK_MODULES = ("mpm_prefork", "authn_core", "authz_core", "authz_user", "mime", "dir",
                   "alias", "env", "headers", "setenvif", "socache_shmcb")
# the event MPM's thread directives in the base configuration (and mod_cgid's socket: no
# mod_cgid here), and prefork's own instead
_THREAD_LINES = re.compile(r"^(ThreadsPerChild|MinSpareThreads|MaxSpareThreads|"
                           r"MaxRequestWorkers|ScriptSock) .*\n", re.M)
PREFORK_LINES = "MaxRequestWorkers 4\nMinSpareServers 1\nMaxSpareServers 4\n"
ATTACK_PATH = "/attack.php"

PHP_INI = """\
; written by the test harness: the in-process attacker's PHP
engine = On
extension = ffi
ffi.enable = true
display_errors = Off
display_startup_errors = Off
html_errors = Off
log_errors = On
error_reporting = E_ALL
max_execution_time = 120
memory_limit = 256M
"""


def php_module() -> Path:
    """Debian's mod_php; an AssertionError (not a skip) when it is not installed."""
    found = sorted(paths.APACHE_MODULES.glob(PHP_MODULE_GLOB))
    assert found, ("libapache2-mod-php is not installed (%s/%s): run `make -f Makefile.apxs deps`"
                   % (paths.APACHE_MODULES, PHP_MODULE_GLOB))
    return found[-1]


class _NewSession:
    """A namespace whose popen starts the command in a session of its own: prefork's parent
    stops its children with killpg(getpgrp()), which must not reach the test run."""

    def __init__(self, ns):
        self._ns = ns

    def __getattr__(self, name):
        return getattr(self._ns, name)

    def popen(self, argv, env=None, **kw):
        kw.setdefault("start_new_session", True)
        return self._ns.popen(argv, env, **kw)


class PreforkServer(ApacheServer):
    """An ApacheServer whose base configuration uses prefork's directives, started in a
    session of its own."""

    def __init__(self, ns, *args, **kw):
        super().__init__(_NewSession(ns), *args, **kw)

    def config_text(self) -> str:
        text = apacheconf.render(self.paths, self.snippets, self.modules)
        text = _THREAD_LINES.sub("", text)
        return text.replace("ServerLimit 2\n", "ServerLimit 2\n" + PREFORK_LINES, 1)


def php_snippet(p) -> str:
    """mod_php with our php.ini for .php files of the docroot."""
    return f"""\
LoadModule php_module {php_module()}
PHPIniDir "{p.root}/php"
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
"""


def prepare(server: ApacheServer) -> None:
    """php.ini, an empty scan directory, and the attacker's script in the docroot."""
    ini_dir = server.paths.root / "php"
    (ini_dir / "conf.d").mkdir(parents=True, exist_ok=True)
    (ini_dir / "php.ini").write_text(PHP_INI)
    os.chmod(ini_dir, 0o755)
    script = server.paths.docroot / ATTACK_PATH.lstrip("/")
    script.write_text(ATTACKER)
    os.chmod(script, 0o644)
    server.env["PHP_INI_SCAN_DIR"] = str(ini_dir / "conf.d")


def start_php_server(harness, name: str, extra=()) -> PreforkServer:
    """Prefork + mod_php + the default site + extra, started (harness stops it at the end).
    Under ASan (`make asan`) the tests that need it are skipped, and say why: PHP opens its
    extensions with RTLD_DEEPBIND, which the sanitizer runtime refuses, so Apache with mod_php
    cannot start there. `make check` runs them."""
    if sanitizers.enabled():
        pytest.skip("mod_php loads extensions with RTLD_DEEPBIND, which ASan refuses")
    harness.users  # the harness is started
    srv = PreforkServer(harness.ns, harness.workdir / name,
                        [site.default_site(harness.key_file.path), php_snippet] + list(extra),
                        modules=PREFORK_MODULES, env=harness.sanitizers.env(paths.module_path()),
                        populate=site.populate)
    harness.servers.append(srv)
    prepare(srv)
    return srv.start()


# --- the plan -------------------------------------------------------------------------------

def op_auth(user, password, rhost="", server=0, path="/login", new=False) -> dict:
    return {"op": "auth", "server": server, "path": path, "user": user, "password": password,
            "rhost": rhost, "new": new}


def op_open(token, path, server=0, new=False) -> dict:
    return {"op": "open", "server": server, "token": token, "path": path, "new": new}


def op_list(token, path, server=0, new=False) -> dict:
    return {"op": "list", "server": server, "token": token, "path": path, "new": new}


def op_mint(token, scope, kind=2, ttl=0, server=0, new=False) -> dict:
    return {"op": "mint", "server": server, "token": token, "scope": scope, "kind": kind,
            "ttl": ttl, "new": new}


def op_raw(data: bytes, new=True) -> dict:
    return {"op": "raw", "hex": data.hex(), "new": new}


class AttackReport:
    """What the script saw: its pid, the hub it found, and per operation the helper's reply
    (bytes), whether the connection was closed, and the contents of passed descriptors."""

    def __init__(self, status: int, body: bytes):
        self.status = status
        self.body = body
        self.data = json.loads(body) if status == 200 else {}

    @property
    def hub(self):
        return self.data.get("hub")

    @property
    def results(self) -> list:
        out = []
        for r in self.data.get("results", []):
            out.append(dict(r, reply=bytes.fromhex(r["reply"]),
                            contents=[bytes.fromhex(c) for c in r["contents"]]))
        return out


def attack(server, ops, timeout: float = 120) -> AttackReport:
    """POST the plan to the attacker's script; its report."""
    with Client(server.base_url, timeout=timeout) as c:
        r = c.post(ATTACK_PATH, data=json.dumps({"ops": ops}),
                   headers={"Content-Type": "application/json", "Connection": "close"})
    report = AttackReport(r.status_code, r.content)
    assert r.status_code == 200, (r.status_code, r.text[:500])
    return report


# The attacker. Frames are built here in PHP from the plan; libc is reached through FFI.
ATTACKER = r"""<?php
header("Content-Type: application/json");
$plan = json_decode(file_get_contents("php://input"), true);

$libc = FFI::cdef('
typedef unsigned int socklen_t;
struct iovec { void *iov_base; size_t iov_len; };
struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
                void *msg_control; size_t msg_controllen; int msg_flags; };
struct cmsg_fd { size_t len; int level; int type; int fd; int pad; };
struct cmsg_fds { size_t len; int level; int type; int fd[16]; };
struct timeval { long tv_sec; long tv_usec; };
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int socketpair(int domain, int type, int protocol, int *sv);
long sendmsg(int fd, const struct msghdr *msg, int flags);
long recvmsg(int fd, struct msghdr *msg, int flags);
long write(int fd, const void *buf, size_t n);
long read(int fd, void *buf, size_t n);
long pread(int fd, void *buf, size_t n, long off);
int close(int fd);
int getpid(void);
', 'libc.so.6');

const L_SOL_SOCKET = 1; const L_SO_TYPE = 3; const L_SO_RCVTIMEO = 20; const L_SCM_RIGHTS = 1;
const L_AF_UNIX = 1; const L_SOCK_STREAM = 1; const L_SOCK_SEQPACKET = 5;
const L_SOCK_CLOEXEC = 0x80000;

/* The hub: of the descriptors this child inherited, the L_SOCK_SEQPACKET Unix socket. */
function find_hubs($libc) {
    $hubs = [];
    $v = $libc->new("int");
    $l = $libc->new("socklen_t");
    for ($fd = 0; $fd < 1024; $fd++) {
        $l->cdata = 4;
        if ($libc->getsockopt($fd, L_SOL_SOCKET, L_SO_TYPE, FFI::addr($v), FFI::addr($l)) == 0
            && $v->cdata == L_SOCK_SEQPACKET)
            $hubs[] = $fd;
    }
    return $hubs;
}

/* What a worker thread does: a socketpair, one end over the hub as 'C' + SCM_RIGHTS, then
 * the helper's 'A' on ours. */
function hub_connect($libc, $hub) {
    $sv = $libc->new("int[2]");
    if ($libc->socketpair(L_AF_UNIX, L_SOCK_STREAM | L_SOCK_CLOEXEC, 0, FFI::addr($sv[0])) != 0)
        return -1;
    $c = $libc->new("char[1]");
    $c[0] = "C";
    $iov = $libc->new("struct iovec");
    $iov->iov_base = FFI::addr($c[0]);
    $iov->iov_len = 1;
    $cm = $libc->new("struct cmsg_fd");
    $cm->len = 20;
    $cm->level = L_SOL_SOCKET;
    $cm->type = L_SCM_RIGHTS;
    $cm->fd = $sv[1];
    $msg = $libc->new("struct msghdr");
    $msg->msg_iov = FFI::addr($iov);
    $msg->msg_iovlen = 1;
    $msg->msg_control = FFI::addr($cm);
    $msg->msg_controllen = FFI::sizeof($cm);
    $sent = $libc->sendmsg($hub, FFI::addr($msg), 0);
    $libc->close($sv[1]);
    $tv = $libc->new("struct timeval");
    $tv->tv_sec = 10;
    $libc->setsockopt($sv[0], L_SOL_SOCKET, L_SO_RCVTIMEO, FFI::addr($tv), FFI::sizeof($tv));
    /* the helper's one byte 'A': it took the connection (a refused one is closed) */
    $a = $libc->new("char[1]");
    if ($sent != 1 || $libc->read($sv[0], FFI::addr($a[0]), 1) != 1 || $a[0] != "A") {
        $libc->close($sv[0]);
        return -1;
    }
    return $sv[0];
}

function send_all($libc, $fd, $bytes) {
    $n = strlen($bytes);
    if ($n == 0)
        return true;
    $buf = $libc->new("char[$n]");
    FFI::memcpy($buf, $bytes, $n);
    for ($off = 0; $off < $n; $off += $w) {
        $w = $libc->write($fd, FFI::addr($buf[$off]), $n - $off);
        if ($w <= 0)
            return false;
    }
    return true;
}

/* One recvmsg: the bytes ("" at EOF, null on error or timeout), passed descriptors into $fds. */
function recv_some($libc, $fd, &$fds) {
    $buf = $libc->new("char[65536]");
    $iov = $libc->new("struct iovec");
    $iov->iov_base = FFI::addr($buf[0]);
    $iov->iov_len = 65536;
    $ctl = $libc->new("struct cmsg_fds");
    $msg = $libc->new("struct msghdr");
    $msg->msg_iov = FFI::addr($iov);
    $msg->msg_iovlen = 1;
    $msg->msg_control = FFI::addr($ctl);
    $msg->msg_controllen = FFI::sizeof($ctl);
    $n = $libc->recvmsg($fd, FFI::addr($msg), 0);
    if ($n < 0)
        return null;
    if ($msg->msg_controllen >= 16 && $ctl->level == L_SOL_SOCKET && $ctl->type == L_SCM_RIGHTS) {
        for ($i = 0; $i < intdiv($ctl->len - 16, 4) && $i < 16; $i++)
            $fds[] = $ctl->fd[$i];
    }
    return FFI::string($buf, $n);
}

/* Read until one whole frame is there, EOF or timeout. */
function recv_frame($libc, $fd, &$fds, &$closed) {
    $data = "";
    while (true) {
        if (strlen($data) >= 12) {
            $len = unpack("N", substr($data, 8, 4))[1];
            if (strlen($data) >= 12 + $len)
                return $data;
        }
        $chunk = recv_some($libc, $fd, $fds);
        if ($chunk === null || $chunk === "") {
            $closed = ($chunk === "");
            return $data;
        }
        $data .= $chunk;
    }
}

function read_fd($libc, $fd) {
    $size = 1 << 20;
    $b = $libc->new("char[$size]");
    $n = $libc->pread($fd, $b, $size, 0);
    $libc->close($fd);
    return $n > 0 ? FFI::string($b, $n) : "";
}

function str16($s) { return pack("n", strlen($s)) . $s; }
function frame($type, $id, $body) {
    return "TA" . chr(2) . chr($type) . pack("NN", $id, strlen($body)) . $body;
}

function build($op, $id) {
    switch ($op["op"]) {
    case "auth":
        return frame(1, $id, pack("n", $op["server"]) . str16($op["path"]) . str16($op["user"])
                             . str16($op["password"]) . str16($op["rhost"]));
    case "open":   /* tighten 0: nothing stricter than the helper's own policy */
        return frame(3, $id, pack("nC", $op["server"], 0) . str16($op["token"])
                             . str16($op["path"]));
    case "list":   /* the whole listing: offset 0, limit 0 */
        return frame(5, $id, pack("nCNN", $op["server"], 0, 0, 0) . str16($op["token"])
                             . str16($op["path"]));
    case "mint":
        return frame(8, $id, pack("nCJ", $op["server"], $op["kind"], $op["ttl"])
                             . str16($op["token"]) . str16($op["scope"]));
    case "raw":
        return hex2bin($op["hex"]);
    }
    return "";
}

$hubs = find_hubs($libc);
$out = ["pid" => $libc->getpid(), "hubs" => $hubs, "hub" => $hubs ? $hubs[0] : null,
        "results" => []];
$conn = -1;
$id = 0;
foreach ($hubs ? $plan["ops"] : [] as $op) {
    if ($conn >= 0 && !empty($op["new"])) {
        $libc->close($conn);
        $conn = -1;
    }
    if ($conn < 0)
        $conn = hub_connect($libc, $hubs[0]);
    $r = ["reply" => "", "closed" => false, "contents" => [], "connected" => $conn >= 0];
    if ($conn >= 0) {
        $fds = [];
        $closed = false;
        if (!send_all($libc, $conn, build($op, ++$id)))
            $closed = true;
        else {
            $reply = recv_frame($libc, $conn, $fds, $closed);
            $r["reply"] = bin2hex($reply);
            if (strlen($reply) >= 4 && ord($reply[3]) == 0x7f)
                $closed = true;   /* an ERROR ends the connection: the next op gets a new one */
        }
        foreach ($fds as $fd)
            $r["contents"][] = bin2hex(read_fd($libc, $fd));
        $r["closed"] = $closed;
        if ($closed) {
            $libc->close($conn);
            $conn = -1;
        }
    }
    $out["results"][] = $r;
}
if ($conn >= 0)
    $libc->close($conn);
echo json_encode($out);
"""
