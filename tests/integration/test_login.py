"""tokenauth-login (SPEC §4) through the privileged helper and real pam_unix in the harness's
namespace, and its logging (SPEC §7).

pam_unix delays every failure by 1-3 s. The few failures against the PAM stack we ship
(conf/pam.d/tokenauth, on the session's default server) run at once in parallel threads;
the other tests that only need "a failure" use a server of this module whose PAM service
has `pam_unix.so nodelay`."""

import json
import os
import re
import secrets
import signal
import socket
import threading
import time
from urllib.parse import quote

import jwt
import pytest

from taharness import helperproc
from taharness.http import Client
from taharness.site import FILES, RELAXED_THROTTLE
from taharness.waiting import wait_until

HELLO = FILES["files/hello.txt"]
TTL = 86400
FAIL_DELAY_MIN = 0.9          # pam_unix asks for 2 s; libpam randomises it to 1..3 s
FAILURE_JSON = {"error": "invalid_credentials"}
GENERIC_MESSAGE = "The user name or password is not right."
NODELAY_SERVICE = "ta-login-nodelay"
NODELAY_PAM = "auth required pam_unix.so nodelay\naccount required pam_unix.so\n"

# A wrong password per purpose: each is looked for in the logs at the end of the module.
PASSWORDS_USED = []


def wrong_password(tag: str) -> str:
    pw = "wrong-%s-%s" % (tag, secrets.token_hex(4))
    PASSWORDS_USED.append(pw)
    return pw


# The helper killed while its parent cannot restart it: the login is unavailable (503).
ERROR_LOG_ALLOW = [r"TA00022: login of alice from 127\.0\.0\.1: ",
                   r"TA00013: helper \(pid \d+\) exited"]


# --- servers and clients --------------------------------------------------------------------

@pytest.fixture(scope="module")
def fast(harness, apache_factory):
    """A server whose PAM service fails without pam_unix's delay."""
    harness.pam_service(NODELAY_SERVICE, NODELAY_PAM)
    yield apache_factory("fast", extra=["TokenAuthPAMService " + NODELAY_SERVICE,
                                        RELAXED_THROTTLE])
    harness.remove_pam_service(NODELAY_SERVICE)


@pytest.fixture
def fc(fast):
    with Client(fast.base_url) as c:
        yield c


@pytest.fixture
def account(harness):
    """A throw-away account (its shadow line is changed by the test), removed afterwards."""
    made = []

    def make(name):
        made.append(harness.users.add_user(name, name + "-" + secrets.token_hex(4)))
        PASSWORDS_USED.append(made[-1].password)
        return made[-1]
    yield make
    for u in made:
        harness.users.delete_user(u.name)


def set_cookies(resp) -> list:
    return resp.raw.headers.getlist("Set-Cookie")


def ta_lines(server, since: int, msgid: str) -> list:
    return [ln for ln in server.error_log.lines(since) if msgid + ":" in ln]


def logged(server, since: int, msgid: str, text: str, timeout: float = 5.0) -> bool:
    """Has server's error log, since the offset, a msgid line containing text?"""
    return bool(wait_until(lambda: [ln for ln in ta_lines(server, since, msgid) if text in ln],
                           timeout))


def helper_asked(server, since: int) -> bool:
    """The helper's debug line for a PAM check (LogLevel tokenauth:debug)."""
    return "TA00061: helper: auth " in server.error_log.text(since)


# --- JSON login -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def json_login(server, alice):
    with Client(server.base_url) as c:
        t0 = int(time.time())
        r = c.login("alice", alice.password)
        return r, t0


def test_json_login_answers_200_with_the_token(json_login, alice):
    r, t0 = json_login
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"token", "token_type", "expires_at", "user", "uid"}
    assert body["token_type"] == "Bearer"
    assert (body["user"], body["uid"]) == ("alice", alice.uid)
    assert type(body["expires_at"]) is int
    assert t0 + TTL - 2 <= body["expires_at"] <= t0 + TTL + 5


def test_json_login_is_not_cached(json_login):
    assert json_login[0].headers["Cache-Control"] == "no-store"


def test_json_login_sets_the_cookie(json_login):
    r, _ = json_login
    assert set_cookies(r) == ["tokenauth=%s; HttpOnly; SameSite=Lax; Path=/; Max-Age=%d"
                              % (r.json()["token"], TTL)]


