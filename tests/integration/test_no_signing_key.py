"""No signing key in any Apache process (SPEC §2/§6, issue 9): with EdDSA keys only the helper
holds a private key; the Apache parent and every child hold public halves only, after start
and after a graceful restart that loaded a new key. With an HS256 key every child must hold
the secret (it verifies with it), so the module says so once at start-up and makes its
children non-dumpable: no other www-data process can read their memory.

The memory scan reads, as root, every readable region of /proc/PID/mem for the 32 seed bytes
of each EdDSA key and for their base64url text (what the key file holds). The same scan of
the helper finds the signing seed: the control that shows the scan sees what it looks for.

The servers set CoreDumpDirectory, as the issue's reproduction did: httpd then makes its
children dumpable again after switching to www-data, so only the module's own
PR_SET_DUMPABLE keeps them closed."""

import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from taharness import helperproc, procs, sanitizers, tokens
from taharness.http import Client
from taharness.keys import EDDSA, HS256, KeyFile, new_key
from taharness.site import MINT, RELAXED_THROTTLE

REQUEST_TIMEOUT = 10
HELPER_EXE = "tokenauth-helper"
HOME_SITE = """
<Location /mine>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
"""
# Under ASan every process maps terabytes of readable shadow memory: no scan can read it all.
# `make asan` says so with a skip; `make check` (and CI) runs these scans.
memory_scan = pytest.mark.skipif(sanitizers.enabled(),
                                 reason="ASan's shadow memory cannot be scanned")
HS256_NOTICE = re.compile(r"\[tokenauth:(notice|warn)\].*HS256")


def core_dump_dir(harness, name):
    d = harness.workdir / ("cores-" + name)
    d.mkdir(exist_ok=True)
    return "CoreDumpDirectory %s" % d


def needles(keys) -> dict:
    """bytes to look for -> what it is, for each EdDSA key: the seed and its base64url."""
    out = {}
    for k in keys:
        if k.is_eddsa:
            out[k.secret_bytes] = "seed of %s" % k.kid
            out[k.secret.encode()] = "base64url seed of %s" % k.kid
    return out


def apache_pids(server) -> dict:
    """pid -> role of the Apache parent and each of its children except the helper."""
    out = {server.pid(): "parent"}
    for pid in procs.children(server.pid()):
        if helperproc.proc_info(pid).comm == helperproc.HELPER_COMM:
            continue
        out[pid] = "child"
    return out


def helper_pid(server) -> int:
    live = [p.pid for p in helperproc.helpers_of(server) if p.state != "Z"]
    assert len(live) == 1, "expected one helper, found %s" % live
    return live[0]


def scan(pids: dict, keys) -> list:
    """(pid, role, what, address, region) of every needle found in pids' memory; nothing under
    ASan (the tests that read it are skipped there: see memory_scan)."""
    wanted = needles(keys)
    hits = []
    if sanitizers.enabled():
        return hits
    for pid, role in pids.items():
        found = procs.memory_contains(pid, list(wanted))
        assert found[None] > 1 << 20, "scanned only %d bytes of pid %d" % (found[None], pid)
        for needle, where in found.items():
            if needle is not None:
                hits += [(pid, role, wanted[needle], hex(a), r) for a, r in where]
    return hits


def use_everything(server, alice):
    """Log in (the helper signs), mint a url token, fetch a static and a home file: every
    path that touches keys has run in the children before they are scanned."""
    with Client(server.base_url, timeout=REQUEST_TIMEOUT) as c:
        r = c.login(alice.name, alice.password)
        assert r.status_code == 200, (r.status_code, r.text)
        session = r.json()["token"]
        auth = {"Authorization": "Bearer " + session}
        r = c.post("/auth/mint", json={"path": "/files/"}, headers=auth)
        assert r.status_code == 200, (r.status_code, r.text)
        url_token = r.json()["token"]
        for path, headers, body in (
                ("/files/hello.txt", auth, "hello, files\n"),
                ("/files/hello.txt?token=" + url_token, {}, "hello, files\n"),
                ("/mine/hello.txt", auth, "hello from alice\n")):
            r = c.get(path, headers=headers)
            assert (r.status_code, r.text) == (200, body), path
        return session


