"""TokenAuthHomeCache (SPEC §2, §6): a child reuses a descriptor the helper opened, for the same
user, scope and path, for at most that many seconds; a change to the file itself (chmod, rm,
replace by rename) takes effect at once, anything else within the cache time; a cached
descriptor never serves another user, another scope or a revoked token, and is never open
while code that is not ours runs in the child. Also: home URLs are not walked in the
document root (their own map_to_storage).

Each test uses one keep-alive connection, so that its requests reach one child and its cache."""

import json
import os
import time

import pytest

from taharness import php
from taharness.homefiles import PHP_SCAN, holders, location, put_file
from taharness.http import Client


SITE = (location("/c") + location("/c0", "TokenAuthHomeCache 0") +
        location("/c5", "TokenAuthHomeCache 5") + "Redirect /c/moved /c/elsewhere.txt\n")


def docroot_section(p):
    """What a walk of the document root adds to an answer."""
    return f"""
<Directory "{p.docroot}">
    Header always set X-Docroot-Walked yes
</Directory>
"""


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[SITE, docroot_section])


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


def get(c, path, token):
    return c.get(path, headers={"Authorization": "Bearer " + token})


def wait_until(t0, seconds):
    """Sleep until seconds have passed since the monotonic time t0 (and a little more)."""
    left = t0 + seconds + 0.3 - time.monotonic()
    if left > 0:
        time.sleep(left)


# --- reuse, and the time it is bounded by ------------------------------------------------------

def test_cached_descriptor_serves_until_its_time_is_up(c, tok, alice):
    """chmod 000 on the folder does not touch the file: the helper refuses it at once (the
    location without a cache shows it), the cached descriptor serves until its 5 s are up."""
    put_file(alice, "dirmode/a.txt", "cached A\n")
    folder = alice.host_home / "public" / "dirmode"
    t0 = time.monotonic()
    assert get(c, "/c5/dirmode/a.txt", tok("alice")).text == "cached A\n"
    os.chmod(folder, 0)
    try:
        assert get(c, "/c0/dirmode/a.txt", tok("alice")).status_code == 403
        r = get(c, "/c5/dirmode/a.txt", tok("alice"))
        assert r.status_code == 200 and r.text == "cached A\n"
        wait_until(t0, 5)
        assert get(c, "/c5/dirmode/a.txt", tok("alice")).status_code == 403
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize("loc", ["/c", "/c0"])
def test_symlink_swap_is_seen_within_the_cache_time(c, tok, alice, loc):
    folder = alice.host_home / "public" / ("swap" + loc.replace("/", "-"))
    put_file(alice, folder.name + "/one.txt", "one\n")
    put_file(alice, folder.name + "/two.txt", "two\n")
    link = folder / "cur"
    if link.is_symlink():
        link.unlink()
    os.symlink("one.txt", link)
    os.lchown(link, alice.uid, alice.gid)
    assert get(c, "%s/%s/cur" % (loc, folder.name), tok("alice")).text == "one\n"
    t0 = time.monotonic()
    os.symlink("two.txt", folder / "cur.new")
    os.lchown(folder / "cur.new", alice.uid, alice.gid)
    os.rename(folder / "cur.new", link)
    if loc == "/c":
        wait_until(t0, 1)        # TokenAuthHomeCache's default
    assert get(c, "%s/%s/cur" % (loc, folder.name), tok("alice")).text == "two\n"


@pytest.mark.parametrize("loc", ["/c", "/c5", "/c0"])
def test_chmod_rm_and_replace_by_rename_take_effect_at_once(c, tok, alice, loc):
    """The file's own status changed: its cached descriptor is dropped, whatever the time."""
    name = "own" + loc.replace("/", "-")
    path = "%s/%s/f.txt" % (loc, name)
    p = put_file(alice, name + "/f.txt", "first\n")
    assert get(c, path, tok("alice")).text == "first\n"
    os.chmod(p, 0)
    assert get(c, path, tok("alice")).status_code == 403
    os.chmod(p, 0o644)
    assert get(c, path, tok("alice")).text == "first\n"
    put_file(alice, name + "/f.new", "second\n")
    os.rename(p.with_name("f.new"), p)
    assert get(c, path, tok("alice")).text == "second\n"
    p.unlink()
    assert get(c, path, tok("alice")).status_code == 404


def test_a_changed_file_is_served_with_its_new_length(c, tok, alice):
    p = put_file(alice, "grow/g.txt", "short\n")
    assert get(c, "/c5/grow/g.txt", tok("alice")).text == "short\n"
    with open(p, "a") as f:
        f.write("and longer now\n")
    r = get(c, "/c5/grow/g.txt", tok("alice"))
    assert r.text == "short\nand longer now\n"
    assert r.headers["Content-Length"] == str(len(r.content))


def test_idle_child_closes_expired_descriptors(c, tok, alice, srv):
    """No request comes after: the child still closes the descriptor once its time is up, so
    a deleted file's space is freed and the file system can be unmounted."""
    put_file(alice, "idle/i.txt", "idle\n")
    assert get(c, "/c/idle/i.txt", tok("alice")).text == "idle\n"
    assert holders(srv, "/public/idle/i.txt"), "the descriptor was not kept at all"
    deadline = time.monotonic() + 3
    while holders(srv, "/public/idle/i.txt") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not holders(srv, "/public/idle/i.txt")


# --- never across users, scopes or revocations ---------------------------------------------------

