# SPDX-License-Identifier: MIT
# Shared helpers for the throwaway test services; source it, don't run it.
# shellcheck shell=bash

PY3=/usr/bin/python3
# dovecot and runuser live in sbin, which a Debian non-root PATH lacks.
PATH=$PATH:/usr/sbin:/sbin

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# free_port: print an unused loopback TCP port. The kernel picks it (bind to
# port 0); a tiny race remains until the service binds it, acceptable for tests.
free_port() {
	"$PY3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_port HOST PORT TIMEOUT_S: 0 once something accepts TCP on HOST:PORT.
wait_port() {
	"$PY3" - "$1" "$2" "$3" <<'PYEOF'
import socket, sys, time
host, port, deadline = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
while True:
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.1)
PYEOF
}

# pid_alive PID: 0 if the process exists and is not a zombie.
pid_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
	return 0
}

# stop_pid PIDFILE: TERM the PID in PIDFILE, wait up to 10 s, then KILL;
# no error when the file or the process is already gone. Removes PIDFILE.
stop_pid() {
	local pid _
	[ -f "$1" ] || return 0
	pid=$(cat "$1" 2>/dev/null) || pid=
	case $pid in '' | *[!0-9]*) rm -f "$1"; return 0 ;; esac
	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		if pid_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
		fi
	fi
	rm -f "$1"
	return 0
}

# log_tail FILE: the last lines of a service log, for failure messages.
log_tail() {
	[ -f "$1" ] && tail -n 20 "$1" | sed 's/^/    | /' >&2
	return 0
}

# abs_dir DIR: create DIR if needed and print its absolute path.
abs_dir() {
	mkdir -p "$1" && (cd "$1" && pwd -P)
}
