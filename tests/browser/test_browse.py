"""Browsing one's home in the web app: into a folder and back by the breadcrumbs, sorting by
size, the image viewer and the gallery's thumbnails."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

import appsite
from taharness.samples import PICTURES

PICTURE_NAMES = sorted(PICTURES)
PICTURE_WIDTH = 320


@pytest.fixture(scope="module", autouse=True)
def signed_in(browser, alice):
    browser.fresh_sign_in(alice)


def hash_of(b) -> str:
    return b.js("return decodeURIComponent(location.hash)")


def crumbs(b) -> list:
    return [a for a in b.find_all("nav#breadcrumbs a") if a.is_displayed()]


def test_into_a_folder_and_back_by_breadcrumbs(browser):
    browser.go_to("")
    browser.open_folder("Photos")
    assert hash_of(browser) == "#/Photos/"
    assert set(PICTURE_NAMES) <= set(browser.row_names())
    assert dict(browser.rows()).get("Trips") == "dir"
    browser.open_folder("Photos/Trips")
    assert hash_of(browser) == "#/Photos/Trips/"
    assert browser.row_names() == ["rings-small.png"]
    texts = [a.text.strip() for a in crumbs(browser)]
    assert "Photos" in texts, texts
    # back to Photos by its crumb, then to the top by the first one
    next(a for a in crumbs(browser) if a.text.strip() == "Photos").click()
    browser.wait_folder("Photos")
    assert hash_of(browser) == "#/Photos/"
    crumbs(browser)[0].click()
    browser.wait_folder("")
    assert hash_of(browser) in ("", "#", "#/")


def test_sort_by_size(browser, home_sizes):
    browser.go_to("Photos")
    size = {name: home_sizes["Photos/" + name] for name, kind in browser.rows() if kind == "file"}
    assert len(set(size.values())) == len(size) >= 4, size

    def files_in_order():
        return [n for n, kind in browser.rows() if kind == "file"]

    browser.click('button[data-sort="size"]')
    first = files_in_order()
    ascending = sorted(size, key=size.get)
    assert first in (ascending, ascending[::-1]), (first, size)
    browser.click('button[data-sort="size"]')
    browser.wait(lambda d: files_in_order() == first[::-1],
                 what="the other size order %s" % first[::-1])
    browser.click('button[data-sort="name"]')
    browser.wait(lambda d: files_in_order() in (sorted(size), sorted(size)[::-1]),
                 what="name order")


def test_image_viewer(browser):
    browser.go_to("Photos")
    browser.click_in_row("sunset.png", "a.name")
    browser.wait(lambda d: browser.js("return document.querySelector('#viewer').open"),
                 what="the viewer to open")
    browser.wait(lambda d: browser.image_loaded("img#viewer-image"), what="the picture")
    assert browser.js("return document.querySelector('img#viewer-image').naturalWidth") \
        == PICTURE_WIDTH
    src = browser.find("img#viewer-image").get_attribute

    first = src("src")
    browser.click("button#viewer-next")
    browser.wait(lambda d: src("src") != first, what="the next picture")
    browser.wait(lambda d: browser.image_loaded("img#viewer-image"), what="the next picture")
    keys = ActionChains(browser.driver)
    keys.send_keys(Keys.ARROW_LEFT).perform()
    browser.wait(lambda d: src("src") == first, what="ArrowLeft to step back")
    keys.send_keys(Keys.ESCAPE).perform()
    browser.wait(lambda d: not browser.js("return document.querySelector('#viewer').open"),
                 what="Escape to close the viewer")


def test_gallery_thumbnails_load(browser):
    browser.go_to("Photos")
    browser.click("button#view-gallery")
    browser.visible("#gallery")
    for name in PICTURE_NAMES:
        css = '#gallery img.thumb[data-name="%s"]' % name
        browser.visible(css)
        # the gallery may be drawn again while its links are made: read it afresh each time
        attrs = browser.wait(lambda d: browser.js(
            "const i = document.querySelector(arguments[0]);"
            "return i && i.src ? [i.getAttribute('loading'), i.src] : null;", css),
            what="%s with a src" % css)
        assert attrs[0] == "lazy", attrs
        assert "token=" in attrs[1], attrs
        browser.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", css)
        browser.wait(lambda d: browser.image_loaded(css), what="thumbnail %s" % name)
    # a text file gets no picture
    assert not browser.find_all('#gallery img.thumb[data-name="captions.txt"]')
    browser.click("button#view-list")
    browser.visible("table#files")


def test_download_link_serves_the_file(browser, home_sizes):
    browser.go_to("")
    href = browser.js("return document.querySelector("
                      "'table#files tr[data-name=\"readme.txt\"] a.download').href")
    got = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(r => r.text().then(t => done([r.status, t.length])), e => done([0, String(e)]));",
        href)
    assert got == [200, home_sizes["readme.txt"]], (href, got)


# Names a person may well have, and names someone may plant for the owner to look at: shown as
# text, never run as markup, and their pictures reachable (?, #, % and spaces in URLs).
ODD_FOLDER = "Odd <img src=x onerror=window.__pwned=1>"
ODD_PICTURES = ("<svg onload=window.__pwned=2>.png", "what? #1 & 100% sure.png",
                "javascript:window.__pwned=3.png")


@pytest.fixture(scope="module")
def odd_folder(alice):
    for name in ODD_PICTURES:
        appsite.put_file(alice, ODD_FOLDER + "/" + name, PICTURES["rings.png"]())
    return ODD_FOLDER


def test_odd_names_are_text_and_their_pictures_load(browser, odd_folder):
    browser.go_to("")
    shown = browser.js("return Array.from(document.querySelectorAll('table#files a.name'))"
                       ".map(a => a.textContent.trim())")
    assert odd_folder in shown, shown
    browser.js("location.hash = '#/' + encodeURIComponent(arguments[0]) + '/'", odd_folder)
    browser.wait(lambda d: set(ODD_PICTURES) <= set(browser.row_names()),
                 what="the odd folder's listing")
    shown = browser.js("return Array.from(document.querySelectorAll('table#files a.name'))"
                       ".map(a => a.textContent.trim())")
    for name in ODD_PICTURES:
        assert name in shown, "%r is not shown as text: %r" % (name, shown)
    texts = [a.text.strip() for a in crumbs(browser)] + [browser.find("nav#breadcrumbs").text]
    assert any(odd_folder in t for t in texts), texts
    for name in ODD_PICTURES:
        href = browser.js("return document.querySelector("
                          "'table#files tr[data-name=\"' + CSS.escape(arguments[0]) + '\"] a.name')"
                          ".getAttribute('href')", name)
        assert not href.lower().startswith("javascript:"), href
    browser.click("button#view-gallery")
    for name in ODD_PICTURES:
        css = browser.js("return '#gallery img.thumb[data-name=\"' + CSS.escape(arguments[0])"
                         " + '\"]'", name)
        browser.visible(css)
        browser.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", css)
        browser.wait(lambda d: browser.image_loaded(css), what="the thumbnail of %r" % name)
    browser.click("button#view-list")
    browser.click_in_row(ODD_PICTURES[1], "a.name")
    browser.wait(lambda d: browser.image_loaded("img#viewer-image"), what="the viewer")
    ActionChains(browser.driver).send_keys(Keys.ESCAPE).perform()
    assert browser.js("return window.__pwned === undefined"), "a file name ran as script"
