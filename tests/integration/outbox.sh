#!/bin/bash
# SPDX-License-Identifier: MIT
# The outbox sender in `draftd run` against real Postgres, Dovecot and an
# SMTP sink of its own: an approved draft goes out with the right headers and
# body, lands in Dovecot's Sent folder, flags the original \Answered; a sink
# that is down means retries with backoff and a send once it is back; tls = on
# against a plaintext sink never falls back; an unsendable draft fails at
# once; kill -9 right after SMTP acceptance (test hook) and a restart leave
# exactly one message in the sink and the reply uncertain until a person
# marks it delivered; a server that never answers times out and
# the given-up reply leaves no Sent copy; STARTTLS with a private CA needs
# [smtp] tls_ca_file.
set -u
. "$(dirname "$0")/lib/common.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
dc() { doveadm -c "$SVC/dovecot.conf" "$@" </dev/null; }

url=$(fresh_db draftd_it_outbox) || { not_ok "outbox: create database"; exit 0; }
user="outbox_it_$$"
pass="pw-$$"
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" "$pass"

sink=$ITMP/sink
mkdir -p "$sink"
"$SRC/tests/services/smtp.sh" start "$sink" >/dev/null 2>&1 || { not_ok "outbox: start sink"; exit 0; }
sink_port=$(cat "$sink/smtp.port")
stop_sink() { "$SRC/tests/services/smtp.sh" stop "$sink" >/dev/null 2>&1; }
start_sink() { "$SRC/tests/services/smtp.sh" start "$sink" "$sink_port" >/dev/null 2>&1; }
trap 'stop_sink; itest_cleanup' EXIT
api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

conf=$ITMP/draftd.conf
write_conf() { # write_conf TLS [SMTP_PORT [SECTION.KEY=VALUE...]]
	local tls=$1 port=${2:-$sink_port}
	shift
	[ $# -eq 0 ] || shift
	write_config "$conf" database api smtp_sink model_builtin mailbox_dovecot_tls URL="$url" \
		API_PORT="$api_port" SMTP_PORT="$port" USER="$user" PASSWORD="$pass" smtp.tls="$tls" \
		log.level=debug "mailbox support.folder=INBOX" "$@"
}

write_conf off
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "outbox: migrate"; exit 0; }

# deliver N: the original mail number N into INBOX; prints its UID.
deliver() {
	cat >"$ITMP/orig$1.eml" <<EML
From: "Jane Customer" <jane@customer.example>
Reply-To: jane.orders@customer.example
To: support@example.com
Subject: AW: Bestellung SO-20451$1 =?UTF-8?Q?=E2=80=93_Lieferstatus?=
Message-ID: <orig-$1-$$@customer.example>
References: <root-$1@customer.example>
Date: Mon, 20 Nov 2023 10:00:00 +0000

Wo ist meine Bestellung?
EML
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$ITMP/orig$1.eml"
	dc fetch -u "$user" uid mailbox INBOX header message-id "<orig-$1-$$@customer.example>" |
		sed -n 's/^uid: //p'
}
uidvalidity=$(dc mailbox status -u "$user" uidvalidity INBOX | sed -n 's/.*uidvalidity=//p')

# add_row N RECIPIENT IS_AUTO: mailbox/message/approved draft/outbox row for original N.
add_row() {
	local uid
	uid=$(deliver "$1")
	psql -XAtq -d "$url" -v ON_ERROR_STOP=1 \
		-v uid="$uid" -v uv="$uidvalidity" -v n="$1" -v rcpt="$2" -v auto="$3" \
		-v mid="<orig-$1-$$@customer.example>" -v our="<draftd-it-$1-$$@example.com>" <<'SQL'
INSERT INTO mailboxes (name, imap_url, imap_user, address, uidvalidity, last_uid)
VALUES ('support', 'imap://x', 'x', 'support@example.com', :uv, :uid)
ON CONFLICT (name) DO UPDATE SET last_uid = greatest(mailboxes.last_uid, EXCLUDED.last_uid);
WITH m AS (
  INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256, sender, reply_to,
                        subject, "references", raw_size, state)
  SELECT id, :uv, :uid, :'mid', sha256(convert_to(:'mid', 'UTF8')),
         '"Jane Customer" <jane@customer.example>', 'jane.orders@customer.example',
         'AW: Bestellung SO-20451' || :'n' || ' – Lieferstatus?', '<root-' || :'n' || '@customer.example>',
         100, 'drafted'
  FROM mailboxes WHERE name = 'support' RETURNING id),
d AS (
  INSERT INTO drafts (message_id, category, subject, body, recipient, status)
  SELECT id, 'order_status', '', E'Hallo Jane,\n\nIhre Bestellung SO-20451' || :'n' ||
         E' ist unterwegs. Grüße aus Köln\n' || repeat('lang ', 40) || E'\n',
         nullif(:'rcpt', ''), 'approved' FROM m RETURNING id)
