"""tokenauth-mint (SPEC §3, §4): a session token makes narrow url and share tokens; their
scope is one path, or a folder when it ends in '/', for GET and HEAD only; they can neither
mint nor log out."""

import time

import pytest

from taharness.http import Client
from taharness.site import FILES, MINT, WHOAMI

HELLO = FILES["files/hello.txt"]


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("main", extra=[MINT, WHOAMI, "TokenAuthURLTokenTTL 300 3600"])


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


@pytest.fixture(scope="module")
def session(mint):
    return mint("alice", ttl=3600)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def mint_json(c, token, **fields):
    return c.post("/auth/mint", headers=bearer(token), json=fields)


def minted(c, session, **fields):
    r = mint_json(c, session, **fields)
    assert r.status_code == 200, r.text
    return r.json()


def status(c, url, method="GET"):
    return c.request(method, url).status_code


# --- the answer ------------------------------------------------------------------------------

def test_mint_answers_token_url_and_expiry(c, session):
    t0 = int(time.time())
    body = minted(c, session, path="/files/hello.txt")
    assert set(body) == {"token", "url", "expires_at"}
    assert body["url"] == "/files/hello.txt?token=" + body["token"]
    assert type(body["expires_at"]) is int
    assert t0 + 300 - 2 <= body["expires_at"] <= t0 + 300 + 5, "the location's default ttl"


def test_mint_answer_is_not_cached(c, session):
    r = mint_json(c, session, path="/files/hello.txt")
    assert r.headers["Cache-Control"] == "no-store"


def test_minted_url_is_ready_to_use(c, session):
    body = minted(c, session, path="/files/hello.txt")
    r = c.get(body["url"])
    assert r.status_code == 200 and r.text == HELLO


def test_mint_by_form(c, session):
    r = c.post("/auth/mint", headers=bearer(session),
               data={"path": "/files/hello.txt", "ttl": "60", "kind": "url"})
    assert r.status_code == 200
    assert c.get(r.json()["url"]).text == HELLO


def test_ttl_within_the_max_is_honoured(c, session):
    t0 = int(time.time())
    body = minted(c, session, path="/files/hello.txt", ttl=3600)
    assert t0 + 3600 - 2 <= body["expires_at"] <= t0 + 3600 + 5


def test_path_with_spaces_is_escaped_in_the_url(c, session):
    body = minted(c, session, path="/files/a b.txt")
    assert body["url"].startswith("/files/a%20b.txt?token=")


# --- scope ------------------------------------------------------------------------------------

def test_file_token_works_for_its_file_by_get_and_head(c, session):
    url = minted(c, session, path="/files/hello.txt")["url"]
    assert status(c, url) == 200
    assert status(c, url, "HEAD") == 200


@pytest.mark.parametrize("other", ["/files/other.txt", "/files/hello.txtx",
                                   "/files/hello.txt.bak", "/files/", "/files/a/one.txt"])
def test_file_token_fails_for_anything_else(c, session, other):
    token = minted(c, session, path="/files/hello.txt")["token"]
    assert status(c, other + "?token=" + token) == 401


def test_file_token_refuses_post(c, session):
    url = minted(c, session, path="/files/hello.txt")["url"]
    assert status(c, url, "POST") == 401


def test_folder_token_covers_the_folder_and_nothing_beside(c, session):
    token = minted(c, session, path="/files/a/")["token"]
    assert status(c, "/files/a/one.txt?token=" + token) == 200
    assert status(c, "/files/b/two.txt?token=" + token) == 401
    assert status(c, "/files/hello.txt?token=" + token) == 401


def test_share_token_works_alone_for_its_one_path(c, session):
    token = minted(c, session, path="/files/hello.txt", kind="share")["token"]
    with Client(c.base_url) as stranger:
        assert stranger.get("/files/hello.txt?token=" + token).text == HELLO
        assert stranger.get("/files/other.txt?token=" + token).status_code == 401


# --- what narrow tokens cannot do ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["url", "share"])
def test_narrow_tokens_cannot_mint(c, session, kind):
    token = minted(c, session, path="/auth/mint", kind=kind)["token"]
    r = c.post("/auth/mint?token=" + token, json={"path": "/files/hello.txt"})
    assert r.status_code in (401, 403)
    r = mint_json(c, token, path="/files/hello.txt")
    assert r.status_code in (401, 403)