def test_cookie_is_not_secure_over_http(json_login):
    assert "secure" not in set_cookies(json_login[0])[0].lower()


def test_json_token_verifies_with_pyjwt(json_login, key_file, alice):
    r, t0 = json_login
    token = r.json()["token"]
    key = key_file.signing_key
    header = jwt.get_unverified_header(token)
    assert header == {"alg": key.alg, "typ": "JWT", "kid": key.kid}
    claims = jwt.decode(token, key.verifier, algorithms=[key.alg],
                        issuer="tokenauth", options={"require": ["exp", "iat", "sub"]})
    assert (claims["sub"], claims["uid"], claims["kind"]) == ("alice", alice.uid, "session")
    assert claims["exp"] == r.json()["expires_at"]
    assert claims["exp"] - claims["iat"] == TTL
    assert abs(claims["iat"] - t0) <= 5
    assert "scope" not in claims
    assert len(claims["jti"]) >= 22          # at least 128 random bits, base64url


def test_json_token_works_as_bearer(http, json_login):
    r = http.get("/files/hello.txt",
                 headers={"Authorization": "Bearer " + json_login[0].json()["token"]})
    assert (r.status_code, r.text) == (200, HELLO)


def test_login_cookie_works_on_its_own(http, json_login):
    token = json_login[0].json()["token"]
    r = http.get("/files/hello.txt", headers={"Cookie": "tokenauth=" + token})
    assert (r.status_code, r.text) == (200, HELLO)


def test_two_logins_give_two_different_tokens(http, json_login, alice):
    again = http.login("alice", alice.password)
    assert again.status_code == 200
    assert again.json()["token"] != json_login[0].json()["token"]


def test_each_user_gets_a_token_of_their_own(http, bob):
    r = http.login("bob", bob.password)
    assert r.status_code == 200
    assert (r.json()["user"], r.json()["uid"]) == ("bob", bob.uid)
    assert jwt.decode(r.json()["token"], options={"verify_signature": False})["sub"] == "bob"


