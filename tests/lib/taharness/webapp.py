"""The web app's site as the demo and the browser tests serve it: the shipped
conf/webapp.conf (what administrators include), with the app's installed path replaced by a
copy of conf/web/ in the work directory, which www-data can read wherever the checkout lives
(a clone under /root is not readable by Apache's user)."""

import os
import shutil
from pathlib import Path

from . import paths
from .site import key_file_line

INSTALLED_APP = "/usr/share/tokenauth/web"


def app_dir() -> Path:
    """The web app's files: TA_WEB when set (an installed copy, say), else this checkout's
    conf/web/."""
    return Path(os.environ.get("TA_WEB") or paths.repo_root() / "conf" / "web")


def shipped_block(web_dir) -> str:
    """conf/webapp.conf with the app's installed path replaced by web_dir."""
    conf = paths.repo_root() / "conf" / "webapp.conf"
    text = conf.read_text()
    if INSTALLED_APP not in text:
        raise ValueError("%s no longer serves the app from %s" % (conf, INSTALLED_APP))
    return text.replace(INSTALLED_APP, str(web_dir))


def site(key_file, web_dir) -> str:
    """The key file line and the shipped block: the app, /login, /logout, /auth/mint,
    /auth/whoami and each user's home at /files/."""
    return key_file_line(key_file) + "\n" + shipped_block(web_dir)


def copy_app(dest: Path) -> Path:
    """A copy of the app at dest that www-data can read."""
    if not (app_dir() / "index.html").exists():
        raise FileNotFoundError("no web app at %s" % app_dir())
    shutil.copytree(app_dir(), dest)
    for dirpath, dirnames, filenames in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
    return dest


def start_server(harness, name: str, extra=(), **kw):
    """An Apache with the site (and extra snippets), started; kw go to start_apache."""
    web = copy_app(harness.workdir / (name + "-web"))
    return harness.start_apache(name, snippets=[site(harness.key_file.path, web)],
                                extra=list(extra), **kw)
