"""The helper's per-process connection cap fits what Apache's own children legitimately hold
(found by the soak test): every worker thread keeps one connection for file requests, and a
login or mint takes one of its own on top. A child whose every thread has served a home file
must still get its logins to the helper (401 or 200, never a 503 with TA00068 logged)."""

import threading

import pytest

from taharness.http import Client
from taharness.site import RELAXED_THROTTLE

THREADS = 25          # Debian's default ThreadsPerChild
LOGINS = 16           # beyond the old cap of ThreadsPerChild + 8
HOME = """
ServerLimit 1
StartServers 1
ThreadsPerChild %d
MaxRequestWorkers %d
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
""" % (THREADS, THREADS)


@pytest.fixture(scope="module")
def srv(apache_factory, alice):
    big = alice.host_home / "public" / "big.bin"
    big.write_bytes(b"x" * (8 * 1024 * 1024))
    import os
    os.chown(big, alice.uid, alice.gid)
    yield apache_factory("capacity", extra=[HOME, RELAXED_THROTTLE])
    big.unlink()


def parallel(fn, n):
    out = [None] * n

    def run(i):
        out[i] = fn(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def test_logins_reach_the_helper_while_every_thread_keeps_its_connection(srv, mint, alice):
    token = mint("alice", ttl=600)
    mark = srv.error_log.mark()

    all_started = threading.Barrier(THREADS, timeout=30)

    def fetch(_):
        """Held open until every fetch has begun: one worker thread each."""
        with Client(srv.base_url, timeout=30) as c:
            r = c.get("/h/big.bin", headers={"Authorization": "Bearer " + token}, stream=True)
            first = r.raw.read(1024)
            all_started.wait()
            return r.status_code, len(first) + len(r.raw.read())

    def login(i):
        with Client(srv.base_url, timeout=30) as c:
            password = alice.password if i == 0 else "wrong-%d" % i
            return c.post("/login", json={"username": "alice", "password": password}).status_code

    fetched = parallel(fetch, THREADS)
    assert all(f == (200, 8 * 1024 * 1024) for f in fetched), fetched
    statuses = parallel(login, LOGINS)
    assert statuses[0] == 200, statuses
    assert sorted(set(statuses[1:])) == [401], statuses
    assert "TA00068" not in srv.error_log.text(mark)
