#!/bin/bash
# SPDX-License-Identifier: MIT
# `draftd poll --once` stores a pass's batches on two connections, so they
# may commit out of UID order (issue 14, migration 0240). Against the real
# Dovecot and Postgres: a session holding an uncommitted row under one UID
# of the second batch keeps that batch's COPY waiting while the other
# writer commits the batches above it; draftd is then killed with kill -9.
# The checkpoint stays below the held batch (every UID up to it stored, the
# committed ones above it pending), and the next poll stores every mail
# exactly once with one job each and moves the checkpoint to the top. Then
# a redelivery and a byte-for-byte copy in the batch after a held one: that
# batch waits for the held one, so the redelivery is marked as one (no
# second job) and the copy is not stored twice. Then the first part again
# under `draftd run` with two pooled connections (batch threads).
set -u
. "$(dirname "$0")/lib/common.sh"
here=$(cd "$(dirname "$0")" && pwd)
SVC=$DRAFTD_TEST_SVC_DIR
url=$(db_url_for draftd_it_ingest_order) || { not_ok "ingest_order: create database"; exit 0; }
N=200     # mails: batches of 25, so 8 batches
HELD=30   # a UID of the second batch
q() { psql_value "$url" "$1"; }
nmsg() { q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = '$1'"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# conf FILE NAME USER [SETTING...]: one mailbox in batches of 25
conf() {
	local file=$1 name=$2 user=$3
	shift 3
	write_config "$file" database api model_builtin URL="$url" API_PORT="$(free_port)" \
		log.level=debug "mailbox $name.url=imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT" \
		"mailbox $name.user=$user" "mailbox $name.password=pw" \
		"mailbox $name.tls_ca_file=$DRAFTD_TEST_CA_FILE" \
		"mailbox $name.address=support@harborparts.example" "mailbox $name.fetch_batch=25" "$@"
}

# fill USER: N distinct mails (UIDs 1..N in file order); with "dups", UID
# 60 is a redelivery of UID 35 (one more Received line) and UID 61 the very
# bytes of UID 36.
fill() {
	local u=$1 dir=$SVC/mail/$1/Maildir
	doveadm -c "$SVC/dovecot.conf" mailbox status -u "$u" messages INBOX >/dev/null 2>&1
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	/usr/bin/python3 - "$dir/new" "$N" "$u" "${2:-}" <<'PY'
import os, sys
d, n, tag, dups = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "dups"
def mail(i):
    return ("Received: from mx1.example.test\nFrom: Buyer %d <buyer%d@example.test>\n"
            "To: support@harborparts.example\nSubject: %s order question %d\n"
            "Date: Mon, 10 Mar 2025 08:00:00 +0000\nMessage-ID: <%s-%d@example.test>\n\n"
            "Do you have HP-%d in stock? We need %d.\n" % (i, i, tag, i, tag, i, 20000 + i, i))
for uid in range(1, n + 1):
    body = mail(uid)
    if dups and uid == 60:
        body = "Received: from mx2.example.test\n" + mail(35)
    elif dups and uid == 61:
        body = mail(36)
    with open(os.path.join(d, "%06d.M1P1.order" % uid), "w") as f:
        f.write(body)
PY
	[ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$SVC/mail/$u"
	doveadm -c "$SVC/dovecot.conf" mailbox status -u "$u" messages INBOX >/dev/null 2>&1
}

# hold NAME USER: opens a session (fd 7) with an uncommitted row of the
# mailbox under UID HELD, so the batch that stores HELD waits in its COPY.
hold() {
	local uv
	uv=$(doveadm -c "$SVC/dovecot.conf" mailbox status -u "$2" uidvalidity INBOX | sed 's/.*=//')
	rm -f "$ITMP/hold.fifo"
	mkfifo "$ITMP/hold.fifo"
	psql -XAtq -d "$url" <"$ITMP/hold.fifo" >"$ITMP/hold.out" 2>&1 &
	holder=$!
	ITEST_PIDS+=("$holder")
	exec 7>"$ITMP/hold.fifo"
	echo "BEGIN; INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size)" \
		"SELECT id, $uv, $HELD, sha256('held'), 4 FROM mailboxes WHERE name = '$1';" >&7
	echo '\echo held' >&7
	# psql runs it when it gets to it: the poll must not start before
	wait_for 30 grep -qx held "$ITMP/hold.out" || echo "# hold: $(cat "$ITMP/hold.out")"
}
release() {
	# \q, not EOF: a draftd started meanwhile holds the fifo open too
	echo "ROLLBACK;" >&7
	echo '\q' >&7
	exec 7>&-
	wait "$holder" 2>/dev/null
}
# ids_in_order NAME: the mailbox's message ids rise with the UIDs
ids_in_order() { test "$(q "SELECT count(*) FROM (SELECT m.id, lag(m.id) OVER (ORDER BY m.uid) AS prev FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = '$1') x WHERE x.id < x.prev")" = 0; }
waiting_copy() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY messages%'"; }

for u in ordcrash ordddup; do
	rm -rf "${SVC:?}/mail/$u"
	"$here/../services/dovecot.sh" adduser "$SVC" "$u" pw >/dev/null
done
sleep 1.1 # Dovecot re-reads its passwd-file when its mtime changes
conf "$ITMP/crash.conf" crash ordcrash || { not_ok "ingest_order: config"; exit 0; }
conf "$ITMP/dup.conf" dup ordddup || { not_ok "ingest_order: config"; exit 0; }
"$DRAFTD" migrate --config "$ITMP/crash.conf" >/dev/null 2>&1 || { not_ok "ingest_order: migrate"; exit 0; }

# --- out of order, then kill -9 ------------------------------------------------
# an empty first poll creates the mailbox row the held session refers to
"$DRAFTD" poll --once --config "$ITMP/crash.conf" >/dev/null 2>&1
fill ordcrash
hold crash ordcrash
pid=
start_bg pid "$ITMP/crash1.log" "$DRAFTD" poll --once --config "$ITMP/crash.conf"
# until the held batch waits and every other batch has committed
wait_for 120 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'crash' AND m.uid <> $HELD\") -ge $((N - 25)) ]"
check "the held batch waits in its COPY" test "$(waiting_copy)" = 1
check "the batches above it committed first ($(nmsg crash) stored)" test "$(nmsg crash)" = $((N - 25))
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
release
state=$(q "SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'crash'")
echo "# after kill -9: checkpoint and pending ranges: $state"
check "checkpoint below the held batch, the committed batches above it pending" \
	test "$state" = "25 {[51,$((N + 1)))}"
check "every UID up to the checkpoint is stored" \
	test "$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'crash' AND m.uidvalidity = b.uidvalidity AND m.uid <= b.last_uid")" = 25
out=$("$DRAFTD" poll --once --config "$ITMP/crash.conf" 2>"$ITMP/crash2.log")
rc=$?
echo "# rerun: $out"
check "the rerun takes over the dead process's lease" grep -q "no longer runs" "$ITMP/crash2.log"
check "the rerun stores the held batch and finds the rest stored (rc=$rc)" \
	bash -c "echo '$out' | grep -q 'stored=25 .*already_stored=$((N - 50))'"
check "every mail exactly once" \
	test "$(q "SELECT count(DISTINCT m.message_id) || '/' || count(DISTINCT m.uid) || '/' || count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'crash'")" = "$N/$N/$N"
check "one job per mail" \
	test "$(q "SELECT count(*) || '/' || count(DISTINCT j.message_id) FROM jobs j JOIN messages m ON m.id = j.message_id JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'crash'")" = "$N/$N"
check "checkpoint at the last UID, nothing pending" \
	test "$(q "SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'crash'")" = "$N {}"
grep -q "on 2 writer(s)" "$ITMP/crash2.log" && ok "poll --once stored on two writers" ||
	not_ok "two writers: $(grep 'pass of' "$ITMP/crash2.log")"

# --- a redelivery in the batch after a held one ------------------------------
"$DRAFTD" poll --once --config "$ITMP/dup.conf" >/dev/null 2>&1
fill ordddup dups
hold dup ordddup
start_bg pid "$ITMP/dup1.log" "$DRAFTD" poll --once --config "$ITMP/dup.conf"
wait_for 60 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY messages%'\") = 1 ]"
check "the second batch waits in its COPY" test "$(waiting_copy)" = 1
sleep 2 # the third batch would commit meanwhile if it did not wait
above=$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'dup' AND m.uid > 50")
check "the batch with the same mail as the held one waits for it ($above stored above it)" test "$above" = 0
release
wait "$pid"
rc=$?
check "the poll ends once the held row is gone (rc=$rc)" test "$rc" = 0
check "the redelivery is marked, pointing at the original" \
	test "$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'dup' AND m.uid = 60 AND m.is_duplicate AND m.state = 'skipped' AND m.duplicate_of = (SELECT o.id FROM messages o WHERE o.mailbox_id = b.id AND o.uid = 35)")" = 1
