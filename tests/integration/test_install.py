"""`make install` and `make uninstall` into a DESTDIR (what a non-Debian system uses): a file
under /etc that the administrator edited is never overwritten or removed, ours goes beside it
as .dist; an unedited one follows our new version; the key file is made 0600 once and never
removed; uninstall refuses while the module or the example site is enabled."""

import hashlib
import stat
import subprocess

import pytest

from taharness import paths

ETC = {
    "conf/tokenauth.load": "etc/apache2/mods-available/tokenauth.load",
    "conf/tokenauth.conf": "etc/apache2/mods-available/tokenauth.conf",
    "conf/pam.d/tokenauth": "etc/pam.d/tokenauth",
    "conf/login.html": "etc/apache2/tokenauth/login.html",
    "conf/webapp.conf": "etc/apache2/tokenauth/webapp.conf",
    "conf/example-site.conf": "etc/apache2/sites-available/tokenauth-example.conf",
}
SUMS = "usr/share/tokenauth/installed.md5"
KEYS = "etc/apache2/tokenauth.keys"
WEBAPP = "etc/apache2/tokenauth/webapp.conf"
SITE = "etc/apache2/sites-available/tokenauth-example.conf"


def make(target, dest, check=True):
    """The Makefile's target into dest, with the tested build (never rebuilt here)."""
    r = subprocess.run(["make", "--no-print-directory", "-f", "Makefile.apxs", "-o", "all",
                        "BUILD=%s" % paths.build_dir(), "DESTDIR=%s" % dest, target],
                       cwd=paths.repo_root(), capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def ours(src):
    return (paths.repo_root() / src).read_bytes()


@pytest.fixture
def dest(tmp_path):
    make("install", tmp_path)
    return tmp_path


def test_install_puts_every_file_in_place_and_makes_a_private_key(dest):
    for src, etc in ETC.items():
        assert (dest / etc).read_bytes() == ours(src), etc
    for name in ("index.html", "app.js", "app.css"):
        assert (dest / "usr/share/tokenauth/web" / name).read_bytes() == ours("conf/web/" + name)
    assert (dest / "usr/lib/apache2/modules/mod_tokenauth.so").is_file()
    helper = dest / "usr/lib/apache2/modules/tokenauth-helper"
    assert stat.S_IMODE(helper.stat().st_mode) == 0o755
    key = dest / KEYS
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_uid == 0
    assert " EdDSA " in key.read_text()


def test_reinstall_keeps_an_edited_file_and_puts_ours_beside_it(dest):
    edited = ours("conf/webapp.conf") + b"# the administrator's own line\n"
    (dest / WEBAPP).write_bytes(edited)
    key = (dest / KEYS).read_bytes()
    r = make("install", dest)
    assert (dest / WEBAPP).read_bytes() == edited
    assert (dest / (WEBAPP + ".dist")).read_bytes() == ours("conf/webapp.conf")
    assert "kept %s: it was edited; the new version is %s.dist" % (dest / WEBAPP, dest / WEBAPP) \
        in r.stdout
    assert (dest / KEYS).read_bytes() == key
    # the other files were not edited: no .dist beside them
    assert not (dest / (SITE + ".dist")).exists()


def test_an_unedited_file_of_an_older_version_is_replaced(dest):
    """The file is what an older install put there (its checksum is on record): not edited,
    so the new version replaces it, and no .dist appears."""
    old = b"# the example site of an older version\n"
    (dest / SITE).write_bytes(old)
    sums = dest / SUMS
    lines = [ln for ln in sums.read_text().splitlines() if not ln.endswith(" /" + SITE)]
    lines.append("%s /%s" % (hashlib.md5(old).hexdigest(), SITE))
    sums.write_text("\n".join(lines) + "\n")
    make("install", dest)
    assert (dest / SITE).read_bytes() == ours("conf/example-site.conf")
    assert not (dest / (SITE + ".dist")).exists()


def test_a_file_found_without_a_record_is_kept_when_it_differs(tmp_path):
    """A file that was there before our first install (no checksum on record) may be the
    administrator's: kept."""
    theirs = b"# written by hand before the first install\n"
    (tmp_path / "etc/pam.d").mkdir(parents=True)
    (tmp_path / "etc/pam.d/tokenauth").write_bytes(theirs)
    make("install", tmp_path)
    assert (tmp_path / "etc/pam.d/tokenauth").read_bytes() == theirs
    assert (tmp_path / "etc/pam.d/tokenauth.dist").read_bytes() == ours("conf/pam.d/tokenauth")


def test_uninstall_refuses_while_the_module_is_enabled(dest):
    enabled = dest / "etc/apache2/mods-enabled"
    enabled.mkdir(parents=True)
    (enabled / "tokenauth.load").symlink_to("../mods-available/tokenauth.load")
    r = make("uninstall", dest, check=False)
    assert r.returncode != 0
    assert "is enabled: run a2dismod tokenauth" in r.stderr
    assert (dest / "usr/lib/apache2/modules/mod_tokenauth.so").exists()
    (enabled / "tokenauth.load").unlink()
    make("uninstall", dest)
    assert not (dest / "usr/lib/apache2/modules/mod_tokenauth.so").exists()


def test_uninstall_removes_ours_and_keeps_edits_and_the_key(dest):
    edited = ours("conf/tokenauth.conf") + b"TokenAuthIssuer mine\n"
    conf = dest / "etc/apache2/mods-available/tokenauth.conf"
    conf.write_bytes(edited)
    make("install", dest)                       # leaves tokenauth.conf.dist beside it
    r = make("uninstall", dest)
    assert conf.read_bytes() == edited and "kept %s: it was edited" % conf in r.stdout
    assert (dest / KEYS).exists() and "kept %s" % (dest / KEYS) in r.stdout
    left = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert left == ["etc/apache2/mods-available/tokenauth.conf", KEYS], left


def test_uninstall_without_our_record_removes_nothing(tmp_path):
    """Files that make install did not put there (the Debian package's, say: no checksum
    record) are not ours to remove: uninstall refuses and leaves every one in place."""
    module = tmp_path / "usr/lib/apache2/modules/mod_tokenauth.so"
    cli = tmp_path / "usr/local/bin/tokenauth"
    app = tmp_path / "usr/share/tokenauth/web/app.js"
    for f in (module, cli, app):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"the package's own file\n")
    r = make("uninstall", tmp_path, check=False)
    assert r.returncode != 0
    assert "not installed by make install" in r.stderr, r.stderr
    assert all(f.read_bytes() == b"the package's own file\n" for f in (module, cli, app))


