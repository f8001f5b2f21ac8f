"""Links as a signed-in user makes them over HTTP (tokenauth-mint), and whether they and the
session still work: shared by the tests of revoking one link and of its limit."""

from .http import Client
from .site import FILES

HELLO = FILES["files/hello.txt"]


def bearer(token: str) -> dict:
    return {"Authorization": "Bearer " + token}


def mint_link(c, session: str, path="/files/hello.txt", kind="share", ttl=600) -> dict:
    """A link minted over HTTP by the session's owner: {"token", "url", "expires_at"}."""
    r = c.post("/auth/mint", headers=bearer(session), json={"path": path, "kind": kind, "ttl": ttl})
    assert r.status_code == 200, r.text
    return r.json()


def link_works(srv, link: dict) -> bool:
    """Whether a stranger (no cookie, no session) can open the link to files/hello.txt."""
    with Client(srv.base_url) as stranger:
        r = stranger.get(link["url"])
    assert r.status_code in (200, 401), (r.status_code, r.text[:200])
    return r.status_code == 200 and r.text == HELLO


def session_works(c, session: str) -> bool:
    r = c.get("/auth/whoami", headers=bearer(session))
    assert r.status_code in (200, 401), r.status_code
    return r.status_code == 200
