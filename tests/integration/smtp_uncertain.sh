#!/bin/bash
# SPDX-License-Identifier: MIT
# Ambiguous SMTP outcomes (issue 12, item 6) against real Postgres and
# Dovecot and tests/fakes/smtp_server.py, an SMTP server that really stores
# each message in a maildir and then fails the way real servers do:
#   1. it stores the message and drops the connection before the final 250,
#      and (like providers that file submitted mail) puts a copy in the
#      mailbox's Sent folder: the reply is marked uncertain, then sent once
#      draftd finds that copy; exactly one copy reached the server;
#   2. it stores the message and answers only after [smtp] timeout, with no
#      copy in Sent: the reply stays uncertain ("may have been delivered"),
#      is never resent on its own, and a person marks it delivered (audited);
#   3. it stores and drops, then works again: a person asks to send again
#      (audited), and it goes out a second time on that request only;
#   4. a 451 after the final dot is a plain temporary failure, retried.
# Before: the reply was retried like any temporary failure and two (or more)
# copies reached the server.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
dc() { doveadm -c "$SVC/dovecot.conf" "$@" </dev/null; }

url=$(fresh_db draftd_it_uncertain) || { not_ok "uncertain: create database"; exit 0; }
user="uncertain_it_$$"
pass="pw-$$"
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" "$pass" >/dev/null
"$SRC/tests/services/dovecot.sh" mkfolder "$SVC" "$user" Sent >/dev/null 2>&1
api_port=$(free_port)
base=http://127.0.0.1:$api_port/api/v1
conf=$ITMP/draftd.conf
sql() { psql -XAtq -d "$url" -c "$1"; }

# fake MODES [COPY_TO_SENT]: (re)starts the SMTP server with MODES; sets FAKE_PORT
fake_pid=
fake() {
	[ -z "$fake_pid" ] || { kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; }
	rm -f "$ITMP/fake.port"
	local copy=()
	[ "${2:-}" != sent ] || copy=(--copy-cmd "doveadm -c '$SVC/dovecot.conf' save -u '$user' -m Sent")
	start_bg fake_pid "$ITMP/fake.out" /usr/bin/python3 "$SRC/tests/fakes/smtp_server.py" \
		--port-file "$ITMP/fake.port" --maildir "$ITMP/sink" --log "$ITMP/fake.log" \
		--modes "$1" "${copy[@]}"
	wait_for 10 test -s "$ITMP/fake.port" || { not_ok "fake SMTP server starts"; return 1; }
	FAKE_PORT=$(cat "$ITMP/fake.port")
}

write_conf() {
	write_config "$conf" database api smtp_sink model_builtin mailbox_dovecot_tls URL="$url" \
		API_PORT="$api_port" SMTP_PORT="$FAKE_PORT" USER="$user" PASSWORD="$pass" \
		api.web_root="$SRC/ui-api/web" smtp.timeout=3 log.level=debug
}


dpid=
run_daemon() {
	write_conf
	start_bg dpid "$ITMP/run-$1.log" "$DRAFTD" run --config "$conf"
	wait_for 15 grep -qs 'draftd running' "$ITMP/run-$1.log"
}
stop_daemon() {
	[ -n "$dpid" ] || return 0
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
}

