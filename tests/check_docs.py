#!/usr/bin/python3
"""Config and docs stay in step: every directive of the module's command table
(mod_tokenauth/ta_config.c, the AP_INIT_* "TokenAuth..." entries of ta_directives[]) has a
section in docs/directives.md with a non-empty "**Default:**" line and a row with a default in
its summary table; and docs/directives.md documents no directive the code does not define.

And config code stays honest: every field of the two configuration structs (ta_dir_conf and
ta_server_conf of mod_tokenauth/ta_config.h) is named in its create function and in its merge
function of ta_config.c. Named means assigned there (`c->field = ...`), or, for a field whose
default is the zero of apr_pcalloc, listed in the create function's comment
`/* zero (apr_pcalloc): field, field */`, and, for a field a merge must not carry over, in the
merge function's comment `/* not merged: field, field (why) */`. A field added to a struct and
forgotten in a merge would read as zero in every merged section: that is what this catches.

    /usr/bin/python3 tests/check_docs.py [--config FILE] [--header FILE] [--docs FILE]

Prints one line per failed check, then "N passed, N failed"; exit status 1 when any failed."""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(ROOT, "mod_tokenauth", "ta_config.c")
DEFAULT_HEADER = os.path.join(ROOT, "mod_tokenauth", "ta_config.h")
DEFAULT_DOCS = os.path.join(ROOT, "docs", "directives.md")

TABLE_RE = re.compile(r"command_rec\s+ta_directives\s*\[\s*\]\s*=\s*\{(.*?)\n\};", re.S)
ENTRY_RE = re.compile(r'AP_INIT_[A-Z0-9_]+\s*\(\s*"(TokenAuth[A-Za-z0-9]*)"')
HEADING_RE = re.compile(r"^(#{2,4})\s+`?(TokenAuth[A-Za-z0-9]*)`?\s*$")
ANY_HEADING_RE = re.compile(r"^(#{1,6})\s")
DEFAULT_RE = re.compile(r"^\s*(?:[-*]\s*)?\*\*Default:\*\*\s*(\S.*)$")
ROW_RE = re.compile(r"^\|\s*\[?`(TokenAuth[A-Za-z0-9]*)`")

# struct: (its create function, its merge function)
CONF_STRUCTS = {
    "ta_dir_conf": ("ta_create_dir_conf", "ta_merge_dir_conf"),
    "ta_server_conf": ("ta_create_server_conf", "ta_merge_server_conf"),
}
COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
ZERO_RE = re.compile(r"/\*\s*zero \(apr_pcalloc\):(.*?)\*/", re.S)
NOT_MERGED_RE = re.compile(r"/\*\s*not merged:([^(]*?)(?:\(.*?)?\*/", re.S)
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def struct_fields(text, name):
    """The field names of `typedef struct { ... } name;` in C text."""
    m = re.search(r"typedef\s+struct\s*(?:\w+\s*)?\{([^{}]*)\}\s*" + name + r"\s*;", text)
    if m is None:
        return None
    fields = []
    for decl in COMMENT_RE.sub(" ", m.group(1)).split(";"):
        for declarator in decl.split(","):
            declarator = re.sub(r":\s*\d+\s*$", "", declarator.strip())  # bit-field width
            declarator = re.sub(r"\[[^]]*\]", "", declarator)               # array bounds
            idents = IDENT_RE.findall(declarator)
            if idents:
                fields.append(idents[-1])
    return fields


def function_body(text, name):
    """The text between the braces of the definition of function name, or None."""
    m = re.search(r"^[^\n;]*\b" + name + r"\s*\([^;{]*\)\s*\{", text, re.M)
    if m is None:
        return None
    depth, i = 1, m.end()
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[m.end():i - 1]


def listed(body, pattern):
    """The names listed in the comments of body that pattern matches."""
    return {n for m in pattern.finditer(body) for n in IDENT_RE.findall(m.group(1))}


def assigned(body, field):
    return re.search(r"->\s*" + field + r"\s*=(?!=)", COMMENT_RE.sub(" ", body)) is not None


def check_conf_structs(header_path, config_path, check):
    """Every field of each configuration struct is named in its create and merge functions."""
    with open(header_path, encoding="utf-8") as f:
        header = f.read()
    with open(config_path, encoding="utf-8") as f:
        config = f.read()
    h, c = shown(header_path), shown(config_path)
    for struct, (create, merge) in CONF_STRUCTS.items():
        fields = struct_fields(header, struct)
        check(bool(fields), f"{struct}: no 'typedef struct {{ ... }} {struct};' in {h}")
        for func, comment, word in ((create, ZERO_RE, "zero (apr_pcalloc)"),
                                    (merge, NOT_MERGED_RE, "not merged")):
            body = function_body(config, func)
            check(body is not None, f"{struct}: no function {func} in {c}")
            if body is None or not fields:
                continue
            names = listed(body, comment)
            for field in fields:
                check(assigned(body, field) or field in names,
                      f"{struct}.{field}: not set in {func} of {c} and not listed in its "
                      f"'/* {word}: ... */' comment")
            for name in sorted(names - set(fields)):
                check(False, f"{struct}: the '/* {word}: ... */' comment of {func} names "
                             f"{name}, which is not a field")


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
    ap.add_argument("--header", default=DEFAULT_HEADER)
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
    check_conf_structs(args.header, args.config, check)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
