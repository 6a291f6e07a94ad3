#!/bin/bash
# SPDX-License-Identifier: MIT
# GET /stats?parts= (issue 16 item 6): a page that shows one part of the
# statistics (the Categories page: the promotion evidence) asks for that part
# only and gets the same numbers as in the full answer, without the parts
# that read the whole history; an unknown part is a 400 that names it.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

url=$(db_url_for draftd_it_stats_parts) || { not_ok "stats parts: create database"; exit 0; }
port=$(free_port)
base=http://127.0.0.1:$port
conf=$ITMP/draftd.conf
write_config "$conf" database api URL="$url" API_PORT="$port" api.threads=2 ||
	{ not_ok "stats parts: write_config"; exit 0; }
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "stats parts: migrate"; exit 0; }
# a seeded history: 60 drafts over 10 days, decided by two people or pending
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT setseed(0.16);
INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('support', 'imap://x', 'x');
INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state, received_at)
  SELECT 1, 1, g, sha256(int8send(g)), 10, 'S' || g, 'drafted', now() - (g % 10) * interval '1 day'
  FROM generate_series(1, 60) g;
INSERT INTO drafts (message_id, category, subject, body, status, reviewer, created_at, decided_at, edit_distance)
  SELECT m.id, (ARRAY['order_status', 'stock_check', 'other'])[1 + m.uid % 3], 'Re', 'b', s.status,
         CASE WHEN s.status = 'pending' THEN NULL ELSE (ARRAY['rita', 'dave'])[1 + m.uid % 2] END,
         m.received_at, CASE WHEN s.status = 'pending' THEN NULL ELSE m.received_at + interval '7 minutes' END,
         CASE WHEN s.status = 'pending' THEN NULL ELSE round(random()::numeric, 2) END
  FROM messages m CROSS JOIN LATERAL (SELECT (ARRAY['pending', 'sent', 'rejected', 'sent'])[1 + (random() * 3)::int] AS status) s;
-- and drafts without a category (decided by rita), and automatic sends
INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state)
  SELECT 1, 1, g, sha256(int8send(g)), 10, 'S' || g, 'drafted' FROM generate_series(61, 66) g;
INSERT INTO drafts (message_id, category, subject, body, status, reviewer, decided_at, edit_distance)
  SELECT id, CASE WHEN uid <= 63 THEN NULL ELSE 'order_status' END, 'Re', 'b',
         CASE WHEN uid <= 63 THEN 'sent' ELSE 'auto_sent' END, CASE WHEN uid <= 63 THEN 'rita' ELSE 'auto' END,
         now(), CASE WHEN uid <= 63 THEN 0.01 END
  FROM messages WHERE uid > 60;
SQL
tok=$("$DRAFTD" token create --config "$conf" --name parts --role reviewer 2>/dev/null | tail -n 1)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 curl -sf "$base/healthz" -o /dev/null || { not_ok "stats parts: api start: $(tail -3 "$ITMP/run.log")"; exit 0; }
get() { # OUT QUERY: the status code on stdout
	curl -s -o "$ITMP/$1" -w '%{http_code}' -H "Authorization: Bearer $tok" "$base/api/v1/stats$2"
}

[ "$(get all.json '?days=1')" = 200 ] && [ "$(get promo.json '?days=1&parts=promotion')" = 200 ] &&
	python3 - "$ITMP/all.json" "$ITMP/promo.json" <<'PY' && ok "parts=promotion: the promotion fields of every category equal the full answer's, nothing else computed" || not_ok "parts=promotion: $(head -c 400 "$ITMP/promo.json")"
import json, sys
full, part = (json.load(open(p)) for p in sys.argv[1:3])
top = {"mode", "promotion", "min_samples", "target_rate", "audit_sample_rate", "unchanged_rate",
       "unchanged_lower_bound", "eligible", "not_eligible_because", "never_auto", "shadow",
       "samples", "rejection_reasons", "promoted_at", "demoted_at", "demote_reason", "window"}
