#!/bin/bash
# SPDX-License-Identifier: MIT
# Start or stop every test service (PostgreSQL, Dovecot, SMTP sink, and for the second
# IMAP server and OAuth2 tests: Cyrus, a provider-layout Dovecot, the OAuth2 stand-in) in one DIR.
#   all.sh start DIR   -> DIR/env.sh to source: DRAFTD_TEST_* variables
#   all.sh stop DIR    stops whatever is running there, even if only partly started
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

all_stop() {
	local dir=$1
	# Each stop is by PID and is a no-op for a service that never started.
	"$here/smtp.sh" stop "$dir" || true
	"$here/cyrus.sh" stop "$dir" || true
	"$here/dovecot.sh" stop "$dir/pv" || true
	"$here/oauth.sh" stop "$dir" || true
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
	# The provider layout (DIR/pv) logs in through the OAuth2 stand-in.
	start_one oauth "$dir/oauth.log" "$here/oauth.sh" start "$dir"
	# one test CA for every server (DRAFTD_TEST_CA_FILE)
	mkdir -p "$dir/pv"
	cp -p "$dir/ca.pem" "$dir/server.pem" "$dir/server.key" "$dir/pv/"
	start_one provider-dovecot "$dir/pv/dovecot.log" "$here/dovecot.sh" start "$dir/pv" "" "" \
		--provider "$(cat "$dir/oauth.url")"
	# Cyrus needs its packages once (a download into a cache): when that is
	# impossible, only the tests that need Cyrus fail, saying why.
	local cyrus_error=
	if ! "$here/cyrus.sh" start "$dir" 2>"$dir/cyrus-start.err"; then
		cyrus_error=$(tail -n 3 "$dir/cyrus-start.err" | tr '\n' ' ')
		echo "all.sh: cyrus did not start (its tests will fail): $cyrus_error" >&2
		"$here/cyrus.sh" stop "$dir" || true
	fi
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
		printf 'export DRAFTD_TEST_OAUTH_URL=%q\n' "$(cat "$dir/oauth.url")"
		printf 'export DRAFTD_TEST_PROVIDER_DIR=%q\n' "$dir/pv"
		printf 'export DRAFTD_TEST_PROVIDER_IMAP_PORT=%q\n' "$(cat "$dir/pv/imap.port")"
		printf 'export DRAFTD_TEST_PROVIDER_IMAPS_PORT=%q\n' "$(cat "$dir/pv/imaps.port")"
		if [ -z "$cyrus_error" ]; then
			printf 'export DRAFTD_TEST_CYRUS_PORT=%q\n' "$(cat "$dir/cyrus.port")"
			printf 'export DRAFTD_TEST_CYRUS_IMAPS_PORT=%q\n' "$(cat "$dir/cyrus-imaps.port")"
		else
			printf 'export DRAFTD_TEST_CYRUS_ERROR=%q\n' "$cyrus_error"
		fi
	} >"$dir/env.sh"
}

case ${1:-} in
start) [ $# -eq 2 ] || die "usage: all.sh start DIR"; all_start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: all.sh stop DIR"; all_stop "$2" ;;
*) die "usage: all.sh start DIR | stop DIR" ;;
esac
