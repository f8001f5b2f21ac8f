"""Where a token may come from (SPEC §3, §5): query, cookie, bearer; one token per source;
bearer before query before cookie; what a request without a valid token gets."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from taharness import expect
from taharness.http import Client, raw_request
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]


@pytest.fixture(scope="module")
def session_token(mint, alice):
    return mint("alice")


@pytest.fixture(scope="module")
def url_token(mint, alice):
    return mint("alice", kind="url", scope="/files/")


@pytest.fixture(scope="module")
def bad_token(session_token):
    """A session token whose signature no longer matches (last MAC character changed)."""
    return session_token[:-2] + ("AA" if not session_token.endswith("AA") else "BA")


@pytest.fixture(scope="module")
def query_sessions_server(apache_factory):
    return apache_factory("query-sessions", extra=["TokenAuthQuerySessions On"])


# --- each source on its own --------------------------------------------------------------

def test_url_token_in_query_accepted(http, url_token):
    expect.served(http.get("/files/hello.txt?token=" + url_token), HELLO)


def test_session_token_in_cookie_accepted(http, session_token):
    expect.served(http.get("/files/hello.txt", headers={"Cookie": "tokenauth=" + session_token}),
                  HELLO)


def test_session_token_among_other_cookies_accepted(http, session_token):
    cookie = "theme=dark; tokenauth=%s; lang=en" % session_token
    expect.served(http.get("/files/hello.txt", headers={"Cookie": cookie}), HELLO)


def test_session_token_as_bearer_accepted(http, session_token):
    expect.served(http.get("/files/hello.txt",
                           headers={"Authorization": "Bearer " + session_token}), HELLO)


def test_bearer_scheme_name_is_case_insensitive(http, session_token):
    expect.served(http.get("/files/hello.txt",
                           headers={"Authorization": "bearer " + session_token}), HELLO)


def test_query_session_token_refused_by_default(http, session_token):
    expect.refused(http.get("/files/hello.txt?token=" + session_token))


def test_query_session_token_accepted_with_query_sessions_on(query_sessions_server,
                                                            session_token):
    with Client(query_sessions_server.base_url) as c:
        expect.served(c.get("/files/hello.txt?token=" + session_token), HELLO)


def test_query_sessions_on_still_refuses_a_bad_query_token(query_sessions_server, bad_token):
    with Client(query_sessions_server.base_url) as c:
        expect.refused(c.get("/files/hello.txt?token=" + bad_token))


# --- one token per source ----------------------------------------------------------------

def refused_as_repeated(server, send):
    """send() makes the request; it must be the invalid_token 401, refused as repeated."""
    mark = server.error_log.mark()
    status, challenge = send()
    assert status == 401, status
    assert 'error="invalid_token"' in challenge, challenge
    assert expect.refusal_reasons(server, mark) == ["repeated"]


def via_client(http, path, headers=None):
    def send():
        r = http.get(path, headers=headers or {})
        return r.status_code, r.headers.get("WWW-Authenticate", "")
    return send


def via_raw(server, headers):
    def send():
        r = raw_request(server.port, "GET", "/files/hello.txt", headers=headers)
        return r.status, r.header("WWW-Authenticate") or ""
    return send


def test_repeated_query_token_refused(server, http, url_token):
    refused_as_repeated(server, via_client(
        http, "/files/hello.txt?token=%s&token=%s" % (url_token, url_token)))


def test_repeated_cookie_in_one_header_refused(server, http, session_token):
    cookie = "tokenauth=%s; tokenauth=%s" % (session_token, session_token)
    refused_as_repeated(server, via_client(http, "/files/hello.txt", {"Cookie": cookie}))


def test_token_cookie_in_two_cookie_headers_refused(server, session_token):
    refused_as_repeated(server, via_raw(server, [
        ("Cookie", "tokenauth=" + session_token), ("Cookie", "tokenauth=" + session_token)]))


def test_two_bearer_credentials_in_one_header_refused(server, http, session_token):
    value = "Bearer %s, Bearer %s" % (session_token, session_token)
    refused_as_repeated(server, via_client(http, "/files/hello.txt", {"Authorization": value}))


def test_two_authorization_headers_refused(server, session_token):
    refused_as_repeated(server, via_raw(server, [
        ("Authorization", "Bearer " + session_token),
        ("Authorization", "Bearer " + session_token)]))


# --- precedence across sources -----------------------------------------------------------

def test_good_bearer_wins_over_bad_cookie(http, session_token, bad_token):
    expect.served(http.get("/files/hello.txt", headers={
        "Authorization": "Bearer " + session_token, "Cookie": "tokenauth=" + bad_token}), HELLO)


def test_good_bearer_wins_over_bad_query_token(http, session_token, bad_token):
    expect.served(http.get("/files/hello.txt?token=" + bad_token,
                           headers={"Authorization": "Bearer " + session_token}), HELLO)


def test_bad_bearer_not_rescued_by_good_cookie(http, session_token, bad_token):
    expect.refused(http.get("/files/hello.txt", headers={
        "Authorization": "Bearer " + bad_token, "Cookie": "tokenauth=" + session_token}))


def test_bad_bearer_not_rescued_by_good_query_token(http, url_token, bad_token):
    expect.refused(http.get("/files/hello.txt?token=" + url_token,
                            headers={"Authorization": "Bearer " + bad_token}))


def test_good_query_token_wins_over_bad_cookie(http, url_token, bad_token):
    expect.served(http.get("/files/hello.txt?token=" + url_token,
                           headers={"Cookie": "tokenauth=" + bad_token}), HELLO)


def test_bad_query_token_not_rescued_by_good_cookie(http, session_token, bad_token):
    expect.refused(http.get("/files/hello.txt?token=" + bad_token,
                            headers={"Cookie": "tokenauth=" + session_token}))


def test_other_authorization_scheme_is_no_token(http, session_token):
    """Basic credentials are not a bearer token: the cookie is used."""
    expect.served(http.get("/files/hello.txt", headers={
        "Authorization": "Basic YWxpY2U6eA==", "Cookie": "tokenauth=" + session_token}), HELLO)


# --- without a valid token ---------------------------------------------------------------

def test_missing_token_gets_bearer_challenge_without_error(http):
    r = http.get("/files/hello.txt")
    expect.challenged(r)
    assert "error" in json.loads(r.text)
    assert HELLO not in r.text


def test_refused_token_gets_invalid_token_challenge(http, bad_token):
    r = http.get("/files/hello.txt", headers={"Authorization": "Bearer " + bad_token})
    expect.refused(r)
    assert json.loads(r.text) == {"error": "invalid_token",
                                  "error_description": "The token is malformed or does not verify"}


def test_browser_without_token_redirected_to_login_with_return_path(http):
    r = http.get("/web/sub dir/hello.txt", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 302, r.status_code
    loc = urlsplit(r.headers["Location"])
    assert loc.path == "/login"
    assert parse_qs(loc.query) == {"return": ["/web/sub dir/hello.txt"]}
    assert " " not in r.headers["Location"]


def test_browser_with_refused_token_redirected_to_login(http, bad_token):
    r = http.get("/web/hello.txt", headers={"Accept": "text/html",
                                            "Cookie": "tokenauth=" + bad_token})
    assert r.status_code == 302, r.status_code
    assert r.headers["Location"].startswith("/login?return=")


def test_api_client_at_login_location_gets_401(http):
    expect.challenged(http.get("/web/hello.txt", headers={"Accept": "application/json"}))


def test_browser_without_login_url_gets_401_with_a_page(http):
    r = http.get("/files/hello.txt", headers={"Accept": "text/html"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="files"'
    assert r.headers["Content-Type"].startswith("text/html")
    assert "You are not signed in" in r.text


def test_valid_token_at_login_location_served(http, session_token):
    expect.served(http.get("/web/hello.txt", headers={"Accept": "text/html",
                                                      "Cookie": "tokenauth=" + session_token}),
                  FILES["web/hello.txt"])
