"""TokenAuthHome (SPEC §6): a token serves its own user's files from a 0700 home, opened by
the helper with that user's credentials and confined below ~user/subdir; never another
user's, by any path."""

import hashlib
import json
import os
import secrets
import stat
import threading
import time

import pytest

from taharness import helperproc
from taharness.http import Client, raw_request

HOME_SITE = """
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
<Location /h0>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    TokenAuthHomeCache 0
</Location>
<Location /whole>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
<Location /lax>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
    TokenAuthHidden allow
    TokenAuthOwnerOnly Off
</Location>
"""
MIB = 1024 * 1024
# httpd itself refuses ".." above the root before any module sees the request
ERROR_LOG_ALLOW = [r"AH10244: invalid URI path"]


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[HOME_SITE])


@pytest.fixture(scope="module")
def tok(mint):
    cache = {}

    def get(user):
        if user not in cache:
            cache[user] = mint(user, ttl=3600)
        return cache[user]
    return get


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


def get(c, path, user_token, **kw):
    headers = dict(kw.pop("headers", {}) or {})
    headers["Authorization"] = "Bearer " + user_token
    return c.get(path, headers=headers, **kw)


def put_file(user, rel: str, data, mode=0o644):
    """A file in user's home, owned by the user."""
    p = user.host_home / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    os.chown(p.parent, user.uid, user.gid)
    if isinstance(data, str):
        data = data.encode()
    p.write_bytes(data)
    os.chmod(p, mode)
    os.chown(p, user.uid, user.gid)
    return p


def planted(user, rel: str):
    """A path in user's public dir for a test to plant something at (removed first)."""
    p = user.host_home / "public" / rel
    if p.is_symlink() or p.exists():
        p.unlink()
    return p


def secret_of(user) -> bytes:
    return ("bob's secret %s\n" % user.name).encode()


@pytest.fixture(scope="module")
def bob_secret(bob):
    put_file(bob, "public/secret.txt", secret_of(bob), mode=0o600)
    put_file(bob, "private.txt", secret_of(bob), mode=0o600)
    return secret_of(bob)


def never_bobs(r, bob_secret):
    assert bob_secret not in r.content
    assert r.status_code in (301, 400, 403, 404), (r.status_code, r.content[:100])


# --- the user's own files --------------------------------------------------------------------

def test_own_text_file_with_type_etag_and_security_headers(c, tok, alice):
    put_file(alice, "public/note.txt", "alice's note\n")
    r = get(c, "/h/note.txt", tok("alice"))
    assert r.status_code == 200, r.text
    assert r.text == "alice's note\n"
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["ETag"] and r.headers["Last-Modified"]
    assert r.headers["Content-Security-Policy"] == "sandbox"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in r.headers["Cache-Control"]


def test_each_user_gets_their_own_file_at_the_same_path(c, tok, alice, bob):
    put_file(alice, "public/same.txt", "alice's\n")
    put_file(bob, "public/same.txt", "bob's\n")
    assert get(c, "/h/same.txt", tok("alice")).text == "alice's\n"
    assert get(c, "/h/same.txt", tok("bob")).text == "bob's\n"


def test_binary_and_1_mib_files_are_exact(c, tok, alice):
    blob = secrets.token_bytes(MIB)
    put_file(alice, "public/big.bin", blob)
    put_file(alice, "public/pic.png", b"\x89PNG\r\n\x1a\n" + blob[:1000])
    r = get(c, "/h/big.bin", tok("alice"))
    assert r.status_code == 200 and hashlib.sha256(r.content).digest() == hashlib.sha256(
        blob).digest()
    assert r.headers["Content-Length"] == str(MIB)
    r = get(c, "/h/pic.png", tok("alice"))
    assert r.headers["Content-Type"] == "image/png"


def test_conditional_get_is_304(c, tok, alice):
    put_file(alice, "public/cond.txt", "conditional\n")
    r = get(c, "/h/cond.txt", tok("alice"))
    r2 = get(c, "/h/cond.txt", tok("alice"), headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304 and r2.content == b""
    r3 = get(c, "/h/cond.txt", tok("alice"),
             headers={"If-Modified-Since": r.headers["Last-Modified"]})
    assert r3.status_code == 304


def test_range_is_206(c, tok, alice):
    put_file(alice, "public/range.txt", "0123456789")
    r = get(c, "/h/range.txt", tok("alice"), headers={"Range": "bytes=2-5"})
    assert r.status_code == 206
    assert r.content == b"2345"
    assert r.headers["Content-Range"] == "bytes 2-5/10"


def test_head_has_headers_and_no_body(c, tok, alice):
    put_file(alice, "public/head.txt", "head me\n")
    r = c.head("/h/head.txt", headers={"Authorization": "Bearer " + tok("alice")})
    assert r.status_code == 200
    assert r.headers["Content-Length"] == "8"
    assert r.content == b""


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
def test_other_methods_are_405(c, tok, method):
    r = c.request(method, "/h/cat.txt", headers={"Authorization": "Bearer " + tok("alice")},
                  data=b"x")
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(",")) - {"TRACE", "OPTIONS"} == {"GET", "HEAD"}


