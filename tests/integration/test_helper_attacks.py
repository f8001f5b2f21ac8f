"""An attacker inside an Apache child (issue 9): code that runs in the worker - here a PHP
script under Debian's mod_php with prefork, the normal furniture of the servers we are built
for - talks to the privileged helper itself, in protocol version 2, through the hub its child
inherited (taharness.php). The worker is an untrusted client: whatever it sends, the helper
gives out only what a token it verifies itself grants.

Every refusal is shown next to the legitimate route through the same script, the same hub and
the same helper (alice's own file with her own token), so nothing here can pass by refusing
everything. The attacker prints what it got; no secret file's content may appear in it.

The last part sends odd messages over the hub itself (the root route of taharness.hubclient:
a copy of a child's hub, used as www-data), which a PHP script could send just as well."""

import os
import secrets
import time

import pytest

from taharness import helperproc, php, ports, tokens
from taharness.helperproc import (AUTH_BAD_CREDENTIALS, AUTH_OK, AUTH_RESP, AUTH_THROTTLED,
                                  ERROR, FILE_BAD_TOKEN, FILE_IS_DIR, FILE_OK, LIST_RESP,
                                  MINT_OK, MINT_RESP, OPEN_RESP, auth_resp, list_resp, mint_resp,
                                  open_req, open_resp, parse_frames)
from taharness.http import Client
from taharness.keys import EDDSA, new_key
from taharness.php import op_auth, op_list, op_mint, op_open
from taharness.waiting import wait_until

NODELAY_SERVICE = "ta-attack-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"
THROTTLE_LIMIT = 3
OTHER_ISSUER = "other-site"

HOME_SITE = """
TokenAuthPAMService %s
TokenAuthLoginThrottle %d 300 300
<Location /pub>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
<Location /whole>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
</Location>
""" % (NODELAY_SERVICE, THROTTLE_LIMIT)

# What must never come out: bob's files, anyone's dot-files, the system account's file.
BOB_PRIVATE = b"bob's private file, mode 0600\n"
BOB_KEY = b"-----PRIVATE KEY OF bob-----\n"
ALICE_KEY = b"-----PRIVATE KEY OF alice-----\n"
SYSTEM_SECRET = b"system account's data: PG_VERSION 15\n"
SECRETS = (BOB_PRIVATE, BOB_KEY, ALICE_KEY, SYSTEM_SECRET, b"dot-file of ", b"hello from bob")

# The helper logs each refusal (info) and the malformed frames the attacker sends (warn).
ERROR_LOG_ALLOW = []


def other_vhost(key_file, port):
    """A second virtual host on a port of its own, with its own issuer: server index 1."""
    def snippet(p) -> str:
        return f"""\
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName other.test
    TokenAuthIssuer {OTHER_ISSUER}
    <Location /whole>
        AuthType token
        AuthName "files"
        Require valid-user
        TokenAuthHome .
    </Location>
</VirtualHost>
"""
    return snippet


def put(user, rel, data: bytes, mode=0o644):
    p = user.host_home / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    os.chown(p.parent, user.uid, user.gid)
    p.write_bytes(data)
    os.chmod(p, mode)
    os.chown(p, user.uid, user.gid)


def free_system_uid(harness) -> int:
    """A uid below 1000 (a system account's, below TokenAuthMinUID) free on the host and in
    the namespace."""
    taken = set()
    for f in ("/etc/passwd", "/etc/group", harness.ns.etc / "passwd", harness.ns.etc / "group"):
        taken |= {int(ln.split(":")[2]) for ln in open(f) if ln.count(":") >= 3}
    return next(u for u in range(990, 900, -1) if u not in taken)


@pytest.fixture(scope="module")
def system_account(harness):
    """A postgres-like system account (uid below 1000) whose 0700 home holds its data."""
    name = "pgsys" + secrets.token_hex(2)
    u = harness.users.add_user(name, "pw-" + secrets.token_hex(6), uid=free_system_uid(harness))
    put(u, "PG_VERSION", SYSTEM_SECRET, mode=0o600)
    put(u, "public/PG_VERSION", SYSTEM_SECRET, mode=0o600)
    yield u
    harness.users.delete_user(name)


@pytest.fixture(scope="module")
def files(alice, bob):
    put(bob, "private.txt", BOB_PRIVATE, mode=0o600)
    put(bob, "public/secret.txt", BOB_PRIVATE, mode=0o600)
    put(bob, ".ssh/id_rsa", BOB_KEY, mode=0o600)
    put(alice, ".ssh/id_rsa", ALICE_KEY, mode=0o600)
    put(alice, "public/own.txt", b"alice's own public file\n")


