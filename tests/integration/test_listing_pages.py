"""Listings of any size (SPEC §6, docs/handlers.md): a TokenAuthHome directory of 100,000
entries is listed whole (JSON and HTML) and page by page (?offset=&limit=), sorted by name
(bytewise), so that the pages partition it exactly; the total counts what is listed, never a
dot-file or another owner's file; a scoped token lists its own directory only; paging
parameters outside their rules are refused with 400."""

import html
import os
import re
import time
from urllib.parse import quote, urljoin

import pytest

from taharness import helperproc
from taharness.homefiles import make_files_as, mkdir_as
from taharness.http import Client

SITE = """
<Location /h>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
</Location>
<Location /lax>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    TokenAuthHidden allow
    TokenAuthOwnerOnly Off
</Location>
"""
BIG = 100_000
# names the listing must sort bytewise: upper case before lower, UTF-8 after ASCII, and
# characters HTML and URLs must escape
SPECIAL = ["Zebra", "a b&c<d>.txt", "café.txt", "x?y#z%25.txt"]
JSON = {"Accept": "application/json"}
TIMEOUT = 60


def plant_unlisted(user, directory):
    """What no listing of /h shows: a dot-file, root's file (TokenAuthOwnerOnly On), a
    symlink, a FIFO."""
    (directory / ".hidden").write_bytes(b"dot")
    os.chown(directory / ".hidden", user.uid, user.gid)
    (directory / "root-owned.dat").write_bytes(b"root")
    os.symlink("Zebra", directory / "link")
    os.lchown(directory / "link", user.uid, user.gid)
    os.mkfifo(directory / "fifo")
    os.chown(directory / "fifo", user.uid, user.gid)


@pytest.fixture(scope="module")
def srv(apache_factory):
    return apache_factory("listing", extra=[SITE])


@pytest.fixture(scope="module")
def big(alice):
    """public/big/: 100,000 listed entries (99,996 files created in a scrambled order, the
    special names, a directory) and the unlisted ones; the names in bytewise order."""
    d = mkdir_as(alice, alice.host_home / "public" / "big")
    numbered = ["%05d.dat" % ((i * 7919) % BIG) for i in range(BIG - len(SPECIAL))]
    make_files_as(alice, d, numbered + SPECIAL[1:])
    mkdir_as(alice, d / "Zebra")
    plant_unlisted(alice, d)
    return sorted(numbered + SPECIAL, key=lambda s: s.encode())


@pytest.fixture(scope="module")
def small(alice):
    """public/small/: three listed names, a subdirectory, and the unlisted ones."""
    d = mkdir_as(alice, alice.host_home / "public" / "small")
    make_files_as(alice, d, ["b.txt", "a.txt", "c.txt"])
    mkdir_as(alice, d / "Zebra")
    mkdir_as(alice, d / "Zebra" / "inner")
    plant_unlisted(alice, d)
    return ["Zebra", "a.txt", "b.txt", "c.txt"]


@pytest.fixture(scope="module")
def session(mint):
    return mint("alice", ttl=3600)


@pytest.fixture
def c(srv):
    with Client(srv.base_url, timeout=TIMEOUT) as client:
        yield client


def get(c, path, token, json=True, **kw):
    headers = dict(JSON if json else {})
    headers.update(kw.pop("headers", {}) or {})
    if token:
        headers["Authorization"] = "Bearer " + token
    return c.get(path, headers=headers, **kw)


def next_link(r):
    """The Link header's rel="next" URL, or None."""
    link = r.headers.get("Link")
    if link is None:
        return None
    m = re.fullmatch(r'<([^>]*)>; rel="next"', link)
    assert m, link
    return m.group(1)


# --- pages -------------------------------------------------------------------------------

