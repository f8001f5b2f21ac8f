"""The start-up check of TokenAuthHome (ta_homeauth.c) looks only at the home's own path, so
some configurations pass it and still leave requests below a home without "AuthType token".
The check is a convenience for administrators, not the protection: the home handler serves a
file only for an identity that our own token check made, whatever else authenticated or
granted the request. These configurations pass configtest; no file is served without a token."""

import pytest

from taharness.homefiles import put_file
from taharness.http import Client

TOKEN = "    AuthType token\n    AuthName files\n    Require valid-user\n"
FOOLED = {
    # a later, longer Location that opens a part of the home to everyone
    "open sub-location": "<Location /fh>\n" + TOKEN + "    TokenAuthHome public\n</Location>\n"
                         "<Location /fh/open>\n    AuthType None\n    Require all granted\n"
                         "</Location>",
    # "AuthType token" only in an <If> that is never true, everyone granted
    "token only in a false <If>": "<Location /fi>\n    TokenAuthHome public\n"
                                  "    Require all granted\n    <If \"false\">\n"
                                  "        AuthType token\n    </If>\n</Location>",
}
SECRET = "alice's file that no anonymous request may read\n"
ERROR_LOG_ALLOW = [r"TA00041: TokenAuthHome needs AuthType token in its location"]


@pytest.fixture(scope="module")
def srv(apache_factory, alice):
    put_file(alice, "open/secret.txt", SECRET)
    put_file(alice, "secret.txt", SECRET)
    return apache_factory("fooled", extra=list(FOOLED.values()))


@pytest.mark.parametrize("path", ["/fh/open/secret.txt", "/fi/secret.txt"])
def test_a_home_that_the_check_accepts_serves_nothing_without_a_token(srv, path):
    with Client(srv.base_url) as c:
        r = c.get(path)
    assert r.status_code == 403, (r.status_code, r.content[:200])
    assert b"anonymous request" not in r.content
    assert "TA00041: TokenAuthHome needs AuthType token" in srv.error_log.text()


def test_the_token_part_of_the_same_home_still_serves_its_user(srv, mint):
    with Client(srv.base_url) as c:
        r = c.get("/fh/secret.txt", headers={"Authorization": "Bearer " + mint("alice")})
        anonymous = c.get("/fh/secret.txt")
    assert r.status_code == 200 and r.content == SECRET.encode()
    assert anonymous.status_code == 401
