"""Paths by which a script that is not ours could still see a token, found by an attack
review: error documents reached from a request that failed before its location was known
(REDIRECT_QUERY_STRING, REQUEST_URI), sub-requests and local redirects from a TokenAuthRedact
Off location that hands the bearer on, and early failures in a location with its own
TokenAuthQueryParam. The scripts print their whole environment; each attack stands beside
the legitimate path through the same server."""

import os
import uuid

import pytest

from taharness import paths
from taharness.http import Client, raw_request
from taharness.site import MINT, WHOAMI

ENV_CGI = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n"


def site(p) -> str:
    return f"""\
LoadModule include_module {paths.APACHE_MODULES}/mod_include.so
ScriptAlias /other-app/ "{p.docroot}/app-bin/"
<Location /other-app>
    CGIPassAuth On
</Location>
ErrorDocument 403 /other-app/env.cgi
ErrorDocument 404 /other-app/env.cgi
ErrorDocument 400 /other-app/env.cgi
ErrorDocument 417 /other-app/env.cgi
<Location /files/ssi>
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Location>
<Location /handoff>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthRedact Off
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Location>
ScriptAlias /handoff-bin/ "{p.docroot}/handoff-bin/"
<Location /handoff-bin>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthRedact Off
    CGIPassAuth On
</Location>
<Location /named>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthQueryParam t
</Location>
"""


def add_files(srv):
    d = srv.paths.docroot
    cgi = d / "app-bin" / "env.cgi"
    cgi.parent.mkdir(parents=True, exist_ok=True)
    cgi.write_text(ENV_CGI)
    os.chmod(cgi, 0o755)
    (d / "handoff").mkdir(parents=True, exist_ok=True)
    (d / "handoff" / "page.shtml").write_text(
        'page <!--#include virtual="/other-app/env.cgi" -->\n')
    (d / "files" / "ssi").mkdir(parents=True, exist_ok=True)
    (d / "files" / "ssi" / "page.shtml").write_text(
        'page <!--#include virtual="/other-app/env.cgi" -->\n')
    hb = d / "handoff-bin"
    hb.mkdir(parents=True, exist_ok=True)
    (hb / "go.cgi").write_text("#!/bin/sh\nprintf 'Location: /other-app/env.cgi\\r\\n\\r\\n'\n")
    os.chmod(hb / "go.cgi", 0o755)
    (d / "named").mkdir(parents=True, exist_ok=True)
    (d / "named" / "x.txt").write_text("x\n")
    locked = d / "files" / "locked"
    locked.mkdir(exist_ok=True)
    (locked / "x.txt").write_text("locked\n")
    for dirpath, _, files in os.walk(d):
        os.chmod(dirpath, 0o755)
        for f in files:
            if not f.endswith(".cgi"):
                os.chmod(os.path.join(dirpath, f), 0o644)
    os.chmod(locked, 0o700)


ERROR_LOG_ALLOW = [r"AH00035", r"AH00026", r"AH00569", r"AH00126", r"AH00082",
                   r"AH02429", r"AH00567", r"AH00566"]


@pytest.fixture(scope="module")
def srv(apache_factory):
    s = apache_factory("leaks", extra=[MINT, WHOAMI, site], start=False)
    add_files(s)
    return s.start()


@pytest.fixture(scope="module")
def url_token(mint, alice):
    return mint("alice", kind="url", scope="/files/")


