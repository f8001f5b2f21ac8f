"""Our credentials never reach other code (SPEC §2 TokenAuthCookie, §5 TokenAuthRedact). The
session cookie is sent with Path=/ to every URL of the host: another user's CGI, a PHP
application, a proxied backend. The module takes its cookie, and an Authorization header that
carries one of our tokens, out of every request before any handler runs, in every location;
each attack here also shows the same credential still working where it belongs. Over HTTPS
the cookie is named with the __Host- prefix."""

import json
import os

import jwt
import pytest

from taharness import paths, php
from taharness.http import Client
from taharness.site import MINT, WHOAMI

# What a script of someone else's sees: its whole environment.
ENV_CGI = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n"

SPY_PHP = """<?php
header('Content-Type: application/json');
echo json_encode(['headers' => getallheaders(), 'cookie' => $_COOKIE,
                  'server_cookie' => $_SERVER['HTTP_COOKIE'] ?? null,
                  'server_authorization' => $_SERVER['HTTP_AUTHORIZATION'] ?? null]);
"""


def site(p) -> str:
    return f"""\
ScriptAlias /other-app/ "{p.docroot}/app-bin/"
<Location /other-app>
    CGIPassAuth On
</Location>
<Location /handoff>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthRedact Off
    Header always set X-Seen-Authorization "expr=%{{HTTP:Authorization}}"
</Location>
<Location /echo>
    Header always set X-Seen-Cookie "expr=%{{HTTP:Cookie}}"
    Header always set X-Seen-Authorization "expr=%{{HTTP:Authorization}}"
</Location>
<Location /custom>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthCookie mysession
</Location>
"""


def add_files(srv):
    d = srv.paths.docroot
    for rel in ("handoff/x.txt", "echo/x.txt", "custom/x.txt"):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text("file %s\n" % rel)
    cgi = d / "app-bin" / "env.cgi"
    cgi.parent.mkdir(parents=True, exist_ok=True)
    cgi.write_text(ENV_CGI)
    os.chmod(cgi, 0o755)
    for dirpath, _, _ in os.walk(d):
        os.chmod(dirpath, 0o755)


@pytest.fixture(scope="module")
def srv(apache_factory):
    s = apache_factory("strip", extra=[MINT, WHOAMI, site], start=False)
    add_files(s)
    return s.start()


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


@pytest.fixture(scope="module")
def session(srv, alice):
    """A real login: the token and the Set-Cookie it came with."""
    with Client(srv.base_url) as c:
        r = c.post("/login", json={"username": "alice", "password": alice.password})
    assert r.status_code == 200, r.text
    return r.json()["token"], r.headers["Set-Cookie"]


def cgi_env(r) -> dict:
    assert r.status_code == 200, r.text
    return dict(line.split("=", 1) for line in r.text.splitlines() if "=" in line)


def foreign_jwt() -> str:
    """Some other system's bearer token: a JWT under a key of its own."""
    return jwt.encode({"sub": "x"}, "another-systems-secret-of-32-bytes!!", algorithm="HS256",
                      headers={"kid": "someone-else"})


# --- the login's cookie ------------------------------------------------------------------------

def test_session_cookie_is_named_tokenauth_over_http(session):
    _, set_cookie = session
    assert set_cookie.startswith("tokenauth=")
    assert "Path=/" in set_cookie and "HttpOnly" in set_cookie and "Secure" not in set_cookie


# --- a CGI of someone else's, outside every token location -------------------------------------

def test_other_cgi_never_sees_our_cookie_but_keeps_its_own(c, session):
    token, _ = session
    env = cgi_env(c.get("/other-app/env.cgi",
                        headers={"Cookie": "theme=dark; tokenauth=%s; lang=en" % token}))
    assert token not in json.dumps(env)
    assert env["HTTP_COOKIE"] == "theme=dark; lang=en"
    # the same cookie is the user's session where it belongs
    assert c.get("/files/hello.txt", headers={"Cookie": "tokenauth=" + token}).status_code == 200


def test_other_cgi_without_other_cookies_gets_no_cookie_header(c, session):
    token, _ = session
    env = cgi_env(c.get("/other-app/env.cgi", headers={"Cookie": "tokenauth=" + token}))
    assert "HTTP_COOKIE" not in env
    assert token not in json.dumps(env)


def test_our_bearer_token_never_reaches_another_cgi(c, session, mint):
    token, _ = session
    for t in (token, mint("bob", kind="share", scope="/files/hello.txt")):
        env = cgi_env(c.get("/other-app/env.cgi", headers={"Authorization": "Bearer " + t}))
        assert t not in json.dumps(env)
        assert "HTTP_AUTHORIZATION" not in env
    assert c.get("/files/hello.txt",
                 headers={"Authorization": "Bearer " + token}).status_code == 200


def test_replayed_cookie_from_the_cgi_would_have_worked(c, session):
    """Why the above matters: what a CGI could have read is a full session (mint works)."""
    token, _ = session
    r = c.post("/auth/mint", headers={"Cookie": "tokenauth=" + token},
               json={"path": "/files/", "kind": "share"})
    assert r.status_code == 200


