#!/bin/bash
# SPDX-License-Identifier: MIT
# Replays every fuzz seed corpus and crash regression of tests/fixtures/fuzz/
# through the plain fuzz_replay driver (tests/fuzz/replay.c, normal
# compiler): the same harness code `make fuzz` runs under libFuzzer, in
# seconds. One check per target; a harness that finds a bug aborts.
set -u
. "$(dirname "$0")/lib/common.sh"
src=${DRAFTD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$(dirname "$DRAFTD")/tests/fuzz_replay
if [ ! -x "$bin" ]; then
	build=$(dirname "$DRAFTD")
	make -s -C "$src" BUILD="${build#"$src"/}" "${build#"$src"/}/tests/fuzz_replay" >"$ITMP/make.log" 2>&1 ||
		{ not_ok "build fuzz_replay: $(tail -3 "$ITMP/make.log")"; exit 1; }
fi
for dir in "$src"/tests/fixtures/fuzz/*/; do
	t=$(basename "$dir")
	out=$("$bin" "$t" "$dir" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && ok "fuzz replay $t (${out##*: })" || not_ok "fuzz replay $t: rc=$rc $(echo "$out" | tail -3)"
done