check "the byte-for-byte copy is not stored again" \
	test "$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'dup' AND m.uid = 61")" = 0
check "one job per original mail" \
	test "$(q "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message_id JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'dup'")" = $((N - 2))
check "checkpoint at the last UID, nothing pending" \
	test "$(q "SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'dup'")" = "$N {}"
check "message ids rise with the UIDs" ids_in_order dup

# --- draftd run with two pooled connections: the same, batch threads ---------
# ([database] poller_connections = 2: one mailbox's batches store at once)
"$here/../services/dovecot.sh" adduser "$SVC" ordrun pw >/dev/null
sleep 1.1
conf "$ITMP/run.conf" run ordrun database.poller_connections=2 agent.workers=1 \
	"mailbox run.poll_interval=2" || { not_ok "ingest_order: run config"; exit 0; }
"$DRAFTD" poll --once --config "$ITMP/run.conf" >/dev/null 2>&1
fill ordrun
hold run ordrun
start_bg pid "$ITMP/run1.log" "$DRAFTD" run --config "$ITMP/run.conf"
wait_for 120 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'run'\") -ge $((N - 25)) ]"
check "draftd run: the batches above the held one committed first ($(nmsg run) stored)" \
	test "$(nmsg run)" = $((N - 25))
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
release
check "draftd run, kill -9: checkpoint below the held batch, the rest pending" \
	test "$(q "SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'run'")" = "25 {[51,$((N + 1)))}"
