#!/bin/bash
# SPDX-License-Identifier: MIT
# The promotion evidence from rollups (migration 0200, issue 16 item 6)
# against real PostgreSQL: after each round of a seeded random history
# (drafts on any of the last 45 days, decisions spread around the window's
# edges, edit distances on and off the 0.01 grid and on it exactly,
# rejections as wrong, rules fired, shadow results, samples, undo,
# supersede, recategorise, delete, whole transactions rolled back, the
# table truncated, categories promoted at random moments), the evidence
# promotion_evidence() reads from the rollups equals, field by field, the
# old read of every draft of the window (promotion_evidence_rows()) for
# many windows (their starts at random moments, exactly at midnight UTC,
# drafts exactly on the start and on the first day's end) and unchanged
# thresholds. promo_rollup_drift stays empty. A failing run prints its
# seed: DRAFTD_PROMO_SEED=N replays it; DRAFTD_PROMO_ROUNDS sets the rounds
# (make test-long runs more).
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(db_url_for draftd_it_promotion_rollup) || { not_ok "promotion rollup: create database"; exit 0; }
conf=$ITMP/draftd.conf
write_config "$conf" database URL="$url" || { not_ok "promotion rollup: write_config"; exit 0; }
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "promotion rollup: migrate"; exit 0; }

seed=${DRAFTD_PROMO_SEED:-$(((RANDOM << 15) | RANDOM))}
rounds=${DRAFTD_PROMO_ROUNDS:-10}
echo "# promotion rollup: seed $seed, $rounds rounds (DRAFTD_PROMO_SEED=$seed replays)"

psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null -f "$(dirname "$0")/lib/promo_history.sql" ||
	{ not_ok "promotion rollup: fixtures"; exit 0; }

# compare ROUND_SEED: the two reads for many windows and thresholds, inside
# a transaction that adds drafts exactly on the windows' edges and is
# rolled back; prints the differences (nothing when equal)
compare() {
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 2>&1 <<SQL
BEGIN;
SELECT promo_compare($1, 12);
ROLLBACK;
SQL
}

fails=0
checked=0
# one_round R: round R of the history, then the comparison and the drift
one_round() {
	local r=$1 rseed end out drift
	rseed=$(python3 -c "import random; random.seed($seed * 1000 + $r); print(random.random())")
	case $((r % 5)) in
	2) end=ROLLBACK ;; # a transaction that dies: its changes and their rollup shares go together
	*) end=COMMIT ;;
	esac
	if [ "$r" -eq 3 ] && [ "$rounds" -gt 5 ]; then # early: the history grows again after it
		psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<'SQL' || echo "# round $r: truncate failed"
TRUNCATE drafts CASCADE;
SELECT promo_messages();
SQL
	fi
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null 2>"$ITMP/round.err" <<SQL || { fails=$((fails + 1)); echo "# round $r: $(head -c 300 "$ITMP/round.err")"; return; }
BEGIN;
SELECT promo_round($rseed, 150);
$end;
SQL
	out=$(compare "$rseed")
	checked=$((checked + 1))
	if [ -n "$out" ]; then
		fails=$((fails + 1))
		echo "# round $r: $(echo "$out" | head -3)"
	fi
	drift=$(psql_value "$url" "SELECT count(*) FROM promo_rollup_drift")
	[ "$drift" = 0 ] || { fails=$((fails + 1)); echo "# round $r: promo_rollup_drift lists $drift groups"; }
}

