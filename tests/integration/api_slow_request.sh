#!/bin/bash
# SPDX-License-Identifier: MIT
# A slow request holds up no other client (issue 16 item 6). GET /stats is
# made slow for real: a psql session holds an ACCESS EXCLUSIVE lock on the
# categories table, which the stats read and the queue and /healthz do not,
# and the stats request waits for it in PostgreSQL (seen in pg_locks). While
# it waits, on other connections:
#   - [api] threads = 1 (one database connection): /healthz answers;
#   - [api] threads = 2: the drafts page and a draft answer, two requests in
#     a row on one keep-alive connection too;
# and once the lock goes, the stats request itself answers 200. Then a slow
# backlog refresh holds up no request either (issue 14): with [api]
# threads = 1 and the backlog refresher's computation waiting for a lock on
# jobs (which the backlog reads and the drafts page and the token lookup do
# not), a new token's first request and the drafts page answer. Before, the
# refresher borrowed one of the [api] threads connections, so the request
# waited for the refresher's computation.
# Before: the server was a pool of [api] threads threads each serving many
# connections; with threads = 1 /healthz waited behind the stats request
# (and with more threads a connection waited whenever it shared the slow
# request's thread). No timing is asserted: "answers while the other waits"
# is an order of events, the --max-time only ends a stuck check.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_slow_request) || { not_ok "slow request: create database"; exit 0; }
port=$(free_port)
base=http://127.0.0.1:$port
conf=$ITMP/draftd.conf
write_conf() { # THREADS [MORE...]
	local threads=$1
	shift
	DRAFTD_SRCDIR=$SRC write_config "$conf" database api model_builtin URL="$url" API_PORT="$port" \
		"api.threads=$threads" "$@"
}
write_conf 1
tok=$(one_draft_db "$conf" "$url") || { not_ok "slow request: migrate, one draft, a token"; exit 0; }
sql() { psql -XAtq -d "$url" -c "$1"; }
get() { # OUT PATH: the status code on stdout
	curl -s -o "$ITMP/$1" --max-time 20 -w '%{http_code}' -H "Authorization: Bearer $tok" "$base$2"
}

dpid=
lock_pid=
stats_pid=
# lock: a session that holds the categories lock until unlock is called
lock() {
	rm -f "$ITMP/lock.fifo"
	mkfifo "$ITMP/lock.fifo"
	start_bg lock_pid "$ITMP/lock.log" psql -XAtq -d "$url" -f "$ITMP/lock.fifo"
	exec 7>"$ITMP/lock.fifo"
	echo "BEGIN; LOCK TABLE categories IN ACCESS EXCLUSIVE MODE;" >&7
	wait_for 20 test "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'categories'::regclass AND granted AND mode = 'AccessExclusiveLock'")" = 1
}
unlock() {
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$lock_pid" 2>/dev/null
}
# stats_waiting: the stats request is in flight, waiting for the lock
stats_waiting() {
	kill -0 "$stats_pid" 2>/dev/null &&
		test "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'categories'::regclass AND NOT granted")" -ge 1
}
phase() { # THREADS
	write_conf "$1"
	start_bg dpid "$ITMP/run-$1.log" "$DRAFTD" run --config "$conf"
	wait_for 20 grep -qs 'draftd running' "$ITMP/run-$1.log" || return 1
	lock || return 1
	start_bg stats_pid "$ITMP/stats-$1.code" curl -s -o "$ITMP/stats-$1.json" --max-time 120 \
		-w '%{http_code}' -H "Authorization: Bearer $tok" "$base/api/v1/stats"
	wait_for 20 stats_waiting
}
end_phase() { # THREADS
	unlock
	wait "$stats_pid" 2>/dev/null
	[ "$(cat "$ITMP/stats-$1.code")" = 200 ] &&
		python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if 'series' in j and 'categories' in j else 1)" \
			"$ITMP/stats-$1.json" &&
		ok "threads = $1: the stats request answers 200 with its figures once the lock goes" ||
		not_ok "threads = $1: stats after the lock: $(cat "$ITMP/stats-$1.code") $(head -c 300 "$ITMP/stats-$1.json")"
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
}

