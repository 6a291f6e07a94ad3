#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 11 over REST with real components (Postgres, Dovecot, the SMTP sink,
# `draftd run` with the builtin model): the customer's message is the unit
# of work. Each failure the issue reports is a check here: a reject never
# drops the message, regenerate supersedes (409 naming the live draft, one
# reply in the sink), categories exist without a [category] section and
# corrections to them work, never-automatic categories answer 409, claims
# follow presence (TTL, heartbeat, take-over, 409 naming the holder),
# approved replies wait out [review] send_delay and can be undone, a second
# reply is 409 unless it is a follow-up, compose and close from "Needs a
# human", the database refuses a second live draft or reply, backlog figures.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=${DRAFTD_SRCDIR:-$PWD}
url=$(fresh_db draftd_it_outcome) || { not_ok "outcome: create database"; exit 0; }
user=outcome$$
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null
"$SRC/tests/services/dovecot.sh" mkfolder "$SVC" "$user" Sent >/dev/null
cp "$SRC/tests/fixtures/pipeline/inventory.csv" "$ITMP/inventory.csv"
mkdir -p "$ITMP/sinkdir"
"$SRC/tests/services/smtp.sh" start "$ITMP/sinkdir" >/dev/null 2>&1 || { not_ok "outcome: SMTP sink"; exit 0; }
sport=$(cat "$ITMP/sinkdir/smtp.port")
maildir=$ITMP/sinkdir/smtp-maildir
trap '"$SRC/tests/services/smtp.sh" stop "$ITMP/sinkdir" >/dev/null 2>&1; itest_cleanup' EXIT

apiport=$(free_port)
mport=$(free_port)
base=http://127.0.0.1:$apiport
conf=$ITMP/outcome.conf
# No [category] section at all: the fresh install of the issue. The backlog
# is checked against the database right after changes: no shared answer.
write_config "$conf" database api smtp_sink mailbox_dovecot connector_csv_inventory \
	URL="$url" API_PORT="$apiport" SMTP_PORT="$sport" USER="$user" \
	INVENTORY="$ITMP/inventory.csv" model.templates_dir="$SRC/deploy/templates" \
	review.send_delay=3 review.claim_ttl=60 "mailbox support.poll_interval=1" \
	"connector inventory.cache_ttl=0" metrics.listen="127.0.0.1:$mport" api.backlog_max_age=0
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "outcome: migrate"
tok() { "$DRAFTD" token create --config "$conf" --name "$1" --role "$2" 2>/dev/null | tail -n 1; }
rita=$(tok rita reviewer)
sam=$(tok sam reviewer)
root=$(tok root admin)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 grep -q 'draftd running' "$ITMP/run.log" || { not_ok "draftd run starts: $(tail -3 "$ITMP/run.log")"; exit 0; }