@pytest.fixture(scope="module")
def srv(harness, files):
    """prefork + mod_php, the default site, /pub and /whole homes, a second virtual host."""
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    s = php.start_php_server(harness, "helper_attacks-php", extra=[
        HOME_SITE, other_vhost(harness.key_file.path, ports.free_port())])
    yield s
    s.stop()
    harness.remove_pam_service(NODELAY_SERVICE)


@pytest.fixture(scope="module")
def alice_token(srv, alice):
    """alice's session token from a real login on this server."""
    with Client(srv.base_url) as c:
        r = c.login("alice", alice.password)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def attack(srv, ops):
    report = php.attack(srv, ops)
    assert report.hub is not None, "the PHP script found no hub: %s" % report.data
    assert len(report.results) == len(ops), report.data
    return report


def answer(result):
    """The one frame the helper answered an operation with."""
    frames = parse_frames(result["reply"])
    assert len(frames) == 1, "expected one answer frame, got %r (closed=%s)" % (
        result["reply"][:64], result["closed"])
    return frames[0]


def assert_refused(result, what=""):
    """An answer (not silence) that gives nothing: an ERROR, or a refusal status; no
    descriptor passed, no listing, no token."""
    f = answer(result)
    assert result["contents"] == [], (what, result["contents"])
    if f.msg_type == ERROR:
        return
    if f.msg_type == OPEN_RESP:
        assert open_resp(f).status not in (FILE_OK, FILE_IS_DIR), (what, open_resp(f))
    elif f.msg_type == LIST_RESP:
        lr = list_resp(f)
        assert lr.status != FILE_IS_DIR and lr.names == (), (what, lr)
    elif f.msg_type == MINT_RESP:
        assert mint_resp(f).status != MINT_OK and mint_resp(f).token == "", (what, f)
    elif f.msg_type == AUTH_RESP:
        assert auth_resp(f).result != AUTH_OK and auth_resp(f).token == "", (what, f)
    else:
        raise AssertionError("unexpected answer %r to %s" % (f, what))


def assert_no_secret(report):
    for s in SECRETS:
        assert s not in report.body and s.hex().encode() not in report.body, s


def assert_served(result, content: bytes):
    f = answer(result)
    assert f.msg_type == OPEN_RESP and open_resp(f).status == FILE_OK, (f, result)
    assert result["contents"] == [content]


def describe(op, result) -> str:
    what = {k: v for k, v in op.items() if k not in ("token", "new")}
    try:
        f = answer(result)
    except AssertionError as e:
        return "%s -> %s" % (what, e)
    detail = {OPEN_RESP: lambda: open_resp(f), LIST_RESP: lambda: list_resp(f),
              MINT_RESP: lambda: mint_resp(f),
              AUTH_RESP: lambda: auth_resp(f)}.get(f.msg_type, lambda: f)()
    return "%s -> %s, %d descriptor(s)" % (what, detail, len(result["contents"]))


def refused_all(srv, ops):
    """Run ops in the attacker; every one refused (all failures reported together), no
    secret anywhere in its report."""
    report = attack(srv, ops)
    failed = []
    for op, r in zip(ops, report.results):
        try:
            assert_refused(r, op["op"])
        except AssertionError:
            failed.append(describe(op, r))
    assert failed == [], "not refused:\n" + "\n".join(failed)
    assert_no_secret(report)
    return report


# --- the legitimate route ------------------------------------------------------------------

def test_php_script_finds_exactly_one_hub_in_its_child(srv, alice_token):
    report = attack(srv, [op_open(alice_token, "/whole/hello.txt")])
    assert len(report.data["hubs"]) == 1, report.data
    assert report.data["pid"] in helperproc.worker_children(srv)


def test_php_script_gets_alices_file_with_alices_token(srv, alice_token):
    """The route is real: same script, same hub, the file comes as a descriptor."""
    report = attack(srv, [op_open(alice_token, "/whole/hello.txt"),
                          op_open(alice_token, "/pub/own.txt")])
    assert_served(report.results[0], b"hello from alice\n")
    assert_served(report.results[1], b"alice's own public file\n")


