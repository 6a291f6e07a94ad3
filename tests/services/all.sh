#!/bin/bash
# Start or stop every test service (PostgreSQL, Dovecot, SMTP sink) in one DIR.
#   all.sh start DIR   -> DIR/env.sh to source: DRAFTD_TEST_* variables
#   all.sh stop DIR    stops whatever is running there, even if only partly started
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

all_stop() {
	local dir=$1
	# Each stop is by PID and is a no-op for a service that never started.
	"$here/smtp.sh" stop "$dir" || true
	"$here/dovecot.sh" stop "$dir" || true
	"$here/pg.sh" stop "$dir" || true
}

# start_one NAME LOG CMD...: on failure stop everything started so far and exit.
start_one() {
	local name=$1 log=$2
	shift 2
	if ! "$@"; then
		echo "all.sh: $name failed to start; last lines of $log:" >&2
		log_tail "$log"
		all_stop "$dir"
		exit 1
	fi
}

all_start() {
	dir=$(abs_dir "$1")
	start_one postgresql "$dir/pg.log" "$here/pg.sh" start "$dir"
	start_one dovecot "$dir/dovecot.log" "$here/dovecot.sh" start "$dir"
	start_one smtp "$dir/smtp.log" "$here/smtp.sh" start "$dir"
	local pgport
	pgport=$(cat "$dir/pg.port")
	# printf %q keeps odd characters in DIR safe to source.
	{
		printf 'export DRAFTD_TEST_DATABASE_URL=%q\n' "$(cat "$dir/pg.url")"
		printf 'export DRAFTD_TEST_BUSINESS_URL=%q\n' "postgresql://postgres@127.0.0.1:$pgport/business"
		printf 'export DRAFTD_TEST_IMAP_PORT=%q\n' "$(cat "$dir/imap.port")"
		printf 'export DRAFTD_TEST_IMAPS_PORT=%q\n' "$(cat "$dir/imaps.port")"
		printf 'export DRAFTD_TEST_SMTP_PORT=%q\n' "$(cat "$dir/smtp.port")"
		printf 'export DRAFTD_TEST_SVC_DIR=%q\n' "$dir"
		printf 'export DRAFTD_TEST_CA_FILE=%q\n' "$dir/ca.pem"
		printf 'export DRAFTD_TEST_SMTP_MAILDIR=%q\n' "$dir/smtp-maildir"
	} >"$dir/env.sh"
}

case ${1:-} in
start) [ $# -eq 2 ] || die "usage: all.sh start DIR"; all_start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: all.sh stop DIR"; all_stop "$2" ;;
*) die "usage: all.sh start DIR | stop DIR" ;;
esac
