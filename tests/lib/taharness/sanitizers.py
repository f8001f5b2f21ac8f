"""Running Apache under AddressSanitizer and UBSan (TA_SANITIZE=1, `make asan`).

The stock apache2 binary is not instrumented, so the ASan runtime that the module needs must
be preloaded: clang's (`clang -print-file-name=libclang_rt.asan-x86_64.so`) for a module
linked with clang -shared-libasan. A module linked by gcc (libtool links apxs modules with
the compiler apxs was built with) needs gcc's libasan instead, and two runtimes in one
process abort at start-up; so the runtime is TA_ASAN_RUNTIME when set (`make asan` sets it),
else the one in the binary's own DT_NEEDED, else clang's. Reports go to files in a directory
every process (root and www-data) can write; any file there at a check is a failure."""

import os
import re
import subprocess
from pathlib import Path


def enabled() -> bool:
    return os.environ.get("TA_SANITIZE") == "1"


def asan_runtime() -> str:
    out = subprocess.run(["clang", "-print-file-name=libclang_rt.asan-x86_64.so"],
                         stdout=subprocess.PIPE, text=True, check=True, timeout=30)
    path = out.stdout.strip()
    if not os.path.isabs(path) or not os.path.exists(path):
        raise FileNotFoundError("ASan runtime not found (clang said %r)" % path)
    return path


def _needed(binary) -> list:
    out = subprocess.run(["readelf", "-d", str(binary)], stdout=subprocess.PIPE, text=True,
                         timeout=30).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _system_library(soname: str) -> str:
    out = subprocess.run(["ldconfig", "-p"], stdout=subprocess.PIPE, text=True,
                         timeout=30).stdout
    for line in out.splitlines():
        if line.strip().startswith(soname + " ") and "=>" in line:
            return line.split("=>", 1)[1].strip()
    raise FileNotFoundError(soname)


def runtime_for(binary) -> str:
    """The ASan runtime to preload for binary."""
    if os.environ.get("TA_ASAN_RUNTIME"):
        return os.environ["TA_ASAN_RUNTIME"]
    for soname in _needed(binary):
        if re.fullmatch(r"libasan\.so\.\d+", soname):
            return _system_library(soname)
    return asan_runtime()


class Sanitizers:
    """Environment for sanitized processes, and the reports they leave."""

    def __init__(self, report_dir: Path, on: bool = None):
        self.on = enabled() if on is None else on
        self.report_dir = Path(report_dir)

    def env(self, binary) -> dict:
        """Variables for binary (apache2's module, or the CLI) to run sanitized; empty when
        sanitizers are off."""
        if not self.on:
            return {}
        self.report_dir.mkdir(exist_ok=True)
        os.chmod(self.report_dir, 0o1777)  # children run as www-data
        return {
            "LD_PRELOAD": runtime_for(binary),
            "ASAN_OPTIONS": "detect_leaks=0:log_path=%s/asan:abort_on_error=0" % self.report_dir,
            "UBSAN_OPTIONS": "print_stacktrace=1:log_path=%s/ubsan" % self.report_dir,
        }

    def reports(self) -> list:
        if not self.report_dir.is_dir():
            return []
        return sorted(p for p in self.report_dir.iterdir()
                      if p.name.startswith(("asan", "ubsan")))

    def describe(self, reports) -> str:
        return "\n".join("=== %s\n%s" % (p, p.read_text(errors="replace")) for p in reports)
