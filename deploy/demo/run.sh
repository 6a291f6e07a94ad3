#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: a throwaway draftd stack with the reviewer page, from the
# repository alone. Starts PostgreSQL, Dovecot and the SMTP sink under a temp
# dir (tests/services/), delivers the sample support mailbox
# deploy/demo/mail/*.eml, loads deploy/demo/data/*.csv into the "business"
# database (read by the pg connector), runs `draftd run`, creates a reviewer
# and an admin token, waits until the mail is ingested and processed, and
# prints what happened, the page's URL and both tokens. Ctrl-C (SIGINT) or
# SIGTERM stops everything it started, by PID, and removes the temp dir.
#
#   BUILD=build deploy/demo/run.sh
# Environment:
#   BUILD              where draftd was built (default build)
#   DRAFTD_DEMO_PORT   the page's port (default 8080, or a free one if taken)
#   DRAFTD_MODEL_URL   an OpenAI-compatible server (llama.cpp, vLLM, Ollama):
#                      the openai backend instead of builtin templates
#   DRAFTD_MODEL_NAME  the model name that server expects (default local)
#   DRAFTD_DEMO_TIMEOUT seconds to wait for ingestion and processing (default 120)
set -u
# A shell started in the background (`run.sh &` from a script) inherits
# SIGINT as ignored, and bash cannot trap an ignored signal: re-exec once
# with SIGINT back to default so Ctrl-C / kill -INT always stops the demo.
if [ -z "${DRAFTD_DEMO_REEXEC:-}" ]; then
	export DRAFTD_DEMO_REEXEC=1
	exec /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv("/bin/bash", ["bash"] + sys.argv[1:])' "$0" "$@"
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
demo=$repo/deploy/demo
svcbin=$repo/tests/services
BUILD=${BUILD:-build}
case $BUILD in /*) bin=$BUILD/draftd ;; *) bin=$repo/$BUILD/draftd ;; esac
timeout_s=${DRAFTD_DEMO_TIMEOUT:-120}

say() { printf '%s\n' "$*"; }
fail() {
	say "demo: $*" >&2
	exit 1
}

[ -x "$bin" ] || fail "no draftd binary at $bin (run 'make' or 'make demo')"
for c in psql doveadm setsid python3; do
	command -v "$c" >/dev/null 2>&1 || fail "'$c' is missing: run deploy/install-deps.sh"
done

tmp=$(mktemp -d /tmp/draftd-demo.XXXXXX) || fail "cannot create a temp dir"
chmod 755 "$tmp"
svc=$tmp/svc
mkdir -p "$svc"
draftd_pid=""
stopping=0

# Stops what this script started, each by its PID: draftd first (it finishes
# in-flight work), then the services, then the temp dir goes.
cleanup() {
	[ "$stopping" -eq 0 ] || return
	stopping=1
	trap '' INT TERM
	if [ -n "$draftd_pid" ] && kill -0 "$draftd_pid" 2>/dev/null; then
		say "demo: stopping draftd (pid $draftd_pid)"
		kill -TERM "$draftd_pid" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$draftd_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$draftd_pid" 2>/dev/null
		wait "$draftd_pid" 2>/dev/null
	fi
	say "demo: stopping PostgreSQL, Dovecot and the SMTP sink"
	"$svcbin/all.sh" stop "$svc" >/dev/null 2>&1
	rm -rf "$tmp"
	say "demo: stopped; $tmp removed"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# free_port PREFERRED: PREFERRED when nothing listens there, else any free one.
free_port() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys
want = int(sys.argv[1])
for port in (want, 0):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
PY
}

# wait_until SECONDS WHAT CMD...: polls CMD every half second; a clear
# message and failure when it does not happen in time.
wait_until() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		if [ -n "$draftd_pid" ] && ! kill -0 "$draftd_pid" 2>/dev/null; then
			say "demo: draftd exited while waiting for $what; last lines of its log:" >&2
			tail -n 20 "$tmp/draftd.log" >&2
			return 2
		fi
		sleep 0.5
	done
	say "demo: gave up after ${secs}s waiting for $what" >&2
	return 1
}

say "demo: starting PostgreSQL, Dovecot and the SMTP sink in $svc"
# setsid: a Ctrl-C in the terminal reaches this script, which stops the
# services in order, instead of every service at once.
setsid "$svcbin/all.sh" start "$svc" </dev/null >"$tmp/services.log" 2>&1 ||
	{
		cat "$tmp/services.log" >&2
		fail "the services did not start"
	}
# shellcheck disable=SC1091
. "$svc/env.sh"
db_url=$DRAFTD_TEST_DATABASE_URL
biz_url=$DRAFTD_TEST_BUSINESS_URL

say "demo: loading deploy/demo/data/{inventory,orders}.csv into the business database"
psql -XqAt -v ON_ERROR_STOP=1 -d "$biz_url" >"$tmp/business.log" 2>&1 <<SQL || fail "loading the business data failed: $(cat "$tmp/business.log")"
CREATE TABLE inventory (
    sku text PRIMARY KEY, name text NOT NULL, qty_on_hand integer NOT NULL,
    unit_price_eur numeric(10,2) NOT NULL, lead_time_days integer NOT NULL,
    discontinued boolean NOT NULL);
CREATE TABLE orders (
    order_id text PRIMARY KEY, customer_email text NOT NULL, status text NOT NULL,
    carrier text, tracking_number text, ship_date date, eta date, total_eur numeric(10,2));
\copy inventory FROM '$demo/data/inventory.csv' WITH (FORMAT csv, HEADER true)
\copy orders FROM '$demo/data/orders.csv' WITH (FORMAT csv, HEADER true)
SQL

say "demo: delivering $(find "$demo/mail" -name '*.eml' | wc -l) sample messages to the support mailbox"
mail_pw=demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
"$svcbin/dovecot.sh" adduser "$svc" support "$mail_pw" >/dev/null ||
	fail "could not add the Dovecot user"
"$svcbin/dovecot.sh" deliver "$svc" support INBOX "$demo"/mail/*.eml >"$tmp/deliver.log" 2>&1 ||
	fail "could not deliver the sample mail: $(cat "$tmp/deliver.log")"
n_mail=$(find "$demo/mail" -name '*.eml' | wc -l)

port=$(free_port "${DRAFTD_DEMO_PORT:-8080}")
[ -n "$port" ] || fail "no free TCP port for the page"
backend=builtin
model_lines="backend = builtin"
if [ -n "${DRAFTD_MODEL_URL:-}" ]; then
	backend="openai at $DRAFTD_MODEL_URL"
	model_lines=$(printf 'backend = openai\nbase_url = %s\nmodel = %s\ntimeout = 120' \
		"$DRAFTD_MODEL_URL" "${DRAFTD_MODEL_NAME:-local}")
fi

conf=$tmp/draftd.conf
sed -e "s|@DATABASE_URL@|$db_url|g" -e "s|@BUSINESS_URL@|$biz_url|g" \
	-e "s|@PORT@|$port|g" -e "s|@REPO@|$repo|g" -e "s|@TMP@|$tmp|g" \
	-e "s|@IMAP_PORT@|$DRAFTD_TEST_IMAP_PORT|g" -e "s|@SMTP_PORT@|$DRAFTD_TEST_SMTP_PORT|g" \
	-e "s|@CA_FILE@|$DRAFTD_TEST_CA_FILE|g" "$demo/draftd.conf.in" >"$conf.tmp" || fail "config"
# the model section may span lines: substitute it with awk, not sed
awk -v m="$model_lines" '{ if ($0 == "@MODEL@") print m; else print }' "$conf.tmp" >"$conf"
printf '%s\n' "$mail_pw" >"$tmp/support.pw"
chmod 600 "$tmp/support.pw"
rm -f "$conf.tmp"

"$bin" check-config --config "$conf" >"$tmp/check.log" 2>&1 ||
	fail "the demo config is invalid: $(cat "$tmp/check.log")"
"$bin" migrate --config "$conf" >"$tmp/migrate.log" 2>&1 ||
	fail "draftd migrate failed: $(cat "$tmp/migrate.log")"

say "demo: starting draftd run (model backend: $backend)"
setsid "$bin" run --config "$conf" </dev/null >"$tmp/draftd.log" 2>&1 &
draftd_pid=$!

healthy() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null; }
wait_until 30 "draftd's API on port $port" healthy ||
	fail "draftd did not come up; its log is above"

token_for() {
	local out
	out=$("$bin" token create --config "$conf" --name "$1" --role "$2" 2>"$tmp/token.err") ||
		return 1
	printf '%s\n' "$out" | tail -n 1
}
reviewer_token=$(token_for demo-reviewer reviewer) ||
	fail "draftd token create failed: $(cat "$tmp/token.err")"
admin_token=$(token_for demo-admin admin) ||
	fail "draftd token create failed: $(cat "$tmp/token.err")"

q() { psql -XqAt -d "$db_url" -c "$1" 2>/dev/null; }
ingested() { [ "$(q "SELECT count(*) FROM messages")" -ge "$n_mail" ] 2>/dev/null; }
# processed: no message waits for the pipeline and no job is queued or running
processed() {
	[ "$(q "SELECT count(*) FROM messages WHERE state IN ('new', 'processing')")" = 0 ] &&
		[ "$(q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")" = 0 ]
}

say "demo: waiting for the poller to ingest $n_mail messages (up to ${timeout_s}s)"
if wait_until "$timeout_s" "ingestion of $n_mail messages (messages rows)" ingested; then
	say "demo: waiting for the pipeline to process them (up to ${timeout_s}s)"
	wait_until "$timeout_s" "the pipeline (messages still new/processing, jobs queued)" processed ||
		say "demo: continuing with what is done so far"
else
	say "demo: continuing with $(q "SELECT count(*) FROM messages") of $n_mail messages ingested"
fi
kill -0 "$draftd_pid" 2>/dev/null || fail "draftd is not running; see above"

say ""
say "== what draftd did with the sample mailbox"
say "  ingested: $(q "SELECT count(*) FROM messages") of $n_mail delivered"
say "  drafted:  $(q "SELECT count(*) FROM drafts") drafts ($(q "SELECT count(*) FROM drafts WHERE status IN ('pending', 'claimed')") waiting for review)"
q "SELECT '      ' || coalesce(category, '(none)') || ': ' || count(*) FROM drafts GROUP BY category ORDER BY category"
say "  skipped:  $(q "SELECT count(*) FROM messages WHERE state = 'skipped'")"
q "SELECT '      ' || r || ': ' || count(*) FROM (SELECT coalesce(nullif(screen_reason, ''), pipeline->>'reason', pipeline->>'skip_reason', 'no reason recorded') AS r FROM messages WHERE state = 'skipped') s GROUP BY r ORDER BY r"
say "  to a human without a draft: $(q "SELECT count(*) FROM messages WHERE state = 'human'")"
say "  failed:   $(q "SELECT count(*) FROM messages WHERE state = 'failed'")"
say "  still in the pipeline: $(q "SELECT count(*) FROM messages WHERE state IN ('new', 'processing')")"
say ""
say "== draftd demo is running"
say "  page:           http://127.0.0.1:$port/"
say "  reviewer token: $reviewer_token"
say "  admin token:    $admin_token"
say "  sent mail:      $DRAFTD_TEST_SMTP_MAILDIR/new/"
say "  draftd log:     $tmp/draftd.log"
say "  temp dir:       $tmp"
say "  pids:           draftd=$draftd_pid postgres=$(head -n 1 "$svc/pg.pid" 2>/dev/null) dovecot=$(cat "$svc/dovecot.pid" 2>/dev/null) smtp=$(cat "$svc/smtp.pid" 2>/dev/null)"
say "Open the page, choose \"Use an API token instead\", paste a token, and press ? for the keys."
say "(People sign in with a password: draftd user add NAME --role reviewer --config $conf.) Ctrl-C stops everything."
say "demo ready"

# Sleep in the background and wait for it, so a signal runs the trap at once.
while kill -0 "$draftd_pid" 2>/dev/null; do
	sleep 1 &
	wait $! 2>/dev/null
done
say "demo: draftd exited on its own; last lines of its log:"
tail -n 20 "$tmp/draftd.log"
exit 1