def test_json_pages_reach_every_entry_exactly_once(c, big, session):
    """Following Link from offset 0 visits every entry once, in order; every page says the
    total; the last has no Link. (A page costs the helper a read of the whole directory, some
    0.2 to 0.5 s here: one walk of 25 pages, and stretches of smaller pages below.)"""
    limit = 4093
    url, seen, pages = "/h/big/?offset=0&limit=%d" % limit, [], 0
    while url is not None:
        r = get(c, url, session)
        assert r.status_code == 200, (url, r.text[:200])
        assert r.headers["X-Total-Count"] == str(BIG)
        page = r.json()
        assert isinstance(page, list)
        assert len(page) == min(limit, BIG - len(seen))
        seen += [e["name"] for e in page]
        pages += 1
        url = next_link(r)
        if url is not None:
            assert url == "/h/big/?offset=%d&limit=%d" % (len(seen), limit)
    assert seen == big
    assert pages == -(-BIG // limit)


def test_json_pages_of_1000_partition_a_stretch(c, big, session):
    """Pages of 1000 from the start, around the middle and at the end meet without a gap or
    an overlap; the largest page (10000) is the same stretch as ten of them."""
    r = get(c, "/h/big/?offset=49000&limit=10000", session)
    assert [e["name"] for e in r.json()] == big[49000:59000]
    for start in (0, 49000, 97000):
        seen = []
        for offset in range(start, start + 3000, 1000):
            r = get(c, "/h/big/?offset=%d&limit=1000" % offset, session)
            assert r.status_code == 200 and r.headers["X-Total-Count"] == str(BIG)
            seen += [e["name"] for e in r.json()]
        assert seen == big[start:start + 3000]


def test_page_entries_have_name_type_size_and_mtime(c, big, session):
    r = get(c, "/h/big/?limit=5", session)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert next_link(r) == "/h/big/?offset=5&limit=5"
    entries = {e["name"]: e for e in get(c, "/h/big/?offset=99995&limit=5", session).json()}
    assert set(entries) == set(big[-5:])
    for e in r.json() + list(entries.values()):
        assert set(e) == {"name", "type", "size", "mtime"}
        assert e["type"] in ("file", "dir") and isinstance(e["size"], int)
        assert isinstance(e["mtime"], int) and e["mtime"] > time.time() - 86400
    zebra = [e for e in get(c, "/h/big/?offset=%d&limit=1" % big.index("Zebra"),
                            session).json()]
    assert zebra == [dict(zebra[0], name="Zebra", type="dir", size=0)]


def test_offset_at_or_past_the_end_is_an_empty_page_with_the_total(c, big, session):
    for q in ("offset=%d&limit=10" % BIG, "offset=4294967295&limit=10000",
              "offset=%d" % (BIG + 1)):
        r = get(c, "/h/big/?" + q, session)
        assert r.status_code == 200 and r.json() == [], q
        assert r.headers["X-Total-Count"] == str(BIG)
        assert "Link" not in r.headers
    r = get(c, "/h/big/?offset=%d&limit=10" % (BIG - 3), session)
    assert [e["name"] for e in r.json()] == big[-3:] and "Link" not in r.headers


# --- the whole directory -------------------------------------------------------------------

def test_whole_json_listing_has_every_entry(c, big, session):
    r = get(c, "/h/big/", session)
    assert r.status_code == 200
    assert r.headers["X-Total-Count"] == str(BIG)
    assert "Link" not in r.headers
    # written as it is read, not sized first: the body comes in chunks
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    assert [e["name"] for e in r.json()] == big


def test_html_listing_has_every_entry_escaped_with_size_date_and_parent(c, big, session):
    r = get(c, "/h/big/", session, json=False, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    body = r.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert '<a href="../">' in body
    rows = re.findall(r'<tr><td><a href="\./([^"]*)">([^<]*)</a></td><td>([^<]*)</td>'
                      r'<td>(?:<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)">'
                      r'\d{4}-\d\d-\d\d \d\d:\d\d</time>)</td></tr>', body)
    assert len(rows) == BIG
    assert [html.unescape(text).rstrip("/") for _, text, _, _ in rows] == big
    by_name = {html.unescape(text): (html.unescape(href), size) for href, text, size, _ in rows}
    assert by_name["a b&c<d>.txt"] == ("a%20b&c%3cd%3e.txt", "0 B")
    assert by_name["x?y#z%25.txt"][0] == "x%3fy%23z%2525.txt"
    assert by_name["Zebra/"] == ("Zebra/", "-")
    assert "<d>" not in body and "%d entries" % BIG in body
    assert ".hidden" not in body and "root-owned" not in body and ">link<" not in body


def test_html_links_lead_to_the_entries(c, big, small, session):
    """The href of a row is the entry's own URL: the special names can be fetched by it."""
    page = get(c, "/h/small/", session, json=False).text
    hrefs = re.findall(r'<a href="([^"]*)">', page)
    assert hrefs[0] == "../" and len(hrefs) == 5
    for href in hrefs[1:]:
        r = get(c, urljoin("/h/small/", html.unescape(href)), session, json=False)
        assert r.status_code == 200, href
    r = get(c, "/h/big/" + quote("a b&c<d>.txt"), session, json=False)
    assert r.status_code == 200 and r.content == b""


# --- what is counted ---------------------------------------------------------------------

def test_total_counts_only_what_is_listed(c, small, session):
    """Under TokenAuthOwnerOnly On and TokenAuthHidden deny (/h) neither the dot-file nor
    root's file is listed or counted; where both are relaxed (/lax) they are; a symlink or a
    FIFO never is."""
    r = get(c, "/h/small/", session)
    assert [e["name"] for e in r.json()] == small
    assert r.headers["X-Total-Count"] == "4"
    r = get(c, "/h/small/?offset=1&limit=2", session)
    assert [e["name"] for e in r.json()] == small[1:3]
    assert r.headers["X-Total-Count"] == "4"
    r = get(c, "/lax/small/", session)
    assert [e["name"] for e in r.json()] == [".hidden"] + small[:1] + ["a.txt", "b.txt",
                                                                       "c.txt", "root-owned.dat"]
    assert r.headers["X-Total-Count"] == "6"


# --- scoped tokens -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["url", "share"])
def test_scoped_token_lists_its_directory_only(c, small, mint, kind):
    tok = mint("alice", kind=kind, scope="/h/small/", ttl=600)
    r = c.get("/h/small/?sort=name&token=%s&limit=2" % tok, headers=JSON)
    assert r.status_code == 200
    assert [e["name"] for e in r.json()] == small[:2]
    assert r.headers["X-Total-Count"] == "4"
    # the next page keeps the other parameters, and never the token: the client sends it
    # again as it sent it here
    assert next_link(r) == "/h/small/?sort=name&offset=2&limit=2"
    assert tok not in r.headers["Link"] and "REDACTED" not in r.headers["Link"]
    r = c.get(next_link(r) + "&token=" + tok, headers=JSON)
    assert [e["name"] for e in r.json()] == small[2:]
    assert c.get("/h/small/Zebra/?token=" + tok, headers=JSON).status_code == 200
    for other in ("/h/", "/h/big/", "/lax/small/"):
        assert c.get(other + "?token=" + tok, headers=JSON).status_code in (401, 403), other
    # at the scope's root, no parent link a scoped token could not follow
    page = c.get("/h/small/?token=" + tok).text
    assert '<a href="../">' not in page and "a.txt" in page
    # below it, the parent link carries the token, as every link of a query token's listing
    assert '<a href="../?token=%s">' % tok in c.get("/h/small/Zebra/?token=" + tok).text


def test_parent_link_everywhere_but_at_the_locations_root(c, small, session):
    assert '<a href="../">' not in get(c, "/h/", session, json=False).text
    assert '<a href="../">' in get(c, "/h/small/", session, json=False).text


# --- refusals ------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "offset=-1", "offset=abc", "offset=1.5", "offset=%2B1", "offset=", "offset",
    "offset=4294967296", "offset=99999999999999999999",
    "limit=0", "limit=10001", "limit=-3", "limit=1e3", "limit=",
    "offset=1&offset=2", "limit=5&limit=5", "offset=0&limit=10&offset=0",
])
def test_bad_paging_parameters_are_400(c, small, session, query):
    r = get(c, "/h/small/?" + query, session)
    assert r.status_code == 400, (query, r.status_code)
    body = r.json()
    assert body["error"] == "invalid_request" and body["error_description"]
    assert r.headers["Content-Type"].startswith("application/json")


