# SPDX-License-Identifier: MIT
"""The reviewer page's interactions with the big queue (issue 16 item 6:
p95 page interactions under 100 ms with 100k messages, measured in the
browser with the Performance API and reported here, never asserted in a test).

A hook: fig_api calls measure() while `draftd run` serves the queue. It does
nothing until tests/browser/perf.mjs exists. The contract for that script:

    node tests/browser/perf.mjs BASE_URL TOKEN OUT.json

drives /usr/bin/chromium over the page and writes
{"interactions": {"NAME": [milliseconds, ...], ...}}; each NAME becomes a
figure "page NAME: p95" with the target p95 <= 100 ms. The script also
writes "first": {"NAME": milliseconds}, each interaction's first time after
draftd started (cold database connections and catalogs), reported as
information beside the p95, which is over the rounds after it.
"""
import json
import os
import shutil

from benchlib import proc
from benchlib.report import Figure, percentile

SCRIPT = "tests/browser/perf.mjs"


def measure(ctx, base, token):
    script = os.path.join(ctx.src, SCRIPT)
    if not os.path.exists(script):
        return []
    if not (os.path.exists("/usr/bin/chromium") and shutil.which("node") and os.path.isdir(
            os.path.join(ctx.src, "tests/browser/node_modules/playwright-core"))):
        ctx.say("browser: chromium, node or playwright-core missing; page figures skipped")
        return []
    out = os.path.join(ctx.tmp, "browser-perf.json")
    m = proc.run_measured(["node", script, base, token, out], ctx.log("browser-perf"))
    if m["rc"] != 0 or not os.path.exists(out):
        ctx.say("browser: %s failed (log %s)" % (SCRIPT, ctx.log("browser-perf")))
        return [Figure("page interactions", "ms", [], target=("value", "<=", 100))]
    with open(out) as f:
        doc = json.load(f)
    got = doc.get("interactions", {})
    first = doc.get("first", {})
    figs = [Figure("page %s: p95" % name, "ms", [percentile(ms, 95)] if ms else [],
                   target=("value", "<=", 100), details={"ms": ms})
            for name, ms in sorted(got.items())]
    figs += [Figure("page %s: first after start" % name, "ms", [ms], note="information:"
                    " the first time after draftd started, before the measured rounds")
             for name, ms in sorted(first.items())]
    return figs
