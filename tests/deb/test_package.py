"""The Debian packages as an administrator meets them, in a throwaway bookworm root: install,
enable the example site, sign in and fetch a home file; edit a conffile and the key file,
upgrade, find both edits; HTTPS with mod_ssl; remove, purge.

The tests run in file order and each builds on the state the previous ones left (one server's
life, from install to purge).
"""

import json
import re
import secrets
import subprocess
import tempfile
import time
from pathlib import Path


from conftest import DEB_DIR, EDDSA_LINE, REPO, find_debs, key_lines

KEYFILE = "/etc/apache2/tokenauth.keys"
CONFFILES = [
    "/etc/apache2/mods-available/tokenauth.conf",
    "/etc/apache2/mods-available/tokenauth.load",
    "/etc/apache2/sites-available/tokenauth-example.conf",
    "/etc/apache2/tokenauth/login.html",
    "/etc/apache2/tokenauth/webapp.conf",
    "/etc/pam.d/tokenauth",
]
MODULE_PKG = "libapache2-mod-tokenauth"
STATE = {}


def deb_version(path):
    return subprocess.run(["dpkg-deb", "-f", str(path), "Version"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def installed_version(root, pkg):
    p = root.run("dpkg-query -W -f='${Status} ${Version}' %s" % pkg, check=False)
    return p.stdout.decode().strip() if p.returncode == 0 else ""


def copy_debs(root, debs, name):
    """Put the packages into the root's /tmp/<name>/; their paths there."""
    target = root.file("/tmp/" + name)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in (debs["cli"], debs["module"]):
        (target / p.name).write_bytes(p.read_bytes())
        paths.append("/tmp/%s/%s" % (name, p.name))
    return " ".join(paths)


def enabled_modules(root):
    return sorted(p.name[:-5] for p in root.file("/etc/apache2/mods-enabled").glob("*.load"))


def stat_of(root, path):
    uid, gid, mode = root.out("stat -c '%u %g %a' " + path).split()
    return int(uid), int(gid), mode


def wait_for(root, url, insecure=False, want=200, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, _, _ = root.http(url, insecure=insecure)
        except AssertionError:
            status = None
        if status == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError("%s never answered %d (last: %s)" % (url, want, status))
        time.sleep(0.3)


def add_user(root, name):
    """An account with a 0700 home holding one file of random bytes; (password, bytes)."""
    password = "pw-" + secrets.token_urlsafe(12)
    content = secrets.token_bytes(600) + b"\n" + name.encode() + b"'s file\n"
    root.run("useradd -m -s /bin/sh %s && echo '%s:%s' | chpasswd && chmod 0700 /home/%s"
             % (name, name, password, name))
    root.file("/home/%s/notes.bin" % name).write_bytes(content)
    root.run("chown %s: /home/%s/notes.bin && chmod 0600 /home/%s/notes.bin" % (name, name, name))
    return password, content


def sign_in(root, user, password, base="http://localhost", insecure=False):
    body = json.dumps({"username": user, "password": password}).encode()
    status, head, data = root.http(base + "/login", method="POST", data=body, insecure=insecure,
                                   headers=["Content-Type: application/json",
                                            "Accept: application/json"])
    assert status == 200, (status, head, data[:300])
    token = json.loads(data)["token"]
    assert token.count(".") == 2
    return token


def bearer(token):
    return ["Authorization: Bearer " + token]


# --- before anything is installed --------------------------------------------------------

def test_lintian_reports_no_error_or_warning(debs, timings):
    t0 = time.monotonic()
    p = subprocess.run(["lintian", "--fail-on", "error,warning", str(debs["cli"]),
                        str(debs["module"])], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    timings["lintian"] = time.monotonic() - t0
    tags = [ln for ln in p.stdout.splitlines() if re.match(r"^[EW]: ", ln)]
    assert tags == [] and p.returncode == 0, p.stdout


def test_packages_hold_no_key_and_no_build_tree(debs):
    with tempfile.TemporaryDirectory() as tmp:
        for p in debs.values():
            subprocess.run(["dpkg-deb", "-x", str(p), tmp], check=True)
        files = [f for f in Path(tmp).rglob("*") if f.is_file()]
        names = [str(f.relative_to(tmp)) for f in files]
        assert "usr/lib/apache2/modules/tokenauth-helper" in names
        assert "usr/bin/tokenauth" in names
        assert not [n for n in names if n.endswith(".keys") or "/build/" in n], names
        for f in files:
            data = f.read_bytes()
            assert b"PRIVATE KEY" not in data, f
            assert not re.search(rb"\bk\d{8}-[A-Za-z0-9_-]{4} (EdDSA )?[A-Za-z0-9_-]{43}\b",
                                 data), f


def test_fresh_root_has_stock_apache_not_running(root):
    assert installed_version(root, "apache2").startswith("install ok installed")
    STATE["stock_modules"] = enabled_modules(root)
    assert "tokenauth" not in STATE["stock_modules"]
    assert "apache2" not in root.processes()


# --- install -----------------------------------------------------------------------------

def test_install_enables_module_and_makes_key(root, debs):
    paths = copy_debs(root, debs, "debs-1")
    p = root.run("apt-get install -y -q --no-install-recommends " + paths)
    log = p.stdout.decode()
    version = deb_version(debs["module"])
    assert installed_version(root, MODULE_PKG) == "install ok installed " + version
    assert installed_version(root, "tokenauth") == "install ok installed " + version
    assert "created " + KEYFILE in log
    # a2enmod tokenauth pulled in socache_shmcb (the .load's Depends line), nothing else
    assert enabled_modules(root) == sorted(set(STATE["stock_modules"]) |
                                           {"tokenauth", "socache_shmcb"})
    assert not root.file("/etc/apache2/sites-enabled/tokenauth-example.conf").exists()
    assert root.file("/etc/apache2/sites-available/tokenauth-example.conf").is_file()


def test_key_file_is_roots_alone_with_one_eddsa_key(root):
    assert stat_of(root, KEYFILE) == (0, 0, "600")
    lines = key_lines(root.file(KEYFILE).read_text())
    assert len(lines) == 1 and EDDSA_LINE.match(lines[0]), lines
    assert not list(root.file("/etc/apache2").glob("tokenauth.keys.*")), "a temporary file left"


def test_helper_beside_module_with_install_mode(root):
    assert stat_of(root, "/usr/lib/apache2/modules/tokenauth-helper") == (0, 0, "755")
    assert root.file("/usr/lib/apache2/modules/mod_tokenauth.so").is_file()
    assert root.file("/usr/bin/tokenauth").is_file()
    assert root.file("/usr/share/man/man1/tokenauth.1.gz").is_file()
    assert root.file("/usr/share/tokenauth/web/index.html").is_file()


def test_every_file_under_etc_is_a_conffile(root):
    listed = root.out("dpkg-query -W -f='${Conffiles}' " + MODULE_PKG)
    names = sorted(ln.split()[0] for ln in listed.strip().splitlines())
    assert names == sorted(CONFFILES)


def test_install_did_not_start_apache(root):
    assert "apache2" not in root.processes()


def test_reinstall_keeps_the_key(root, debs):
    before = root.file(KEYFILE).read_bytes()
    root.run("apt-get install -y -q --reinstall /tmp/debs-1/" + debs["module"].name)
    assert root.file(KEYFILE).read_bytes() == before


# --- the example site --------------------------------------------------------------------

def test_example_site_passes_configtest_with_stock_modules(root):
    root.run("a2dissite -q 000-default && a2ensite -q tokenauth-example")
    p = root.run("apache2ctl configtest")
    assert b"Syntax OK" in p.stderr + p.stdout
    assert enabled_modules(root) == sorted(set(STATE["stock_modules"]) |
                                           {"tokenauth", "socache_shmcb"})


def test_apache_starts_and_serves_the_app(root):
    root.run("apache2ctl start")
    wait_for(root, "http://localhost/app/")
    status, head, _ = root.http("http://localhost/")
    assert status in (301, 302) and re.search(r"(?im)^location: .*/app/", head), head


def test_sign_in_and_fetch_own_home_file(root):
    STATE["alice"] = add_user(root, "alice")
    password, content = STATE["alice"]
    token = sign_in(root, "alice", password)
    status, _, body = root.http("http://localhost/files/notes.bin", headers=bearer(token))
    assert status == 200 and body == content
    status, _, _ = root.http("http://localhost/files/notes.bin")
    assert status in (302, 401)
    STATE["alice_token"] = token


def test_another_users_file_is_not_readable(root):
    bob_password, bob_content = STATE["bob"] = add_user(root, "bob")
    # legitimate: bob reads his own file
    bob_token = sign_in(root, "bob", bob_password)
    status, _, body = root.http("http://localhost/files/notes.bin", headers=bearer(bob_token))
    assert status == 200 and body == bob_content
    # attacker: alice's token on paths that lead out of her home into bob's
    alice_token = STATE["alice_token"]
    for path in ["/files/../bob/notes.bin", "/files/%2e%2e/bob/notes.bin",
                 "/files/..%2fbob%2fnotes.bin", "/files/%2e%2e%2fbob%2fnotes.bin",
                 "/files//home/bob/notes.bin", "/files/../../home/bob/notes.bin"]:
        status, _, body = root.http("http://localhost" + path, headers=bearer(alice_token))
        assert status != 200 and bob_content not in body, (path, status)
    # alice's token names alice: the same URL gives her file, never bob's
    status, _, body = root.http("http://localhost/files/notes.bin", headers=bearer(alice_token))
    assert status == 200 and body == STATE["alice"][1]


# --- upgrade -----------------------------------------------------------------------------

def build_higher_version(base, suffix, out):
    version = base + suffix
    subprocess.run(["make", "--no-print-directory", "-f", "Makefile.apxs", "deb",
                    "DEB_VERSION=" + version, "DEB_OUT=" + str(out)], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, timeout=900)
    return version


def dpkg_leftovers(root):
    return [str(p) for d in ("/etc/apache2", "/etc/pam.d")
            for p in root.file(d).rglob("*") if re.search(r"\.(dpkg|ucf)-", p.name)]


def test_upgrade_keeps_edited_conffile_and_key_file(root, debs, timings, tmp_path_factory):
    conf = root.file("/etc/apache2/mods-available/tokenauth.conf")
    conf.write_bytes(conf.read_bytes() + b"# edited by the administrator " +
                     secrets.token_hex(8).encode() + b"\n")
    root.run("umask 077 && tokenauth keygen >> " + KEYFILE)
    assert len(key_lines(root.file(KEYFILE).read_text())) == 2
    edited = {p: root.file(p).read_bytes() for p in (conf_path(), KEYFILE)}
    shipped_before = conffile_sums(root)

    out = tmp_path_factory.mktemp("deb-upgrade")
    t0 = time.monotonic()
    version = build_higher_version(deb_version(debs["module"]), "+t2", out)
    timings["make deb (upgrade)"] = time.monotonic() - t0
    new = find_debs(out)
    assert deb_version(new["module"]) == version
    STATE["upgrade_debs"] = new

    # Upgrade with Apache running, stdin closed and no conffile policy: a question from
    # dpkg would read end-of-file and fail the upgrade instead of being answered for us.
    assert "apache2" in root.processes()
    paths = copy_debs(root, new, "debs-2")
    p = root.run("dpkg -i " + paths, stdin=subprocess.DEVNULL)
    log = (p.stdout + p.stderr).decode()
    assert "Configuration file" not in log, log
    assert installed_version(root, MODULE_PKG) == "install ok installed " + version
    for path, data in edited.items():
        assert root.file(path).read_bytes() == data, path
    assert stat_of(root, KEYFILE) == (0, 0, "600")
    assert dpkg_leftovers(root) == []
    # The case this covers: the new package ships the same tokenauth.conf as the old one, and
    # dpkg keeps a conffile the administrator changed and the package did not, silently.
    shipped_after = conffile_sums(root)
    assert shipped_after == shipped_before
    assert md5(root, conf_path()) != shipped_after[conf_path()]


def test_apache_still_signs_in_after_upgrade_and_restart(root):
    password, content = STATE["alice"]
    assert "apache2" in root.processes()
    sign_in(root, "alice", password)
    # the new module, with the administrator's two-key file, after a graceful restart
    root.run("apache2ctl configtest && apache2ctl graceful")
    time.sleep(1)
    wait_for(root, "http://localhost/app/")
    token = sign_in(root, "alice", password)
    status, _, body = root.http("http://localhost/files/notes.bin", headers=bearer(token))
    assert status == 200 and body == content


def test_upgrade_changing_a_conffile_keeps_the_admins_version(root, tmp_path_factory):
    """A version whose own tokenauth.conf changed, upgraded as unattended upgrades do
    (--force-confdef --force-confold): the administrator's file stays, the new one is put
    beside it as .dpkg-dist, and no question is asked."""
    out = tmp_path_factory.mktemp("deb-conf-changed")
    version = deb_version(STATE["upgrade_debs"]["module"]) + ".1"
    changed = repack(STATE["upgrade_debs"], version, out, conf_path(),
                     b"# a line the new version added\n")
    edited = root.file(conf_path()).read_bytes()
    paths = copy_debs(root, changed, "debs-3")
    p = root.run("dpkg --force-confdef --force-confold -i " + paths, stdin=subprocess.DEVNULL)
    log = (p.stdout + p.stderr).decode()
    assert installed_version(root, MODULE_PKG) == "install ok installed " + version
    assert root.file(conf_path()).read_bytes() == edited
    dist = root.file(conf_path() + ".dpkg-dist")
    assert dist.read_bytes().endswith(b"# a line the new version added\n"), log
    dist.unlink()


def conf_path():
    return "/etc/apache2/mods-available/tokenauth.conf"


def md5(root, path):
    return root.out("md5sum " + path).split()[0]


def conffile_sums(root):
    """The md5 sums dpkg recorded for the conffiles it shipped."""
    listed = root.out("dpkg-query -W -f='${Conffiles}' " + MODULE_PKG)
    return {ln.split()[0]: ln.split()[1] for ln in listed.strip().splitlines()}


def repack(debs, version, out, conffile, extra):
    """Both packages at version; the module's conffile with extra appended."""
    made = {}
    for kind, deb in debs.items():
        tree = out / ("tree-" + kind)
        subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
        control = tree / "DEBIAN" / "control"
        text = re.sub(r"(?m)^Version: .*$", "Version: " + version, control.read_text())
        text = re.sub(r"tokenauth \(= [^)]*\)", "tokenauth (= %s)" % version, text)
        control.write_text(text)
        if kind == "module":
            # conffiles have no line in DEBIAN/md5sums (dpkg keeps their sums in its database)
            target = tree / conffile.lstrip("/")
            target.write_bytes(target.read_bytes() + extra)
        name = "%s_%s_amd64.deb" % ("libapache2-mod-tokenauth" if kind == "module"
                                    else "tokenauth", version)
        subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(out / name)],
                       check=True, stdout=subprocess.DEVNULL)
        made[kind] = out / name
    return made


# --- HTTPS -------------------------------------------------------------------------------

def test_example_site_with_mod_ssl_serves_https_and_redirects(root):
    assert root.file("/etc/ssl/certs/ssl-cert-snakeoil.pem").is_file()
    root.run("a2enmod -q ssl && apache2ctl configtest && apache2ctl graceful")
    wait_for(root, "https://localhost/app/", insecure=True)
    status, head, _ = root.http("http://localhost/login?x=1")
    assert status == 301, head
    assert re.search(r"(?im)^location: https://localhost/login\?x=1\s*$", head), head
    password, content = STATE["alice"]
    token = sign_in(root, "alice", password, base="https://localhost", insecure=True)
    status, _, body = root.http("https://localhost/files/notes.bin", headers=bearer(token),
                                insecure=True)
    assert status == 200 and body == content
    root.run("a2dismod -q ssl && apache2ctl graceful")


# --- remove and purge --------------------------------------------------------------------

def test_remove_keeps_key_file_and_conffiles(root):
    key = root.file(KEYFILE).read_bytes()
    # with Apache running and the example site enabled, as an administrator would
    p = root.run("apt-get remove -y -q " + MODULE_PKG)
    assert b"disabled the site tokenauth-example" in p.stdout
    assert installed_version(root, MODULE_PKG).startswith("deinstall ok config-files")
    assert root.file(KEYFILE).read_bytes() == key
    assert stat_of(root, KEYFILE) == (0, 0, "600")
    for path in CONFFILES:
        assert root.file(path).exists(), path
    assert "tokenauth" not in enabled_modules(root)
    assert not root.file("/usr/lib/apache2/modules/mod_tokenauth.so").exists()
    # the site that needs the module went with it: Apache's configuration still holds
    assert not root.file("/etc/apache2/sites-enabled/tokenauth-example.conf").exists()
    p = root.run("apache2ctl configtest")
    assert b"Syntax OK" in p.stderr + p.stdout


def test_purge_removes_key_file_and_conffiles(root):
    root.run("apt-get purge -y -q " + MODULE_PKG)
    assert installed_version(root, MODULE_PKG) == ""
    assert not root.file(KEYFILE).exists()
    for path in CONFFILES:
        assert not root.file(path).exists(), path
    assert not root.file("/etc/apache2/tokenauth").exists()
    assert not root.file("/var/lib/apache2/site/disabled_by_maint/tokenauth-example").exists()
    assert not root.file("/etc/apache2/sites-enabled/tokenauth-example.conf").is_symlink()
