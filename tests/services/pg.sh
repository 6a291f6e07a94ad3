#!/bin/bash
# SPDX-License-Identifier: MIT
# Throwaway PostgreSQL 15 on 127.0.0.1 for tests.
#   pg.sh start DIR [PORT]   -> DIR/pg.url, DIR/pg.port, DIR/pg.pid, DIR/pg.log
#   pg.sh stop DIR
#   pg.sh restart DIR        -> stopped by its PID (fast shutdown: clients are
#                               cut off), started again on the same port
# Databases "draftd" and "business" are created; auth is trust, user postgres.
set -eu
. "$(dirname "$0")/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin  # not /usr/local/bin: always the Debian build

# as_pg CMD...: PostgreSQL refuses to run as root, so root runs it as postgres.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_launch DIR PORT SOCK: starts the cluster in DIR/pg/data with the test
# options; DIR/pg.pid on success. pg_ctl -w waits until the server accepts
# connections (or 30 s).
pg_launch() {
	local dir=$1 port=$2 sock=$3 data=$1/pg/data
	as_pg "$PGBIN/pg_ctl" -D "$data" -l "$dir/pg.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$sock' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
		start </dev/null >/dev/null 2>&1 || return 1
	head -n 1 "$data/postmaster.pid" >"$dir/pg.pid"
}

# pg_wait_ready PORT: up to 5 s for the server to take queries.
pg_wait_ready() {
	local _
	for _ in $(seq 50); do
		"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres && return 0
		sleep 0.1
	done
	return 1
}

pg_start() {
	local dir=$1 port=${2:-} data sock log
	dir=$(abs_dir "$dir")
	[ -n "$port" ] || port=$(free_port)
	data=$dir/pg/data
	sock=$dir/pg/sock
	log=$dir/pg.log
	[ ! -e "$data/PG_VERSION" ] || die "$data already holds a cluster"
	mkdir -p "$data" "$sock"
	: >"$log"
	if [ "$(id -u)" = 0 ]; then
		# postgres must traverse DIR and own what it writes; parents of DIR
		# must be traversable too (mktemp -d under /tmp is fine once 755).
		chmod 755 "$dir" "$dir/pg"
		chown -R postgres: "$dir/pg" "$log"
	fi
	chmod 700 "$data"
	if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -w "$data"; then
		die "user postgres cannot reach $data: every parent of DIR must be world-searchable (use a dir under /tmp)"
	fi
	# A unix socket path must fit in 107 bytes; tests connect over TCP anyway,
	# so a DIR too deep for the socket just runs without one.
	[ ${#sock} -le 90 ] || sock=
	as_pg "$PGBIN/initdb" -D "$data" -U postgres -A trust --no-sync \
		-E UTF8 --locale=C.UTF-8 </dev/null >>"$log" 2>&1 ||
		{ log_tail "$log"; die "initdb failed"; }
	echo "$sock" >"$dir/pg.sock"
	if ! pg_launch "$dir" "$port" "$sock"; then
		[ -f "$data/postmaster.pid" ] && head -n 1 "$data/postmaster.pid" >"$dir/pg.pid"
		stop_pid "$dir/pg.pid"
		log_tail "$log"
		die "postgres did not start on port $port"
	fi
	echo "$port" >"$dir/pg.port"
	pg_wait_ready "$port" || true
	local db
	for db in draftd business; do
		"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
			-v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" </dev/null >>"$log" 2>&1 ||
			{ log_tail "$log"; pg_stop "$dir"; die "creating database $db failed"; }
	done
	echo "postgresql://postgres@127.0.0.1:$port/draftd" >"$dir/pg.url"
}

pg_stop() {
	local dir=$1
	[ -d "$dir" ] || return 0
	if [ -f "$dir/pg/data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -m fast -w -t 10 stop \
			</dev/null >/dev/null 2>&1 || true
	fi
	stop_pid "$dir/pg.pid"  # in case pg_ctl could not stop it
}

# pg_restart DIR: a server restart as a test sees it (connections drop, the
# same port answers again), without pg_ctl's stop: the postmaster's PID gets
# SIGINT (fast shutdown, which does not wait for clients, unlike TERM).
pg_restart() {
	local dir pid port sock _
	dir=$(abs_dir "$1")
	[ -f "$dir/pg.port" ] && [ -f "$dir/pg/data/PG_VERSION" ] || die "no cluster started in $dir"
	port=$(cat "$dir/pg.port")
	# the socket dir of the first start (pg.sock), or the default one
	sock=$(cat "$dir/pg.sock" 2>/dev/null) || { sock=$dir/pg/sock; [ ${#sock} -le 90 ] || sock=; }
	pid=$(cat "$dir/pg.pid" 2>/dev/null) || pid=
	case $pid in '' | *[!0-9]*) die "no PID in $dir/pg.pid" ;; esac
	if pid_alive "$pid"; then
		kill -INT "$pid" 2>/dev/null || true
		for _ in $(seq 300); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && die "postgres (PID $pid) did not stop within 30 s"
	fi
	rm -f "$dir/pg.pid"
	pg_launch "$dir" "$port" "$sock" || { log_tail "$dir/pg.log"; die "postgres did not start again on port $port"; }
	pg_wait_ready "$port" || { log_tail "$dir/pg.log"; die "postgres is not ready on port $port"; }
}

case ${1:-} in
start) [ $# -ge 2 ] || die "usage: pg.sh start DIR [PORT]"; pg_start "$2" "${3:-}" ;;
stop) [ $# -ge 2 ] || die "usage: pg.sh stop DIR"; pg_stop "$2" ;;
restart) [ $# -ge 2 ] || die "usage: pg.sh restart DIR"; pg_restart "$2" ;;
*) die "usage: pg.sh start DIR [PORT] | stop DIR | restart DIR" ;;
esac
