#!/bin/bash
# SPDX-License-Identifier: MIT
# The backlog (GET /backlog, stats parts=backlog, draftd stats, the
# draftd_backlog metric) is one set-based statement (issue 16 item 6); it
# must give exactly what the per-message queue (MESSAGE_QUEUE_SQL, the
# queue every listing shows) gives. A seeded random state with every queue
# represented (uncertain, approved with and without its outbox row,
# pending/claimed, queued/running/done/dead jobs, rejected and superseded
# drafts, none of them; replied, closed and skipped messages) is built in
# rounds; after each, `draftd stats --json`'s backlog is compared with the
# reference written out here with the old per-message probes.
# BACKLOG_SQL_SEED replays a run; BACKLOG_SQL_ROUNDS (default 4).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

seed=${BACKLOG_SQL_SEED:-$(( $(date +%s) % 100000 ))}
rounds=${BACKLOG_SQL_ROUNDS:-4}
url=$(db_url_for draftd_it_backlog_sql) || { not_ok "backlog sql: create database"; exit 0; }
conf=$ITMP/draftd.conf
write_config "$conf" database URL="$url" || { not_ok "backlog sql: write_config"; exit 0; }
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "backlog sql: migrate"; exit 0; }
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 -c \
	"INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('support', 'imap://x', 'x')" >/dev/null ||
	{ not_ok "backlog sql: mailbox"; exit 0; }

# one round: N messages, each in one of the scenarios below (python emits SQL)
round_sql() { # ROUND
	python3 - "$seed" "$1" <<'PY'
import random, sys
seed, rnd = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed * 1000 + rnd)
out = []
def q(s): out.append(s + ";")
base = rnd * 1000
for i in range(r.randint(20, 120)):
    uid = base + i
    sc = r.choice(["none", "job", "pending", "claimed", "approved", "approved_out",
                   "uncertain", "rejected", "superseded", "replied", "closed", "skipped"])
    job = r.choice([None, "queued", "running", "done", "dead"])
    state = "skipped" if sc == "skipped" else r.choice(["new", "drafted", "human", "failed"])
    age = r.randint(0, 86400 * 30)
    q(f"INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state,"
      f" received_at) VALUES (1, 1, {uid}, sha256(int8send({uid})), 10, 'S{uid}', '{state}',"
      f" now() - interval '{age} seconds')")
    mid = f"(SELECT id FROM messages WHERE uid = {uid})"
    if job is not None:
        q(f"INSERT INTO jobs (message_id, stage, state) VALUES ({mid}, 'pipeline', '{job}')")
    if r.random() < 0.3:  # a job of another stage never counts
        q(f"INSERT INTO jobs (message_id, stage, state) VALUES ({mid}, 'other', 'queued')")
    def draft(status):
        extra = ", claimed_by, claim_expires" if status == "claimed" else ""
        vals = ", 'rita', now() + interval '5 minutes'" if status == "claimed" else ""
        q(f"INSERT INTO drafts (message_id, subject, body, status{extra}) VALUES"
          f" ({mid}, 'Re', 'b', '{status}'{vals})")
    dead = r.choice([[], ["rejected"], ["superseded", "rejected"]])
    for s in dead:
        draft(s)
    if sc in ("pending", "claimed", "approved", "approved_out", "uncertain"):
        draft("approved" if sc.startswith("approved") or sc == "uncertain" else sc)
    if sc in ("approved_out", "uncertain"):
        st = "uncertain" if sc == "uncertain" else r.choice(["pending", "sending", "failed"])
        q(f"INSERT INTO outbox (draft_id, message_id, state) SELECT max(id), '<o{uid}@x>',"
          f" '{st}' FROM drafts WHERE message_id = {mid}")
    if sc in ("rejected", "superseded"):
        draft(sc)
    if sc == "replied":
        draft("sent")
        q(f"UPDATE messages SET replied_at = now(), reply_draft_id = (SELECT max(id) FROM drafts"
          f" WHERE message_id = {mid}) WHERE uid = {uid}")
    if sc == "closed":
        q(f"UPDATE messages SET closed_at = now(), closed_by = 'rita', close_reason = 'done'"
          f" WHERE uid = {uid}")
print("\n".join(out))
PY
}

# the reference: each open message's queue from MESSAGE_QUEUE_SQL's probes
ref_sql="SELECT json_build_object('open', count(*) FILTER (WHERE status = 'open'),
 'review', count(*) FILTER (WHERE queue = 'review'), 'sending', count(*) FILTER (WHERE queue = 'sending'),
 'drafting', count(*) FILTER (WHERE queue = 'drafting'), 'human', count(*) FILTER (WHERE queue = 'human'),
 'oldest_open_at', min(received_at) FILTER (WHERE status = 'open'),
 'by_status', json_build_object('open', count(*) FILTER (WHERE status = 'open'),
 'replied', count(*) FILTER (WHERE status = 'replied'), 'closed', count(*) FILTER (WHERE status = 'closed'),
 'skipped', count(*) FILTER (WHERE status = 'skipped')))
