"""Signing in to the web app: the right password lists the user's files, a wrong one says so
and lists nothing, and after too many failures the app says when to try again."""

import re

import pytest

# The throttle server's policy: 2 failures within 300 s lock the name (and the address) out for
# 300 s, i.e. "try again in 5 minutes".
THROTTLE_LIMIT = 2
THROTTLE_LOCKOUT = 300


def test_sign_in_lists_the_users_files(browser, alice):
    browser.fresh_sign_in(alice)
    rows = dict(browser.rows())
    assert rows.get("Photos") == "dir"
    assert rows.get("Documents") == "dir"
    assert rows.get("readme.txt") == "file"
    assert ".secret" not in rows                       # dot-files stay hidden
    assert browser.find("#whoami").text.strip() == "alice"
    assert not browser.is_visible("form#signin-form")
    # the session is an HttpOnly cookie; the app keeps no token where scripts can read it
    cookies = browser.cookies()
    assert cookies and all(c["httpOnly"] for c in cookies), cookies
    stored = browser.js("return JSON.stringify([Object.entries(localStorage),"
                        " Object.entries(sessionStorage), document.cookie])")
    assert "eyJ" not in stored, "a token is kept where scripts read it: " + stored


def test_wrong_password_says_so_and_lists_nothing(browser, alice):
    browser.get("/app/")
    browser.driver.delete_all_cookies()
    browser.get("/app/")
    browser.sign_in("alice", "not-" + alice.password, expect_files=False)
    browser.visible("#signin-error")
    text = browser.wait(lambda d: browser.find("#signin-error").text.strip(),
                        what="a message in #signin-error")
    assert browser.find("#signin-error").get_attribute("role") == "alert"
    assert not re.search(r"minute|too many", text, re.I), text
    assert browser.rows() == []
    assert browser.is_visible("form#signin-form")
    assert browser.cookies() == []
    # the legitimate path from the same page, the message gone
    browser.sign_in("alice", alice.password)
    assert "Photos" in browser.row_names()
    assert not browser.is_visible("#signin-error") or not browser.find("#signin-error").text.strip()


@pytest.fixture(scope="module")
def throttled_server(apache_factory):
    return apache_factory("throttle", extra=["TokenAuthLoginThrottle %d 300 %d"
                                             % (THROTTLE_LIMIT, THROTTLE_LOCKOUT)])


def logins(srv) -> int:
    """How many sign-ins srv has answered (its access log)."""
    return sum(1 for ln in srv.access_log.lines() if '"POST /login ' in ln)


def test_throttled_sign_in_says_when_to_try_again(new_browser, throttled_server, carol):
    b = new_browser("throttle", on=throttled_server)
    b.open_app()
    b.sign_in(carol.name, carol.password)              # the legitimate path works here
    b.driver.delete_all_cookies()
    b.open_app()
    for _ in range(THROTTLE_LIMIT):
        answered = logins(throttled_server) + 1
        b.sign_in(carol.name, "wrong-" + carol.password, expect_files=False)
        b.wait(lambda d: logins(throttled_server) >= answered, what="the login to be answered")
        b.wait(lambda d: b.find("#signin-error").text.strip(), what="a failure message")
        assert not re.search(r"try again", b.find("#signin-error").text, re.I)
    # now even the right password is refused until the lockout ends, and the app says when
    b.sign_in(carol.name, carol.password, expect_files=False)
    b.wait(lambda d: re.search(r"try again", b.find("#signin-error").text, re.I),
           what="the throttle message")
    text = b.find("#signin-error").text
    m = re.search(r"try again in (\d+) minutes?", text, re.I)
    assert m, text
    assert int(m.group(1)) == THROTTLE_LOCKOUT // 60, text
    assert b.rows() == []
    assert b.cookies() == []


@pytest.mark.parametrize("value, folder", [
    ("/files/Photos/Trips/", "Photos/Trips"),        # a folder of the files root: followed
    ("//evil.example/files/Photos/", ""),           # another server: ignored
    ("https://evil.example/files/Photos/", ""),
    ("/app/../files/Photos/", ""),                  # not literally under the files root
    ("/login", ""),                                 # elsewhere on this server
])
def test_return_after_sign_in_goes_only_under_the_files_root(browser, alice, server, value,
                                                             folder):
    browser.get("/app/")
    browser.driver.delete_all_cookies()
    browser.get("/app/?return=" + value.replace("/", "%2F").replace(":", "%3A"))
    browser.sign_in(alice.name, alice.password)
    browser.wait_folder(folder)
    assert browser.driver.current_url.startswith(server.base_url + "/app/")
    assert "return=" not in browser.driver.current_url