# add_reply N: an original mail in INBOX and an approved reply to it, queued
add_reply() {
	local uid uv
	cat >"$ITMP/orig$1.eml" <<EML
From: Jane Customer <jane$1@customer.example>
To: support@example.com
Subject: Order SO-2045$1
Message-ID: <orig-$1-$$@customer.example>
Date: Mon, 20 Nov 2023 10:00:00 +0000

Where is my order?
EML
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$ITMP/orig$1.eml" >/dev/null
	uid=$(dc fetch -u "$user" uid mailbox INBOX header message-id "<orig-$1-$$@customer.example>" | sed -n 's/^uid: //p')
	uv=$(dc mailbox status -u "$user" uidvalidity INBOX | sed -n 's/.*uidvalidity=//p')
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 -v uid="$uid" -v uv="$uv" -v n="$1" \
		-v mid="<orig-$1-$$@customer.example>" -v our="<draftd-unc-$1-$$@example.com>" <<'SQL' >/dev/null
INSERT INTO mailboxes (name, imap_url, imap_user, address, uidvalidity, last_uid)
VALUES ('support', 'imap://x', 'x', 'support@example.com', :uv, :uid)
ON CONFLICT (name) DO UPDATE SET last_uid = greatest(mailboxes.last_uid, EXCLUDED.last_uid);
WITH m AS (
  INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256, sender, subject, raw_size, state)
  SELECT id, :uv, :uid, :'mid', sha256(convert_to(:'mid', 'UTF8')), 'jane' || :'n' || '@customer.example',
         'Order SO-2045' || :'n', 100, 'drafted'
  FROM mailboxes WHERE name = 'support' RETURNING id),
d AS (
  INSERT INTO drafts (message_id, category, subject, body, status)
  SELECT id, 'order_status', '', E'Hello Jane,\n\nyour order is on its way.\n', 'approved' FROM m RETURNING id)
