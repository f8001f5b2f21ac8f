"""Key files in the module's format (SPEC §2): one "KID [ALG] SECRET" per line; the first key
signs, every key verifies.

  EdDSA   "KID EdDSA SECRET", SECRET the base64url (no padding) of the 32-byte Ed25519 seed
  HS256   "KID SECRET" (no ALG: what older files hold and the module still reads as HS256),
          SECRET the base64url of at least 32 random bytes, the HMAC key

Keys are made here (secrets module, python3-cryptography) rather than with `tokenauth keygen`,
so that the tests of the CLI and of the server do not depend on each other; parse_key_line
reads the CLI's output when a test wants it.

DEFAULT_ALG is the one switch for the algorithm of every key a test does not choose itself
(the harness's own key file included). TA_KEY_ALG=HS256 in the environment runs the whole
suite with HS256 keys, the way existing installations sign."""

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

EDDSA = "EdDSA"
HS256 = "HS256"
ALGS = (EDDSA, HS256)
DEFAULT_ALG = os.environ.get("TA_KEY_ALG") or EDDSA
SECRET_BYTES = 32
SEED_BYTES = 32

if DEFAULT_ALG not in ALGS:
    raise ValueError("TA_KEY_ALG must be one of %s, not %r" % (", ".join(ALGS), DEFAULT_ALG))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Key:
    kid: str
    secret: str      # as written in the file
    alg: str = HS256

    @property
    def secret_bytes(self) -> bytes:
        """The HMAC key (HS256) or the Ed25519 seed (EdDSA)."""
        return b64url_decode(self.secret)

    @property
    def is_eddsa(self) -> bool:
        return self.alg == EDDSA

    def private_key(self):
        """The Ed25519 private key made from the seed (EdDSA keys only). python3-cryptography
        is imported here, not at the top: the demo writes key files and never needs it, so a
        server without the test packages runs it."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        if not self.is_eddsa:
            raise ValueError("key %s is %s, not EdDSA" % (self.kid, self.alg))
        return Ed25519PrivateKey.from_private_bytes(self.secret_bytes)

    @property
    def public_bytes(self) -> bytes:
        """The 32-byte Ed25519 public key (JWK "x")."""
        from cryptography.hazmat.primitives import serialization
        return self.private_key().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def jwk(self) -> dict:
        """The public JWK that tokenauth-jwks publishes for this key (SPEC §4)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.public_bytes), "kid": self.kid,
                "alg": EDDSA, "use": "sig"}

    @property
    def signer(self):
        """What PyJWT's jwt.encode takes as the key."""
        return self.private_key() if self.is_eddsa else self.secret_bytes

    @property
    def verifier(self):
        """What PyJWT's jwt.decode takes as the key: only the public half for EdDSA."""
        return self.private_key().public_key() if self.is_eddsa else self.secret_bytes

    def line(self, explicit_alg: bool = None) -> str:
        """The key-file line. HS256 keys are written without ALG unless explicit_alg (the
        format older files have); EdDSA keys always name it."""
        if explicit_alg or (explicit_alg is None and self.is_eddsa):
            return "%s %s %s" % (self.kid, self.alg, self.secret)
        return "%s %s" % (self.kid, self.secret)


def new_key(kid: str = None, nbytes: int = None, alg: str = None) -> Key:
    """A fresh key of alg (default DEFAULT_ALG); nbytes overrides the secret's length, for
    tests of keys that are too short."""
    alg = alg or DEFAULT_ALG
    if alg not in ALGS:
        raise ValueError(alg)
    n = nbytes if nbytes is not None else (SEED_BYTES if alg == EDDSA else SECRET_BYTES)
    return Key(kid or "k" + secrets.token_hex(6), b64url(secrets.token_bytes(n)), alg)


def parse_key_line(line: str) -> Key:
    """A "KID SECRET" or "KID ALG SECRET" line, as `tokenauth keygen` prints it."""
    fields = line.split()
    if len(fields) == 2:
        return Key(fields[0], fields[1], HS256)
    kid, alg, secret = fields
    return Key(kid, secret, alg)


def write_key_lines(path: Path, lines, mode: int = 0o600, owner: int = 0) -> Path:
    """Write raw lines (for malformed files too) with the given owner and mode. The module
    refuses a key file that group or others may read, or that root does not own."""
    path = Path(path)
    # written beside it and renamed over it, as an administrator's tools do: a helper that
    # re-reads the file meanwhile (a graceful restart still under way) sees the old or the
    # new file, never an empty one
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(ln + "\n" for ln in lines))
    os.chown(tmp, owner, owner)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return path


class KeyFile:
    """A key file and the keys in it, newest (signing) first. alg is the algorithm of the
    first key when keys is not given, and of the keys rotate() makes (default DEFAULT_ALG)."""

    def __init__(self, path: Path, keys=None, alg: str = None):
        self.path = Path(path)
        self.alg = alg or DEFAULT_ALG
        self.keys = list(keys) if keys else [new_key(alg=self.alg)]
        self.write()

    @property
    def signing_key(self) -> Key:
        return self.keys[0]

    def find(self, kid: str) -> Key:
        return next(k for k in self.keys if k.kid == kid)

    def write(self) -> None:
        """Rewrite in place (the path may be bind-mounted elsewhere), root-owned, 0600."""
        write_key_lines(self.path, ["# written by the test harness"] + [k.line() for k in self.keys])

    def rotate(self, key: Key = None, alg: str = None) -> Key:
        """Prepend a new key (of alg, default the file's): it signs from the next reload; the
        old ones still verify."""
        key = key or new_key(alg=alg or self.alg)
        self.keys.insert(0, key)
        self.write()
        return key

    def retire(self, kid: str) -> None:
        """Drop a key: its tokens stop verifying after the next reload."""
        self.keys = [k for k in self.keys if k.kid != kid]
        self.write()
