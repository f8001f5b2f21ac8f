"""Key files in the module's format: one "KID SECRET" per line, SECRET the base64url (no
padding) of the HMAC key; the first key signs, every key verifies.

Keys are made here with the secrets module rather than with `tokenauth keygen`, so that the
tests of the CLI and of the server do not depend on each other; parse_key_line reads the CLI's
output when a test wants it."""

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SECRET_BYTES = 32


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Key:
    kid: str
    secret: str  # as written in the file

    @property
    def secret_bytes(self) -> bytes:
        """The HMAC key, as PyJWT and our forger need it."""
        return b64url_decode(self.secret)

    def line(self) -> str:
        return "%s %s" % (self.kid, self.secret)


def new_key(kid: str = None, nbytes: int = SECRET_BYTES) -> Key:
    return Key(kid or "k" + secrets.token_hex(6), b64url(secrets.token_bytes(nbytes)))


def parse_key_line(line: str) -> Key:
    kid, secret = line.split()
    return Key(kid, secret)


def write_key_lines(path: Path, lines, mode: int = 0o600, owner: int = 0) -> Path:
    """Write raw lines (for malformed files too) with the given owner and mode. The module
    refuses a key file that group or others may read, or that root does not own."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(ln + "\n" for ln in lines))
    os.chown(path, owner, owner)
    os.chmod(path, mode)
    return path


class KeyFile:
    """A key file and the keys in it, newest (signing) first."""

    def __init__(self, path: Path, keys=None):
        self.path = Path(path)
        self.keys = list(keys) if keys else [new_key()]
        self.write()

    @property
    def signing_key(self) -> Key:
        return self.keys[0]

    def find(self, kid: str) -> Key:
        return next(k for k in self.keys if k.kid == kid)

    def write(self) -> None:
        """Rewrite in place (the path may be bind-mounted elsewhere), root-owned, 0600."""
        write_key_lines(self.path, ["# written by the test harness"] + [k.line() for k in self.keys])

    def rotate(self, key: Key = None) -> Key:
        """Prepend a new key: it signs from the next reload; the old ones still verify."""
        key = key or new_key()
        self.keys.insert(0, key)
        self.write()
        return key

    def retire(self, kid: str) -> None:
        """Drop a key: its tokens stop verifying after the next reload."""
        self.keys = [k for k in self.keys if k.kid != kid]
        self.write()
