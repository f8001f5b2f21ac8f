"""The site of the browser tests and the README screenshots: the web app at /app/, the login,
logout, mint and whoami handlers, and each user's own 0700 home at /files/ (issue 12's URL
contract); sample files in a user's home; and headless Chromium sessions driven by selenium.

Used by tests/browser/conftest.py and tests/browser/screenshot.py."""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import paths  # noqa: E402
from taharness.samples import PICTURES  # noqa: E402
from taharness.site import MINT, WHOAMI, key_file_line  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (NoSuchElementException,  # noqa: E402
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 10           # seconds any one thing may take to appear in the page
# while waiting, the page may replace what was looked at (a listing redrawn) or not show it yet
RETRIED = (StaleElementReferenceException, NoSuchElementException)

# The user's home as the browser tests and the screenshots see it (besides the files every
# test user gets, see taharness.users.HOME_FILES). Sizes differ, so sorting by size is visible.
TEXT_FILES = {
    "readme.txt": "Holiday pictures are in Photos.\n",
    "Documents/plan.txt": "1. pack\n2. travel\n3. come back\n" * 20,
    "Photos/captions.txt": "sunset: the last evening\nrings: a pond\n",
}
PHOTO_DIR = "Photos"
TRIP_PICTURE = "Photos/Trips/rings-small.png"
# a file that only this folder of the sample home holds: its listing is shown when it is there
FOLDER_MARKS = {"": "readme.txt", "Photos": "sunset.png", "Photos/Trips": "rings-small.png",
                "Documents": "plan.txt"}


def app_dir() -> Path:
    """The web app's files: TA_WEB when set (an installed copy, say), else this checkout's
    conf/web/ (issue 12)."""
    return Path(os.environ.get("TA_WEB") or paths.repo_root() / "conf" / "web")


INSTALLED_APP = "/usr/share/tokenauth/web"


def shipped_block(web_dir):
    """conf/webapp.conf, the block an administrator includes, with the app's installed path
    replaced by web_dir; None when this checkout has none."""
    conf = paths.repo_root() / "conf" / "webapp.conf"
    if not conf.exists():
        return None
    text = conf.read_text()
    if INSTALLED_APP not in text:
        raise ValueError("%s no longer serves the app from %s" % (conf, INSTALLED_APP))
    return text.replace(INSTALLED_APP, str(web_dir))


def site(key_file, web_dir):
    """The configuration of the contract's site: the shipped conf/webapp.conf when there is
    one (what the tests run is what administrators include), else the same block here."""
    block = shipped_block(web_dir)
    if block is not None:
        return key_file_line(key_file) + "\n" + block

    def snippet(p) -> str:
        return f"""\
{key_file_line(key_file)}

Alias /app/ "{web_dir}/"
<Directory "{web_dir}">
    Require all granted
</Directory>
RedirectMatch ^/$ /app/

<Location /login>
    SetHandler tokenauth-login
</Location>
<Location /logout>
    SetHandler tokenauth-logout
    TokenAuthLoginURL /app/
</Location>
{MINT}
{WHOAMI}
<Location /files>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome .
    TokenAuthLoginURL /login
    <IfDirective TokenAuthLogoutURL>
        TokenAuthLogoutURL /logout
    </IfDirective>
</Location>
"""
    return snippet


def copy_app(dest: Path) -> Path:
    """A copy of conf/web that www-data can read wherever the checkout lives."""
    if not (app_dir() / "index.html").exists():
        raise FileNotFoundError("no web app at %s" % app_dir())
    shutil.copytree(app_dir(), dest)
    for dirpath, dirnames, filenames in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
    return dest


def start_server(harness, name: str, extra=()):
    """An Apache with the site (and extra snippets), started."""
    root = harness.workdir / (name + "-web")
    web = copy_app(root)
    return harness.start_apache(name, snippets=[site(harness.key_file.path, web)],
                                extra=list(extra))


def put_file(user, rel: str, data: bytes) -> Path:
    """A file in user's home, owned by the user, its folders too (0755)."""
    target = user.host_home / rel
    folder = user.host_home
    for part in Path(rel).parent.parts:
        folder = folder / part
        folder.mkdir(mode=0o755, exist_ok=True)
        os.chown(folder, user.uid, user.gid)
    target.write_bytes(data)
    os.chmod(target, 0o644)
    os.chown(target, user.uid, user.gid)
    return target


def populate_home(user) -> dict:
    """Photos (with a sub-folder), documents and a text file in user's home; name -> size
    of what was written."""
    files = {PHOTO_DIR + "/" + name: make() for name, make in PICTURES.items()}
    files.update({rel: text.encode() for rel, text in TEXT_FILES.items()})
    files[TRIP_PICTURE] = PICTURES["rings.png"](160, 100)
    for rel, data in files.items():
        put_file(user, rel, data)
    sizes = {rel: len(data) for rel, data in files.items()}
    return sizes


# --- browsers --------------------------------------------------------------------------------
def chrome_options(width: int, height: int) -> webdriver.ChromeOptions:
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio",
                "--password-store=basic", "--lang=en-GB",
                "--window-size=%d,%d" % (width, height)):
        o.add_argument(arg)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return o


