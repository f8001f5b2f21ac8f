"""Attacks on home-directory listings from inside an Apache child: the worker is an untrusted
client of the helper (docs/helper.md#trust-model), and a listing is the one answer of the
helper that is large (up to 1,000,000 entries, in frames of 1 MiB) and costly to hold (up to
64 MiB of entries for its whole send). Code in a child must not be able to make the root
helper hold that memory for as long as it likes, nor for as many connections as it can open.

The attacker is a client of our own on a borrowed hub (taharness.hubclient's way in, as
www-data: what code in a child can do), which reads a listing's answer as slowly as it likes.
Every attack is shown next to the legitimate path (the same request read at once)."""

import json
import os
import struct
import time

import pytest

from taharness import helperproc
from taharness.homefiles import make_files_as, mkdir_as
from taharness.helperproc import (FILE_IS_DIR, LIST_RESP, list_req, list_resp, parse_frames,
                                  status_field)

SITE = """
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
"""

# The helper's debug line for the file named "sep\u2028ara\u2029" is one line of the error
# log, which Python's splitlines (the harness's reader) cuts at U+2028 and U+2029.
ERROR_LOG_ALLOW = [r"^ara\u2029?$", r"^: ok$"]

LONG = 12_000          # entries of 200-byte names: an answer of about 2.6 MB, 3 frames
MANY = 60_000          # short names: each listing holds some 5 MB in the helper
SEND_BOUND = 10        # seconds within which the helper sends a listing's answer, or gives up

# The attacker: hubclient's way to the helper (borrow a child's hub, become www-data, connect),
# and a reader that takes `chunk` bytes every `pause` seconds from each of its connections.
TRICKLE = helperproc.CLIENT.split("\nif __name__ ==")[0] + r'''

def trickle(cfg):
    hub, _, _ = borrow_hub(int(cfg["pid"]))
    become(cfg.get("creds"))
    data = bytes.fromhex(cfg["data"])
    conns = []
    for _ in range(int(cfg["count"])):
        s, accept = connect(hub)
        s.sendall(data)
        s.setblocking(False)
        conns.append({"sock": s, "accept": accept, "got": 0, "closed": None, "head": b""})
    t0 = time.monotonic()
    print(json.dumps({"ready": True}), flush=True)
    while time.monotonic() - t0 < float(cfg["seconds"]):
        for c in conns:
            if c["closed"] is not None:
                continue
            try:
                b = c["sock"].recv(int(cfg["chunk"]))
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            if not b:
                c["closed"] = round(time.monotonic() - t0, 2)
            c["got"] += len(b)
            if len(c["head"]) < 64:
                c["head"] += b[:64]
        if all(c["closed"] is not None for c in conns):
            break
        time.sleep(float(cfg["pause"]))
    print(json.dumps([{"accept": c["accept"], "got": c["got"], "closed": c["closed"],
                       "head": c["head"].hex()} for c in conns]), flush=True)
    sys.stdin.read()

trickle(json.loads(sys.argv[1]))
'''


def start_trickle(harness, srv, data: bytes, count: int, chunk: int, pause: float,
                  seconds: float):
    cfg = {"pid": helperproc.worker_with_hub(srv),
           "creds": helperproc.creds_of(harness.ns, "www-data"), "data": data.hex(),
           "count": count, "chunk": chunk, "pause": pause, "seconds": seconds}
    p = harness.ns.popen_python_as(None, TRICKLE, [json.dumps(cfg)])
    line = p.stdout.readline()
    if not json.loads(line or "{}").get("ready"):
        helperproc.release(p)
        raise AssertionError("trickling client failed: %r %s" % (line, p.stderr.read()))
    return p


def trickle_result(p) -> list:
    line = p.stdout.readline()
    helperproc.release(p)
    return json.loads(line)


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("listattack", extra=[SITE])


@pytest.fixture(scope="module")
def long_names(alice):
    d = mkdir_as(alice, alice.host_home / "public" / "long")
    make_files_as(alice, d, ["%05d" % i + "x" * 195 for i in range(LONG)])
    return "/h/long/"


@pytest.fixture(scope="module")
def many(alice):
    d = mkdir_as(alice, alice.host_home / "public" / "many")
    make_files_as(alice, d, ["%06d.dat" % i for i in range(MANY)])
    return "/h/many/"


@pytest.fixture(scope="module")
def session(mint):
    return mint("alice", ttl=3600)


def helper_pid(srv) -> int:
    (h,) = [p for p in helperproc.helpers_of(srv) if p.state != "Z"]
    return h.pid


def rss_kib(pid: int) -> int:
    return int(status_field(pid, "VmRSS").split()[0])


def whole_answer(harness, srv, token, path) -> list:
    """The legitimate path: the listing read at once, every frame of it."""
    t = helperproc.talk(harness.ns, srv, list_req(token, path), wait=30)
    frames = [list_resp(f) for f in parse_frames(t.reply) if f.msg_type == LIST_RESP]
    assert frames and frames[-1].more == 0 and all(f.more == 1 for f in frames[:-1]), t
    return frames


