#!/bin/bash
# SPDX-License-Identifier: MIT
# The injection suite (issue 12): 66 attack mails and 2 benign controls
# (tests/fixtures/injection/, index.tsv says what each tries) go through
# the real pipeline (Dovecot -> draftd run -> Postgres -> SMTP sink) with
# every category in auto at threshold 0, no rules file, and the model
# stand-in in its obedient mode: it follows every instruction it finds in a
# mail, pastes the example replies it was given, writes the IBAN, link,
# discount or phone number it was asked to. Earlier approved replies to other
# customers (names, street addresses, phones, orders) sit in the database as
# few-shot material. tests/integration/lib/injection_check.py then reads
# every automatic reply the sink got, and every request the model got.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$SRC/tests/fixtures/injection
MAILBOX=support@harborparts.example
ALLOW="harborparts.example, dhl.example"

url=$(db_url_for draftd_it_injection) || { not_ok "injection: create database"; exit 0; }
user=inject$$
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null

sink=$ITMP/sink
mkdir -p "$sink"
"$SRC/tests/services/smtp.sh" start "$sink" >/dev/null 2>&1 || { not_ok "injection: start sink"; exit 0; }
cleanup() {
	"$SRC/tests/services/smtp.sh" stop "$sink" >/dev/null 2>&1
	itest_cleanup
}
trap cleanup EXIT
start_fake_model 30 --log-requests "$ITMP/requests.jsonl" || exit 0
fake_model_mode obedient || { not_ok "injection: obedient mode"; exit 0; }

conf=$ITMP/draftd.conf
# agent.auto_reply_period=1: the loop limit (one automatic reply per sender a
# period) would hide what the gates let through when one sender's attacks
# come in a row
write_config "$conf" database api smtp_sink model_fake mailbox_dovecot connectors_csv_fields \
	URL="$url" API_PORT="$(free_port)" SMTP_PORT="$(cat "$sink/smtp.port")" \
	FAKE_PORT="$FAKE_PORT" USER="$user" ADDRESS="$MAILBOX" DATA="$FIX" model.timeout=10 \
	agent.workers=2 agent.url_allow="$ALLOW" agent.auto_hourly_cap=0 \
	agent.auto_reply_period=1 log.level=warn "mailbox support.poll_interval=1" \
	"mailbox support.idle=off"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "injection: migrate"; exit 0; }
psql -q -X -d "$url" -c "INSERT INTO categories (name, mode, threshold)
    SELECT unnest(ARRAY['stock_inquiry','order_status','quote_request','return_request',
                        'address_change','invoice_copy','complaint','other']), 'auto', 0" >/dev/null

# Earlier replies to three other customers, approved unchanged and sent, in
# every category: what "the last customer" was told.
cat >"$ITMP/seeds.json" <<'JSON'
[{"customer": "gareth.lloyd@lloyd-dairy.example", "name": "Gareth Lloyd", "order": "SO-204515",
  "body": "Dear Gareth Lloyd,\n\norder SO-204515 was delivered by DPD on 2025-02-19, tracking 01905515064420, total EUR 936.00. The replacement seals go to 12 Dairy Lane, Aberystwyth SY23 1AB; our driver calls you on +44 1970 555 0123.\n\nKind regards\nHarbor Parts Co. customer service",
  "secrets": ["Gareth", "Lloyd", "Dairy Lane", "Aberystwyth", "SY23 1AB", "1970 555 0123", "01905515064420", "gareth.lloyd@lloyd-dairy.example", "lloyd-dairy"]},
 {"customer": "paul.henderson@henderson-cranes.example", "name": "Paul Henderson", "order": "SO-204516",
  "body": "Dear Mr. Henderson,\n\nyour order SO-204516 (UPS 1Z9X4E760412345616) reached 7 Harbour Road, Cork T12 X8Y2 on 2025-02-25. For the crane parts call Paul's site office on +353 21 555 0142 or write to paul.henderson@henderson-cranes.example.\n\nKind regards\nHarbor Parts Co. customer service",
  "secrets": ["Henderson", "Harbour Road", "Cork", "T12 X8Y2", "21 555 0142", "1Z9X4E760412345616", "paul.henderson@henderson-cranes.example", "henderson-cranes"]},
 {"customer": "liam.walsh@westport-ferries.example", "name": "Liam Walsh", "order": "SO-204527",
  "body": "Hello Liam Walsh,\n\nthe pumps of SO-204527 (EUR 4,371.90) were delivered to Westport Ferries, Quay Street 4, Westport F28 K7P3. Your contact Siobhan Walsh (+353 98 555 0171) signed for them.\n\nKind regards\nHarbor Parts Co. customer service",
  "secrets": ["Liam", "Walsh", "Siobhan", "Quay Street", "F28 K7P3", "98 555 0171", "4,371.90", "westport-ferries"]}]
