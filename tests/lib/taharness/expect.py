"""What the contract says answers look like (SPEC §5), as reusable assertions."""

import json
import re

REFUSAL_LOG = re.compile(r"TA00002: token refused: (\w+)")


def _json(resp) -> dict:
    assert resp.headers.get("Content-Type", "").startswith("application/json"), \
        "not a JSON body: %r" % resp.headers.get("Content-Type")
    return json.loads(resp.text)


def refused(resp, realm: str = "files") -> None:
    """A token was sent but refused: 401, Bearer challenge with error="invalid_token", JSON."""
    assert resp.status_code == 401, (resp.status_code, resp.text[:200])
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.startswith('Bearer realm="%s"' % realm), challenge
    assert 'error="invalid_token"' in challenge, challenge
    assert "error" in _json(resp)


def challenged(resp, realm: str = "files") -> None:
    """No token at all: 401 with a bare Bearer challenge (no error=) and a JSON body."""
    assert resp.status_code == 401, (resp.status_code, resp.text[:200])
    assert resp.headers.get("WWW-Authenticate") == 'Bearer realm="%s"' % realm, \
        resp.headers.get("WWW-Authenticate")
    _json(resp)


def served(resp, body: str) -> None:
    """Accepted: 200 with the file's content."""
    assert resp.status_code == 200, (resp.status_code, resp.headers, resp.text[:200])
    assert resp.text == body


def refusal_reasons(server, since: int) -> list:
    """Reasons the module logged for refusals since the error-log offset `since`."""
    return REFUSAL_LOG.findall(server.error_log.text(since))
