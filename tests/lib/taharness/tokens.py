"""Tokens: minted by the real tokenauth CLI (inside the namespace, where the users exist), or
forged here byte by byte for the odd and malformed cases no JWT library would produce
(duplicate keys, floats for times, alg "none"). Forging signs with the key's own algorithm:
Ed25519 over the signing input for EdDSA keys, HMAC-SHA256 for HS256 keys; the header says
what the test wants it to say, so algorithm confusion can be forged too."""

import hashlib
import hmac
import json
import secrets
import time

from .keys import EDDSA, Key, b64url, b64url_decode

DEFAULT_ISSUER = "tokenauth"


class Minter:
    """The tokenauth CLI, run inside the namespace."""

    def __init__(self, ns, cli, env=None):
        self.ns = ns
        self.cli = cli
        self.env = env or {}

    def _run(self, args):
        out = self.ns.run([self.cli] + args, env=self.env)
        if out.returncode != 0:
            raise RuntimeError("tokenauth %s failed (%d): %s" % (args[0], out.returncode, out.stderr))
        return out.stdout

    def mint(self, key_file, user, kind=None, scope=None, ttl=None, issuer=None) -> str:
        """`tokenauth mint`; kind None is a session token."""
        args = ["mint", "--key-file", str(key_file), "--user", user]
        for flag, value in (("--issuer", issuer), ("--ttl", ttl), ("--kind", kind),
                            ("--scope", scope)):
            if value is not None:
                args += [flag, str(value)]
        return self._run(args).strip()

    def keygen(self) -> str:
        return self._run(["keygen"]).strip()

    def inspect(self, token, key_file=None):
        args = ["inspect"] + (["--key-file", str(key_file)] if key_file else []) + [token]
        return self.ns.run([self.cli] + args, env=self.env)


def new_jti() -> str:
    """128 random bits, base64url: what the module requires at least."""
    return b64url(secrets.token_bytes(16))


def claims(user, kind="session", scope=None, ttl=300, issuer=DEFAULT_ISSUER, now=None, **extra):
    """A valid claim set for user (a users.User); extra entries override or add claims, and
    a value of None removes a claim."""
    now = int(time.time()) if now is None else now
    c = {"iss": issuer, "sub": user.name, "uid": user.uid, "iat": now, "exp": now + ttl,
         "jti": new_jti(), "kind": kind}
    if scope is not None:
        c["scope"] = scope
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def header(key: Key, alg=None, **extra) -> dict:
    """The header the module writes for key (alg defaults to the key's own)."""
    h = {"alg": alg or key.alg, "typ": "JWT", "kid": key.kid}
    h.update(extra)
    return {k: v for k, v in h.items() if v is not None}


def _part(value) -> str:
    """A dict becomes compact JSON; str/bytes are taken as the exact JSON text, so tests
    can write duplicate keys or odd number forms."""
    if isinstance(value, dict):
        value = json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        value = value.encode()
    return b64url(value)


def signature(signing_input: bytes, key: Key, alg: str = None) -> bytes:
    """The signature of alg (default key.alg) with key: Ed25519 with the key's seed, or
    HMAC-SHA256 with its secret bytes (for EdDSA keys: the seed, which the module never
    accepts as an HMAC key)."""
    if (alg or key.alg) == EDDSA:
        return key.private_key().sign(signing_input)
    return hmac.new(key.secret_bytes, signing_input, hashlib.sha256).digest()


def sign(hdr, payload, key, alg: str = None) -> str:
    """Compact JWS over hdr and payload. key is a Key (signed with alg, default the key's
    own), or raw bytes taken as an HMAC-SHA256 key (an attacker's guess, a public key)."""
    signing_input = (_part(hdr) + "." + _part(payload)).encode()
    if isinstance(key, (bytes, bytearray)):
        sig = hmac.new(bytes(key), signing_input, hashlib.sha256).digest()
    else:
        sig = signature(signing_input, key, alg)
    return signing_input.decode() + "." + b64url(sig)


def forge(key: Key, payload, hdr=None, alg: str = None) -> str:
    """A token signed with key (by alg, default the key's own), with header hdr (default:
    the module's header for key)."""
    return sign(hdr if hdr is not None else header(key), payload, key, alg)


def parts(token: str):
    """Decoded header and claims (no verification)."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))
