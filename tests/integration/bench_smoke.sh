#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench` and `make bench-scale` at toy sizes (BENCH_SMOKE=1, every
# group in one run, about 25 s), so that their scripts do not rot between
# bench runs: every figure group must be measured and every figure must have
# a value. The numbers mean nothing here and are
# never judged against targets (no timed assertion in `make test`).
set -u
. "$(dirname "$0")/lib/common.sh"
here=$(cd "$(dirname "$0")" && pwd)
out=$ITMP/results.json
BUILD=$(dirname "$DRAFTD")
if [ ! -x "$BUILD/tests/mime_bench" ]; then
	make -s -C "$here/../.." BUILD="$BUILD" "$BUILD/tests/mime_bench" >"$ITMP/make.log" 2>&1 ||
		{ cat "$ITMP/make.log"; not_ok "bench smoke: build mime_bench"; exit 1; }
fi
BUILD=$BUILD BENCH_SMOKE=1 BENCH_RESULTS=$out "$here/../bench/run.sh" \
	--only mime,ingest,api,model,idle,memory,scale,split >"$ITMP/bench.log" 2>&1
rc=$?
check "bench smoke: the bench ran (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 30 "$ITMP/bench.log"
check "bench smoke: results.json has every figure with a value" /usr/bin/python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
figs = d["figures"]
need = ["MIME parse", "ingest", "pipeline", "API", "model slots", "IDLE", "mailboxes",
        "scale:", "two instances"]
missing = [n for n in need if not any(n in f["name"] for f in figs)]
empty = [f["name"] for f in figs if f["value"] is None]
keys = {"name", "baseline", "value", "ratio", "target", "pass"}
shape = [f["name"] for f in figs if not keys <= set(f)]
for what, bad in (("missing groups", missing), ("no value", empty), ("keys missing", shape)):
    if bad:
        print("bench smoke: %s: %s" % (what, ", ".join(bad)))
sys.exit(1 if missing or empty or shape or d["meta"]["broken"] else 0)
PY
check "bench smoke: the table was printed" grep -q '^figure .*baseline (same run)' "$ITMP/bench.log"
# Not a speed figure: two instances on one database store and draft each mail once.
check "bench smoke: two instances stored and drafted every mail once" /usr/bin/python3 - "$out" <<'PY'
import json, sys
figs = [f for f in json.load(open(sys.argv[1]))["figures"]
        if f["name"].startswith("two instances:")]
for f in figs:
    if f["pass"] is not True:
        print("bench smoke: %s = %s" % (f["name"], f["value"]))
sys.exit(0 if len(figs) == 3 and all(f["pass"] is True for f in figs) else 1)
PY
