"""Test users, living only in the namespace's copies of the user database.

Every change rewrites a copy in place (open r+, truncate): rename() cannot replace a file that
is a bind-mount target, so useradd, passwd and friends would fail or, worse, write elsewhere.
Uids and gids come from a private range and are never reused within a run, so a re-created
account really has a new uid."""

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import hostguard

FIRST_ID = 23001
HOME_FILES = {
    "hello.txt": "hello from {name}\n",
    "notes.md": "# {name}'s notes\n",
    "public/cat.txt": "a cat picture, honestly\n",
    ".secret": "dot-file of {name}\n",
}
SHADOW_FIELDS_AFTER_HASH = "19000:0:99999:7:::"


@dataclass
class User:
    name: str
    uid: int
    gid: int
    password: str
    home: str            # as seen inside the namespace, e.g. /home/alice
    host_home: Path      # the same directory as seen from the harness


def hash_password(password: str) -> str:
    """SHA-512 crypt, as Debian's passwd writes it."""
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, text=True,
                         stdout=subprocess.PIPE, check=True, timeout=10)
    return out.stdout.strip()


def _rewrite(path: Path, edit) -> None:
    """Apply edit(list of lines) -> list of lines to path in place, keeping its inode."""
    with open(path, "r+") as f:
        lines = edit(f.read().splitlines())
        f.seek(0)
        f.write("".join(line + "\n" for line in lines))
        f.truncate()


def _without(name: str):
    return lambda lines: [ln for ln in lines if ln.split(":", 1)[0] != name]


def _appending(line: str):
    return lambda lines: lines + [line]


class UserDB:
    """The namespace's users: add, delete, re-create with a new uid, lock, expire."""

    def __init__(self, etc: Path, home: Path):
        self.etc = Path(etc)
        self.home = Path(home)
        self.users = {}
        self._taken = hostguard.real_ids("/etc/passwd", 2) | hostguard.real_ids("/etc/group", 2)
        self._next = FIRST_ID

    def _new_id(self) -> int:
        """The next id free as a uid and as a gid, on the host and in our copies."""
        taken = self._taken | hostguard.real_ids(self.etc / "passwd", 2) \
            | hostguard.real_ids(self.etc / "group", 2)
        while self._next in taken:
            self._next += 1
        self._taken.add(self._next)
        return self._next

    def get(self, name: str) -> User:
        return self.users[name]

    def add_user(self, name: str, password: str = None, uid: int = None) -> User:
        """Account with its own group and a 0700 home holding a few files."""
        if name in self.users:
            raise ValueError("user %s exists" % name)
        uid = uid or self._new_id()
        password = password if password is not None else name + "-password"
        user = User(name, uid, uid, password, "/home/" + name, self.home / name)
        self._write_entries(user, hash_password(password))
        self._make_home(user)
        self.users[name] = user
        return user

    def _write_entries(self, u: User, pwhash: str) -> None:
        _rewrite(self.etc / "passwd", _appending(
            "%s:x:%d:%d:test user %s:%s:/bin/sh" % (u.name, u.uid, u.gid, u.name, u.home)))
        _rewrite(self.etc / "shadow", _appending(
            "%s:%s:%s" % (u.name, pwhash, SHADOW_FIELDS_AFTER_HASH)))
        _rewrite(self.etc / "group", _appending("%s:x:%d:" % (u.name, u.gid)))
        if (self.etc / "gshadow").exists():
            _rewrite(self.etc / "gshadow", _appending("%s:!::" % u.name))

    def _make_home(self, u: User) -> None:
        u.host_home.mkdir(mode=0o700, exist_ok=True)
        for rel, text in HOME_FILES.items():
            p = u.host_home / rel
            p.parent.mkdir(mode=0o755, exist_ok=True)
            p.write_text(text.format(name=u.name))
        self._chown_home(u)

    def _chown_home(self, u: User) -> None:
        for dirpath, dirnames, filenames in os.walk(u.host_home):
            for n in dirnames + filenames:
                os.lchown(os.path.join(dirpath, n), u.uid, u.gid)
        os.chown(u.host_home, u.uid, u.gid)
        os.chmod(u.host_home, 0o700)

    def delete_user(self, name: str, keep_home: bool = False) -> None:
        """Remove the account; its home stays when keep_home (as `userdel` without -r)."""
        for f in ("passwd", "shadow", "group", "gshadow"):
            if (self.etc / f).exists():
                _rewrite(self.etc / f, _without(name))
        user = self.users.pop(name)
        if not keep_home:
            subprocess.run(["rm", "-rf", "--one-file-system", str(user.host_home)], check=True)

    def recreate_user_with_new_uid(self, name: str) -> User:
        """Same name and password, new uid: the old account's tokens must stop working."""
        old = self.users[name]
        self.delete_user(name, keep_home=True)
        new = self.add_user(name, old.password)
        return new

    def lock(self, name: str) -> None:
        """'!' before the hash, as `passwd -l` does."""
        self._edit_shadow_hash(name, lambda h: h if h.startswith("!") else "!" + h)

    def unlock(self, name: str) -> None:
        self._edit_shadow_hash(name, lambda h: h.lstrip("!"))

    def set_password(self, name: str, password: str) -> None:
        self._edit_shadow_hash(name, lambda h: hash_password(password))
        self.users[name].password = password

    def expire(self, name: str, days_ago: int = 1) -> None:
        """Account expiry date (shadow field 8, days since 1970) in the past, as
        `chage -E` or `usermod -e` write it: pam_unix's account check refuses the account."""
        day = int(time.time() // 86400) - days_ago  # pam_unix counts UTC days
        self._edit_shadow_field(name, 7, lambda _: str(day))

    def unexpire(self, name: str) -> None:
        self._edit_shadow_field(name, 7, lambda _: "")

    def require_password_change(self, name: str) -> None:
        """Last change 0, as `passwd -e` writes it: the next login must change the password."""
        self._edit_shadow_field(name, 2, lambda _: "0")

    def clear_password(self, name: str) -> None:
        """An empty hash, as `passwd -d` leaves it: no password at all."""
        self._edit_shadow_field(name, 1, lambda _: "")
        self.users[name].password = ""

    def _edit_shadow_hash(self, name: str, change) -> None:
        self._edit_shadow_field(name, 1, change)

    def _edit_shadow_field(self, name: str, index: int, change) -> None:
        """Replace field index of name's shadow line by change(old value), in place."""
        def edit(lines):
            out = []
            for ln in lines:
                parts = ln.split(":")
                if parts[0] == name:
                    parts[index] = change(parts[index])
                out.append(":".join(parts))
            return out
        _rewrite(self.etc / "shadow", edit)
