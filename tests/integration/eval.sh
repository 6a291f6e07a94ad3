#!/bin/bash
# SPDX-License-Identifier: MIT
# `draftd eval` (issue 17, item 6) on the shared corpus (the keyword lists'
# tuning set; skipped when absent) and on the held-apart set of
# tests/fixtures/eval (scored, never tuned on: tests/README.md), each with a
# 5-fold split for naive Bayes. Prints both tables and checks floors a
# regression would break (the pipeline is deterministic: no flakes):
# never_auto mail is never sent automatically, noise is skipped, categories,
# rule outcomes, keys, figures and reply language hold their level, and the
# naive Bayes model (trained on four folds, scored on the fifth) never makes
# the category, the rule outcomes or noise screening worse than keywords
# alone, nor sends never_auto mail even at threshold 0 (issue 17 follow-up).
set -u
. "$(dirname "$0")/lib/common.sh"

src=${DRAFTD_SRCDIR:-.}
corpus=${DRAFTD_CORPUS:-$src/../shared/corpus}

# floors NAME JSON CHECK...: each CHECK is "path op value" on the report;
# value is a number or another path ("keywords_bayes.category.rate >=
# keywords.category.rate": the Bayes model never makes it worse)
floors() {
	local name=$1 json=$2
	shift 2
	/usr/bin/python3 - "$name" "$json" "$@" <<'PY'
import json, sys
name, path, checks = sys.argv[1], sys.argv[2], sys.argv[3:]
r = json.load(open(path))
def get(key):
    v = r
    for k in key.split("."):
        v = v[k]
    return v
for c in checks:
    key, op, want = c.split()
    v = get(key)
    try:
        w = float(want)
        shown = "%g" % w
    except ValueError:
        w = get(want)
        shown = "%s (%s)" % (want, w)
    good = {"==": v == w, ">=": v >= w, "<=": v <= w}[op]
    print(("ok - " if good else "not ok - ") + "%s: %s %s %s (is %s)" % (name, key, op, shown, v))
PY
}

run_eval() {
	local name=$1 dir=$2 json=$ITMP/$1.json
	(cd "$src" && "$DRAFTD" eval --dir "$dir" --json "$json" --folds 5) >"$ITMP/$name.out" 2>&1
	local rc=$?
	sed 's/^/# /' "$ITMP/$name.out"
	check "$name: draftd eval runs" test $rc -eq 0 -a -s "$json"
}

if [ -d "$corpus/mail" ]; then
	run_eval corpus "$corpus"
	# tuning set: the keyword lists were written with it in view
	floors corpus "$ITMP/corpus.json" \
		"keywords.never_auto.auto_sent == 0" \
		"keywords_bayes.never_auto.auto_sent_at_threshold == 0" \
		"keywords_bayes.never_auto.auto_sent == 0" \
		"keywords.injection.auto_sent == 0" \
		"keywords.category.rate >= 0.95" \
		"keywords_bayes.category.rate >= 0.95" \
		"keywords_bayes.category.rate >= keywords.category.rate" \
		"keywords_bayes.rules.rate >= keywords.rules.rate" \
		"keywords_bayes.noise_skipped.rate >= 1" \
		"keywords.noise_skipped.rate >= 1" \
		"keywords.drafted.rate >= 0.95" \
		"keywords.rules.rate >= 0.95" \
		"keywords.language.rate >= 0.95" \
		"keywords.figures.unsupported == 0" \
		"keywords.keys.exact >= 37"
else
	ok "eval on the shared corpus # SKIP: $corpus is absent"
fi

run_eval held-apart "$src/tests/fixtures/eval"
# held apart: scored as it is (README.md reports the figures)
floors held-apart "$ITMP/held-apart.json" \
	"keywords.never_auto.auto_sent == 0" \
	"keywords_bayes.never_auto.auto_sent_at_threshold == 0" \
	"keywords_bayes.never_auto.auto_sent == 0" \
	"keywords.injection.auto_sent == 0" \
	"keywords.category.rate >= 0.9" \
	"keywords_bayes.category.rate >= 0.95" \
	"keywords_bayes.category.rate >= keywords.category.rate" \
	"keywords_bayes.rules.rate >= keywords.rules.rate" \
	"keywords_bayes.noise_skipped.rate >= keywords.noise_skipped.rate" \
	"keywords.noise_skipped.rate >= 0.85" \
	"keywords.drafted.rate >= 0.9" \
	"keywords.rules.rate >= 0.9" \
	"keywords.language.rate >= 0.95" \
	"keywords.figures.unsupported == 0" \
	"keywords.keys.exact >= 58"
