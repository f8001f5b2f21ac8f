"""Where things are. Nothing here names a checkout path: the repository root is found from
this file, and the build directory comes from TA_BUILD so that the ASan build can be tested
with the same suite."""

import os
from pathlib import Path

APACHE_BIN = Path("/usr/sbin/apache2")
APACHE_MODULES = Path("/usr/lib/apache2/modules")
MIME_TYPES = Path("/etc/mime.types")


def repo_root() -> Path:
    """tests/lib/taharness/paths.py -> the checkout's top directory."""
    return Path(__file__).resolve().parents[3]


def build_dir() -> Path:
    """TA_BUILD when set (make passes it), else <repo>/build."""
    return Path(os.environ.get("TA_BUILD") or repo_root() / "build").resolve()


def module_path() -> Path:
    return build_dir() / ".libs" / "mod_tokenauth.so"


def cli_path() -> Path:
    return build_dir() / "tokenauth"


def check_build() -> None:
    """Fail early and clearly when the module or the CLI has not been built."""
    missing = [str(p) for p in (module_path(), cli_path()) if not p.exists()]
    if missing:
        raise FileNotFoundError(
            "not built: %s (run `make -f Makefile.apxs all`, or set TA_BUILD)" % ", ".join(missing))


def probe_path(name: str) -> Path:
    """A test program built by `make probes` (never installed)."""
    return build_dir() / "probe" / name
