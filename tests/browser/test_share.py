"""Share links: made in the share dialog, copied, opened by someone with no cookie at all (a
fresh browser profile), and revoked from "my share links", after which that link fails while
another one keeps working."""

import base64
import json
import re
import time

import pytest

PICTURE_WIDTH = 320
ONE_DAY = "86400"


def claims_of(url: str) -> dict:
    """The payload of the token in a share URL (read only; the server checks it)."""
    token = url.split("token=", 1)[1].split("&", 1)[0]
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


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


def test_share_link_opens_in_a_fresh_profile(browser, stranger, server):
    before = time.time()
    url = browser.share_link("Photos", "sunset.png", expiry=ONE_DAY)
    assert url.startswith(server.base_url + "/files/Photos/sunset.png?"), url
    claims = claims_of(url)
    assert claims.get("kind") == "share", claims
    assert before + 86400 - 60 <= claims["exp"] <= time.time() + 86400 + 60, claims
    # the expiry is shown as a date and time, not as a Unix timestamp
    expires = browser.find("#share-expires").text.strip()
    assert expires and not re.fullmatch(r"\d{9,}", expires), expires
    assert re.search(r"\d", expires), expires
    browser.click("button#share-copy")
    browser.wait(lambda d: browser.clipboard() == url, what="the URL in the clipboard")
    browser.close_share_dialog()
    # no cookie, no session: the link alone shows the picture
    stranger.get(url)
    stranger.wait(lambda d: stranger.document_image_width() == PICTURE_WIDTH,
                  what="the shared picture")
    # and nothing else of alice's: the same token does not open the folder or another file
    token = url.split("token=", 1)[1]
    stranger.get("/files/Photos/checkers.png?token=" + token)
    assert stranger.document_image_width() == 0
    assert_page_for_people(stranger)
    stranger.get("/files/Photos/sunset.png?token=" + token[:-8] + "AAAAAAAA")    # tampered
    assert stranger.document_image_width() == 0
    assert_page_for_people(stranger)
    stranger.get("/files/Photos/")
    assert "sunset.png" not in stranger.driver.page_source


def assert_page_for_people(b) -> None:
    """What a browser shows for a link that does not work: an HTML page with words, no JSON."""
    kind = b.js("return document.contentType")
    text = b.body_text().strip()
    assert kind == "text/html", kind
    assert text and not text.startswith("{") and "invalid_token" not in text, text


def revoke_in_my_shares(b, name: str) -> None:
    b.open_menu()
    b.click("button#my-shares")
    b.visible("#shares-dialog")
    css = 'ul#shares-list li[data-path$="/%s"]' % name
    b.click(css + " button.revoke")
    b.accept_confirm(timeout=1)
    b.wait(lambda d: not b.find_all(css), what="%s to leave the list" % name)


def test_revoked_link_stops_working(browser, stranger, alice):
    revoked = browser.share_link("Photos", "rings.png")
    browser.close_share_dialog()
    kept = browser.share_link("Photos", "checkers.png")
    browser.close_share_dialog()
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
    assert_page_for_people(stranger)
    stranger.get(kept)
    stranger.wait(lambda d: stranger.document_image_width() == PICTURE_WIDTH,
                  what="the link that was not revoked")


def test_my_share_links_drop_expired_and_foreign_entries(browser, alice):
    live = browser.share_link("Photos", "sunset.png")
    browser.close_share_dialog()
    key = "tokenauth.shares." + alice.name
    # entries this device kept from before: one expired, one pointing elsewhere
    browser.js("""
        const list = JSON.parse(localStorage.getItem(arguments[0]) || '[]');
        const now = Math.floor(Date.now() / 1000);
        list.push({url: location.origin + '/files/old.png?token=x', token: 'x',
                   path: '/files/old.png', expires_at: now - 10, created_at: now - 100});
        list.push({url: 'javascript:window.__pwned=1', token: 'y',
                   path: '/files/evil.png', expires_at: now + 3600, created_at: now});
        localStorage.setItem(arguments[0], JSON.stringify(list));""", key)
    browser.open_menu()
    browser.click("button#my-shares")
    browser.visible("#shares-dialog")
    browser.visible('ul#shares-list li[data-path$="/sunset.png"]')
    assert not browser.find_all('ul#shares-list li[data-path$="/old.png"]')
    assert not browser.find_all('ul#shares-list li[data-path$="/evil.png"]')
    assert not browser.find_all('#shares-dialog a[href^="javascript:"]')
    stored = browser.js("return localStorage.getItem(arguments[0])", key)
    assert "old.png" not in stored and live.split("?")[0].split("/")[-1] in stored, stored
    browser.click("button#shares-close")


def test_folder_share_link_opens_its_files(browser, stranger, server):
    """The app offers share links for folders too: the recipient, with no cookie, sees the
    folder and can open the files in it (and nothing outside it)."""
    url = browser.share_link("Photos", "Trips")
    browser.close_share_dialog()
    assert url.startswith(server.base_url + "/files/Photos/Trips/?"), url
    stranger.get(url)
    stranger.wait(lambda d: "rings-small.png" in d.page_source, what="the shared folder")
    assert "sunset.png" not in stranger.driver.page_source
    links = stranger.js("return Array.from(document.querySelectorAll('a'))"
                        ".filter(a => a.textContent.includes('rings-small.png'))"
                        ".map(a => a.href)")
    assert links, "the shared folder's page has no link to its file"
    stranger.get(links[0])
    stranger.wait(lambda d: stranger.document_image_width() > 0,
                  what="the file of the shared folder, opened from its page (at %s)" % links[0])
