#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make bench` / `make bench-scale`: draftd beside baselines run on the same machine.

Every figure of issue 14 is measured side by side with its baseline, in the
same run.

    bench.py [--scale] [--only NAME,...] [--list]

Starts its own PostgreSQL, Dovecot and SMTP sink (tests/services) in a temp
dir and stops everything it started by PID on every exit path. Prints one
table (figure, baseline, draftd, ratio, target, PASS/FAIL; medians with
[min-max] over BENCH_RUNS runs) and writes BENCH_RESULTS (default
tests/bench/results/results.json, scale: results/scale.json).
Exit 0: every target met; 1: a target missed; 2: the bench could not run.
BENCH_SMOKE=1 runs every figure once at toy sizes (for `make test`: the
numbers mean nothing, the exit status is 0 unless the bench broke).
"""
import argparse
import datetime
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import proc, report, sizes  # noqa: E402
from benchlib.svc import BenchError, Services  # noqa: E402

# Figure groups in the order they run; each module's run(ctx) returns Figures.
GROUPS = ["mime", "ingest", "api", "model", "idle", "memory"]
SCALE_GROUPS = ["scale", "split"]
MODULES = {"mime": "fig_mime", "ingest": "fig_ingest", "api": "fig_api",
           "model": "fig_model", "idle": "fig_idle", "memory": "fig_memory",
           "scale": "fig_scale", "split": "fig_split"}
# Groups that read what an earlier group left (the API clones the pipeline's drafts).
NEEDS = {"api": "ingest"}


class Ctx:
    def __init__(self, src, build, tmp, sz):
        self.src = src
        self.build = build
        self.tmp = tmp
        self.sizes = sz
        self.draftd = os.path.join(build, "draftd")
        self.mime_bench = os.path.join(build, "tests", "mime_bench")
        self.svc = Services(src, tmp)
        self.mail_info = {}
        self.state = {}
        self.t0 = time.monotonic()

    def say(self, msg):
        print("bench [%4.0fs]: %s" % (time.monotonic() - self.t0, msg), flush=True)

    def log(self, what):
        return os.path.join(self.tmp, what + ".log")


def machine():
    load = os.getloadavg()
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return {"cpus": os.cpu_count(), "cpu": model, "mem_mb": mem, "kernel": platform.release(),
            "loadavg_at_start": [round(x, 2) for x in load]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=sizes.usage())
    ap.add_argument("--scale", action="store_true", help="the scale run (make bench-scale)")
    ap.add_argument("--only", help="comma-separated groups: " + ", ".join(GROUPS + SCALE_GROUPS))
    args = ap.parse_args()
    src = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    build = os.environ.get("BUILD", "build")
    build = build if os.path.isabs(build) else os.path.join(src, build)
    smoke = os.environ.get("BENCH_SMOKE") == "1"
    groups = SCALE_GROUPS if args.scale else GROUPS
    if args.only:
        groups = [g for g in args.only.split(",") if g]
        bad = [g for g in groups if g not in MODULES]
        if bad:
            ap.error("unknown group(s): %s" % ", ".join(bad))
        for g in list(groups):
            if g in NEEDS and NEEDS[g] not in groups:
                groups.insert(groups.index(g), NEEDS[g])
    sz = sizes.Sizes(smoke=smoke, scale=args.scale)
    default_out = "scale.json" if args.scale else "results.json"
    out = os.environ.get("BENCH_RESULTS") or os.path.join(src, "tests/bench/results",
                                                          default_out)
    for tool in ("psql", "doveadm", "wrk", "pgbench", "mbsync"):
        if not shutil.which(tool, path=os.environ["PATH"]):
            print("bench: '%s' is missing: run deploy/install-deps.sh" % tool)
            return 2
    for f in (os.path.join(build, "draftd"), os.path.join(build, "tests", "mime_bench")):
        if not os.access(f, os.X_OK):
            print("bench: %s is missing (make bench builds it)" % f)
            return 2

    tmp = tempfile.mkdtemp(prefix="draftd-bench.", dir="/tmp")
    os.chmod(tmp, 0o755)
    ctx = Ctx(src, build, tmp, sz)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    figures, broken = [], []
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": machine(), "sizes": sz.used, "smoke": smoke, "scale": args.scale,
            "commit": os.popen("git -C '%s' describe --always --dirty 2>/dev/null" % src)
            .read().strip()}
    try:
        if any(g != "mime" for g in groups):
            ctx.say("starting the test services in %s" % ctx.svc.dir)
            ctx.svc.start()
            # pg_stat_statements for statements per message / request; room for
            # one connection per mailbox at 200 mailboxes (draftd today).
            ctx.svc.pg_settings({"shared_preload_libraries": "pg_stat_statements",
                                 "pg_stat_statements.track_planning": "on",
                                 "pg_stat_statements.track": os.environ.get("BENCH_PGSS", "top"),
                                 "max_connections": "600"})
            ctx.svc.load_business()
        for g in groups:
            mod = __import__(MODULES[g])
            t = time.monotonic()
            try:
                got = mod.run(ctx)
            except BenchError as e:
                ctx.say("%s: could not be measured: %s" % (g, e))
                broken.append(g)
                got = []
            except Exception:  # a bug in the bench: say where, go on with the rest
                traceback.print_exc()
                broken.append(g)
                got = []
            figures += got
            meta.setdefault("group_seconds", {})[g] = round(time.monotonic() - t, 1)
            ctx.say("%s done in %.0f s" % (g, time.monotonic() - t))
    except KeyboardInterrupt:
        print("bench: interrupted")
        return 130
    except BenchError as e:
        print("bench: %s" % e)
        return 2
    finally:
        proc.stop_all()
        ctx.svc.stop()
        meta["seconds"] = round(time.monotonic() - ctx.t0, 1)
        meta["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("bench: kept %s" % tmp)

    meta["broken"] = broken
    report.write_json(out, figures, meta)
    print()
    for line in report.table(figures):
        print(line)
    print()
    print("bench: %d figures in %.0f s; results in %s" % (len(figures), meta["seconds"], out))
    missed = [f.name.strip() for f in figures if f.passed is False]
    if broken:
        print("bench: could not measure: %s" % ", ".join(broken))
        return 2
    if smoke:
        print("bench: smoke run (toy sizes): targets not judged")
        return 0
    if missed:
        print("bench: %d target(s) missed: %s" % (len(missed), "; ".join(missed)))
        return 1
    print("bench: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
