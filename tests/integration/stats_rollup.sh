#!/bin/bash
# SPDX-License-Identifier: MIT
# The statistics rollups (migration 0175, issue 16 item 6) against real
# PostgreSQL: after a seeded random sequence of draft changes (stored,
# claimed, approved with an edit distance, sent, failed, rejected, sent
# automatically, superseded, recategorised, deleted, whole transactions
# rolled back, the table truncated), each from a new connection (so a
# new shard), the rollups the trigger kept equal a recomputation from the
# drafts (draft_rollup_rebuild()), after every round. A failing run prints
# its seed: DRAFTD_ROLLUP_SEED=N replays it; DRAFTD_ROLLUP_ROUNDS sets the
# rounds (make test-long runs more).
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(db_url_for draftd_it_stats_rollup) || { not_ok "stats rollup: create database"; exit 0; }
conf=$ITMP/draftd.conf
write_config "$conf" database URL="$url" || { not_ok "stats rollup: write_config"; exit 0; }
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "stats rollup: migrate"; exit 0; }

seed=${DRAFTD_ROLLUP_SEED:-$(((RANDOM << 15) | RANDOM))}
rounds=${DRAFTD_ROLLUP_ROUNDS:-12}
echo "# stats rollup: seed $seed, $rounds rounds (DRAFTD_ROLLUP_SEED=$seed replays)"

psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || { not_ok "stats rollup: fixtures"; exit 0; }
INSERT INTO mailboxes (id, name, imap_url, imap_user) VALUES (1, 'support', 'imap://x', 'x');
INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state)
  SELECT 1, 1, g, sha256(int8send(g)), 10, 'S' || g, 'drafted' FROM generate_series(1, 400) g;
