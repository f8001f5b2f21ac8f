"""The checker of tests/check_docs.py itself: it passes the tree as it is, and fails, naming the
field, on a copy of the configuration code with one mistake put in. Run by
`make -f Makefile.apxs docs-check` (and so by `make check`); needs no Apache."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT / "tests" / "check_docs.py"
CONFIG = ROOT / "mod_tokenauth" / "ta_config.c"
HEADER = ROOT / "mod_tokenauth" / "ta_config.h"


def run(config=CONFIG, header=HEADER):
    r = subprocess.run([sys.executable, str(CHECKER), "--config", str(config), "--header",
                        str(header)], capture_output=True, text=True, timeout=60)
    lines = r.stdout.splitlines()
    assert lines and re.fullmatch(r"\d+ passed, \d+ failed", lines[-1]), r.stdout + r.stderr
    return r.returncode, lines


def edited(tmp_path, source: Path, old: str, new: str) -> Path:
    """A copy of source with old (which must occur exactly once) replaced by new."""
    text = source.read_text()
    assert text.count(old) == 1, "the test's anchor %r is not unique in %s" % (old, source)
    copy = tmp_path / source.name
    copy.write_text(text.replace(old, new))
    return copy


def test_the_tree_passes():
    rc, lines = run()
    assert rc == 0, "\n".join(lines)
    assert lines[-1].endswith(" 0 failed")


@pytest.mark.parametrize("struct,field,line", [
    ("ta_dir_conf", "cookie",
     "    c->cookie = add->cookie ? add->cookie : base->cookie;\n"),
    ("ta_dir_conf", "home_cache_set",
     "    c->home_cache_set = add->home_cache_set || base->home_cache_set;\n"),
    ("ta_server_conf", "issuer",
     "    c->issuer = add->issuer ? add->issuer : base->issuer;\n"),
])
def test_a_field_missing_from_merge_fails_naming_it(tmp_path, struct, field, line):
    config = edited(tmp_path, CONFIG, line, "")
    rc, lines = run(config=config)
    assert rc == 1
    merge = "ta_merge_dir_conf" if struct == "ta_dir_conf" else "ta_merge_server_conf"
    assert [ln for ln in lines if ln.startswith("FAIL:")] == [
        "FAIL: %s.%s: not set in %s of %s and not listed in its '/* not merged: ... */' "
        "comment" % (struct, field, merge, config)], lines
    assert lines[-1].endswith(" 1 failed")


def test_a_new_field_needs_a_default_and_a_merge(tmp_path):
    header = edited(tmp_path, HEADER, "    int home_cache; ", "    int new_switch;\n    int home_cache; ")
    rc, lines = run(header=header)
    assert rc == 1
    failed = [ln for ln in lines if ln.startswith("FAIL:")]
    assert [ln.split(" of ")[0] for ln in failed] == [
        "FAIL: ta_dir_conf.new_switch: not set in ta_create_dir_conf",
        "FAIL: ta_dir_conf.new_switch: not set in ta_merge_dir_conf"], lines


def test_a_zero_default_must_be_listed(tmp_path):
    config = edited(tmp_path, CONFIG, " login_url, logout_url,", " logout_url,")
    rc, lines = run(config=config)
    assert rc == 1
    assert [ln.split(" of ")[0] for ln in lines if ln.startswith("FAIL:")] == [
        "FAIL: ta_dir_conf.login_url: not set in ta_create_dir_conf"], lines


def test_a_listed_name_must_be_a_field(tmp_path):
    config = edited(tmp_path, CONFIG, "/* not merged: index ", "/* not merged: index, indx ")
    rc, lines = run(config=config)
    assert rc == 1
    assert [ln for ln in lines if ln.startswith("FAIL:")] == [
        "FAIL: ta_server_conf: the '/* not merged: ... */' comment of ta_merge_server_conf "
        "names indx, which is not a field"], lines


def test_a_comparison_is_not_an_assignment(tmp_path):
    """`c->cookie == ...` in merge does not count as merging the field."""
    config = edited(tmp_path, CONFIG,
                    "    c->cookie = add->cookie ? add->cookie : base->cookie;\n",
                    "    (void)(c->cookie == add->cookie);\n")
    rc, lines = run(config=config)
    assert rc == 1
    assert any(ln.startswith("FAIL: ta_dir_conf.cookie: not set in ta_merge_dir_conf")
               for ln in lines), lines