start_bg pid "$ITMP/run2.log" "$DRAFTD" run --config "$ITMP/run.conf"
wait_for 120 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT last_uid FROM mailboxes WHERE name = 'run'\")\" = $N ]"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "draftd run restarted: every mail exactly once" \
	test "$(q "SELECT count(DISTINCT m.uid) || '/' || count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'run'")" = "$N/$N"
check "draftd run restarted: one job per mail" \
	test "$(q "SELECT count(*) || '/' || count(DISTINCT j.message_id) FROM jobs j JOIN messages m ON m.id = j.message_id JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'run'")" = "$N/$N"
check "draftd run restarted: checkpoint at the top, nothing pending" \
	test "$(q "SELECT last_uid || ' ' || pending_uids FROM mailboxes WHERE name = 'run'")" = "$N {}"
grep -q "storing at once" "$ITMP/run1.log" "$ITMP/run2.log" && ok "draftd run stored batches at once" ||
	not_ok "draftd run: no pass stored at once: $(grep 'pass of' "$ITMP/run2.log" | tail -2)"

# --- draftd run: a redelivery in the batch after a held one ------------------
"$here/../services/dovecot.sh" adduser "$SVC" ordrundup pw >/dev/null
sleep 1.1
conf "$ITMP/rundup.conf" rundup ordrundup database.poller_connections=2 agent.workers=1 \
	"mailbox rundup.poll_interval=2" || { not_ok "ingest_order: rundup config"; exit 0; }
"$DRAFTD" poll --once --config "$ITMP/rundup.conf" >/dev/null 2>&1
fill ordrundup dups
hold rundup ordrundup
start_bg pid "$ITMP/rundup.log" "$DRAFTD" run --config "$ITMP/rundup.conf"
wait_for 60 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY messages%'\") = 1 ]"
check "draftd run: the second batch waits in its COPY" test "$(waiting_copy)" = 1
sleep 2 # the third batch would commit meanwhile if it did not wait
# (and the ones after it for its ids: none stored above the held batch)
above=$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'rundup' AND m.uid > 50")
check "draftd run: the batch with the same mail as the held one waits ($above stored above it)" test "$above" = 0
release
wait_for 120 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT last_uid FROM mailboxes WHERE name = 'rundup'\")\" = $N ]"
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "draftd run: the redelivery is marked, pointing at the original" \
	test "$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'rundup' AND m.uid = 60 AND m.is_duplicate AND m.duplicate_of = (SELECT o.id FROM messages o WHERE o.mailbox_id = b.id AND o.uid = 35)")" = 1
check "draftd run: the copy is not stored again, one job per original mail" \
	test "$(q "SELECT count(*) FILTER (WHERE m.uid = 61) || '/' || (SELECT count(*) FROM jobs j JOIN messages m2 ON m2.id = j.message_id WHERE m2.mailbox_id = b.id) || '/' || b.pending_uids FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'rundup' GROUP BY b.id, b.pending_uids")" = "0/$((N - 2))/{}"
check "draftd run: message ids rise with the UIDs" ids_in_order rundup
