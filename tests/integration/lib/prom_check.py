#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A strict reader of the Prometheus text exposition format (0.0.4), for
the /metrics tests: every line must parse, every sample belong to a family
declared by # HELP and # TYPE before it, names follow Prometheus naming
(counters end in _total, no counter elsewhere ends in _total), histograms
are cumulative with +Inf == _count, no series appears twice, and label
values that name an enumeration are snake_case.

  prom_check.py FILE                      check, print the family count
  prom_check.py FILE --value 'NAME{a="b"}'  print one sample's value
  prom_check.py FILE --type NAME           print a family's type
Exit 1 with every problem on stderr."""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
SAMPLE = re.compile(r'^(' + NAME + r')(\{(.*)\})? (\S+)( -?\d+)?$')
LABEL_PAIR = re.compile(r'(' + LABEL + r')="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
SNAKE = re.compile(r'^[a-z0-9]+(_[a-z0-9]+)*$')
# labels whose values are names an operator writes in a query: snake_case
ENUM_LABELS = {'outcome', 'state', 'status', 'queue', 'decision', 'reason', 'flag',
               'result', 'mode'}
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def parse_labels(text, errors, lineno):
    labels = {}
    pos = 0
    while pos < len(text):
        m = LABEL_PAIR.match(text, pos)
        if not m:
            errors.append(f'line {lineno}: bad label syntax at {text[pos:pos + 40]!r}')
            return None
        if m.group(1) in labels:
            errors.append(f'line {lineno}: label {m.group(1)} twice')
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def parse(text):
    errors, families, samples = [], {}, {}
    current = None
    for lineno, line in enumerate(text.split('\n'), 1):
        if line == '':
            continue
        if line.startswith('# HELP '):
            parts = line.split(' ', 3)
            if len(parts) < 4 or not re.fullmatch(NAME, parts[2]):
                errors.append(f'line {lineno}: bad HELP: {line!r}')
                continue
            if parts[2] in families:
                errors.append(f'line {lineno}: family {parts[2]} declared twice')
            families[parts[2]] = {'help': parts[3], 'type': None}
            current = parts[2]
            continue
        if line.startswith('# TYPE '):
            parts = line.split(' ')
            if len(parts) != 4 or parts[3] not in TYPES:
                errors.append(f'line {lineno}: bad TYPE: {line!r}')
                continue
            if parts[2] != current or families[current]['type'] is not None:
                errors.append(f'line {lineno}: TYPE of {parts[2]} not right after its HELP')
                continue
            families[current]['type'] = parts[3]
            continue
        if line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append(f'line {lineno}: not a sample: {line!r}')
            continue
        name, labels_text, value = m.group(1), m.group(3), m.group(4)
        if m.group(2) == '{}':
            errors.append(f'line {lineno}: empty braces: {line!r}')
        labels = parse_labels(labels_text or '', errors, lineno) or {}
        try:
            v = float(value)
        except ValueError:
            errors.append(f'line {lineno}: value {value!r} is not a number')
            continue
        fam = current
        ftype = families.get(fam, {}).get('type') if fam else None
        base = name
        if ftype == 'histogram':
            for suffix in ('_bucket', '_sum', '_count'):
                if name == fam + suffix:
                    base = fam
        if base != fam or ftype is None:
            errors.append(f'line {lineno}: sample {name} outside its family (HELP/TYPE first)')
            continue
        key = (name, tuple(sorted(labels.items())))
        if key in samples:
            errors.append(f'line {lineno}: series {name}{labels} twice')
        samples[key] = v
        for k, val in labels.items():
            if k in ENUM_LABELS and not SNAKE.match(val):
                errors.append(f'line {lineno}: label {k}="{val}" is not snake_case')
        if ftype == 'counter' and v < 0:
            errors.append(f'line {lineno}: counter {name} is negative')
    for fam, info in families.items():
        if info['type'] is None:
            errors.append(f'family {fam} has HELP but no TYPE')
        if info['type'] == 'counter' and not fam.endswith('_total'):
            errors.append(f'counter {fam} does not end in _total')
        if info['type'] != 'counter' and fam.endswith('_total'):
            errors.append(f'{info["type"]} {fam} ends in _total (counters only)')
        if info['type'] == 'histogram':
            check_histogram(fam, samples, errors)
    return families, samples, errors


def check_histogram(fam, samples, errors):
    series = {}
    for (name, labels), v in samples.items():
        if name != fam + '_bucket':
            continue
        d = dict(labels)
        le = d.pop('le', None)
        if le is None:
            errors.append(f'{fam}: bucket without le')
            continue
        series.setdefault(tuple(sorted(d.items())), []).append((float(le), v))
    for rest, buckets in series.items():
        buckets.sort()
        counts = [c for _, c in buckets]
        if counts != sorted(counts):
            errors.append(f'{fam}{dict(rest)}: buckets not cumulative')
        if buckets[-1][0] != float('inf'):
            errors.append(f'{fam}{dict(rest)}: no +Inf bucket')
        count = samples.get((fam + '_count', rest))
        if count is None or samples.get((fam + '_sum', rest)) is None:
            errors.append(f'{fam}{dict(rest)}: no _count or _sum')
        elif count != buckets[-1][1]:
            errors.append(f'{fam}{dict(rest)}: _count {count} != +Inf bucket {buckets[-1][1]}')


def main():
    text = open(sys.argv[1], encoding='utf-8').read()
    families, samples, errors = parse(text)
    if len(sys.argv) == 4 and sys.argv[2] == '--value':
        m = SAMPLE.match(sys.argv[3] + ' 0')
        labels = parse_labels(m.group(3) or '', errors, 0) or {}
        v = samples.get((m.group(1), tuple(sorted(labels.items()))))
        if v is None:
            print(f'no sample {sys.argv[3]}', file=sys.stderr)
            return 1
        print(int(v) if v == int(v) else v)
        return 0
    if len(sys.argv) == 4 and sys.argv[2] == '--type':
        print(families.get(sys.argv[3], {}).get('type'))
        return 0
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(f'{len(families)} families, {len(samples)} samples')
    return 0


if __name__ == '__main__':
    sys.exit(main())
