"""Query tokens never reach the logs (SPEC §5, TokenAuthRedact On by default): %r, %q and
%U%q show token=REDACTED and keep every other parameter, whether the token was accepted or
refused; later handlers (a CGI) see the scrubbed query too. With TokenAuthRedact Off the
same log format does show the token - the control that proves the format would reveal it."""

import os
import uuid

import pytest

from taharness import expect
from taharness.http import Client, raw_request


@pytest.fixture(scope="module")
def url_token(mint, alice):
    return mint("alice", kind="url", scope="/files/")


@pytest.fixture(scope="module")
def session_token(mint, alice):
    return mint("alice")


def probe() -> str:
    return uuid.uuid4().hex


def logged(server, marker) -> str:
    lines = server.access_lines_with(marker)
    assert len(lines) == 1, lines
    return lines[0]


def assert_redacted(line, token, path, query):
    """query is the expected (redacted) query string, without '?'."""
    assert token not in line
    assert '"GET %s?%s HTTP/1.1"' % (path, query) in line, line
    assert ' q="?%s"' % query in line, line
    assert ' uq="%s?%s"' % (path, query) in line, line


def test_accepted_query_token_redacted_in_access_log(server, http, url_token):
    p = probe()
    r = http.get("/files/hello.txt?a=1&token=%s&probe=%s" % (url_token, p))
    assert r.status_code == 200
    assert_redacted(logged(server, p), url_token, "/files/hello.txt",
                    "a=1&token=REDACTED&probe=%s" % p)


def test_refused_query_token_redacted_in_access_log(server, http, url_token):
    p = probe()
    bad = url_token[:-4] + "AAAA"
    expect.refused(http.get("/files/hello.txt?probe=%s&token=%s" % (p, bad)))
    assert_redacted(logged(server, p), bad, "/files/hello.txt", "probe=%s&token=REDACTED" % p)


def test_refused_session_token_in_query_redacted(server, http, session_token):
    p = probe()
    expect.refused(http.get("/files/hello.txt?token=%s&probe=%s" % (session_token, p)))
    assert_redacted(logged(server, p), session_token, "/files/hello.txt",
                    "token=REDACTED&probe=%s" % p)


def test_repeated_query_tokens_all_redacted(server, http, url_token):
    p = probe()
    expect.refused(http.get("/files/hello.txt?token=%s&probe=%s&token=%s"
                            % (url_token, p, url_token)))
    assert_redacted(logged(server, p), url_token, "/files/hello.txt",
                    "token=REDACTED&probe=%s&token=REDACTED" % p)


def test_ignored_query_token_redacted_when_bearer_wins(server, http, url_token, session_token):
    p = probe()
    r = http.get("/files/hello.txt?token=%s&probe=%s" % (url_token, p),
                 headers={"Authorization": "Bearer " + session_token})
    assert r.status_code == 200
    assert_redacted(logged(server, p), url_token, "/files/hello.txt",
                    "token=REDACTED&probe=%s" % p)


def test_browser_redirect_keeps_token_out_of_log_and_location(server, http, url_token):
    p = probe()
    bad = url_token[:-4] + "AAAA"
    r = http.get("/web/hello.txt?token=%s&probe=%s" % (bad, p), headers={"Accept": "text/html"})
    assert r.status_code == 302
    assert bad not in r.headers["Location"]
    assert_redacted(logged(server, p), bad, "/web/hello.txt", "token=REDACTED&probe=%s" % p)


def test_other_parameters_kept_byte_for_byte(server, http, url_token):
    p = probe()
    query = "x=%%20a%%2Bb&token=%s&empty=&flag&probe=%s&tokenx=keep" % (url_token, p)
    r = raw_request(server.port, "GET", "/files/hello.txt?" + query)
    assert r.status == 200
    assert_redacted(logged(server, p), url_token, "/files/hello.txt",
                    "x=%%20a%%2Bb&token=REDACTED&empty=&flag&probe=%s&tokenx=keep" % p)


def test_query_token_redacted_when_request_fails_before_authentication(server, http, url_token,
                                                                      expect_error_log):
    """A 403 decided while Apache maps the URL to the file system (here a folder www-data
    cannot search) ends the request before authentication; it is logged all the same."""
    expect_error_log(r"AH00035: access to /files/locked/x.txt denied")
    locked = server.paths.docroot / "files" / "locked"
    locked.mkdir(mode=0o700, exist_ok=True)
    os.chmod(locked, 0o700)
    (locked / "x.txt").write_text("locked\n")
    p = probe()
    r = http.get("/files/locked/x.txt?token=%s&probe=%s" % (url_token, p))
    assert r.status_code == 403
    assert_redacted(logged(server, p), url_token, "/files/locked/x.txt",
                    "token=REDACTED&probe=%s" % p)