# --- EdDSA: public keys only ------------------------------------------------------------------

@pytest.fixture(scope="module")
def eddsa(harness, apache_factory, alice):
    """An EdDSA server after start, and after a graceful restart that made a new first key:
    the scan results of both phases and of the helper."""
    kf = KeyFile(harness.workdir / "nosign-eddsa.keys", alg=EDDSA)
    kf.keys.append(new_key(alg=EDDSA))          # an older key that only verifies
    kf.write()
    server = apache_factory("eddsa", key_file=kf.path,
                            extra=[RELAXED_THROTTLE, MINT, HOME_SITE,
                                   core_dump_dir(harness, "eddsa")])
    first_token = use_everything(server, alice)
    start_hits = scan(apache_pids(server), kf.keys)
    helper_hits = scan({helper_pid(server): "helper"}, [kf.signing_key])
    start_log_end = server.error_log.mark()
    kf.rotate(alg=EDDSA)
    server.graceful()
    time.sleep(0.5)
    second_token = use_everything(server, alice)
    return SimpleNamespace(server=server, keys=kf, first_token=first_token,
                           second_token=second_token, start_hits=start_hits,
                           helper_hits=helper_hits, start_log_end=start_log_end,
                           graceful_hits=scan(apache_pids(server), kf.keys))


def test_login_token_is_eddsa_signed_by_the_first_key(eddsa):
    hdr, claims = tokens.parts(eddsa.first_token)
    assert hdr["alg"] == "EdDSA" and hdr["kid"] == eddsa.keys.keys[1].kid
    assert claims["sub"] == "alice"


def test_login_token_after_rotation_is_signed_by_the_new_key(eddsa):
    hdr, _ = tokens.parts(eddsa.second_token)
    assert hdr == {"alg": "EdDSA", "typ": "JWT", "kid": eddsa.keys.signing_key.kid}


@memory_scan
def test_memory_scan_finds_the_signing_seed_in_the_helper(eddsa):
    """The control: the same scan sees the seed where it must be."""
    assert eddsa.helper_hits, "the scan found no seed in the helper: the scan is blind"


@memory_scan
def test_no_eddsa_private_key_in_apache_parent_after_start(eddsa):
    hits = [h for h in eddsa.start_hits if h[1] == "parent"]
    assert not hits, hits[:5]


@memory_scan
def test_no_eddsa_private_key_in_apache_children_after_start(eddsa):
    hits = [h for h in eddsa.start_hits if h[1] == "child"]
    assert not hits, hits[:5]


@memory_scan
def test_no_eddsa_private_key_in_apache_parent_after_graceful_restart(eddsa):
    hits = [h for h in eddsa.graceful_hits if h[1] == "parent"]
    assert not hits, hits[:5]


@memory_scan
def test_no_eddsa_private_key_in_apache_children_after_graceful_restart(eddsa):
    hits = [h for h in eddsa.graceful_hits if h[1] == "child"]
    assert not hits, hits[:5]


def test_no_hs256_notice_with_eddsa_keys(eddsa):
    lines = [ln for ln in eddsa.server.error_log.lines() if HS256_NOTICE.search(ln)]
    assert not lines, lines


# --- HS256: every child holds the secret, and no other process can read it -----------------

@pytest.fixture(scope="module")
def hs256(harness, apache_factory, alice):
    kf = KeyFile(harness.workdir / "nosign-hs256.keys", alg=HS256)
    server = apache_factory("hs256", key_file=kf.path,
                            extra=[RELAXED_THROTTLE, MINT, HOME_SITE,
                                   core_dump_dir(harness, "hs256")])
    token = use_everything(server, alice)
    return SimpleNamespace(server=server, keys=kf, token=token)


def listener_inodes(server) -> set:
    """Inodes of the parent's listening TCP sockets."""
    inet = procs.inet_socket_inodes(server.pid())
    return {i for i in procs.socket_inodes(server.pid())
            if i in inet and inet[i][0].startswith("tcp") and inet[i][1] == "0A"}


