"""Share links stay inside their scope (SPEC §6: "A url or share token is resolved beneath its
scope"), and TokenAuthHidden deny holds for the file a link resolves to, not only for the
names in the URL.

alice publishes her whole home at /files (TokenAuthHome .) and keeps a folder shared/ that
her group may write to. bob, a member of that group, leaves links in it: to her 0600 .env,
to her private.txt, to the directory above, to a file in a dot-directory. A share or url
link of shared/ (or of one file in it) never serves what those links point to; ok.txt, and a
link to a file inside shared/, are served. alice's own session still gets private.txt, and
never .env, by its name or through a link.

The last part plays a compromised Apache child that talks to the helper itself (through a
worker's hub, as www-data; see taharness.helperproc): with a share token it asks for paths
outside the scope, with "..", with encoded dots; the helper answers them all with a
refusal, and the same connection gets the legitimate file."""

import os
import shutil

import pytest

from taharness import helperproc, site
from taharness.helperproc import (FILE_BAD_TOKEN, FILE_IS_DIR, FILE_OK, LIST_RESP, OPEN_RESP,
                                  list_req, list_resp, open_req, open_resp, parse_frames)
from taharness.http import Client

ENV = b"ALICE_SECRET_KEY=do-not-serve-me\n"
PRIVATE = b"alice's private notes\n"
HIDDEN = b"in alice's dot-directory\n"
INNER = b"in a dot-directory inside shared\n"
OK = b"shared with the group\n"
NEVER = (ENV, HIDDEN, INNER)   # what no link of shared/ may ever serve, to anyone

# bob's links in alice's shared/ folder: none of them may reach outside it for a share link
PLANTED = {
    "notes.txt": "../.env",
    "p.txt": "../private.txt",
    "up": "../../",
    "h": "../.scope-hidden/x",
    "dd": ".inner/x",
    "env-dir": "../",
}
# what a link of shared/ asks for through them
OUT_OF_SCOPE = ["notes.txt", "p.txt", "up", "up/", "up/alice/private.txt", "h", "dd",
                "env-dir/", "env-dir/private.txt", "env-dir/hello.txt"]

SITE = """
<Location /files>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
"""

# the helper logs each refused token at info; nothing here is an error
ERROR_LOG_ALLOW = []


def put(user, rel: str, data: bytes, mode=0o644):
    p = user.host_home / rel
    p.write_bytes(data)
    os.chmod(p, mode)
    os.chown(p, user.uid, user.gid)


def mkdir(user, rel: str, mode=0o755, gid=None):
    p = user.host_home / rel
    p.mkdir()
    os.chown(p, user.uid, user.gid if gid is None else gid)
    os.chmod(p, mode)


def plant(owner, target: str, at) -> None:
    os.symlink(target, at)
    os.lchown(at, owner.uid, owner.gid)


@pytest.fixture(scope="module")
def home(alice, bob):
    """alice's home: .env and private.txt (0600), a dot-directory, shared/ (group-writable for
    bob's group) with bob's links, and her own link -> .env at the top. Removed afterwards."""
    made = [".env", "private.txt", ".scope-hidden", "shared", "link"]
    for rel in made:
        assert not os.path.lexists(alice.host_home / rel), rel
    put(alice, ".env", ENV, 0o600)
    put(alice, "private.txt", PRIVATE, 0o600)
    mkdir(alice, ".scope-hidden", 0o700)
    put(alice, ".scope-hidden/x", HIDDEN, 0o600)
    mkdir(alice, "shared", 0o2775, gid=bob.gid)
    put(alice, "shared/ok.txt", OK)
    mkdir(alice, "shared/.inner")
    put(alice, "shared/.inner/x", INNER)
    mkdir(alice, "shared/sub")
    put(alice, "shared/sub/s.txt", b"s\n")
    shared = alice.host_home / "shared"
    for name, target in PLANTED.items():
        plant(bob, target, shared / name)
    plant(bob, "ok.txt", shared / "in")            # links that stay inside shared/
    plant(bob, "../ok.txt", shared / "sub" / "back")
    plant(alice, ".env", alice.host_home / "link")
    yield alice
    for rel in made:
        p = alice.host_home / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


@pytest.fixture(scope="module")
def srv(apache_factory, harness, home):
    """Only the home location: /files of the default site is a static one."""
    return apache_factory("main", snippets=[site.key_file_line(harness.key_file.path), SITE])


