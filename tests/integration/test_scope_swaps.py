"""A share link of a folder never serves anything outside that folder, also when the folder
itself is replaced by a symlink (found by an attack review).

alice publishes her home at /files (TokenAuthHome .); shared2/ is group-writable for bob's
group (2775, no sticky bit, as in test_share_scope.py). alice makes a share link of her folder
shared2/team/. bob, who may rename entries of shared2/, moves team/ away and leaves a link
team -> .. in its place. The link stays below ~alice (so RESOLVE_BENEATH below the subdir lets
it through), and the helper resolves the scope's directory with symlinks followed: the share
link of shared2/team/ would then serve alice's whole home, private.txt included, with her own
credentials. The helper reaches the scope's directory through real directories only: refused
(403/404), as a link inside the folder pointing out is."""

import os
import shutil

import pytest

from taharness import site
from taharness.http import Client

PRIVATE = b"alice's private notes (review2)\n"
TEAM = b"team file\n"

SITE = """
<Location /files>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
"""

ERROR_LOG_ALLOW = []


@pytest.fixture(scope="module")
def home(alice, bob):
    made = ["review2-private.txt", "shared2"]
    for rel in made:
        assert not os.path.lexists(alice.host_home / rel), rel
    p = alice.host_home / "review2-private.txt"
    p.write_bytes(PRIVATE)
    os.chmod(p, 0o600)
    os.chown(p, alice.uid, alice.gid)
    shared = alice.host_home / "shared2"
    shared.mkdir()
    os.chown(shared, alice.uid, bob.gid)
    os.chmod(shared, 0o2775)
    team = shared / "team"
    team.mkdir()
    os.chown(team, alice.uid, alice.gid)
    (team / "t.txt").write_bytes(TEAM)
    os.chown(team / "t.txt", alice.uid, alice.gid)
    yield alice
    for rel in made:
        p = alice.host_home / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


@pytest.fixture(scope="module")
def srv(apache_factory, harness, home):
    return apache_factory("main", snippets=[site.key_file_line(harness.key_file.path), SITE])


def get(c, path, token, accept=None):
    headers = {"Authorization": "Bearer " + token}
    if accept:
        headers["Accept"] = accept
    return c.get(path, headers=headers, allow_redirects=False)


@pytest.mark.parametrize("kind", ["share", "url"])
def test_folder_link_of_a_folder_swapped_for_a_link_serves_nothing_outside(srv, mint, home,
                                                                           bob, kind):
    token = mint("alice", kind=kind, scope="/files/shared2/team/")
    shared = home.host_home / "shared2"
    with Client(srv.base_url) as c:
        r = get(c, "/files/shared2/team/t.txt", token)
        assert (r.status_code, r.content) == (200, TEAM)   # the legitimate path works
        # bob (group write on shared2/, no sticky bit) swaps team/ for a link to ..
        os.rename(shared / "team", shared / "team.old")
        os.symlink("..", shared / "team")
        os.lchown(shared / "team", bob.uid, bob.gid)
        try:
            r = get(c, "/files/shared2/team/review2-private.txt", token)
            listing = get(c, "/files/shared2/team/", token, accept="application/json")
        finally:
            os.unlink(shared / "team")
            os.rename(shared / "team.old", shared / "team")
    assert PRIVATE not in r.content
    assert r.status_code in (403, 404), (r.status_code, r.content[:200])
    assert listing.status_code in (403, 404), (listing.status_code, listing.text[:300])