def test_php_script_lists_alices_home_without_dot_files(srv, alice_token):
    (r,) = attack(srv, [op_list(alice_token, "/whole/")]).results
    lr = list_resp(answer(r))
    assert lr.status == FILE_IS_DIR and "hello.txt" in lr.names, lr
    assert [n for n in lr.names if n.startswith(".")] == [], lr


def test_php_script_logs_in_and_mints_with_alices_credentials(srv, alice, alice_token):
    report = attack(srv, [op_auth("alice", alice.password),
                          op_mint(alice_token, "/pub/own.txt", kind=helperproc.KIND_SHARE)])
    a = auth_resp(answer(report.results[0]))
    assert (a.result, a.uid) == (AUTH_OK, alice.uid) and a.token
    m = mint_resp(answer(report.results[1]))
    assert m.status == MINT_OK, m
    assert tokens.parts(m.token)[1]["sub"] == "alice"


# --- no token, forged tokens ---------------------------------------------------------------

def forged_tokens(harness, user):
    """Tokens for user that no key of the server signed (or that say alg none)."""
    real = harness.key_file.signing_key
    stranger = new_key(kid=real.kid)
    claims = tokens.claims(user)
    out = {
        "random key, unknown kid": tokens.forge(new_key(), claims),
        "random key, the server's kid": tokens.forge(stranger, claims),
        "alg none": tokens._part(tokens.header(real, alg="none")) + "." + tokens._part(claims)
        + ".",
        "signature of another token": tokens.forge(stranger, claims).rsplit(".", 1)[0] + "."
        + harness.mint(user.name).rsplit(".", 1)[1],
    }
    if real.alg == EDDSA:
        # the classic confusion: HS256 keyed with the public key everybody may fetch
        out["HS256 keyed with the EdDSA public key"] = tokens.sign(
            tokens.header(real, alg="HS256"), claims, real.public_bytes)
    return out


@pytest.mark.parametrize("path", ["/whole/hello.txt", "/whole/", "/pub/own.txt"])
def test_no_token_gets_nothing(srv, alice_token, path):
    ops = [op_open("", path), op_list("", path), op_open(".", path), op_open("..", path)]
    refused_all(srv, ops)
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


def test_forged_tokens_get_nothing(harness, srv, alice, bob, alice_token):
    ops = []
    for user in (alice, bob):
        for name, tok in forged_tokens(harness, user).items():
            ops += [op_open(tok, "/whole/hello.txt"), op_list(tok, "/whole/"),
                    op_open(tok, "/whole/private.txt"), op_mint(tok, "/pub/")]
    report = refused_all(srv, ops)
    statuses = {open_resp(answer(r)).status for op, r in zip(ops, report.results)
                if op["op"] == "open" and answer(r).msg_type == OPEN_RESP}
    assert statuses == {FILE_BAD_TOKEN}, statuses
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


def test_tokens_signed_by_the_server_key_but_no_longer_valid_get_nothing(harness, srv, alice,
                                                                         bob, alice_token):
    """Signed with the real key (the test holds it): expired, issued in the future, another
    issuer, alice's name with bob's uid."""
    key = harness.key_file.signing_key
    now = int(time.time())
    bad = {
        "expired": tokens.claims(alice, now=now - 1000, ttl=10),
        "issued in the future": tokens.claims(alice, now=now + 3600),
        "another issuer": tokens.claims(alice, issuer="someone-else"),
        "alice's name, bob's uid": tokens.claims(alice, uid=bob.uid),
    }
    ops = [op_open(tokens.forge(key, c), "/whole/hello.txt") for c in bad.values()]
    report = refused_all(srv, ops)
    assert [open_resp(answer(r)).status for r in report.results] == [FILE_BAD_TOKEN] * len(bad)
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


# --- alice's own token, somebody else's files ----------------------------------------------

BOB_PATHS = [
    "/whole/../bob/private.txt",
    "/whole/../../home/bob/private.txt",
    "/whole//home/bob/private.txt",
    "/whole/./../bob/private.txt",
    "/whole/public/../../bob/private.txt",
    "/whole/hello.txt/../../bob/private.txt",
    "/whole/%2e%2e/bob/private.txt",
    "/pub/../../bob/public/secret.txt",
    "/pub/../whole/../../bob/.ssh/id_rsa",
    "/home/bob/private.txt",
    "/bob/private.txt",
    "//home/bob/private.txt",
    "/whole/../../../../../home/bob/.ssh/id_rsa",
    "/whole\\..\\bob\\private.txt",
]


