# SPDX-License-Identifier: MIT
# Helpers for tests that run draftd against every IMAP server of
# tests/services: "dovecot" (the standard one), "cyrus" (Debian's layout) and
# "provider" (the provider-layout Dovecot, logged in with an app password).
# Source it after common.sh. tests/services/all.sh starts all of them (they
# are cheap); ms_require_all starts on demand whatever the environment lacks
# (an env.sh from before they existed) and stops it again at exit.
# shellcheck shell=bash

MS_SERVICES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../services" && pwd)
MS_USER=msuser
MS_PASS=pw-ms
MS_PV_USER=msuser@provider.example
MS_PV_PASS=app-ms
MS_STARTED=

ms_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ms_cleanup() {
	if [ -n "$MS_STARTED" ]; then
		"$MS_SERVICES/cyrus.sh" stop "$MS_STARTED" >/dev/null 2>&1
		"$MS_SERVICES/dovecot.sh" stop "$MS_STARTED/pv" >/dev/null 2>&1
		"$MS_SERVICES/oauth.sh" stop "$MS_STARTED" >/dev/null 2>&1
	fi
	itest_cleanup
}
trap ms_cleanup EXIT

# ms_require_all: 0 when Cyrus and the provider layout are there (started
# here if the environment lacks them); else one "not ok" line saying why.
ms_require_all() {
	local d
	if [ -n "${DRAFTD_TEST_CYRUS_ERROR:-}" ]; then
		not_ok "Cyrus is running for these tests: $DRAFTD_TEST_CYRUS_ERROR"
		return 1
	fi
	if [ -n "${DRAFTD_TEST_CYRUS_PORT:-}" ] && [ -n "${DRAFTD_TEST_PROVIDER_IMAP_PORT:-}" ]; then
		return 0
	fi
	d=$ITMP/ms
	mkdir -p "$d/pv"
	chmod 755 "$d" "$d/pv"
	# one test CA for every server
	cp -p "$DRAFTD_TEST_SVC_DIR/ca.pem" "$DRAFTD_TEST_SVC_DIR/server.pem" \
		"$DRAFTD_TEST_SVC_DIR/server.key" "$d/"
	cp -p "$d/ca.pem" "$d/server.pem" "$d/server.key" "$d/pv/"
	MS_STARTED=$d
	"$MS_SERVICES/oauth.sh" start "$d" &&
		"$MS_SERVICES/dovecot.sh" start "$d/pv" "" "" --provider "$(cat "$d/oauth.url")" ||
		{ not_ok "start the provider-layout Dovecot on demand"; return 1; }
	"$MS_SERVICES/cyrus.sh" start "$d" 2>"$d/cyrus.err" ||
		{ not_ok "start Cyrus on demand: $(tail -n 2 "$d/cyrus.err")"; return 1; }
	export DRAFTD_TEST_OAUTH_URL DRAFTD_TEST_PROVIDER_DIR=$d/pv
	DRAFTD_TEST_OAUTH_URL=$(cat "$d/oauth.url")
	export DRAFTD_TEST_PROVIDER_IMAP_PORT DRAFTD_TEST_PROVIDER_IMAPS_PORT
	DRAFTD_TEST_PROVIDER_IMAP_PORT=$(cat "$d/pv/imap.port")
	DRAFTD_TEST_PROVIDER_IMAPS_PORT=$(cat "$d/pv/imaps.port")
	export DRAFTD_TEST_CYRUS_PORT DRAFTD_TEST_CYRUS_IMAPS_PORT DRAFTD_TEST_CYRUS_DIR=$d
	DRAFTD_TEST_CYRUS_PORT=$(cat "$d/cyrus.port")
	DRAFTD_TEST_CYRUS_IMAPS_PORT=$(cat "$d/cyrus-imaps.port")
}