@pytest.fixture(scope="module")
def session(srv, alice):
    with Client(srv.base_url) as c:
        r = c.post("/login", json={"username": "alice", "password": alice.password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


# --- the query token, for a request that ends before header_parser -------------------------

def test_errordocument_script_after_early_403_never_sees_query_token(srv, url_token):
    """A 403 decided in map_to_storage (a folder www-data cannot search): the ErrorDocument
    script runs before the log-time scrub."""
    r = raw_request(srv.port, "GET", "/files/locked/x.txt?token=%s&p=1" % url_token)
    assert r.status == 403
    assert "REDIRECT_STATUS=403" in r.body.decode()
    assert url_token not in r.body.decode(), r.body.decode()


def test_errordocument_script_after_encoded_slash_404_never_sees_query_token(srv, url_token):
    r = raw_request(srv.port, "GET", "/files/a%%2Fb?token=%s&p=1" % url_token)
    assert r.status == 404
    assert "REDIRECT_STATUS=404" in r.body.decode()
    assert url_token not in r.body.decode(), r.body.decode()


def test_errordocument_script_after_late_404_sees_scrubbed_query(srv, url_token):
    """Control: a 404 after header_parser is scrubbed before the ErrorDocument runs."""
    r = raw_request(srv.port, "GET", "/files/missing.txt?token=%s&p=1" % url_token)
    assert r.status == 404
    body = r.body.decode()
    assert "REDIRECT_QUERY_STRING=token=REDACTED&p=1" in body, body
    assert url_token not in body


def test_named_param_early_failure_scrubbed_in_log(srv, mint):
    tok = mint("alice", kind="url", scope="/named/")
    assert raw_request(srv.port, "GET", "/named/x.txt?t=" + tok).status == 200
    p = uuid.uuid4().hex
    r = raw_request(srv.port, "GET", "/named/a%%2Fb?t=%s&probe=%s" % (tok, p))
    assert r.status == 404
    lines = srv.access_lines_with(p)
    assert lines and tok not in lines[0], lines


# --- cookie and bearer on paths around post_read_request ------------------------------------

def test_early_417_errordocument_script_never_sees_cookie(srv, session):
    r = raw_request(srv.port, "GET", "/nothing", headers=[
        ("Cookie", "tokenauth=%s; a=1" % session), ("Expect", "something-else")])
    body = r.body.decode()
    assert r.status == 417, body
    assert session not in body, body


def test_bad_host_400_errordocument_script_never_sees_cookie(srv, session):
    r = raw_request(srv.port, "GET", "/nothing", headers=[
        ("Cookie", "tokenauth=%s; a=1" % session), ("Host", "bad host/x")])
    body = r.body.decode()
    assert r.status == 400, body
    assert session not in body, body


def test_ssi_in_token_location_include_of_other_script(srv, session):
    with Client(srv.base_url) as c:
        r = c.get("/files/ssi/page.shtml", headers={"Authorization": "Bearer " + session})
    assert r.status_code == 200, r.text
    assert "REMOTE_USER" in r.text or "SERVER_SOFTWARE" in r.text
    assert session not in r.text, r.text


def test_redact_off_location_include_of_other_script_never_sees_bearer(srv, session):
    """TokenAuthRedact Off hands the bearer to this location: not to every sub-request of it."""
    with Client(srv.base_url) as c:
        r = c.get("/handoff/page.shtml", headers={"Authorization": "Bearer " + session})
    assert r.status_code == 200, r.text
    assert "SERVER_SOFTWARE" in r.text
    assert session not in r.text, r.text
    # the control: the same script, asked directly with a foreign bearer, does see it
    with Client(srv.base_url) as c:
        r = c.get("/other-app/env.cgi", headers={"Authorization": "Bearer foreign"})
    assert "HTTP_AUTHORIZATION=Bearer foreign" in r.text


# --- sid over a shared (redis) revocation store ---------------------------------------------

@pytest.fixture(scope="module")
def redis_pair(harness, apache_factory):
    from taharness.redis import RedisServer
    server = RedisServer(harness.workdir / "redis-review").start()
    extra = ["LoadModule socache_redis_module %s/mod_socache_redis.so" % paths.APACHE_MODULES,
             "TokenAuthCache redis:127.0.0.1:%d" % server.port, MINT,
             "<Location /logout>\n    SetHandler tokenauth-logout\n</Location>"]
    yield apache_factory("ra", extra=extra), apache_factory("rb", extra=extra)
    server.stop()


def test_logout_on_b_ends_url_tokens_minted_on_a(redis_pair, alice):
    from taharness.waiting import wait_until
    a, b = redis_pair
    with Client(a.base_url) as c:
        r = c.post("/login", json={"username": "alice", "password": alice.password})
        assert r.status_code == 200
        session = r.json()["token"]
        r = c.post("/auth/mint", headers={"Authorization": "Bearer " + session},
                   json={"path": "/files/", "kind": "url"})
        assert r.status_code == 200, r.text
        url = r.json()["token"]

    def st(srv):
        with Client(srv.base_url) as c:
            return c.get("/files/hello.txt?token=" + url).status_code
    assert st(a) == 200 and st(b) == 200
    with Client(b.base_url) as c:
        assert c.post("/logout", headers={"Authorization": "Bearer " + session,
                                          "Accept": "application/json"}).status_code == 200
    assert wait_until(lambda: st(a) == 401, 3), "A must refuse the url token of B's logout"


def test_early_403_with_errordocument_scrubbed_in_log(srv, url_token):
    p = uuid.uuid4().hex
    r = raw_request(srv.port, "GET", "/files/locked/x.txt?token=%s&probe=%s" % (url_token, p))
    assert r.status == 403
    lines = srv.access_lines_with(p)
    assert lines and url_token not in lines[0], lines


def test_cookie_variants_accepted_are_also_stripped(srv, session):
    """Whatever form of Cookie header the access checker accepts, the other script never
    sees the token in it."""
    variants = [
        [("Cookie", "tokenauth=%s" % session)],
        [("Cookie", " tokenauth = %s ;a=1" % session)],
        [("Cookie", "a=1,tokenauth=%s" % session)],
        [("Cookie", "tokenauth\t=\t%s\t" % session)],
        [("Cookie", "a=1"), ("Cookie", "tokenauth=%s" % session)],
        [("cookie", "a=1"), ("COOKIE", "tokenauth=%s;" % session)],
        [("Cookie", "a=1;;;tokenauth=%s,,b" % session)],
    ]
    accepted = 0
    for hs in variants:
        ok = raw_request(srv.port, "GET", "/files/hello.txt", headers=hs).status == 200
        accepted += ok
        body = raw_request(srv.port, "GET", "/other-app/env.cgi", headers=hs).body.decode()
        assert session not in body, (hs, ok, body)
    assert accepted >= 5


def test_redact_off_script_local_redirect_other_script_never_sees_bearer(srv, session):
    """The Redact Off location's own script gets the bearer (as it should); its local
    Location: redirect must not hand it to another script through REDIRECT_* variables."""
    with Client(srv.base_url) as c:
        r = c.get("/handoff-bin/go.cgi", headers={"Authorization": "Bearer " + session})
    assert r.status_code == 200, r.text
    assert "SCRIPT_NAME=/other-app/env.cgi" in r.text
    assert session not in r.text, r.text


def test_bearer_variants_accepted_are_also_stripped(srv, session):
    variants = ["Bearer " + session, "bearer " + session, "BEARER\t" + session,
                "Bearer   %s  " % session]
    for v in variants:
        hs = [("Authorization", v)]
        assert raw_request(srv.port, "GET", "/files/hello.txt", headers=hs).status == 200, v
        body = raw_request(srv.port, "GET", "/other-app/env.cgi", headers=hs).body.decode()
        assert session not in body, (v, body)
    hs = [("Authorization", "Basic YTpi"), ("Authorization", "Bearer " + session)]
    body = raw_request(srv.port, "GET", "/other-app/env.cgi", headers=hs).body.decode()
    assert session not in body, body
