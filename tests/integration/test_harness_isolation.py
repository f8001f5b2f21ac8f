"""The harness itself: test users exist only inside the private namespace, with private
homes; Apache runs its children as www-data and listens on loopback only. Later issues (PAM
logins, home directories) rely on exactly this."""

import os
import pwd
import subprocess

import pytest

from taharness.waiting import wait_until


def ns_out(harness, argv):
    r = harness.ns.run(argv)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_test_users_resolve_inside_the_namespace(harness, alice):
    entry = ns_out(harness, ["getent", "passwd", "alice"]).split(":")
    assert (entry[0], int(entry[2]), entry[5]) == ("alice", alice.uid, "/home/alice")


def test_test_users_do_not_exist_on_the_host(alice, bob, carol):
    for name in ("alice", "bob", "carol"):
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def test_test_uids_are_unique_and_unused_on_the_host(alice, bob, carol):
    uids = {u.uid for u in (alice, bob, carol)}
    assert len(uids) == 3
    for uid in uids:
        with pytest.raises(KeyError):
            pwd.getpwuid(uid)


def test_homes_are_0700_and_owned_by_their_user(harness, alice, bob, carol):
    for u in (alice, bob, carol):
        assert ns_out(harness, ["stat", "-c", "%U %a", u.home]) == "%s 700" % u.name
        assert "hello.txt" in ns_out(harness, ["ls", "-A", u.home])


def test_shadow_copy_is_root_shadow_0640(harness):
    assert ns_out(harness, ["stat", "-c", "%U:%G %a", "/etc/shadow"]) == "root:shadow 640"


def test_user_reads_own_home_but_not_anothers(harness, alice, bob):
    own = harness.ns.run(["runuser", "-u", "alice", "--", "cat", "/home/alice/hello.txt"])
    other = harness.ns.run(["runuser", "-u", "alice", "--", "cat", "/home/bob/hello.txt"])
    assert own.returncode == 0 and own.stdout == "hello from alice\n"
    assert other.returncode != 0


def test_password_hash_matches_the_password(harness, alice):
    hashed = ns_out(harness, ["getent", "shadow", "alice"]).split(":")[1]
    salt = hashed.split("$")[2]
    again = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"], text=True,
                           input=alice.password, stdout=subprocess.PIPE, timeout=10).stdout
    assert again.strip() == hashed


def test_lock_and_unlock_edit_the_shadow_hash(harness):
    harness.users.add_user("locky")
    try:
        harness.users.lock("locky")
        assert ns_out(harness, ["getent", "shadow", "locky"]).split(":")[1].startswith("!")
        harness.users.unlock("locky")
        assert ns_out(harness, ["getent", "shadow", "locky"]).split(":")[1].startswith("$6$")
    finally:
        harness.users.delete_user("locky")
    assert harness.ns.run(["getent", "passwd", "locky"]).returncode != 0


def comm(pid: int) -> str:
    with open("/proc/%d/comm" % pid) as f:
        return f.read().strip()


def test_apache_children_run_as_www_data(server):
    """Children fork as root and drop privileges while starting: wait for that, bounded. The
    one exception is the privileged helper (named ta-helper), which stays root."""
    www = pwd.getpwnam("www-data").pw_uid

    def child_uids():
        uids = {}
        for pid in server.child_pids():
            try:
                uids[pid] = (comm(pid), os.stat("/proc/%d" % pid).st_uid)
            except FileNotFoundError:   # a child that just exited
                pass
        return uids

    def settled():
        kids = child_uids().values()
        workers = {uid for name, uid in kids if name != "ta-helper"}
        helpers = [uid for name, uid in kids if name == "ta-helper"]
        return workers == {www} and helpers == [0]

    assert os.stat("/proc/%d" % server.pid()).st_uid == 0
    assert wait_until(settled, 10), child_uids()


def test_apache_listens_on_loopback_only(server):
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % server.port], text=True,
                         stdout=subprocess.PIPE, timeout=10).stdout.split()
    local = [w for w in out if w.endswith(":%d" % server.port)]
    assert local == ["127.0.0.1:%d" % server.port]


def test_sanitizer_runtime_loaded_exactly_when_asked(server, http):
    """`make asan` must really run Apache under ASan (TA_SANITIZE=1), and a plain run must
    not: the children's memory maps hold the ASan runtime in the one case only."""
    from taharness import sanitizers
    http.get("/files/hello.txt")  # children are up
    maps = ""
    for pid in server.child_pids():
        try:
            with open("/proc/%d/maps" % pid) as f:
                maps += f.read()
        except FileNotFoundError:
            continue
    assert maps, "no Apache child found"
    assert ("libasan" in maps) == sanitizers.enabled()
