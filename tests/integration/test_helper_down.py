"""A helper that is away answers fast: requests that need it get 503 with Retry-After within
about a second (the hub's accept wait), instead of holding a worker thread, and the service
comes back by itself. Stopping the helper (SIGSTOP) is the hardest case: its socket stays
open, nothing answers."""

import os
import signal
import time

import pytest

from taharness import helperproc
from taharness.http import Client
from taharness.waiting import wait_until

HOME = """
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    # every request needs the helper here (a kept descriptor would serve a hot file without it)
    TokenAuthHomeCache 0
</Location>
"""
# what the module logs while its helper is stopped
ERROR_LOG_ALLOW = [r"TA00040: home (file|listing) for alice: ", r"TA00022: login of alice from "]


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("helper-down", extra=[HOME])


def the_helper(srv):
    live = wait_until(lambda: [p for p in helperproc.helpers_of(srv) if p.state != "Z"], 10)
    assert live and len(live) == 1, live
    return live[0]


def timed(c, *a, **kw):
    t0 = time.monotonic()
    r = c.get(*a, **kw)
    return r, time.monotonic() - t0


def test_stopped_helper_gives_503_with_retry_after_within_a_second(srv, mint, alice):
    token = mint("alice", ttl=600)
    auth = {"Authorization": "Bearer " + token}
    with Client(srv.base_url) as c:
        for _ in range(4):   # every worker thread that served these holds a kept connection
            assert c.get("/h/cat.txt", headers=auth).status_code == 200
        helper = the_helper(srv)
        os.kill(helper.pid, signal.SIGSTOP)
        try:
            slowest = 0.0
            for _ in range(4):
                r, took = timed(c, "/h/cat.txt", headers=auth)
                assert r.status_code == 503, r.text[:200]
                assert r.headers["Retry-After"].isdigit()
                slowest = max(slowest, took)
            r, took = timed(c, "/h/", headers=dict(auth, Accept="application/json"))
            assert r.status_code == 503 and "Retry-After" in r.headers
            slowest = max(slowest, took)
            assert slowest < 1.5, "a request waited %.1f s for a stopped helper" % slowest
        finally:
            os.kill(helper.pid, signal.SIGCONT)
        assert wait_until(lambda: c.get("/h/cat.txt", headers=auth).status_code == 200, 10)
