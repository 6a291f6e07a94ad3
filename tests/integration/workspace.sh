#!/bin/bash
# SPDX-License-Identifier: MIT
# The reviewer's workspace (issue 16 items 2-5) against the real thing:
# Dovecot -> draftd run (the OpenAI-protocol stand-in as the model, logging
# every request it gets) -> Postgres -> the SMTP sink. The mails of
# tests/fixtures/workspace/ make a thread (References, In-Reply-To and one
# that lost its headers), the customer's other conversation, a colleague at
# the same firm and two strangers at one public mail provider.
# tests/integration/lib/workspace_check.py then checks the thread and
# history, notes (never in a sent reply, never in a model request: a seeded
# random run of notes, assignments, regenerations and approvals), snippets,
# assignment with two people at once, and search; tests/browser/workspace.mjs
# does the same through the page in Chromium.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$SRC/tests/fixtures/workspace
DATA=$SRC/deploy/demo/data

url=$(db_url_for draftd_it_workspace) || { not_ok "workspace: create database"; exit 0; }
user=ws$$
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null
sleep 1.1 # Dovecot notices a changed passwd-file by its mtime (1 s resolution)

sink=$ITMP/sink
mkdir -p "$sink"
"$SRC/tests/services/smtp.sh" start "$sink" >/dev/null 2>&1 || { not_ok "workspace: start sink"; exit 0; }
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	"$SRC/tests/services/smtp.sh" stop "$sink" >/dev/null 2>&1
	itest_cleanup
}
trap cleanup EXIT
start_fake_model 30 --log-requests "$ITMP/requests.jsonl" || exit 0

port=$(free_port)
base="http://127.0.0.1:$port/"
conf=$ITMP/draftd.conf
write_config "$conf" database api smtp_sink model_fake mailbox_dovecot connectors_csv_fields \
	URL="$url" API_PORT="$port" SMTP_PORT="$(cat "$sink/smtp.port")" FAKE_PORT="$FAKE_PORT" \
	USER="$user" ADDRESS=support@harborparts.example DATA="$DATA" api.web_root="$SRC/ui-api/web" \
	model.timeout=10 review.send_delay=0 log.level=warn "mailbox support.poll_interval=1" \
	"mailbox support.idle=off" "category order_status.assign=round_robin" \
	"category order_status.assignees=ws-ana, ws-ghost, ws-ben"
"$DRAFTD" migrate --config "$conf" >"$ITMP/migrate.log" 2>&1 ||
	{ not_ok "workspace: migrate: $(tail -3 "$ITMP/migrate.log")"; exit 0; }

# the people and tokens first: round robin hands mail only to names that exist
tok() { "$DRAFTD" token create --config "$conf" --name "$1" --role "$2" 2>/dev/null | tail -n 1; }
RTOK=$(tok ws-ana reviewer)
RTOK2=$(tok ws-ben reviewer)
ATOK=$(tok ws-admin admin)
# a person (issue 16 item 1) with a token of their own: it acts as them
"$DRAFTD" user add ws-cleo --role reviewer --name "Cleo Person" --no-password --config "$conf" >/dev/null 2>&1 ||
	not_ok "workspace: add the person ws-cleo"
