#!/bin/bash
# SPDX-License-Identifier: MIT
# A worker killed with SIGKILL in the middle of a job: the job's lease
# expires, another run takes the job again, and every message ends with
# exactly one draft. The model is the fake OpenAI server, told to hang so
# that the kill lands while a job is running.
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(fresh_db draftd_it_worker_kill)
user=killtest$$
svc=$DRAFTD_TEST_SVC_DIR
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null

start_fake_model 120
fport=$FAKE_PORT

apiport=$(. tests/services/lib.sh && free_port)
mport=$(. tests/services/lib.sh && free_port)
conf=$ITMP/kill.conf
write_config "$conf" database api model_fake mailbox_dovecot URL="$url" API_PORT="$apiport" \
	FAKE_PORT="$fport" USER="$user" model.timeout=100 agent.workers=1 agent.job_lease=3s \
	agent.max_attempts=5 "mailbox support.idle=off" "mailbox support.poll_interval=1" \
	metrics.listen="127.0.0.1:$mport"
"$DRAFTD" migrate --config "$conf" >/dev/null

fake_model_mode valid
start_draftd pid "$ITMP/run1.log" "$conf" && ok "draftd run starts" ||
	not_ok "draftd run starts: $(tail -5 "$ITMP/run1.log")"
fake_model_mode hang
tests/services/dovecot.sh deliver "$svc" "$user" INBOX tests/fixtures/pipeline/stock-*.eml >/dev/null
running() {
	[ "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state = 'running'")" -ge 1 ]
}
wait_for 20 running && ok "a worker is inside a job" || not_ok "no job started: $(tail -5 "$ITMP/run1.log")"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "draftd is gone after SIGKILL" bash -c "! kill -0 $pid 2>/dev/null"
check "the killed job is still marked running" running

fake_model_mode valid
start_bg pid2 "$ITMP/run2.log" "$DRAFTD" run --config "$conf"
all_done() {
	[ "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state = 'done'")" -eq 3 ]
}
wait_for 40 all_done && ok "every job completes after the restart" ||
	not_ok "jobs: $(psql_value "$url" "SELECT string_agg(state || '/' || attempts, ' ') FROM jobs")"
n=$(psql_value "$url" "SELECT count(*) FROM drafts")
check "exactly one draft per message (3 drafts, got $n)" test "$n" -eq 3
n=$(psql_value "$url" "SELECT count(*) FROM jobs WHERE attempts >= 2")
check "the interrupted job was taken again after its lease expired" test "$n" -ge 1
metrics=$(curl -s "http://127.0.0.1:$mport/metrics")
echo "$metrics" | grep -qE '^draftd_model_request_seconds_count [1-9]' &&
	ok "metrics: model request latency histogram" || not_ok "metrics: model latency: $(echo "$metrics" | grep model_request | tail -2)"
echo "$metrics" | grep -q '^draftd_pipeline_runs_total{outcome="drafted"} [1-9]' &&
	ok "metrics: pipeline outcomes" || not_ok "metrics: pipeline outcomes"
echo "$metrics" | grep -q '^draftd_decisions{decision="pending"} 3' &&
	ok "metrics: decisions from the database" || not_ok "metrics: decisions"
kill -TERM "$pid2"
wait "$pid2"
check "draftd stops cleanly after the test" test $? -eq 0