INSERT INTO outbox (draft_id, message_id) SELECT id, :'our' FROM d;
SQL
}
draft_of() { sql "SELECT draft_id FROM outbox WHERE message_id = '<draftd-unc-$1-$$@example.com>'"; }
ostate() { sql "SELECT state FROM outbox WHERE message_id = '<draftd-unc-$1-$$@example.com>'"; }
state_is() { [ "$(ostate "$1")" = "$2" ]; }
in_sink() { grep -l "^Message-ID: <draftd-unc-$1-$$@example.com>" "$ITMP"/sink/new/* 2>/dev/null | wc -l; }
in_sent() { dc search -u "$user" mailbox Sent header message-id "<draftd-unc-$1-$$@example.com>" | wc -l; }

FAKE_PORT=1 write_conf
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "uncertain: migrate"; exit 0; }
tok() { "$DRAFTD" token create --config "$conf" --name "$1" --role "$2" 2>/dev/null | tail -n 1; }
rev=$(tok rita reviewer)
# api METHOD PATH [JSON]: body on stdout, status in $ITMP/status
api() {
	curl -s -o "$ITMP/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $rev" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$base$2" >"$ITMP/status"
	cat "$ITMP/body"
}
js() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# --- 1. stored, connection dropped before the final reply, copy filed in Sent
fake drop sent || exit 0
add_reply 1
run_daemon 1 || not_ok "uncertain: draftd run starts"
if wait_for 30 state_is 1 sent; then
	ok "dropped after DATA, server copy in Sent: the reply is marked sent"
else
	not_ok "dropped after DATA, server copy in Sent: state $(ostate 1), $(sql "SELECT last_error FROM outbox WHERE message_id = '<draftd-unc-1-$$@example.com>'")"
fi
sleep 6 # longer than the first retry's backoff: a blind resend would show now
check "dropped after DATA: exactly one copy reached the server (got $(in_sink 1))" test "$(in_sink 1)" = 1
check "dropped after DATA: it went through 'uncertain' (audited) before 'sent'" \
	test "$(sql "SELECT count(*) FROM audit_log WHERE action = 'send_uncertain' AND object_id = '$(draft_of 1)'")" = 1
check "dropped after DATA: the draft is sent" \
	test "$(sql "SELECT status FROM drafts WHERE id = $(draft_of 1)")" = sent
stop_daemon

# --- 2. stored, answered only after [smtp] timeout, nothing in Sent
fake late:8 || exit 0
add_reply 2
run_daemon 2 || not_ok "uncertain: draftd run restarts"
if wait_for 30 state_is 2 uncertain; then
	ok "answer after the timeout: the reply is uncertain"
else
	not_ok "answer after the timeout: state $(ostate 2)"
fi
sleep 10 # retries would have happened by now
check "answer after the timeout: exactly one copy reached the server (got $(in_sink 2))" test "$(in_sink 2)" = 1
check "answer after the timeout: still uncertain, waiting for a person" state_is 2 uncertain
check "answer after the timeout: the audit row keeps why" \
	test "$(sql "SELECT (after->>'error') LIKE '%may have been delivered%' FROM audit_log WHERE action = 'send_uncertain' AND object_id = '$(draft_of 2)'")" = t
d2=$(draft_of 2)
check "the draft shows the delivery as uncertain, with the reason" \
	test "$(api GET "/drafts/$d2" | js "j['outbox']['state'] + ' ' + str('may have been delivered' in (j['outbox']['last_error'] or ''))")" = "uncertain True"
check "uncertain replies are listed for a person (GET /drafts?status=uncertain)" \
	test "$(api GET "/drafts?status=uncertain" | js "[d['id'] for d in j['drafts']]")" = "[$d2]"
# the page shows the question and records the answer (headless Chromium);
# without a browser the same answer goes over REST
if [ -x /usr/bin/chromium ] && [ -d "$SRC/tests/browser/node_modules/playwright-core" ]; then
	(cd "$SRC/tests/browser" && DRAFTD_URL="http://127.0.0.1:$api_port/" REVIEWER_TOKEN=$rev \
		DRAFT_ID=$d2 SCREENSHOT_DIR=${DRAFTD_SCREENSHOTS:-$SRC/build/screenshots} \
		timeout 120 node delivery.mjs)
else
	api POST "/drafts/$d2/delivered" '{}' >/dev/null
	check "mark as delivered: 200" test "$(cat "$ITMP/status")" = 200
fi
check "mark as delivered: outbox and draft sent" \
	test "$(sql "SELECT o.state || ' ' || d.status FROM outbox o JOIN drafts d ON d.id = o.draft_id WHERE d.id = $d2")" = "sent sent"
check "mark as delivered: audited with who" \
	test "$(sql "SELECT count(*) FROM audit_log WHERE action = 'send.confirmed' AND object_id = '$d2' AND actor = 'rita'")" = 1
api POST "/drafts/$d2/delivered" '{}' >/dev/null
check "mark as delivered again: 409" test "$(cat "$ITMP/status")" = 409
sleep 1
check "mark as delivered: nothing more was sent" test "$(in_sink 2)" = 1
stop_daemon

# --- 3. stored and dropped (no Sent copy), then the server works: send again
fake drop,ok || exit 0
add_reply 3
run_daemon 3 || not_ok "uncertain: draftd run restarts"
wait_for 30 state_is 3 uncertain || not_ok "dropped, no copy: uncertain (state $(ostate 3))"
d3=$(draft_of 3)
api POST "/drafts/$d3/resend" '{}' >/dev/null
check "send again: 200" test "$(cat "$ITMP/status")" = 200
if wait_for 30 state_is 3 sent; then ok "send again: sent on the person's request"; else not_ok "send again: $(ostate 3)"; fi
check "send again: two copies reached the server, as asked (got $(in_sink 3))" test "$(in_sink 3)" = 2
check "send again: one copy in Sent" test "$(in_sent 3)" = 1
check "send again: audited with who" \
	test "$(sql "SELECT count(*) FROM audit_log WHERE action = 'send.again' AND object_id = '$d3' AND actor = 'rita'")" = 1
api POST "/drafts/$d3/resend" '{}' >/dev/null
check "send again on a sent reply: 409" test "$(cat "$ITMP/status")" = 409
stop_daemon

# --- 4. a 451 after the final dot is a definite temporary failure: retried
fake tempfail,ok || exit 0
add_reply 4
run_daemon 4 || not_ok "uncertain: draftd run restarts"
if wait_for 40 state_is 4 sent; then ok "451 after DATA: retried and sent"; else not_ok "451 after DATA: $(ostate 4)"; fi
check "451 after DATA: one copy (the refused one was not stored)" test "$(in_sink 4)" = 1
check "451 after DATA: never uncertain" \
	test "$(sql "SELECT count(*) FROM audit_log WHERE action = 'send_uncertain' AND object_id = '$(draft_of 4)'")" = 0
stop_daemon
kill "$fake_pid" 2>/dev/null
exit 0
