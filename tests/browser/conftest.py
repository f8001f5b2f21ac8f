"""Fixtures of the browser tests: the integration harness (private namespace, real PAM, users
with 0700 homes, Apache running the real module as www-data) serving issue 12's site, and
headless Chromium sessions.

  harness      (session) namespace, users alice/bob/carol with sample files in their homes
  alice/bob/carol (session) the users; home_sizes: path in the home -> size in bytes
  server       (session) Apache with the site (tests/browser/appsite.py), relaxed throttle
  apache_factory (module) start(name, extra=[...]) another server with the site
  browser      (module) one Chromium session for the module's tests (its own profile)
  new_browser  (function) new_browser(name, server=None): another Chromium with a fresh
               profile (no cookie, no storage), closed after the test

On a failure, every browser the test used leaves a screenshot, the page source and the
console log under <build>/browser/. After each module, no unexpected error-log line."""

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import appsite  # noqa: E402
from taharness import Harness, paths  # noqa: E402
from taharness.site import RELAXED_THROTTLE  # noqa: E402

TEST_USERS = ("alice", "bob", "carol")
FAILURE_DIR_NAME = "browser"


def failure_dir() -> Path:
    return paths.build_dir() / FAILURE_DIR_NAME


@pytest.fixture(scope="session")
def checked_log_offsets():
    return {}


@pytest.fixture(scope="session")
def harness(checked_log_offsets):
    shutil.rmtree(failure_dir(), ignore_errors=True)    # only this run's failures in there
    h = Harness().start()
    try:
        h.home_sizes = {}
        for name in TEST_USERS:
            user = h.users.add_user(name, name + "-pw")
            h.home_sizes[name] = appsite.populate_home(user)
        yield h
        h.stop_servers()
        late = unjudged_errors(h, checked_log_offsets, ())
        assert not late, "unexpected error-log lines at shutdown:\n" + "\n".join(late)
    finally:
        h.close()


def unjudged_errors(harness, offsets, allow) -> list:
    return ["%s: %s" % (srv.paths.error_log, line) for srv in harness.servers
            for line in srv.unexpected_errors(offsets.get(id(srv), 0), allow)]


@pytest.fixture(scope="session")
def alice(harness):
    return harness.users.get("alice")


@pytest.fixture(scope="session")
def bob(harness):
    return harness.users.get("bob")


@pytest.fixture(scope="session")
def carol(harness):
    return harness.users.get("carol")


@pytest.fixture(scope="session")
def home_sizes(harness):
    """Path in a user's home -> size, the same for every test user."""
    return harness.home_sizes["alice"]


@pytest.fixture(scope="session")
def server(harness):
    return appsite.start_server(harness, "site", extra=[RELAXED_THROTTLE])


@pytest.fixture(scope="module")
def apache_factory(harness, request):
    started = []
    prefix = request.module.__name__.rsplit(".", 1)[-1]

    def make(name, extra=()):
        srv = appsite.start_server(harness, "%s-%s" % (prefix, name), extra=extra)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="module")
def browser(server):
    b = appsite.Browser(server.base_url, "main")
    yield b
    b.quit()


@pytest.fixture
def new_browser(server, request):
    made = []

    def make(name="fresh", on=None, **kw):
        b = appsite.Browser((on or server).base_url, name, **kw)
        made.append(b)
        return b

    request.node.extra_browsers = made
    yield make
    for b in made:
        b.quit()


# --- failures leave a screenshot and the page --------------------------------------------
def _browsers_of(item) -> list:
    found = [v for v in getattr(item, "funcargs", {}).values() if isinstance(v, appsite.Browser)]
    return found + list(getattr(item, "extra_browsers", []))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when in ("setup", "call") and rep.failed:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("/")[-1])
        saved = []
        for b in _browsers_of(item):
            saved += b.save_failure(failure_dir(), stem)
        if saved:
            rep.sections.append(("browser state", "\n".join(str(s) for s in saved)))


# --- error logs ----------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def error_log_guard(harness, checked_log_offsets, request):
    """After a module: no error-level line in any server's log that the module did not
    declare in ERROR_LOG_ALLOW."""
    allow = list(getattr(request.module, "ERROR_LOG_ALLOW", ()))
    for srv in harness.servers:
        checked_log_offsets[id(srv)] = srv.error_log.mark()
    yield
    found = unjudged_errors(harness, checked_log_offsets, allow)
    for srv in harness.servers:
        checked_log_offsets[id(srv)] = srv.error_log.mark()
    if found:
        pytest.fail("unexpected error-log lines after %s:\n%s"
                    % (request.module.__name__, "\n".join(found)), pytrace=False)
