#!/bin/bash
# SPDX-License-Identifier: MIT
# /metrics as Prometheus scrapes it (issue 15 item 5), with real Postgres,
# Dovecot and an SMTP sink: a listener of its own ([metrics] listen) that
# needs no token while the REST API no longer serves metrics; every line of
# every scrape read by a strict exposition-format parser (names, types,
# HELP/TYPE order, cumulative histograms, no duplicate series, snake_case
# label values); and the values after known events: a mail polled (last
# successful poll time, IDLE), drafted (pipeline outcome, model requests),
# approved and sent (SMTP sends and latency, outbox queue), a send that
# fails while the sink is down (temporary failure, queue length and age),
# the kill switch and a category's mode changed over REST, build info and
# the process metrics.
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(db_url_for draftd_it_metrics)
user=metrics$$
svc=$DRAFTD_TEST_SVC_DIR
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
tests/services/dovecot.sh mkfolder "$svc" "$user" Sent >/dev/null
mkdir -p "$ITMP/sinkdir"
sport=$(. tests/services/lib.sh && free_port)
tests/services/smtp.sh start "$ITMP/sinkdir" "$sport" >/dev/null 2>&1 || not_ok "SMTP sink starts"
maildir=$ITMP/sinkdir/smtp-maildir
trap 'tests/services/smtp.sh stop "$ITMP/sinkdir" >/dev/null 2>&1; itest_cleanup' EXIT

apiport=$(. tests/services/lib.sh && free_port)
mport=$(. tests/services/lib.sh && free_port)
api=http://127.0.0.1:$apiport/api/v1
conf=$ITMP/metrics.conf
# api.backlog_max_age=0: the scrapes check the backlog right after each
# change (the shared answer's bound is backlog_cache.sh's)
write_config "$conf" database api smtp_sink mailbox_dovecot URL="$url" API_PORT="$apiport" \
	SMTP_PORT="$sport" USER="$user" metrics.listen="127.0.0.1:$mport" log.format=json api.backlog_max_age=0 \
	review.send_delay=0 smtp.max_attempts=50 "mailbox support.idle=on" \
	"mailbox support.poll_interval=60"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1
admin=$("$DRAFTD" token create --name olga --role admin --config "$conf" 2>"$ITMP/cli.log" | tail -n 1)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 grep -q 'draftd running' "$ITMP/run.log" || not_ok "draftd run starts: $(tail -3 "$ITMP/run.log")"

n=0
# scrape: fetch /metrics into $ITMP/mN.txt, check it strictly, set $m to it
scrape() {
	n=$((n + 1))
	m=$ITMP/m$n.txt
	curl -s -o "$m" -w '%{http_code} %{content_type}' "http://127.0.0.1:$mport/metrics" >"$ITMP/m$n.code"
	if out=$(python3 tests/integration/lib/prom_check.py "$m" 2>&1); then
		ok "scrape $n ($1) parses strictly: $out"
	else
		not_ok "scrape $n ($1) is not valid exposition format: $(echo "$out" | head -5)"
	fi
}
val() { python3 tests/integration/lib/prom_check.py "$m" --value "$1" 2>/dev/null; }
typ() { python3 tests/integration/lib/prom_check.py "$m" --type "$1"; }
expect_val() { # expect_val WHAT SERIES TEST VALUE
	local v
	v=$(val "$2")
	if [ -n "$v" ] && python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if $3 else 1)" "$v"; then
		ok "$1 ($2 = $v)"
	else
		not_ok "$1: $2 = '${v}' ($(grep -F "${2%%\{*}" "$m" | head -4 | tr '\n' ' '))"
	fi
}

# --- the listener: no token, text format, GET /metrics only
scrape "at start"
read -r code ctype <"$ITMP/m1.code"
[ "$code" = 200 ] && [ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] &&
	ok "the metrics listener answers without a token, in Prometheus's text format" || not_ok "metrics: $code $ctype"
check "the REST API serves no metrics any more (/api/v1/metrics 404, even with a token)" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin" "$api/metrics")" = 404
check "nor /metrics on the API port" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin" "http://127.0.0.1:$apiport/metrics")" = 404
check "the metrics listener answers only /metrics (404 elsewhere)" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/api/v1/drafts")" = 404
check "and only GET (POST: 405)" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$mport/metrics")" = 405

