"""What the TokenAuthHome tests share: a home location of the configuration, a file planted in
a user's ~/public as that user, and which Apache children hold a file open."""

import os

from . import procs

LOCATION = """
<Location {path}>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    {extra}
</Location>
"""


def location(path: str, extra: str = "") -> str:
    """A <Location> serving ~user/public under path, with extra directives in it."""
    return LOCATION.format(path=path, extra=extra)


def put_file(user, rel: str, data, mode=0o644):
    """A file at ~user/public/rel, owned by the user (its folder too); its host path."""
    p = user.host_home / "public" / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    os.chown(p.parent, user.uid, user.gid)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    os.chmod(p, mode)
    os.chown(p, user.uid, user.gid)
    return p


def holders(srv, needle: str) -> list:
    """The Apache children of srv that hold a descriptor whose path contains needle."""
    found = []
    for pid in srv.child_pids():
        try:
            if any(needle in t for t in procs.descriptors(pid).values()):
                found.append(pid)
        except OSError:
            pass
    return found
