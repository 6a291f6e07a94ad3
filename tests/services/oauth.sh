#!/bin/bash
# SPDX-License-Identifier: MIT
# The OAuth 2.0 token-endpoint stand-in (tests/fakes/oauth_server.py) on 127.0.0.1.
#   oauth.sh start DIR [PORT]   -> DIR/oauth.pid, oauth.port, oauth.url, oauth.log
#   oauth.sh stop DIR
# oauth.log has one line per grant and per refusal (tests count refreshes there).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

oauth_start() {
	local dir=$1 port=${2:-0} _
	dir=$(abs_dir "$dir")
	rm -f "$dir/oauth.port"
	"$PY3" "$here/../fakes/oauth_server.py" --port "$port" --port-file "$dir/oauth.port" \
		</dev/null >>"$dir/oauth.log" 2>&1 &
	echo $! >"$dir/oauth.pid"
	for _ in $(seq 100); do
		[ -s "$dir/oauth.port" ] && break
		pid_alive "$(cat "$dir/oauth.pid")" || break
		sleep 0.05
	done
	if ! [ -s "$dir/oauth.port" ] || ! wait_port 127.0.0.1 "$(cat "$dir/oauth.port")" 5; then
		stop_pid "$dir/oauth.pid"
		log_tail "$dir/oauth.log"
		die "oauth stand-in did not start"
	fi
	echo "http://127.0.0.1:$(cat "$dir/oauth.port")" >"$dir/oauth.url"
}

case ${1:-} in
start) [ $# -ge 2 ] || die "usage: oauth.sh start DIR [PORT]"; oauth_start "$2" "${3:-}" ;;
stop) [ $# -eq 2 ] || die "usage: oauth.sh stop DIR"; stop_pid "$2/oauth.pid" ;;
*) die "usage: oauth.sh start DIR [PORT] | stop DIR" ;;
esac
