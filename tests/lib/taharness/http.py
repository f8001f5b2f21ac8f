"""HTTP clients for tests. Every request has a timeout (a hung server must fail a test, not
hang the run), and redirects are not followed unless asked: the tests look at the 302s."""

import http.client
from dataclasses import dataclass, field

import requests

DEFAULT_TIMEOUT = 10


class Client(requests.Session):
    """requests.Session bound to one server: relative URLs, a default timeout, no redirects."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)

    def get(self, url, **kwargs):
        """requests.Session.get would turn redirects on before request() sees them."""
        kwargs.setdefault("allow_redirects", False)
        return super().get(url, **kwargs)

    def options(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return super().options(url, **kwargs)

    def login(self, username: str, password: str, path: str = "/login", **kwargs):
        """POST a JSON login (SPEC §4) to path."""
        return self.post(path, json={"username": username, "password": password}, **kwargs)

    def login_form(self, username: str, password: str, ret: str = None, path: str = "/login",
                   **kwargs):
        """POST a form login, with a return field when ret is not None."""
        data = {"username": username, "password": password}
        if ret is not None:
            data["return"] = ret
        return self.post(path, data=data, **kwargs)

    def get_with_token(self, path: str, token: str, source: str = "bearer", **kwargs):
        """GET path carrying token in one source: bearer, cookie or query."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if source == "bearer":
            headers["Authorization"] = "Bearer " + token
        elif source == "cookie":
            headers["Cookie"] = "tokenauth=" + token
        elif source == "query":
            path += ("&" if "?" in path else "?") + "token=" + token
        else:
            raise ValueError(source)
        return self.get(path, headers=headers, **kwargs)


@dataclass
class RawResponse:
    status: int
    headers: list = field(default_factory=list)   # (name, value) pairs, in order
    body: bytes = b""

    def header(self, name: str):
        """The first value of header name (case-insensitive), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def raw_request(port: int, method: str, target: str, headers=(), body: bytes = None,
                timeout: float = DEFAULT_TIMEOUT, source: str = None) -> RawResponse:
    """One request with exactly the header lines given (repeats allowed) and the request
    target sent as is (no client-side normalisation of "..", no re-encoding). source is a
    loopback address to send from (127.0.0.2, ...), so that one machine can be several
    clients."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return RawResponse(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()
