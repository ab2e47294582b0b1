#!/usr/bin/env python3
"""Size lint: no source file over 800 lines, no Rust function over 150 lines.

Usage: python3 scripts/lint-size.py [--max-file-lines N] [--max-fn-lines N]
Exit status 0 when nothing exceeds the limits, 1 otherwise (every finding is
printed as `path:line: ...`), 2 on a usage or git error.

What is checked
  * Files: the git-tracked *.rs, *.js, *.mjs, *.ts, *.py and *.sh under crates/,
    tests/, wasm/, npm/src/, npm/test/, web-demo/js/, worker/src/, fuzz/ and
    scripts/, read from the working tree. Skipped: anything under a vendor/, dist/,
    node_modules/ or target/ directory, and generated files (a file whose first five
    lines contain the marker "@generated"). A file may have at most 800 lines.
  * Rust functions: every `fn NAME` item with a body, from the line of `fn` to the
    line of its closing brace (attributes and doc comments above it not counted),
    may have at most 150 lines. Not checked: files under a directory named tests,
    test or benches (test code and test tooling), items marked #[test], and items
    (modules, functions, impls) marked with a cfg attribute that enables them for
    tests only (#[cfg(test)], #[cfg(all(test, ...))]; not #[cfg(not(test))]),
    including a module file declared so (`#[cfg(test)] mod name;` → name.rs or
    name/mod.rs) and a file that starts with #![cfg(test)].

Limits of the Rust scan (a lexer and brace matching, not a parser)
  * Comments (nested block comments included), string literals (raw, byte and C
    strings too) and character literals are blanked before the scan; a lifetime is
    told from a character literal by its missing closing quote. A character literal
    it misreads could shift the brace count of the rest of the file.
  * A nested function is measured on its own and also counts towards the lines of
    the function around it; closures are not functions.
  * The body is the first `{` after the name outside parentheses and brackets:
    a brace in a signature (a const generic argument `{ N }`) would be taken for it.
  * `fn` followed by anything but an identifier (a `fn(..)` pointer type, a macro
    fragment such as `fn $name`) is ignored; functions that macros generate are
    not seen, and the body of a macro_rules! definition is scanned like code.
  * The cfg test is textual: an attribute counts as test-only when its text is
    `cfg(` with the word `test` in it and no `not(`.
"""

import argparse
import os
import re
import subprocess
import sys

ROOTS = ("crates/", "tests/", "wasm/", "npm/src/", "npm/test/", "web-demo/js/", "worker/src/", "fuzz/", "scripts/")
EXTENSIONS = (".rs", ".js", ".mjs", ".ts", ".py", ".sh")
SKIPPED_DIRS = {"vendor", "dist", "node_modules", "target"}
TEST_DIRS = {"tests", "test", "benches"}
GENERATED_MARKER = "@generated"

IDENT_START = re.compile(r"[A-Za-z_]")
IDENT_CHAR = re.compile(r"[A-Za-z0-9_]")
RAW_STRING = re.compile(r'(?:b|c)?r(#*)"')
PREFIXED_STRING = re.compile(r'(?:b|c)"')
FN_ITEM = re.compile(r"\bfn\s+(r#)?([A-Za-z_][A-Za-z0-9_]*)")
ATTRIBUTE = re.compile(r"#!?\[")


def tracked_files(root):
    """The tracked source files the lint applies to, as paths relative to `root`."""
    out = subprocess.run(
        ["git", "-C", root, "ls-files", "-z", "--", *ROOTS], check=True, capture_output=True
    ).stdout.decode()
    files = []
    for path in out.split("\0"):
        if not path.endswith(EXTENSIONS):
            continue
        if SKIPPED_DIRS.intersection(path.split("/")[:-1]):
            continue
        files.append(path)
    return sorted(files)


def is_generated(text):
    return any(GENERATED_MARKER in line for line in text.splitlines()[:5])


def blank(text, start, end):
    """`text[start:end]` with everything but newlines replaced by spaces."""
    return "".join(c if c == "\n" else " " for c in text[start:end])


def skip_block_comment(text, i):
    """Index just past the (nested) block comment starting at `i`."""
    depth, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(text)


def skip_quoted(text, i):
    """Index just past the escaped "..." literal whose opening quote is at `i`."""
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        else:
            i += 1
    return len(text)


def skip_char_literal(text, i):
    """Index past the character literal at `i`, or None when `i` starts a lifetime."""
    if text.startswith("'\\", i):
        j = i + 2
        while j < len(text) and text[j] != "'" and text[j] != "\n":
            j += 1
        return j + 1 if j < len(text) and text[j] == "'" else None
    if i + 2 < len(text) and text[i + 2] == "'" and text[i + 1] != "\n":
        return i + 3
    return None


def literal_end(text, i):
    """If a comment or literal starts at `i`, the index just past it, else None."""
    c = text[i]
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j < 0 else j
    if text.startswith("/*", i):
        return skip_block_comment(text, i)
    if c == '"':
        return skip_quoted(text, i)
    if c == "'":
        return skip_char_literal(text, i)
    if c in "bcr" and (i == 0 or not IDENT_CHAR.match(text[i - 1])):
        m = RAW_STRING.match(text, i)
        if m:
            close = text.find('"' + m.group(1), m.end())
            return len(text) if close < 0 else close + 1 + len(m.group(1))
        if PREFIXED_STRING.match(text, i):
            if c == "b" and text.startswith("b'", i):
                return skip_char_literal(text, i + 1)
            return skip_quoted(text, i + 1)
        if text.startswith("b'", i):
            return skip_char_literal(text, i + 1)
    return None


