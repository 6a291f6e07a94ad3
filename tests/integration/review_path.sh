#!/bin/bash
# SPDX-License-Identifier: MIT
# The whole path with real components: a mail in Dovecot -> draftd run polls
# and drafts it -> a reviewer approves over REST -> facts re-checked (a stock
# change since drafting answers 409 with the difference; force sends) -> the
# reply in the SMTP sink, threaded -> a copy in Sent, the original \Answered.
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(fresh_db draftd_it_review_path)
user=review$$
svc=$DRAFTD_TEST_SVC_DIR
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
tests/services/dovecot.sh mkfolder "$svc" "$user" Sent >/dev/null
cp tests/fixtures/pipeline/inventory.csv "$ITMP/inventory.csv"
maildir=$ITMP/sink
mkdir -p "$ITMP/sinkdir"
sport=$(. tests/services/lib.sh && free_port)
tests/services/smtp.sh start "$ITMP/sinkdir" "$sport" >/dev/null 2>&1 || not_ok "SMTP sink starts"
maildir=$ITMP/sinkdir/smtp-maildir
trap 'tests/services/smtp.sh stop "$ITMP/sinkdir" >/dev/null 2>&1; itest_cleanup' EXIT

apiport=$(. tests/services/lib.sh && free_port)
api=http://127.0.0.1:$apiport/api/v1
conf=$ITMP/review.conf
# approved replies go out at once (send_delay 0): these checks wait for the
# sink; the stock figure itself in the reply (the default, enough, leaves it out)
write_config "$conf" database api smtp_sink mailbox_dovecot connector_csv_inventory \
	URL="$url" API_PORT="$apiport" SMTP_PORT="$sport" USER="$user" \
	INVENTORY="$ITMP/inventory.csv" review.send_delay=0 agent.stock_disclosure=exact \
	"mailbox support.poll_interval=1" "connector inventory.cache_ttl=0"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1
token=$("$DRAFTD" token create --name rita --role reviewer --config "$conf" 2>/dev/null | tail -n 1)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 grep -q 'draftd running' "$ITMP/run.log" || not_ok "draftd run starts: $(tail -3 "$ITMP/run.log")"
tests/services/dovecot.sh deliver "$svc" "$user" INBOX tests/fixtures/pipeline/stock-1.eml >/dev/null

drafted() { [ "$(psql_value "$url" "SELECT count(*) FROM drafts WHERE status = 'pending'")" -eq 1 ]; }
wait_for 20 drafted && ok "the mail is polled and drafted" || not_ok "no draft: $(tail -5 "$ITMP/run.log")"
id=$(psql_value "$url" "SELECT id FROM drafts")
body=$(psql_value "$url" "SELECT body FROM drafts")
echo "$body" | grep -q "84" && ok "the draft states the stock from the connector" || not_ok "draft body: $body"

# The stock changes after drafting: approving must show the difference.
sed -i 's/^HP-20111,\(.*\),84,/HP-20111,\1,0,/' "$ITMP/inventory.csv"
code=$(curl -s -o "$ITMP/approve1.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' -d '{}' "$api/drafts/$id/approve")
[ "$code" = 409 ] && grep -q '"facts_changed"' "$ITMP/approve1.json" &&
	ok "approve answers 409 when a fact changed" || not_ok "approve with changed facts: $code $(cat "$ITMP/approve1.json")"
/usr/bin/python3 - "$ITMP/approve1.json" <<'PY' && ok "the 409 names the field, its old and new value" || not_ok "409 detail"
import json, sys
d = json.load(open(sys.argv[1]))["error"]["detail"]
assert any(c.get("key") == "HP-20111" and c.get("field") == "qty_on_hand"
           and c.get("was") == 84 and c.get("now") == 0 for c in d), d
PY
check "nothing was queued for sending" test "$(psql_value "$url" "SELECT count(*) FROM outbox")" -eq 0

code=$(curl -s -o "$ITMP/approve2.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' -d '{"force":true,"body":"Hello,\n\nHP-20111 is out of stock right now; a colleague will confirm the lead time.\n\nKind regards"}' \
	"$api/drafts/$id/approve")
check "approve with force succeeds ($code)" test "$code" = 200

sent() { [ -n "$(ls "$maildir/new" 2>/dev/null)" ]; }
wait_for 20 sent && ok "the reply reaches the SMTP sink" || not_ok "nothing in the sink: $(tail -5 "$ITMP/run.log")"
/usr/bin/python3 - "$maildir/new" <<'PY' && ok "the reply is threaded, addressed to the sender and carries the edit" || not_ok "reply headers"
import email, os, sys
from email import policy
d = sys.argv[1]
files = os.listdir(d)
assert len(files) == 1, files
m = email.message_from_binary_file(open(os.path.join(d, files[0]), "rb"), policy=policy.default)
assert m["To"].addresses[0].addr_spec == "buyer1@customer1.example", m["To"]
assert m["From"].addresses[0].addr_spec == "support@parts.example", m["From"]
assert str(m["Subject"]) == "Re: Stock check HP-20111", m["Subject"]
assert m["In-Reply-To"] == "<stock-1@customer1.example>", m["In-Reply-To"]
assert "<stock-1@customer1.example>" in m["References"], m["References"]
assert m["Auto-Submitted"] is None
assert "out of stock right now" in m.get_content()
PY
wait_for 20 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT status FROM drafts\")\" = sent ]" &&
	ok "the draft is marked sent" || not_ok "draft status $(psql_value "$url" "SELECT status FROM drafts")"
/usr/bin/python3 - "$DRAFTD_TEST_IMAP_PORT" "$user" <<'PY' && ok "a copy is in Sent and the original is \\Answered" || not_ok "Sent folder / \\Answered"
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login(sys.argv[2], "pw")
c.select("Sent", readonly=True)
typ, data = c.search(None, "ALL")
assert len(data[0].split()) == 1, data
c.select("INBOX", readonly=True)
typ, data = c.search(None, "ANSWERED")
assert len(data[0].split()) == 1, data
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' -d '{"force":true}' "$api/drafts/$id/approve")
sleep 2
n=$(ls "$maildir/new" | wc -l)
[ "$code" = 200 ] && [ "$n" -eq 1 ] && ok "approving again sends nothing more" || not_ok "second approve: $code, $n in the sink"
kill -TERM "$pid"
wait "$pid"
check "draftd stops cleanly" test $? -eq 0