def test_a_slow_reader_cannot_hold_the_helper_with_a_listing(harness, srv, long_names,
                                                             session):
    """A worker that reads a multi-frame answer a little at a time, just often enough to
    keep each send going, is cut off once the answer took SEND_BOUND seconds: the helper's
    thread and the listing it holds (here 2.6 MB; up to 64 MiB) go. Read at once, the same
    answer comes whole."""
    frames = whole_answer(harness, srv, session, long_names)
    assert len(frames) >= 3 and sum(len(f.names) for f in frames) == LONG
    assert all(f.status == FILE_IS_DIR and f.total == LONG for f in frames)

    p = start_trickle(harness, srv, list_req(session, long_names), count=1, chunk=65536,
                      pause=1.5, seconds=SEND_BOUND + 15)
    (r,) = trickle_result(p)
    assert r["accept"] == "accepted"
    head = bytes.fromhex(r["head"])
    assert head[3] == LIST_RESP and struct.unpack(">BB", head[12:14]) == (FILE_IS_DIR, 1)
    # at 64 KiB every 1.5 s the answer would take some 60 s: the helper gives up first
    assert r["closed"] is not None and r["closed"] <= SEND_BOUND + 6, r
    assert r["got"] < 2_000_000, r


def test_many_slow_listings_do_not_multiply_the_helpers_memory(harness, srv, many, session):
    """Sixteen connections of one process each ask for the same large listing and read it
    slowly. Each listing holds its entries until its answer is sent; the helper lists four
    large directories at once (the others wait for their turn), so its memory grows by a few
    listings' worth, not sixteen."""
    frames = whole_answer(harness, srv, session, many)
    assert sum(len(f.names) for f in frames) == MANY

    pid = helper_pid(srv)
    time.sleep(1)
    base = rss_kib(pid)
    p = start_trickle(harness, srv, list_req(session, many), count=1, chunk=4096, pause=1,
                      seconds=4)
    time.sleep(2.5)
    one = rss_kib(pid) - base
    trickle_result(p)
    assert one > 3000, "one held listing should cost the helper megabytes: %d KiB" % one

    time.sleep(1)
    base = rss_kib(pid)
    p = start_trickle(harness, srv, list_req(session, many), count=16, chunk=4096, pause=1,
                      seconds=6)
    peak = 0
    for _ in range(10):
        time.sleep(0.5)
        peak = max(peak, rss_kib(pid) - base)
    results = trickle_result(p)
    assert all(r["accept"] == "accepted" for r in results), results
    assert peak < 8 * one, "16 held listings cost %d KiB, one %d KiB" % (peak, one)
    # and the helper still lists for everyone once they are gone
    frames = whole_answer(harness, srv, session, many)
    assert sum(len(f.names) for f in frames) == MANY


# --- hostile names -------------------------------------------------------------------------

# Names a user (or whoever writes into the user's directory) may give files, meant to break
# out of the JSON string, the HTML element or attribute, or the Link header.
HOSTILE = [b'q"uote', b"apos'trophe", b"<script>alert(1)<img src=x onerror=alert(2)>", b"new\nline",
           b"tab\tcr\r", b"back\\slash", b"bad\xffutf8\xc0\xaf", b"sep\xe2\x80\xa8ara\xe2\x80\xa9",
           b"javascript:alert(1)", b"&amp;", b"n" * 255, b"del\x7f", b"%2e%2e", b"?x=1#frag"]
ODD_DIR = b"x>y, <z>; rel=\"prev\" Link: evil"



@pytest.fixture(scope="module")
def hostile(alice):
    d = mkdir_as(alice, alice.host_home / "public" / "hostile")
    make_files_as(alice, os.fsencode(d), HOSTILE)
    odd = mkdir_as(alice, d / os.fsdecode(ODD_DIR))
    make_files_as(alice, odd, ["a", "b"])
    return "/h/hostile/"


def as_json_text(name: bytes) -> str:
    """What the listing's JSON says a name is: each byte that starts no UTF-8 sequence as
    U+FFFD."""
    return name.decode("utf-8", errors="replace")


def test_hostile_names_stay_inside_their_json_strings(srv, hostile, session):
    from taharness.http import Client
    with Client(srv.base_url, timeout=30) as c:
        r = c.get(hostile, headers={"Accept": "application/json",
                                    "Authorization": "Bearer " + session})
    assert r.status_code == 200 and r.headers["X-Total-Count"] == str(len(HOSTILE) + 1)
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    body = r.content
    body.decode("utf-8")                          # JSON text is UTF-8, whatever the names
    entries = json.loads(body)                    # strict: no raw control characters
    assert sorted(e["name"] for e in entries) == sorted(
        as_json_text(n) for n in HOSTILE + [ODD_DIR])
    assert all(set(e) == {"name", "type", "size", "mtime"} for e in entries)
    assert b"<script>" in body and b"\n" not in body.strip().replace(b",\n", b",")


