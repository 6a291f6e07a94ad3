#!/bin/bash
# SPDX-License-Identifier: MIT
# The model-based test of issue 11 (tests/model/review_model.py): seeded
# random sequences of reviewer actions, new mail and kill -9 restarts of
# draftd over real Postgres, Dovecot and the SMTP sink, checked after every
# restart and at the end. A failing seed is printed with its replay command.
#   REVIEW_MODEL_SEEDS="1 2 3" (default: 2 seeds picked from the date, so
#   every day tries new ones; the seed is always printed)
#   REVIEW_MODEL_STEPS=300
set -u
. "$(dirname "$0")/lib/common.sh"

seeds=${REVIEW_MODEL_SEEDS:-"$(($(date +%j) * 2 + 1)) $(($(date +%j) * 2 + 2))"}
steps=${REVIEW_MODEL_STEPS:-300}
for seed in $seeds; do
	dir=$ITMP/seed$seed
	mkdir -p "$dir"
	chmod 755 "$dir"
	/usr/bin/python3 "${DRAFTD_SRCDIR:-.}/tests/model/review_model.py" --seed "$seed" \
		--steps "$steps" --tmp "$dir" >"$dir/out" 2>&1 </dev/null &
	model=$!
	# stopped from outside: the model stops its draftd and sink on TERM
	trap 'kill -TERM $model 2>/dev/null; wait $model; itest_cleanup' EXIT
	wait $model
	rc=$?
	trap itest_cleanup EXIT
	# a killed run leaves its draftd behind: stop it by the PID it recorded
	[ -s "$dir/draftd.pid" ] && kill -KILL "$(cat "$dir/draftd.pid")" 2>/dev/null
	"${DRAFTD_SRCDIR:-.}/tests/services/smtp.sh" stop "$dir/sink" >/dev/null 2>&1
	cat "$dir/out"
	if [ $rc -eq 0 ]; then
		ok "review model, seed $seed, $steps steps"
	else
		not_ok "review model, seed $seed, $steps steps (replay: REVIEW_MODEL_SEEDS=$seed REVIEW_MODEL_STEPS=$steps)"
		tail -20 "$dir"/run*.log 2>/dev/null | grep -i 'error' | tail -5
	fi
done
