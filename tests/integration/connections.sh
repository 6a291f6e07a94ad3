#!/bin/bash
# SPDX-License-Identifier: MIT
# PostgreSQL connections do not grow with the mailboxes (issue 14): `draftd
# run` with 12 mailboxes in IDLE, each with a backlog of 40 mails fetched in
# batches of 5 (so every poller's writer thread and the shared pool are
# busy at once), holds at most workers + 3 connections to its database once
# idle, and at no sample during the ingest more than workers + 4 (the job
# heartbeat's, while it renews leases). Every mail is stored and queued
# exactly once, and a mail arriving afterwards is still seen through IDLE.
# Before: one connection per mailbox poller (16 here).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_connections) || { not_ok "connections: create database"; exit 0; }
db=$(psql -XAtq -d "$url" -c "SELECT current_database()")
BOXES=12
PER=40
WORKERS=2
sql() { psql -XAtq -d "$url" -c "$1"; }
conns() { psql -XAtq -d "$DRAFTD_TEST_DATABASE_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'"; }

boxes=() # the [mailbox boxN] sections, as write_config settings
for b in $(seq 1 $BOXES); do
	rm -rf "${SVC:?}/mail/conn_${b}_$$"
	"$SRC/tests/services/dovecot.sh" adduser "$SVC" "conn_${b}_$$" pw >/dev/null
done
sleep 1.1 # Dovecot re-reads its passwd-file when its mtime changes
for b in $(seq 1 $BOXES); do
	user="conn_${b}_$$"
	dir="$SVC/mail/$user/Maildir"
	doveadm -c "$SVC/dovecot.conf" mailbox status -u "$user" messages INBOX >/dev/null 2>&1
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	for i in $(seq 1 $PER); do
		printf 'From: Buyer %s <b%s@customer.example>\nTo: support@example.com\nSubject: Stock question %s/%s\nMessage-ID: <conn-%s-%s-%s@customer.example>\nDate: %s\n\nHello, do you have HP-21016 in stock? We need %s.\n' \
			"$i" "$i" "$b" "$i" "$b" "$i" "$$" "$(date -R)" "$i" >"$dir/new/$i.M1P1.conn"
	done
	[ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$SVC/mail/$user"
	doveadm -c "$SVC/dovecot.conf" mailbox status -u "$user" messages INBOX >/dev/null 2>&1
	boxes+=("mailbox box$b.url=imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT" "mailbox box$b.user=$user"
		"mailbox box$b.password=pw" "mailbox box$b.tls_ca_file=$DRAFTD_TEST_CA_FILE"
		"mailbox box$b.address=support@example.com" "mailbox box$b.idle=on"
		"mailbox box$b.fetch_batch=5")
done
write_config "$ITMP/conn.conf" database api model_builtin URL="$url" API_PORT="$(free_port)" \
	agent.workers="$WORKERS" log.level=info "${boxes[@]}" || { not_ok "connections: config"; exit 0; }
"$DRAFTD" migrate --config "$ITMP/conn.conf" >/dev/null 2>&1 || { not_ok "connections: migrate"; exit 0; }

total=$((BOXES * PER))
pid=
start_bg pid "$ITMP/conn.log" "$DRAFTD" run --config "$ITMP/conn.conf"
peak=0
stored() { sql "SELECT count(*) FROM messages"; }
for _ in $(seq 1 1200); do
	c=$(conns)
	[ "$c" -gt "$peak" ] && peak=$c
	[ "$(stored)" = "$total" ] && [ "$(sql "SELECT count(*) FROM jobs WHERE state = 'done'")" = "$total" ] && break
	sleep 0.1
done
check "every mail stored once ($(stored) of $total)" test "$(sql "SELECT count(DISTINCT message_id) || '/' || count(*) FROM messages")" = "$total/$total"
check "one job per mail, all done" test "$(sql "SELECT count(*) FILTER (WHERE state = 'done') || '/' || count(*) FROM jobs")" = "$total/$total"
check "checkpoints at the last UID of every mailbox" test "$(sql "SELECT count(*) FROM mailboxes WHERE last_uid = $PER")" = "$BOXES"
echo "# connections: peak $peak while ingesting $BOXES mailboxes"
check "at most workers + 4 connections during the ingest (peak $peak)" test "$peak" -le $((WORKERS + 4))
sleep 2
c=$(conns)
check "workers + 3 connections once idle ($c, $BOXES mailboxes)" test "$c" -le $((WORKERS + 3))
# IDLE still works with the shared pool: one more mail is picked up
printf 'From: Late <late@customer.example>\nTo: support@example.com\nSubject: Late question\nMessage-ID: <conn-late-%s@customer.example>\n\nHello, one more question.\n' "$$" >"$ITMP/late.eml"
"$SRC/tests/services/dovecot.sh" deliver "$SVC" "conn_1_$$" INBOX "$ITMP/late.eml" >/dev/null
wait_for 60 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message_id WHERE m.message_id = '<conn-late-$$@customer.example>' AND j.state = 'done'\")\" = 1 ]"
check "a mail arriving in IDLE is stored and drafted" test "$(sql "SELECT count(*) FROM messages WHERE message_id = '<conn-late-$$@customer.example>'")" = 1
kill -TERM "$pid"
wait_for 20 bash -c "! kill -0 $pid 2>/dev/null"
check "leases released at a clean stop" test "$(sql "SELECT count(*) FROM mailboxes WHERE lease_owner IS NOT NULL")" = 0
check "no error in the log" bash -c "! grep -q 'level=error' '$ITMP/conn.log'"
