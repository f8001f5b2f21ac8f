#!/usr/bin/env python3
"""`make -f Makefile.apxs demo`: the product on 127.0.0.1. A real Apache with mod_tokenauth
serves the web app at /app/ and the demo account's own 0700 home at /files/ (TokenAuthHome .,
read through the privileged helper as that user), with the locations of the shipped example
site and nothing else. The account exists only inside a private mount namespace (the machine's
own /etc and /home are never touched). Prints the app's URL, the login, a share link and curl
lines, then waits for Ctrl-C and stops everything it started.

While it runs, it checks every few seconds that the account is still there (see AccountWatch)."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from taharness import Harness, hostguard, samples, webapp  # noqa: E402

DEMO_USER = "demo"
SHARED_PHOTO = "Photos/sunset.png"      # the photo of the printed share link
SHARE_TTL = 86400                       # one day
WATCH_INTERVAL = 5.0                    # seconds between two checks of the account
PICTURE_SIZE = (640, 400)
DAY = 86400

# The shipped site (conf/webapp.conf), for the demo account only: the namespace's user
# database is a copy of the machine's, whose own accounts must neither sign in
# (TokenAuthMinUID, the demo's uid being above theirs) nor, should one have a uid above it, be
# served (Require user).
def site(h: Harness, user) -> str:
    web = webapp.copy_app(h.workdir / "demo-web")
    block = webapp.site(h.key_file.path, web)
    return ("TokenAuthMinUID %d\n" % user.uid +
            block.replace("Require valid-user", "Require user " + user.name))


# --- the demo account's home --------------------------------------------------------------
TEXTS = {
    "welcome.txt": "Welcome to the mod_tokenauth demo.\n\nThese files are in the home folder of"
                   " the account {user} (mode 0700).\nApache never reads them itself: the"
                   " privileged helper opens each one as {user},\nfor a token that names {user}."
                   "\n",
    "Documents/meeting-notes.md": "# Meeting notes\n\n- share the holiday photos\n"
                                  "- links expire after a day\n- sign out everywhere when done\n",
    "Documents/budget.csv": "item,amount\ntrain,84.50\nhotel,312.00\nfood,146.20\n",
    "Projects/garden/plans/todo.txt": "- plant tomatoes\n- fix the fence\n- water the beans\n",
    "Projects/garden/README.md": "# Garden\n\nPlans live in plans/.\n",
}
GUIDE = ["This PDF sits in the demo account's Documents folder.",
         "Open it, download it, or make a share link for it:",
         "a share link works for this one file only, without signing in,",
         "until it expires or you revoke it."]


def _write(path: Path, data: bytes, age_days: float) -> None:
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))


def fill_home(user) -> None:
    """Replace the harness's test files with the demo's samples: photos (some in a sub-folder),
    a text file, documents, a nested folder; all owned by the user, the home itself 0700."""
    for entry in user.host_home.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    home = user.host_home
    for age, (name, make) in enumerate(samples.PHOTOS.items()):
        folder = "Photos/Holidays" if name == "beach.png" else "Photos"
        _write(home / folder / name, make(*PICTURE_SIZE), 2 + 3 * age)
    for age, (rel, text) in enumerate(TEXTS.items()):
        _write(home / rel, text.format(user=user.name).encode(), 1 + 5 * age)
    _write(home / "Documents" / "guide.pdf", samples.pdf("Your files, from anywhere", GUIDE), 9)
    for dirpath, dirnames, filenames in os.walk(home, topdown=False):
        newest = max((os.lstat(os.path.join(dirpath, n)).st_mtime for n in dirnames + filenames),
                     default=time.time())
        os.utime(dirpath, (newest, newest))      # a folder's date is that of its newest file
        for n in dirnames + filenames:
            os.lchown(os.path.join(dirpath, n), user.uid, user.gid)
    os.chown(home, user.uid, user.gid)
    os.chmod(home, 0o700)


# --- set up, explain ------------------------------------------------------------------------
@dataclass
class Demo:
    harness: Harness
    server: object
    user: object
    share_url: str

    def url(self, path: str) -> str:
        return self.server.url(path)


def setup(h: Harness) -> Demo:
    """The account with its files, Apache with the demo site only, and a share link."""
    user = h.users.add_user(DEMO_USER, "demo-" + secrets.token_urlsafe(6))
    fill_home(user)
    server = h.start_apache("demo", snippets=[site(h, user)], populate=None)
    scope = "/files/" + SHARED_PHOTO
    share = h.mint(user.name, kind="share", scope=scope, ttl=SHARE_TTL)
    return Demo(h, server, user, server.url(scope + "?token=" + share))


def explain(demo: Demo) -> str:
    base, user = demo.server.base_url, demo.user
    login = '{"username":"%s","password":"%s"}' % (user.name, user.password)
    return f"""