def test_missing_file_is_404(c, tok):
    assert get(c, "/h/no-such-file.txt", tok("alice")).status_code == 404


def test_without_a_token_is_401(c):
    assert c.get("/h/cat.txt").status_code == 401


def test_the_whole_home_with_dot(c, tok, alice):
    r = get(c, "/whole/hello.txt", tok("alice"))
    assert r.status_code == 200 and r.text == "hello from alice\n"


# --- directories ----------------------------------------------------------------------------

def test_directory_without_slash_is_301(c, tok):
    r = get(c, "/h", tok("alice"))
    assert r.status_code == 301
    assert r.headers["Location"].endswith("/h/")
    put_file_dir = get(c, "/whole/public", tok("alice"))
    assert put_file_dir.status_code == 301
    assert put_file_dir.headers["Location"].endswith("/whole/public/")


def test_directory_301_keeps_the_query_and_its_token_for_the_client(srv, c, mint, alice):
    """An app that loads a folder with a url token follows the 301 with its access intact;
    the access log holds the request with the token scrubbed."""
    put_file(alice, "public/albums/one.txt", "one\n")
    url_tok = mint("alice", kind="url", scope="/h/")
    r = c.get("/h/albums?sort=name&token=%s" % url_tok)
    assert r.status_code == 301
    assert r.headers["Location"].endswith("/h/albums/?sort=name&token=" + url_tok)
    r = c.get(r.headers["Location"], headers={"Accept": "application/json"})
    assert r.status_code == 200 and "one.txt" in r.text
    assert url_tok not in srv.paths.access_log.read_text()


def test_html_listing_escapes_names_and_hides_dot_files(c, tok, alice):
    put_file(alice, "public/list/<b>&x.txt", "x")
    put_file(alice, "public/list/.hidden", "x")
    put_file(alice, "public/list/sub/inner.txt", "x")
    r = get(c, "/h/list/", tok("alice"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "&lt;b&gt;&amp;x.txt" in r.text and "<b>" not in r.text
    assert ".hidden" not in r.text
    assert "sub/" in r.text


def test_json_listing(c, tok, alice):
    put_file(alice, "public/jl/a.txt", "abc")
    put_file(alice, "public/jl/d/x.txt", "x")
    r = get(c, "/h/jl/", tok("alice"), headers={"Accept": "application/json"})
    assert r.status_code == 200
    entries = {e["name"]: e for e in r.json()}
    assert entries["a.txt"]["type"] == "file" and entries["a.txt"]["size"] == 3
    assert entries["d"]["type"] == "dir"
    assert isinstance(entries["a.txt"]["mtime"], int)


# --- never bob's ----------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/h/../../bob/public/secret.txt",
    "/h/%2e%2e/%2e%2e/bob/public/secret.txt",
    "/h/..%2f..%2fbob/public/secret.txt",
    "/h/%2e%2e%2f%2e%2e%2fbob%2fpublic%2fsecret.txt",
    "/whole/../bob/private.txt",
    "/whole/%2e%2e/bob/private.txt",
    "/h//home/bob/public/secret.txt",
])
def test_dot_dot_and_encoded_slashes_never_reach_bob(srv, tok, bob_secret, target):
    r = raw_request(srv.port, "GET", target, [("Authorization", "Bearer " + tok("alice"))])
    assert bob_secret not in r.body
    assert r.status in (301, 400, 403, 404), (r.status, r.body[:100])


@pytest.mark.parametrize("link", [
    "/home/bob/public/secret.txt",          # absolute
    "../../bob/public/secret.txt",          # relative, out of the home
    "/home/bob",                            # bob's home
    "/proc/self/root/home/bob/private.txt",  # a magic link
])
def test_symlinks_out_of_the_subdir_are_refused(c, tok, alice, bob_secret, link):
    p = planted(alice, "link")
    os.symlink(link, p)
    os.lchown(p, alice.uid, alice.gid)
    for path in ("/h/link", "/h/link/public/secret.txt", "/h/link/private.txt"):
        never_bobs(get(c, path, tok("alice")), bob_secret)


