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
# and once the lock goes, the stats request itself answers 200.
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
write_conf() { # THREADS
	DRAFTD_SRCDIR=$SRC write_config "$conf" database api model_builtin URL="$url" API_PORT="$port" \
		"api.threads=$1"
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