def test_cgi_sees_the_scrubbed_query(http, url_token, mint):
    token = mint("alice", kind="url", scope="/cgi/")
    r = http.get("/cgi/env.cgi?a=1&token=%s&b=2" % token)
    assert r.status_code == 200
    env = dict(line.split("=", 1) for line in r.text.splitlines())
    assert env["QUERY_STRING"] == "a=1&token=REDACTED&b=2"
    assert env["REQUEST_URI"] == "/cgi/env.cgi?a=1&token=REDACTED&b=2"
    assert token not in r.text


def test_error_log_never_holds_a_token(server, http, url_token, session_token):
    """At LogLevel tokenauth:debug, accepted and refused tokens alike stay out of the log."""
    mark = server.error_log.mark()
    bad = session_token[:-4] + "AAAA"
    http.get("/files/hello.txt?token=" + url_token)
    http.get("/files/hello.txt?token=" + session_token)
    http.get("/files/hello.txt", headers={"Authorization": "Bearer " + bad})
    text = server.error_log.text(mark)
    assert "TA00005" in text and "TA00002" in text   # the requests were logged about
    for t in (url_token, session_token, bad):
        assert t not in text
        assert t.split(".")[2] not in text


def test_redact_off_leaves_the_token_in_the_log(apache_factory, mint):
    server = apache_factory("redact-off", extra=["TokenAuthRedact Off"])
    token = mint("alice", kind="url", scope="/files/")
    p = probe()
    with Client(server.base_url) as c:
        assert c.get("/files/hello.txt?token=%s&probe=%s" % (token, p)).status_code == 200
    line = logged(server, p)
    assert '"GET /files/hello.txt?token=%s&probe=%s HTTP/1.1"' % (token, p) in line
    assert ' q="?token=%s&probe=%s"' % (token, p) in line
    assert ' uq="/files/hello.txt?token=%s&probe=%s"' % (token, p) in line


def test_error_document_in_token_location_served_for_query_token(apache_factory, mint):
    """An ErrorDocument is an internal redirect whose query no longer holds the (scrubbed)
    token; it is served with the credential of the request it came from (still held to that
    token's scope, here all of the site), and nothing logs the token."""
    url_token = mint("alice", kind="url", scope="/")
    srv = apache_factory("errordoc", extra=[
        "ErrorDocument 404 /errors/notfound.html",
        '<Location /errors>\n    AuthType token\n    AuthName "errors"\n'
        '    Require valid-user\n</Location>'], start=False)
    # Another location than /files: Apache re-runs authentication for the error document.
    (srv.paths.docroot / "errors").mkdir(mode=0o755)
    (srv.paths.docroot / "errors" / "notfound.html").write_text("custom 404\n")
    srv.start()
    with Client(srv.base_url) as c:
        r = c.get("/files/missing.txt?token=" + url_token)
    assert r.status_code == 404
    assert r.text == "custom 404\n"
    assert url_token not in srv.paths.access_log.read_text()


# --- every status: redirects decided before the access checker -----------------------------

EARLY_REDIRECTS = """\
LoadModule rewrite_module %s/mod_rewrite.so
Redirect 302 /files/moved /files/hello.txt
Redirect 301 /files/gone-for-good /files/hello.txt
RewriteEngine On
RewriteRule ^/files/rewritten$ /files/hello.txt [R=302]
RewriteRule ^/files/refused$ - [F]
"""


@pytest.fixture(scope="module")
def early(apache_factory):
    from taharness import paths
    return apache_factory("redirects", extra=[EARLY_REDIRECTS % paths.APACHE_MODULES])


@pytest.mark.parametrize("path,status", [("/files/moved", 302), ("/files/gone-for-good", 301),
                                         ("/files/rewritten", 302), ("/files/refused", 403)])
def test_token_redacted_whatever_the_status_of_an_early_answer(early, url_token, path, status):
    """mod_alias's Redirect and a server-context RewriteRule answer while Apache translates the
    URL, before the access checker: the request is scrubbed for the log all the same."""
    p = probe()
    with Client(early.base_url) as c:
        r = c.get("%s?token=%s&probe=%s" % (path, url_token, p))
    assert r.status_code == status
    assert_redacted(logged(early, p), url_token, path, "token=REDACTED&probe=%s" % p)


def test_early_redirect_still_takes_the_token_along(early, url_token):
    """The client's own answer keeps its query: following the redirect keeps the access."""
    with Client(early.base_url) as c:
        r = c.get("/files/moved?token=" + url_token)
        assert r.status_code == 302
        assert r.headers["Location"].endswith("/files/hello.txt?token=" + url_token)
        assert c.get(r.headers["Location"]).status_code == 200


def test_other_applications_token_parameter_stays_in_the_log(server, http):
    """A request that reached its location outside AuthType token keeps its own "token"
    parameter (another application's): only early answers are scrubbed blindly."""
    p = probe()
    r = http.get("/open/hello.txt?token=theirs&probe=%s" % p)
    assert r.status_code == 200
    assert "token=theirs" in logged(server, p)