def code_only(text):
    """`text` with comments and literals blanked out; newlines (line numbers) kept."""
    parts, last, i = [], 0, 0
    while i < len(text):
        end = literal_end(text, i)
        if end is None:
            i += 1
            continue
        parts.append(text[last:i])
        parts.append(blank(text, i, end))
        last = i = end
    parts.append(text[last:])
    return "".join(parts)


def matching_bracket(code, i):
    """Index of the bracket closing the one at `i` (same kind), or len(code)."""
    pairs = {"{": "}", "[": "]", "(": ")"}
    opening, closing = code[i], pairs[code[i]]
    depth = 0
    for j in range(i, len(code)):
        if code[j] == opening:
            depth += 1
        elif code[j] == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(code)


def item_end(code, i):
    """End of the item starting at `i`: its body's closing brace, or its `;`."""
    depth = 0
    for j in range(i, len(code)):
        c = code[j]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c == ";":
            return j
        elif depth == 0 and c == "{":
            return matching_bracket(code, j)
    return len(code)


def is_test_only(attribute):
    text = re.sub(r"\s+", "", attribute)
    if text == "#[test]":
        return True
    return text.startswith("#[cfg(") and re.search(r"\btest\b", text) is not None and "not(" not in text


def test_only_spans(code):
    """[start, end) spans of the items marked test-only (#[test], #[cfg(test)], ...)."""
    spans = []
    for m in ATTRIBUTE.finditer(code):
        if code[m.start() + 1] == "!":
            continue  # an inner attribute: the file itself (a test-only module file is rare)
        close = matching_bracket(code, m.end() - 1)
        if not is_test_only(code[m.start() : close + 1]):
            continue
        j = close + 1
        while True:  # the item follows the remaining attributes
            while j < len(code) and code[j].isspace():
                j += 1
            n = ATTRIBUTE.match(code, j)
            if not n:
                break
            j = matching_bracket(code, n.end() - 1) + 1
        spans.append((m.start(), item_end(code, j) + 1))
    return spans


MOD_DECLARATION = re.compile(r"(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;")


def test_only_module_files(path, code):
    """The files of the modules `path` declares test-only (`#[cfg(test)] mod name;`)."""
    directory, stem = os.path.split(path)
    stem = stem[: -len(".rs")]
    if stem not in ("lib", "main", "mod"):
        directory = os.path.join(directory, stem)
    files = set()
    for start, end in test_only_spans(code):
        m = MOD_DECLARATION.search(code, start, end)
        if m and m.end() == end:
            name = m.group(1)
            files.add(os.path.join(directory, name + ".rs"))
            files.add(os.path.join(directory, name, "mod.rs"))
    return files


def is_test_only_file(code):
    m = re.match(r"\s*#!\[", code)
    return bool(m) and is_test_only("#[" + code[m.end() : matching_bracket(code, m.end() - 1) + 1])


def long_functions(text, max_lines):
    """(line, name, lines) of the functions over `max_lines` lines, outside test-only items."""
    code = code_only(text)
    if is_test_only_file(code):
        return []
    skipped = test_only_spans(code)
    found = []
    for m in FN_ITEM.finditer(code):
        if any(a <= m.start() < b for a, b in skipped):
            continue
        end = item_end(code, m.end())
        if end >= len(code) or code[end] != "}":
            continue  # a declaration without a body
        first = code.count("\n", 0, m.start()) + 1
        last = code.count("\n", 0, end) + 1
        if last - first + 1 > max_lines:
            found.append((first, m.group(2), last - first + 1))
    return found


def in_test_dir(path):
    return bool(TEST_DIRS.intersection(path.split("/")[:-1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-file-lines", type=int, default=800)
    ap.add_argument("--max-fn-lines", type=int, default=150)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        files = tracked_files(root)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"lint-size: cannot list the tracked files: {e}", file=sys.stderr)
        return 2
    texts = {}
    for path in files:
        full = os.path.join(root, path)
        if os.path.isfile(full):  # (not when deleted in the working tree)
            with open(full, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if not is_generated(text):
                texts[path] = text
    rust = [p for p in texts if p.endswith(".rs") and not in_test_dir(p)]
    test_modules = set()
    for path in rust:
        test_modules |= test_only_module_files(path, code_only(texts[path]))
    findings = []
    for path, text in texts.items():
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines > args.max_file_lines:
            findings.append(f"{path}:1: {lines} lines (at most {args.max_file_lines})")
        if path in rust and path not in test_modules:
            for line, name, n in long_functions(text, args.max_fn_lines):
                findings.append(f"{path}:{line}: fn {name} has {n} lines (at most {args.max_fn_lines})")
    for finding in findings:
        print(finding)
    print(f"lint-size: {len(texts)} files checked, {len(findings)} over the limits", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