def test_hostile_names_stay_inside_their_html_elements(srv, hostile, session):
    from taharness.http import Client
    import html as htmlmod
    import re
    from urllib.parse import unquote_to_bytes
    with Client(srv.base_url, timeout=30) as c:
        r = c.get(hostile, headers={"Authorization": "Bearer " + session})
        assert r.status_code == 200
        # our own page: no script may run in it at all
        csp = r.headers["Content-Security-Policy"]
        assert csp.startswith("default-src 'none';") and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        page = r.content.decode("utf-8", errors="surrogateescape")
        assert "<script" not in page and "<img" not in page
        assert re.findall(r'href="([^"]*)"', page) == ["../"] + [
            h for h in re.findall(r'href="([^"]*)"', page)[1:] if h.startswith("./")]
        rows = re.findall(r'<tr><td><a href="\./([^"<>]*)">([^<>]*)</a></td>', page)
        assert len(rows) == len(HOSTILE) + 1
        hrefs = {unquote_to_bytes(htmlmod.unescape(h)) for h, _ in rows}
        assert hrefs == set(HOSTILE) | {ODD_DIR + b"/"}
        texts = {htmlmod.unescape(t).encode("utf-8", "surrogateescape") for _, t in rows}
        assert texts == set(HOSTILE) | {ODD_DIR + b"/"}
        # every link leads to its own entry (names with control characters are listed, but
        # no file request reaches them: docs/helper.md, names are checked first)
        for h, _ in rows:
            name = unquote_to_bytes(htmlmod.unescape(h))
            got = c.get(hostile + htmlmod.unescape(h),
                        headers={"Authorization": "Bearer " + session})
            control = any(b < 0x20 or b == 0x7f for b in name)
            assert got.status_code == (404 if control else 200), (h, got.status_code)


def test_a_hostile_directory_name_cannot_add_to_the_link_header(srv, hostile, session):
    """The next page's Link carries the directory's path percent-encoded: its '<', '>',
    quotes, blanks and line breaks cannot end the URI, add a parameter or a header."""
    from taharness.http import Client
    from urllib.parse import quote_from_bytes
    path = hostile + quote_from_bytes(ODD_DIR, safe="") + "/"
    with Client(srv.base_url, timeout=30) as c:
        r = c.get(path + "?limit=1", headers={"Accept": "application/json",
                                              "Authorization": "Bearer " + session})
        assert r.status_code == 200, r.text[:200]
        assert [e["name"] for e in r.json()] == ["a"]
        link = r.headers["Link"]
        assert "Link" not in [k for k in r.headers if k.lower() == "link" and k != "Link"]
        assert link.count("<") == 1 and link.count(">") == 1 and link.endswith('>; rel="next"')
        assert "\n" not in link and '"prev"' not in link and " " not in link.split(">")[0]
        nxt = link[1:link.index(">")]
        r = c.get(nxt, headers={"Accept": "application/json",
                                "Authorization": "Bearer " + session})
        assert [e["name"] for e in r.json()] == ["b"] and "Link" not in r.headers


# --- odd windows, pipelining, a worker that goes away ----------------------------------------

def test_extreme_windows_and_a_request_pipelined_behind_a_listing(harness, srv, long_names,
                                                                  session):
    """Windows at the ends of u32 get the total and no entries, or the last ones; a request
    sent at once behind a listing of several frames is answered after its last frame, on the
    same connection, in order."""
    from taharness.helperproc import OPEN_RESP, open_req, open_resp
    reqs = (list_req(session, long_names, req_id=7, offset=0xFFFFFFFF, limit=1_000_000) +
            list_req(session, long_names, req_id=8, offset=LONG - 2, limit=0) +
            list_req(session, long_names, req_id=9) +
            open_req(session, long_names + "00001" + "x" * 195, req_id=10))
    t = helperproc.talk(harness.ns, srv, reqs, wait=30, frames=0)
    frames = parse_frames(t.reply)
    ids = [f.req_id for f in frames]
    assert ids[:2] == [7, 8] and ids[-1] == 10 and set(ids[2:-1]) == {9}, ids
    a, b = list_resp(frames[0]), list_resp(frames[1])
    assert (a.status, a.more, a.total, a.names) == (FILE_IS_DIR, 0, LONG, ())
    assert (b.more, b.total, len(b.names)) == (0, LONG, 2)
    whole = [list_resp(f) for f in frames[2:-1]]
    assert sum(len(w.names) for w in whole) == LONG and whole[-1].more == 0
    assert frames[-1].msg_type == OPEN_RESP and open_resp(frames[-1]).status == 0


def test_a_worker_that_leaves_mid_answer_costs_only_its_connection(harness, srv, long_names,
                                                                   session):
    """Ten connections ask for a listing of several frames and close after its first bytes
    (those that had a turn; the others close while they wait for one): the helper goes on
    serving, every turn given back, the same listing read whole at once."""
    p = start_trickle(harness, srv, list_req(session, long_names), count=10, chunk=1000,
                      pause=0.05, seconds=1.5)
    results = trickle_result(p)      # the client closes its connections as it ends
    assert all(r["accept"] == "accepted" and r["got"] < 500_000 for r in results), results
    assert sum(r["got"] > 0 for r in results) >= 4, results
    t0 = time.monotonic()
    frames = whole_answer(harness, srv, session, long_names)
    assert sum(len(f.names) for f in frames) == LONG
    assert time.monotonic() - t0 < 10
