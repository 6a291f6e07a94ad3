#!/bin/bash
# Issue 18, reply identity end to end: a customer mail with an RFC 2047 name
# is ingested from Dovecot, a reviewer's approved reply goes through the real
# outbox to the SMTP sink: From carries [mailbox] display_name, To the
# customer's name with its letters (Sofía Núñez), the body the signature
# naming the approving reviewer and the customer's mail quoted below
# (quote = bottom). (Before: To was the bare address, From the address's
# own form, no signature, no quote.)
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_reply_identity) || { not_ok "create database"; exit 1; }
RUN=$(date +%s%N)
q() { psql_value "$url" "$1"; }

ms_adduser dovecot || not_ok "dovecot: add the test user"
printf 'From: =?UTF-8?Q?Sof=C3=ADa_N=C3=BA=C3=B1ez?= <sofia@example.test>\nTo: support@harborparts.example\nSubject: Stock HP-12345\nDate: Tue, 18 Mar 2025 09:00:00 +0100\nMessage-ID: <sofia.%s@example.test>\nContent-Type: text/plain; charset=UTF-8\n\nHola, is HP-12345 in stock?\nSofía\n' \
	"$RUN" >"$ITMP/sofia.eml"
ms_deliver dovecot INBOX "$ITMP/sofia.eml" || not_ok "deliver"
write_config "$ITMP/ri.conf" database api smtp_sink URL="$url" API_PORT="$(ms_free_port)" \
	SMTP_PORT="$DRAFTD_TEST_SMTP_PORT" log.level=info agent.workers=1 ||
	{ not_ok "write_config"; exit 1; }
# the mailbox on the test Dovecot of lib/mailservers.sh (its user and CA)
ms_mailbox_section ri dovecot INBOX 'idle = off;poll_interval = 3600;display_name = Harbor Parts Support;quote = bottom;signature = -- \n{reviewer}\n{display_name}' \
	>>"$ITMP/ri.conf"
"$DRAFTD" migrate --config "$ITMP/ri.conf" >/dev/null 2>&1 || { not_ok "migrate"; exit 1; }
"$DRAFTD" poll --once --attempts 1 --config "$ITMP/ri.conf" >/dev/null 2>&1
check "the customer's name is kept at ingest, letters and all" \
	test "$(q "SELECT sender_name FROM messages WHERE message_id = '<sofia.$RUN@example.test>'")" = "Sofía Núñez"
# a reviewer approved a reply (rows as the review API leaves them)
q "DELETE FROM jobs WHERE message_id = (SELECT id FROM messages WHERE message_id = '<sofia.$RUN@example.test>')" >/dev/null
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 -v mid="<sofia.$RUN@example.test>" -v our="<sofia-reply.$RUN@harborparts.example>" <<'SQL' >/dev/null || not_ok "approved draft rows"
WITH d AS (
  INSERT INTO drafts (message_id, category, subject, body, status, reviewer)
  SELECT id, 'stock_inquiry', '', E'Hello Sofía,\n\nyes, 4 pieces are in stock.\n', 'approved', 'alice'
  FROM messages WHERE message_id = :'mid' RETURNING id)
INSERT INTO outbox (draft_id, message_id) SELECT id, :'our' FROM d;
SQL
start_bg rpid "$ITMP/run.log" "$DRAFTD" run --config "$ITMP/ri.conf"
wait_for 30 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE message_id = '<sofia-reply.$RUN@harborparts.example>'\")\" = sent ]" ||
	not_ok "the reply was sent: $(tail -3 "$ITMP/run.log")"
kill -TERM "$rpid" 2>/dev/null
f=$(grep -l "^Message-ID: <sofia-reply.$RUN@harborparts.example>" "$DRAFTD_TEST_SMTP_MAILDIR"/new/* 2>/dev/null | head -1)
[ -n "$f" ] || { not_ok "the reply is in the sink"; exit 0; }
dec=$(/usr/bin/python3 - "$f" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("FROM=" + str(m["From"]))
print("TO=" + str(m["To"]))
print(m.get_content())
PY
)
echo "$dec" | sed 's/^/# /'
check "From: Harbor Parts Support <support@harborparts.example>" grep -qx 'FROM=Harbor Parts Support <support@harborparts.example>' <<<"$dec"
check "To: the customer's name with its letters" grep -qx 'TO=Sofía Núñez <sofia@example.test>' <<<"$dec"
check "the signature names the approving reviewer" grep -qx 'alice' <<<"$dec"
check "... and the mailbox's display name" grep -qx 'Harbor Parts Support' <<<"$dec"
check "the customer's mail quoted below, as mail clients do" \
	grep -q '^On Tue, 18 Mar 2025 09:00:00 +0100, Sofía Núñez <sofia@example.test> wrote:$' <<<"$dec"
check "... line by line" grep -qx '> Hola, is HP-12345 in stock?' <<<"$dec"
wait_for 15 bash -c "! kill -0 $rpid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"