-- one round of random changes; the seed is the first argument
CREATE FUNCTION rollup_round(seed float8, steps int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i int;
    a float8;
    did bigint;
    c text;
    at timestamptz;
    o text;
    cats text[] := ARRAY['order_status', 'stock_check', 'other', NULL];
    people text[] := ARRAY['rita', 'dave', 'auto', NULL];
BEGIN
    PERFORM setseed(seed);
    FOR i IN 1 .. steps LOOP
        a := random();
        SELECT id INTO did FROM drafts ORDER BY random() LIMIT 1;
        -- a step the constraints refuse (a second live draft or reply) is
        -- rolled back to its savepoint, its rollup shares with it
        BEGIN
        IF a < 0.30 OR did IS NULL THEN
            -- a new draft, on any of the last 40 days, some written by a person
            -- (drawn first: in the SELECT, PostgreSQL would reuse ORDER BY's random())
            c := cats[1 + floor(random() * 4)::int];
            at := now() - random() * interval '40 days';
            o := CASE WHEN random() < 0.1 THEN 'person' ELSE 'model' END;
            INSERT INTO drafts (message_id, category, subject, body, status, created_at, origin)
            SELECT m.id, c, 'Re', 'b', 'pending', at, o
            FROM messages m WHERE NOT EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id
                                              AND d.status IN ('pending', 'claimed'))
            ORDER BY random() LIMIT 1 + floor(random() * 3)::int;  -- several rows in one statement
        ELSIF a < 0.40 THEN
            UPDATE drafts SET status = 'claimed', reviewer = NULL WHERE id = did;
        ELSIF a < 0.60 THEN
            -- a decision: edit distances on the 0.01 grid and off it
            UPDATE drafts SET status = (ARRAY['approved', 'sent', 'failed', 'rejected'])[1 + floor(random() * 4)::int],
                   reviewer = people[1 + floor(random() * 3)::int],
                   decided_at = created_at + random() * random() * interval '3 days',
                   edit_distance = CASE WHEN random() < 0.15 THEN NULL
                                        WHEN random() < 0.5 THEN round(random()::numeric, 2)::float8
                                        ELSE random() * 1.2 END
            WHERE id = did;
        ELSIF a < 0.67 THEN
            UPDATE drafts SET status = 'auto_sent', reviewer = 'auto', decided_at = created_at
            WHERE id = did;
        ELSIF a < 0.74 THEN
            UPDATE drafts SET status = 'superseded' WHERE id = did;
        ELSIF a < 0.80 THEN
            c := cats[1 + floor(random() * 4)::int];
            UPDATE drafts SET category = c
            WHERE id IN (SELECT id FROM drafts ORDER BY random() LIMIT 3);
        ELSIF a < 0.85 THEN
            -- back to pending (an undo within the send delay), the decision kept or not
            UPDATE drafts SET status = 'pending',
                   decided_at = CASE WHEN random() < 0.5 THEN NULL ELSE decided_at END
            WHERE id = did;
        ELSIF a < 0.90 THEN
            UPDATE drafts SET body = body || '.', version = version + 1 WHERE id = did;
        ELSIF a < 0.95 THEN
            UPDATE drafts SET reviewer = people[1 + floor(random() * 4)::int] WHERE id = did;
        ELSE
            DELETE FROM drafts WHERE id IN (did, (SELECT id FROM drafts ORDER BY random() LIMIT 1));
        END IF;
        EXCEPTION WHEN unique_violation THEN
            NULL;
        END;
    END LOOP;
END $$;
-- the rollups summed over shards, zero rows left out
CREATE FUNCTION rollup_view() RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(json_agg(x ORDER BY x.day NULLS FIRST, x.category NULLS FIRST,
                             x.reviewer NULLS FIRST), '[]')::text
    FROM (SELECT day, category, reviewer, sum(drafted) AS drafted, sum(auto_sent) AS auto_sent,
                 sum(pending) AS pending, sum(rejected_any) AS rejected_any,
                 sum(reviewed) AS reviewed, sum(rejected) AS rejected, sum(edit_n) AS edit_n,
                 sum(edit_sum) AS edit_sum, sum(appr_edit_n) AS appr_edit_n,
                 sum(appr_edit_sum) AS appr_edit_sum,
                 draft_rollup_hist_sum(edit_hist) AS edit_hist,
                 draft_rollup_hist_sum(secs_hist) AS secs_hist
          FROM draft_rollup GROUP BY day, category, reviewer) x
$$;
SQL

# compare A B: equal but for float sums' last bits, zero rows and trailing zeros
compare() {
	python3 - "$1" "$2" <<'PY'
import json, math, sys
def norm(path):
    out = {}
    for r in json.load(open(path)):
        for h in ("edit_hist", "secs_hist"):
            v = list(r[h] or [])
            while v and v[-1] == 0:
                v.pop()
            r[h] = v
        key = (r.pop("day"), r.pop("category"), r.pop("reviewer"))
        if any(r[k] for k in r):
            out[key] = r
    return out
a, b = norm(sys.argv[1]), norm(sys.argv[2])
bad = [(k, a.get(k), b.get(k)) for k in sorted(set(a) ^ set(b), key=str)[:3]]
for k in set(a) & set(b):
    for f in a[k]:
        x, y = a[k][f], b[k][f]
        if isinstance(x, float) or isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                bad.append((k, f, x, y))
        elif x != y:
            bad.append((k, f, x, y))
if bad:
    print("# differs:", bad[:3])
    sys.exit(1)
print("# %d rollup groups" % len(a))
PY
}

fails=0
for r in $(seq 1 "$rounds"); do
	rseed=$(python3 -c "import random; random.seed($seed * 1000 + $r); print(random.random())")
	case $((r % 6)) in
	3) end=ROLLBACK ;; # a transaction that dies: its changes and their rollup shares go together
	*) end=COMMIT ;;
	esac
	if [ "$r" -eq "$((rounds / 2))" ]; then # CASCADE empties messages too: put them back
		psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<'SQL' || echo "# round $r: truncate failed"
TRUNCATE drafts CASCADE;
INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state)
  SELECT 1, 1, g, sha256(int8send(g)), 10, 'S' || g, 'drafted' FROM generate_series(1, 400) g;
