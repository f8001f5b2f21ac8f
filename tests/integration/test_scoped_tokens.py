"""url and share tokens (SPEC §3): valid for their scope only - the path itself, or below it
when the scope ends in '/' - and for GET and HEAD only, whichever source carries them."""

import pytest

from taharness import expect
from taharness.http import raw_request
from taharness.site import FILES


@pytest.fixture(scope="module")
def url_files(mint, alice):
    return mint("alice", kind="url", scope="/files/")


@pytest.fixture(scope="module")
def url_a(mint, alice):
    return mint("alice", kind="url", scope="/files/a/")


@pytest.fixture(scope="module")
def share_hello(mint, alice):
    return mint("alice", kind="share", scope="/files/hello.txt")


def refused_because(server, resp_fn, reason):
    mark = server.error_log.mark()
    expect.refused(resp_fn())
    assert expect.refusal_reasons(server, mark) == [reason]


# --- url tokens --------------------------------------------------------------------------

def test_url_token_works_for_a_file_in_its_scope(http, url_files):
    expect.served(http.get("/files/hello.txt?token=" + url_files), FILES["files/hello.txt"])


def test_url_token_works_below_its_scope(http, url_files):
    expect.served(http.get("/files/a/one.txt?token=" + url_files), FILES["files/a/one.txt"])


def test_url_token_works_for_head(http, url_files):
    r = http.head("/files/hello.txt?token=" + url_files)
    assert r.status_code == 200


def test_url_token_works_as_bearer_in_scope(http, url_a):
    expect.served(http.get("/files/a/one.txt", headers={"Authorization": "Bearer " + url_a}),
                  FILES["files/a/one.txt"])


def test_url_token_refused_for_sibling_folder(server, http, url_a):
    refused_because(server, lambda: http.get("/files/b/two.txt?token=" + url_a), "out_of_scope")


def test_url_token_refused_for_parent_folder_file(server, http, url_a):
    refused_because(server, lambda: http.get("/files/hello.txt?token=" + url_a), "out_of_scope")


def test_url_token_refused_for_other_location(server, http, url_files):
    refused_because(server, lambda: http.get("/web/hello.txt?token=" + url_files), "out_of_scope")


def test_url_token_refused_for_its_folder_without_slash(server, http, url_a):
    refused_because(server, lambda: http.get("/files/a?token=" + url_a), "out_of_scope")


def test_url_token_scope_not_escaped_with_dot_dot(server, url_a):
    """The server normalises the path before the scope check; the client sends it raw."""
    mark = server.error_log.mark()
    r = raw_request(server.port, "GET", "/files/a/../b/two.txt?token=" + url_a)
    assert r.status == 401 and b"two in b" not in r.body
    assert expect.refusal_reasons(server, mark) == ["out_of_scope"]


def test_url_token_scope_not_escaped_with_encoded_dot_dot(server, url_a):
    mark = server.error_log.mark()
    r = raw_request(server.port, "GET", "/files/a/%2e%2e/b/two.txt?token=" + url_a)
    assert r.status == 401 and b"two in b" not in r.body
    assert expect.refusal_reasons(server, mark) == ["out_of_scope"]


def test_url_token_refused_for_post(server, http, url_files):
    refused_because(server, lambda: http.post("/files/hello.txt?token=" + url_files, data=b"x"),
                    "bad_method")


def test_url_token_refused_for_put_as_bearer(server, http, url_files):
    refused_because(server, lambda: http.put("/files/hello.txt", data=b"x",
                                             headers={"Authorization": "Bearer " + url_files}),
                    "bad_method")


# --- share tokens ------------------------------------------------------------------------

def test_share_token_works_for_its_file(http, share_hello):
    expect.served(http.get("/files/hello.txt?token=" + share_hello), FILES["files/hello.txt"])


def test_share_token_works_for_head(http, share_hello):
    assert http.head("/files/hello.txt?token=" + share_hello).status_code == 200


def test_share_token_refused_for_sibling_file(server, http, share_hello):
    refused_because(server, lambda: http.get("/files/other.txt?token=" + share_hello),
                    "out_of_scope")


def test_share_token_refused_below_a_file_scope(server, http, share_hello):
    refused_because(server, lambda: http.get("/files/hello.txt/x?token=" + share_hello),
                    "out_of_scope")


def test_share_token_refused_for_post(server, http, share_hello):
    refused_because(server, lambda: http.post("/files/hello.txt?token=" + share_hello, data=b"x"),
                    "bad_method")


def test_share_token_identity_is_its_owner(http, mint, alice):
    token = mint("alice", kind="share", scope="/env/id.txt")
    r = http.get("/env/id.txt?token=" + token)
    assert r.status_code == 200
    assert r.headers["X-Ta-User"] == "alice"
    assert r.headers["X-Ta-Kind"] == "share"