@pytest.fixture(scope="module")
def tokens(mint, home):
    return {
        "session": mint("alice", ttl=3600),
        "share of shared/": mint("alice", kind="share", scope="/files/shared/"),
        "url of shared/": mint("alice", kind="url", scope="/files/shared/"),
        "share of shared/notes.txt": mint("alice", kind="share", scope="/files/shared/notes.txt"),
        "url of shared/notes.txt": mint("alice", kind="url", scope="/files/shared/notes.txt"),
    }


FOLDER_LINKS = ("share of shared/", "url of shared/")


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


def get(c, path, token):
    return c.get(path, headers={"Authorization": "Bearer " + token}, allow_redirects=False)


def refused(r, what=""):
    assert r.status_code in (403, 404), (what, r.status_code, r.content[:200])
    for secret in NEVER + (PRIVATE,):
        assert secret not in r.content, (what, secret)


def served(r, content: bytes, what=""):
    assert r.status_code == 200, (what, r.status_code, r.content[:200])
    assert r.content == content, what


# --- share and url links of the folder --------------------------------------------------------

@pytest.mark.parametrize("kind", FOLDER_LINKS)
@pytest.mark.parametrize("rel", OUT_OF_SCOPE)
def test_folder_link_never_follows_a_link_out_of_its_scope(c, tokens, kind, rel):
    refused(get(c, "/files/shared/" + rel, tokens[kind]), (kind, rel))


@pytest.mark.parametrize("kind", FOLDER_LINKS)
def test_folder_link_serves_the_folders_own_files(c, tokens, kind):
    served(get(c, "/files/shared/ok.txt", tokens[kind]), OK)
    served(get(c, "/files/shared/sub/s.txt", tokens[kind]), b"s\n")


@pytest.mark.parametrize("kind", FOLDER_LINKS)
def test_folder_link_follows_links_that_stay_inside_it(c, tokens, kind):
    served(get(c, "/files/shared/in", tokens[kind]), OK)
    served(get(c, "/files/shared/sub/back", tokens[kind]), OK)


@pytest.mark.parametrize("kind", FOLDER_LINKS)
def test_folder_link_lists_only_its_folder(c, tokens, kind):
    r = c.get("/files/shared/", headers={"Authorization": "Bearer " + tokens[kind],
                                         "Accept": "application/json"})
    assert r.status_code == 200, r.text[:200]
    names = sorted(e["name"] for e in r.json())
    assert names == ["ok.txt", "sub"], names   # no links, no dot entries
    refused(get(c, "/files/shared/up/", tokens[kind]))
    refused(get(c, "/files/shared/env-dir/", tokens[kind]))


@pytest.mark.parametrize("kind", FOLDER_LINKS)
def test_folder_link_gets_nothing_outside_its_folder_by_name(c, tokens, kind):
    for path in ("/files/.env", "/files/private.txt", "/files/link", "/files/hello.txt"):
        r = get(c, path, tokens[kind])
        assert r.status_code == 401 and ENV not in r.content and PRIVATE not in r.content, \
            (path, r.status_code)


# --- a link of one file ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["share of shared/notes.txt", "url of shared/notes.txt"])
def test_file_link_to_a_planted_link_is_refused(c, tokens, kind):
    refused(get(c, "/files/shared/notes.txt", tokens[kind]), kind)


def test_file_link_to_a_file_or_a_link_inside_its_folder_is_served(c, mint, home):
    served(get(c, "/files/shared/ok.txt", mint("alice", kind="share",
                                               scope="/files/shared/ok.txt")), OK)
    served(get(c, "/files/shared/in", mint("alice", kind="share", scope="/files/shared/in")), OK)


def test_file_link_to_a_link_out_of_its_folder_is_refused(c, mint, home):
    for rel in ("p.txt", "h", "dd"):
        tok = mint("alice", kind="share", scope="/files/shared/" + rel)
        refused(get(c, "/files/shared/" + rel, tok), rel)


# --- alice's own session ------------------------------------------------------------------------

def test_session_still_gets_private_txt_and_never_env(c, tokens):
    served(get(c, "/files/private.txt", tokens["session"]), PRIVATE)
    refused(get(c, "/files/.env", tokens["session"]))


