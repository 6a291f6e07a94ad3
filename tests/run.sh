#!/bin/bash
# SPDX-License-Identifier: MIT
# The test driver behind `make test`: starts the test services (Postgres,
# Dovecot, SMTP sink) in a temp dir, runs the CUnit suites and every
# tests/integration/*.sh, stops the services by PID on every exit path, and
# ends with one "N passed, N failed" line.
#   tests/run.sh [--unit-only] [SUITE...]
# BUILD (default build) says where the binaries are; VALGRIND=1 runs the
# unit tests under valgrind.
set -u
cd "$(dirname "$0")/.."
export DRAFTD_SRCDIR=$PWD
BUILD=${BUILD:-build}
export DRAFTD_BIN=$PWD/$BUILD/draftd
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then
	unit_only=1
	shift
fi

tmp=$(mktemp -d /tmp/draftd-test.XXXXXX)
chmod 755 "$tmp"
export DRAFTD_TEST_TMP=$tmp
cleanup() {
	tests/services/all.sh stop "$tmp/svc" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -d ../shared/corpus ] && [ -z "${DRAFTD_CORPUS:-}" ]; then
	echo "NOTE: ../shared/corpus is absent: the corpus acceptance tests report SKIPPED"
fi

echo "== starting test services in $tmp/svc"
mkdir -p "$tmp/svc"
if ! tests/services/all.sh start "$tmp/svc"; then
	echo "could not start the test services"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC1091
. "$tmp/svc/env.sh"

passed=0
failed=0
failures=""

echo "== unit tests ($BUILD/tests/unit_tests)"
runner=()
if [ "${VALGRIND:-}" = 1 ]; then
	runner=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
		--suppressions=tests/valgrind.supp)
fi
"${runner[@]}" "$BUILD/tests/unit_tests" "$@" 2>&1 | tee "$tmp/unit.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$tmp/unit.log" | tail -n 1)
if [ -n "$line" ]; then
	p=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failures="$failures unit"
fi
if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
	# a crash, a sanitizer report or a valgrind error without a failed assertion
	echo "unit tests exited with status $rc"
	failed=$((failed + 1))
	failures="$failures unit(exit $rc)"
fi

if [ "$unit_only" -eq 0 ]; then
	for t in tests/integration/*.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		echo "== integration: $name"
		bash "$t" 2>&1 | tee "$tmp/$name.log"
		rc=${PIPESTATUS[0]}
		p=$(grep -c '^ok ' "$tmp/$name.log")
		f=$(grep -c '^not ok ' "$tmp/$name.log")
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
			[ "$f" -ne 0 ] || failed=$((failed + 1))
			failures="$failures $name"
		fi
	done
fi

echo
[ -z "$failures" ] || echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