def test_html_listing_ignores_the_paging_parameters(c, small, session):
    """They are the JSON listing's: the HTML page is the whole directory, whatever they say."""
    for q in ("offset=1&limit=1", "limit=0"):
        r = get(c, "/h/small/?" + q, session, json=False)
        assert r.status_code == 200 and all(n in r.text for n in ("a.txt", "b.txt", "c.txt"))


def test_listing_refused_without_a_token_or_for_a_missing_directory(c, small, session):
    assert c.get("/h/small/?limit=1", headers=JSON).status_code == 401
    assert get(c, "/h/nothing-here/?limit=1", session).status_code == 404
    assert get(c, "/h/.config/?limit=1", session).status_code == 403


def test_helper_answers_a_listing_request_once(srv, c, big, session):
    """One helper request per HTTP request, whatever the size: the helper's debug line for
    the listing appears once for one whole HTML page of 100,000 entries."""
    before = srv.paths.error_log.read_text().count("helper: list /h/big/")
    assert get(c, "/h/big/", session, json=False).status_code == 200
    deadline = time.time() + 5
    while time.time() < deadline:
        after = srv.paths.error_log.read_text().count("helper: list /h/big/")
        if after > before:
            break
        time.sleep(0.1)
    time.sleep(0.3)
    assert srv.paths.error_log.read_text().count("helper: list /h/big/") == before + 1
    assert helperproc.helpers_of(srv)
