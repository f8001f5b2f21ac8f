"""A phone-sized window (360 CSS pixels wide): no sideways scrolling, the table and the gallery
fit and work. The keyboard alone: tab to a folder's link, Enter opens it."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

PHONE = (360, 740)
DESKTOP = (1280, 800)
MAX_TABS = 60


@pytest.fixture
def phone(browser):
    browser.viewport(*PHONE, mobile=True, scale=2)
    yield browser
    browser.viewport(*DESKTOP)


def assert_no_sideways_scroll(b, where: str) -> None:
    widths = b.js("return [document.scrollingElement.scrollWidth, innerWidth]")
    # a page wider than the phone makes the browser zoom out: the layout viewport grows
    assert widths[1] == PHONE[0], "%s is %r px wide on a %d px phone" % (where, widths[1],
                                                                         PHONE[0])
    assert widths[0] <= widths[1], "%s scrolls sideways: %r" % (where, widths)


def assert_within_width(b, css: str) -> None:
    """The element css is shown and lies within the phone's width."""
    b.visible(css)
    what = css
    rect = b.js("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                "return [r.left, r.right, r.width, r.height];", css)
    assert rect[2] > 0 and rect[3] > 0, "%s is not shown: %r" % (what, rect)
    assert rect[0] >= 0 and rect[1] <= PHONE[0] + 0.5, "%s is off screen: %r" % (what, rect)


def test_phone_width(phone, alice):
    b = phone
    b.get("/app/")
    b.driver.delete_all_cookies()
    b.get("/app/")
    b.visible("form#signin-form")
    assert_no_sideways_scroll(b, "the sign-in page")
    for css in ("input#username", "input#password", "button#signin-submit"):
        assert_within_width(b, css)
    b.sign_in(alice.name, alice.password)
    assert_no_sideways_scroll(b, "the top folder")
    for css in ('tr[data-name="Photos"] a.name', "button#account-button"):
        assert_within_width(b, css)
    b.open_folder("Photos")
    assert_no_sideways_scroll(b, "the Photos folder")
    for css in ('tr[data-name="sunset.png"] a.name', 'tr[data-name="sunset.png"] button.share'):
        assert_within_width(b, css)
    b.click("button#view-gallery")
    thumb_css = '#gallery img.thumb[data-name="sunset.png"]'
    b.visible(thumb_css)
    b.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", thumb_css)
    b.wait(lambda d: b.image_loaded(thumb_css), what="a thumbnail")
    assert_within_width(b, thumb_css)
    assert_no_sideways_scroll(b, "the gallery")
    b.click("button#view-list")
    b.visible("table#files")


def test_server_listing_at_phone_width(phone, alice):
    """The no-JavaScript listing (server-rendered) fits a phone too."""
    b = phone
    b.fresh_sign_in(alice)
    b.get("/files/Photos/")
    assert "sunset.png" in b.driver.page_source
    assert_no_sideways_scroll(b, "the server's listing")
    assert_within_width(b, 'a[href="./sunset.png"]')


def test_keyboard_opens_a_folder(browser, alice):
    browser.fresh_sign_in(alice)
    browser.go_to("")
    target = 'tr[data-name="Photos"] a.name'
    browser.js("document.activeElement && document.activeElement.blur();"
               "window.scrollTo(0, 0);")
    actions = ActionChains(browser.driver)
    for _ in range(MAX_TABS):
        if browser.js("return document.activeElement === document.querySelector(arguments[0])",
                      target):
            break
        actions.send_keys(Keys.TAB).perform()
    else:
        pytest.fail("%d tabs never reached the Photos link" % MAX_TABS)
    actions.send_keys(Keys.ENTER).perform()
    browser.wait_folder("Photos")
    assert browser.js("return decodeURIComponent(location.hash)") == "#/Photos/"


def luminance(rgb) -> float:
    """Brightness 0..1 of an [r, g, b] colour."""
    r, g, b = rgb[:3]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("scheme, dark", [("light", False), ("dark", True)])
def test_colour_scheme_follows_the_system(browser, alice, scheme, dark):
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    try:
        browser.fresh_sign_in(alice)
        colours = browser.js(
            "const s = e => getComputedStyle(e);"
            "const ctx = document.createElement('canvas').getContext('2d');"
            "const rgb = c => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = c;"
            "  ctx.fillRect(0, 0, 1, 1); return Array.from(ctx.getImageData(0, 0, 1, 1).data); };"
            "const bg = e => { for (; e; e = e.parentElement) {"
            "  const c = s(e).backgroundColor;"
            "  if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; }"
            "  return 'rgb(255, 255, 255)'; };"
            "const a = document.querySelector('table#files a.name');"
            "return [bg(document.body), s(a).color, bg(a)].map(rgb);")
        page, text, behind = (luminance(c) for c in colours)
        assert (page < 0.5) == dark, colours
        assert abs(text - behind) > 0.4, "names hard to read: %r" % colours
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
