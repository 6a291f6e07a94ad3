#!/bin/bash
# SPDX-License-Identifier: MIT
# PostgreSQL connections with a remote model (issue 14): `draftd run` with
# 2 workers and max_in_flight = 4 runs 10 pipelines, which wait on the model
# stand-in (4 slots of 300 ms); they share the workers' connections and
# hold none while the model answers, so draftd holds at most workers + 3
# connections once idle and at no sample more than workers + 4 (the job
# heartbeat's, while it renews leases). Every mail is drafted once.
# Before: one connection per pipeline (13 and more here).
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(fresh_db draftd_it_conn_model) || {
	not_ok "connections (model): create database"
	exit 0
}
db=$(psql -XAtq -d "$url" -c "SELECT current_database()")
conns() { psql -XAtq -d "$DRAFTD_TEST_DATABASE_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'draftd'"; }
svc=$DRAFTD_TEST_SVC_DIR
user=connmodel$$
WORKERS=2
N=30
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
for i in $(seq 1 $N); do
	printf 'From: Buyer %s <b%s@customer.example>\nTo: support@example.com\nSubject: Stock question %s\nMessage-ID: <connm-%s-%s@customer.example>\nDate: %s\n\nHello, do you have HP-21016 in stock? We need %s.\n' \
		"$i" "$i" "$i" "$i" "$$" "$(date -R)" "$i" >"$ITMP/m$i.eml"
done
tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP"/m*.eml >/dev/null

start_fake_model 120 --slots 4 --latency-ms 300 || exit 0
conf=$ITMP/connm.conf
write_config "$conf" database model_fake mailbox_dovecot URL="$url" FAKE_PORT="$FAKE_PORT" \
	USER="$user" agent.workers=$WORKERS model.max_in_flight=4 log.level=info \
	"mailbox support.idle=off" "mailbox support.poll_interval=1"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || {
	not_ok "connections (model): migrate"
	exit 0
}
fake_model_mode valid
start_draftd pid "$ITMP/run.log" "$conf" || not_ok "draftd run starts: $(tail -3 "$ITMP/run.log")"
peak=0
done_jobs() { psql_value "$url" "SELECT count(*) FROM jobs WHERE state = 'done'"; }
for _ in $(seq 1 1200); do
	c=$(conns)
	[ "$c" -gt "$peak" ] && peak=$c
	[ "$(done_jobs)" = "$N" ] && break
	sleep 0.1
done
check "every mail drafted ($(done_jobs) of $N jobs done)" test "$(done_jobs)" = "$N"
check "one draft per mail" test "$(psql_value "$url" \
	"SELECT count(DISTINCT message_id) || '/' || count(*) FROM drafts")" = "$N/$N"
echo "# connections: peak $peak with $((WORKERS + 2 * 4)) pipelines"
check "at most workers + 4 connections while drafting (peak $peak)" test "$peak" -le $((WORKERS + 4))
sleep 1
c=$(conns)
check "workers + 3 connections once idle ($c)" test "$c" -le $((WORKERS + 3))
kill -TERM "$pid"
wait "$pid"
check "draftd stops cleanly" test $? -eq 0
check "no error in the log" bash -c "! grep -q 'level=error' '$ITMP/run.log'"
