#!/bin/bash
# SPDX-License-Identifier: MIT
# Job leases with a heartbeat (issue 12, item 7): with [agent] job_lease = 2
# (seconds) and a model that takes 7 s to answer, the live worker keeps
# renewing its lease, so no other worker of either of two instances takes
# the job again (one model request, one attempt); a worker killed with
# kill -9 in the middle of its model call stops renewing, and another
# instance takes the job after the short lease and finishes it.
# Before: the lease ran out under the live worker and the job was taken
# again (a second and third model request for the same mail).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_job_lease) || { not_ok "job lease: create database"; exit 0; }
user="lease_it_$$"
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null
start_fake_model 60 || exit 0

for i in 1 2; do
	write_config "$ITMP/$i.conf" database api model_fake mailbox_dovecot_starttls URL="$url" \
		API_PORT="$(free_port)" FAKE_PORT="$FAKE_PORT" USER="$user" model.timeout=60 \
		agent.workers=3 agent.job_lease=2 agent.retry_delay=1 log.level=info \
		"mailbox support.idle=off" "mailbox support.poll_interval=1"
done
"$DRAFTD" migrate --config "$ITMP/1.conf" >/dev/null 2>&1 || { not_ok "job lease: migrate"; exit 0; }
sql() { psql -XAtq -d "$url" -c "$1"; }
requests() { curl -fs --max-time 5 "http://127.0.0.1:$FAKE_PORT/_requests" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
mail() { # mail N TEXT
	printf 'From: Buyer %s <b%s-%s@customer.example>\nTo: support@example.com\nSubject: Question %s\nMessage-ID: <lease-%s-%s@customer.example>\nDate: %s\n\nHello, a question about our order.\n%s\n' \
		"$1" "$1" "$$" "$1" "$1" "$$" "$(date -R)" "$2" >"$ITMP/m$1.eml"
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$ITMP/m$1.eml" >/dev/null
}
settled() { [ "$(sql "SELECT count(*) FROM messages m JOIN jobs j ON j.message_id = m.id WHERE m.message_id = '<lease-$1-$$@customer.example>' AND j.state = 'done'")" = 1 ]; }
attempts() { sql "SELECT j.attempts FROM jobs j JOIN messages m ON m.id = j.message_id WHERE m.message_id = '<lease-$1-$$@customer.example>'"; }

pa= pb=
start_bg pa "$ITMP/a.log" "$DRAFTD" run --config "$ITMP/1.conf"
start_bg pb "$ITMP/b.log" "$DRAFTD" run --config "$ITMP/2.conf"
wait_for 20 grep -qs 'draftd running' "$ITMP/a.log" && wait_for 20 grep -qs 'draftd running' "$ITMP/b.log" ||
	{ not_ok "job lease: two instances start: $(tail -3 "$ITMP/a.log")"; exit 0; }

# --- 1. a live worker keeps its job through a 7 s model call
before=$(requests)
mail 1 "FAKE_DELAY_MS=7000"
if wait_for 60 settled 1; then ok "slow model, 2 s lease: the mail is processed"; else not_ok "slow model: $(sql "SELECT state, attempts, locked_by FROM jobs")"; fi
check "a live worker's job is never taken again: one attempt (got $(attempts 1))" test "$(attempts 1)" = 1
check "a live worker's job is never taken again: one model request (got $(( $(requests) - before )))" \
	test $(( $(requests) - before )) = 1
check "no worker of either instance lost a lease" \
	bash -c "! grep -q 'lost (lease expired)' '$ITMP/a.log' '$ITMP/b.log'"

# --- 2. a worker killed in its model call: another instance takes over after the lease
kill -TERM "$pb" 2>/dev/null
wait "$pb" 2>/dev/null
fake_model_mode hang
before=$(requests)
mail 2 "A slow one."
wait_for 30 bash -c "[ \$(curl -fs 'http://127.0.0.1:$FAKE_PORT/_requests' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"requests\"])') -gt $before ]" ||
	not_ok "job lease: the worker calls the model"
check "the job is held by instance A" test "$(sql "SELECT j.state FROM jobs j JOIN messages m ON m.id = j.message_id WHERE m.message_id = '<lease-2-$$@customer.example>'")" = running
kill -KILL "$pa"
fake_model_mode valid
start_bg pb "$ITMP/b2.log" "$DRAFTD" run --config "$ITMP/2.conf"
if wait_for 60 settled 2; then ok "a killed worker's job is finished by another instance"; else not_ok "killed worker: $(sql "SELECT state, attempts, locked_by, locked_until - now() FROM jobs")"; fi
check "the job was taken again once (attempts $(attempts 2))" test "$(attempts 2)" = 2
check "it has its draft" test "$(sql "SELECT count(*) FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.message_id = '<lease-2-$$@customer.example>'")" = 1
kill -TERM "$pb" 2>/dev/null
wait "$pb" 2>/dev/null
exit 0
