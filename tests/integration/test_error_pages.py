"""Pages for people (issue 12; docs/handlers.md): a browser (Accept: text/html) that is refused
gets a small styled HTML page saying what happened and what to do, by reason, never JSON; an
API client keeps JSON, with an error_description that tells an expired token from one out of
its scope, a revoked one and a malformed one. Home refusals (403, 404, 405) get pages too,
unless the administrator set an ErrorDocument. HTML listings and error pages show who is
signed in, with sign-out buttons posting to TokenAuthLogoutURL; listings are never stored by
a browser's cache. A throttled form login says how many minutes to wait."""

import html
import json
import os
import re
import secrets
import signal
import time
from urllib.parse import quote

import pytest

from taharness import helperproc, tokens
from taharness.homefiles import make_files_as, mkdir_as
from taharness.http import Client, raw_request
from taharness.waiting import wait_until

SITE = """
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    TokenAuthLogoutURL /logout
</Location>
<Location /plain>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
<Location /admin>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    TokenAuthLogoutURL /logout
    ErrorDocument 404 "admin-404-text"
    ErrorDocument 401 "admin-401-text"
</Location>
"""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# What Chrome sends for a form posted from one of our no-referrer pages.
SAME_ORIGIN_FORM = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "Accept": BROWSER}
EVIL = '<script>alert(1)<script>"x\'&.txt'
HELLO = "/files/hello.txt"


@pytest.fixture(scope="module")
def user(harness):
    """An account of this module's own: the tests log it out everywhere."""
    u = harness.users.add_user("pages" + secrets.token_hex(3), "pw-" + secrets.token_hex(6))
    d = mkdir_as(u, u.host_home / "public")
    mkdir_as(u, d / "docs")
    make_files_as(u, d / "docs", ["a.txt", EVIL, "caf\u00e9.txt"])
    (d / "docs" / "roots.txt").write_text("root's")  # owned by root: TokenAuthOwnerOnly On
    yield u
    harness.users.delete_user(u.name)


@pytest.fixture(scope="module")
def srv(apache_factory, user):
    return apache_factory("pages", extra=[SITE])


@pytest.fixture
def c(srv):
    with Client(srv.base_url) as client:
        yield client


@pytest.fixture(scope="module")
def key(key_file):
    return key_file.signing_key


def browse(c, path, token=None, source="cookie", method="GET", **kw):
    headers = {"Accept": BROWSER}
    headers.update(kw.pop("headers", {}) or {})
    if token and source == "cookie":
        headers["Cookie"] = "tokenauth=" + token
    elif token and source == "query":
        path += ("&" if "?" in path else "?") + "token=" + token
    return c.request(method, path, headers=headers, **kw)


