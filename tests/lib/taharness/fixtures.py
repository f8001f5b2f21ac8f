"""pytest fixtures that the integration and the browser suites share; each conftest imports
them by name. Both define the session fixture `harness` (with the users alice, bob, carol)."""

import pytest

TEST_USERS = ("alice", "bob", "carol")


def unjudged_errors(harness, offsets, allow) -> list:
    """Bad lines of every server's error log after its judged offset."""
    return ["%s: %s" % (srv.paths.error_log, line) for srv in harness.servers
            for line in srv.unexpected_errors(offsets.get(id(srv), 0), allow)]


@pytest.fixture(scope="session")
def checked_log_offsets():
    """Per server (by id), the error-log offset up to which lines were already judged."""
    return {}


@pytest.fixture(scope="session")
def alice(harness):
    return harness.users.get("alice")


@pytest.fixture(scope="session")
def bob(harness):
    return harness.users.get("bob")


@pytest.fixture(scope="session")
def carol(harness):
    return harness.users.get("carol")
