#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make lint: the one error convention (CONTRIBUTING.md "Errors").

A function declared in a header takes a `struct error *err` for its error
text. This check fails on a header prototype (or ops-struct member) that takes
an error buffer the older ways: a `char *err..., size_t ...` pair, an
`errbuf` parameter, or a static reason through `const char **error_r` (or
`why_r`, `err_r`, `reason_r`). A `const char **why_r` that returns WHY as data
for the page, not an error, is named in DATA_NOT_ERROR below. The prototypes not converted yet are listed, one
`PATH FUNCTION` a line, in tests/lint_errors.allow; the list only shrinks.
An entry that no longer matches anything is reported so it can be dropped,
but does not fail (another branch may have converted it).

  lint_errors.py ROOT          check the tree under ROOT
  lint_errors.py --self-test   show that a bad prototype is caught
"""
import contextlib
import io
import os
import re
import sys
import tempfile

SOURCE_DIRS = ("daemon", "agent", "connectors", "ui-api")
# char *err, size_t n / char *error, size_t error_size / char *errbuf, size_t errsize
PAIR = re.compile(r"\bchar\s*\*\s*((?:err|error|errbuf)\w*)\s*,\s*size_t\s+\w+")
ERRBUF = re.compile(r"\bchar\s*(?:\*\s*|\s+)(errbuf)\b")
# const char **error_r / **why_r / **err_r / **reason_r: a static reason
STATIC = re.compile(r"\bconst\s+char\s*\*\s*\*\s*((?:error|err|why|reason)\w*)")
# (header, function): a const char **why_r that is data, not an error report
# (CONTRIBUTING.md "Errors" says why each one is).
DATA_NOT_ERROR = {
    ("daemon/promotion/promo.h", "promo_eligible"),  # why a category is (not) eligible
    ("daemon/promotion/promo.h", "promo_next"),  # why the service promotes/demotes
    ("daemon/store/store_auto_limit.h", "store_auto_limit_tx"),  # why a reply is held back
}
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def strip_comments(text):
    # keep the newlines so line numbers stay right
    return COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def owner(text, pos):
    """The name of the function (or function pointer) whose parameter list
    holds pos: the identifier before the innermost unclosed '('."""
    depth = 0
    i = pos
    while i > 0:
        i -= 1
        c = text[i]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                break
            depth -= 1
    head = text[:i].rstrip()
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)$", head)  # int (*open)(...)
    if m is None:
        m = re.search(r"(\w+)$", head)
    return m.group(1) if m else "?"


def findings(root):
    out = []
    for top in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith(".h"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = strip_comments(f.read())
                seen = set()
                for rx in (PAIR, ERRBUF, STATIC):
                    for m in rx.finditer(text):
                        fn = owner(text, m.start())
                        if (rel, fn) in DATA_NOT_ERROR:
                            continue
                        line = text.count("\n", 0, m.start()) + 1
                        if (fn, line) in seen:
                            continue
                        seen.add((fn, line))
                        out.append((rel, line, fn, " ".join(m.group(0).split())))
    return sorted(out)


def read_allow(path):
    allow = set()
    if not os.path.exists(path):
        return allow
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                parts = line.split()
                allow.add((parts[0], parts[1]))
    return allow


def check(root, allow_path):
    allow = read_allow(allow_path)
    bad = 0
    used = set()
    for rel, line, fn, what in findings(root):
        if (rel, fn) in allow:
            used.add((rel, fn))
            continue
        print(f"{rel}:{line}: {fn}() takes '{what}': pass a struct error *err instead "
              "(daemon/lib/error.h, CONTRIBUTING.md \"Errors\")")
        bad += 1
    for rel, fn in sorted(allow - used):
        print(f"lint: note: {rel} {fn} in {os.path.basename(allow_path)} is converted: drop the line")
    if bad:
        print(f"lint: {bad} prototype(s) above use an old error convention")
    elif allow:
        print(f"lint: one error convention ok, {len(allow)} prototype(s) left on "
              f"{os.path.basename(allow_path)}")
    else:
        print(f"lint: one error convention ok, {os.path.basename(allow_path)} is empty")
    return 1 if bad else 0


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "agent", "x"))
        with open(os.path.join(tmp, "agent", "x", "x.h"), "w") as f:
            f.write("/* char *error, size_t n in a comment is fine */\n"
                    "int x_ok(int a, struct error *err);\n"
                    "struct x_ops {\n\tint (*open)(void **p, char *err,\n\t\t    size_t errsize);\n};\n"
                    "int x_bad(const char *s, char *error, size_t error_size)\n"
                    "\t__attribute__((warn_unused_result));\n"
                    "int x_old(char *errbuf);\n"
                    "int x_listed(char *err, size_t size);\n"
                    "int x_static(const char *s, const char **error_r);\n"
                    "int x_why(int a, const char **why_r);\n")
        allow = os.path.join(tmp, "allow")
        with open(allow, "w") as f:
            f.write("agent/x/x.h x_listed  # not converted yet\n")
        got = {(rel, fn) for rel, _, fn, _ in findings(tmp)}
        want = {("agent/x/x.h", "open"), ("agent/x/x.h", "x_bad"),
                ("agent/x/x.h", "x_old"), ("agent/x/x.h", "x_listed"),
                ("agent/x/x.h", "x_static"), ("agent/x/x.h", "x_why")}
        if got != want:
            print(f"self-test: found {sorted(got)}, wanted {sorted(want)}")
            return 1
        with contextlib.redirect_stdout(io.StringIO()):
            rc = check(tmp, allow)
        if rc != 1:
            print("self-test: the check passed a tree with bad prototypes")
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        sys.exit(self_test())
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    sys.exit(check(root, os.path.join(root, "tests", "lint_errors.allow")))