# counts_missing: the counts no category has above 0 over 30 days at 0.05
# (one category auto since 10 days ago, so that "post" has something)
counts_missing() {
	psql -XAtq -d "$url" 2>&1 <<'SQL'
BEGIN;
UPDATE categories SET mode = 'auto', promoted_at = now() - interval '10 days' WHERE name = 'order_status';
SELECT string_agg(k, ' ') FROM unnest(ARRAY['approved_unchanged',
  'approved_edited', 'rejected_wrong', 'never_auto_hits', 'shadow_agreed', 'shadow_edited',
  'shadow_rejected', 'auto_replies', 'samples_fine', 'post_reviewed', 'post_unchanged',
  'post_wrong', 'post_fine', 'post_bad']) k WHERE NOT EXISTS (SELECT 1 FROM
  promotion_evidence_rows(30 * 86400, 0.05) x WHERE (x::jsonb->>k)::int > 0);
SELECT promo_diff(30 * 86400, 5);
ROLLBACK;
SQL
}

for r in $(seq 1 "$rounds"); do
	one_round "$r"
done
# The histories must exercise every count. A rare one (post_wrong: an
# automatic reply in the window that a sample found wrong) can be missing
# after few rounds of some seed: more rounds of the same seed, each
# compared like the others, until every count has something (at most 20)
missing=$(counts_missing)
extra=0
while [ -n "$missing" ] && [ "$extra" -lt 20 ]; do
	extra=$((extra + 1))
	one_round $((rounds + extra))
	missing=$(counts_missing)
done
rounds=$((rounds + extra))
[ "$extra" = 0 ] || echo "# $extra more round(s) until every count had something"
n=$(psql_value "$url" "SELECT count(*) FROM drafts")
w=$(psql_value "$url" "SELECT count(DISTINCT promo_day(coalesce(decided_at, created_at))) FROM drafts")
[ "$fails" = 0 ] && [ "$checked" = "$rounds" ] &&
	ok "evidence from the rollups equals the read of every draft, field by field, after each of $rounds random rounds, 12 windows and thresholds each ($n drafts on $w days at the end; seed $seed)" ||
	not_ok "evidence from the rollups differs in $fails of $rounds rounds (DRAFTD_PROMO_SEED=$seed replays)"

# The histories exercise every count: at the end, over 30 days at 0.05,
# each of these is above 0 in some category
[ -z "$missing" ] && ok "the random histories give every count something to compare (and the two reads agree on them)" ||
	not_ok "the random histories leave these counts at 0: $missing"

# The comparison can see an edge day done wrong: a reader that counts the
# window's whole first day (instead of its part after the start) differs.
out=$(psql -XAtq -d "$url" 2>&1 <<'SQL'
BEGIN;
CREATE OR REPLACE FUNCTION promo_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (t AT TIME ZONE 'UTC')::date - 1 $$;
SELECT promo_compare(0.5, 12);
ROLLBACK;
SQL
)
case $out in
*differs*) ok "a broken edge day (the window's whole first day counted) makes the comparison fail" ;;
*) not_ok "a broken edge day went unnoticed: $out" ;;
esac

# ... and a threshold off by one hundredth
out=$(psql -XAtq -d "$url" 2>&1 <<'SQL'
BEGIN;
CREATE OR REPLACE FUNCTION promotion_evidence_rows(window_s int, threshold float8) RETURNS SETOF text
LANGUAGE sql AS $$ SELECT * FROM promotion_evidence(window_s, round(threshold * 100)::int + 1) $$;
SELECT promo_compare(0.75, 12);
ROLLBACK;
SQL
)
case $out in
*differs*) ok "a threshold one hundredth off makes the comparison fail" ;;
*) not_ok "a threshold one hundredth off went unnoticed: $out" ;;
esac

# The two reads end in one shared step (migration 0216): a change to
# promotion_evidence_json() shows in both, for every category
out=$(psql -XAtq -d "$url" 2>&1 <<'SQL'
BEGIN;
CREATE OR REPLACE FUNCTION promotion_evidence_json(counts jsonb, reasons promo_reason_count[])
RETURNS TABLE (category text, evidence text) LANGUAGE sql STABLE AS $$
    SELECT c.name, c.name || '|' || coalesce(counts->c.name, '{}')::text FROM categories c
$$;
SELECT (SELECT count(*) FROM promotion_evidence(30 * 86400, 5) x WHERE x LIKE '%|%') || ' '
    || (SELECT count(*) FROM promotion_evidence_rows(30 * 86400, 0.05) x WHERE x LIKE '%|%') || ' '
    || (SELECT count(*) FROM categories);
ROLLBACK;
SQL
)
n=$(psql_value "$url" "SELECT count(*) FROM categories")
[ "$out" = "$n $n $n" ] && [ "$n" -gt 0 ] &&
	ok "both evidence reads end in promotion_evidence_json(): a change to it shows in both ($n categories)" ||
	not_ok "a change to promotion_evidence_json() does not reach both reads: $out (want $n $n $n)"

