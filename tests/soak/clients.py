"""The soak's load: a few client threads on loopback, each with a keep-alive session (and now
and then a fresh connection), doing a weighted mix of logins (right and wrong passwords),
home files by cookie and bearer (whole and ranges), url and share tokens in the query, JSON
listings, whoami, mints, logouts, and probes that must be refused: revoked tokens, forged and
malformed ones, other users' files and paths that climb out of the home.

Each client owns the session tokens it logged in with, so that nobody else logs them out under
it: a live token refused is then a real finding. A token whose logout was answered 200 goes
to a pool that every client keeps probing; none of them may ever get a 200 again. A token
whose logout got no clear answer (a 503, a closed connection) is set aside: it may or may not
be revoked, and is neither used nor probed."""

import http.client
import http.cookiejar
import json
import random
import socket
import threading
import time
import traceback
from collections import deque

import requests

from taharness.http import raw_request
from taharness.tokens import parts

from badtokens import BadTokens, out_of_scope_url_token
from outcomes import OK, REFUSED, UNEXPECTED, WRONG, Answer
from soaksite import HOME_PREFIX, LOGIN_PATH, LOGOUT_PATH, MINT_PATH, WHOAMI_PATH

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30          # a request with no answer by then hung: always a finding
# How long an answer may take: the longest the module itself waits on its path (ta_home.c
# OPEN_TIMEOUT_MS for files and listings, ta_login.c HELPER_TIMEOUT_MS, ta_mint.c
# MINT_TIMEOUT_MS), or the stall of a graceful restart (ta_helperctl.c HELPER_STOP_WAIT_MS:
# the parent waits that long at most for the old helper, and starts no child meanwhile),
# whichever is longer, plus a margin for a loaded machine. A later answer is a wait that the
# module did not bound.
RESTART_STALL = 7
MARGIN = 5
MODULE_WAIT = {"file": 10, "range": 10, "url-token": 10, "share": 10, "share-scope": 10,
               "listing": 10, "foreign": 10, "login": 20, "login-bad": 20, "mint": 5}
BOUNDS = {k: max(v, RESTART_STALL) + MARGIN for k, v in MODULE_WAIT.items()}
OTHER_BOUND = RESTART_STALL + MARGIN      # requests the helper takes no part in
CLOSE_SHARE = 0.1          # requests sent with Connection: close
SESSIONS_KEPT = 6          # live session tokens a client keeps per user
URL_TOKENS_KEPT = 3
REVOKED_KEPT = 400
MINT_TTL = 3600
BACK_OFF = (0.05, 0.2)     # seconds a client waits after a 503 or a closed connection

OPERATIONS = (("file", 26), ("url-token", 10), ("share", 4), ("listing", 8), ("whoami", 4),
              ("mint", 6), ("login", 6), ("logout", 4), ("revoked", 10), ("bad", 12),
              ("foreign", 8))
