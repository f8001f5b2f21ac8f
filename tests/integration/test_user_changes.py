"""A token is good only while its user exists with the uid it was issued for (SPEC §3).
The module caches look-ups per process for TA_USERCACHE_SECONDS (2 s), so the tests wait a
little longer than that after changing the user database."""

import time
from types import SimpleNamespace

import pytest

from taharness import expect
from taharness.http import Client
from taharness.site import FILES

HELLO = FILES["files/hello.txt"]
USER_CACHE_SETTLE = 2.5


def get(http, token):
    return http.get("/files/hello.txt", headers={"Authorization": "Bearer " + token})


@pytest.fixture(scope="module")
def changed(harness, server, mint):
    """dave is deleted and erin re-created with a new uid, after both tokens were shown to
    work (which also puts the users into the server's caches). One wait serves all tests."""
    users = harness.users
    users.add_user("dave")
    erin = users.add_user("erin")
    t = SimpleNamespace(dave=mint("dave"), erin_old=mint("erin"), old_erin_uid=erin.uid)
    with Client(server.base_url) as c:
        for token in (t.dave, t.erin_old):
            for _ in range(4):   # several connections, so both children see them
                expect.served(get(c, token), HELLO)
                c.close()
    users.delete_user("dave")
    t.new_erin = users.recreate_user_with_new_uid("erin")
    time.sleep(USER_CACHE_SETTLE)
    t.erin_new = mint("erin")
    yield t
    users.delete_user("erin")


def test_deleted_users_token_refused(server, http, changed):
    mark = server.error_log.mark()
    expect.refused(get(http, changed.dave))
    assert expect.refusal_reasons(server, mark) == ["unknown_user"]


def test_recreated_users_old_token_refused(server, http, changed):
    assert changed.new_erin.uid != changed.old_erin_uid
    mark = server.error_log.mark()
    expect.refused(get(http, changed.erin_old))
    assert expect.refusal_reasons(server, mark) == ["uid_mismatch"]


def test_recreated_users_new_token_accepted(http, changed):
    expect.served(get(http, changed.erin_new), HELLO)