def test_a_destdir_with_a_space_is_refused(tmp_path):
    """make splits words at spaces: "DESTDIR=/tmp/a b" would install into /tmp/a and b/, and
    uninstall would remove /usr/lib/... of the machine itself. Both refuse it."""
    dest = tmp_path / "a b"
    for target in ("install", "uninstall"):
        r = make(target, dest, check=False)
        assert r.returncode != 0 and "DESTDIR must not contain spaces" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_install_refuses_over_the_package(tmp_path):
    """Where dpkg's database (the one below DESTDIR) says the module belongs to our package,
    install would overwrite the package's files behind dpkg's back: refused, nothing written.
    The same install goes ahead once the package is gone from that database."""
    dpkg = tmp_path / "var/lib/dpkg"
    (dpkg / "info").mkdir(parents=True)
    (dpkg / "updates").mkdir()
    (dpkg / "status").write_text(
        "Package: libapache2-mod-tokenauth\nStatus: install ok installed\nArchitecture: amd64\n"
        "Version: 0.13.0\nMaintainer: x <x@example.org>\nDescription: x\n\n")
    listed = dpkg / "info/libapache2-mod-tokenauth.list"
    listed.write_text("/usr/lib/apache2/modules/mod_tokenauth.so\n")
    r = make("install", tmp_path, check=False)
    assert r.returncode != 0
    assert "the libapache2-mod-tokenauth package is installed" in r.stderr
    assert not (tmp_path / "usr").exists() and not (tmp_path / "etc").exists()
    listed.unlink()
    (dpkg / "status").write_text("")
    make("install", tmp_path)
    assert (tmp_path / "usr/lib/apache2/modules/mod_tokenauth.so").is_file()
