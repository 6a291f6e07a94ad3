#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes an integration test's draftd config from fixture fragments.

    write_config.py OUT FRAGMENT... [NAME=VALUE...] [SECTION.KEY=VALUE...]

Each FRAGMENT is tests/fixtures/config/FRAGMENT.conf.in; they are joined in
the order given. @NAME@ in them is replaced by NAME=VALUE from the command
line, else by the environment variable NAME (the test services' env.sh sets
DRAFTD_TEST_*), else by the fragment's own "# default NAME = VALUE" line
(which may name other placeholders).
SECTION.KEY=VALUE sets KEY in [SECTION] (replacing the fragment's value,
adding the key to the section, or adding the section at the end), so a test
says only what is particular to it. A placeholder left without a value, or a
fragment that does not exist, is an error naming it (exit 2).
"""
import os
import re
import sys

FIXTURES = os.path.join(os.environ.get("DRAFTD_SRCDIR", "."), "tests", "fixtures", "config")
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")
DEFAULT = re.compile(r"^#\s*default\s+([A-Z][A-Z0-9_]*)\s*=\s*(.*)$")
SECTION = re.compile(r"^\[([^\]]+)\]\s*$")


def fail(msg):
    sys.stderr.write("write_config: %s\n" % msg)
    sys.exit(2)


def parse_args(argv):
    fragments, values, settings = [], {}, []
    for arg in argv:
        name, eq, value = arg.partition("=")
        if eq and re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            values[name] = value
        elif eq and "." in name:
            section, _, key = name.rpartition(".")
            settings.append((section.strip(), key.strip(), value))
        elif not eq:
            fragments.append(arg)
        else:
            fail("cannot tell what %r sets (NAME=VALUE or SECTION.KEY=VALUE)" % arg)
    return fragments, values, settings


def read_fragments(fragments):
    lines, defaults = [], {}
    for frag in fragments:
        path = os.path.join(FIXTURES, frag + ".conf.in")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            fail("fragment %s: %s" % (frag, e.strerror))
        for line in text.splitlines():
            m = DEFAULT.match(line)
            if m:
                defaults.setdefault(m.group(1), m.group(2))
            elif not line.startswith("#"):
                lines.append(line)
    return lines, defaults


def substitute(lines, values, defaults):
    def one(m):
        name = m.group(1)
        if name in values:
            return values[name]
        if name in os.environ:
            return os.environ[name]
        if name in defaults:
            # a default may name other placeholders
            return PLACEHOLDER.sub(one, defaults[name])
        fail("no value for @%s@" % name)

    return [PLACEHOLDER.sub(one, line) for line in lines]


def apply_settings(lines, settings):
    for section, key, value in settings:
        current, start, end, found = None, None, len(lines), None
        for i, line in enumerate(lines):
            m = SECTION.match(line)
            if m:
                if current == section:
                    end = i
                    break
                current = m.group(1).strip()
                if current == section:
                    start = i
                continue
            if current == section and line.split("=", 1)[0].strip() == key and "=" in line:
                found = i
        if found is not None:
            lines[found] = "%s = %s" % (key, value)
        elif start is not None:
            # after the section's last non-blank line
            at = end
            while at > start + 1 and lines[at - 1].strip() == "":
                at -= 1
            lines.insert(at, "%s = %s" % (key, value))
        else:
            lines.extend(["[%s]" % section, "%s = %s" % (key, value)])
    return lines


def main(argv):
    if len(argv) < 2:
        fail("usage: write_config.py OUT FRAGMENT... [NAME=VALUE...] [SECTION.KEY=VALUE...]")
    out = argv[0]
    fragments, values, settings = parse_args(argv[1:])
    if not fragments:
        fail("no fragment named")
    lines, defaults = read_fragments(fragments)
    lines = apply_settings(substitute(lines, values, defaults), settings)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