def test_other_credentials_reach_the_cgi_unchanged(c):
    other = foreign_jwt()
    env = cgi_env(c.get("/other-app/env.cgi", headers={"Authorization": "Bearer " + other}))
    assert env["HTTP_AUTHORIZATION"] == "Bearer " + other
    env = cgi_env(c.get("/other-app/env.cgi", headers={"Authorization": "Basic YTpi"}))
    assert env["HTTP_AUTHORIZATION"] == "Basic YTpi"


def test_a_cookie_named_by_some_location_is_stripped_everywhere(c, session):
    token, _ = session
    assert c.get("/custom/x.txt", headers={"Cookie": "mysession=" + token}).status_code == 200
    env = cgi_env(c.get("/other-app/env.cgi", headers={"Cookie": "mysession=%s; a=1" % token}))
    assert env["HTTP_COOKIE"] == "a=1"


def test_repeated_cookie_still_refused_after_stripping(c, session):
    token, _ = session
    r = c.get("/files/hello.txt", headers={"Cookie": "tokenauth=%s; tokenauth=%s" % (token, token)})
    assert r.status_code == 401


# --- headers that later modules read -----------------------------------------------------------

def test_mod_headers_in_a_plain_location_sees_neither(c, session):
    token, _ = session
    r = c.get("/echo/x.txt", headers={"Cookie": "tokenauth=%s; keep=1" % token,
                                      "Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert r.headers.get("X-Seen-Cookie") == "keep=1"
    assert token not in r.headers.get("X-Seen-Authorization", "")


def test_redact_off_hands_the_bearer_on_but_never_the_cookie(c, session):
    token, _ = session
    r = c.get("/handoff/x.txt", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert r.headers["X-Seen-Authorization"] == "Bearer " + token
    r = c.get("/handoff/x.txt", headers={"Cookie": "tokenauth=" + token})
    assert r.status_code == 200
    assert token not in r.headers.get("X-Seen-Authorization", "")


# --- PHP inside an Apache child ----------------------------------------------------------------

@pytest.fixture(scope="module")
def php_srv(harness):
    s = php.start_php_server(harness, "strip-php")
    spy = s.paths.docroot / "spy.php"
    spy.write_text(SPY_PHP)
    os.chmod(spy, 0o644)
    return s


def test_php_application_never_sees_our_cookie_or_bearer(php_srv, alice):
    with Client(php_srv.base_url) as c:
        r = c.post("/login", json={"username": "alice", "password": alice.password})
        assert r.status_code == 200
        token = r.json()["token"]
        assert c.get("/files/hello.txt").status_code == 200   # the cookie jar's session works
        r = c.get("/spy.php", headers={"Cookie": "tokenauth=%s; app=1" % token})
        seen = r.json()
        assert token not in r.text
        assert seen["cookie"] == {"app": "1"}
        r = c.get("/spy.php", headers={"Authorization": "Bearer " + token})
        assert token not in r.text
        assert r.json()["server_authorization"] is None


# --- HTTPS: the __Host- prefix ------------------------------------------------------------------

@pytest.fixture(scope="module")
def https_srv(apache_factory):
    """A server whose scheme is https (ServerName with a scheme, as behind a TLS proxy)."""
    return apache_factory("strip-https", extra=[
        lambda p: "ServerName https://127.0.0.1:%d" % p.port])


def test_https_cookie_has_the_host_prefix_and_is_secure(https_srv, alice):
    with Client(https_srv.base_url) as c:
        r = c.post("/login", json={"username": "alice", "password": alice.password})
    assert r.status_code == 200
    sc = r.headers["Set-Cookie"]
    assert sc.startswith("__Host-tokenauth=")
    assert "Secure" in sc and "Path=/" in sc and "Domain" not in sc
    token = r.json()["token"]
    with Client(https_srv.base_url) as c:
        assert c.get("/files/hello.txt",
                     headers={"Cookie": "__Host-tokenauth=" + token}).status_code == 200
        # a cookie without the prefix could have been planted by a sibling host or plain HTTP
        assert c.get("/files/hello.txt",
                     headers={"Cookie": "tokenauth=" + token}).status_code == 401


def test_https_logout_clears_the_prefixed_cookie(https_srv, alice):
    with Client(https_srv.base_url) as c:
        token = c.post("/login", json={"username": "alice",
                                       "password": alice.password}).json()["token"]
        r = c.post("/logout", headers={"Cookie": "__Host-tokenauth=" + token,
                                       "Accept": "application/json"})
    assert r.status_code == 200
    assert r.headers["Set-Cookie"].startswith("__Host-tokenauth=;")


# --- mod_userdir ---------------------------------------------------------------------------------

def test_start_up_notice_when_mod_userdir_is_loaded(apache_factory):
    s = apache_factory("strip-userdir", extra=[
        "LoadModule userdir_module %s/mod_userdir.so" % paths.APACHE_MODULES,
        "UserDir public_html"])
    assert "TA00100" in s.error_log.text(0)


def test_no_userdir_notice_without_mod_userdir(srv):
    assert "TA00100" not in srv.error_log.text(0)
