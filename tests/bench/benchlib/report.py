# SPDX-License-Identifier: MIT
"""Figures, their statistics, the printed table and results.json.

A figure is one row of issue 14's table: draftd's value and, where the issue
names one, a baseline measured in the same run, each from several runs
(min / median / max), the ratio of the medians, and the target. A target
reads on the ratio ("ratio <= 1.5"), on the value ("value >= 1000") or on
the value over the baseline ("value - baseline <= 50"); a figure without a
target is information (pass is null).
"""
import json
import math
import os
import statistics


def spread(runs):
    """min, median, max of the runs that produced a number, or None."""
    xs = [float(x) for x in runs if x is not None]
    if not xs:
        return None
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "runs": xs}


def percentile(xs, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    xs = sorted(xs)
    k = max(1, math.ceil(p / 100.0 * len(xs)))
    return xs[k - 1]


OPS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


class Figure:
    """name, unit; value and baseline as lists of per-run numbers;
    target = (on, op, threshold) with on in ratio | value | over_baseline."""

    def __init__(self, name, unit, value_runs, baseline_runs=None, baseline_what=None,
                 target=None, note=None, details=None):
        self.name = name
        self.unit = unit
        self.value = spread(value_runs or [])
        self.baseline = spread(baseline_runs) if baseline_runs is not None else None
        self.baseline_what = baseline_what
        self.target = target
        self.note = note
        self.details = details or {}
        self.ratio = None
        if self.value and self.baseline and self.baseline["median"]:
            self.ratio = self.value["median"] / self.baseline["median"]
        self.passed = self.judge()

    def judge(self):
        if self.target is None:
            return None
        on, op, threshold = self.target
        if self.value is None:
            return False
        if on == "value":
            x = self.value["median"]
        elif on == "ratio":
            x = self.ratio
        else:  # over_baseline
            x = (self.value["median"] - self.baseline["median"]) if self.baseline else None
        return x is not None and OPS[op](x, threshold)

    def target_text(self):
        if self.target is None:
            return "(information)"
        on, op, threshold = self.target
        what = {"value": "value", "ratio": "ratio",
                "over_baseline": "value - baseline"}[on]
        return "%s %s %s" % (what, op, fmt(threshold))

    def as_json(self):
        return {
            "name": self.name,
            "unit": self.unit,
            "baseline": self.baseline["median"] if self.baseline else None,
            "baseline_what": self.baseline_what,
            "baseline_runs": self.baseline["runs"] if self.baseline else None,
            "value": self.value["median"] if self.value else None,
            "value_runs": self.value["runs"] if self.value else None,
            "ratio": round(self.ratio, 4) if self.ratio is not None else None,
            "target": self.target_text() if self.target else None,
            "pass": self.passed,
            "note": self.note,
            "details": self.details,
        }


def fmt(x):
    if x is None:
        return "n/a"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return "{:,.0f}".format(x)
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    if abs(x) >= 1:
        return "%.2f" % x
    return "%.3g" % x


def fmt_spread(s):
    if s is None:
        return "-"
    if len(s["runs"]) == 1 or s["min"] == s["max"]:
        return fmt(s["median"])
    return "%s [%s-%s]" % (fmt(s["median"]), fmt(s["min"]), fmt(s["max"]))


def table(figures):
    """The report as text lines: medians with [min-max] over the runs."""
    rows = [("figure", "unit", "baseline (same run)", "draftd", "ratio", "target", "result")]
    for f in figures:
        rows.append((f.name, f.unit, fmt_spread(f.baseline), fmt_spread(f.value),
                     "%.2fx" % f.ratio if f.ratio is not None else "-", f.target_text(),
                     {True: "PASS", False: "FAIL", None: "info"}[f.passed]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for f in figures:
        if f.baseline_what or f.note:
            lines.append("")
            break
    for f in figures:
        if f.baseline_what:
            lines.append("%s: baseline = %s" % (f.name, f.baseline_what))
        if f.note:
            lines.append("%s: %s" % (f.name, f.note))
    return lines


def write_json(path, figures, meta):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"meta": meta, "figures": [x.as_json() for x in figures]}, f, indent=2)
        f.write("\n")
    os.rename(tmp, path)
