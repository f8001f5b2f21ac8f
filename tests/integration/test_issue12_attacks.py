"""An attack review of issue 12's server side (pages for people, listings' links, revoking one
link): each attack stands beside the legitimate path through the same server.

- A listing answers a sub-request (mod_include's `#include virtual`, the same path a PHP
  virtual() or any output filter takes) with the main request's query token in its links:
  the raw token that TokenAuthRedact keeps from every later handler.
- A page's sign-out button must sign out what the page was opened with: a session that came
  in the query string (TokenAuthQuerySessions On) is not in the cookie the button's post
  carries, so the button "worked" (303 to the login page) and the session lived on.
- Back after signing out showed a file the person had opened (a file was "private, no-cache",
  which a browser's history navigation shows from its cache without asking again): a file
  opened as a page (Sec-Fetch-Mode: navigate) is now "no-store", while images and other
  subresources keep "no-cache" and their 304s. Proved in headless Chromium too.
- Not fixed (xfail, a design decision): one account's login+logout loop fills the
  revocation ledger, after which other users' logouts answer 503.
- What held: an ErrorDocument 401 script, now reached by browsers, sees no token from any
  source; paths with markup and line breaks stay text in pages and headers; markup in the
  query never reaches a listing's links (they carry the verified token only); the token field
  of tokenauth-logout refuses posts from sandboxed and sibling pages."""

import os
import re
import secrets
import shutil
import time

import pytest

from taharness import paths
from taharness.homefiles import make_files_as, mkdir_as
from taharness.http import Client, raw_request
from taharness.site import MINT

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SAME_ORIGIN_FORM = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "Accept": BROWSER}
ENV_CGI = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n"


def site(p) -> str:
    return f"""\
LoadModule include_module {paths.APACHE_MODULES}/mod_include.so
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    TokenAuthLogoutURL /logout
</Location>
<Location /hq>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    TokenAuthQuerySessions On
    TokenAuthLogoutURL /logout
</Location>
<Location /ssi>
    AuthType token
    AuthName "files"
    Require valid-user
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Location>
ScriptAlias /err-bin/ "{p.docroot}/err-bin/"
<Location /err-bin>
    CGIPassAuth On
</Location>
<Location /e401>
    AuthType token
    AuthName "files"
    Require valid-user
    ErrorDocument 401 /err-bin/env.cgi
</Location>
"""


def add_files(srv):
    d = srv.paths.docroot
    (d / "ssi").mkdir(parents=True, exist_ok=True)
    (d / "ssi" / "page.shtml").write_text(
        'query=<!--#echo var="QUERY_STRING" -->\n<!--#include virtual="/h/docs/" -->\n')
    (d / "e401").mkdir(parents=True, exist_ok=True)
    (d / "e401" / "x.txt").write_text("behind a token\n")
    cgi = d / "err-bin" / "env.cgi"
    cgi.parent.mkdir(parents=True, exist_ok=True)
    cgi.write_text(ENV_CGI)
    os.chmod(cgi, 0o755)
    for dirpath, _, files in os.walk(d):
        os.chmod(dirpath, 0o755)
        for f in files:
            if not f.endswith(".cgi"):
                os.chmod(os.path.join(dirpath, f), 0o644)


@pytest.fixture(scope="module")
def user(harness):
    u = harness.users.add_user("atk" + secrets.token_hex(3), "pw-" + secrets.token_hex(6))
    d = mkdir_as(u, u.host_home / "public")
    mkdir_as(u, d / "docs")
    make_files_as(u, d / "docs", ["a.txt"])
    yield u
    harness.users.delete_user(u.name)


@pytest.fixture(scope="module")
def srv(apache_factory, user):
    s = apache_factory("atk", extra=[MINT, site], start=False)
    add_files(s)
    return s.start()


@pytest.fixture
def c(srv):
    with Client(srv.base_url, timeout=30) as client:
        yield client


def sign_out_forms(text):
    return re.findall(r'<form method="post" action="([^"]*)">(.*?)</form>', text, re.S)


