#!/usr/bin/python3
"""Config and docs stay in step: every directive of the module's command table
(mod_tokenauth/ta_config.c, the AP_INIT_* "TokenAuth..." entries of ta_directives[]) has a
section in docs/directives.md with a non-empty "**Default:**" line and a row with a default in
its summary table; and docs/directives.md documents no directive the code does not define.

    /usr/bin/python3 tests/check_docs.py [--config FILE] [--docs FILE]

Prints one line per failed check, then "N passed, N failed"; exit status 1 when any failed."""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(ROOT, "mod_tokenauth", "ta_config.c")
DEFAULT_DOCS = os.path.join(ROOT, "docs", "directives.md")

TABLE_RE = re.compile(r"command_rec\s+ta_directives\s*\[\s*\]\s*=\s*\{(.*?)\n\};", re.S)
ENTRY_RE = re.compile(r'AP_INIT_[A-Z0-9_]+\s*\(\s*"(TokenAuth[A-Za-z0-9]*)"')
HEADING_RE = re.compile(r"^(#{2,4})\s+`?(TokenAuth[A-Za-z0-9]*)`?\s*$")
ANY_HEADING_RE = re.compile(r"^(#{1,6})\s")
DEFAULT_RE = re.compile(r"^\s*(?:[-*]\s*)?\*\*Default:\*\*\s*(\S.*)$")
ROW_RE = re.compile(r"^\|\s*\[?`(TokenAuth[A-Za-z0-9]*)`")


def code_directives(path):
    """The directive names of the command table, in table order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = TABLE_RE.search(text)
    if m is None:
        raise SystemExit(f"check_docs: no ta_directives[] table found in {path}")
    names = ENTRY_RE.findall(m.group(1))
    if not names:
        raise SystemExit(f"check_docs: no AP_INIT_* TokenAuth entries in {path}")
    return names


def doc_sections(path):
    """{name: section lines} for every directive heading of the docs."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    sections, current, level = {}, None, 0
    for line in lines:
        h = HEADING_RE.match(line)
        any_h = ANY_HEADING_RE.match(line)
        if h:
            current, level = h.group(2), len(h.group(1))
            sections.setdefault(current, [])
            continue
        if any_h and current and len(any_h.group(1)) <= level:
            current = None
        if current:
            sections[current].append(line)
    return sections, lines


def table_defaults(lines):
    """{name: default cell} from the summary table rows (directive | context | default)."""
    rows = {}
    for line in lines:
        m = ROW_RE.match(line)
        if m:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[m.group(1)] = cells[2] if len(cells) >= 3 else ""
    return rows


def shown(path):
    """path relative to the repository when it lies inside it, else as given."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return path if rel.startswith("..") else rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--docs", default=DEFAULT_DOCS)
    args = ap.parse_args()

    names = code_directives(args.config)
    if not os.path.exists(args.docs):
        print(f"FAIL: {args.docs} does not exist")
        print(f"0 passed, {len(names)} failed")
        return 1
    sections, lines = doc_sections(args.docs)
    rows = table_defaults(lines)
    docs = shown(args.docs)
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}")

    for name in names:
        body = sections.get(name)
        check(body is not None, f"{name}: no section '### {name}' in {docs}")
        if body is None:
            continue
        defaults = [m.group(1) for m in map(DEFAULT_RE.match, body) if m]
        check(len(defaults) == 1,
              f"{name}: its section in {docs} needs exactly one '**Default:** …' line "
              f"(found {len(defaults)})")
        cell = rows.get(name)
        check(bool(cell), f"{name}: no row with a default in the summary table of {docs}")
    for name in sorted(set(sections) - set(names)):
        check(False, f"{name}: documented in {docs} but not in the command table of "
                     f"{shown(args.config)}")
    for name in sorted(set(rows) - set(names)):
        check(False, f"{name}: in the summary table of {docs} but not in the command table")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
