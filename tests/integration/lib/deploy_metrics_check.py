#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks deploy/prometheus/draftd-alerts.yml and
deploy/grafana/draftd-dashboard.json against a real scrape of /metrics:
their structure (what Prometheus and Grafana need to load them) and that
every draftd_* or process_* metric their expressions name is one draftd
exports, so a renamed metric cannot leave an alert that never fires.

  deploy_metrics_check.py SRC_DIR SCRAPE_FILE
Exit 1 with every problem on stderr."""
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(__file__))
import prom_check  # noqa: E402

METRIC = re.compile(r'\b((?:draftd|process)_[a-z0-9_]+)')


def exported(scrape):
    families, _, errors = prom_check.parse(open(scrape, encoding='utf-8').read())
    if errors:
        raise SystemExit('the scrape itself is invalid: ' + '; '.join(errors[:3]))
    names = set()
    for fam, info in families.items():
        names.add(fam)
        if info['type'] == 'histogram':
            names.update(fam + s for s in ('_bucket', '_sum', '_count'))
    return names


def check_rules(path, names, errors):
    doc = yaml.safe_load(open(path, encoding='utf-8'))
    alerts = set()
    for g in doc.get('groups', []):
        if not g.get('name') or not isinstance(g.get('rules'), list):
            errors.append(f'{path}: a group needs a name and rules')
            continue
        for r in g['rules']:
            a = r.get('alert')
            if not a or not r.get('expr'):
                errors.append(f'{path}: rule without alert or expr: {r}')
                continue
            if a in alerts:
                errors.append(f'{path}: alert {a} twice')
            alerts.add(a)
            if r.get('labels', {}).get('severity') not in ('critical', 'warning', 'info'):
                errors.append(f'{path}: {a}: severity must be critical, warning or info')
            if not r.get('annotations', {}).get('summary'):
                errors.append(f'{path}: {a}: no summary annotation')
            for m in METRIC.findall(r['expr']):
                if m not in names:
                    errors.append(f'{path}: {a}: draftd exports no metric {m}')
    return len(alerts)


def check_dashboard(path, names, errors):
    d = json.load(open(path, encoding='utf-8'))
    for k in ('title', 'uid', 'schemaVersion', 'panels', 'templating'):
        if k not in d:
            errors.append(f'{path}: no {k}')
    variables = {v.get('name') for v in d.get('templating', {}).get('list', [])}
    if 'datasource' not in variables:
        errors.append(f'{path}: no datasource variable (the dashboard would be tied to one)')
    ids, exprs = set(), 0
    for p in d.get('panels', []):
        pid, gp = p.get('id'), p.get('gridPos', {})
        if pid in ids:
            errors.append(f'{path}: panel id {pid} twice')
        ids.add(pid)
        if not p.get('type') or not p.get('title'):
            errors.append(f'{path}: panel {pid} without type or title')
        if not all(isinstance(gp.get(k), int) for k in ('h', 'w', 'x', 'y')) or \
                gp.get('x', 0) + gp.get('w', 0) > 24:
            errors.append(f'{path}: panel {pid}: gridPos {gp} is not within 24 columns')
        if p.get('type') == 'row':
            continue
        if not p.get('targets'):
            errors.append(f'{path}: panel {p.get("title")} has no query')
        for t in p.get('targets', []):
            if not t.get('expr') or not t.get('refId'):
                errors.append(f'{path}: panel {p.get("title")}: a target without expr or refId')
                continue
            exprs += 1
            for m in METRIC.findall(t['expr']):
                if m not in names:
                    errors.append(f'{path}: panel {p.get("title")}: draftd exports no metric {m}')
    return exprs


def main():
    src, scrape = sys.argv[1], sys.argv[2]
    names = exported(scrape)
    errors = []
    n_alerts = check_rules(os.path.join(src, 'deploy/prometheus/draftd-alerts.yml'), names, errors)
    n_exprs = check_dashboard(os.path.join(src, 'deploy/grafana/draftd-dashboard.json'), names,
                              errors)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(f'{n_alerts} alerts and {n_exprs} dashboard queries name only exported metrics')
    return 0


if __name__ == '__main__':
    sys.exit(main())