@pytest.mark.parametrize("path", BOB_PATHS)
def test_alices_token_never_opens_bobs_file(srv, alice_token, path):
    refused_all(srv, [op_open(alice_token, path), op_list(alice_token, path),
                      op_list(alice_token, path.rsplit("/", 1)[0] + "/")])
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


def test_bobs_token_still_opens_bobs_file(srv, bob):
    """The control for the test above: bob's file is there, and served to bob's token."""
    with Client(srv.base_url) as c:
        tok = c.login("bob", bob.password).json()["token"]
    assert_served(attack(srv, [op_open(tok, "/whole/private.txt")]).results[0], BOB_PRIVATE)


@pytest.mark.parametrize("path", ["/files/hello.txt", "/login", "/", "/wholeX/hello.txt",
                                  "/pubic/own.txt", "/attack.php", "/whole.txt"])
def test_a_path_outside_every_home_location_gets_nothing(srv, alice_token, path):
    """The helper works out the location from the path as Apache does: no TokenAuthHome
    there (a static location, the login handler, a prefix without the slash boundary), no
    file."""
    refused_all(srv, [op_open(alice_token, path), op_list(alice_token, path)])


@pytest.mark.parametrize("path", ["/whole/.secret", "/whole/.ssh/id_rsa", "/whole/.ssh/",
                                  "/pub/../.secret", "/whole/public/../.secret",
                                  "/whole/./.secret"])
def test_dot_files_stay_hidden_whatever_the_worker_asks(srv, alice_token, path):
    """TokenAuthHidden deny comes from the helper's configuration: no frame can turn it off."""
    refused_all(srv, [op_open(alice_token, path), op_list(alice_token, path)])
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


# --- scoped tokens used elsewhere -----------------------------------------------------------

def test_a_share_token_opens_its_scope_and_nothing_else(srv, mint, alice):
    """A share link for /pub/own.txt: through the helper it reads that one file, not the
    same file by another location, not alice's other files."""
    share = mint("alice", kind="share", scope="/pub/own.txt")
    report = attack(srv, [op_open(share, "/pub/own.txt")])
    assert_served(report.results[0], b"alice's own public file\n")
    refused_all(srv, [op_open(share, p) for p in (
        "/whole/public/own.txt", "/whole/hello.txt", "/pub/cat.txt", "/pub/own.txt/",
        "/pub/../whole/hello.txt", "/whole/.secret")] + [op_list(share, "/pub/")] +
        [op_mint(share, "/pub/own.txt"), op_mint(share, "/whole/", kind=helperproc.KIND_SHARE)])


def test_a_url_token_for_one_location_opens_nothing_in_another(srv, mint):
    url = mint("alice", kind="url", scope="/pub/")
    assert_served(attack(srv, [op_open(url, "/pub/own.txt")]).results[0],
                  b"alice's own public file\n")
    refused_all(srv, [op_open(url, "/whole/hello.txt"), op_open(url, "/whole/public/own.txt"),
                      op_list(url, "/whole/"), op_open(url, "/pub/../hello.txt"),
                      op_mint(url, "/pub/")])


def test_minting_beyond_the_locations_limits_gives_nothing_useful(srv, alice_token, bob):
    """A mint the helper refuses (lifetime over the maximum, a scope that is no URL path),
    or, where it signs, a token that still opens nothing of bob's."""
    report = attack(srv, [op_mint(alice_token, "/whole/", ttl=10 ** 12),
                          op_mint(alice_token, "/whole/../bob/", kind=helperproc.KIND_SHARE),
                          op_mint(alice_token, "whole/", kind=helperproc.KIND_URL),
                          op_mint(alice_token, "/home/bob/")])
    minted = [mint_resp(answer(r)) for r in report.results]
    assert minted[0].status != MINT_OK, minted[0]
    usable = [m.token for m in minted if m.status == MINT_OK]
    refused_all(srv, [op_open(t, p) for t in usable for p in (
        "/whole/../bob/private.txt", "/home/bob/private.txt", "/whole/hello.txt")])


# --- other virtual hosts and system accounts ------------------------------------------------

def test_a_token_of_one_virtual_host_gets_nothing_from_another(srv, mint, alice_token):
    """Server index 1 has its own issuer: the main server's token is no good there, its own
    is (the control), and its own is no good on the main server."""
    other = mint("alice", issuer=OTHER_ISSUER)
    assert_served(attack(srv, [op_open(other, "/whole/hello.txt", server=1)]).results[0],
                  b"hello from alice\n")
    refused_all(srv, [op_open(alice_token, "/whole/hello.txt", server=1),
                      op_open(other, "/whole/hello.txt", server=0),
                      op_open(alice_token, "/whole/hello.txt", server=2),
                      op_open(alice_token, "/whole/hello.txt", server=0xffff)])


