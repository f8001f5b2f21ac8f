"""Logging out: from the server-rendered listing (a token-protected page, where Chrome posts
with Origin: null: issue 12's regression), from the app, everywhere (another browser's session
ends too), and what back and reload show afterwards."""

import time

import pytest
from selenium.common.exceptions import TimeoutException

SIGN_OUT_BUTTON = ('form[action$="/logout"] button, '
                   'form[action$="/logout"] input[type="submit"]')


def listing_shows_files(b) -> bool:
    """The page shows the home's listing (server-rendered or the app's)."""
    return "readme.txt" in b.driver.page_source and "Photos" in b.driver.page_source


def sign_out_from_the_listing(b, server) -> None:
    """Press the listing's sign-out button; it must land on the app (the /logout location's
    TokenAuthLoginURL), with no origin refusal in the error log."""
    mark = server.error_log.mark()
    button = b.visible(SIGN_OUT_BUTTON)
    b.driver.get_log("browser")                 # from here on, only what the click logs
    button.click()
    try:
        b.wait(lambda d: d.current_url.startswith(server.base_url + "/app/"),
               what="the sign-out to land on /app/")
    except TimeoutException:
        console = [e.get("message", "") for e in b.driver.get_log("browser")]
        pytest.fail("the sign-out button of %s did not sign out; the page's console says:\n%s"
                    % (b.driver.current_url, "\n".join(console)), pytrace=False)
    refused = [ln for ln in server.error_log.lines(mark) if "TA00104" in ln]
    assert not refused, refused


def files_not_accessible(b) -> None:
    """A browser navigation to /files/ shows no listing."""
    b.get("/files/")
    assert not listing_shows_files(b), "after logout /files/ still lists: " + \
        b.driver.current_url


def test_logout_from_the_server_listing(browser, alice, server):
    browser.fresh_sign_in(alice)
    browser.get("/files/")
    assert listing_shows_files(browser)
    sign_out_from_the_listing(browser, server)
    browser.visible("form#signin-form")
    files_not_accessible(browser)


def test_logout_from_the_app(browser, alice):
    browser.fresh_sign_in(alice)
    browser.open_menu()
    browser.click("button#logout")
    browser.visible("form#signin-form")
    assert browser.rows() == []
    files_not_accessible(browser)
    browser.open_app()
    browser.visible("form#signin-form")
    assert browser.rows() == []


def test_back_and_reload_after_logout_in_the_app_show_no_files(browser, alice):
    browser.fresh_sign_in(alice)
    browser.go_to("Photos")
    browser.open_menu()
    browser.click("button#logout")
    browser.visible("form#signin-form")
    browser.driver.back()
    time.sleep(0.5)
    assert "sunset.png" not in browser.row_names()
    browser.driver.refresh()
    browser.visible("form#signin-form")
    assert browser.rows() == []


def test_back_and_reload_after_listing_sign_out_show_no_files(browser, alice, server):
    browser.fresh_sign_in(alice)
    browser.get("/files/Photos/")
    assert "sunset.png" in browser.driver.page_source
    sign_out_from_the_listing(browser, server)
    browser.driver.back()
    time.sleep(0.5)
    assert "sunset.png" not in browser.driver.page_source, "back shows the listing again"
    browser.driver.refresh()
    assert "sunset.png" not in browser.driver.page_source, "reload shows the listing again"


def test_logout_everywhere_ends_the_other_session_and_the_links(browser, new_browser, bob):
    other = new_browser("other-session")
    other.open_app()
    other.sign_in(bob.name, bob.password)
    browser.fresh_sign_in(bob)
    link = browser.share_link("Photos", "sunset.png")
    browser.close_share_dialog()
    stranger = new_browser("stranger")
    stranger.get(link)
    stranger.wait(lambda d: stranger.document_image_width() > 0, what="the link to work")
    assert browser.js("return JSON.parse(localStorage.getItem('tokenauth.shares.bob') || '[]')"
                      ".length") == 1

    browser.open_menu()
    browser.click("button#logout-all")
    said = browser.accept_confirm(timeout=3)
    assert "share" in said.lower(), "the app must say that share links end too: %r" % said
    browser.visible("form#signin-form")
    assert browser.rows() == []
    assert browser.js("return JSON.parse(localStorage.getItem('tokenauth.shares.bob') || '[]')"
                      ".length") == 0, "the list of share links was not cleared"
    # the other browser's cookie is still there, but it opens nothing any more
    assert other.cookies()
    files_not_accessible(other)
    other.open_app()
    other.visible("form#signin-form")
    assert other.rows() == []
    # nor does the share link
    stranger.get(link)
    assert stranger.document_image_width() == 0, "a link outlived log out everywhere"
    # tokens of the logout second are refused too; the next second a new sign-in works
    time.sleep(1.1)
    other.sign_in(bob.name, bob.password)
    assert "Photos" in other.row_names()
