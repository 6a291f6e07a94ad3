#!/bin/bash
# SPDX-License-Identifier: MIT
# When a new mail becomes findable by the reviewer's search (issue 14,
# migration 0250): ingest no longer builds the search vector of a mail the
# pipeline will read. Mail screened at ingest is found at once; a mail with
# a pipeline job once the agent has read it: the pipeline stored its result
# or its attempt failed (a model down must not hide new mail from search).
# Before the agent's first attempt it is not found by a word; that is the
# window README "Search" states. Through GET /api/v1/search of `draftd run`
# against the OpenAI-protocol stand-in, real Dovecot and PostgreSQL.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

src=${DRAFTD_SRCDIR:-.}
url=$(fresh_db draftd_it_search_window) || {
	not_ok "search window: create database"
	exit 0
}
svc=$DRAFTD_TEST_SVC_DIR
user=sw$$
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
sleep 1.1 # Dovecot notices a changed passwd-file by its mtime (1 s resolution)

# mail NAME [HEADER]: German, saying "Lieferungen" (searched as "Lieferung",
# so only the German stemming of an indexed mail finds it)
mail_de() {
	printf '%s\r\n' "From: Jonas Weber <jonas.weber@hoffmann-maschinenbau.example>" \
		"To: support@harborparts.example" "Subject: Frage zu den Lieferungen $1" \
		"Message-ID: <sw-$1-$$@hoffmann-maschinenbau.example>" ${2:+"$2"} \
		"Date: Mon, 07 Dec 2026 09:00:00 +0100" "MIME-Version: 1.0" \
		"Content-Type: text/plain; charset=utf-8" "" \
		"Guten Tag," "" "wann kommen die Lieferungen für unsere Bestellung? Wir warten" \
		"noch auf die Teile und brauchen sie dringend für die Montage." "" \
		"Mit freundlichen Grüßen" "Jonas Weber"
}
deliver() {
	mail_de "$@" >"$ITMP/$1.eml"
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/$1.eml" >/dev/null
}
deliver waiting
deliver screened "Auto-Submitted: auto-replied"

start_fake_model 30 || exit 0
fake_model_mode http500 || not_ok "search window: the stand-in answers 500"
port=$(free_port)
conf=$ITMP/draftd.conf
write_config "$conf" database api model_fake mailbox_dovecot connectors_csv URL="$url" \
	API_PORT="$port" FAKE_PORT="$FAKE_PORT" USER="$user" ADDRESS=support@harborparts.example \
	DATA="$src/deploy/demo/data" log.level=warn agent.workers=1 agent.max_attempts=5 \
	agent.retry_delay=3600 model.timeout=5 "mailbox support.poll_interval=1" \
	"mailbox support.idle=off"
"$DRAFTD" migrate --config "$conf" >"$ITMP/migrate.log" 2>&1 || {
	not_ok "search window: migrate: $(tail -3 "$ITMP/migrate.log")"
	exit 0
}
# ingest first, and hold the job back: the mail is stored, the agent has
# not read it yet
"$DRAFTD" poll --once --config "$conf" >"$ITMP/poll.log" 2>&1
check "search window: two mails stored" test "$(psql_value "$url" "SELECT count(*) FROM messages")" = 2
psql_value "$url" "UPDATE jobs SET next_attempt_at = now() + interval '1 day'" >/dev/null
tok=$("$DRAFTD" token create --config "$conf" --name sw-rita --role reviewer 2>/dev/null | tail -n 1)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" || {
	not_ok "search window: draftd run: $(tail -5 "$ITMP/run.log")"
	exit 0
}
# found SUBJECT-SUFFIX: whether GET /search?q=Lieferung lists that mail
found() {
	curl -fs -H "Authorization: Bearer $tok" \
		"http://127.0.0.1:$port/api/v1/search?q=Lieferung&limit=50" >"$ITMP/search.json" &&
		/usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if any(m.get("subject", "").endswith(" " + sys.argv[2]) for m in r["messages"]) else 1)' \
			"$ITMP/search.json" "$1"
}
state() { psql_value "$url" "SELECT m.state || ' ' || j.state || ' ' || j.attempts FROM messages m
	JOIN jobs j ON j.message_id = m.id WHERE m.subject LIKE '%$1'"; }

check "search window: mail screened at ingest is found at once" found screened
check "search window: a mail the agent has not read yet is not found by a word (the window)" \
	test "$(state waiting)" = "new queued 0" -a "$(found waiting && echo yes)" = ""

# its first attempt fails (the model answers 500) and is retried in an hour
psql_value "$url" "UPDATE jobs SET next_attempt_at = now()" >/dev/null
tried() { [ "$(state waiting)" = "new queued 1" ]; }
wait_for 30 tried || not_ok "search window: the first attempt failed and waits: $(state waiting)"
check "search window: a mail whose first attempt failed is found while it waits for the retry" \
	found waiting

# a mail drafted by the pipeline (one job at a time: a remote model)
fake_model_mode valid || not_ok "search window: the stand-in answers again"
deliver drafted
drafted() { [ "$(state drafted)" = "drafted done 1" ]; }
wait_for 60 drafted || not_ok "search window: the new mail was drafted: $(state drafted)"
check "search window: a drafted mail is found" found drafted
check "search window: the mail screened at ingest is still found" found screened
check "search window: every message has its search vector" \
	test "$(psql_value "$url" "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1
		FROM message_search s WHERE s.message_id = m.id)")" = 0
kill -TERM "$pid"
wait "$pid"
check "search window: draftd stops cleanly" test $? -eq 0
exit 0