def test_cached_file_never_served_to_another_user(c, tok, alice, bob):
    put_file(alice, "same/name.txt", "alice's copy\n", mode=0o600)
    assert get(c, "/c5/same/name.txt", tok("alice")).text == "alice's copy\n"
    r = get(c, "/c5/same/name.txt", tok("bob"))
    assert r.status_code == 404 and b"alice" not in r.content
    put_file(bob, "same/name.txt", "bob's copy\n", mode=0o600)
    assert get(c, "/c5/same/name.txt", tok("bob")).text == "bob's copy\n"
    assert get(c, "/c5/same/name.txt", tok("alice")).text == "alice's copy\n"


def test_share_link_never_gets_what_the_session_resolved_outside_its_scope(c, tok, mint, alice):
    """A link in a shared folder pointing out of it: the session may follow it (it stays in
    the home), the share link may not, cached or not."""
    put_file(alice, "outside.txt", "not shared\n", mode=0o600)
    put_file(alice, "shared/inside.txt", "shared\n")
    link = alice.host_home / "public" / "shared" / "link"
    if link.is_symlink():
        link.unlink()
    os.symlink("../outside.txt", link)
    os.lchown(link, alice.uid, alice.gid)
    share = mint("alice", kind="share", scope="/c5/shared/", ttl=600)
    assert get(c, "/c5/shared/link", tok("alice")).text == "not shared\n"
    r = get(c, "/c5/shared/link", share)
    assert r.status_code == 403 and b"not shared" not in r.content
    assert get(c, "/c5/shared/inside.txt", share).text == "shared\n"


def test_link_of_one_scope_never_gets_what_a_wider_link_resolved(c, mint, alice):
    """Two share links of alice's: one of a folder, one of a folder inside it. A symlink in
    the inner folder pointing to its parent is inside the wider scope only."""
    put_file(alice, "s1/sibling.txt", "wider scope only\n")
    put_file(alice, "s1/inner/own.txt", "inner\n")
    link = alice.host_home / "public" / "s1" / "inner" / "up"
    if link.is_symlink():
        link.unlink()
    os.symlink("../sibling.txt", link)
    os.lchown(link, alice.uid, alice.gid)
    wide = mint("alice", kind="share", scope="/c5/s1/", ttl=600)
    narrow = mint("alice", kind="share", scope="/c5/s1/inner/", ttl=600)
    assert get(c, "/c5/s1/inner/up", wide).text == "wider scope only\n"
    r = get(c, "/c5/s1/inner/up", narrow)
    assert r.status_code == 403 and b"wider" not in r.content
    assert get(c, "/c5/s1/inner/own.txt", narrow).text == "inner\n"


def test_revoked_token_loses_its_cached_file_at_once(c, alice):
    put_file(alice, "rev/r.txt", "before logout\n")
    with Client(c.base_url) as login:
        token = login.login("alice", alice.password).json()["token"]
    assert get(c, "/c5/rev/r.txt", token).text == "before logout\n"
    r = c.post("/logout", headers={"Authorization": "Bearer " + token,
                                   "Accept": "application/json"})
    assert r.status_code == 200
    r = get(c, "/c5/rev/r.txt", token)
    assert r.status_code == 401 and b"before logout" not in r.content


# --- no document-root walk ----------------------------------------------------------------------

def test_home_urls_are_not_walked_in_the_document_root(c, tok, alice, srv):
    (srv.paths.docroot / "c").mkdir(exist_ok=True)
    put_file(alice, "walk.txt", "walk\n")
    r = get(c, "/c/walk.txt", tok("alice"))
    assert r.status_code == 200 and r.text == "walk\n"
    assert "X-Docroot-Walked" not in r.headers
    # a file of the document root is walked as always, and gets the section's header
    (srv.paths.docroot / "walked.txt").write_text("plain\n")
    r = c.get("/walked.txt")
    assert r.status_code == 200 and r.headers.get("X-Docroot-Walked") == "yes"


def test_redirect_in_server_context_still_applies_to_home_urls(c):
    r = c.get("/c/moved")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/c/elsewhere.txt")


# --- code in the child never finds a cached descriptor -------------------------------------------

FD_SCAN = "<?php\n" + PHP_SCAN + r"""
header("Content-Type: application/json");
$own = fopen(__FILE__, "r");          /* the scan must find this one: it works */
echo json_encode(["pid" => getmypid(), "fds" => fd_scan()]);
"""


@pytest.fixture(scope="module")
def php_srv(harness):
    s = php.start_php_server(harness, "homecache-php",
                             extra=[location("/c30", "TokenAuthHomeCache 30")])
    scan = s.paths.docroot / "fdscan.php"
    scan.write_text(FD_SCAN)
    os.chmod(scan, 0o644)
    return s


def test_php_in_the_same_child_finds_no_cached_descriptor(php_srv, mint, alice):
    secret = "alice's cached secret\n"
    put_file(alice, "php/secret.txt", secret, mode=0o600)
    token = mint("alice", ttl=600)
    with Client(php_srv.base_url) as c:      # one connection: one prefork child
        r = get(c, "/c30/php/secret.txt", token)
        assert r.status_code == 200 and r.text == secret
        r = c.get("/fdscan.php")
        assert r.status_code == 200, r.text[:300]
        seen = r.json()["fds"]
        targets = [f["target"] for f in seen]
        assert any(t.endswith("/fdscan.php") for t in targets), targets   # the scan works
        assert not any("/public/php/" in t for t in targets), targets
        assert secret.encode().hex() not in json.dumps(seen)
        # and alice's file is served again afterwards, through the helper
        r = get(c, "/c30/php/secret.txt", token)
        assert r.status_code == 200 and r.text == secret