# --- build info and the process
grep -Eq '^draftd_build_info\{version="[^"]+",commit="[^"]+",libetpan="[^"]+",libcurl="[^"]+",libpq="[^"]+",jansson="[^"]+",libmicrohttpd="[^"]+",pcre2="[^"]+"' "$m" &&
	ok "draftd_build_info carries the version, commit and library versions" || not_ok "build_info: $(grep build_info "$m")"
check "draftd_build_info is a gauge of 1" test "$(typ draftd_build_info) $(grep '^draftd_build_info' "$m" | awk '{print $NF}')" = "gauge 1"
check "process_cpu_seconds_total is a counter" test "$(typ process_cpu_seconds_total)" = counter
expect_val "resident memory in bytes" process_resident_memory_bytes "v > 1e6"
expect_val "open file descriptors" process_open_fds "v >= 3"
expect_val "the start time is now-ish (unix seconds)" process_start_time_seconds "abs(v - $(date +%s)) < 600"
expect_val "threads" process_threads "v >= 2"
expect_val "the kill switch is on" draftd_auto_replies_enabled "v == 1"
expect_val "the database answered the scrape" draftd_database_up "v == 1"
expect_val "nothing in flight to the model" draftd_model_requests_in_flight "v == 0"

# --- a mail: polled (IDLE wakes on it), drafted
polled() { scrape_quiet; [ "$(val 'draftd_mailbox_polls_total{mailbox="support"}')" -ge 1 ] 2>/dev/null; }
scrape_quiet() { curl -s -o "$ITMP/q.txt" "http://127.0.0.1:$mport/metrics"; m=$ITMP/q.txt; }
wait_for 20 polled || not_ok "no poll counted: $(grep mailbox "$ITMP/q.txt" | head -3)"
idle() { scrape_quiet; [ "$(val 'draftd_mailbox_idle{mailbox="support"}')" = 1 ]; }
wait_for 20 idle && ok "the mailbox's connection is in IDLE (draftd_mailbox_idle 1)" || not_ok "idle: $(grep idle "$m")"
tests/services/dovecot.sh deliver "$svc" "$user" INBOX tests/fixtures/pipeline/stock-1.eml >/dev/null
drafted() { [ "$(psql_value "$url" "SELECT count(*) FROM drafts WHERE status = 'pending'")" -eq 1 ]; }
wait_for 30 drafted || not_ok "no draft: $(tail -5 "$ITMP/run.log")"
scrape "after a mail was drafted"
expect_val "the last successful poll is recent" 'draftd_mailbox_last_successful_poll_timestamp_seconds{mailbox="support"}' "abs(v - $(date +%s)) < 120"
expect_val "no poll failed" 'draftd_mailbox_poll_errors_total{mailbox="support"}' "v == 0"
expect_val "the pipeline run is counted by its snake_case outcome" 'draftd_pipeline_runs_total{outcome="drafted"}' "v == 1"
expect_val "one model request, in the latency histogram" draftd_model_request_seconds_count "v == 1"
check "draftd_model_request_seconds is a histogram" test "$(typ draftd_model_request_seconds)" = histogram
expect_val "one open message" draftd_open_messages "v == 1"
expect_val "waiting for review" 'draftd_backlog{queue="review"}' "v == 1"
expect_val "no SMTP send yet" 'draftd_smtp_sends_total{result="sent"}' "v == 0"

# --- approved and sent
id=$(psql_value "$url" "SELECT id FROM drafts")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $admin" \
	-H 'Content-Type: application/json' -d '{"force":true}' "$api/drafts/$id/approve")
check "approve ($code)" test "$code" = 200
sent() { [ "$(psql_value "$url" "SELECT status FROM drafts WHERE id = $id")" = sent ]; }
wait_for 20 sent || not_ok "not sent: $(tail -5 "$ITMP/run.log")"
scrape "after a reply was sent"
expect_val "one SMTP send succeeded" 'draftd_smtp_sends_total{result="sent"}' "v == 1"
expect_val "its latency is in the histogram" draftd_smtp_send_seconds_count "v == 1"
check "draftd_smtp_send_seconds is a histogram" test "$(typ draftd_smtp_send_seconds)" = histogram
expect_val "the outbox queue is empty" draftd_outbox_queued "v == 0"
expect_val "the oldest queued reply's age is 0 when none waits" draftd_outbox_oldest_queued_age_seconds "v == 0"
expect_val "no open message left" draftd_open_messages "v == 0"