def worker_children(server) -> list:
    """The MPM's children, which serve requests as www-data: the children holding the
    listening socket (not mod_cgid's daemon, not the helper)."""
    listeners = listener_inodes(server)
    assert listeners, "no listening socket found for the parent"
    out = [pid for pid, role in apache_pids(server).items()
           if role == "child" and procs.socket_inodes(pid) & listeners]
    assert out, "no MPM children"
    assert all(helperproc.proc_info(pid).euid != 0 for pid in out)
    return out


def dumpable(pid: int) -> bool:
    """A process that is not dumpable has its /proc/PID entries owned by root (the kernel's
    task_dump_owner), whatever its own uid."""
    euid = helperproc.proc_info(pid).euid
    owner = Path("/proc", str(pid), "status").stat().st_uid
    return owner == euid


# As www-data: open and read /proc/PID/mem of each pid in argv[2:] (Apache's children); as a
# control, the same for a child of our own, which www-data may read.
READ_MEM_AS_WWW_DATA = r"""
import json, os, subprocess, sys
def try_read(pid):
    try:
        for line in open("/proc/%d/maps" % pid):
            span, perms = line.split()[:2]
            if perms.startswith("r") and "[v" not in line:
                start = int(span.split("-")[0], 16)
                break
        fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        try:
            return "read %d" % len(os.pread(fd, 64, start))
        finally:
            os.close(fd)
    except OSError as e:
        return type(e).__name__
own = subprocess.Popen(["sleep", "30"])
try:
    out = {"own": try_read(own.pid)}
    out.update({a: try_read(int(a)) for a in sys.argv[1:]})
finally:
    own.kill(); own.wait()
print(json.dumps(out))
"""


def read_mem_as_www_data(harness, pids) -> dict:
    r = harness.ns.python_as("www-data", READ_MEM_AS_WWW_DATA, [str(p) for p in pids])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_hs256_login_and_files_work(hs256):
    hdr, claims = tokens.parts(hs256.token)
    assert hdr["alg"] == "HS256" and claims["sub"] == "alice"


def test_hs256_key_logs_one_notice_at_start(hs256):
    lines = [ln for ln in hs256.server.error_log.lines() if HS256_NOTICE.search(ln)]
    assert len(lines) == 1, lines


def test_apache_children_are_not_dumpable_with_hs256_key(hs256):
    open_ones = [pid for pid in worker_children(hs256.server) if dumpable(pid)]
    assert not open_ones, "dumpable www-data children: %s" % open_ones


def test_apache_children_are_not_dumpable_with_eddsa_key(eddsa):
    """The children hold the hub's worker end, which reaches the helper (design)."""
    open_ones = [pid for pid in worker_children(eddsa.server) if dumpable(pid)]
    assert not open_ones, "dumpable www-data children: %s" % open_ones


def test_www_data_process_cannot_read_apache_childrens_memory(hs256, harness):
    children = worker_children(hs256.server)
    out = read_mem_as_www_data(harness, children)
    assert out["own"].startswith("read"), "control: www-data could not read its own child"
    readable = {p: out[str(p)] for p in children if out[str(p)].startswith("read")}
    assert not readable, readable


@memory_scan
def test_no_dumpable_apache_process_holds_the_hs256_secret(hs256):
    """Whatever runs as www-data and is dumpable (mod_cgid's daemon, forked from the parent
    after the key file was read) must not hold the secret: any www-data process could read
    it there."""
    secret = hs256.keys.signing_key
    workers = set(worker_children(hs256.server))
    exposed = {}
    for pid, role in apache_pids(hs256.server).items():
        if helperproc.proc_info(pid).euid != 0 and dumpable(pid):
            found = procs.memory_contains(pid, [secret.secret_bytes, secret.secret.encode()])
            if found[secret.secret_bytes] or found[secret.secret.encode()]:
                exposed[pid] = "MPM child" if pid in workers else "not an MPM child (mod_cgid)"
    assert not exposed, "dumpable www-data processes holding the HS256 secret: %s" % exposed