def page(r, status):
    """r is one of our pages with status: HTML, ASCII only, with a viewport; its text."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
    assert "application/json" not in r.headers["Content-Type"]
    assert all(b < 0x80 for b in r.content), "pages are ASCII (entities for the rest)"
    assert 'name="viewport"' in r.text
    assert "prefers-color-scheme:dark" in r.text
    assert not re.search(r'(src|href)="(https?:)?//', r.text), "nothing fetched from outside"
    return r.text


def h1(text):
    m = re.search(r"<h1>(.*?)</h1>", text, re.S)
    assert m, text[:300]
    return html.unescape(m.group(1))


def expired(key, u, **kw):
    now = int(time.time())
    return tokens.forge(key, tokens.claims(u, now=now - 400, ttl=300, **kw))


# --- the access checker: a page by reason for browsers ---------------------------------------

def test_browser_without_token_is_told_it_is_not_signed_in(c):
    r = browse(c, HELLO)
    text = page(r, 401)
    assert h1(text) == "You are not signed in"
    assert "Sign in, then open this address again." in text
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="files"'
    assert r.headers["Cache-Control"] == "no-store"
    assert "hello, files" not in text


def test_expired_link_and_expired_session_pages(c, key, user):
    r = browse(c, HELLO, expired(key, user, kind="url", scope="/files/"), source="query")
    assert h1(page(r, 401)) == "This link has expired"
    assert "Ask the person who shared it for a new link." in r.text
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    r = browse(c, HELLO, expired(key, user))
    assert h1(page(r, 401)) == "Your session has expired"


def test_link_for_another_file_or_method_is_not_valid_for_this_file(c, mint, user):
    other = mint(user.name, kind="share", scope="/files/a/")
    r = browse(c, HELLO, other, source="query")
    assert h1(page(r, 401)) == "This link is not valid for this file"
    own = mint(user.name, kind="share", scope=HELLO)
    r = browse(c, HELLO, own, source="query", method="POST", data="x=1",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert h1(page(r, 401)) == "This link is not valid for this file"
    assert browse(c, HELLO, own, source="query").text == "hello, files\n", "the link itself works"


def test_revoked_session_page(c, mint, user):
    token = mint(user.name)
    assert browse(c, HELLO, token).status_code == 200
    r = c.post("/logout", json={}, headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, r.text
    assert h1(page(browse(c, HELLO, token), 401)) == "You have been signed out"


def test_garbage_link_and_garbage_cookie_pages(c):
    r = browse(c, HELLO, "not.a.token", source="query")
    assert h1(page(r, 401)) == "This link is not valid"
    assert "copied the whole address" in r.text
    assert "not.a.token" not in r.text, "the token is never echoed"
    assert h1(page(browse(c, HELLO, "garbage"), 401)) == "Your sign-in is not valid"


def test_browser_at_a_location_with_login_url_is_still_redirected(c):
    r = browse(c, "/web/hello.txt", "not.a.token")
    assert r.status_code == 302
    assert r.headers["Location"].lower() == "/login?return=%2fweb%2fhello.txt"


# --- API clients keep JSON, with error_description --------------------------------------------

DESCRIPTIONS = {
    "expired": "The token has expired",
    "scope": "The token is not valid for this path or method",
    "revoked": "The token has been revoked",
    "malformed": "The token is malformed or does not verify",
}


@pytest.fixture
def refused_tokens(c, key, mint, user):
    revoked = mint(user.name)
    assert c.post("/logout", json={}, headers={"Authorization": "Bearer " + revoked}).ok
    return {
        "expired": expired(key, user),
        "scope": mint(user.name, kind="url", scope="/files/a/"),
        "revoked": revoked,
        "malformed": "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
    }


@pytest.mark.parametrize("accept", ["application/json", None, "text/html, application/json"])
@pytest.mark.parametrize("why", sorted(DESCRIPTIONS))
def test_api_clients_get_json_with_an_error_description(c, refused_tokens, why, accept):
    headers = {"Authorization": "Bearer " + refused_tokens[why]}
    if accept:
        headers["Accept"] = accept
    r = c.get(HELLO, headers=headers)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"error": "invalid_token", "error_description": DESCRIPTIONS[why]}
    assert r.headers["WWW-Authenticate"] == (
        'Bearer realm="files", error="invalid_token", error_description="%s"' % DESCRIPTIONS[why])


def test_api_client_without_token_keeps_the_bare_challenge(c):
    r = c.get(HELLO, headers={"Accept": "application/json"})
    assert r.status_code == 401
    assert r.json() == {"error": "unauthorized"}
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="files"'


# --- home refusals ----------------------------------------------------------------------------

def test_missing_file_page_names_the_address_escaped(c, mint, user):
    token = mint(user.name)
    r = browse(c, "/h/docs/" + quote("<script>alert(1)</script>caf\u00e9"), token)
    text = page(r, 404)
    assert h1(text) == "Not found"
    assert "Accept" in r.headers["Vary"], "the API client's answer differs"
    assert "<script>" not in text
    assert "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;caf&#xE9;" in text
    assert "Signed in as <strong>%s</strong>" % user.name in text
    assert '<a href="/h">Go to your files</a>' in text


def test_file_of_another_owner_gets_the_not_yours_page(c, mint, user):
    r = browse(c, "/h/docs/roots.txt", mint(user.name))
    assert h1(page(r, 403)) == "You cannot open this"
    assert "root's" not in r.text
    assert "not yours" in r.text


def test_other_methods_get_a_405_page_with_allow(c, mint, user):
    r = browse(c, "/h/docs/a.txt", mint(user.name), method="DELETE")
    assert h1(page(r, 405)) == "This is not possible here"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) - {"TRACE", "OPTIONS"} == \
        {"GET", "HEAD"}


def test_helper_away_gets_the_busy_page(srv, c, mint, user, expect_error_log):
    expect_error_log(r"TA00040: home file for %s: " % user.name)
    token = mint(user.name)
    live = [p for p in helperproc.helpers_of(srv) if p.state != "Z"]
    assert len(live) == 1, live
    os.kill(live[0].pid, signal.SIGSTOP)
    try:
        r = browse(c, "/h/docs/never-opened-%s.txt" % secrets.token_hex(4), token)
        assert h1(page(r, 503)) == "Busy for a moment"
        assert r.headers["Retry-After"].isdigit()
    finally:
        os.kill(live[0].pid, signal.SIGCONT)
    assert wait_until(lambda: browse(c, "/h/docs/a.txt", token).status_code == 200, 10)


def test_api_clients_of_home_get_no_page(c, mint, user):
    r = c.get("/h/docs/missing.txt", headers={"Authorization": "Bearer " + mint(user.name),
                                               "Accept": "application/json"})
    assert r.status_code == 404
    assert "Go to your files" not in r.text and "Signed in as" not in r.text


def test_an_errordocument_of_the_administrator_wins(c, mint, user):
    r = browse(c, "/admin/docs/missing.txt", mint(user.name))
    assert r.status_code == 404
    assert r.text.strip() == "admin-404-text"
    r = browse(c, "/admin/docs/a.txt")
    assert r.status_code == 401
    assert r.text.strip() == "admin-401-text"
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="files"'
    # the same refusals without an ErrorDocument are ours
    assert h1(page(browse(c, "/h/docs/missing.txt", mint(user.name)), 404)) == "Not found"


# --- listings -----------------------------------------------------------------------------

def sign_out_forms(text):
    return re.findall(r'<form method="post" action="([^"]*)">(.*?)</form>', text, re.S)


def test_listing_shows_who_is_signed_in_and_the_sign_out_buttons(c, mint, user):
    text = browse(c, "/h/docs/", mint(user.name)).text
    assert "Signed in as <strong>%s</strong>" % user.name in text
    forms = sign_out_forms(text)
    assert [a for a, _ in forms] == ["/logout", "/logout"]
    assert 'name="all" value="1"' not in forms[0][1]
    assert '<input type="hidden" name="all" value="1">' in forms[1][1]
    assert "Sign out everywhere" in forms[1][1]
    assert 'name="viewport"' in text and "Parent directory" in text and "<time" in text


def test_listing_without_logout_url_has_no_button(c, mint, user):
    text = browse(c, "/plain/docs/", mint(user.name)).text
    assert "Signed in as <strong>%s</strong>" % user.name in text
    assert sign_out_forms(text) == []


def test_listing_of_a_share_link_names_the_owner_and_signs_nobody_out(c, mint, user):
    share = mint(user.name, kind="share", scope="/h/docs/")
    r = browse(c, "/h/docs/", share, source="query")
    assert r.status_code == 200
    assert "Shared by <strong>%s</strong>" % user.name in r.text
    assert "Signed in as" not in r.text
    assert sign_out_forms(r.text) == []


def test_listing_escapes_a_script_in_a_file_name(c, mint, user):
    text = browse(c, "/h/docs/", mint(user.name)).text
    assert "<script>" not in text
    assert html.escape(EVIL, quote=True).replace("&#x27;", "'") in text
    assert 'href="./%3cscript%3ealert(1)%3cscript%3e%22x\'&amp;.txt"' in text


@pytest.mark.parametrize("accept", [BROWSER, "application/json"])
def test_listings_are_never_stored(c, mint, user, accept):
    r = c.get("/h/docs/", headers={"Accept": accept, "Cookie": "tokenauth=" + mint(user.name)})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-store"
    r = c.get("/h/docs/a.txt", headers={"Cookie": "tokenauth=" + mint(user.name)})
    assert r.headers["Cache-Control"] == "private, no-cache", "files are revalidated, as before"


def test_the_sign_out_button_posts_and_logs_out(srv, user):
    with Client(srv.base_url) as browser:
        assert browser.login_form(user.name, user.password).status_code == 303
        token = browser.cookies["tokenauth"]
        listing = browser.get("/h/docs/", headers={"Accept": BROWSER})
        action, fields = sign_out_forms(listing.text)[0]
        # a page of someone else's site (Sec-Fetch-Site cross-site) cannot use the button
        r = browser.post(action, data={}, headers=dict(SAME_ORIGIN_FORM,
                                                       **{"Sec-Fetch-Site": "cross-site"}))
        assert r.status_code == 403
        assert browser.get("/h/docs/", headers={"Accept": BROWSER}).status_code == 200
        r = browser.post(action, data={}, headers=SAME_ORIGIN_FORM)
        assert r.status_code == 303, r.text[:300]
        assert r.headers["Location"] == "/login"
        assert "tokenauth" not in browser.cookies
    with Client(srv.base_url) as c:
        r = browse(c, "/h/docs/", token)
        assert h1(page(r, 401)) == "You have been signed out"
        assert "a.txt" not in r.text


def test_the_sign_out_everywhere_button_ends_every_session(srv, mint, user):
    time.sleep(1.05 - (time.time() % 1.0))  # tokens of the second of an earlier logout-all
    other = mint(user.name)
    with Client(srv.base_url) as browser:
        assert browser.login_form(user.name, user.password).status_code == 303
        listing = browser.get("/h/docs/", headers={"Accept": BROWSER})
        action, fields = sign_out_forms(listing.text)[1]
        assert browser.post(action, data={"all": "1"},
                            headers=SAME_ORIGIN_FORM).status_code == 303
    with Client(srv.base_url) as c:
        assert h1(page(browse(c, "/h/docs/", other), 401)) == "You have been signed out"


# --- the login page ------------------------------------------------------------------------

def test_login_page_has_a_viewport(c):
    r = c.get("/login")
    assert r.status_code == 200
    assert 'name="viewport"' in r.text and "prefers-color-scheme:dark" in r.text


@pytest.fixture(scope="module")
def throttling(apache_factory, user):
    return apache_factory("throttle", extra=["TokenAuthLoginThrottle 1 300 150"])


def login_from(srv, address, form):
    body = "username=nobody%s&password=x" % address.replace(".", "")
    if form:
        ctype = "application/x-www-form-urlencoded"
    else:
        ctype, body = "application/json", json.dumps({"username": "nobody", "password": "x"})
    return raw_request(srv.port, "POST", "/login", [("Content-Type", ctype)], body.encode(),
                       source=address)


@pytest.mark.parametrize("form", [True, False])
def test_throttled_login_says_how_many_minutes(throttling, form):
    address = "127.0.77.%d" % (2 if form else 3)
    assert login_from(throttling, address, form).status == 401
    r = login_from(throttling, address, form)
    assert r.status == 429
    assert 140 <= int(r.header("Retry-After")) <= 150
    if form:
        assert r.header("Content-Type").startswith("text/html")
        assert b"Too many attempts. Try again in 3 minutes." in r.body
        assert b"<form" in r.body and b'name="viewport"' in r.body
    else:
        assert r.header("Content-Type").startswith("application/json")
        assert json.loads(r.body) == {"error": "throttled"}