def test_subdir_that_is_a_symlink_to_bob_is_refused(c, tok, alice, bob, bob_secret):
    moved = alice.host_home / "public.real"
    (alice.host_home / "public").rename(moved)
    try:
        os.symlink("/home/bob/public", alice.host_home / "public")
        never_bobs(get(c, "/h/secret.txt", tok("alice")), bob_secret)
    finally:
        (alice.host_home / "public").unlink()
        moved.rename(alice.host_home / "public")


def test_hard_link_to_bobs_file_is_refused(c, tok, alice, bob, bob_secret):
    p = planted(alice, "hard.txt")
    os.link(bob.host_home / "public" / "secret.txt", p)
    never_bobs(get(c, "/h/hard.txt", tok("alice")), bob_secret)


def test_fifo_is_refused_without_hanging(c, tok, alice):
    p = planted(alice, "fifo")
    os.mkfifo(p)
    os.chown(p, alice.uid, alice.gid)
    t0 = time.monotonic()
    r = get(c, "/h/fifo", tok("alice"), timeout=5)
    assert r.status_code in (403, 404)
    assert time.monotonic() - t0 < 3


def test_device_node_is_refused(c, tok, alice):
    p = planted(alice, "null")
    os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.chown(p, alice.uid, alice.gid)
    assert get(c, "/h/null", tok("alice")).status_code in (403, 404)


def test_dot_files_are_refused_unless_allowed(c, tok, alice):
    assert get(c, "/whole/.secret", tok("alice")).status_code in (403, 404)
    put_file(alice, ".dotdir/x.txt", "in a dot dir\n")
    assert get(c, "/whole/.dotdir/x.txt", tok("alice")).status_code in (403, 404)
    r = get(c, "/lax/.secret", tok("alice"))
    assert r.status_code == 200 and r.text == "dot-file of alice\n"


def test_a_file_the_user_does_not_own_is_refused_with_owner_only(c, tok, alice):
    p = put_file(alice, "public/roots.txt", "root's file in alice's dir\n")
    os.chown(p, 0, 0)
    assert get(c, "/h/roots.txt", tok("alice")).status_code == 403
    r = get(c, "/lax/public/roots.txt", tok("alice"))
    assert r.status_code == 200, "TokenAuthOwnerOnly Off serves a readable file"


def test_unreadable_file_is_refused_even_without_owner_only(c, tok, alice):
    """The helper opens with alice's credentials: root's 0600 file stays closed to her."""
    p = put_file(alice, "public/root600.txt", "root only\n", mode=0o600)
    os.chown(p, 0, 0)
    assert get(c, "/lax/public/root600.txt", tok("alice")).status_code == 403


def test_very_long_and_non_utf8_names(srv, tok, alice):
    name = b"caf\xe9-\xff.txt"
    p = alice.host_home / "public" / os.fsdecode(name)
    p.write_bytes(b"latin-1 name\n")
    os.chown(p, alice.uid, alice.gid)
    r = raw_request(srv.port, "GET", "/h/caf%E9-%FF.txt",
                    [("Authorization", "Bearer " + tok("alice"))])
    assert r.status == 200 and r.body == b"latin-1 name\n"
    r = raw_request(srv.port, "GET", "/h/" + "a" * 300,
                    [("Authorization", "Bearer " + tok("alice"))])
    assert r.status in (403, 404)


def test_share_token_reads_the_owners_file(c, mint, alice):
    put_file(alice, "public/shared.txt", "shared by alice\n")
    share = mint("alice", kind="share", scope="/h/shared.txt")
    r = c.get("/h/shared.txt?token=" + share)
    assert r.status_code == 200 and r.text == "shared by alice\n"
    assert c.get("/h/cat.txt?token=" + share).status_code in (401, 403)


# --- races and leaks ------------------------------------------------------------------------