# What a rejection reason says is written once (migration 0245): the key it
# is grouped under and whether it says "wrong" are promo_reason() and
# promo_rejected_wrong(), and nothing else spells them out ...
n=$(psql_value "$url" "SELECT coalesce(string_agg(proname, ' ' ORDER BY proname), '') FROM pg_proc
  WHERE prosrc LIKE '%(no reason)%' OR prosrc LIKE '%''wrong\%''%'")
[ "$n" = "promo_reason promo_rejected_wrong" ] &&
	ok "the rejection reason's key and its 'wrong' are spelt out once (promo_reason, promo_rejected_wrong)" ||
	not_ok "the rejection reason's key or its 'wrong' is spelt out in: $n (want promo_reason promo_rejected_wrong)"

# ... so a change to them reaches the rollups (after their rebuild, as a
# migration changing them must do) and the read of every draft alike: the
# two reads still agree, every reason carries the change, and every
# rejection (a reason now always "wrong") counts as wrong in both
out=$(psql -XAtq -d "$url" 2>&1 <<'SQL'
BEGIN;
CREATE OR REPLACE FUNCTION promo_reason(reject_reason text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'wrong: ' || coalesce(btrim(reject_reason), '-') $$;
SELECT count(*) > 0 FROM (SELECT promo_rollup_rebuild()) x;
WITH r AS (SELECT x::jsonb AS v, 'rollups' AS src FROM promotion_evidence(30 * 86400, 5) x
           UNION ALL
           SELECT x::jsonb, 'rows' FROM promotion_evidence_rows(30 * 86400, 0.05) x),
     k AS (SELECT r.src, k FROM r, jsonb_object_keys(r.v->'rejection_reasons') k)
-- per read: reasons without the change, rejections not counted wrong, reasons
SELECT src || ' ' || (SELECT count(*) FROM k WHERE k.src = r.src AND k.k NOT LIKE 'wrong: %')
       || ' ' || sum(coalesce((v->>'rejected')::int, 0) - coalesce((v->>'rejected_wrong')::int, 0))
       || ' ' || (SELECT count(*) FROM k WHERE k.src = r.src)
FROM r GROUP BY src ORDER BY src;
SELECT coalesce(promo_compare(0.4, 6), 'equal');
ROLLBACK;
SQL
)
if echo "$out" | grep -qx 'rollups 0 0 [1-9][0-9]*' && echo "$out" | grep -qx 'rows 0 0 [1-9][0-9]*' &&
	[ "$(echo "$out" | sed -n 's/^rollups 0 0 //p')" = "$(echo "$out" | sed -n 's/^rows 0 0 //p')" ] &&
	[ "$(echo "$out" | tail -1)" = equal ]; then
	ok "a change to promo_reason() shows in both reads alike (its reasons and its 'wrong')"
else
	not_ok "a change to promo_reason() does not reach both reads alike: $(echo "$out" | tr '\n' ' ' | head -c 400)"
fi

# The trigger keeps the rollups with one grouped upsert over the signed set
# of the statement's rows (migration 0215), whatever the event
n=$(psql_value "$url" "SELECT count(*) FROM pg_proc p, regexp_matches(p.prosrc, 'INSERT INTO promo_rollup', 'g') m WHERE p.proname = 'promo_rollup_on_change'")
[ "$n" = 1 ] && ok "promo_rollup_on_change() writes the rollups from one statement for INSERT, UPDATE and DELETE" ||
	not_ok "promo_rollup_on_change() has $n upserts into promo_rollup (want 1)"

# draftd's own read (GET /stats, the promotion pass) is the rollups' one:
# draftd stats --json gives the same evidence as the read of every draft
"$DRAFTD" stats --config "$conf" --json >"$ITMP/stats.json" 2>"$ITMP/stats.err"
psql -XAtq -d "$url" -c "SELECT coalesce(jsonb_agg(x::jsonb), '[]') FROM promotion_evidence_rows(30 * 86400, 0.05) x" >"$ITMP/rows.json"
python3 - "$ITMP/stats.json" "$ITMP/rows.json" <<'PY' >"$ITMP/cmp.out" 2>&1
import json, sys
stats = json.load(open(sys.argv[1]))
rows = json.load(open(sys.argv[2]))
got = {c["category"]: c for c in stats["categories"]}
want = {c["category"]: c for c in rows}
bad = []
n = 0
for name, w in want.items():
    g = got.get(name)
    if g is None:
        bad.append((name, "missing"))
        continue
    # the counts draftd passes on as they are (it groups some, e.g. samples)
    for k, v in w.items():
        if isinstance(v, int) and not isinstance(v, bool) and k in g and not isinstance(g[k], dict):
            n += 1
            if g[k] != v:
                bad.append((name, k, g[k], v))
print(bad[:3] if bad else "%d counts" % n)
sys.exit(1 if bad or n < 20 else 0)
PY
[ $? = 0 ] && ok "draftd stats --json: the evidence equals the read of every draft ($(cat "$ITMP/cmp.out"))" ||
	not_ok "draftd stats --json evidence: $(cat "$ITMP/cmp.out") $(head -c 300 "$ITMP/stats.err")"

# draftd stats --rebuild recomputes these rollups too
psql -XAtq -d "$url" -c "UPDATE promo_rollup SET drafted = drafted + 3 WHERE ctid IN (SELECT ctid FROM promo_rollup LIMIT 2)" >/dev/null
drift=$(psql_value "$url" "SELECT count(*) FROM promo_rollup_drift")
"$DRAFTD" stats --config "$conf" --rebuild >"$ITMP/rebuild.out" 2>&1
[ "$drift" -gt 0 ] && [ "$(psql_value "$url" "SELECT count(*) FROM promo_rollup_drift")" = 0 ] &&
	[ -z "$(compare 0.25)" ] &&
	ok "promotion rollups tampered with show in promo_rollup_drift ($drift groups); draftd stats --rebuild puts them back" ||
	not_ok "promotion rollups --rebuild: drift before $drift; $(tail -3 "$ITMP/rebuild.out")"

# The edit-distance buckets say exactly what the float8 comparison with each
# threshold J/100 says, for distances on the hundredths, a hair either side
# of them, ratios of small lengths (what edit distances are) and random ones
bad=$(psql_value "$url" "WITH v AS (
  SELECT j::float8 / 100 + d AS ed FROM generate_series(-1, 102) j,
    unnest(ARRAY[0, 1e-15, -1e-15, 1e-17, -1e-17, 1e-9, -1e-9, 2e-16, -2e-16]::float8[]) d
  UNION ALL SELECT random() * 1.2 - 0.1 FROM generate_series(1, 20000)
  UNION ALL SELECT k::float8 / n FROM generate_series(1, 200) n, generate_series(0, 200) k WHERE k <= n
  UNION ALL SELECT x FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity']::float8[]) x)
SELECT count(*) FROM v, generate_series(0, 100) t WHERE (ed <= t::float8 / 100) <> (promo_edit_bucket(ed) <= t + 1)")
[ "$bad" = 0 ] && ok "edit-distance buckets agree with 'edit_distance <= J/100' for every J and every distance tried" ||
	not_ok "edit-distance buckets disagree with the float comparison in $bad cases"