FROM (SELECT m.status, m.received_at, CASE WHEN m.status <> 'open' THEN NULL
 WHEN EXISTS (SELECT 1 FROM drafts d JOIN outbox o ON o.draft_id = d.id WHERE d.message_id = m.id
   AND d.status = 'approved' AND o.state = 'uncertain') THEN 'human'
 WHEN EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id AND d.status = 'approved') THEN 'sending'
 WHEN EXISTS (SELECT 1 FROM drafts d WHERE d.message_id = m.id AND d.status IN ('pending', 'claimed')) THEN 'review'
 WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.message_id = m.id AND j.stage = 'pipeline'
   AND j.state IN ('queued', 'running')) THEN 'drafting' ELSE 'human' END AS queue
 FROM messages m) x"

compare() { # WHAT
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 -c "$ref_sql" >"$ITMP/ref.json" 2>"$ITMP/ref.err" &&
		"$DRAFTD" stats --json --config "$conf" >"$ITMP/got.json" 2>"$ITMP/got.err" &&
		python3 - "$ITMP/ref.json" "$ITMP/got.json" <<'PY' 2>"$ITMP/cmp.err"
import json, sys
from datetime import datetime
ref = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))["backlog"]
for k in ("open", "review", "sending", "drafting", "human", "by_status"):
    assert got[k] == ref[k], (k, got[k], ref[k])
a, b = got["oldest_open_at"], ref["oldest_open_at"]
assert (a is None) == (b is None), (a, b)
if a is not None:
    assert datetime.fromisoformat(a) == datetime.fromisoformat(b), (a, b)
assert (got["oldest_open_age_seconds"] is None) == (a is None)
PY
}

# the empty database first, then rounds that add to it
compare || { not_ok "backlog sql: empty database: $(cat "$ITMP"/*.err | head -c 600)"; exit 0; }
ok "backlog sql: the empty database's backlog equals the reference"
bad=0
for ((i = 1; i <= rounds; i++)); do
	if ! round_sql "$i" | psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null 2>"$ITMP/round.err"; then
		not_ok "backlog sql: round $i state (seed $seed): $(head -c 400 "$ITMP/round.err")"
		bad=1
		break
	fi
	# and a random change to what is there: undo, uncertain, sent, reopen
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null 2>"$ITMP/round.err" <<SQL || { not_ok "backlog sql: round $i change (seed $seed): $(head -c 400 "$ITMP/round.err")"; bad=1; break; }
SELECT setseed(($seed % 1000) / 1000.0 + $i / 100000.0);
UPDATE outbox SET state = 'uncertain' WHERE state = 'pending' AND random() < 0.3;
UPDATE jobs SET state = 'running' WHERE state = 'queued' AND random() < 0.3;
UPDATE messages SET closed_at = NULL, closed_by = NULL, close_reason = NULL WHERE closed_at IS NOT NULL AND random() < 0.2;
SQL
	if ! compare; then
		not_ok "backlog sql: round $i (seed $seed, replay with BACKLOG_SQL_SEED=$seed): $(cat "$ITMP"/cmp.err "$ITMP"/got.err "$ITMP"/ref.err | tail -c 600)"
		bad=1
		break
	fi
done
[ "$bad" = 0 ] && ok "backlog sql: $rounds seeded rounds (seed $seed): every figure equals the per-message reference"
psql -XAtq -d "$url" -c "SELECT queue_count FROM (SELECT count(*) AS queue_count FROM outbox WHERE state = 'uncertain') x" >"$ITMP/u" 2>/dev/null
[ "$(cat "$ITMP/u")" -gt 0 ] 2>/dev/null && ok "backlog sql: the state held uncertain sends" || not_ok "backlog sql: no uncertain send was built (seed $seed)"

# The queue rule is written once (MESSAGE_QUEUE_RULE_SQL in
# daemon/store/store_review_int.h): the per-message queue and this backlog
# are both built from it, so no change to the rule can reach only one
src=${DRAFTD_SRCDIR:-.}/daemon
n=$(grep -rl --include='*.[ch]' "'drafting' ELSE 'human'" "$src" | wc -l)
m=$(grep -rl --include='*.[ch]' "MESSAGE_QUEUE_RULE_SQL(" "$src" | wc -l)
[ "$n" = 1 ] && [ "$m" -ge 2 ] &&
	ok "backlog sql: the queue rule is written once and both the per-message queue and the backlog use it" ||
	not_ok "backlog sql: the queue rule's CASE stands in $n files, MESSAGE_QUEUE_RULE_SQL( in $m (want 1 and >= 2)"
