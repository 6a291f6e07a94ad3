# SPDX-License-Identifier: MIT
"""Every size the bench takes from the environment, with its default (issue
14's sizes where they fit in `make bench`'s 10 minutes), its smoke value
(BENCH_SMOKE=1: the < 30 s run in `make test` that keeps the scripts from
rotting; its numbers mean nothing) and its scale value (`make bench-scale`)."""
import os

# name: (default, smoke, scale, what)
SIZES = {
    "BENCH_RUNS": (3, 1, 1, "runs of each figure (min/median/max over them)"),
    "BENCH_MESSAGES": (10000, 40, 10000, "messages for ingest (and the pipeline's pick)"),
    "BENCH_PIPELINE_MESSAGES": (2000, 40, 2000, "of those, drafted by process --once per run"),
    "BENCH_MODEL_MESSAGES": (192, 16, 192, "messages drafted through the model stand-in"),
    "BENCH_MODEL_SLOTS": (16, 4, 16, "the stand-in's parallel slots K"),
    "BENCH_MODEL_LATENCY_MS": (200, 50, 200, "milliseconds per answer L"),
    "BENCH_MODEL_IN_FLIGHT": (16, 4, 16, "draftd's [model] max_in_flight"),
    "BENCH_API_DRAFTS": (100000, 200, 100000, "drafts in the queue for the API figure"),
    "BENCH_API_CONNECTIONS": ("8,64", "8", "8,64", "wrk / pgbench connections"),
    "BENCH_API_SECONDS": (5, 1, 10, "seconds of each wrk / pgbench run"),
    "BENCH_IDLE_ARRIVALS": (30, 2, 30, "arrivals per IDLE run"),
    "BENCH_MEM_MAILBOXES": (20, 2, 20, "mailboxes of the memory figure"),
    "BENCH_MEM_MESSAGES": (2000, 20, 2000, "messages of the memory figure"),
    "BENCH_MEM_BIG_MAILBOXES": (200, 3, 200, "mailboxes of the large memory figure (0: skip)"),
    "BENCH_SCALE_MESSAGES": (100000, 100, 100000, "bench-scale: messages"),
    "BENCH_SCALE_MAILBOXES": (200, 4, 200, "bench-scale: mailboxes"),
    "BENCH_SPLIT_MESSAGES": (300, 40, 300, "bench-scale: mails split by two instances"),
    "BENCH_SPLIT_MAILBOXES": (4, 2, 4, "bench-scale: mailboxes of the split run"),
}


class Sizes:
    def __init__(self, smoke=False, scale=False):
        self.smoke = smoke
        self.used = {}
        for name, (default, smoke_v, scale_v, _) in SIZES.items():
            v = smoke_v if smoke else scale_v if scale else default
            raw = os.environ.get(name)
            if raw is not None and raw != "":
                v = raw if isinstance(default, str) else int(raw)
            self.used[name] = v

    def __getattr__(self, attr):
        key = "BENCH_" + attr.upper()
        if key in self.used:
            return self.used[key]
        raise AttributeError(attr)


def usage():
    lines = ["Sizes from the environment (default / BENCH_SMOKE=1 / bench-scale):"]
    for name, (d, s, sc, what) in SIZES.items():
        lines.append("  %-26s %s / %s / %s  %s" % (name, d, s, sc, what))
    lines += ["Also: BENCH_SMOKE=1 (toy sizes, targets not judged), BENCH_RESULTS=FILE,",
              "BENCH_KEEP=1 (keep the temp dir and its logs), BENCH_PGSS=none (no",
              "pg_stat_statements tracking), BENCH_T_MIME_MSGS/_MBS/_RSS (MIME gates),",
              "BENCH_LOG_LEVEL=debug (draftd's log level; default warn)."]
    return "\n".join(lines)