def login(srv, user):
    with Client(srv.base_url) as c:
        r = c.post("/login", json={"username": user.name, "password": user.password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


# --- a listing in a sub-request -------------------------------------------------------------

def test_a_sub_requests_listing_does_not_hand_the_query_token_to_its_includer(c, mint, user):
    """The SSI page (a later handler) gets the query scrubbed; the listing it includes
    must not put the raw token back into what it reads."""
    tok = mint(user.name, kind="url", scope="/", ttl=600)
    r = c.get("/ssi/page.shtml?token=" + tok, headers={"Accept": BROWSER})
    assert r.status_code == 200, r.text[:300]
    assert "query=token=REDACTED" in r.text, r.text[:300]
    assert "a.txt" in r.text, "the include ran with the request's token"
    assert tok not in r.text
    # the listing opened by the link itself still carries the token in its links
    r = c.get("/h/docs/?token=" + tok, headers={"Accept": BROWSER})
    assert r.status_code == 200
    assert 'href="./a.txt?token=%s"' % tok in r.text


# --- sign-out buttons sign out what the page was opened with --------------------------------

def test_a_sign_out_button_never_leaves_the_session_of_the_page_alive(srv, c, user):
    session = login(srv, user)
    r = c.get("/hq/docs/?token=" + session, headers={"Accept": BROWSER})
    assert r.status_code == 200, r.text[:300]
    assert "Signed in as <strong>%s</strong>" % user.name in r.text
    for action, fields in sign_out_forms(r.text):
        data = {"all": "1"} if 'name="all"' in fields else {}
        # what a browser posts from the page: no cookie (the session is in the address)
        with Client(srv.base_url) as browser:
            browser.post(action, data=data, headers=SAME_ORIGIN_FORM)
        assert c.get("/hq/docs/?token=" + session,
                     headers={"Accept": BROWSER}).status_code == 401, \
            "a button that says Sign out left the page's session signed in"


def test_a_cookie_sessions_page_keeps_its_working_buttons(srv, user):
    with Client(srv.base_url) as browser:
        assert browser.login_form(user.name, user.password).status_code == 303
        token = browser.cookies["tokenauth"]
        r = browser.get("/hq/docs/", headers={"Accept": BROWSER})
        forms = sign_out_forms(r.text)
        assert [a for a, _ in forms] == ["/logout", "/logout"]
        assert browser.post(forms[0][0], data={}, headers=SAME_ORIGIN_FORM).status_code == 303
    with Client(srv.base_url) as c:
        r = c.get("/hq/docs/", headers={"Cookie": "tokenauth=" + token})
        assert r.status_code == 401


# --- what held ------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["query", "cookie", "bearer"])
def test_an_errordocument_401_script_sees_no_token(c, mint, user, key_file, source):
    from taharness import tokens
    now = int(time.time())
    stale = tokens.forge(key_file.signing_key,
                         tokens.claims(user, now=now - 400, ttl=300, kind="url", scope="/e401/"))
    headers = {"Accept": BROWSER}
    path = "/e401/x.txt?p=1"
    if source == "query":
        path += "&token=" + stale
    elif source == "cookie":
        headers["Cookie"] = "tokenauth=%s; other=1" % stale
    else:
        headers["Authorization"] = "Bearer " + stale
    r = c.get(path, headers=headers)
    assert r.status_code == 401
    assert "REDIRECT_STATUS=401" in r.text, r.text[:300]
    assert stale not in r.text
    assert stale.split(".")[2] not in r.text
    assert "behind a token" not in r.text
    # with a valid token the file is served, and no error document runs
    good = mint(user.name, kind="url", scope="/e401/")
    r = c.get("/e401/x.txt?token=" + good, headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.text == "behind a token\n"


def test_markup_and_line_breaks_in_a_path_stay_text(srv, mint, user):
    tok = mint(user.name)
    target = "/h/docs/%3Cimg%20src=x%20onerror=alert(1)%3E%0d%0aX-Injected:%201%22'.txt"
    r = raw_request(srv.port, "GET", target,
                    headers=[("Accept", BROWSER), ("Cookie", "tokenauth=" + tok)])
    assert r.status == 404
    body = r.body.decode("ascii")
    assert "<img" not in body and "x-injected" not in {k.lower() for k, _ in r.headers}
    assert "&#x3C;img src=x onerror=alert(1)&#x3E;" in body, body
    assert (r.header("Content-Security-Policy") or "").startswith("default-src 'none'")


def test_markup_in_the_query_never_reaches_a_listings_links(c, mint, user):
    share = mint(user.name, kind="share", scope="/h/docs/", ttl=600)
    r = c.get('/h/docs/?x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&token=' + share,
              headers={"Accept": BROWSER})
    assert r.status_code == 200
    assert "<script" not in r.text and "alert(1)" not in r.text
    assert 'href="./a.txt?token=%s"' % share in r.text
    # two tokens in the query: refused, and the page names neither
    r = c.get("/h/docs/?token=%s&token=%s" % (share, share), headers={"Accept": BROWSER})
    assert r.status_code == 401 and share not in r.text and "a.txt" not in r.text


@pytest.mark.parametrize("origin,site", [("null", "cross-site"), ("null", "same-site"),
                                         ("null", None), ("http://evil.example", "cross-site")])
def test_the_token_field_refuses_sandboxed_and_foreign_pages(srv, c, user, origin, site):
    session = login(srv, user)
    r = c.post("/auth/mint", json={"path": "/h/docs/", "kind": "share"},
               headers={"Authorization": "Bearer " + session})
    assert r.status_code == 200, r.text
    link = r.json()["token"]
    headers = {"Origin": origin, "Accept": BROWSER, "Cookie": "tokenauth=" + session}
    if site:
        headers["Sec-Fetch-Site"] = site
    r = c.post("/logout", data={"token": link}, headers=headers)
    assert r.status_code == 403
    assert c.get("/h/docs/?token=" + link).status_code == 200
    # the owner's own page posts it
    r = c.post("/logout", data={"token": link},
               headers=dict(SAME_ORIGIN_FORM, Cookie="tokenauth=" + session))
    assert r.status_code == 303
    assert c.get("/h/docs/?token=" + link).status_code == 401


# --- filling the revocation ledger ----------------------------------------------------------

def test_one_accounts_logouts_cannot_take_away_another_users_logout(apache_factory, harness,
                                                                   expect_error_log):
    """An attacker with an account of their own logs in and out through the real handlers,
    more often than the 100 single revocations an hour that take a ledger slot each: past
    them every logout of theirs revokes all their tokens (one cutoff entry, updated in place)
    instead of taking another slot. TokenAuthRevocationSlots 256 would be full after 256
    slotted logouts; with the bound, another user's logout still revokes just that token."""
    attacker = harness.users.add_user("flood" + secrets.token_hex(3), "pw-" + secrets.token_hex(6))
    victim = harness.users.add_user("vict" + secrets.token_hex(3), "pw-" + secrets.token_hex(6))
    expect_error_log(r"TA00138: logout of flood")
    try:
        s = apache_factory("flood", extra=["TokenAuthRevocationSlots 256",
                                           "TokenAuthLoginThrottle 1000 300 300"])
        with Client(s.base_url) as c:
            def session(u):
                r = c.post("/login", json={"username": u.name, "password": u.password})
                assert r.status_code == 200, r.text
                return r.json()["token"]

            def logout(tok):
                return c.post("/logout", json={}, headers={"Authorization": "Bearer " + tok})
            answers = []
            for _ in range(300):
                r = logout(session(attacker))
                # a session from the very second of a widened logout is already revoked
                assert r.status_code in (200, 401), r.text
                answers.append(r.json()["revoked"] if r.status_code == 200 else "gone")
            assert answers[:100] == ["token"] * 100
            assert "all" in answers[100:] and "token" not in answers[100:], " ".join(answers)
            time.sleep(1.1)  # a session of a later second than the attacker's cutoff
            mine, other = session(victim), session(victim)
            r = logout(mine)
            assert r.status_code == 200, r.text
            assert r.json()["revoked"] == "token"
            r = c.get("/files/hello.txt", headers={"Authorization": "Bearer " + other})
            assert r.status_code == 200, "the victim's other session lives on"
            r = c.get("/files/hello.txt", headers={"Authorization": "Bearer " + mine})
            assert r.status_code == 401, "the victim's logout took effect"
            # the attacker's own next session works: widening ends what was, not what comes
            time.sleep(1.1)
            assert c.get("/files/hello.txt", headers={
                "Authorization": "Bearer " + session(attacker)}).status_code == 200
    finally:
        harness.users.delete_user(attacker.name)
        harness.users.delete_user(victim.name)


# --- Back after signing out -----------------------------------------------------------------

FILE_TEXT = "TOP-SECRET-CONTENT\n"


@pytest.fixture(scope="module")
def secret(user):
    from taharness.homefiles import put_file
    put_file(user, "docs/secret.txt", FILE_TEXT)
    return "/h/docs/secret.txt"


def test_a_file_opened_as_a_page_is_never_stored_and_a_subresource_is_revalidated(
        srv, c, user, secret):
    session = login(srv, user)
    nav = {"Cookie": "tokenauth=" + session, "Accept": BROWSER, "Sec-Fetch-Mode": "navigate",
           "Sec-Fetch-Dest": "document"}
    r = c.get(secret, headers=nav)
    assert r.status_code == 200 and r.text == FILE_TEXT
    assert r.headers["Cache-Control"] == "private, no-store"
    assert "Sec-Fetch-Mode" in r.headers.get("Vary", "")
    sub = {"Cookie": "tokenauth=" + session, "Sec-Fetch-Mode": "no-cors",
           "Sec-Fetch-Dest": "image"}
    r = c.get(secret, headers=sub)
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert "Sec-Fetch-Mode" in r.headers.get("Vary", "")
    again = c.get(secret, headers=dict(sub, **{"If-None-Match": r.headers["ETag"]}))
    assert again.status_code == 304
    # a client that sends no Sec-Fetch-Mode keeps what it always got
    assert c.get(secret, headers={"Cookie": "tokenauth=" + session}).headers[
        "Cache-Control"] == "private, no-cache"


def wait_for_url(d, suffix: str, timeout: float = 10) -> None:
    """Until the browser is at a URL ending with suffix: a click that submits a form returns
    before the navigation it starts has ended, and a d.get() meanwhile would cut it off."""
    deadline = time.time() + timeout
    while not d.current_url.endswith(suffix) and time.time() < deadline:
        time.sleep(0.1)
    assert d.current_url.endswith(suffix), d.current_url


def test_back_after_signing_out_shows_no_file_in_a_browser(srv, user, secret):
    """Headless Chromium: sign in, open a file, open the listing, press Sign out, go back."""
    assert shutil.which("chromedriver"), "chromedriver is not installed (chromium-driver)"
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    d = webdriver.Chrome(options=options)
    try:
        base = srv.base_url
        d.get(base + "/login?return=/h/docs/")
        d.find_element(By.NAME, "username").send_keys(user.name)
        d.find_element(By.NAME, "password").send_keys(user.password)
        d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for_url(d, "/h/docs/")  # signed in: the cookie is set
        d.get(base + secret)
        assert "TOP-SECRET-CONTENT" in d.page_source, "the file opens while signed in"
        d.get(base + "/h/docs/")
        d.find_element(By.XPATH, "//button[text()='Sign out']").click()
        wait_for_url(d, "/login")
        d.back()  # the listing: asked again, refused
        assert "secret.txt" not in d.page_source
        d.back()  # the file
        time.sleep(0.3)
        assert d.current_url.endswith(secret)
        assert "TOP-SECRET-CONTENT" not in d.page_source, "Back showed the file after sign-out"
    finally:
        d.quit()