def test_forged_tokens_for_system_accounts_get_nothing(harness, srv, system_account,
                                                       alice_token):
    """root, daemon, www-data and a postgres-like account, signed with a random key."""
    stranger = new_key(kid=harness.key_file.signing_key.kid)
    ops = []
    for name, uid in (("root", 0), ("daemon", 1), ("www-data", 33),
                      (system_account.name, system_account.uid)):
        c = tokens.claims(system_account, sub=name, uid=uid)
        tok = tokens.forge(stranger, c)
        ops += [op_open(tok, p) for p in ("/whole/PG_VERSION", "/whole/.bashrc",
                                          "/pub/PG_VERSION", "/whole/etc/shadow")]
        ops.append(op_list(tok, "/whole/"))
    refused_all(srv, ops)
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


def test_validly_signed_tokens_for_system_accounts_get_nothing(harness, srv, system_account,
                                                               alice_token):
    """With an HS256 key every Apache child can sign (SPEC §3), so an attacker in the child
    can make a validly signed token for any name: the helper must still serve no account
    below TokenAuthMinUID - not root, not a system account's 0700 data."""
    key = harness.key_file.signing_key
    ops = []
    for name, uid in (("root", 0), (system_account.name, system_account.uid)):
        tok = tokens.forge(key, tokens.claims(system_account, sub=name, uid=uid))
        ops += [op_open(tok, "/whole/PG_VERSION"), op_open(tok, "/pub/PG_VERSION"),
                op_list(tok, "/whole/"), op_mint(tok, "/whole/PG_VERSION")]
    refused_all(srv, ops)
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")


def test_validly_signed_tokens_for_system_accounts_are_refused_over_http(harness, srv,
                                                                         system_account):
    """The same tokens over HTTP: the access checker refuses them (TokenAuthMinUID)."""
    key = harness.key_file.signing_key
    with Client(srv.base_url) as c:
        for name, uid in (("root", 0), (system_account.name, system_account.uid)):
            tok = tokens.forge(key, tokens.claims(system_account, sub=name, uid=uid))
            r = c.get_with_token("/whole/PG_VERSION", tok)
            assert r.status_code in (401, 403), (name, r.status_code, r.content[:100])
            assert SYSTEM_SECRET not in r.content


# --- guessing passwords from inside a child --------------------------------------------------

def test_password_guesses_from_a_child_are_refused(srv, alice, bob):
    report = attack(srv, [op_auth("bob", "guess-1"), op_auth("bob", "guess-2"),
                          op_auth("alice", alice.password)])
    for r in report.results[:2]:
        a = auth_resp(answer(r))
        assert (a.result, a.token, a.uid) == (AUTH_BAD_CREDENTIALS, "", 0), a
    assert auth_resp(answer(report.results[2])).result == AUTH_OK


@pytest.fixture(scope="module")
def guessing(harness, srv, alice):
    """THROTTLE_LIMIT wrong guesses for a fresh account from inside a child, each with
    another client address, then its right password: the report, the log, HTTP answers
    after."""
    u = harness.users.add_user("guess" + secrets.token_hex(2), "pw-" + secrets.token_hex(6))
    mark = srv.error_log.mark()
    ops = [op_auth(u.name, "wrong-%d" % i, rhost="192.0.2.%d" % (i + 1))
           for i in range(THROTTLE_LIMIT)] + [op_auth(u.name, u.password, rhost="192.0.2.99")]
    report = attack(srv, ops)
    with Client(srv.base_url) as c:
        http_user = c.login(u.name, u.password)
        http_alice = c.login("alice", alice.password)
    yield u, report, mark, http_user, http_alice
    harness.users.delete_user(u.name)


def test_guesses_through_the_socket_are_throttled_after_the_limit(guessing):
    u, report, _, _, _ = guessing
    results = [auth_resp(answer(r)) for r in report.results]
    assert [a.result for a in results[:THROTTLE_LIMIT]] == [AUTH_BAD_CREDENTIALS] * THROTTLE_LIMIT
    last = results[-1]
    assert (last.result, last.token) == (AUTH_THROTTLED, ""), last
    assert last.retry_after > 0