PTOK=$("$DRAFTD" token create --config "$conf" --name ws-cleo-cli --role reviewer --person ws-cleo 2>/dev/null | tail -n 1)
"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$FIX"/*.eml >/dev/null ||
	not_ok "workspace: deliver the fixtures"
total=$(ls "$FIX"/*.eml | wc -l)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 curl -fs -o /dev/null "${base}healthz" ||
	{ not_ok "workspace: draftd API up: $(tail -5 "$ITMP/run.log")"; exit 0; }
settled() {
	[ "$(psql_value "$url" "SELECT count(*) FROM messages WHERE state IN ('drafted', 'human', 'skipped', 'failed')")" -eq "$total" ]
}
wait_for 120 settled && ok "workspace: all $total mails ingested and processed" ||
	not_ok "workspace: settled: $(psql_value "$url" "SELECT string_agg(state || '=' || n, ', ') FROM
	    (SELECT state, count(*) n FROM messages GROUP BY state) x")"

# round robin: the order_status mail went to ws-ana and ws-ben in turn, once each;
# ws-ghost (no such person or token) is skipped
rr=$(psql_value "$url" "SELECT string_agg(coalesce(m.assigned_to, '-'), ',' ORDER BY m.round_robin_at)
    FROM messages m WHERE m.round_robin_at IS NOT NULL")
rr_open=$(psql_value "$url" "SELECT count(*) FROM messages m WHERE m.status = 'open' AND
    m.pipeline->'classification'->>'category' = 'order_status'")
rr_audit=$(psql_value "$url" "SELECT count(*) FROM audit_log WHERE action = 'message.assign' AND actor = 'round-robin'")
case "$rr" in
ws-ana,ws-ben* | ws-ben,ws-ana*) [ "$(echo "$rr" | tr ',' '\n' | sort | uniq -c | awk '{print $1}' | sort -n |
	awk 'NR==1{lo=$1} END{print ($1 - lo <= 1)}')" = 1 ] && [ "$rr_audit" -eq "$(echo "$rr" | tr ',' '\n' | wc -l)" ] &&
	ok "workspace: round robin hands a category's open mail to its assignees in turn, audited ($rr of $rr_open open)" ||
	not_ok "workspace: round robin in turn: $rr (audit rows $rr_audit)" ;;
*) not_ok "workspace: round robin assigned order_status mail: got '$rr' ($rr_open open order_status mails)" ;;
esac
"$DRAFTD" check-config --config "$conf" >/dev/null 2>&1 && ok "workspace: check-config takes assign and assignees" ||
	not_ok "workspace: check-config: $("$DRAFTD" check-config --config "$conf" 2>&1 | tail -3)"
sed 's/^assignees = ws-ana, ws-ghost, ws-ben$/assignees = ws-ana, ws-ana/' "$conf" >"$ITMP/bad.conf"
out=$("$DRAFTD" check-config --config "$ITMP/bad.conf" 2>&1)
case "$out" in *"[category order_status] assignees: has a name listed twice"*) ok "workspace: a name listed twice in assignees is refused with the line" ;;
*) not_ok "workspace: duplicate assignee refused: $out" ;; esac

# the seeded run: 30 random steps in make test, 1,000 in make test-long
WS_STEPS=${WS_STEPS:-$([ -n "${DRAFTD_TEST_LONG:-}" ] && echo 1000 || echo 30)} \
	WS_URL=$base WS_RTOK=$RTOK WS_RTOK2=$RTOK2 WS_ATOK=$ATOK WS_PTOK=$PTOK WS_DB=$url \
	WS_MAILDIR=$sink/smtp-maildir WS_MODEL_LOG=$ITMP/requests.jsonl \
	/usr/bin/python3 "$SRC/tests/integration/lib/workspace_check.py"

. "$(dirname "$0")/lib/browser_stack.sh"
if browser_tools_ready "$SRC"; then
	shots=${DRAFTD_SCREENSHOTS:-$SRC/build/screenshots}
	mkdir -p "$shots"
	(cd "$SRC/tests/browser" && DRAFTD_URL=$base REVIEWER_TOKEN=$RTOK REVIEWER2_TOKEN=$RTOK2 \
		ADMIN_TOKEN=$ATOK SMTP_MAILDIR=$sink/smtp-maildir MODEL_LOG=$ITMP/requests.jsonl \
		SCREENSHOT_DIR=$shots timeout 300 node workspace.mjs)
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "workspace.mjs exited with $rc"
else
	ok "workspace browser test SKIPPED: /usr/bin/chromium, node or playwright-core is missing"
fi
