"""Everything a test run, the demo or the benchmark needs, wired together:

    with Harness() as h:
        h.users.add_user("alice", "secret")
        server = h.start_apache()                   # the default site
        token = h.mint("alice")
        ...

A Harness owns one work directory (mode 0755 so www-data can traverse it), the namespace
with its users, the default key file and every Apache it started. close() stops them all,
ends the namespace, and then checks that the host's /etc and /home are untouched.
The namespace's pam.d holds our conf/pam.d/tokenauth, so the login handler of every server
runs the PAM stack we ship."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from . import apacheconf, hostguard, paths, site
from .apache import ApacheServer
from .keys import KeyFile
from .namespace import MountNamespace
from .sanitizers import Sanitizers
from .tokens import Minter
from .users import UserDB


class SanitizerReport(AssertionError):
    """ASan or UBSan reported a problem in a process that ran our code."""


class Harness:
    def __init__(self, keep: bool = None):
        """keep: leave the work directory behind (default: env TA_KEEP=1) for post-mortems."""
        self.keep = os.environ.get("TA_KEEP") == "1" if keep is None else keep
        self.host_before = None
        self.workdir = None
        self.ns = None
        self.users = None
        self.key_file = None
        self.minter = None
        self.sanitizers = None
        self.servers = []

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> "Harness":
        paths.check_build()
        self.host_before = hostguard.snapshot()
        self.workdir = Path(tempfile.mkdtemp(prefix="tokenauth-test-"))
        os.chmod(self.workdir, 0o755)
        self.sanitizers = Sanitizers(self.workdir / "sanitizer")
        self.ns = MountNamespace(self.workdir).start()
        self.pam_service(site.PAM_SERVICE, (paths.repo_root() / "conf" / "pam.d" /
                                            site.PAM_SERVICE).read_text())
        self.users = UserDB(self.ns.etc, self.ns.home)
        self.key_file = KeyFile(self.workdir / "tokenauth.keys")
        self.minter = Minter(self.ns, paths.cli_path(), self.sanitizers.env(paths.cli_path()))
        atexit.register(self._emergency_stop)
        return self

    def _emergency_stop(self) -> None:
        """If the run is interrupted before close(), still stop Apache and the namespace."""
        for server in self.servers:
            server.stop()
        if self.ns:
            self.ns.stop()

    def stop_servers(self) -> None:
        for server in self.servers:
            server.stop()

    def close(self) -> None:
        """Stop everything, remove the work directory, then prove the host is unchanged
        (HostChanged) and that no sanitizer report was left (SanitizerReport)."""
        reports = ""
        atexit.unregister(self._emergency_stop)
        try:
            self.stop_servers()
            if self.sanitizers:
                reports = self.sanitizers.describe(self.sanitizers.reports())
            if self.ns:
                self.ns.stop()
        finally:
            if self.workdir and not self.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
            if self.host_before is not None:
                hostguard.assert_unchanged(self.host_before)
        if reports:
            raise SanitizerReport(reports)

    def __enter__(self) -> "Harness":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # --- PAM -----------------------------------------------------------------------------
    def pam_service(self, name: str, text: str) -> Path:
        """Write /etc/pam.d/name in the namespace's copy (never through a symlink copied from
        the host). start() installs our conf/pam.d/tokenauth this way."""
        path = self.ns.etc / "pam.d" / name
        path.unlink(missing_ok=True)
        path.write_text(text)
        return path

    def remove_pam_service(self, name: str) -> None:
        (self.ns.etc / "pam.d" / name).unlink(missing_ok=True)

    # --- servers -------------------------------------------------------------------------
    def apache(self, name: str, snippets=None, extra=(), key_file=None,
               modules=None, populate=site.populate) -> ApacheServer:
        """A server (not yet started) under workdir/name. snippets replaces the default site;
        extra is appended to whichever is used. key_file defaults to the harness's; modules
        to apacheconf.BASE_MODULES. populate fills the document root (default: the test
        site's static files and CGI); None leaves it empty, for a site of its own (the demo)."""
        key_file = key_file or self.key_file.path
        if snippets is None:
            snippets = [site.default_site(key_file)]
        server = ApacheServer(self.ns, self.workdir / name, list(snippets) + list(extra),
                              modules=modules or apacheconf.BASE_MODULES, env=self.sanitizers.env(paths.module_path()), populate=populate)
        self.servers.append(server)
        return server

    def start_apache(self, name: str = "default", **kw) -> ApacheServer:
        return self.apache(name, **kw).start()

    # --- tokens --------------------------------------------------------------------------
    def mint(self, user: str, key_file=None, **kw) -> str:
        """A token from the real CLI (kind, scope, ttl, issuer as keywords)."""
        return self.minter.mint(key_file or self.key_file.path, user, **kw)