assert set(part) == {"categories", "window_seconds", "unchanged_threshold", "z", "auto_enabled"}, set(part)
by = {c["category"]: c for c in full["categories"]}
# every named category (drafts without a category have counts, no promotion)
assert {c["category"] for c in part["categories"]} == {k for k in by if k is not None}
for c in part["categories"]:
    assert set(c) == top | {"category"}, set(c)
    for k in top:
        assert c[k] == by[c["category"]][k], (c["category"], k)
for k in ("window_seconds", "unchanged_threshold", "z", "auto_enabled"):
    assert part[k] == full[k], k
assert any(c["window"].get("reviewed", 0) > 0 for c in part["categories"]), part["categories"]
PY

[ "$(get two.json '?parts=series,backlog')" = 200 ] &&
	python3 - "$ITMP/all.json" "$ITMP/two.json" <<'PY' && ok "parts=series,backlog: those two, equal to the full answer's" || not_ok "parts=series,backlog: $(head -c 300 "$ITMP/two.json")"
import json, sys
full, part = (json.load(open(p)) for p in sys.argv[1:3])
assert set(part) == {"categories", "series", "backlog"}, set(part)
assert part["categories"] == []
# now() moves between the two requests; the shared answer ([api]
# backlog_max_age) may be the same computation or a later one
moving = {"oldest_open_age_seconds": 0, "computed_at": 0, "age_seconds": 0}
assert {**part["backlog"], **moving} == {**full["backlog"], **moving}
assert part["series"]["days"] == 30 and part["series"]["overall"][-1]["drafts"] >= 1
PY

# parts=counts reads the rollups (migration 0175); it must give what the two
# statements over every draft it replaced give over the same seeded history
# (their SQL, as it stood, is the reference here), the median decision time
# within the histogram's 5%
human="reviewer IS NOT NULL AND reviewer <> 'auto' AND origin = 'model'"
cols="'reviewed', count(*) FILTER (WHERE $human AND status IN ('approved', 'sent', 'rejected', 'failed')),
 'approved_unchanged', count(*) FILTER (WHERE $human AND status IN ('approved', 'sent', 'failed') AND edit_distance <= 0.05),
 'approved_edited', count(*) FILTER (WHERE $human AND status IN ('approved', 'sent', 'failed') AND edit_distance > 0.05),
 'rejected', count(*) FILTER (WHERE status = 'rejected'),
 'mean_edit_distance', avg(edit_distance) FILTER (WHERE $human AND edit_distance IS NOT NULL),
 'median_decision_seconds', percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at)) FILTER (WHERE $human AND decided_at IS NOT NULL)"
psql -XAtq -d "$url" -c "SELECT json_agg(j) FROM (SELECT json_build_object('category', category, 'drafted', count(*),
 'auto_sent', count(*) FILTER (WHERE status = 'auto_sent'), 'pending', count(*) FILTER (WHERE status IN ('pending', 'claimed')),
 $cols) AS j FROM drafts WHERE origin = 'model' GROUP BY category ORDER BY category) x" >"$ITMP/ref-cats.json"
psql -XAtq -d "$url" -c "SELECT json_agg(j) FROM (SELECT json_build_object('reviewer', reviewer, $cols) AS j
 FROM drafts WHERE $human GROUP BY reviewer ORDER BY reviewer) x" >"$ITMP/ref-revs.json"
[ "$(get counts.json '?parts=counts')" = 200 ] &&
	python3 - "$ITMP/counts.json" "$ITMP/ref-cats.json" "$ITMP/ref-revs.json" <<'PY' && ok "parts=counts (from the rollups) equals the two per-category and per-reviewer statements it replaced" || not_ok "parts=counts differs from the reference: $(head -c 300 "$ITMP/counts.json")"
import json, math, sys
got = json.load(open(sys.argv[1]))
cats, revs = (json.load(open(p)) for p in sys.argv[2:4])
def same(a, b):  # float sums may differ in the last bits with the row order
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
    return a == b
def close(k, a, b):
    if k == "median_decision_seconds" and a is not None and b is not None:
        return math.isclose(a, b, rel_tol=0.05, abs_tol=0.5)
    return same(a, b)
def rows_equal(x, y):
    return len(x) == len(y) and all(set(a) == set(b) and all(close(k, a[k], b[k]) for k in a) for a, b in zip(x, y))
