"""Tokens that must never be accepted, made fresh for each probe: garbage, tampered real
tokens, tokens signed by a key the server does not have, algorithm tricks, and tokens signed
with the server's own key whose claims are wrong (expired, issued in the future, an unknown
user, another user's uid, another issuer, a string for exp, a url token outside its scope).
The last kind passes the signature check and so reaches the rest of the checks; every one of
them must still be refused."""

import base64
import hashlib
import hmac
import json
import secrets
import time

from taharness.keys import EDDSA, HS256, new_key
from taharness.tokens import b64url, claims, forge, header, sign

from soaksite import HOME_PREFIX

UNKNOWN_USER = "soak-nobody"
UNKNOWN_UID = 29999


def _flip(text: str, i: int) -> str:
    """text with the base64url character at i changed to another one."""
    c = "A" if text[i] != "A" else "B"
    return text[:i] + c + text[i + 1:]


def _garbage(rng) -> str:
    return rng.choice([
        "x", "a.b.c", "e30.e30.AAAA", "..", "Bearer", "%00", "a" * 5000,
        ".".join(b64url(secrets.token_bytes(rng.randrange(1, 60))) for _ in range(3)),
        b64url(secrets.token_bytes(40)),
    ])


class BadTokens:
    """Bad tokens for the users of a SoakSite, signed (when signed) with key, a Key of the
    server's key file."""

    def __init__(self, site, key):
        self.site = site
        self.key = key
        self.stranger = new_key(kid=key.kid, alg=key.alg)   # same kid, another key
        self.makers = [self.garbage, self.tampered_signature, self.tampered_claims,
                       self.strangers_key, self.alg_none, self.alg_confusion, self.expired,
                       self.future_iat, self.unknown_user, self.wrong_uid, self.wrong_issuer,
                       self.string_exp]

    def make(self, rng, real_token: str):
        """(label, token): one bad token of a random kind; real_token is a genuine session
        token of some user, for the kinds that tamper with one. Never real_token itself."""
        maker = rng.choice(self.makers)
        token = maker(rng, real_token)
        if token == real_token:
            raise AssertionError("%s made the genuine token" % maker.__name__)
        return maker.__name__, token

    def _user(self, rng):
        return self.site.users[rng.choice(sorted(self.site.users))]

    def _signed(self, rng, **over) -> str:
        u = self._user(rng)
        c = claims(u, ttl=3600)
        c.update(over)
        return forge(self.key, {k: v for k, v in c.items() if v is not None})

    # --- the kinds ------------------------------------------------------------------------
    def garbage(self, rng, real):
        return _garbage(rng)

    def tampered_signature(self, rng, real):
        h, p, s = real.split(".")
        return ".".join((h, p, _flip(s, rng.randrange(1, len(s) - 2))))

    def tampered_claims(self, rng, real):
        """Another user's name and uid in the claims, the original signature kept."""
        h, p, s = real.split(".")
        c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        other = self.site.users[rng.choice(sorted(set(self.site.users) - {c["sub"]}))]
        c["sub"], c["uid"] = other.name, other.uid
        return ".".join((h, b64url(json.dumps(c, separators=(",", ":")).encode()), s))

    def strangers_key(self, rng, real):
        return forge(self.stranger, claims(self._user(rng), ttl=3600))

    def alg_none(self, rng, real):
        hdr = {"alg": "none", "typ": "JWT", "kid": self.key.kid}
        body = claims(self._user(rng), ttl=3600)
        return b64url(json.dumps(hdr).encode()) + "." + b64url(json.dumps(body).encode()) + "."

    def alg_confusion(self, rng, real):
        """HS256 in the header for the server's kid, keyed with what an attacker may know (the
        public key of an EdDSA key), or for an HS256 key an EdDSA claim."""
        body = claims(self._user(rng), ttl=3600)
        if self.key.alg == EDDSA:
            return sign(header(self.key, alg=HS256), body, self.key.public_bytes)
        signing_input = (b64url(json.dumps(header(self.key, alg=EDDSA)).encode()) + "." +
                         b64url(json.dumps(body).encode()))
        mac = hmac.new(self.key.secret_bytes, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(mac)

    def expired(self, rng, real):
        now = int(time.time())
        return self._signed(rng, iat=now - 4000, exp=now - 400)

    def future_iat(self, rng, real):
        now = int(time.time())
        return self._signed(rng, iat=now + 3600, exp=now + 7200)

    def unknown_user(self, rng, real):
        return self._signed(rng, sub=UNKNOWN_USER, uid=UNKNOWN_UID)

    def wrong_uid(self, rng, real):
        names = sorted(self.site.users)
        a, b = rng.sample(names, 2)
        return self._signed(rng, sub=a, uid=self.site.users[b].uid)

    def wrong_issuer(self, rng, real):
        return self._signed(rng, iss="another-site")

    def string_exp(self, rng, real):
        return self._signed(rng, exp=str(int(time.time()) + 3600))


def out_of_scope_url_token(key, user, rng):
    """(token, path): a url token of user, signed with the server's key, whose scope is one
    file, and another file of user's it must not open."""
    scope = HOME_PREFIX + "f0.txt"
    other = HOME_PREFIX + rng.choice(["f1.txt", "f2.txt", "d/x0.txt", "only-%s.txt" % user.name])
    return forge(key, claims(user, kind="url", scope=scope, ttl=3600)), other