# A wrong password costs pam_unix's fail delay (about 2 s): in the mix above it would take
# most of every client's time. Client 0 is the password guesser instead; its logins are in
# PAM at almost any moment, so chaos strikes logins in the middle of their conversation.
GUESSER_OPERATIONS = (("login-bad", 3), ("login", 1))


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Cookies are sent only where a request says so, never from a jar."""

    def set_ok(self, cookie, request):
        return False


class RevokedPool:
    """Tokens whose logout was answered 200: (user, token, wall clock of the answer)."""

    def __init__(self, rng):
        self.lock = threading.Lock()
        self.rng = rng
        self.items = []
        self.added = 0

    def add(self, user: str, token: str, when: float) -> None:
        with self.lock:
            self.added += 1
            if len(self.items) < REVOKED_KEPT:
                self.items.append((user, token, when))
            else:
                self.items[self.rng.randrange(REVOKED_KEPT)] = (user, token, when)

    def pick(self, rng):
        with self.lock:
            return rng.choice(self.items) if self.items else None


class Shared:
    """What every client uses: the site, the server, the results, the revoked pool, the gate
    that pauses the load, and the stop flag."""

    def __init__(self, site, server, results, key, seed: int):
        self.site = site
        self.base_url = server.base_url
        self.port = server.port
        self.results = results
        self.key = key
        self.bad = BadTokens(site, key)
        self.revoked = RevokedPool(random.Random(seed))
        self.gate = threading.Event()
        self.gate.set()
        self.stop = threading.Event()


def _with_token(path: str, headers: dict, token: str, source: str):
    if source == "bearer":
        headers["Authorization"] = "Bearer " + token
    elif source == "cookie":
        headers["Cookie"] = "tokenauth=" + token
    elif source == "query":
        path += ("&" if "?" in path else "?") + "token=" + token
    else:
        raise ValueError(source)
    return path, headers


def _closed_unanswered(why: str) -> bool:
    """The server closed the connection before a byte of an answer came."""
    return any(w in why for w in ("RemoteDisconnected", "Connection reset by peer",
                                  "Broken pipe"))


def _snippet(r) -> str:
    return repr(r.content[:120])


class Client(threading.Thread):
    def __init__(self, shared: Shared, index: int, seed_tokens: dict):
        super().__init__(name="soak-client-%d" % index, daemon=True)
        self.s = shared
        self.rng = random.Random(1000 + index)
        self.http = requests.Session()
        self.http.cookies.set_policy(NoCookies())
        self.sessions = {u: deque([t]) for u, t in seed_tokens.items()}
        self.url_tokens = {u: [] for u in seed_tokens}
        self.shares = {u: [] for u in seed_tokens}
        self.idle = threading.Event()
        self.kept_alive = False     # the session holds a connection an answer left open
        ops, weights = zip(*(GUESSER_OPERATIONS if index == 0 else OPERATIONS))
        self.ops, self.weights = ops, weights
        self.done = 0

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        try:
            while not self.s.stop.is_set():
                if not self.s.gate.is_set():
                    self.idle.set()
                    self.s.gate.wait(0.2)
                    continue
                self.idle.clear()
                if not self.s.gate.is_set():
                    continue
                self.one_operation()
        finally:
            self.idle.set()
            self.http.close()

    def one_operation(self) -> None:
        op = self.rng.choices(self.ops, self.weights)[0]
        t0 = time.time()
        try:
            getattr(self, "op_" + op.replace("-", "_"))()
        except Exception:   # a bug of the soak itself: counted, so that it fails the run
            self.s.results.record(Answer(op, t0, time.time(), "client-error",
                                         traceback.format_exc(limit=4)), UNEXPECTED)
        self.done += 1

    # --- one request, judged ------------------------------------------------------------------
    def call(self, kind, expect, method, path, token=None, source="bearer", headers=None,
             check=None, label="", **kw):
        """Send one request, judge and record its answer; (outcome, response or None).
        label names the request in the report (the kind of bad token, say)."""
        headers = dict(headers or {})
        if token is not None:
            path, headers = _with_token(path, headers, token, source)
        if self.rng.random() < CLOSE_SHARE:
            headers["Connection"] = "close"
        for attempt in (0, 1):
            t0, m0 = time.time(), time.monotonic()
            r, err, why = None, None, ""
            reused = self.kept_alive
            try:
                r = self.http.request(method, self.s.base_url + path, headers=headers,
                                      timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                      allow_redirects=False, **kw)
            except requests.exceptions.Timeout:
                err = "timeout"
            except requests.exceptions.ConnectionError as e:
                err, why = "connection-closed", str(e)[:160]
            self.kept_alive = r is not None and "close" not in (
                headers.get("Connection", "") + r.headers.get("Connection", "")).lower()
            if not (err and attempt == 0 and reused and _closed_unanswered(why)):
                break
            # httpd closed this idle keep-alive connection as the request went out (the event
            # MPM does so when every worker of the child is busy): the request was never
            # read, and a client sends it again on a new connection
            self.s.results.retried(kind)
            self.http.close()
        t1 = t0 + time.monotonic() - m0
        outcome, note = self.verdict(kind, expect, r, err, check, t1 - t0)
        shown = path.split("?token=")[0] + ("?token=..." if "?token=" in path else "")
        note = " ".join(x for x in (label, "%s %s via %s:" % (method, shown[:80], source)
                                    if token else "%s %s:" % (method, shown[:80]), why or note)
                        if x)
        self.s.results.record(Answer(kind, t0, t1, r.status_code if r is not None else err,
                                     note), outcome)
        if outcome is None:
            self.back_off()
        return outcome, r

    def back_off(self) -> None:
        """After a 503 or a closed connection, wait a little, as a real client would."""
        time.sleep(self.rng.uniform(*BACK_OFF))

    def call_raw(self, kind, expect, target, headers):
        """A GET with the request target sent exactly as given (no dot-segment clean-up)."""
        t0, m0 = time.time(), time.monotonic()
        r, err, note = None, None, ""
        try:
            r = raw_request(self.s.port, "GET", target, list(headers.items()),
                            timeout=READ_TIMEOUT)
        except socket.timeout:
            err = "timeout"
        except (ConnectionError, http.client.HTTPException) as e:
            err, note = "connection-closed", repr(e)[:160]
        t1 = t0 + time.monotonic() - m0
        resp = _RawAsResponse(r) if r is not None else None
        outcome, n2 = self.verdict(kind, expect, resp, err, None, t1 - t0)
        self.s.results.record(Answer(kind, t0, t1, r.status if r is not None else err,
                                     "GET %s: %s" % (target[:100], note or n2)), outcome)
        if outcome is None:
            self.back_off()
        return outcome, resp

    def verdict(self, kind, expect, r, err, check, seconds):
        """(outcome, note); outcome None for a 503 or a closed connection (judged later)."""
        if err == "timeout":
            return UNEXPECTED, "no answer within %d s" % READ_TIMEOUT
        if err:
            return None, ""
        st = r.status_code
        outcome, note = self._by_status(expect, r, st, check)
        if outcome == WRONG:
            return outcome, note
        bound = BOUNDS.get(kind, OTHER_BOUND)
        if seconds > bound:
            return UNEXPECTED, "answered %d after %.1f s, over its %d s bound" % (st, seconds,
                                                                                 bound)
        return outcome, note

    @staticmethod
    def _by_status(expect, r, st, check):
        if st == 503:
            return None, ""
        if expect == OK:
            if 200 <= st < 300:
                v = check(r) if check else None
                return (OK, "") if v is None else v
            return UNEXPECTED, "%d where success was due: %s" % (st, _snippet(r))
        if 200 <= st < 300:
            return WRONG, "%d where a refusal was due: %s" % (st, _snippet(r))
        if 400 <= st < 500 and st != 429:
            return REFUSED, ""
        return UNEXPECTED, "%d where a refusal was due: %s" % (st, _snippet(r))

    # --- state ------------------------------------------------------------------------------
    def pick_user(self):
        return self.s.site.users[self.rng.choice(sorted(self.sessions))]

    def session_of(self, u):
        """A live session token of u that this client owns (logging in when it has none)."""
        if not self.sessions[u.name]:
            self.op_login(u)
        return self.rng.choice(self.sessions[u.name]) if self.sessions[u.name] else None

    def add_session(self, user: str, token: str) -> None:
        pool = self.sessions[user]
        pool.append(token)
        while len(pool) > SESSIONS_KEPT:
            pool.popleft()       # still valid; simply no longer used

    def any_real_token(self):
        for name in self.rng.sample(sorted(self.sessions), len(self.sessions)):
            if self.sessions[name]:
                return self.sessions[name][0]
        return None

    # --- checks of a 2xx body -----------------------------------------------------------------
    def check_file(self, u, path, expected: bytes):
        def check(r):
            if r.content == expected:
                return None
            owner = self.s.site.owner_of(r.content)
            if owner and owner[0] != u.name:
                return WRONG, "%s's token at %s got %s's %s" % (u.name, path, owner[0],
                                                               owner[1] or "file")
            return WRONG, "%s's token at %s got other bytes (%d, owner %s): %r" % (
                u.name, path, len(r.content), owner, r.content[:80])
        return check

    @staticmethod
    def check_identity(u, kind_claim="session", field="kind"):
        """A login or whoami answer names u (and its token, when there is one, is u's)."""
        def check(r):
            try:
                body = r.json()
                claims = parts(body["token"])[1] if "token" in body else {}
            except (ValueError, KeyError, TypeError) as e:
                return UNEXPECTED, "unreadable answer (%s): %s" % (e, _snippet(r))
            names = (body.get("user"), body.get("uid"), claims.get("sub", u.name),
                     claims.get("uid", u.uid))
            if names != (u.name, u.uid, u.name, u.uid):
                return WRONG, "answer for %s/%d names %s" % (u.name, u.uid, names)
            got = claims.get("kind") if claims else body.get(field)
            if got != kind_claim:
                return UNEXPECTED, "kind %r, not %r" % (got, kind_claim)
            return None
        return check

    @staticmethod
    def check_mint(u, path, kind):
        def check(r):
            try:
                body = r.json()
                claims = parts(body["token"])[1]
            except (ValueError, KeyError, TypeError) as e:
                return UNEXPECTED, "unreadable mint answer (%s): %s" % (e, _snippet(r))
            got = (claims.get("sub"), claims.get("uid"), claims.get("kind"), claims.get("scope"))
            if got != (u.name, u.uid, kind, path):
                return WRONG, "mint for %s %s %s gave %s" % (u.name, kind, path, got)
            if body.get("url") != path + "?token=" + body["token"]:
                return WRONG, "mint url %r" % body.get("url")[:120]
            return None
        return check

    def check_listing(self, u, path):
        def check(r):
            try:
                names = {e["name"] for e in r.json()}
            except (ValueError, KeyError, TypeError) as e:
                return UNEXPECTED, "unreadable listing (%s): %s" % (e, _snippet(r))
            if names == u.listings[path]:
                return None
            others = sorted(n for n in names if n.startswith("only-") and
                            n != "only-%s.txt" % u.name)
            return WRONG, "listing of %s for %s: %s%s" % (
                path, u.name, sorted(names), " (another user's: %s)" % others if others else "")
        return check

    # --- operations that should succeed --------------------------------------------------------
    def op_login(self, u=None):
        u = u or self.pick_user()
        outcome, r = self.call("login", OK, "POST", LOGIN_PATH,
                               json={"username": u.name, "password": u.password},
                               check=self.check_identity(u))
        if outcome == OK:
            self.add_session(u.name, r.json()["token"])

    def op_file(self):
        u = self.pick_user()
        token = self.session_of(u)
        if token is None:
            return
        path = self.rng.choice(sorted(u.files))
        data = u.files[path]
        source = self.rng.choice(("bearer", "cookie"))
        if self.rng.random() < 0.2 and len(data) > 2:
            a = self.rng.randrange(len(data) - 1)
            b = self.rng.randrange(a, len(data))
            self.call("range", OK, "GET", path, token, source,
                      headers={"Range": "bytes=%d-%d" % (a, b)},
                      check=self.check_range(u, path, data, a, b))
        else:
            self.call("file", OK, "GET", path, token, source,
                      check=self.check_file(u, path, data))

    def check_range(self, u, path, data, a, b):
        whole = self.check_file(u, path, data)
        part = self.check_file(u, path, data[a:b + 1])

        def check(r):
            return part(r) if r.status_code == 206 else whole(r)
        return check

    def op_url_token(self):
        u = self.pick_user()
        if not self.url_tokens[u.name]:
            self.op_mint(u, "url")
            if not self.url_tokens[u.name]:
                return
        token, _ = self.rng.choice(self.url_tokens[u.name])
        path = self.rng.choice(sorted(u.files))
        self.call("url-token", OK, "GET", path, token, "query",
                  check=self.check_file(u, path, u.files[path]))

    def op_share(self):
        u = self.pick_user()
        if not self.shares[u.name]:
            self.op_mint(u, "share")
            if not self.shares[u.name]:
                return
        path, token = self.rng.choice(self.shares[u.name])
        if self.rng.random() < 0.3:
            other = self.rng.choice([p for p in sorted(u.files) if p != path])
            self.call("share-scope", REFUSED, "GET", other, token, "query")
        else:
            self.call("share", OK, "GET", path, token, "query",
                      check=self.check_file(u, path, u.files[path]))

    def op_listing(self):
        u = self.pick_user()
        token = self.session_of(u)
        if token is None:
            return
        path = self.rng.choice(sorted(u.listings))
        self.call("listing", OK, "GET", path, token, self.rng.choice(("bearer", "cookie")),
                  headers={"Accept": "application/json"}, check=self.check_listing(u, path))

    def op_whoami(self):
        u = self.pick_user()
        token = self.session_of(u)
        if token is not None:
            self.call("whoami", OK, "GET", WHOAMI_PATH, token,
                      check=self.check_identity(u))

    def op_mint(self, u=None, kind=None):
        u = u or self.pick_user()
        kind = kind or self.rng.choice(("url", "url", "share"))
        token = self.session_of(u)
        if token is None:
            return
        path = HOME_PREFIX if kind == "url" else self.rng.choice(sorted(u.files))
        outcome, r = self.call("mint", OK, "POST", MINT_PATH, token,
                               json={"path": path, "kind": kind, "ttl": MINT_TTL},
                               check=self.check_mint(u, path, kind))
        if outcome != OK:
            return
        minted = r.json()["token"]
        if kind == "url":
            keep = self.url_tokens[u.name]
            keep.append((minted, token))   # it dies with the session that minted it
            del keep[:-URL_TOKENS_KEPT]
        else:
            keep = self.shares[u.name]
            keep.append((path, minted))
            del keep[:-URL_TOKENS_KEPT]

    def op_logout(self):
        u = self.pick_user()
        pool = self.sessions[u.name]
        if len(pool) < 2:
            self.op_login(u)
            return
        token = pool.popleft()
        outcome, r = self.call("logout", OK, "POST", LOGOUT_PATH, token,
                               headers={"Accept": "application/json"})
        if outcome == OK:
            now = time.time()
            self.s.revoked.add(u.name, token, now)
            # the url tokens that session minted end with it (their sid names it); shares stay
            keep = self.url_tokens[u.name]
            for minted, session in [t for t in keep if t[1] == token]:
                self.s.revoked.add(u.name, minted, now)
            keep[:] = [t for t in keep if t[1] != token]
        # any other answer: the token may or may not be revoked; it is used no more

    # --- operations that must be refused -------------------------------------------------------
    def refused_somewhere(self, kind, token, sources=("bearer", "cookie"), label=""):
        """token at one of the places a token opens: a home file, a listing, whoami, mint,
        logout. None of them may answer 2xx."""
        where = self.rng.randrange(5)
        source = self.rng.choice(sources)
        if where == 0:
            self.call(kind, REFUSED, "GET", HOME_PREFIX + "f1.txt", token, source, label=label)
        elif where == 1:
            self.call(kind, REFUSED, "GET", HOME_PREFIX, token, source, label=label,
                      headers={"Accept": "application/json"})
        elif where == 2:
            self.call(kind, REFUSED, "GET", WHOAMI_PATH, token, source, label=label)
        elif where == 3:
            self.call(kind, REFUSED, "POST", MINT_PATH, token, "bearer", label=label,
                      json={"path": HOME_PREFIX, "kind": "url"})
        else:
            self.call(kind, REFUSED, "POST", LOGOUT_PATH, token, "bearer", label=label,
                      headers={"Accept": "application/json"})

    def op_revoked(self):
        item = self.s.revoked.pick(self.rng)
        if item is None:
            self.op_logout()
            return
        self.refused_somewhere("revoked", item[1])

    def op_login_bad(self):
        if self.rng.random() < 0.3:
            name, password = "soak-nobody-%d" % self.rng.randrange(100), "whatever"
        else:
            u = self.pick_user()
            name, password = u.name, self.rng.choice((u.password + "x", u.password[:-1]))
        self.call("login-bad", REFUSED, "POST", LOGIN_PATH,
                  json={"username": name, "password": password})

    def op_bad(self):
        real = self.any_real_token()
        if real is None:
            self.op_login()
            return
        pick = self.rng.random()
        if pick < 0.1:       # a session token in the query: only minted tokens go there
            self.call("bad", REFUSED, "GET", HOME_PREFIX + "f2.txt", real, "query")
        elif pick < 0.2:     # a url token outside its one-file scope
            u = self.pick_user()
            token, other = out_of_scope_url_token(self.s.key, u, self.rng)
            self.call("bad", REFUSED, "GET", other, token, "query")
        elif pick < 0.3:     # a url token may neither mint nor log out
            u = self.pick_user()
            if self.url_tokens[u.name]:
                token, _ = self.rng.choice(self.url_tokens[u.name])
                path = self.rng.choice((MINT_PATH, LOGOUT_PATH))
                self.call("bad", REFUSED, "POST", path, token, json={"path": HOME_PREFIX})
        else:
            label, token = self.s.bad.make(self.rng, real)
            self.refused_somewhere("bad", token, ("bearer", "cookie", "query"), label)

    def op_foreign(self):
        """u's own live token at another user's file, a dot-file, or a path climbing out."""
        u = self.pick_user()
        token = self.session_of(u)
        if token is None:
            return
        other = self.rng.choice([n for n in sorted(self.s.site.users) if n != u.name])
        pick = self.rng.randrange(6)
        if pick == 0:
            self.call("foreign", REFUSED, "GET", HOME_PREFIX + "only-%s.txt" % other, token)
        elif pick == 1:
            self.call("foreign", REFUSED, "GET", HOME_PREFIX + ".hidden-soak", token)
        else:
            target = ["/h/../../%s/public/f0.txt", "/h/%%2e%%2e/%%2e%%2e/%s/public/f0.txt",
                      "/h/..%%2f..%%2f%s%%2fpublic%%2ff0.txt",
                      "/h//home/%s/public/f0.txt"][pick - 2] % other
            self.call_raw("foreign", REFUSED, target, {"Authorization": "Bearer " + token})


class _RawAsResponse:
    """A taharness RawResponse seen through the few attributes verdict() reads."""

    def __init__(self, raw):
        self.status_code = raw.status
        self.content = raw.body

    def json(self):
        return json.loads(self.content)


class Load:
    """The client threads; pause() lets every in-flight request finish first."""

    def __init__(self, shared: Shared, n: int, seed_tokens_of):
        self.shared = shared
        self.clients = [Client(shared, i, seed_tokens_of(i)) for i in range(n)]

    def start(self) -> None:
        for c in self.clients:
            c.start()

    def pause(self, timeout: float = 60) -> bool:
        self.shared.gate.clear()
        deadline = time.monotonic() + timeout
        return all(c.idle.wait(max(0.0, deadline - time.monotonic())) for c in self.clients)

    def resume(self) -> None:
        self.shared.gate.set()

    def stop(self, timeout: float = 60) -> None:
        self.shared.stop.set()
        self.shared.gate.set()
        for c in self.clients:
            c.join(timeout)

    def operations(self) -> int:
        return sum(c.done for c in self.clients)