sql() { psql -XAtq -d "$url" -c "$1"; }
# req TOKEN METHOD PATH [BODY] [curl args...]: body in $ITMP/out, prints the status
req() {
	local t=$1 m=$2 p=$3 b=${4:-}
	shift 3
	[ $# -gt 0 ] && shift
	local a=(-s -o "$ITMP/out" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $t")
	[ -n "$b" ] && a+=(-H 'Content-Type: application/json' --data-binary "$b")
	curl "${a[@]}" "$@" "$base/api/v1$p"
}
# has_row SQL: true when SQL returns a row (for wait_for: evaluated each try)
has_row() { [ -n "$(sql "$1")" ]; }
sql_is() { [ "$(sql "$1")" = "$2" ]; }
js() { python3 -c "import json,sys; j=json.load(open('$ITMP/out')); print($1)"; }
expect() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: want '$2' got '$3' $(head -c 400 "$ITMP/out")"; fi
}
# mail N: delivers a stock question with its own Message-ID; waits for its
# pending draft and prints the message id
mail() {
	cat >"$ITMP/m$1.eml" <<EML
From: Buyer $1 <buyer$1@customer$1.example>
To: support@parts.example
Subject: Stock check HP-20111 ($1)
Date: Mon, 23 Nov 2026 09:01:00 +0000
Message-ID: <outcome-$1-$$@customer$1.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hello,

do you have HP-20111 in stock? We need $1 pieces.

Thanks,
Buyer $1
EML
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$ITMP/m$1.eml" >/dev/null
	local mid="<outcome-$1-$$@customer$1.example>"
	wait_for 30 has_row "SELECT 1 FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.message_id = '$mid' AND d.status = 'pending'" || return 1
	sql "SELECT id FROM messages WHERE message_id = '$mid'"
}
live() { sql "SELECT id FROM drafts WHERE message_id = $1 AND status IN ('pending', 'claimed') ORDER BY id DESC LIMIT 1"; }
# sink_count MESSAGE_ID: replies in the sink whose In-Reply-To is that message's
sink_count() {
	python3 - "$maildir/new" "$(sql "SELECT message_id FROM messages WHERE id = $1")" <<'PY'
import email, os, sys
d, want, n = sys.argv[1], sys.argv[2], 0
for f in os.listdir(d) if os.path.isdir(d) else []:
    m = email.message_from_binary_file(open(os.path.join(d, f), "rb"))
    n += (m.get("In-Reply-To") or "").strip() == want
print(n)
PY
}
sink_has() { [ "$(sink_count "$1")" -ge "$2" ]; }

# --- categories without configuration (fresh install) ---
expect "GET /categories on a fresh install" 200 "$(req "$rita" GET /categories)"
expect "the classifier's categories are listed without [category] sections" "True" \
	"$(js "set(['stock_inquiry','order_status','quote_request','return_request','address_change','invoice_copy','complaint','other']) <= set(c['name'] for c in j['categories'])")"
expect "never_auto flags: other, complaint on; stock_inquiry off" "True True False" \
	"$(js "' '.join(str(next(c['never_auto'] for c in j['categories'] if c['name'] == n)) for n in ['other','complaint','stock_inquiry'])")"
expect "other to auto: 409" 409 "$(req "$root" PUT /categories/other '{"mode":"auto"}')"
expect "the 409 is never_auto" never_auto "$(js "j['error']['code']")"
expect "complaint to auto: the same 409" "409 never_auto" "$(req "$root" PUT /categories/complaint '{"mode":"auto"}') $(js "j['error']['code']")"
expect "other: shadow with automatic promotion (shadow to auto): the same 409" "409 never_auto" \
	"$(req "$root" PUT /categories/other '{"mode":"shadow","promotion":"automatic"}') $(js "j['error']['code']")"
expect "other stays in draft" draft "$(sql "SELECT mode FROM categories WHERE name = 'other'")"
expect "stock_inquiry may go to shadow" 200 "$(req "$root" PUT /categories/stock_inquiry '{"mode":"shadow"}')"
expect "and back to draft" 200 "$(req "$root" PUT /categories/stock_inquiry '{"mode":"draft"}')"

# --- reject without a category: the message goes under "Needs a human" ---
m1=$(mail 1) || not_ok "mail 1 drafted: $(tail -5 "$ITMP/run.log")"
d1=$(live "$m1")
expect "GET /messages/{id}: a drafted message is open in review" 200 "$(req "$rita" GET "/messages/$m1")"
expect "status open, queue review, live draft" "open review $d1" "$(js "j['status'], j['queue'], j['live_draft_id']")"
expect "reject without a category" 200 "$(req "$rita" POST "/drafts/$d1/reject" '{"reason":"needs a person: custom quote"}')"
expect "the answer says the message went to Needs a human" "open human" "$(js "j['message']['status'], j['message']['queue']")"
expect "Needs a human lists it" 200 "$(req "$rita" GET '/messages?state=human')"
expect "with the reject reason" "True" "$(js "any(m['id'] == $m1 and 'custom quote' in (m['reason'] or '') and m['status'] == 'open' for m in j['messages'])")"

# --- compose from Needs a human: threaded reply in the sink ---
expect "compose a reply from scratch" 200 "$(req "$rita" POST "/messages/$m1/reply" '{"body":"Hello,\n\nyour custom quote follows by phone today.\n\nKind regards"}')"
expect "the composed reply is approved and waits out the send delay" "approved person True" \
	"$(js "j['status'], j['origin'], j['outbox']['seconds_left'] is not None and j['outbox']['can_undo']")"
wait_for 30 sink_has "$m1" 1 && ok "the composed reply reaches the sink" || not_ok "composed reply not in the sink"
python3 - "$maildir/new" "<outcome-1-$$@customer1.example>" <<'PY' && ok "threaded, to the sender, with the composed text" || not_ok "composed reply headers"
import email, os, sys
from email import policy
d, want = sys.argv[1], sys.argv[2]
ms = [email.message_from_binary_file(open(os.path.join(d, f), "rb"), policy=policy.default) for f in os.listdir(d)]
m = [m for m in ms if m["In-Reply-To"] == want][0]
assert want in m["References"], m["References"]
assert m["To"].addresses[0].addr_spec == "buyer1@customer1.example", m["To"]
assert "custom quote follows by phone" in m.get_content()
PY
wait_for 20 sql_is "SELECT status FROM messages WHERE id = $m1" replied && ok "the message is replied" || not_ok "message status $(sql "SELECT status FROM messages WHERE id = $m1")"
expect "a second reply: 409" 409 "$(req "$rita" POST "/messages/$m1/reply" '{"body":"again"}')"
expect "the 409 is already_replied and names the reply" "already_replied True" "$(js "j['error']['code'], j['error']['detail']['reply_draft_id'] is not None")"
expect "a follow-up is an explicit action" 200 "$(req "$rita" POST "/messages/$m1/reply" '{"body":"Follow-up: the quote is attached.","follow_up":true}')"
expect "recorded as a follow-up" follow_up "$(js "j['kind']")"
wait_for 30 sink_has "$m1" 2 && ok "the follow-up reaches the sink" || not_ok "follow-up not in the sink"
expect "the follow-up is audited as such" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'message.follow_up' AND object_id = '$m1'")"

# --- reject with a corrected category on a fresh install: re-drafted ---
m2=$(mail 2) || not_ok "mail 2 drafted"
d2=$(live "$m2")
expect "reject with a category the config does not name" 200 "$(req "$rita" POST "/drafts/$d2/reject" '{"reason":"wrong: asks about an order","category":"order_status"}')"
expect "the answer says the message is being drafted again" "open drafting" "$(js "j['message']['status'], j['message']['queue']")"
wait_for 30 has_row "SELECT 1 FROM drafts WHERE message_id = $m2 AND status = 'pending' AND category = 'order_status'" &&
	ok "a new draft with the corrected category" || not_ok "no new draft for message $m2: $(sql "SELECT id, status, category FROM drafts WHERE message_id = $m2")"
expect "the rejected draft trains the classifier" order_status "$(sql "SELECT category FROM classifier_examples WHERE id = $d2")"

# --- regenerate supersedes; approving the old one is 409 naming the live draft ---
m3=$(mail 3) || not_ok "mail 3 drafted"
d3=$(live "$m3")
expect "regenerate" 202 "$(req "$rita" POST "/messages/$m3/draft")"
wait_for 30 has_row "SELECT 1 FROM drafts WHERE message_id = $m3 AND status = 'pending' AND id <> $d3" || not_ok "no new draft for $m3"
d3b=$(live "$m3")
expect "one live draft per message" 1 "$(sql "SELECT count(*) FROM drafts WHERE message_id = $m3 AND status IN ('pending', 'claimed')")"
expect "the old draft is superseded" superseded "$(sql "SELECT status FROM drafts WHERE id = $d3")"
expect "approve the superseded draft: 409" 409 "$(req "$rita" POST "/drafts/$d3/approve" '{}')"
expect "the 409 names the live draft" "superseded $d3b" "$(js "j['error']['code'], j['error']['detail']['live_draft_id']")"
expect "approve the live draft" 200 "$(req "$rita" POST "/drafts/$d3b/approve" '{}')"
expect "approve it twice: same answer" 200 "$(req "$sam" POST "/drafts/$d3b/approve" '{}')"
wait_for 30 sink_has "$m3" 1 && ok "the reply reaches the sink" || not_ok "reply for $m3 not in the sink"
sleep 4
expect "one reply in the sink for the message" 1 "$(sink_count "$m3")"

# --- regenerate asks before replacing saved edits ---
m4=$(mail 4) || not_ok "mail 4 drafted"
d4=$(live "$m4")
v=$(sql "SELECT version FROM drafts WHERE id = $d4")
expect "viewing does not claim" "200 None" "$(req "$sam" GET "/drafts/$d4") $(js "j['claimed_by']")"
expect "save an edit" 200 "$(req "$rita" PATCH "/drafts/$d4" '{"body":"Edited by Rita: 84 in stock."}' -H "If-Match: $v")"
expect "the save claims the draft for its author" "rita" "$(sql "SELECT claimed_by FROM drafts WHERE id = $d4 AND claim_expires > now()")"
expect "the claim lasts claim_ttl" t "$(sql "SELECT claim_expires BETWEEN now() + interval '50 seconds' AND now() + interval '61 seconds' FROM drafts WHERE id = $d4")"
expect "another reviewer's save: 409" 409 "$(req "$sam" PATCH "/drafts/$d4" '{"body":"Sam overwrites"}' -H "If-Match: $((v + 1))")"
expect "the 409 names the holder" "claimed rita" "$(js "j['error']['code'], j['error']['detail']['claimed_by']")"
expect "nothing was overwritten" "Edited by Rita: 84 in stock." "$(sql "SELECT body FROM drafts WHERE id = $d4")"
expect "heartbeat renews the holder's claim" 200 "$(req "$rita" POST "/drafts/$d4/heartbeat")"
expect "heartbeat by someone else: 409" 409 "$(req "$sam" POST "/drafts/$d4/heartbeat")"
expect "take-over needs an admin" 403 "$(req "$sam" POST "/drafts/$d4/claim" '{"take_over":true}')"
expect "an admin takes over" 200 "$(req "$root" POST "/drafts/$d4/claim" '{"take_over":true}')"
expect "from rita" "root rita" "$(js "j['claimed_by'], j['taken_over_from']")"
expect "take-over audited" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'draft.take_over' AND object_id = '$d4' AND before->>'claimed_by' = 'rita'")"
expect "release" 200 "$(req "$root" POST "/drafts/$d4/release")"
expect "regenerate over a saved edit: 409" 409 "$(req "$rita" POST "/messages/$m4/draft")"
expect "the 409 is draft_edited and names the draft" "draft_edited $d4" "$(js "j['error']['code'], j['error']['detail']['draft_id']")"
expect "the edited draft is still live" pending "$(sql "SELECT status FROM drafts WHERE id = $d4")"
expect "regenerate with a stale If-Match: 412" 412 "$(req "$rita" POST "/messages/$m4/draft" '' -H "If-Match: $v")"
expect "regenerate confirmed with force" 202 "$(req "$rita" POST "/messages/$m4/draft" '{"force":true}')"
expect "the edited draft is superseded, kept for the record" "superseded|Edited by Rita: 84 in stock." "$(sql "SELECT status, body FROM drafts WHERE id = $d4")"

# --- send delay and undo ---
m5=$(mail 5) || not_ok "mail 5 drafted"
d5=$(live "$m5")
expect "approve with an edit" 200 "$(req "$rita" POST "/drafts/$d5/approve" '{"body":"Hello,\n\nUndo me: 84 in stock.\n\nKind regards"}')"
expect "the reply waits out the send delay" "True True" "$(js "0 < j['outbox']['seconds_left'] <= 3, j['outbox']['can_undo']")"
expect "GET /drafts/{id} shows when it goes" "True" "$(req "$rita" GET "/drafts/$d5" >/dev/null; js "j['outbox']['send_at'] is not None and j['send_at'] is not None")"
expect "undo" 200 "$(req "$rita" POST "/drafts/$d5/undo")"
expect "the draft is live again, held by the one who recalled it" "claimed rita" "$(js "j['status'], j['claimed_by']")"
expect "the edit is the draft's body now" "t" "$(sql "SELECT body LIKE '%Undo me%' AND status IN ('pending', 'claimed') FROM drafts WHERE id = $d5")"
expect "undo audited" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'draft.undo' AND object_id = '$d5'")"
sleep 5
expect "nothing reached the sink" 0 "$(sink_count "$m5")"
expect "undo again: 409" 409 "$(req "$rita" POST "/drafts/$d5/undo")"
expect "approve again" 200 "$(req "$rita" POST "/drafts/$d5/approve" '{}')"
wait_for 30 sink_has "$m5" 1 && ok "the approved edit is sent" || not_ok "no reply for $m5"
expect "undo after sending: 409" 409 "$(req "$rita" POST "/drafts/$d5/undo")"

# --- close with a reason ---
m6=$(mail 6) || not_ok "mail 6 drafted"
d6=$(live "$m6")
expect "close needs a reason" 400 "$(req "$rita" POST "/messages/$m6/close" '{}')"
expect "close: answered by phone" 200 "$(req "$rita" POST "/messages/$m6/close" '{"reason":"answered by phone"}')"
expect "closed with the reason and who" "closed|answered by phone|rita" "$(sql "SELECT status, close_reason, closed_by FROM messages WHERE id = $m6")"
expect "its draft is superseded" superseded "$(sql "SELECT status FROM drafts WHERE id = $d6")"
expect "approve on a closed message: 409" 409 "$(req "$rita" POST "/drafts/$d6/approve" '{}')"
expect "compose on a closed message: 409" 409 "$(req "$rita" POST "/messages/$m6/reply" '{"body":"x"}')"
expect "close a replied message: 409" 409 "$(req "$rita" POST "/messages/$m3/close" '{"reason":"spam"}')"
expect "reopen" 200 "$(req "$rita" POST "/messages/$m6/reopen")"
expect "reopened under Needs a human" "open human" "$(js "j['status'], j['queue']")"

# --- the database enforces one live draft and one reply per message ---
out=$(sql "INSERT INTO drafts (message_id, subject, body) VALUES ($m2, 's', 'b')" 2>&1)
echo "$out" | grep -q 'duplicate key' && ok "a second live draft is refused by the database" || not_ok "second live draft: $out"
out=$(sql "INSERT INTO drafts (message_id, subject, body, status, reviewer) VALUES ($m3, 's', 'b', 'approved', 'x')" 2>&1)
echo "$out" | grep -q 'duplicate key' && ok "a second reply is refused by the database" || not_ok "second reply: $out"

# --- backlog ---
expect "stats" 200 "$(req "$rita" GET /stats)"
expect "backlog: open messages and the oldest one's age" "True True" \
	"$(js "j['backlog']['open'] == $(sql "SELECT count(*) FROM messages WHERE status = 'open'"), j['backlog']['oldest_open_age_seconds'] >= 0")"
expect "first-response time per category" "True" "$(js "any(c.get('first_response', {}).get('replied', 0) >= 1 for c in j['categories'])")"
expect "backlog endpoint" 200 "$(req "$rita" GET /backlog)"
curl -s "http://127.0.0.1:$mport/metrics" >"$ITMP/metrics"
grep -q '^draftd_open_messages [0-9]' "$ITMP/metrics" && grep -q '^draftd_oldest_open_message_age_seconds [0-9]' "$ITMP/metrics" &&
	grep -q '^draftd_messages_by_status{status="replied"} 3$' "$ITMP/metrics" &&
	ok "metrics: open messages, oldest age, messages by status" || not_ok "metrics: $(grep -E 'open|status' "$ITMP/metrics" | head)"
out=$("$DRAFTD" stats --config "$conf" 2>&1)
echo "$out" | grep -Eq '^backlog: [0-9]+ open' && echo "$out" | grep -Eq 'replied [0-9]+' &&
	ok "draftd stats shows message states and the backlog" || not_ok "draftd stats: $out"

kill -TERM "$pid"
wait "$pid"
check "draftd stops cleanly" test $? -eq 0