class Browser:
    """One headless Chromium with a profile of its own (a fresh temporary directory: no
    cookie, no localStorage), pointed at one server."""

    def __init__(self, base_url: str, name: str = "browser", width: int = 1280,
                 height: int = 800):
        self.base_url = base_url
        self.name = name
        self.profile = tempfile.mkdtemp(prefix="ta-chromium-")
        opts = chrome_options(width, height)
        opts.add_argument("--user-data-dir=" + self.profile)
        self.driver = None
        try:
            self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
            self.driver.set_page_load_timeout(30)
            self.viewport(width, height)
            self._grant_clipboard()
        except BaseException:
            self.quit()
            raise

    # --- plumbing ------------------------------------------------------------------------
    def quit(self) -> None:
        try:
            if self.driver is not None:
                self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def viewport(self, width: int, height: int, mobile: bool = False, scale: float = 1) -> None:
        """The page's viewport exactly width x height CSS pixels (mobile: a phone's, where
        the page's viewport meta tag applies)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})

    def _grant_clipboard(self) -> None:
        self.driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": self.base_url,
            "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})

    def clipboard(self) -> str:
        """What the page's origin reads from the clipboard."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "navigator.clipboard.readText().then(done, e => done('ERROR: ' + e));")

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def get(self, path: str) -> None:
        self.driver.get(path if path.startswith(("http:", "https:", "data:")) else
                        self.base_url + path)

    def wait(self, condition, timeout: float = WAIT, what: str = ""):
        """condition(driver) truthy within timeout, else a TimeoutException naming what."""
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                                 ignored_exceptions=RETRIED).until(
                condition, what or getattr(condition, "__name__", ""))
        except TimeoutException as e:
            raise TimeoutException("waited %gs for %s at %s" % (
                timeout, what or condition, self.driver.current_url)) from e

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css: str, timeout: float = WAIT):
        """The element css once it is displayed."""
        def shown(d):
            els = [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            return els[0] if els else False
        return self.wait(shown, timeout, "%s to be visible" % css)

    def is_visible(self, css: str) -> bool:
        return any(e.is_displayed() for e in self.find_all(css))

    def click(self, css: str, timeout: float = WAIT) -> None:
        """Click the displayed element css (found again if the page redraws it meanwhile)."""
        def clicked(d):
            els = [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            if not els:
                return False
            els[0].click()
            return True
        self.wait(clicked, timeout, "%s to be clicked" % css)

    def click_in_row(self, name: str, css: str) -> None:
        """Click css inside the table row of name."""
        self.click('table#files tr[data-name="%s"] %s' % (name, css))

    def cookies(self) -> list:
        return self.driver.get_cookies()

    def save_failure(self, folder: Path, stem: str) -> list:
        """A screenshot and the page source of the moment, under folder."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        png = folder / ("%s-%s.png" % (stem, self.name))
        html = folder / ("%s-%s.html" % (stem, self.name))
        try:
            self.driver.save_screenshot(str(png))
            written.append(png)
            html.write_text("<!-- %s -->\n%s" % (self.driver.current_url,
                                                 self.driver.page_source))
            written.append(html)
            logs = folder / ("%s-%s.console.txt" % (stem, self.name))
            logs.write_text("\n".join("%s %s" % (e.get("level"), e.get("message"))
                                      for e in self.driver.get_log("browser")))
            written.append(logs)
        except Exception as e:  # a dead browser must not hide the test's own failure
            written.append("could not save from %s: %s" % (self.name, e))
        return written

    # --- the app -------------------------------------------------------------------------
    def open_app(self, hash_path: str = "") -> None:
        self.get("/app/" + hash_path)

    def sign_in(self, username: str, password: str, expect_files: bool = True) -> None:
        """Fill in the app's sign-in form and submit it; with expect_files, wait until the
        file table is shown and #whoami names the user."""
        self.visible("form#signin-form")
        for css, value in (("input#username", username), ("input#password", password)):
            field = self.find(css)
            field.clear()
            field.send_keys(value)
        self.click("button#signin-submit")
        if expect_files:
            self.wait_listing()
            self.wait(lambda d: self.find("#whoami").text.strip() == username,
                      what="#whoami to say %s" % username)

    def fresh_sign_in(self, user) -> None:
        """Signed in as user from a clean state: no cookie, nothing stored, the app's start."""
        self.get("/app/")
        self.driver.delete_all_cookies()
        self.js("localStorage.clear(); sessionStorage.clear();")
        self.get("/app/")
        self.sign_in(user.name, user.password)

    def wait_listing(self, timeout: float = WAIT) -> None:
        """The file table is shown with at least one row, or the #empty note."""
        self.wait(lambda d: self.rows() or self.is_visible("#empty"), timeout,
                  "the file table to be listed")

    def rows(self) -> list:
        """(name, type) of the visible rows of table#files, in order."""
        return [tuple(r) for r in self.js(
            "return Array.from(document.querySelectorAll('table#files tr[data-name]'))"
            ".filter(r => r.getClientRects().length > 0)"
            ".map(r => [r.dataset.name, r.dataset.type]);")]

    def row_names(self) -> list:
        return [n for n, _ in self.rows()]

    def wait_folder(self, folder: str, timeout: float = WAIT) -> None:
        """The app shows the sample home's folder (path in the home, '' the top): its own
        file listed, no other folder's."""
        folder = folder.strip("/")
        others = [m for f, m in FOLDER_MARKS.items() if f != folder]

        def shown(d):
            names = self.row_names()
            return FOLDER_MARKS[folder] in names and not any(m in names for m in others)
        self.wait(shown, timeout, "the listing of /%s" % folder)

    def open_folder(self, folder: str) -> None:
        """Click the name link of the last part of folder (in the folder listed now) and
        wait for its listing."""
        self.click_in_row(folder.strip("/").split("/")[-1], "a.name")
        self.wait_folder(folder)

    def go_to(self, folder: str) -> None:
        """The app at #/folder/ (folder '' is the top), listed as the server has it now."""
        target = "#/" + (folder.strip("/") + "/" if folder.strip("/") else "")
        url = self.base_url + "/app/" + target
        if self.driver.current_url == url:
            self.driver.refresh()            # the same folder: load it again
        elif self.driver.current_url.startswith(self.base_url + "/app/"):
            self.js("document.querySelectorAll('dialog[open]').forEach(d => d.close());"
                    "location.hash = arguments[0]", target)
        else:
            self.get(url)
        self.wait_folder(folder)

    def open_menu(self) -> None:
        if not self.is_visible("#account-menu"):
            self.click("button#account-button")
            self.visible("#account-menu")

    def share_link(self, folder: str, name: str, expiry: str = "3600") -> str:
        """Through the share dialog: a link to folder/name valid expiry seconds (one of the
        select's values); the URL the dialog shows. The dialog stays open."""
        self.go_to(folder)
        self.click_in_row(name, "button.share")
        self.visible("#share-dialog")
        Select(self.find("select#share-expiry")).select_by_value(expiry)
        self.click("button#share-create")
        url = self.wait(lambda d: self.find("input#share-url").get_attribute("value"),
                        what="the share URL")
        assert self.find("input#share-url").get_attribute("readonly") is not None
        return url

    def close_share_dialog(self) -> None:
        self.click("button#share-close")
        self.wait(lambda d: not self.is_visible("#share-dialog"), what="the dialog to close")

    def accept_confirm(self, timeout: float = 2) -> str:
        """Accept a window.confirm/alert if one appears; its text (or '' if none did)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                alert = self.driver.switch_to.alert
                text = alert.text
                alert.accept()
                return text
            except Exception:
                time.sleep(0.05)
        return ""

    def image_loaded(self, css: str) -> bool:
        """The img css has finished loading a picture (naturalWidth > 0)."""
        return bool(self.js("const i = document.querySelector(arguments[0]);"
                            "return !!i && i.complete && i.naturalWidth > 0;", css))

    def document_image_width(self) -> int:
        """For a top-level navigation to an image: its natural width (0 when the document
        is not a picture that loaded)."""
        return self.js("const i = document.images[0];"
                       "return document.contentType.startsWith('image/') && i && i.complete"
                       " ? i.naturalWidth : 0;")

    def body_text(self) -> str:
        return self.find("body").text