def test_json_content_type_with_charset_is_json(http, alice):
    r = http.post("/login", data=json.dumps({"username": "alice", "password": alice.password}),
                  headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200 and "token" in r.json()


# --- form login -----------------------------------------------------------------------------

@pytest.mark.parametrize("ret", ["/files/hello.txt", "/web/a/b.txt?x=1&y=2", "/"])
def test_form_login_redirects_to_a_local_return_path(http, alice, ret):
    r = http.login_form("alice", alice.password, ret=ret)
    assert r.status_code == 303, (r.status_code, r.text[:200])
    assert r.headers["Location"] == ret
    (cookie,) = set_cookies(r)
    token = re.fullmatch(r"tokenauth=([\w.-]+); HttpOnly; SameSite=Lax; Path=/; Max-Age=%d"
                         % TTL, cookie).group(1)
    assert http.get("/files/hello.txt", headers={"Cookie": "tokenauth=" + token}).text == HELLO
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("ret", [
    "//evil.example", "https://evil.example", "/\\evil", "/a\r\nSet-Cookie:x",
    "javascript:alert(1)", "", "/\tx", "/./evil", "/../evil", "evil"])
def test_form_login_with_a_foreign_return_goes_to_the_root(http, alice, ret):
    r = http.login_form("alice", alice.password, ret=ret)
    assert r.status_code == 303, (r.status_code, r.text[:200])
    assert r.headers["Location"] == "/"
    cookies = set_cookies(r)
    assert len(cookies) == 1 and cookies[0].startswith("tokenauth="), cookies


def test_form_login_without_return_goes_to_the_root(http, alice):
    r = http.login_form("alice", alice.password)
    assert (r.status_code, r.headers["Location"]) == (303, "/")


# --- failures with the PAM stack we ship (parallel: each costs pam_unix's delay) -----------

@pytest.fixture(scope="module")
def stock_failures(server):
    """Wrong password and unknown user, as JSON and as a form, all at once."""
    attempts = {
        "json-wrong": ("json", "alice", wrong_password("json")),
        "json-unknown": ("json", "ta-nosuchuser", wrong_password("json-unknown")),
        "form-wrong": ("form", "alice", wrong_password("form")),
        "form-unknown": ("form", "ta-nosuchuser", wrong_password("form-unknown")),
    }
    results = {}
    mark = server.error_log.mark()

    def attempt(key, kind, user, password):
        with Client(server.base_url, timeout=20) as c:
            t0 = time.monotonic()
            if kind == "json":
                r = c.login(user, password)
            else:
                r = c.login_form(user, password, ret="/files/hello.txt")
            results[key] = (r, time.monotonic() - t0)

    threads = [threading.Thread(target=attempt, args=(k,) + v) for k, v in attempts.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert set(results) == set(attempts)
    return results, mark


def test_wrong_password_json_is_401_invalid_credentials(stock_failures):
    r, _ = stock_failures[0]["json-wrong"]
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == FAILURE_JSON
    assert r.headers["Cache-Control"] == "no-store"
    assert set_cookies(r) == []


def test_unknown_user_json_is_byte_identical_to_wrong_password(stock_failures):
    wrong, _ = stock_failures[0]["json-wrong"]
    unknown, _ = stock_failures[0]["json-unknown"]
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content
    assert unknown.headers["Content-Type"] == wrong.headers["Content-Type"]


def test_wrong_password_form_is_401_with_the_form_and_one_generic_message(stock_failures):
    r, _ = stock_failures[0]["form-wrong"]
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.count(GENERIC_MESSAGE) == 1
    assert 'name="username"' in r.text and 'name="password"' in r.text
    assert 'value="/files/hello.txt"' in r.text      # the return path survives the retry
    assert set_cookies(r) == []
    assert r.headers["Cache-Control"] == "no-store"


def test_unknown_user_form_is_byte_identical_to_wrong_password(stock_failures):
    wrong, _ = stock_failures[0]["form-wrong"]
    unknown, _ = stock_failures[0]["form-unknown"]
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content


def test_unknown_user_takes_about_as_long_as_a_wrong_password(stock_failures):
    """pam_unix's fail delay covers both (SPEC §4: about the same time)."""
    times = {k: round(t, 2) for k, (_, t) in stock_failures[0].items()}
    assert min(times.values()) >= FAIL_DELAY_MIN, times


def test_failures_are_logged_with_user_address_and_reason(server, stock_failures):
    mark = stock_failures[1]
    lines = ta_lines(server, mark, "TA00021")
    for user, n in (("alice", 2), ("ta-nosuchuser", 2)):
        mine = [ln for ln in lines
                if "login of %s from 127.0.0.1 failed: bad credentials" % user in ln]
        assert len(mine) == n, lines


# --- accounts PAM refuses -------------------------------------------------------------------

def test_expired_account_is_refused_like_a_wrong_password(harness, fast, fc, account):
    u = account("login-expired")
    harness.users.expire(u.name)
    mark = fast.error_log.mark()
    r = fc.login(u.name, u.password)
    assert (r.status_code, r.json()) == (401, FAILURE_JSON)
    assert set_cookies(r) == []
    wrong = fc.login(u.name, wrong_password("expired"))
    assert r.content == wrong.content
    assert logged(fast, mark, "TA00021", "login of %s from 127.0.0.1 failed: account refused"
                  % u.name)


def test_locked_account_is_refused(harness, fast, fc, account):
    u = account("login-locked")
    assert fc.login(u.name, u.password).status_code == 200
    harness.users.lock(u.name)
    r = fc.login(u.name, u.password)
    assert (r.status_code, r.json()) == (401, FAILURE_JSON)
    form = fc.login_form(u.name, u.password)
    assert form.status_code == 401 and GENERIC_MESSAGE in form.text


def test_unknown_user_byte_identical_on_the_nodelay_service_too(fc, alice):
    wrong = fc.login("alice", wrong_password("nodelay"))
    unknown = fc.login("ta-nosuchuser", wrong_password("nodelay-unknown"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content


# --- the login page -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(server):
    with Client(server.base_url) as c:
        return c.get("/login")


def test_get_login_is_an_html_form(page):
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    form = re.search(r"<form\b[^>]*>", page.text).group(0)
    assert re.search(r'method="post"', form, re.I) and 'action="/login"' in form
    assert re.search(r'<input\b[^>]*name="username"', page.text)
    assert re.search(r'<input\b(?=[^>]*name="password")(?=[^>]*type="password")[^>]*>',
                     page.text)


def test_login_page_labels_its_fields(page):
    """Accessible: each visible field has a <label for=> naming its id."""
    for name in ("username", "password"):
        field = re.search(r'<input\b[^>]*name="%s"[^>]*>' % name, page.text).group(0)
        field_id = re.search(r'id="([^"]+)"', field).group(1)
        assert re.search(r'<label\b[^>]*for="%s"' % re.escape(field_id), page.text), name


def test_login_page_needs_no_javascript(page):
    assert "<script" not in page.text.lower()
    assert not re.search(r"\son\w+=", page.text, re.I)      # no inline event handlers


def test_login_page_escapes_the_return_value(http):
    r = http.get("/login?return=" + quote('/a"><script>alert(1)</script>', safe="/"))
    assert r.status_code == 200
    assert "<script" not in r.text.lower()
    assert 'value="/a&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in r.text


def test_login_page_drops_a_foreign_return_value(http):
    for ret in ('"><script>', "//evil.example"):
        r = http.get("/login?return=" + quote(ret, safe=""))
        assert r.status_code == 200
        assert "<script" not in r.text.lower() and "evil.example" not in r.text
        assert 'name="return" value=""' in r.text


# --- refused before PAM is asked ------------------------------------------------------------

def test_foreign_origin_is_403_and_pam_is_not_asked(server, http, alice):
    mark = server.error_log.mark()
    r = http.post("/login", json={"username": "alice", "password": alice.password},
                  headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert set_cookies(r) == []
    time.sleep(0.3)                   # a PAM check would have logged by now
    assert ta_lines(server, mark, "TA00020") == [] and ta_lines(server, mark, "TA00021") == []
    assert not helper_asked(server, mark)


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:1", "https://{host}",
                                    "http://{host}.evil.example", "http://evil.example/{host}"])
def test_other_foreign_origins_are_403(fast, fc, alice, origin):
    host = "127.0.0.1:%d" % fast.port
    r = fc.post("/login", json={"username": "alice", "password": alice.password},
                headers={"Origin": origin.format(host=host)})
    assert r.status_code == 403


def test_own_origin_is_accepted(server, http, alice):
    mark = server.error_log.mark()
    r = http.post("/login", json={"username": "alice", "password": alice.password},
                  headers={"Origin": server.base_url})
    assert r.status_code == 200 and r.json()["user"] == "alice"
    assert wait_until(lambda: helper_asked(server, mark), 5)   # so the 403 test's check bites


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(fc, method, alice):
    r = fc.request(method, "/login", json={"username": "alice", "password": alice.password})
    assert r.status_code == 405
    allow = {m.strip() for m in r.headers.get("Allow", "").split(",")}
    assert {"GET", "POST"} <= allow, r.headers.get("Allow")
    assert not {"PUT", "DELETE", "PATCH"} & allow


@pytest.mark.parametrize("ctype", ["text/plain", "multipart/form-data; boundary=x",
                                   "application/jsonx", None])
def test_other_content_types_are_415(fc, alice, ctype):
    body = json.dumps({"username": "alice", "password": alice.password})
    headers = {"Content-Type": ctype} if ctype else {}
    r = fc.post("/login", data=body.encode(), headers=headers)
    if ctype is None:
        assert "Content-Type" not in r.request.headers
    assert r.status_code == 415


def padded_json(password: str, size: int) -> bytes:
    """A valid JSON login of alice padded with spaces to exactly size bytes."""
    body = json.dumps({"username": "alice", "password": password}).encode()
    return body + b" " * (size - len(body))


def test_body_of_8193_bytes_is_413(fc, alice):
    r = fc.post("/login", data=padded_json(alice.password, 8193),
                headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_body_of_8192_bytes_is_read(fc, alice):
    r = fc.post("/login", data=padded_json(alice.password, 8192),
                headers={"Content-Type": "application/json"})
    assert r.status_code == 200


def test_chunked_body_over_8_kib_is_413(fc, alice):
    data = padded_json(alice.password, 8193)
    r = fc.post("/login", data=(data[i:i + 1000] for i in range(0, len(data), 1000)),
                headers={"Content-Type": "application/json"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 413


def test_content_length_claiming_8193_is_413_before_the_body_is_sent(fast):
    """Refused on the header alone: the answer comes although no body byte was sent."""
    with socket.create_connection(("127.0.0.1", fast.port), timeout=5) as s:
        s.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 8193\r\n\r\n" % fast.port)
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    assert head.startswith(b"HTTP/1.1 413 "), head[:100]


BAD_JSON = {
    "not json": b"{",
    "empty body": b"",
    "an array": b'["alice", "pw"]',
    "a string": b'"alice"',
    "duplicate username": b'{"username":"a","username":"b","password":"x"}',
    "duplicate password": b'{"username":"alice","password":"x","password":"y"}',
    "username a number": b'{"username":1,"password":"x"}',
    "password a number": b'{"username":"alice","password":1}',
    "password null": b'{"username":"alice","password":null}',
    "password missing": b'{"username":"alice"}',
    "username missing": b'{"password":"x"}',
    "NUL in the password": b'{"username":"alice","password":"x\\u0000y"}',
    "NUL in the username": b'{"username":"alice\\u0000","password":"x"}',
}


@pytest.mark.parametrize("name", list(BAD_JSON))
def test_malformed_json_is_400_without_pam(fast, fc, name):
    mark = fast.error_log.mark()
    r = fc.post("/login", data=BAD_JSON[name], headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert set_cookies(r) == []
    assert not helper_asked(fast, mark)


def test_duplicate_keys_are_400_even_with_the_right_password(fc, alice):
    body = '{"username":"alice","username":"alice","password":%s}' % json.dumps(alice.password)
    r = fc.post("/login", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400


BAD_FORMS = {
    "NUL in the password": "username=alice&password=a%00b",
    "NUL in the username": "username=alice%00&password=x",
    "password missing": "username=alice",
    "username missing": "password=x",
    "username twice": "username=alice&username=bob&password=x",
    "bad escape": "username=alice&password=%zz",
}


@pytest.mark.parametrize("name", list(BAD_FORMS))
def test_malformed_form_is_400_without_pam(fast, fc, name):
    mark = fast.error_log.mark()
    r = fc.post("/login", data=BAD_FORMS[name],
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert not helper_asked(fast, mark)


def test_form_with_nul_after_the_right_password_is_400(fc, alice):
    """PAM takes the password as a C string: it must not be cut at the NUL and accepted."""
    r = fc.post("/login", data="username=alice&password=%s%%00junk" % quote(alice.password),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400


# --- the helper unavailable -----------------------------------------------------------------

def test_login_is_503_while_the_helper_is_dead(apache_factory, alice):
    """The parent is stopped so that it cannot restart the killed helper: the login finds
    no helper and answers 503; once the parent runs again, logins work again."""
    s = apache_factory("dead-helper")
    (helper,) = helperproc.helpers_of(s)
    mark = s.error_log.mark()
    os.kill(s.pid(), signal.SIGSTOP)
    try:
        os.kill(helper.pid, signal.SIGKILL)
        assert wait_until(lambda: helperproc.proc_info(helper.pid).state == "Z", 5)
        with Client(s.base_url) as c:
            r = c.login("alice", alice.password)
        assert r.status_code == 503, (r.status_code, r.text[:200])
        assert set_cookies(r) == []
        assert logged(s, mark, "TA00022", "login of alice from 127.0.0.1")
    finally:
        os.kill(s.pid(), signal.SIGCONT)
    assert logged(s, mark, "TA00013", "helper (pid %d) exited" % helper.pid)

    def works():
        with Client(s.base_url) as c:
            return c.login("alice", alice.password).status_code == 200
    assert wait_until(works, 5, interval=0.2)


# --- logging --------------------------------------------------------------------------------

def test_success_is_logged_with_user_and_address(server, http, carol):
    mark = server.error_log.mark()
    assert http.login("carol", carol.password).status_code == 200
    assert logged(server, mark, "TA00020", "login of carol from 127.0.0.1 succeeded")


def test_wrong_password_is_logged_on_the_nodelay_service(fast, fc):
    mark = fast.error_log.mark()
    assert fc.login("bob", wrong_password("logged")).status_code == 401
    assert logged(fast, mark, "TA00021", "login of bob from 127.0.0.1 failed: bad credentials")


def test_no_password_and_no_token_in_any_log(harness, server, fast, fc, alice, bob, carol):
    """Last in the module: every password this module sent, right or wrong, and a token from
    a login, must not appear in an error or access log (SPEC §7)."""
    token = fc.login("alice", alice.password).json()["token"]
    secrets_sent = PASSWORDS_USED + [alice.password, bob.password, carol.password, token,
                                     token.split(".")[2]]
    for srv in (server, fast):
        for log in (srv.error_log, srv.access_log):
            text = log.text()
            assert text, log.path
            found = [s for s in secrets_sent if s in text]
            assert found == [], "%s holds %s" % (log.path, found)


def test_user_name_cannot_forge_error_log_lines(fast, fc):
    """A user name is logged as sent, but escaped: a newline in it must not start a line of
    its own that reads like a successful login."""
    mark = fast.error_log.mark()
    forged = "mallory\n[tokenauth:info] TA00020: login of root from 127.0.0.1 succeeded"
    r = fc.post("/login", json={"username": forged, "password": "x"})
    assert r.status_code == 401
    assert logged(fast, mark, "TA00021", "mallory")
    lines = fast.error_log.lines(mark)
    assert not [ln for ln in lines if ln.startswith("[tokenauth:info] TA00020")]
    # the message id a line really carries is its first one: the worker's failure line, and
    # the helper's debug line for a name outside the login name rule
    first_ids = [re.search(r"TA\d{5}", ln).group() for ln in lines if "mallory" in ln]
    assert sorted(first_ids) == ["TA00021", "TA00092"]


# --- hardening found in review -----------------------------------------------------------------

@pytest.mark.parametrize("url", ["/login?return=/%7B%7Breturn%7D%7D",
                                 "/login/%7B%7Baction%7D%7D?return=/%7B%7Baction%7D%7D"])
def test_login_page_with_placeholder_in_values_answers_at_once(server, url):
    """A value that spells a placeholder is text: the page is built in one pass (it used to
    loop for ever, hanging a worker)."""
    with Client(server.base_url, timeout=5) as c:
        r = c.get(url)
    assert r.status_code == 200
    assert "{{" in r.text  # the value, shown as it came, escaped but not expanded


def test_login_page_escapes_single_quotes(server):
    with Client(server.base_url) as c:
        r = c.get("/login?return=/x'onfocus='alert(1)'")
    assert "'onfocus='" not in r.text
    assert "&#39;" in r.text


def test_origin_check_accepts_a_bracketed_ipv6_host(fast, alice):
    """Browsers send Origin: http://[::1]:PORT for such a Host; it is our own origin."""
    port = fast.port
    with Client(fast.base_url) as c:
        r = c.post("/login", json={"username": "alice", "password": alice.password},
                   headers={"Host": "[::1]:%d" % port, "Origin": "http://[::1]:%d" % port})
    assert r.status_code == 200


def test_return_with_encoded_dot_segment_goes_home(fast, alice):
    with Client(fast.base_url) as c:
        r = c.post("/login", data={"username": "alice", "password": alice.password,
                                   "return": "/%2e%2e//evil.example/"})
    assert r.status_code == 303
    assert r.headers["Location"] == "/"


def test_refused_account_answers_as_slowly_as_a_wrong_password(harness, server, account):
    """An expired account with the right password must not answer faster than a wrong
    password does (pam_unix delays that by 1-3 s): the timing would tell the password was
    right."""
    u = account("expiring")
    harness.users.expire(u.name)
    with Client(server.base_url) as c:
        t0 = time.monotonic()
        r = c.post("/login", json={"username": u.name, "password": u.password})
        elapsed = time.monotonic() - t0
    assert r.status_code == 401
    assert elapsed >= 0.9, "refused in %.3f s" % elapsed


# --- the answers' small print -----------------------------------------------------------------

@pytest.mark.parametrize("as_json", [True, False])
def test_failed_login_401_names_its_scheme(fc, as_json):
    body = {"username": "alice", "password": "wrong-" + secrets.token_hex(4)}
    r = fc.post("/login", json=body) if as_json else fc.post("/login", data=body)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer realm=")


def test_options_on_login_is_200_with_allow(fc):
    r = fc.request("OPTIONS", "/login")
    assert r.status_code == 200
    allow = {m.strip() for m in r.headers["Allow"].split(",")}
    assert {"GET", "POST", "OPTIONS"} <= allow
    assert not {"PUT", "DELETE"} & allow
    assert r.content == b""
