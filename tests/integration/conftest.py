"""Fixtures of the integration suite; the machinery lives in tests/lib/taharness.

  harness        (session) work dir, namespace, users alice/bob/carol, key file; at the end
                 every server is stopped and the host's /etc and /home are checked unchanged
  alice/bob/carol (session) the users (taharness.users.User)
  server         (session) Apache with the default site (taharness.site), started on first use
  http           a Client for `server` (relative URLs, 10 s timeout, no redirects)
  mint           mint(user, kind=, scope=, ttl=, issuer=, key_file=) via the tokenauth CLI
  apache_factory (module) start(name, extra=[...], snippets=None, key_file=None, start=True)
                 for a module's own servers, stopped when the module ends
  error_log_guard (module, autouse) after each module, no unexpected error lines in any
                 server's log and no sanitizer report; a module may set
                 ERROR_LOG_ALLOW = [regex, ...], a test may call expect_error_log(regex)
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from taharness import Harness, paths  # noqa: E402
from taharness.http import Client  # noqa: E402
from taharness.fixtures import (TEST_USERS, alice, bob, carol,  # noqa: E402,F401
                                checked_log_offsets, unjudged_errors)
from taharness.site import RELAXED_THROTTLE  # noqa: E402


def pytest_report_header(config):
    from taharness import sanitizers
    return "mod_tokenauth: %s (sanitizers %s)" % (paths.module_path(),
                                                   "on" if sanitizers.enabled() else "off")


@pytest.fixture(scope="session")
def harness(checked_log_offsets):
    h = Harness().start()
    try:
        for name in TEST_USERS:
            h.users.add_user(name, name + "-pw")
        yield h
        h.stop_servers()
        late = unjudged_errors(h, checked_log_offsets, allow=())
        assert not late, "unexpected error-log lines at shutdown:\n" + "\n".join(late)
    finally:
        h.close()


@pytest.fixture(scope="session")
def key_file(harness):
    return harness.key_file


@pytest.fixture(scope="session")
def server(harness):
    return harness.start_apache("default", extra=[RELAXED_THROTTLE])


@pytest.fixture(scope="session")
def mint(harness):
    return harness.mint


@pytest.fixture
def http(server):
    with Client(server.base_url) as client:
        yield client


@pytest.fixture(scope="module")
def apache_factory(harness, request):
    """Servers of one test module, named after it, stopped when it ends."""
    started = []
    prefix = request.module.__name__.rsplit(".", 1)[-1]

    def make(name, extra=(), snippets=None, key_file=None, start=True):
        srv = harness.apache("%s-%s" % (prefix, name), snippets=snippets, extra=extra,
                             key_file=key_file)
        started.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in started:
        srv.stop()


class ErrorLogGuard:
    """Judges, after a module, what every server's error log gained during it, and whether
    a sanitizer report appeared."""

    def __init__(self, harness, offsets, allow):
        self.harness = harness
        self.offsets = offsets
        self.allow = list(allow)
        for srv in harness.servers:
            offsets[id(srv)] = srv.error_log.mark()
        self.reports_before = set(harness.sanitizers.reports())

    def problems(self) -> list:
        found = unjudged_errors(self.harness, self.offsets, self.allow)
        for srv in self.harness.servers:
            self.offsets[id(srv)] = srv.error_log.mark()
        new_reports = [r for r in self.harness.sanitizers.reports() if r not in self.reports_before]
        if new_reports:
            found.append(self.harness.sanitizers.describe(new_reports))
        return found


@pytest.fixture(scope="module", autouse=True)
def error_log_guard(harness, checked_log_offsets, request):
    guard = ErrorLogGuard(harness, checked_log_offsets,
                          getattr(request.module, "ERROR_LOG_ALLOW", ()))
    yield guard
    problems = guard.problems()
    if problems:
        pytest.fail("unexpected error-log lines or sanitizer reports after %s:\n%s"
                    % (request.module.__name__, "\n".join(problems)), pytrace=False)


@pytest.fixture
def expect_error_log(error_log_guard):
    """expect_error_log(regex): this line is expected in the module's error logs."""
    return error_log_guard.allow.append