SQL
	fi
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null 2>"$ITMP/round.err" <<SQL || { fails=$((fails + 1)); echo "# round $r: $(head -c 300 "$ITMP/round.err")"; continue; }
BEGIN;
SELECT rollup_round($rseed, 60);
$end;
SQL
	psql -XAtq -d "$url" -c "SELECT rollup_view()" >"$ITMP/kept.json" &&
		psql -XAtq -d "$url" >"$ITMP/rebuilt.json" <<'SQL' || { fails=$((fails + 1)); continue; }
BEGIN;
SELECT FROM draft_rollup_rebuild();
SELECT rollup_view();
ROLLBACK;
SQL
	sed -i '/^$/d' "$ITMP/rebuilt.json"
	compare "$ITMP/kept.json" "$ITMP/rebuilt.json" >"$ITMP/cmp.out" ||
		{ fails=$((fails + 1)); echo "# round $r: $(cat "$ITMP/cmp.out")"; continue; }
	# the documented check an operator runs says the same
	drift=$(psql_value "$url" "SELECT count(*) FROM draft_rollup_drift")
	[ "$drift" = 0 ] || { fails=$((fails + 1)); echo "# round $r: draft_rollup_drift lists $drift groups"; }
done
n=$(psql_value "$url" "SELECT count(*) FROM drafts")
[ "$fails" = 0 ] &&
	ok "rollups kept by the trigger equal a rebuild from the drafts after each of $rounds random rounds ($n drafts at the end; seed $seed)" ||
	not_ok "rollups differ from a rebuild in $fails of $rounds rounds (DRAFTD_ROLLUP_SEED=$seed replays)"

# draftd stats --rebuild recomputes them (and reports how many rows)
psql -XAtq -d "$url" -c "SELECT rollup_view()" >"$ITMP/before.json"
psql -XAtq -d "$url" -c "UPDATE draft_rollup SET drafted = drafted + 5" >/dev/null
drift=$(psql_value "$url" "SELECT count(*) FROM draft_rollup_drift")
"$DRAFTD" stats --config "$conf" --rebuild >"$ITMP/rebuild.out" 2>&1
psql -XAtq -d "$url" -c "SELECT rollup_view()" >"$ITMP/after.json"
[ "$drift" -gt 0 ] && [ "$(psql_value "$url" "SELECT count(*) FROM draft_rollup_drift")" = 0 ] &&
	grep -q "rollups rebuilt from the drafts" "$ITMP/rebuild.out" && compare "$ITMP/before.json" "$ITMP/after.json" >/dev/null &&
	ok "rollups tampered with show in draft_rollup_drift ($drift groups); draftd stats --rebuild puts them back to the drafts' figures" ||
	not_ok "stats --rebuild: $(tail -3 "$ITMP/rebuild.out")"

# a threshold off the 0.01 grid cannot give exact counts: the config says so
write_config "$ITMP/bad.conf" database URL="$url" agent.unchanged_threshold=0.055 >/dev/null 2>&1
out=$("$DRAFTD" check-config --config "$ITMP/bad.conf" 2>&1)
case $out in
*unchanged_threshold*"multiple of 0.01"*) ok "unchanged_threshold = 0.055 is refused, naming the key and why" ;;
*) not_ok "unchanged_threshold = 0.055: $out" ;;
esac

# the median read from the decision-time histogram is within the documented
# 5% (or 0.5 s) of percentile_cont's over 400 random sets of 1..60 times
# spread from 0.1 s to a week
bad=$(psql_value "$url" "SELECT setseed(0.42); SELECT count(*) FILTER (WHERE abs(q - p) > 0.05 * p + 0.5)
 FROM (SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS p,
              draft_rollup_secs_quantile(draft_rollup_hist_of(draft_rollup_secs_bucket(x)), 0.5) AS q
       FROM (SELECT g, exp(ln(0.1) + random() * ln(6048000)) AS x
             FROM generate_series(1, 400) g, generate_series(1, 1 + g % 60) k) y GROUP BY g) z" | tail -n 1)
[ "$bad" = 0 ] && ok "median from the histogram within 5% (or 0.5 s) of the exact one in 400 random sets" ||
	not_ok "median from the histogram off by more than 5% in $bad of 400 random sets"