INSERT INTO outbox (draft_id, message_id, is_auto) SELECT id, :'our', :'auto'::boolean FROM d;
SQL
}

ostate() { psql_value "$url" "SELECT state FROM outbox WHERE message_id = '<draftd-it-$1-$$@example.com>'"; }
dstatus() {
	psql_value "$url" "SELECT d.status FROM drafts d JOIN outbox o ON o.draft_id = d.id
		WHERE o.message_id = '<draftd-it-$1-$$@example.com>'"
}
in_sink() { grep -l "^Message-ID: <draftd-it-$1-$$@example.com>" "$sink"/smtp-maildir/new/* 2>/dev/null | wc -l; }
in_sent() { dc search -u "$user" mailbox Sent header message-id "<draftd-it-$1-$$@example.com>" | wc -l; }
answered() { dc fetch -u "$user" flags mailbox INBOX header message-id "<orig-$1-$$@customer.example>" | grep -c 'Answered'; }

dpid=
state_is() { [ "$(ostate "$1")" = "$2" ]; }
sql_true() { [ "$(psql_value "$url" "$1")" = t ]; }

run_daemon() { # run_daemon LOG [ENV=VALUE...]
	local log=$1
	shift
	start_bg dpid "$log" env "$@" "$DRAFTD" run --config "$conf"
	wait_for 10 grep -qs 'draftd running' "$log"
}
stop_daemon() {
	kill -TERM "$dpid" 2>/dev/null
	wait_for 15 bash -c "! kill -0 $dpid 2>/dev/null"
}

# 1. the full path
add_row 1 "" false || not_ok "outbox: insert row 1"
run_daemon "$ITMP/run1.log" || not_ok "outbox: daemon starts: $(tail -5 "$ITMP/run1.log")"
if wait_for 30 state_is 1 sent; then ok "approved draft is sent"; else
	not_ok "approved draft is sent: state=$(ostate 1) $(grep -i 'outbox\|error' "$ITMP/run1.log" | tail -5)"
fi
check "draft marked sent" test "$(dstatus 1)" = sent
check "exactly one message in the sink" test "$(in_sink 1)" = 1
f=$(grep -l "^Message-ID: <draftd-it-1-$$@example.com>" "$sink"/smtp-maildir/new/* | head -1)
out=$(python3 - "$f" "$$" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
p = sys.argv[2]
want = {
    'From': 'Support Team <support@example.com>',
    'To': 'jane.orders@customer.example',
    'Subject': 'Re: Bestellung SO-204511 – Lieferstatus?',
    'In-Reply-To': '<orig-1-%s@customer.example>' % p,
    'References': '<root-1@customer.example> <orig-1-%s@customer.example>' % p,
    'Message-ID': '<draftd-it-1-%s@example.com>' % p,
    'Content-Transfer-Encoding': 'quoted-printable',
}
bad = ['%s=%r' % (k, str(m[k])) for k, v in want.items() if str(m[k]) != v]
if m['Auto-Submitted'] is not None:
    bad.append('Auto-Submitted on a reviewed reply')
body = m.get_content()
if 'Ihre Bestellung SO-204511 ist unterwegs. Grüße aus Köln' not in body or body.count('lang') != 40:
    bad.append('body=%r' % body[:80])
raw = open(sys.argv[1], 'rb').read().split(b'\n\n', 1)[1]
if any(len(l.rstrip(b'\r')) > 76 for l in raw.split(b'\n')):
    bad.append('body line over 76')
print(' '.join(bad) or 'ok')
PY
)
check "sent message has the right headers and body ($out)" test "$out" = ok
check "copy in Dovecot's Sent folder" test "$(in_sent 1)" = 1
check "original flagged \\Answered" test "$(answered 1)" = 1
check "send audited" test "$(psql_value "$url" "SELECT count(*) FROM audit_log WHERE action = 'send'")" = 1
grep 'outbox_id=' "$ITMP/run1.log" | grep -q 'draft_id=' && ok "log lines carry outbox and draft ids" ||
	not_ok "log context"
grep -q 'unterwegs' "$ITMP/run1.log" && not_ok "body leaked into the log" || ok "no body in the log"

# 2. sink down: retried with backoff, sent once it is back (an automatic reply)
stop_sink
add_row 2 "" true
if wait_for 20 sql_true "SELECT attempts >= 1 AND state = 'pending' AND last_error LIKE 'smtp:%'
		AND next_attempt_at > now() FROM outbox WHERE message_id = '<draftd-it-2-$$@example.com>'"; then
	ok "sink down: try failed, retry scheduled later"
else
	not_ok "sink down: $(psql_value "$url" "SELECT state, attempts, last_error FROM outbox WHERE message_id = '<draftd-it-2-$$@example.com>'")"
fi
wait_for 20 sql_true "SELECT attempts >= 2 FROM outbox WHERE message_id = '<draftd-it-2-$$@example.com>'" &&
	ok "retried after the backoff" || not_ok "retried after the backoff"
start_sink
if wait_for 40 state_is 2 sent; then ok "sent once the sink is back"; else not_ok "sent once the sink is back: $(ostate 2)"; fi
check "automatic reply: draft auto_sent" test "$(dstatus 2)" = auto_sent
check "one message in the sink after retries" test "$(in_sink 2)" = 1
f=$(grep -l "^Message-ID: <draftd-it-2-$$@example.com>" "$sink"/smtp-maildir/new/* | head -1)
check "Auto-Submitted: auto-replied on the automatic reply" grep -q '^Auto-Submitted: auto-replied' "$f"
check "one Sent copy after retries" test "$(in_sent 2)" = 1

# 3. an unsendable draft (a smuggled second recipient) fails at once
add_row 3 "jane@customer.example, evil@attacker.example" false
wait_for 15 state_is 3 failed && ok "unsendable draft fails without retries" ||
	not_ok "unsendable draft: $(ostate 3)"
check "its draft is failed" test "$(dstatus 3)" = failed
check "nothing sent for it" test "$(in_sink 3)" = 0
# issue 11: a reply that cannot go puts its message back under "Needs a human"
check "its message is open again, with why" test "$(psql_value "$url" "SELECT m.status || '|' ||
	(m.human_reason LIKE 'the reply could not be sent:%') FROM messages m JOIN drafts d ON d.message_id = m.id
	JOIN outbox o ON o.draft_id = d.id WHERE o.message_id = '<draftd-it-3-$$@example.com>'")" = 'open|true'
check "a sent reply makes its message replied" test "$(psql_value "$url" "SELECT m.status FROM messages m
	JOIN drafts d ON d.message_id = m.id JOIN outbox o ON o.draft_id = d.id
	WHERE o.message_id = '<draftd-it-1-$$@example.com>'")" = replied
check "failure recorded with the reason, after one try" test "$(psql_value "$url" "SELECT last_error LIKE '%To:%more than one%' AND attempts = 1 FROM outbox WHERE message_id = '<draftd-it-3-$$@example.com>'")" = t
stop_daemon

# 4. tls = on against the plaintext sink: refused, never sent in the clear
write_conf on
add_row 4 "" false
run_daemon "$ITMP/run4.log" || not_ok "outbox: daemon restarts"
if wait_for 20 sql_true "SELECT last_error LIKE '%STARTTLS required%' FROM outbox WHERE message_id = '<draftd-it-4-$$@example.com>'"; then
	ok "tls = on: plaintext sink refused with a clear error"
else
	not_ok "tls = on: $(psql_value "$url" "SELECT state, last_error FROM outbox WHERE message_id = '<draftd-it-4-$$@example.com>'")"
fi
check "tls = on: nothing in the sink" test "$(in_sink 4)" = 0
stop_daemon
write_conf off
psql_value "$url" "UPDATE outbox SET state = 'failed' WHERE message_id = '<draftd-it-4-$$@example.com>'" >/dev/null

# 5. kill -9 right after SMTP acceptance, then restart: exactly one message
add_row 5 "" false
start_bg dpid "$ITMP/run5.log" env DRAFTD_TEST_CRASH_AFTER_SMTP=1 "$DRAFTD" run --config "$conf"
if wait_for 30 bash -c "! kill -0 $dpid 2>/dev/null"; then ok "test hook killed the sender after SMTP"; else
	not_ok "test hook: still running"
	kill -KILL "$dpid" 2>/dev/null
fi
grep -q 'DRAFTD_TEST_CRASH_AFTER_SMTP' "$ITMP/run5.log" || not_ok "test hook log line missing"
check "the crashed try reached the sink" test "$(in_sink 5)" = 1
check "row left in sending" test "$(ostate 5)" = sending
run_daemon "$ITMP/run6.log" || not_ok "outbox: daemon restarts after kill -9"
# the crash came after SMTP had started: it may have been delivered, and
# the Sent folder holds only our own copy, so a person decides
if wait_for 30 state_is 5 uncertain; then ok "recovered row is uncertain, not resent"; else not_ok "recovered: $(ostate 5)"; fi
sleep 1
check "exactly one message in the sink after restart" test "$(in_sink 5)" = 1
check "exactly one Sent copy after restart" test "$(in_sink 5)" = 1 -a "$(in_sent 5)" = 1
grep -q 'may have been delivered, not sending it again' "$ITMP/run6.log" && ok "recovery says it will not send again" ||
	not_ok "recovery warning missing"
tok=$("$DRAFTD" token create --config "$conf" --name olga --role reviewer 2>/dev/null | tail -n 1)
d5=$(psql_value "$url" "SELECT draft_id FROM outbox WHERE message_id = '<draftd-it-5-$$@example.com>'")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
	"http://127.0.0.1:$api_port/api/v1/drafts/$d5/delivered")
check "a person marks it delivered (200)" test "$code" = 200
check "marked delivered: row and draft sent" test "$(ostate 5) $(dstatus 5)" = "sent sent"
check "exactly one message in the sink at the end" test "$(in_sink 5)" = 1
stop_daemon
psql_value "$url" "UPDATE outbox SET state = 'failed' WHERE state <> 'sent'" >/dev/null

# 6. [smtp] timeout and max_attempts: a server that accepts and never speaks
silent_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_bg spid "$ITMP/silent.log" python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $silent_port)); s.listen(5)
held = []
while True:
    c, _ = s.accept(); held.append(c)"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$silent_port" 2>/dev/null || not_ok "the silent server listens"
write_conf off "$silent_port" smtp.timeout=2 smtp.max_attempts=1
add_row 6 "" false
t0=$SECONDS
run_daemon "$ITMP/run7.log" || not_ok "outbox: daemon starts (silent server)"
wait_for 20 state_is 6 failed && ok "max_attempts = 1: a silent server fails the reply after one try" ||
	not_ok "silent server: $(psql_value "$url" "SELECT state, attempts, last_error FROM outbox WHERE message_id = '<draftd-it-6-$$@example.com>'")"
check "timeout = 2 ended the try within seconds ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 12
[ "$(psql_value "$url" "SELECT attempts = 1 AND last_error ~* 'time' FROM outbox WHERE message_id = '<draftd-it-6-$$@example.com>'")" = t ] &&
	ok "one attempt, a timeout error" ||
	not_ok "one attempt, a timeout error: $(psql_value "$url" "SELECT attempts, last_error FROM outbox WHERE message_id = '<draftd-it-6-$$@example.com>'")"
check "its draft is failed" test "$(dstatus 6)" = failed
check "the unsent Sent copy is removed, not just flagged" test "$(in_sent 6)" = 0
grep -q 'removed the unsent copy from Sent' "$ITMP/run7.log" && ok "its removal is logged" || not_ok "removal log line"
stop_daemon
kill -TERM "$spid" 2>/dev/null

# 7. STARTTLS with a private CA: refused without [smtp] tls_ca_file, sent with it
tsink=$ITMP/tsink
mkdir -p "$tsink"
if "$SRC/tests/services/smtp.sh" start "$tsink" "" --tls "$SVC/server.pem" "$SVC/server.key" >/dev/null 2>&1; then
	tport=$(cat "$tsink/smtp.port")
	trap '"$SRC/tests/services/smtp.sh" stop "$tsink" >/dev/null 2>&1; stop_sink; itest_cleanup' EXIT
	in_tsink() { grep -l "^Message-ID: <draftd-it-$1-$$@example.com>" "$tsink"/smtp-maildir/new/* 2>/dev/null | wc -l; }
	write_conf on "$tport" smtp.max_attempts=1
	add_row 7 "" false
	run_daemon "$ITMP/run8.log" || not_ok "outbox: daemon starts (TLS sink, no CA)"
	wait_for 20 state_is 7 failed && ok "STARTTLS with an unknown CA: refused" ||
		not_ok "unknown CA: $(psql_value "$url" "SELECT state, last_error FROM outbox WHERE message_id = '<draftd-it-7-$$@example.com>'")"
	check "the refusal names the certificate" test "$(psql_value "$url" "SELECT last_error ~* 'certificate|SSL|TLS|peer' FROM outbox WHERE message_id = '<draftd-it-7-$$@example.com>'")" = t
	check "nothing reached the TLS sink" test "$(in_tsink 7)" = 0
	check "no Sent copy of the refused reply" test "$(in_sent 7)" = 0
	stop_daemon
	write_conf on "$tport" "smtp.tls_ca_file=$DRAFTD_TEST_CA_FILE"
	add_row 8 "" false
	run_daemon "$ITMP/run9.log" || not_ok "outbox: daemon starts (TLS sink with CA)"
	wait_for 30 state_is 8 sent && ok "STARTTLS with tls_ca_file = the test CA: sent" ||
		not_ok "with CA: $(psql_value "$url" "SELECT state, last_error FROM outbox WHERE message_id = '<draftd-it-8-$$@example.com>'")"
	check "one message in the TLS sink" test "$(in_tsink 8)" = 1
	stop_daemon
	"$SRC/tests/services/smtp.sh" stop "$tsink" >/dev/null 2>&1
else
	not_ok "outbox: start the STARTTLS sink: $(tail -3 "$tsink/smtp.log" 2>/dev/null)"
fi
exit 0
