"""Share links: made in the share dialog, copied, opened by someone with no cookie at all (a
fresh browser profile), and revoked from "my share links", after which that link fails while
another one keeps working."""

import re

import pytest
from selenium.webdriver.support.ui import Select

PICTURE_WIDTH = 320
ONE_HOUR = "3600"


@pytest.fixture(scope="module", autouse=True)
def signed_in(browser, alice):
    browser.fresh_sign_in(alice)


@pytest.fixture
def stranger(new_browser, server):
    """Someone who was never signed in: a fresh profile, checked to have no cookie."""
    b = new_browser("stranger")
    b.get("/app/")
    assert b.cookies() == []
    return b


def make_share_link(b, folder: str, name: str) -> str:
    """Through the share dialog: a one-hour link to folder/name; the URL shown."""
    b.go_to(folder)
    b.click_in_row(name, "button.share")
    b.visible("#share-dialog")
    Select(b.find("select#share-expiry")).select_by_value(ONE_HOUR)
    b.click("button#share-create")
    b.wait(lambda d: b.find("input#share-url").get_attribute("value"), what="the share URL")
    url = b.find("input#share-url").get_attribute("value")
    assert b.find("input#share-url").get_attribute("readonly") is not None
    return url


def close_share_dialog(b) -> None:
    b.click("button#share-close")
    b.wait(lambda d: not b.is_visible("#share-dialog"), what="the share dialog to close")


def test_share_link_opens_in_a_fresh_profile(browser, stranger, server):
    url = make_share_link(browser, "Photos", "sunset.png")
    assert url.startswith(server.base_url + "/files/Photos/sunset.png?"), url
    # the expiry is shown as a date and time, not as a Unix timestamp
    expires = browser.find("#share-expires").text.strip()
    assert expires and not re.fullmatch(r"\d{9,}", expires), expires
    assert re.search(r"\d", expires), expires
    browser.click("button#share-copy")
    browser.wait(lambda d: browser.clipboard() == url, what="the URL in the clipboard")
    close_share_dialog(browser)
    # no cookie, no session: the link alone shows the picture
    stranger.get(url)
    stranger.wait(lambda d: stranger.document_image_width() == PICTURE_WIDTH,
                  what="the shared picture")
    # and nothing else of alice's: the same token does not open the folder or another file
    token = url.split("token=", 1)[1]
    stranger.get("/files/Photos/checkers.png?token=" + token)
    assert stranger.document_image_width() == 0
    stranger.get("/files/Photos/")
    assert "sunset.png" not in stranger.driver.page_source


def revoke_in_my_shares(b, name: str) -> None:
    b.open_menu()
    b.click("button#my-shares")
    b.visible("#shares-dialog")
    css = 'ul#shares-list li[data-path$="/%s"]' % name
    b.click(css + " button.revoke")
    b.accept_confirm(timeout=1)
    b.wait(lambda d: not b.find_all(css), what="%s to leave the list" % name)


def test_revoked_link_stops_working(browser, stranger, alice):
    revoked = make_share_link(browser, "Photos", "rings.png")
    close_share_dialog(browser)
    kept = make_share_link(browser, "Photos", "checkers.png")
    close_share_dialog(browser)
    stranger.get(revoked)
    stranger.wait(lambda d: stranger.document_image_width() == PICTURE_WIDTH,
                  what="the link before it is revoked")

    revoke_in_my_shares(browser, "rings.png")
    # the other link is still listed, and the session still signed in
    assert browser.find_all('ul#shares-list li[data-path$="/checkers.png"]')
    browser.click("button#shares-close")
    browser.go_to("Photos")
    assert browser.find("#whoami").text.strip() == alice.name

    stranger.get(revoked)
    assert stranger.document_image_width() == 0, "a revoked link still shows the picture"
    assert "invalid_token" not in stranger.body_text()   # a page for people, not raw JSON
    stranger.get(kept)
    stranger.wait(lambda d: stranger.document_image_width() == PICTURE_WIDTH,
                  what="the link that was not revoked")