mod_tokenauth demo

  Open the app:   {base}/app/
  Sign in as:     {user.name}   password: {user.password}

  A share link to one photo (valid 1 day, works without signing in):
    {demo.share_url}

  From a shell (sign in, list your files, fetch a photo, sign out):
    TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{login}' {base}/login \\
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    curl -H "Authorization: Bearer $TOKEN" -H 'Accept: application/json' {base}/files/Photos/
    curl -H "Authorization: Bearer $TOKEN" -o sunset.png {base}/files/{SHARED_PHOTO}
    curl -X POST -H "Authorization: Bearer $TOKEN" -H 'Accept: application/json' {base}/logout

  The files are {user.name}'s own home folder (mode 0700, owner {user.name}); the account exists
  only inside the demo's private namespace, where PAM checks its password for real.
  Logs: {demo.server.paths.error_log}
        {demo.server.paths.access_log}

Press Ctrl-C to stop Apache and remove the demo account and its files.
"""


# --- watching the account -------------------------------------------------------------------
LOST = """
*** The demo account "{user}" is gone: {why}.
    The demo's users live in copies of /etc/passwd and friends, bind-mounted inside its own
    mount namespace. When something on this machine replaces /etc/passwd (useradd, adduser,
    apt installing a package that adds a user, an editor saving it), the kernel detaches the
    copy in the demo's namespace, and the account with it.
    Sign-ins as {user}, and its tokens and share links, fail from now on.
    Stopping the demo; run `make -f Makefile.apxs demo` again for a fresh one.
"""


class AccountWatch:
    """Checks, every interval seconds, that the demo account still resolves inside the
    namespace with its uid and that every bind mount of the namespace is still in place; the
    first time one is not, it prints LOST once and sets stop."""

    def __init__(self, demo: Demo, stop: threading.Event, interval: float = WATCH_INTERVAL,
                 out=sys.stdout):
        self.demo = demo
        self.stop = stop
        self.interval = interval
        self.out = out
        self.lost = None      # the reason, once seen
        self.thread = threading.Thread(target=self._run, name="account-watch", daemon=True)

    def problem(self):
        """What is wrong now, or None."""
        ns, user = self.demo.harness.ns, self.demo.user
        if ns.holder.poll() is not None:
            return "the demo's namespace ended"
        # the account first, the mounts second: a lookup that failed because a copy was just
        # detached then finds that copy missing, and says so
        try:
            out = ns.run(["getent", "passwd", user.name], timeout=10)
        except subprocess.TimeoutExpired:
            return None     # a slow machine, not a lost account: the next round tells
        mounted = ns.mount_points()
        missing = [t for t in ns.bind_targets() if t not in mounted]
        if missing:
            return "the namespace's copy of %s was detached" % ", ".join(missing)
        fields = out.stdout.strip().split(":")
        if out.returncode != 0 or len(fields) < 3:
            return "%s no longer resolves inside the namespace" % user.name
        if fields[2] != str(user.uid):
            return "%s now has uid %s instead of %d" % (user.name, fields[2], user.uid)
        if not self.demo.server.running:
            return "Apache stopped (see %s)" % self.demo.server.paths.error_log
        return None

    def check(self) -> bool:
        """One check; False (after printing LOST once and setting stop) when it failed."""
        if self.lost is not None:
            return False
        why = self.problem()
        if why is None:
            return True
        self.lost = why
        print(LOST.format(user=self.demo.user.name, why=why), file=self.out, flush=True)
        self.stop.set()
        return False

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            if not self.check():
                return

    def start(self) -> "AccountWatch":
        self.thread.start()
        return self


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def main() -> int:
    stop = threading.Event()
    stop_on_signals(stop)
    watch = None
    try:
        with Harness() as h:
            demo = setup(h)
            print(explain(demo), flush=True)
            watch = AccountWatch(demo, stop).start()
            while not stop.wait(3600):
                pass
            print("stopping Apache ...", flush=True)
    except hostguard.HostChanged as e:
        if watch is None or watch.lost is None:
            raise
        # The host's own user database was replaced while the demo ran (what detached the
        # account); the demo only ever wrote its copies, which are gone now.
        changed = str(e).rsplit(": ", 1)[-1]
        print("note: the host's %s changed while the demo ran; not by the demo, which writes"
              " only its own copies" % changed)
    print("stopped; the demo namespace and its files are gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
