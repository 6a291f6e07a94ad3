#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make lint: the dependency rule of docs/architecture.md.

Every folder under daemon/, agent/, connectors/ and ui-api/ that holds C files
is one module. The table between the "deps:begin" and "deps:end" markers in
docs/architecture.md says which modules each module may include; this check
reads it and fails (exit 1) on

  - an #include "..." of a header in a module the table does not allow,
  - an #include of another module's private header (*_int.h, *_private.h),
  - a module that is not in the table, or a table entry naming no module,
  - a cycle in the table itself (so daemon <-> agent cannot come back),

printing FILE:LINE, the include and the rule it breaks. Run with --self-test
to see it catch a bad include in a throwaway tree.
"""
import os
import re
import subprocess
import sys
import tempfile

SOURCE_ROOTS = ("daemon", "agent", "connectors", "ui-api")
TABLE_DOC = "docs/architecture.md"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|([^|]*)\|")
PRIVATE = re.compile(r"_(int|private)\.h$")


def read_table(path):
    """{module: set(allowed)}; '*' allows every module."""
    rules, inside = {}, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if "deps:begin" in line:
                inside = True
                continue
            if "deps:end" in line:
                break
            m = ROW.match(line) if inside else None
            if m is None:
                continue
            allowed = set(re.findall(r"`([^`]+)`", m.group(2)))
            if "nothing" in m.group(2) and not allowed:
                allowed = set()
            rules[m.group(1)] = (allowed, n)
    if not rules:
        raise SystemExit(f"{path}: no dependency table between deps:begin and deps:end")
    return rules


def module_of(path):
    return os.path.dirname(path)


def find_cycle(graph):
    """One cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state:
                c = visit(t)
                if c:
                    return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            c = visit(m)
            if c:
                return c
    return None


def source_files(root):
    try:
        out = subprocess.check_output(
            ["git", "-C", root, "ls-files", "-co", "--exclude-standard", "--", *SOURCE_ROOTS],
            text=True, stderr=subprocess.DEVNULL)
        files = out.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
        for top in SOURCE_ROOTS:
            for d, _, names in os.walk(os.path.join(root, top)):
                files += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(f for f in files if f.endswith((".c", ".h"))
                  and os.path.exists(os.path.join(root, f)))


def check(root, table_doc=TABLE_DOC):
    problems = []
    table = os.path.join(root, table_doc)
    rules = read_table(table)
    files = source_files(root)
    modules = sorted({module_of(f) for f in files})
    for m in modules:
        if m not in rules:
            problems.append(f"{m}/: module not in the dependency table ({table_doc}); add a row")
    known = set(modules) | {"gen"}
    graph = {}
    for m, (allowed, n) in rules.items():
        if m not in known:
            problems.append(f"{table_doc}:{n}: `{m}` is no module (no C files there)")
        for a in allowed - {"*"}:
            if a not in known:
                problems.append(f"{table_doc}:{n}: `{m}` may include `{a}`, which is no module")
        graph[m] = (set(modules) - {m}) if "*" in allowed else allowed
    cycle = find_cycle({m: g for m, g in graph.items() if "*" not in rules[m][0]})
    if cycle:
        problems.append(f"{table_doc}: the table has a cycle: {' -> '.join(cycle)}")
    for f in files:
        mod = module_of(f)
        if mod not in rules:
            continue  # reported above
        allowed = rules[mod][0]
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if m is None:
                    continue
                inc = m.group(1)
                target = module_of(inc) if "/" in inc else mod
                if target == mod:
                    continue
                if PRIVATE.search(inc):
                    problems.append(
                        f"{f}:{n}: includes \"{inc}\": a private header of {target}/ "
                        f"(only {target}/ itself may include it)")
                    continue
                if "*" in allowed or target in allowed:
                    continue
                may = ", ".join(sorted(allowed)) if allowed else "nothing"
                problems.append(
                    f"{f}:{n}: includes \"{inc}\" (module {target}) but {mod} may include "
                    f"only: {may} ({table_doc})")
    return problems


SELF_TEST_TABLE = """<!-- deps:begin -->
| module | may include |
|---|---|
| `daemon/lib` | nothing |
| `daemon/store` | `daemon/lib` |
| `agent/mime` | `daemon/lib` |
<!-- deps:end -->
"""


def self_test():
    """Builds a tree that breaks each rule once and checks every break is named."""
    with tempfile.TemporaryDirectory() as root:
        def write(path, text):
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                f.write(text)
        write(TABLE_DOC, SELF_TEST_TABLE)
        write("daemon/lib/buf.h", "")
        write("daemon/lib/buf_int.h", "")
        write("daemon/store/store.c", '#include "daemon/lib/buf.h"\n#include "agent/mime/mime.h"\n')
        write("agent/mime/mime.h", '#include "daemon/lib/buf_int.h"\n')
        write("agent/mime/mime.c", '#include "mime.h"\n#include "daemon/lib/buf.h"\n')
        write("agent/eval/eval.c", '#include "daemon/lib/buf.h"\n')
        got = check(root)
        want = [
            "agent/eval/: module not in the dependency table",
            'daemon/store/store.c:2: includes "agent/mime/mime.h" (module agent/mime) but '
            "daemon/store may include only: daemon/lib",
            'agent/mime/mime.h:1: includes "daemon/lib/buf_int.h": a private header',
        ]
        missing = [w for w in want if not any(g.startswith(w) for g in got)]
        extra = [g for g in got if not any(g.startswith(w) for w in want)]
        # and a cycle in the table is refused
        write(TABLE_DOC, SELF_TEST_TABLE.replace("| `daemon/lib` | nothing |",
                                                 "| `daemon/lib` | `agent/mime` |"))
        write("agent/eval/eval.c", "")
        os.remove(os.path.join(root, "agent/eval/eval.c"))
        cyc = [g for g in check(root) if "cycle" in g]
        if missing or extra or not cyc:
            for w in missing:
                print(f"lint_deps self-test: not reported: {w}")
            for g in extra:
                print(f"lint_deps self-test: reported wrongly: {g}")
            if not cyc:
                print("lint_deps self-test: a cycle in the table was not reported")
            return 1
    print("lint_deps self-test: ok (a bad include, a private header, a missing module and "
          "a cycle are each caught)")
    return 0


def main(argv):
    if "--self-test" in argv:
        return self_test()
    root = argv[1] if len(argv) > 1 else "."
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"lint: {len(problems)} include(s) break the dependency rule above "
              f"(the table is in {TABLE_DOC})")
        return 1
    print(f"lint: dependency rule ok ({TABLE_DOC})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
