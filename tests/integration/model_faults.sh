#!/bin/bash
# SPDX-License-Identifier: MIT
# The pipeline against a model server that misbehaves (the fake OpenAI
# server, one mode per mail): a valid draft is queued (and, its category in
# auto, sent), a wrong price is flagged, every broken answer ends with a
# human, never automatically, nothing is lost, and the workers stay healthy.
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(fresh_db draftd_it_model_faults)
user=faults$$
svc=$DRAFTD_TEST_SVC_DIR
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null

start_fake_model 8
fport=$FAKE_PORT

modes="valid wrong_price invalid_json wrong_enum flat http500 loading503 hang truncated huge"
i=0
for mode in $modes; do
	i=$((i + 1))
	cat >"$ITMP/$mode.eml" <<MAIL
From: Buyer <buyer.$mode@customer.example>
To: support@parts.example
Subject: Stock HP-20111 ($mode)
Date: Mon, 23 Nov 2026 10:$(printf %02d $i):00 +0000
Message-ID: <fault-$mode-$$@customer.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hello, is HP-20111 in stock? We need 5 pieces.
FAKE_MODE=$mode
MAIL
done

apiport=$(. tests/services/lib.sh && free_port)
conf=$ITMP/faults.conf
write_config "$conf" database api model_fake mailbox_dovecot connector_csv_inventory \
	URL="$url" API_PORT="$apiport" FAKE_PORT="$fport" USER="$user" model.timeout=3 \
	agent.workers=2 agent.max_attempts=2 agent.retry_delay=1 agent.job_lease=60 \
	"mailbox support.poll_interval=1"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1
psql -q -X -d "$url" -c "INSERT INTO categories (name, mode, threshold)
    SELECT unnest(ARRAY['stock_inquiry','order_status','quote_request','return_request',
                        'address_change','invoice_copy','complaint','other']), 'auto', 0" >/dev/null

start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 grep -q 'draftd running' "$ITMP/run.log" && ok "draftd run starts against the fake model" ||
	not_ok "draftd run starts: $(tail -5 "$ITMP/run.log")"
for mode in $modes; do
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/$mode.eml" >/dev/null
done
settled() {
	[ "$(psql_value "$url" "SELECT count(*) FROM messages WHERE state IN ('drafted', 'human')")" -eq 10 ]
}
wait_for 90 settled && ok "all 10 messages end drafted or with a human" ||
	not_ok "messages: $(psql_value "$url" "SELECT string_agg(subject || '=' || state, ', ') FROM messages")"

# one row per mode: state|decision|flags|outbox rows
row() {
	psql_value "$url" "SELECT m.state || '|' || coalesce(d.decision, '-') || '|' ||
	    coalesce((SELECT string_agg(f->>'flag', ',') FROM jsonb_array_elements(d.guardrail_flags) f), '') || '|' ||
	    (SELECT count(*) FROM outbox o WHERE o.draft_id = d.id)
	  FROM messages m LEFT JOIN drafts d ON d.message_id = m.id
	 WHERE m.subject = 'Stock HP-20111 ($1)'"
}
r=$(row valid)
case $r in drafted\|auto\|\|1) ok "valid: drafted cleanly and sent automatically ($r)" ;;
*) not_ok "valid: $r" ;; esac
r=$(row wrong_price)
case $r in drafted\|pending\|*wrong_price*\|0) ok "wrong price: flagged, waits for a reviewer ($r)" ;;
*) not_ok "wrong price: $r" ;; esac
for mode in invalid_json wrong_enum flat truncated huge http500 loading503 hang; do
	r=$(row $mode)
	case $r in
	*\|auto\|* | *\|[1-9]) not_ok "$mode: answered automatically ($r)" ;;
	drafted\|pending\|*\|0 | human\|-\|\|0) ok "$mode: routed to a human, never auto ($r)" ;;
	*) not_ok "$mode: $r" ;;
	esac
done
check "no job dead or left behind" test \
	"$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state <> 'done'")" -eq 0
n=$(psql_value "$url" "SELECT count(*) FROM jobs WHERE attempts = 2")
check "server errors were retried before giving up ($n jobs took 2 attempts)" test "$n" -ge 3

sed -e 's/(valid)/(after)/' -e "s/fault-valid-/fault-after-/" "$ITMP/valid.eml" >"$ITMP/after.eml"
tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/after.eml" >/dev/null
after() { [ "$(row after | cut -d'|' -f1)" = drafted ]; }
wait_for 30 after && ok "the workers are still healthy: a later mail is drafted" ||
	not_ok "after: $(row after)"
out=$("$DRAFTD" stats --config "$conf" 2>&1)
echo "$out" | grep -q "^model: openai (fake-model); automatic replies allowed" &&
	ok "draftd stats shows the model probe verdict" || not_ok "stats model line: $(echo "$out" | head -3)"
token=$("$DRAFTD" token create --name stats --role reviewer --config "$conf" 2>/dev/null | tail -n 1)
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$apiport/api/v1/stats" >"$ITMP/stats.json"
/usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["model"]; assert m["backend"]=="openai" and m["auto_reply_ok"] is True, m' \
	"$ITMP/stats.json" && ok "GET /stats carries the model probe verdict" || not_ok "stats model: $(head -c 300 "$ITMP/stats.json")"
kill -TERM "$pid"
wait "$pid"
check "draftd stops cleanly" test $? -eq 0

# A server that ignores the requested output shape fails the probe: automatic
# replies are disabled, and stats say so.
fake_model_mode flat
start_bg pid "$ITMP/run2.log" "$DRAFTD" run --config "$conf"
wait_for 20 grep -q 'draftd running' "$ITMP/run2.log" || not_ok "second run starts"
grep -q 'automatic replies are disabled' "$ITMP/run2.log" && ok "a flat-answering model is logged as disabling automatic replies" ||
	not_ok "probe failure not logged: $(grep -i probe "$ITMP/run2.log" | tail -2)"
disabled() { "$DRAFTD" stats --config "$conf" 2>/dev/null | grep -q "automatic replies DISABLED"; }
wait_for 10 disabled && ok "draftd stats shows automatic replies disabled by the probe" || not_ok "stats after failed probe"
kill -TERM "$pid"
wait "$pid"
