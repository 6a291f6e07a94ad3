#!/bin/bash
# SPDX-License-Identifier: MIT
# SMTP sink (Debian python3-aiosmtpd) on 127.0.0.1 that stores every message in a maildir.
#   smtp.sh start DIR [PORT] [--tls CERT KEY] [--tls-optional]
#   smtp.sh stop DIR
# Messages land in DIR/smtp-maildir/new/. Writes DIR/smtp.pid, DIR/smtp.port, DIR/smtp.log.
# --tls offers STARTTLS with CERT/KEY and refuses mail until the client uses it;
# --tls-optional offers STARTTLS but accepts plaintext too. PORT may be "" to pick one.
set -eu
. "$(dirname "$0")/lib.sh"

smtp_start() {
	local dir=$1 port='' box
	local -a tls=()
	shift
	if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
		port=$1
		shift
	fi
	while [ $# -gt 0 ]; do
		case $1 in
		--tls)
			[ $# -ge 3 ] || die "--tls needs CERT and KEY"
			tls+=(--tlscert "$2" --tlskey "$3")
			shift 3
			;;
		--tls-optional) tls+=(--no-requiretls); shift ;;
		*) die "unknown option $1" ;;
		esac
	done
	dir=$(abs_dir "$dir")
	[ -n "$port" ] || port=$(free_port)
	box=$dir/smtp-maildir
	! wait_port 127.0.0.1 "$port" 0 || die "port $port is already in use"
	# The Mailbox handler chokes on an existing but empty folder: give it a real maildir.
	mkdir -p "$box/tmp" "$box/new" "$box/cur"
	# /usr/bin/python3: aiosmtpd is the Debian package, not in a pyenv/venv python.
	# stdio redirected so that callers reading our output never wait on the sink.
	/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox \
		${tls[@]+"${tls[@]}"} "$box" </dev/null >>"$dir/smtp.log" 2>&1 &
	echo $! >"$dir/smtp.pid"
	# Poll in short steps so that a sink that dies at once (port taken) fails fast.
	local _ up=0
	for _ in $(seq 40); do
		if wait_port 127.0.0.1 "$port" 0.25 && pid_alive "$(cat "$dir/smtp.pid")"; then
			up=1
			break
		fi
		pid_alive "$(cat "$dir/smtp.pid")" || break
	done
	if [ "$up" = 0 ]; then
		stop_pid "$dir/smtp.pid"
		log_tail "$dir/smtp.log"
		die "smtp sink not listening on $port"
	fi
	echo "$port" >"$dir/smtp.port"
}

case ${1:-} in
start) [ $# -ge 2 ] || die "usage: smtp.sh start DIR [PORT] [--tls CERT KEY] [--tls-optional]"; shift; smtp_start "$@" ;;
stop) [ $# -ge 2 ] || die "usage: smtp.sh stop DIR"; stop_pid "$2/smtp.pid" ;;
*) die "usage: smtp.sh start DIR [PORT] [--tls CERT KEY] [--tls-optional] | stop DIR" ;;
esac
