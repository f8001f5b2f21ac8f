"""`make demo` (tests/demo.py) shows the product: its setup, run here with a harness of its own,
serves the demo account's 0700 home at /files/ and the web app at /app/ with the contract's
locations only; what it prints works as printed (sign in with JSON, list, fetch a photo, the
share link with no cookie, sign out); and when its namespace loses the account (the host
replaced /etc/passwd: simulated by detaching the bind mount inside the namespace only), it says
so once and stops."""

import importlib.util
import io
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from taharness import Harness, webapp
from taharness.http import Client
from taharness.waiting import wait_until

DEMO_SCRIPT = Path(__file__).resolve().parents[1] / "demo.py"
CONTRACT_LOCATIONS = {"/login", "/logout", "/auth/mint", "/auth/whoami", "/files"}
TOP_LEVEL = {"Documents", "Photos", "Projects", "welcome.txt"}


def load_demo():
    spec = importlib.util.spec_from_file_location("ta_demo", DEMO_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo_mod = load_demo()


@pytest.fixture(scope="module")
def demo():
    with Harness() as h:
        d = demo_mod.setup(h)
        yield d
        h.stop_servers()
        bad = d.server.unexpected_errors()
        assert not bad, "unexpected error-log lines of the demo:\n" + "\n".join(bad)


@pytest.fixture(scope="module")
def printed(demo):
    return demo_mod.explain(demo)


@pytest.fixture
def http(demo):
    with Client(demo.server.base_url) as client:
        yield client


def printed_login(text: str) -> dict:
    """The JSON body of the printed curl sign-in line, as sent."""
    return __import__("json").loads(re.search(r"-d '(\{[^']*\})'", text).group(1))


def printed_session(http, text) -> str:
    r = http.post("/login", json=printed_login(text))
    assert r.status_code == 200, r.text
    return r.json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": "Bearer " + token, "Accept": "application/json"}


def test_the_app_comes_first_and_root_leads_to_it(demo, printed, http):
    lines = [ln.strip() for ln in printed.strip().splitlines() if ln.strip()]
    assert lines[1] == "Open the app:   %s/app/" % demo.server.base_url
    assert lines[2].startswith("Sign in as:     demo ") and demo.user.password in lines[2]
    r = http.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/app/")
    r = http.get("/app/")
    assert r.status_code == 200
    assert r.content == (webapp.app_dir() / "index.html").read_bytes()


def test_only_the_contract_locations(demo, printed, http):
    conf = demo.server.config_text()
    assert set(re.findall(r"<Location ([^>]+)>", conf)) == CONTRACT_LOCATIONS
    # the shipped block, the app served from a copy in the work directory, for the demo
    # account only
    shipped = webapp.shipped_block(demo.harness.workdir / "demo-web")
    assert shipped.replace("Require valid-user", "Require user demo") in conf
    assert "TokenAuthMinUID %d" % demo.user.uid in conf
    token = printed_session(http, printed)
    for path in ("/web/hello.txt", "/env/id.txt", "/cgi/env.cgi", "/files/hello.txt",
                 "/web/account.html", "/auth/jwks", "/open/hello.txt"):
        assert http.get(path, headers=bearer(token)).status_code == 404, path


def test_home_is_the_users_own_0700_folder(demo):
    home = demo.user.host_home
    st = os.stat(home)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == demo.user.uid
    for dirpath, dirnames, filenames in os.walk(home):
        for n in dirnames + filenames:
            assert os.lstat(os.path.join(dirpath, n)).st_uid == demo.user.uid, n
    photos = [p.name for p in (home / "Photos").glob("*.png")]
    assert 6 <= len(photos) <= 8
    assert (home / "Projects" / "garden" / "plans" / "todo.txt").is_file()


def test_printed_curl_lines_sign_in_list_fetch_and_sign_out(demo, printed, http):
    token = printed_session(http, printed)
    r = http.get("/files/", headers=bearer(token))
    assert r.status_code == 200 and {e["name"] for e in r.json()} == TOP_LEVEL
    r = http.get("/files/Photos/", headers=bearer(token))
    assert {e["name"] for e in r.json() if e["type"] == "file"} >= {"sunset.png", "waves.png"}
    r = http.get("/files/" + demo_mod.SHARED_PHOTO, headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.content == (demo.user.host_home / demo_mod.SHARED_PHOTO).read_bytes()
    r = http.post("/logout", json={}, headers=bearer(token))
    assert r.status_code == 200 and r.json()["revoked"] == "token"
    assert http.get("/files/", headers=bearer(token)).status_code == 401


def test_printed_share_link_opens_with_no_cookie_for_that_photo_only(demo, printed):
    url = re.search(r"^\s+(http://\S+\?token=\S+)$", printed, re.M).group(1)
    assert url == demo.share_url
    with Client(demo.server.base_url) as fresh:
        r = fresh.get(url)
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
        assert not fresh.cookies
        token = url.split("?token=", 1)[1]
        for other in ("/files/Photos/waves.png", "/files/Photos/", "/files/welcome.txt"):
            assert fresh.get(other + "?token=" + token).status_code == 401, other


def test_browser_without_a_session_goes_to_the_login(http):
    r = http.get("/files/Photos/", headers={"Accept": "text/html"})
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?return=")


def test_the_demo_needs_no_test_package():
    """What deps-runtime installs is enough to load the demo: no pytest, requests, PyJWT or
    python3-cryptography."""
    blocker = ("import sys, importlib.abc\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path, target=None):\n"
               "        if name.split('.')[0] in ('pytest', 'requests', 'jwt', 'cryptography'):\n"
               "            raise ImportError('test package ' + name)\n"
               "sys.meta_path.insert(0, Block())\n"
               "import runpy; runpy.run_path(sys.argv[1], run_name='not_main')\n")
    out = subprocess.run([sys.executable, "-c", blocker, str(DEMO_SCRIPT)], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert out.returncode == 0, out.stdout


def test_a_detached_passwd_is_reported_once_and_stops_the_demo():
    """The host replacing /etc/passwd detaches the namespace's bind mount; here the mount is
    detached inside the namespace only (umount there), which the kernel does the same way."""
    with Harness() as h:
        d = demo_mod.setup(h)
        stop, out = threading.Event(), io.StringIO()
        watch = demo_mod.AccountWatch(d, stop, interval=0.2, out=out)
        assert watch.problem() is None
        watch.start()
        assert not stop.wait(0.6) and out.getvalue() == ""
        with Client(d.server.base_url) as http:
            assert http.login(d.user.name, d.user.password).status_code == 200
            assert h.ns.run(["umount", "/etc/passwd"]).returncode == 0
            assert wait_until(stop.is_set, 10)
            watch.thread.join(5)
            text = out.getvalue()
            assert text.count('The demo account "demo" is gone') == 1
            assert "/etc/passwd was detached" in text and "make -f Makefile.apxs demo" in text
            assert not watch.check() and out.getvalue() == text     # said once
            assert http.login(d.user.name, d.user.password).status_code == 401