def test_swapping_a_directory_for_a_symlink_never_serves_bob(srv, tok, alice, bob):
    """Another process keeps replacing alice's public/swap (a directory with a file) by a
    symlink to bob's public directory; requests for public/swap/secret.txt run meanwhile."""
    put_file(bob, "public/secret.txt", secret_of(bob), mode=0o644)
    swap = alice.host_home / "public" / "swap"
    real = alice.host_home / "public" / "swap.real"
    put_file(alice, "public/swap.real/secret.txt", "alice's own\n")
    assert real.is_dir()
    stop = threading.Event()

    def swapper():
        while not stop.is_set():
            for make in (lambda: os.symlink("/home/bob/public", swap),
                         lambda: os.symlink("swap.real", swap)):
                try:
                    make()
                except FileExistsError:
                    pass
                try:
                    swap.unlink()
                except FileNotFoundError:
                    pass
    t = threading.Thread(target=swapper)
    t.start()
    seen = {}
    try:
        with Client(srv.base_url) as c:
            for _ in range(600):
                # no descriptor cache: every request meets the race in the helper
                r = get(c, "/h0/swap/secret.txt", tok("alice"))
                outcome = "own" if r.content == b"alice's own\n" else r.status_code
                seen[outcome] = seen.get(outcome, 0) + 1
                assert secret_of(bob) not in r.content
    finally:
        stop.set()
        t.join()
    # the race was real: some requests met the link to alice's own directory, some met
    # the link to bob's (refused) or no link at all
    assert seen.get("own", 0) > 0 and sum(v for k, v in seen.items() if k != "own") > 0, seen


def fd_count(pid: int) -> int:
    """Descriptors of pid that are not sockets. Sockets are left out: each worker thread keeps
    one connection to the helper once it has served a home file, so their number follows how
    many threads the run happened to use (bounded), not how many requests it made."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if not os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                n += 1
        except FileNotFoundError:
            pass
    return n


def test_no_descriptor_leaks_after_thousands_of_requests(srv, tok, alice):
    put_file(alice, "public/leak.txt", "leak check\n")
    with Client(srv.base_url) as c:
        for _ in range(50):
            get(c, "/h/leak.txt", tok("alice"))
        before = {pid: fd_count(pid)
                  for pid in srv.child_pids() + [p.pid for p in helperproc.helpers_of(srv)]}
        for i in range(2000):
            path = ("/h/leak.txt", "/h/missing.txt", "/h/", "/h/fifo")[i % 4]
            get(c, path, tok("alice"))
    time.sleep(0.5)
    after = {pid: fd_count(pid) for pid in before if os.path.exists("/proc/%d" % pid)}
    grown = {pid: (before[pid], n) for pid, n in after.items() if n > before[pid] + 2}
    assert not grown, grown


# --- who may ask the helper: tests/integration/test_helper_attacks.py ---------------------

def test_a_home_that_is_not_the_users_own_is_refused(apache_factory, harness, mint):
    """A system account's home ("/", /usr/sbin) or a shared root-owned one is not served."""
    u = harness.users.add_user("roothome", "pw-" + secrets.token_hex(4))
    try:
        put_file(u, "public/x.txt", "x\n")
        os.chown(u.host_home, 0, 0)
        os.chmod(u.host_home, 0o755)
        s = apache_factory("roothome", extra=[HOME_SITE])
        with Client(s.base_url) as c:
            r = get(c, "/h/x.txt", mint("roothome"))
            assert r.status_code == 403 and r.content != b"x\n"
    finally:
        harness.users.delete_user("roothome")


def test_set_handler_without_tokenauth_home_is_404_not_a_crash(apache_factory, mint):
    s = apache_factory("sethandler", extra=["""<Location /sh>
    AuthType token
    AuthName "files"
    Require valid-user
    SetHandler tokenauth-home
</Location>"""])
    with Client(s.base_url) as c:
        r = get(c, "/sh/x", mint("alice"))
        assert r.status_code == 404
        assert "Segmentation fault" not in s.error_log.text(0)


def test_home_at_the_root_location_does_not_loop(apache_factory, tok):
    s = apache_factory("rootloc", extra=["""<Location />
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>"""])
    with Client(s.base_url) as c:
        r = get(c, "/", tok("alice"))
        assert r.status_code == 200, (r.status_code, r.headers.get("Location"))
        assert "cat.txt" in r.text


def test_utf8_names_are_listed_as_utf8(c, tok, alice):
    put_file(alice, "public/u8/café.txt", "x")
    r = get(c, "/h/u8/", tok("alice"))
    assert "café.txt" in r.text


def test_home_files_must_be_revalidated(c, tok, alice):
    """One URL is a different file for each user: a shared browser must not reuse one
    user's copy for the next without asking."""
    r = get(c, "/h/cat.txt", tok("alice"))
    assert r.headers["Cache-Control"] == "private, no-cache"
