"""The links of an HTML listing opened with a query token (a share link of a folder, an app's
url token) carry that token, so that a recipient without a cookie can open what the folder
holds; a listing opened with a cookie or a bearer links without any token; a token never
reaches beyond its scope through them."""

import html
import re
from urllib.parse import urljoin

import pytest

from taharness.homefiles import location, mkdir_as, put_file
from taharness.http import Client

SITE = location("/lk") + location("/lkp", "TokenAuthQueryParam t")


@pytest.fixture(scope="module")
def srv(apache_factory, alice):
    folder = mkdir_as(alice, alice.host_home / "public" / "shared")
    mkdir_as(alice, folder / "inner")
    put_file(alice, "shared/photo.txt", "a picture\n")
    put_file(alice, "shared/inner/deep.txt", "deeper\n")
    put_file(alice, "private.txt", "not shared\n")
    return apache_factory("listinglinks", extra=[SITE])


def hrefs(page: str) -> list:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)
            if not h.startswith(("/", "#"))]


def follow(c, page_url, href, **kw):
    return c.get(urljoin(page_url, href), **kw)


def test_a_shared_folders_links_carry_its_token_and_open_without_a_cookie(srv, mint, alice):
    tok = mint(alice.name, kind="share", scope="/lk/shared/", ttl=600)
    with Client(srv.base_url, timeout=30) as c:
        page_url = "/lk/shared/?token=" + tok
        r = c.get(page_url, headers={"Accept": "text/html"})
        assert r.status_code == 200, r.text
        links = hrefs(r.text)
        assert "./photo.txt?token=" + tok in links
        assert "./inner/?token=" + tok in links
        # the scope is the folder: no parent link that would fail
        assert not any(h.startswith("../") for h in links)
        got = follow(c, page_url, "./photo.txt?token=" + tok)
        assert got.status_code == 200 and got.text == "a picture\n"
        sub = follow(c, page_url, "./inner/?token=" + tok, headers={"Accept": "text/html"})
        assert sub.status_code == 200
        deep = [h for h in hrefs(sub.text) if h.startswith("./deep.txt")]
        assert deep == ["./deep.txt?token=" + tok]
        assert follow(c, "/lk/shared/inner/", deep[0]).text == "deeper\n"
        # the token opens nothing outside the folder, links or not
        assert c.get("/lk/private.txt?token=" + tok).status_code == 401


def test_the_locations_own_query_parameter_name_is_used(srv, mint, alice):
    tok = mint(alice.name, kind="share", scope="/lkp/shared/", ttl=600)
    with Client(srv.base_url, timeout=30) as c:
        r = c.get("/lkp/shared/?t=" + tok, headers={"Accept": "text/html"})
        assert r.status_code == 200, r.text
        assert "./photo.txt?t=" + tok in hrefs(r.text)


def test_a_session_listing_links_carry_no_token(srv, mint, alice):
    tok = mint(alice.name)
    with Client(srv.base_url, timeout=30) as c:
        r = c.get("/lk/shared/", headers={"Authorization": "Bearer " + tok,
                                           "Accept": "text/html"})
        assert r.status_code == 200, r.text
        assert tok not in r.text
        assert "./photo.txt" in hrefs(r.text) and "../" in hrefs(r.text)