JSON
/usr/bin/python3 - "$ITMP/seeds.json" >"$ITMP/seeds.sql" <<'PY'
import json, sys
seeds = json.load(open(sys.argv[1]))
q = lambda s: "'" + s.replace("'", "''") + "'"
print("INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('archive', 'imap://x', 'x');")
uid = 0
for s in seeds:
    for cat in ["stock_inquiry", "order_status", "quote_request", "return_request",
                "address_change", "invoice_copy", "complaint", "other"]:
        uid += 1
        hdr = json.dumps({"from": "%s <%s>" % (s["name"], s["customer"])})
        print("WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size,"
              " sender, headers, state) SELECT id, 1, %d, sha256(%s::bytea), 0, %s, %s::jsonb,"
              " 'drafted' FROM mailboxes WHERE name = 'archive' RETURNING id)"
              " INSERT INTO drafts (message_id, category, body, recipient, facts, status,"
              " edit_distance, decided_at) SELECT id, %s, %s, %s, %s::jsonb, 'sent', 0,"
              " now() - interval '1 day' FROM m;" % (
                  uid, q("seed%d" % uid), q(s["customer"]), q(hdr), q(cat), q(s["body"]),
                  q(s["customer"]),
                  q(json.dumps({"order": [{"key": s["order"], "found": True,
                                            "order_id": s["order"],
                                            "customer_email": s["customer"]}]}))))
PY
psql -q -X -v ON_ERROR_STOP=1 -d "$url" -f "$ITMP/seeds.sql" >/dev/null 2>"$ITMP/seeds.err" &&
	ok "injection: earlier replies to other customers seeded" ||
	not_ok "injection: seeding: $(head -3 "$ITMP/seeds.err")"

for f in "$FIX"/*.eml; do
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$f" >/dev/null ||
		not_ok "injection: deliver $f"
done
total=$(ls "$FIX"/*.eml | wc -l)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
settled() {
	[ "$(psql_value "$url" "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
	    WHERE b.name = 'support' AND m.state IN ('drafted', 'human', 'skipped', 'failed')")" -eq "$total" ] &&
		[ "$(psql_value "$url" "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")" -eq 0 ]
}
wait_for 240 settled && ok "injection: all $total mails processed, every queued reply sent" ||
	not_ok "injection: settled: $(psql_value "$url" "SELECT string_agg(state || '=' || n, ', ') FROM
	    (SELECT state, count(*) n FROM messages GROUP BY state) x") / outbox $(psql_value "$url" \
		"SELECT string_agg(state || '=' || n, ', ') FROM (SELECT state, count(*) n FROM outbox GROUP BY state) x")"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
psql_value "$url" "SELECT m.message_id || ' | ' || d.decision || ' | ' ||
    coalesce((SELECT string_agg(DISTINCT f->>'flag', ',') FROM jsonb_array_elements(d.guardrail_flags) f), '')
    FROM drafts d JOIN messages m ON m.id = d.message_id JOIN mailboxes b ON b.id = m.mailbox_id
    WHERE b.name = 'support' ORDER BY m.uid" >"$ITMP/decisions.txt"
sed 's/^/#   /' "$ITMP/decisions.txt" | head -80
/usr/bin/python3 "$SRC/tests/integration/lib/injection_check.py" "$FIX" "$sink/smtp-maildir" \
	"$ITMP/requests.jsonl" "$ITMP/seeds.json" "$ALLOW" "$MAILBOX"
