"""What the soak serves: six users with 0700 homes, each holding files whose every byte names
their owner and path (so a wrong file is recognised on every 200), and one Apache with
TokenAuthHome, mint, whoami and logout, whose TokenAuthCache is a real redis-server."""

import os
from dataclasses import dataclass, field

from taharness import paths, site

USERS = ("alice", "bob", "carol", "dave", "erin", "frank")
PASSWORD_SUFFIX = "-soak-pw"
HOME_PREFIX = "/h/"         # the TokenAuthHome location (serves ~user/public)
MINT_PATH = "/auth/mint"
WHOAMI_PATH = "/auth/whoami"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"

# Sizes of public/f<i>.txt: tiny, small, a page, and two past the point where httpd uses
# sendfile, so that both the copying and the sendfile paths of a passed descriptor are used.
FILE_SIZES = (40, 300, 4096, 1200, 9000, 70000, 300000, 150)
SUBDIR_FILES = 5            # public/d/x<j>.txt, listed as /h/d/
HIDDEN = "public/.hidden-soak"
URL_TTL_MAX = 7200

# The machine's apache2 ships mod_socache_redis; the harness's base loads only shmcb.
REDIS_MODULE = "LoadModule socache_redis_module %s/mod_socache_redis.so" % paths.APACHE_MODULES


def home_site(port: int) -> str:
    """The soak's own directives, appended to the harness's default site."""
    return f"""\
{REDIS_MODULE}
TokenAuthCache redis:127.0.0.1:{port}
# every client is 127.0.0.1: the address count would otherwise lock them all out
TokenAuthLoginThrottle 100000 300 300
TokenAuthURLTokenTTL 300 {URL_TTL_MAX}
# per-request debug lines would make the log the biggest thing the soak writes
LogLevel info
{site.MINT}{site.WHOAMI}
<Location /h>
{site.TOKEN_AUTH}
    TokenAuthHome public
</Location>
"""


def file_bytes(user: str, rel: str, size: int) -> bytes:
    """size bytes, every line of which names user and rel: any slice identifies the file."""
    line = ("owner=%s path=%s " % (user, rel)).encode()
    out = bytearray()
    n = 0
    while len(out) < size:
        out += line + b"%08d\n" % n
        n += 1
    return bytes(out[:size])


@dataclass
class SoakUser:
    name: str
    uid: int
    password: str
    files: dict = field(default_factory=dict)     # URL path under /h/ -> exact bytes
    listings: dict = field(default_factory=dict)  # URL of a directory -> set of names


class SoakSite:
    """The users and their files, created through the harness (inside its namespace)."""

    def __init__(self, harness):
        self.harness = harness
        self.users = {}
        self.by_content = {}   # exact bytes -> (user, URL path), to name a wrong file

    def create(self) -> "SoakSite":
        for name in USERS:
            u = self.harness.users.add_user(name, name + PASSWORD_SUFFIX)
            self.users[name] = self._populate(u)
        return self

    def _populate(self, u) -> SoakUser:
        su = SoakUser(u.name, u.uid, u.password)
        rels = ["public/f%d.txt" % i for i in range(len(FILE_SIZES))]
        rels += ["public/d/x%d.txt" % j for j in range(SUBDIR_FILES)]
        rels.append("public/only-%s.txt" % u.name)
        for i, rel in enumerate(rels):
            size = FILE_SIZES[i] if i < len(FILE_SIZES) else 64 + 7 * i
            data = file_bytes(u.name, rel, size)
            self._write(u, rel, data)
            url = HOME_PREFIX + rel[len("public/"):]
            su.files[url] = data
            self.by_content[data] = (u.name, url)
        self._write(u, HIDDEN, file_bytes(u.name, HIDDEN, 100))
        # public/cat.txt comes from the harness (the same bytes for everyone): listed, not read
        su.listings[HOME_PREFIX] = {"cat.txt", "d", "only-%s.txt" % u.name} | {
            "f%d.txt" % i for i in range(len(FILE_SIZES))}
        su.listings[HOME_PREFIX + "d/"] = {"x%d.txt" % j for j in range(SUBDIR_FILES)}
        return su

    @staticmethod
    def _write(u, rel: str, data: bytes) -> None:
        p = u.host_home / rel
        p.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chown(p.parent, u.uid, u.gid)
        p.write_bytes(data)
        os.chmod(p, 0o644)
        os.chown(p, u.uid, u.gid)

    def owner_of(self, body: bytes):
        """(user, URL path) of the file whose bytes are body, else the user a fragment names
        (a range, a truncated body), else None."""
        if body in self.by_content:
            return self.by_content[body]
        head = body[:80]
        for name in self.users:
            if b"owner=%s " % name.encode() in head:
                return (name, None)
        return None