def test_session_follows_a_link_to_a_visible_file_of_its_own(c, tokens):
    """p.txt -> ../private.txt stays below the subdirectory: the session may read it (a
    share link of shared/ may not: see above)."""
    served(get(c, "/files/shared/p.txt", tokens["session"]), PRIVATE)


@pytest.mark.parametrize("rel", ["link", "shared/notes.txt", "shared/h", "shared/dd",
                                 "shared/up", "shared/up/"])
def test_session_never_reaches_a_dot_file_through_a_link(c, tokens, rel):
    refused(get(c, "/files/" + rel, tokens["session"]), rel)


# --- a compromised Apache child talks to the helper -----------------------------------------------

def ask_all(harness, srv, requests):
    """requests on one connection through a worker's hub, as www-data: the answer frames and
    the contents of the descriptors passed."""
    data = b"".join(requests)
    (t,) = helperproc.conversations(harness.ns, srv, [(data, len(requests), True, 10.0)])
    frames = parse_frames(t.reply)
    assert len(frames) == len(requests), t
    return frames, t.contents


ATTACK_PATHS = [
    "/files/shared/../.env",
    "/files/shared/../private.txt",
    "/files/shared/../link",
    "/files/shared/..",
    "/files/shared/../",
    "/files/shared/./../.env",
    "/files/shared//../.env",
    "/files/shared/%2e%2e/.env",
    "/files/shared/sub/../../.env",
    "/files/shared/notes.txt",
    "/files/shared/p.txt",
    "/files/shared/up/alice/private.txt",
    "/files/shared/env-dir/private.txt",
    "/files/shared/dd",
    "/files/shared/.inner/x",
    "/files/.env",
    "/files/private.txt",
    "/files/link",
    "/files/shared",
    "/files/",
]


def test_worker_with_a_share_token_gets_nothing_outside_its_scope(harness, srv, tokens):
    share = tokens["share of shared/"]
    requests = [open_req(share, p, req_id=i + 1) for i, p in enumerate(ATTACK_PATHS)]
    requests += [list_req(share, p, req_id=100 + i) for i, p in
                 enumerate(["/files/", "/files/shared/../", "/files/shared/up/",
                            "/files/shared/env-dir/", "/files/shared/.inner/"])]
    requests.append(open_req(share, "/files/shared/ok.txt", req_id=999))   # the legitimate one
    frames, contents = ask_all(harness, srv, requests)
    failed = []
    for req, f in zip(requests[:-1], frames[:-1]):
        if f.msg_type == OPEN_RESP and open_resp(f).status in (FILE_OK, FILE_IS_DIR):
            failed.append((f.req_id, open_resp(f)))
        if f.msg_type == LIST_RESP and (list_resp(f).status == FILE_IS_DIR or
                                        list_resp(f).names):
            failed.append((f.req_id, list_resp(f)))
    assert failed == [], failed
    last = open_resp(frames[-1])
    assert last.status == FILE_OK, last
    assert contents == [OK], contents   # one descriptor passed in all: the legitimate file


def test_worker_paths_outside_the_scope_are_refused_as_out_of_scope(harness, srv, tokens):
    """Paths that the scope does not cover never reach the file system: the token is refused
    (bad_token), whichever file they name."""
    share = tokens["share of shared/"]
    paths = ["/files/.env", "/files/private.txt", "/files/shared", "/files/sharedx/ok.txt"]
    frames, contents = ask_all(harness, srv, [open_req(share, p) for p in paths])
    assert [open_resp(f).status for f in frames] == [FILE_BAD_TOKEN] * len(paths)
    assert contents == []


def test_worker_with_a_file_share_token_gets_only_that_file(harness, srv, mint, home):
    """A share link of shared/ok.txt: that file, and not the folder nor its neighbours."""
    tok = mint("alice", kind="share", scope="/files/shared/ok.txt")
    paths = ["/files/shared/ok.txt/../notes.txt", "/files/shared/ok.txt/", "/files/shared/",
             "/files/shared/in", "/files/shared/ok.txt"]
    frames, contents = ask_all(harness, srv, [open_req(tok, p) for p in paths])
    statuses = [open_resp(f).status for f in frames]
    assert all(s not in (FILE_OK, FILE_IS_DIR) for s in statuses[:-1]), statuses
    assert statuses[-1] == FILE_OK and contents == [OK], (statuses, contents)
