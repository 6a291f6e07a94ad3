#!/bin/bash
# SPDX-License-Identifier: MIT
# `make fuzz`: runs each libFuzzer harness of FUZZ_BUILD/fuzz/ for
# FUZZ_SECONDS (default 60) on a scratch copy of its seed corpus
# (tests/fixtures/fuzz/<target>/, plus ../shared/corpus when present), so the
# committed seeds never change. A crash, leak, sanitizer report or timeout
# leaves its input in FUZZ_OUT (default build/fuzz/findings/<target>/) and
# fails the run: reproduce with `FUZZ_BUILD/fuzz/<target> FILE`, then add
# the file to tests/fixtures/fuzz/<target>/ with the fix so that
# `make test` replays it.
#   tests/fuzz/run.sh [TARGET...]   (default: every harness built)
set -u
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_OUT=${FUZZ_OUT:-$FUZZ_BUILD/findings}
corpus=${DRAFTD_CORPUS:-../shared/corpus}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in "$FUZZ_BUILD"/fuzz/*; do
		[ -x "$b" ] && targets+=("$(basename "$b")")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no harness built in $FUZZ_BUILD/fuzz (run make fuzz)"; exit 1; }

# extra seeds from the shared corpus, when it is there
extra_seeds() {
	case $1 in
	mime) [ -d "$corpus/mail" ] && echo "$corpus/mail" ;;
	rules) [ -f "$corpus/data/rules.json" ] && echo "$corpus/data/rules.json" ;;
	esac
}

failed=""
printf '%-14s %8s %10s %8s %s\n' target seconds execs corpus result
for t in "${targets[@]}"; do
	bin=$FUZZ_BUILD/fuzz/$t
	[ -x "$bin" ] || { echo "fuzz: $bin missing"; failed="$failed $t"; continue; }
	work=$FUZZ_OUT/$t
	rm -rf "$work"
	mkdir -p "$work/corpus"
	cp tests/fixtures/fuzz/"$t"/* "$work/corpus/" 2>/dev/null
	for s in $(extra_seeds "$t"); do
		cp -r "$s" "$work/corpus/" 2>/dev/null
		[ -d "$s" ] && cp "$s"/* "$work/corpus/"
	done
	rm -rf "$work/corpus/mail"
	# -timeout: one input taking 10 s is a finding (runaway regex, loop);
	# -rss_limit_mb: so is memory past 2 GB; leaks are reported by ASan.
	# timeout(1) bounds the whole run in case the fuzzer itself wedges.
	timeout -k 5 $((FUZZ_SECONDS + 60)) "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 </dev/null
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	size=$(find "$work/corpus" -type f | wc -l)
	result=ok
	if [ $rc -ne 0 ] || ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
		result="FOUND (rc=$rc): $(ls "$work" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -n 3 | tr '\n' ' ')"
		failed="$failed $t"
	fi
	printf '%-14s %8s %10s %8s %s\n' "$t" "$FUZZ_SECONDS" "${execs:-?}" "$size" "$result"
done
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed (logs and inputs under $FUZZ_OUT/)"
	exit 1
fi
echo "fuzz: no finding in ${#targets[@]} targets x ${FUZZ_SECONDS} s"
