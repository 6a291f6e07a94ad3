# SPDX-License-Identifier: MIT
"""MIME parsing alone (tests/bench/mime_bench over the shared corpus, else
the demo mailbox, about 9,000 messages a run): messages/s, MB/s, peak RSS.

No baseline: these are regression gates kept from the first `make bench`
(about a third of what a 2-core machine measured, so only a 5-10x
regression fails; BENCH_T_MIME_* override them)."""
import glob
import os
import re

from benchlib import proc
from benchlib.report import Figure
from benchlib.svc import BenchError


def run(ctx):
    mail = os.path.join(os.environ.get("DRAFTD_CORPUS") or os.path.join(ctx.src, "..", "shared",
                                                                        "corpus"), "mail")
    if not os.path.isdir(mail):
        mail = os.path.join(ctx.src, "deploy/demo/mail")
    n = len(glob.glob(os.path.join(mail, "*.eml")))
    rounds = 20 if ctx.sizes.smoke else max(1, 9000 // max(n, 1))
    runs = {"msgs_per_s": [], "mb_per_s": [], "peak_rss_kb": []}
    for i in range(max(ctx.sizes.runs, 1)):
        log = ctx.log("mime-%d" % i)
        m = proc.run_measured([ctx.mime_bench, mail, str(rounds)], log)
        with open(log) as f:
            out = dict(re.findall(r"(\w+)=([\d.]+)", f.read()))
        if m["rc"] != 0 or "msgs_per_s" not in out:
            raise BenchError("mime_bench failed (log %s)" % log)
        for k in runs:
            runs[k].append(float(out[k]))
    t = {k: float(os.environ.get("BENCH_T_MIME_" + k, d)) for k, d in
         (("MSGS", 5000), ("MBS", 10), ("RSS", 32768))}
    what = "%d messages of %s x %d" % (n, mail, rounds)
    return [
        Figure("MIME parse: messages", "msgs/s", runs["msgs_per_s"], target=("value", ">=", t["MSGS"]),
               note=what),
        Figure("MIME parse: bytes", "MB/s", runs["mb_per_s"], target=("value", ">=", t["MBS"])),
        Figure("MIME parse: peak RSS", "KiB", runs["peak_rss_kb"],
               target=("value", "<=", t["RSS"])),
    ]
