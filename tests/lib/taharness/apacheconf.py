"""httpd.conf for a test server: a fixed base (process, modules, logs) followed by snippets.

The base is the part every server needs and no test wants to vary; everything about
mod_tokenauth is in snippets, so a test module can run the default site, the default site
plus a few directives, or a configuration of its own (for instance one bad TokenAuthKeyFile
line for `apache2 -t`). A snippet is a string, or a callable given the server's paths (a
ServerPaths) that returns one."""

from dataclasses import dataclass
from pathlib import Path

from . import paths

BASE_MODULES = ("mpm_event", "authn_core", "authz_core", "authz_user", "mime", "dir", "alias",
                "env", "headers", "setenvif", "cgid", "socache_shmcb")

# %r, %q and %U%q each in their own field, so tests can check that every form is redacted.
ACCESS_LOG_FORMAT = r'%h %u "%r" q="%q" uq="%U%q" s=%>s'
_QUOTED_FORMAT = ACCESS_LOG_FORMAT.replace('"', r'\"')


@dataclass(frozen=True)
class ServerPaths:
    """Where one server keeps its files; all below root, which www-data can traverse."""
    root: Path
    port: int

    @property
    def conf(self) -> Path:
        return self.root / "conf" / "httpd.conf"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def error_log(self) -> Path:
        return self.logs / "error.log"

    @property
    def access_log(self) -> Path:
        return self.logs / "access.log"

    @property
    def pid_file(self) -> Path:
        return self.run / "httpd.pid"

    @property
    def docroot(self) -> Path:
        return self.root / "htdocs"


def _load_lines(modules) -> str:
    lines = ["LoadModule %s_module %s/mod_%s.so" % (m, paths.APACHE_MODULES, m) for m in modules]
    lines.append("LoadModule tokenauth_module %s" % paths.module_path())
    return "\n".join(lines)


def base(p: ServerPaths, modules=BASE_MODULES, log_level="info tokenauth:debug") -> str:
    """Everything but mod_tokenauth's own directives. Loopback only; a small event MPM with
    two children, so per-process state (the user cache) is exercised in more than one."""
    return f"""\
ServerRoot "{p.root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{p.port}
PidFile "{p.pid_file}"
DefaultRuntimeDir "{p.run}"
ScriptSock "{p.run}/cgid.sock"
User www-data
Group www-data
{_load_lines(modules)}

StartServers 2
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 2
MaxSpareThreads 64
KeepAlive On
Timeout 20

ErrorLog "{p.error_log}"
LogLevel {log_level}
LogFormat "{_QUOTED_FORMAT}" tatest
CustomLog "{p.access_log}" tatest
TypesConfig {paths.MIME_TYPES}

DocumentRoot "{p.docroot}"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{p.docroot}">
    Require all granted
</Directory>
"""


def render(p: ServerPaths, snippets, modules=BASE_MODULES) -> str:
    parts = [base(p, modules)]
    for s in snippets:
        parts.append(s(p) if callable(s) else s)
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of text containing needle (for config-error tests)."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise ValueError("%r not in the configuration" % needle)
