#!/bin/bash
# SPDX-License-Identifier: MIT
# The model's slots set the pace, not the worker count (issue 14): with a
# remote model, `draftd run` keeps max_in_flight requests at the server and
# as many more pipelines ready at the gate, so a slot that frees is refilled
# at once. The stand-in runs with K = 2 slots that answer after 3 s (long
# enough to see the state, never a timed assertion); draftd has one worker
# and max_in_flight = 2, and a backlog of 12 mails:
#   - draftd_model_requests_in_flight reaches 2 * max_in_flight (2 at the
#     server, 2 ready at the gate); before, workers + max_in_flight = 3
#   - the server never had more than K requests of draftd's at once
#   - every mail is drafted once.
set -u
. "$(dirname "$0")/lib/common.sh"
src=${DRAFTD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
svc=$DRAFTD_TEST_SVC_DIR
free_port() { (. "$src/tests/services/lib.sh" && free_port); }
N=12
K=2

url=$(fresh_db draftd_it_model_slots) || { not_ok "model slots: create database"; exit 0; }
user=slots$$
"$src/tests/services/dovecot.sh" adduser "$svc" "$user" pw >/dev/null
for i in $(seq 1 $N); do
	printf 'From: Buyer %s <b%s@customer.example>\nTo: support@example.com\nSubject: Stock question %s\nMessage-ID: <slots-%s-%s@customer.example>\nDate: %s\n\nHello, do you have HP-21016 in stock? We need %s.\n' \
		"$i" "$i" "$i" "$i" "$$" "$(date -R)" "$i" >"$ITMP/$i.eml"
	"$src/tests/services/dovecot.sh" deliver "$svc" "$user" INBOX "$ITMP/$i.eml" >/dev/null
done

start_bg FAKE_PID "$ITMP/fake.log" /usr/bin/python3 "$src/tests/fakes/openai_server.py" \
	--port 0 --port-file "$ITMP/fake.port" --slots $K --latency-ms 3000
wait_for 10 test -s "$ITMP/fake.port" || { not_ok "model slots: the stand-in starts"; exit 0; }
FAKE_PORT=$(cat "$ITMP/fake.port")
mport=$(free_port)
conf=$ITMP/slots.conf
write_config "$conf" database api model_fake mailbox_dovecot URL="$url" USER="$user" \
	API_PORT="$(free_port)" FAKE_PORT="$FAKE_PORT" model.max_in_flight=$K model.timeout=120 \
	model.templates_dir="$src/deploy/templates" agent.workers=1 log.level=info \
	metrics.listen="127.0.0.1:$mport" "mailbox support.idle=off" \
	"mailbox support.poll_interval=3600" || { not_ok "model slots: config"; exit 0; }
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "model slots: migrate"; exit 0; }
"$DRAFTD" poll --once --config "$conf" >/dev/null 2>"$ITMP/poll.err"
check "the backlog is stored ($N mails)" test "$(psql_value "$url" "SELECT count(*) FROM messages")" = $N

gauge() {
	curl -fs --max-time 5 "http://127.0.0.1:$mport/metrics" |
		sed -n 's/^draftd_model_requests_in_flight \([0-9]*\)$/\1/p'
}
peak=0
sample() {
	local g
	g=$(gauge)
	[ -n "$g" ] && [ "$g" -gt "$peak" ] && peak=$g
	[ "$peak" -ge $((2 * K)) ]
}
pid=
start_draftd pid "$ITMP/run.log" "$conf" || { not_ok "model slots: draftd starts"; exit 0; }
# the first answers come after 3 s: by then every pipeline holds a request
for _ in $(seq 1 100); do
	sample && break
	sleep 0.1
done
check "2 x max_in_flight pipelines wait on the model ($peak; workers 1, max_in_flight $K)" \
	test "$peak" -ge $((2 * K))
check "the log names the pipelines (workers + 2 x max_in_flight)" \
	grep -q "$((1 + 2 * K)) pipeline worker(s)" "$ITMP/run.log"
wait_for 120 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM jobs WHERE state = 'done'\")\" = $N ]"
check "every mail drafted once" test "$(psql_value "$url" "SELECT count(DISTINCT message_id) || '/' || count(*) FROM drafts")" = "$N/$N"
rep=$(curl -fs --max-time 5 "http://127.0.0.1:$FAKE_PORT/_slots")
# a request that found every slot busy waited about 3 s for one
check "never more than K requests at the server (none waited for a slot)" \
	/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); w=[s-a for a,s in zip(r["arrivals"],r["starts"]) if s-a > 1]; print("# served %d, waited for a slot: %d" % (r["served"], len(w))); sys.exit(0 if not w and r["served"] >= '$N' else 1)' "$rep"
kill -TERM "$pid"
wait_for 20 bash -c "! kill -0 $pid 2>/dev/null"
check "no error in the log" bash -c "! grep -q 'level=error' '$ITMP/run.log'"