# The service script, its DIR, the port, the user and password of KIND.
ms_script() { case $1 in cyrus) echo "$MS_SERVICES/cyrus.sh" ;; *) echo "$MS_SERVICES/dovecot.sh" ;; esac; }
ms_dir() {
	case $1 in
	cyrus) echo "${DRAFTD_TEST_CYRUS_DIR:-$DRAFTD_TEST_SVC_DIR}" ;;
	provider) echo "$DRAFTD_TEST_PROVIDER_DIR" ;;
	*) echo "$DRAFTD_TEST_SVC_DIR" ;;
	esac
}
ms_port() {
	case $1 in
	cyrus) echo "$DRAFTD_TEST_CYRUS_PORT" ;;
	provider) echo "$DRAFTD_TEST_PROVIDER_IMAP_PORT" ;;
	*) echo "$DRAFTD_TEST_IMAP_PORT" ;;
	esac
}
ms_user() { if [ "$1" = provider ]; then echo "$MS_PV_USER"; else echo "$MS_USER"; fi; }
ms_pass() { if [ "$1" = provider ]; then echo "$MS_PV_PASS"; else echo "$MS_PASS"; fi; }
# The prefix of folders below the inbox, and the Junk folder, of KIND's layout.
ms_prefix() { if [ "$1" = dovecot ]; then echo ""; else echo "INBOX."; fi; }
ms_junk() {
	case $1 in
	cyrus) echo INBOX.Junk ;;
	provider) echo "INBOX.Junk Email" ;;
	*) echo Junk ;;
	esac
}

ms_adduser() {
	local s d
	s=$(ms_script "$1")
	d=$(ms_dir "$1")
	"$s" adduser "$d" "$(ms_user "$1")" "$(ms_pass "$1")" >/dev/null &&
		{ [ "$1" != dovecot ] || "$s" mkfolder "$d" "$MS_USER" Junk >/dev/null; }
}

# ms_deliver KIND FOLDER FILE...: unseen, folder created if needed.
ms_deliver() {
	local kind=$1 folder=$2
	shift 2
	"$(ms_script "$kind")" deliver "$(ms_dir "$kind")" "$(ms_user "$kind")" "$folder" "$@" >/dev/null
}

# ms_mailbox_section NAME KIND FOLDER [k = v;k = v]: a [mailbox] for KIND's test user.
ms_mailbox_section() {
	printf '[mailbox %s]\nurl = imap://127.0.0.1:%s\nuser = %s\npassword = %s\nfolder = %s\n' \
		"$1" "$(ms_port "$2")" "$(ms_user "$2")" "$(ms_pass "$2")" "$3"
	printf 'address = support@harborparts.example\ntls_ca_file = %s\n' "$DRAFTD_TEST_CA_FILE"
	[ -z "${4:-}" ] || printf '%s\n' "$4" | tr ';' '\n'
}

# ms_restart_provider: stop and start the provider-layout Dovecot on the same
# ports (every client connection drops).
ms_restart_provider() {
	local d=$DRAFTD_TEST_PROVIDER_DIR url
	url=$(sed -n 's|^introspection_url = \(.*\)/introspect$|\1|p' "$d/dovecot-oauth2.conf.ext")
	"$MS_SERVICES/dovecot.sh" stop "$d" &&
		"$MS_SERVICES/dovecot.sh" start "$d" "$DRAFTD_TEST_PROVIDER_IMAP_PORT" \
			"$DRAFTD_TEST_PROVIDER_IMAPS_PORT" --provider "$url"
}

# ms_approved_rows URL NAME UIDVALIDITY UID ORIG_ID REPLY_ID: a mailbox row
# NAME (as the poller leaves it after UID of UIDVALIDITY) and
# approved_reply_rows (lib/common.sh) for it.
ms_approved_rows() {
	psql -XAtq -d "$1" -v ON_ERROR_STOP=1 -v name="$2" -v uv="$3" -v uid="$4" <<'SQL' >/dev/null ||
INSERT INTO mailboxes (name, imap_url, imap_user, address, uidvalidity, last_uid)
VALUES (:'name', 'imap://x', 'x', 'support@harborparts.example', :uv, :uid);
SQL
		return 1
	approved_reply_rows "$@"
}