# --- the sink is down: a failed send, a queued reply with an age
tests/services/smtp.sh stop "$ITMP/sinkdir" >/dev/null 2>&1
sed 's/^Message-ID: .*/Message-ID: <metrics-2@customer1.example>/' tests/fixtures/pipeline/stock-1.eml >"$ITMP/two.eml"
tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/two.eml" >/dev/null
wait_for 30 drafted || not_ok "no second draft: $(tail -5 "$ITMP/run.log")"
id2=$(psql_value "$url" "SELECT id FROM drafts WHERE status = 'pending'")
curl -s -o /dev/null -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d '{"force":true}' "$api/drafts/$id2/approve"
failed() { scrape_quiet; [ "$(val 'draftd_smtp_sends_total{result="temporary_failure"}')" -ge 1 ] 2>/dev/null; }
wait_for 30 failed || not_ok "no failed send counted: $(grep smtp_sends "$m")"
sleep 1
scrape "with the sink down"
expect_val "a send to a sink that is down is a temporary failure" 'draftd_smtp_sends_total{result="temporary_failure"}' "v >= 1"
expect_val "one reply waits in the outbox" draftd_outbox_queued "v == 1"
expect_val "the oldest queued reply has an age" draftd_outbox_oldest_queued_age_seconds "v >= 1"

# --- admin changes: kill switch off, a category's mode
curl -s -o /dev/null -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d '{"enabled":false}' "$api/auto"
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d '{"mode":"shadow"}' "$api/categories/stock_inquiry"
scrape "after admin changes"
expect_val "the kill switch off shows as 0" draftd_auto_replies_enabled "v == 0"
expect_val "the category's new mode is 1" 'draftd_category_mode{category="stock_inquiry",mode="shadow"}' "v == 1"
expect_val "its old mode is 0" 'draftd_category_mode{category="stock_inquiry",mode="draft"}' "v == 0"

# --- the sample alert rules and dashboard name only what draftd exports
out=$(python3 tests/integration/lib/deploy_metrics_check.py . "$m" 2>&1) &&
	ok "deploy/: $out" || not_ok "deploy/ alert rules or dashboard: $out"
if command -v promtool >/dev/null; then
	out=$(promtool check rules deploy/prometheus/draftd-alerts.yml 2>&1) &&
		ok "promtool check rules accepts deploy/prometheus/draftd-alerts.yml" || not_ok "promtool check rules: $out"
	out=$(cd tests/fixtures/prometheus && promtool test rules alerts_test.yml 2>&1) &&
		ok "promtool test rules: the alerts fire when they should" || not_ok "promtool test rules: $out"
else
	ok "# SKIP promtool is not installed (Debian: prometheus): alert rules checked by structure only"
fi

kill -TERM "$pid"
wait "$pid"
check "draftd stops cleanly" test $? -eq 0

# --- the run's log, as JSON (issue 15 item 6): every line one object with
# README's keys, the events of this run there, no field of another message
out=$(python3 tests/integration/lib/log_check.py json "$ITMP/run.log" \
	"request|method=POST|path=/api/v1/drafts/$id/approve|status=200|actor=olga" \
	"request|method=GET|path=/api/v1/metrics|status=404|actor=-" \
	"draft approved|draft_id=$id|actor=olga" \
	"automatic replies switched off|actor=olga" \
	"category changed|category=stock_inquiry|mode=shadow|actor=olga" \
	"pipeline finished|outcome=drafted" "metrics: listening on 127.0.0.1:$mport" 2>&1) &&
	ok "the JSON log: $out, every request and admin change" || not_ok "JSON log: $out"
psql -XAtq -d "$url" -c "SELECT id || ' ' || message_id FROM drafts" >"$ITMP/draft_msgs"
python3 - "$ITMP/run.log" "$ITMP/draft_msgs" <<'PY' && ok "no line carries a draft_id of another message" || not_ok "stale fields"
import json, sys
owner = dict(l.split() for l in open(sys.argv[2]) if l.strip())
bad = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "draft_id" in d and "message_id" in d and owner.get(d["draft_id"]) != d["message_id"]:
        bad.append(line.strip())
assert not bad, bad[:3]
PY