def test_a_throttled_guess_is_decided_without_asking_pam(srv, guessing):
    """The right password was refused, and PAM saw only the wrong ones."""
    u, _, mark, _, _ = guessing
    text = srv.error_log.text(mark)
    assert text.count("TA00061: helper: auth %s " % u.name) == THROTTLE_LIMIT, text


def test_a_throttled_guess_is_logged(srv, guessing):
    u, _, mark, _, _ = guessing
    assert wait_until(lambda: "TA00063: helper: login of %s throttled" % u.name in
                      srv.error_log.text(mark), 5), srv.error_log.text(mark)


def test_socket_guesses_count_for_http_logins_too(guessing):
    """The helper's count is the one that holds: the name is locked over HTTP as well."""
    _, _, _, http_user, _ = guessing
    assert http_user.status_code == 429, (http_user.status_code, http_user.text[:200])
    assert int(http_user.headers["Retry-After"]) > 0


def test_other_users_still_log_in_while_one_name_is_throttled(guessing):
    _, _, _, _, http_alice = guessing
    assert http_alice.status_code == 200


# --- odd messages over the hub --------------------------------------------------------------

PROBE = open_req("e30.e30.AAAA", "/whole/hello.txt")


def helper_fd_count(srv) -> int:
    (h,) = [p for p in helperproc.helpers_of(srv) if p.state != "Z"]
    return len(helperproc.open_files(h.pid))


def probe_answered(t) -> bool:
    return bool(t and t.accept == "accepted" and t.reply and
                parse_frames(t.reply)[0].msg_type == OPEN_RESP)


@pytest.fixture(scope="module")
def hub_messages(harness, srv):
    """Each odd message once (with a well-formed one first and last), the helper's pid and
    descriptor count before and after."""
    (before,) = helperproc.helpers_of(srv)
    fds_before = helper_fd_count(srv)
    msgs = [
        {"attach": ["stream"]},
        {"attach": []},
        {"payload": b"X", "attach": ["stream"]},
        {"payload": b"", "attach": ["stream"]},
        {"attach": ["stream", "stream"]},
        {"attach": ["root_stream"]},
        {"attach": ["hub"]},
        {"attach": ["file"]},
        {"attach": ["unconnected"]},
        {"payload": b"C" * 60000, "attach": ["stream"]},
        {"attach": ["stream"]},
    ]
    results = helperproc.hub_messages(harness.ns, srv, msgs, PROBE)
    return dict(zip(["first", "no descriptor", "other byte", "empty", "two descriptors",
                     "made by root", "the hub itself", "a file", "unconnected", "long",
                     "last"], results)), before, fds_before


def test_a_well_formed_hub_message_is_answered(hub_messages):
    results, _, _ = hub_messages
    assert probe_answered(results["first"]["answers"][0])
    assert probe_answered(results["last"]["answers"][0])


@pytest.mark.parametrize("name", ["other byte", "empty", "two descriptors", "made by root"])
def test_a_hub_message_that_is_not_one_C_with_one_socket_of_apaches_user_is_refused(
        hub_messages, name):
    results, _, _ = hub_messages
    for t in results[name]["answers"]:
        assert t is None or (t.accept == "closed" and t.reply == b"" and t.closed), (name, t)


def test_odd_hub_messages_leave_the_helper_running(srv, hub_messages):
    _, before, _ = hub_messages
    (now,) = [p for p in helperproc.helpers_of(srv) if p.state != "Z"]
    assert now.pid == before.pid


def test_odd_hub_messages_leak_no_descriptor_in_the_helper(srv, hub_messages):
    _, _, fds_before = hub_messages
    assert wait_until(lambda: helper_fd_count(srv) <= fds_before, 10), \
        (fds_before, helperproc.open_files([p for p in helperproc.helpers_of(srv)][0].pid))


def test_a_flood_of_descriptors_over_the_hub_is_closed_again(harness, srv, alice_token):
    """200 messages of two sockets each (refused), then the helper has no more descriptors
    than before and still serves."""
    fds_before = helper_fd_count(srv)
    helperproc.hub_messages(harness.ns, srv, [{"attach": ["stream", "stream"]}] * 200, b"",
                            wait=0.01)
    assert wait_until(lambda: helper_fd_count(srv) <= fds_before, 10), \
        (fds_before, helper_fd_count(srv))
    assert_served(attack(srv, [op_open(alice_token, "/whole/hello.txt")]).results[0],
                  b"hello from alice\n")