assert set(got) == {"categories", "reviewers", "unchanged_threshold"}, set(got)
assert rows_equal(got["categories"], cats), (got["categories"], cats)
assert rows_equal(got["reviewers"], revs), (got["reviewers"], revs)
assert len(revs) == 2 and len(cats) == 4 and cats[-1]["category"] is None
PY

# parts=series reads the day rows of the rollups: each day's figures must be
# what the drafts themselves give (computed here from the rows), overall,
# per category and per reviewer, the median within the histogram's 5%
psql -XAtq -d "$url" -c "SELECT json_agg(json_build_object('category', category, 'reviewer', reviewer,
 'status', status, 'ed', edit_distance, 'cday', to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'),
 'dday', to_char((decided_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'),
 'secs', extract(epoch FROM decided_at - created_at)::float8)) FROM drafts WHERE origin = 'model'" >"$ITMP/rows.json"
[ "$(get series.json '?parts=series&days=14')" = 200 ] &&
	python3 - "$ITMP/series.json" "$ITMP/rows.json" <<'PY' && ok "parts=series (from the rollups) equals the daily figures computed from the drafts" || not_ok "parts=series differs from the drafts: $(head -c 300 "$ITMP/series.json")"
import json, math, statistics, sys
got = json.load(open(sys.argv[1]))["series"]
rows = json.load(open(sys.argv[2]))
days = [d["day"] for d in got["overall"]]
assert len(days) == 14
def expect(keep, reviewer):
    out = []
    for day in days:
        c = [r for r in rows if keep(r) and r["cday"] == day]
        h = [r for r in rows if keep(r) and r["dday"] == day and r["reviewer"] not in (None, "auto")
             and r["status"] in ("approved", "sent", "failed", "rejected")]
        ap = [r for r in h if r["status"] != "rejected"]
        un = sum(1 for r in ap if r["ed"] is not None and r["ed"] <= 0.05)
        ed = [r["ed"] for r in ap if r["ed"] is not None]
        e = {"day": day, "reviewed": len(h), "approved_unchanged": un,
             "approved_edited": sum(1 for r in ap if r["ed"] is not None and r["ed"] > 0.05),
             "rejected": len(h) - len(ap), "unchanged_rate": un / len(h) if h else None,
             "mean_edit_distance": sum(ed) / len(ed) if ed else None,
             "median_decision_seconds": statistics.median([r["secs"] for r in h]) if h else None}
        if not reviewer:
            e["drafts"] = len(c)
            e["auto_sent"] = sum(1 for r in c if r["status"] == "auto_sent")
        out.append(e)
    return out
def same(k, a, b):
    if a is None or b is None:
        return a is None and b is None
    if k == "median_decision_seconds":
        return math.isclose(a, b, rel_tol=0.05, abs_tol=0.5)
    return math.isclose(a, b, rel_tol=1e-9) if isinstance(a, float) or isinstance(b, float) else a == b
def check(name, got_days, exp_days):
    for g, e in zip(got_days, exp_days):
        assert set(g) == set(e), (name, set(g) ^ set(e))
        for k in e:
            assert same(k, g[k], e[k]), (name, g["day"], k, g[k], e[k])
check("overall", got["overall"], expect(lambda r: True, False))
cats = {c["category"]: c["days"] for c in got["categories"]}
for name in {r["category"] for r in rows}:
    check(name, cats[name], expect(lambda r, n=name: r["category"] == n, False))
revs = {x["reviewer"]: x["days"] for x in got["reviewers"]}
assert set(revs) == {"rita", "dave"}, set(revs)
for name in revs:
    check(name, revs[name], expect(lambda r, n=name: r["reviewer"] == n, True))
assert sum(d["reviewed"] for d in got["overall"]) > 20
PY

code=$(get bad.json '?parts=promotion,bogus')
[ "$code" = 400 ] && grep -q "'bogus' is not one of" "$ITMP/bad.json" &&
	ok "an unknown part is a 400 naming it" || not_ok "parts=bogus: $code $(cat "$ITMP/bad.json")"
code=$(get empty.json '?parts=')
[ "$code" = 400 ] && ok "parts= naming nothing is a 400" || not_ok "parts= : $code $(cat "$ITMP/empty.json")"
