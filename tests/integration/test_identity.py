"""What a token-authenticated request tells later modules (SPEC §5): r->user, AUTH_TYPE=token
and TOKENAUTH_UID/KIND/EXPIRES, seen through mod_headers expressions, `Require user` and a
CGI; and the headers every token-authenticated response carries."""

import pytest

from taharness import expect, tokens
from taharness.http import Client
from taharness.site import FILES


def cgi_env(resp) -> dict:
    assert resp.status_code == 200, resp.status_code
    return dict(line.split("=", 1) for line in resp.text.splitlines())


@pytest.fixture(scope="module")
def session_token(mint, alice):
    return mint("alice")


@pytest.fixture(scope="module")
def http_module(server):
    with Client(server.base_url) as c:
        yield c


@pytest.fixture(scope="module")
def identity(http_module, session_token):
    r = http_module.get("/env/id.txt", headers={"Authorization": "Bearer " + session_token})
    assert r.status_code == 200, r.status_code
    return r


def test_remote_user_is_the_token_subject(identity):
    assert identity.headers["X-Ta-User"] == "alice"


def test_auth_type_is_token(identity):
    assert identity.headers["X-Ta-Auth-Type"] == "token"


def test_tokenauth_uid_is_the_users_uid(identity, alice):
    assert identity.headers["X-Ta-Uid"] == str(alice.uid)


def test_tokenauth_kind_is_session(identity):
    assert identity.headers["X-Ta-Kind"] == "session"


def test_tokenauth_expires_is_the_tokens_exp(identity, session_token):
    assert identity.headers["X-Ta-Expires"] == str(tokens.parts(session_token)[1]["exp"])


def test_url_token_kind_visible(http, mint):
    r = http.get("/env/id.txt?token=" + mint("alice", kind="url", scope="/env/"))
    assert (r.status_code, r.headers["X-Ta-Kind"]) == (200, "url")


def test_cgi_sees_the_identity(http, session_token, alice):
    env = cgi_env(http.get("/cgi/env.cgi", headers={"Authorization": "Bearer " + session_token}))
    assert env["REMOTE_USER"] == "alice"
    assert env["AUTH_TYPE"] == "token"
    assert env["TOKENAUTH_UID"] == str(alice.uid)
    assert env["TOKENAUTH_KIND"] == "session"
    assert env["TOKENAUTH_EXPIRES"].isdigit()


def test_require_user_admits_the_named_user(http, session_token):
    expect.served(http.get("/only-alice/hello.txt",
                           headers={"Authorization": "Bearer " + session_token}),
                  FILES["only-alice/hello.txt"])


AUTHZ_FAILURE = r"AH01631: user bob: authorization failure"


def test_require_user_refuses_another_valid_user(http, mint, bob, expect_error_log):
    expect_error_log(AUTHZ_FAILURE)
    r = http.get("/only-alice/hello.txt", headers={"Authorization": "Bearer " + mint("bob")})
    assert r.status_code in (401, 403)
    assert FILES["only-alice/hello.txt"] not in r.text


def test_require_user_refusal_carries_a_bearer_challenge(http, mint, bob, expect_error_log):
    """A 401 must say how to authenticate (RFC 7235 §3.1); mod_authz_core answers a failed
    Require with 401 and asks the AuthType's module to add its challenge."""
    expect_error_log(AUTHZ_FAILURE)
    r = http.get("/only-alice/hello.txt", headers={"Authorization": "Bearer " + mint("bob")})
    if r.status_code == 401:
        assert r.headers.get("WWW-Authenticate", "").startswith('Bearer realm="files"'), \
            "401 without a Bearer challenge: %r" % dict(r.headers)
    else:
        assert r.status_code == 403


def test_token_response_has_no_referrer_policy(identity):
    assert identity.headers["Referrer-Policy"] == "no-referrer"


def test_token_response_is_private(identity):
    assert "private" in identity.headers["Cache-Control"]


def test_query_token_response_is_private_and_no_referrer(http, mint):
    r = http.get("/files/hello.txt?token=" + mint("alice", kind="url", scope="/files/"))
    assert r.status_code == 200
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in r.headers["Cache-Control"]


def test_not_found_under_a_token_is_private_too(http, session_token):
    r = http.get("/files/missing.txt", headers={"Authorization": "Bearer " + session_token})
    assert r.status_code == 404
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in r.headers["Cache-Control"]


def test_unauthenticated_location_gets_no_token_headers(http):
    r = http.get("/open/hello.txt")
    assert r.status_code == 200
    assert "Referrer-Policy" not in r.headers
