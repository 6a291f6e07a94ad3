#!/bin/bash
# SPDX-License-Identifier: MIT
# make lint: clang-format conformance and banned constructs in the C files
# given as arguments. Prints each problem as FILE:LINE and exits 1 on any.
set -u
status=0
files=("$@")
[ ${#files[@]} -gt 0 ] || exit 0

if command -v clang-format >/dev/null; then
	for f in "${files[@]}"; do
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "$f: not clang-formatted (run: make format)"
			status=1
		fi
	done
else
	echo "lint: clang-format missing (deploy/install-deps.sh installs it)"
	status=1
fi

# Unbounded or unsafe calls: use snprintf, str_copy, buf_*, parse_u64.
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)\s*\(' "${files[@]}" |
	grep -vE ':\s*(/\*|\*|//)'; then
	echo "lint: banned call above (sprintf strcpy strcat strtok atoi gets)"
	status=1
fi

# SQL is never built from strings: a printf-style call or buffer append that
# carries a DML keyword means values were pasted into SQL. Use $1 parameters.
# (IMAP's SELECT command is no SQL: a statement needs its FROM/INTO/SET.)
if grep -nE '(printf|buf_append|buf_printf)\s*\(.*"[^"]*\b(SELECT\b.*\bFROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b' "${files[@]}" |
	grep -v 'lint-ok: identifier'; then
	echo "lint: string-built SQL above (use PQexecParams with \$1 parameters)"
	status=1
fi

# C11 wants a statement after a label: gcc takes "out:" right before the
# closing brace, clang 14 (make fuzz) refuses it. Write "out:\n\treturn;".
if awk 'prev ~ /^[A-Za-z_][A-Za-z_0-9]*:[ \t]*$/ && /^[ \t]*}/ {print FILENAME ":" FNR-1 ": " prev} {prev = $0}' \
	"${files[@]}" | grep .; then
	echo "lint: a label with no statement after it above (clang refuses it)"
	status=1
fi

# tree_check SCRIPT WHAT: runs a whole-tree check, after it proved with
# --self-test (in a throwaway tree) that it still catches WHAT.
here=$(dirname "$0")
tree_check() {
	if ! out=$(python3 "$here/$1" --self-test 2>&1); then
		echo "$out"
		echo "lint: tests/$1 no longer catches $2"
		status=1
	elif ! python3 "$here/$1" "$here/.."; then
		status=1
	fi
}
# The dependency rule between modules (docs/architecture.md).
tree_check lint_deps.py "a bad include"
# One error convention: no new (char *err, size_t) pair or errbuf parameter
# in a header; the ones not converted yet are in tests/lint_errors.allow.
tree_check lint_errors.py "an old-style error parameter"

[ $status -eq 0 ] && echo "lint: ok (${#files[@]} files)"
exit $status
