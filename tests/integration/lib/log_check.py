#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""draftd's log lines, read strictly (issue 15 item 6).

  log_check.py logfmt|json FILE [EVENT...]
      every line of FILE must be one well-formed logfmt line (key=value
      pairs; a value bare or "quoted" with \\" \\\\ \\n \\t \\xNN escapes) or one
      JSON object per line; ts, level and msg first-class; every key one of
      README's documented keys; no key twice; no key=value inside msg; no
      bearer token anywhere. Each EVENT ("msg" or "msg|key=value|...") must
      match at least one line. Prints the line count.
  log_check.py --source SRC_DIR
      every key the C code logs (log_ctx_set*, log_*_kv field formats) is
      documented in README, and every documented key is used.
Exit 1 with every problem on stderr."""
import json
import os
import re
import sys

KEY = re.compile(r'[a-z][a-z0-9_]*')
FIELD_IN_MSG = re.compile(r'(^|\s)[a-z][a-z0-9_]*=\S')
TOKEN = re.compile(r'dft_[A-Za-z0-9_-]{16,}')


def readme_keys(src):
    text = open(os.path.join(src, 'README.md'), encoding='utf-8').read()
    m = re.search(r'<!-- logkeys:begin -->(.*?)<!-- logkeys:end -->', text, re.S)
    if not m:
        raise SystemExit('README.md has no <!-- logkeys:begin --> table')
    return set(re.findall(r'^\| `([a-z0-9_]+)` \|', m.group(1), re.M))


def parse_logfmt(line):
    pairs, pos, n = [], 0, len(line)
    while pos < n:
        m = KEY.match(line, pos)
        if not m or m.end() >= n or line[m.end()] != '=':
            raise ValueError(f'expected key= at column {pos}')
        key, pos = m.group(0), m.end() + 1
        if pos < n and line[pos] == '"':
            pos += 1
            out = []
            while True:
                if pos >= n:
                    raise ValueError(f'unterminated quoted value of {key}')
                c = line[pos]
                if c == '"':
                    pos += 1
                    break
                if c == '\\':
                    e = line[pos + 1:pos + 2]
                    if e in ('"', '\\'):
                        out.append(e)
                        pos += 2
                    elif e == 'n':
                        out.append('\n')
                        pos += 2
                    elif e == 't':
                        out.append('\t')
                        pos += 2
                    elif e == 'x' and re.fullmatch(r'[0-9a-f]{2}', line[pos + 2:pos + 4]):
                        out.append(chr(int(line[pos + 2:pos + 4], 16)))
                        pos += 4
                    else:
                        raise ValueError(f'bad escape in {key} at column {pos}')
                    continue
                if ord(c) < 0x20:
                    raise ValueError(f'raw control character in {key}')
                out.append(c)
                pos += 1
            value = ''.join(out)
        else:
            end = line.find(' ', pos)
            end = n if end < 0 else end
            value = line[pos:end]
            if value == '' or re.search(r'["=\\\x00-\x1f\x7f]', value):
                raise ValueError(f'bare value of {key} must be quoted: {value!r}')
            pos = end
        pairs.append((key, value))
        if pos < n:
            if line[pos] != ' ':
                raise ValueError(f'expected a space after {key} at column {pos}')
            pos += 1
            if pos == n:
                raise ValueError('trailing space')
    return pairs


def parse_json(line):
    seen = []

    def hook(items):
        seen.extend(items)
        return dict(items)
    obj = json.loads(line, object_pairs_hook=hook)
    if not isinstance(obj, dict):
        raise ValueError('not an object')
    for k, v in obj.items():
        if not isinstance(v, str):
            raise ValueError(f'{k} is not a string')
    return list(obj.items()) if len(seen) == len(obj) else seen


def check_file(fmt, path, events, keys):
    errors, lines, parsed = [], 0, []
    raw = open(path, 'rb').read()
    for no, bline in enumerate(raw.split(b'\n'), 1):
        if not bline:
            continue
        lines += 1
        try:
            line = bline.decode('utf-8')
        except UnicodeDecodeError:
            errors.append(f'{path}:{no}: not UTF-8')
            continue
        try:
            pairs = parse_logfmt(line) if fmt == 'logfmt' else parse_json(line)
        except ValueError as e:
            errors.append(f'{path}:{no}: {e}: {line[:160]}')
            continue
        names = [k for k, _ in pairs]
        if names[:2] != ['ts', 'level'] or 'msg' not in names:
            errors.append(f'{path}:{no}: ts, level first and a msg: {line[:160]}')
        if len(set(names)) != len(names):
            errors.append(f'{path}:{no}: a key twice: {line[:160]}')
        d = dict(pairs)
        if not re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', d.get('ts', '')):
            errors.append(f'{path}:{no}: ts is not RFC 3339 UTC with ms')
        if d.get('level') not in ('error', 'warn', 'info', 'debug'):
            errors.append(f'{path}:{no}: level {d.get("level")!r}')
        for k in names:
            if k not in keys:
                errors.append(f'{path}:{no}: key {k} is not one of README\'s log keys')
        if FIELD_IN_MSG.search(d.get('msg', '')):
            errors.append(f'{path}:{no}: a key=value field inside msg: {d["msg"][:120]!r}')
        if TOKEN.search(line):
            errors.append(f'{path}:{no}: a bearer token in the log')
        parsed.append(d)
    for ev in events:
        msg, *conds = ev.split('|')
        want = dict(c.split('=', 1) for c in conds)
        if not any(d.get('msg') == msg and all(d.get(k) == v for k, v in want.items())
                   for d in parsed):
            errors.append(f'{path}: no line {ev!r}')
    return lines, errors


SRC_CTX = re.compile(r'log_ctx_setf?\(\s*"([a-z0-9_]+)"')
SRC_KV = re.compile(r'log_(?:error|warn|info|debug)_kv\((?:[^;]*?),\s*"((?:[a-z0-9_]+=[^" ]*\s*)+)"', re.S)


def check_source(src):
    keys, used, errors = readme_keys(src), {'ts', 'level', 'msg'}, []
    for top in ('daemon', 'agent', 'connectors', 'ui-api'):
        for root, _, files in os.walk(os.path.join(src, top)):
            for f in files:
                if not f.endswith('.c'):
                    continue
                text = open(os.path.join(root, f), encoding='utf-8').read()
                found = set(SRC_CTX.findall(text))
                for fields in SRC_KV.findall(text):
                    found.update(re.findall(r'([a-z0-9_]+)=', fields))
                for k in found - keys:
                    errors.append(f'{os.path.join(root, f)}: logs key {k}, not in README')
                used |= found
    for k in keys - used:
        errors.append(f'README documents log key {k}, which no code logs')
    return len(used), errors


def main():
    if sys.argv[1] == '--source':
        n, errors = check_source(sys.argv[2])
        what = f'{n} log keys, all documented'
    else:
        src = os.path.join(os.path.dirname(__file__), '../../..')
        n, errors = check_file(sys.argv[1], sys.argv[2], sys.argv[3:], readme_keys(src))
        what = f'{n} lines'
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(what)
    return 0


if __name__ == '__main__':
    sys.exit(main())