def test_share_token_refused_at_whoami_and_logout(c, session):
    token = minted(c, session, path="/auth/whoami", kind="share")["token"]
    assert c.get("/auth/whoami?token=" + token).status_code == 403
    token = minted(c, session, path="/logout", kind="share")["token"]
    r = c.post("/logout", headers=dict(bearer(token), Accept="application/json"))
    assert r.status_code == 401


# --- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["files/hello.txt", "/files/../etc/passwd", "/files/./x",
                                  "/files//x", "/files/x\ny", "/files/x?y=1", "/files/x#y",
                                  "/" + "a" * 2100, ""])
def test_bad_paths_are_400(c, session, path):
    r = mint_json(c, session, path=path)
    assert r.status_code == 400, path
    assert r.json()["error"] == "invalid_request"


@pytest.mark.parametrize("fields", [{"ttl": 3601}, {"ttl": 0}, {"ttl": -5}, {"ttl": "60"},
                                    {"ttl": 1.5}, {"kind": "session"}, {"kind": "admin"},
                                    {"kind": 1}, {"path": 7}])
def test_bad_ttl_kind_or_types_are_400(c, session, fields):
    body = {"path": "/files/hello.txt"}
    body.update(fields)
    assert mint_json(c, session, **body).status_code == 400


@pytest.mark.parametrize("form", ["path=/files/x&ttl=abc", "path=/files/x&ttl=1e3",
                                  "path=/files/x&path=/files/y", "ttl=60"])
def test_bad_forms_are_400(c, session, form):
    r = c.post("/auth/mint", headers=dict(bearer(session),
                                          **{"Content-Type":
                                             "application/x-www-form-urlencoded"}),
               data=form)
    assert r.status_code == 400


def test_duplicate_json_keys_are_400(c, session):
    r = c.post("/auth/mint", headers=dict(bearer(session), **{"Content-Type": "application/json"}),
               data='{"path":"/files/x","path":"/files/y"}')
    assert r.status_code == 400


def test_get_is_405(c, session):
    r = c.get("/auth/mint", headers=bearer(session))
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(",")) - {"TRACE"} == {"POST"}


def test_other_content_types_are_415(c, session):
    r = c.post("/auth/mint", headers=dict(bearer(session), **{"Content-Type": "text/plain"}),
               data="path=/files/hello.txt")
    assert r.status_code == 415


def test_foreign_origin_is_403(c, session):
    r = c.post("/auth/mint", headers=dict(bearer(session), Origin="http://evil.example"),
               json={"path": "/files/hello.txt"})
    assert r.status_code == 403


def test_without_a_token_is_401(c):
    assert c.post("/auth/mint", json={"path": "/files/hello.txt"}).status_code == 401


def test_access_log_shows_no_minted_token(srv, c, session):
    token = minted(c, session, path="/files/hello.txt")["token"]
    assert c.get("/files/hello.txt?token=" + token).status_code == 200
    lines = srv.access_lines_with("/files/hello.txt")
    assert lines
    log = srv.paths.access_log.read_text()
    assert token not in log and token.split(".")[2] not in log


def test_minting_is_logged(srv, c, session):
    since = srv.error_log.mark()
    minted(c, session, path="/files/a/", kind="share")
    assert "TA00050: alice minted a share token for /files/a/ until " in \
        srv.error_log.text(since)


def test_lifetimes_and_parameter_come_from_the_target_location(apache_factory, mint):
    """TokenAuthURLTokenTTL and TokenAuthQueryParam of the location the token is for, not of
    the mint handler's."""
    s = apache_factory("target", extra=[MINT, """<Location /files/a>
    TokenAuthURLTokenTTL 60 120
    TokenAuthQueryParam t
</Location>"""])
    with Client(s.base_url) as c:
        session = mint("alice", ttl=3600)
        r = mint_json(c, session, path="/files/a/one.txt", ttl=600)
        assert r.status_code == 400, "over the target's max"
        t0 = int(time.time())
        body = minted(c, session, path="/files/a/one.txt")
        assert body["expires_at"] <= t0 + 60 + 5
        assert body["url"].startswith("/files/a/one.txt?t=")
        assert c.get(body["url"]).status_code == 200


@pytest.mark.parametrize("form,why", [("path=/files/%FF", "UTF-8"),
                                      ("path=/" + "%C3%A9" * 1000, "too long")])
def test_paths_that_cannot_make_a_usable_token_are_400(c, session, form, why):
    r = c.post("/auth/mint", headers=dict(bearer(session),
                                          **{"Content-Type":
                                             "application/x-www-form-urlencoded"}),
               data=form)
    assert r.status_code == 400, r.status_code
    assert why in r.json()["error_description"]