if phase 1; then
	code=$(get healthz.json /healthz)
	waiting=no
	stats_waiting && waiting=yes
	[ "$code" = 200 ] && [ "$waiting" = yes ] &&
		ok "threads = 1: /healthz answers while a stats request waits for a lock in PostgreSQL" ||
		not_ok "threads = 1: /healthz gave '$code' (stats still waiting: $waiting)"
	end_phase 1
else
	not_ok "threads = 1: the stats request did not get to wait for the lock: $(tail -3 "$ITMP/run-1.log")"
	unlock 2>/dev/null
fi

if phase 2; then
	code=$(get drafts.json '/api/v1/drafts?status=pending&limit=50')
	code2=$(get draft.json /api/v1/drafts/1)
	waiting=no
	stats_waiting && waiting=yes
	[ "$code" = 200 ] && [ "$code2" = 200 ] && [ "$waiting" = yes ] &&
		grep -q '"Re: hello"' "$ITMP/drafts.json" && grep -q '"Re: hello"' "$ITMP/draft.json" &&
		ok "threads = 2: the drafts page and a draft answer while a stats request waits" ||
		not_ok "threads = 2: drafts page '$code', draft '$code2' (stats still waiting: $waiting)"
	# two requests in a row on one keep-alive connection (curl reuses it)
	codes=$(curl -s -o /dev/null -o /dev/null --max-time 20 -w '%{http_code} %{num_connects}\n' \
		-H "Authorization: Bearer $tok" "$base/api/v1/drafts?status=pending&limit=50" "$base/healthz" |
		tr '\n' ' ')
	waiting=no
	stats_waiting && waiting=yes
	[ "$codes" = "200 1 200 0 " ] && [ "$waiting" = yes ] &&
		ok "threads = 2: two requests on one keep-alive connection answer while stats waits" ||
		not_ok "threads = 2: keep-alive requests gave '$codes' (stats still waiting: $waiting)"
	end_phase 2
else
	not_ok "threads = 2: the stats request did not get to wait for the lock: $(tail -3 "$ITMP/run-2.log")"
	unlock 2>/dev/null
fi

# The backlog refresher's computation waits for a lock on jobs; requests on
# the one request connection answer meanwhile.
refresh_waiting() {
	test "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH q AS (SELECT m.status, m.received_at, %'")" -ge 1
}
write_conf 1 api.backlog_max_age=1
start_bg dpid "$ITMP/run-backlog.log" "$DRAFTD" run --config "$conf"
if wait_for 20 grep -qs 'draftd running' "$ITMP/run-backlog.log" &&
	[ "$(get backlog.json /api/v1/backlog)" = 200 ]; then
	rm -f "$ITMP/lock.fifo"
	mkfifo "$ITMP/lock.fifo"
	start_bg lock_pid "$ITMP/lock-jobs.log" psql -XAtq -d "$url" -f "$ITMP/lock.fifo"
	exec 7>"$ITMP/lock.fifo"
	echo "BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE;" >&7
	if wait_for 20 refresh_waiting; then
		tok2=$("$DRAFTD" token create --config "$conf" --name slow-refresh --role reviewer 2>/dev/null | tail -n 1)
		code=$(curl -s -o "$ITMP/drafts2.json" --max-time 20 -w '%{http_code}' \
			-H "Authorization: Bearer $tok2" "$base/api/v1/drafts?status=pending&limit=50")
		waiting=no
		refresh_waiting && waiting=yes
		[ "$code" = 200 ] && [ "$waiting" = yes ] && grep -q '"Re: hello"' "$ITMP/drafts2.json" &&
			ok "threads = 1: a new token's drafts page answers while the backlog refresher waits for a lock" ||
			not_ok "threads = 1: drafts page '$code' while the backlog refresher waits (still waiting: $waiting)"
	else
		not_ok "the backlog refresher did not get to wait for the lock on jobs: $(tail -3 "$ITMP/run-backlog.log")"
	fi
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$lock_pid" 2>/dev/null
	[ "$(get backlog2.json /api/v1/backlog)" = 200 ] &&
		ok "the backlog answers 200 once the lock goes" ||
		not_ok "the backlog after the lock: $(head -c 300 "$ITMP/backlog2.json")"
else
	not_ok "backlog refresher phase: draftd did not start or GET /backlog failed: $(tail -3 "$ITMP/run-backlog.log")"
fi
kill -TERM "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
