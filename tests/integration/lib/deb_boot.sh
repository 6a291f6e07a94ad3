# SPDX-License-Identifier: MIT
# Sourced by tests/integration/deb.sh, which calls deb_boot with the package
# installed in $root and deb_boot_stop after it:
# boots $root with systemd-nspawn (sharing the host's network, so the test
# services on 127.0.0.1 are reachable) and drives draftd.service inside it
# with nsenter. DRAFTD_TEST_DEB_BOOT=0 skips it.
# shellcheck shell=bash

deb_boot() {
	local leader="" nspawn_pid="" url apiport pw out pid uid score i
	if [ "${DRAFTD_TEST_DEB_BOOT:-1}" = 0 ]; then
		ok "# SKIP DRAFTD_TEST_DEB_BOOT=0: the package is not started under systemd"
		return 0
	fi
	if ! command -v systemd-nspawn >/dev/null || ! command -v nsenter >/dev/null; then
		ok "# SKIP systemd-nspawn is not installed (systemd-container): the package is not started under systemd"
		return 0
	fi
	if [ -z "${DRAFTD_TEST_DATABASE_URL:-}" ] || [ -z "${DRAFTD_TEST_IMAP_PORT:-}" ]; then
		ok "# SKIP no test services (run through tests/run.sh): the package is not started under systemd"
		return 0
	fi

	# the site's config: the database URL and the mailbox password are
	# root-only files that reach the service as credentials
	url=$(db_url_for draftd_it_deb) || { not_ok "test database"; return 1; }
	apiport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	pw=pw$RANDOM$RANDOM
	"$src/tests/services/dovecot.sh" adduser "$DRAFTD_TEST_SVC_DIR" debtest "$pw" >/dev/null 2>&1
	(umask 077 && echo "$url" >"$root/etc/draftd/secrets/database.url" && echo "$pw" >"$root/etc/draftd/secrets/support.pw")
	cp "$DRAFTD_TEST_CA_FILE" "$root/etc/draftd/test-ca.pem"
	chmod 644 "$root/etc/draftd/test-ca.pem"
	cat >"$root/etc/draftd/draftd.conf" <<CONF
[database]
url_file = secrets_database.url
[api]
listen = 127.0.0.1:$apiport
[mailbox support]
url = imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT
user = debtest
password_file = secrets_support.pw
address = support@harborparts.example
tls_ca_file = /etc/draftd/test-ca.pem
poll_interval = 2
CONF

	start_bg nspawn_pid "$ITMP/nspawn.log" systemd-nspawn -b -D "$root" --register=no --keep-unit --console=pipe -q
	DEB_BOOT_NSPAWN=$nspawn_pid
	# the container's PID 1 is the child of systemd-nspawn once it has
	# become systemd (before, it is nspawn's own set-up process)
	wait_for 30 bash -c "ps -o comm= --ppid $nspawn_pid | grep -qx systemd" || {
		not_ok "systemd-nspawn -b did not start: $(tail -n 5 "$ITMP/nspawn.log")"
		return 1
	}
	leader=$(ps -o pid=,comm= --ppid "$nspawn_pid" | awk '$2 == "systemd" {print $1; exit}')
	DEB_BOOT_LEADER=$leader
	ns() { nsenter -t "$leader" -m -u -i -p -r -w -- "$@"; }
	# until its bus is up systemctl cannot even ask
	wait_for 60 bash -c "nsenter -t $leader -m -u -i -p -r -w -- systemctl is-system-running 2>&1 | grep -vq 'Failed to connect'"
	out=$(timeout 120 nsenter -t "$leader" -m -u -i -p -r -w -- systemctl is-system-running --wait 2>&1)
	case $out in running | degraded) ok "the Debian root boots under systemd-nspawn ($out)" ;;
	*) not_ok "boot: '$out' $(tail -n 5 "$ITMP/nspawn.log")"; return 1 ;; esac

	if timeout 120 nsenter -t "$leader" -m -u -i -p -r -w -- systemctl start draftd >"$ITMP/start.log" 2>&1; then
		ok "systemctl start draftd returns (Type=notify: after READY=1)"
	else
		not_ok "systemctl start draftd: $(cat "$ITMP/start.log") $(ns journalctl -u draftd --no-pager -n 30 2>&1)"
		return 1
	fi
	[ "$(ns systemctl is-active draftd)" = active ] && ok "draftd.service is active" || not_ok "not active"
	out=$(ns systemctl show draftd -p StatusText --value)
	[ "$out" = "running: API on 127.0.0.1:$apiport, 1 mailboxes" ] && ok "its status line comes from sd_notify: $out" ||
		not_ok "StatusText: '$out'"
	curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$apiport/healthz" && ok "the API answers from inside the sandbox" ||
		not_ok "no /healthz on $apiport"
	pid=$(ns systemctl show draftd -p MainPID --value)
	uid=$(ns awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	[ -n "$uid" ] && [ "$uid" = "$(chroot "$root" id -u draftd)" ] && ok "it runs as the draftd user (uid $uid)" ||
		not_ok "uid '$uid' of pid $pid"
	[ "$(stat -c '%a %U' "$root/etc/draftd/secrets/database.url")" = "600 root" ] &&
		ns test -r /run/credentials/draftd.service/secrets_database.url &&
		ns test -r /run/credentials/draftd.service/secrets_support.pw &&
		ok "root-only secrets reach it through LoadCredential= (secrets_database.url, secrets_support.pw)" ||
		not_ok "credentials: $(ns ls -l /run/credentials/draftd.service/ 2>&1)"

	# IMAP from inside the sandbox, into the host's database
	printf 'From: Ann Buyer <ann@customer.example>\r\nTo: support@harborparts.example\r\nSubject: Is HP-12345 in stock?\r\nMessage-ID: <deb-boot-1@customer.example>\r\nDate: Mon, 1 Dec 2026 10:00:00 +0000\r\n\r\nHello, is HP-12345 in stock?\r\n' >"$ITMP/boot.eml"
	"$src/tests/services/dovecot.sh" deliver "$DRAFTD_TEST_SVC_DIR" debtest INBOX "$ITMP/boot.eml" >/dev/null 2>&1
	wait_for 60 bash -c "[ \"\$(psql -XAtq -d '$url' -c 'SELECT count(*) FROM messages')\" = 1 ]" &&
		ok "it polls the mailbox over STARTTLS and stores the mail" ||
		not_ok "no message stored: $(ns journalctl -u draftd --no-pager -n 20 2>&1)"

	ns systemctl reload draftd >/dev/null 2>&1
	wait_for 30 bash -c "nsenter -t $leader -m -u -i -p -r -w -- systemctl show draftd -p StatusText --value | grep -q 'config reloaded'" &&
		ok "systemctl reload: RELOADING=1, then READY=1 with 'config reloaded'" ||
		not_ok "reload status: $(ns systemctl show draftd -p StatusText --value)"
	[ "$(ns systemctl show draftd -p NRestarts --value)" = 0 ] && [ "$(ns systemctl is-active draftd)" = active ] &&
		ok "still active, never restarted" || not_ok "restarts: $(ns systemctl show draftd -p NRestarts --value)"
	out=$(ns systemctl show draftd -p WatchdogTimestampMonotonic --value)
	[ -n "$out" ] && [ "$out" != 0 ] && ok "the watchdog has been pinged (WatchdogSec=$(ns systemctl show draftd -p WatchdogUSec --value))" ||
		not_ok "no watchdog ping: '$out'"
	score=$(ns systemd-analyze security --no-pager draftd 2>&1 | sed -n 's/.*Overall exposure level for draftd.service: \([0-9.]*\).*/\1/p')
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' && ok "systemd-analyze security on the running service: $score" ||
		not_ok "live security score '$score'"
	out=$(ns journalctl -u draftd --no-pager 2>&1)
	echo "$out" | grep -qiE 'operation not permitted|level=error|permission denied' &&
		not_ok "the journal has errors: $(echo "$out" | grep -iE 'not permitted|level=error|permission denied' | head -n 5)" ||
		ok "no error, EPERM or permission denied in its journal"

	ns systemctl stop draftd >/dev/null 2>&1
	[ "$(ns systemctl show draftd -p Result --value) $(ns systemctl show draftd -p ExecMainStatus --value)" = "success 0" ] &&
		ns journalctl -u draftd --no-pager 2>&1 | grep -q 'draftd stopped' &&
		ok "systemctl stop: finishes in-flight work, exit 0" ||
		not_ok "stop: $(ns systemctl show draftd -p Result -p ExecMainStatus)"
	psql -q -d "$DRAFTD_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS draftd_it_deb WITH (FORCE)" >/dev/null 2>&1
}

# Powers the container off and waits for systemd-nspawn, by its PID; on
# every exit path (deb.sh's EXIT trap calls it too).
deb_boot_stop() {
	local i
	[ -n "${DEB_BOOT_NSPAWN:-}" ] || return 0
	if kill -0 "$DEB_BOOT_NSPAWN" 2>/dev/null; then
		[ -z "${DEB_BOOT_LEADER:-}" ] ||
			nsenter -t "$DEB_BOOT_LEADER" -m -u -i -p -r -w -- systemctl poweroff >/dev/null 2>&1
		for i in $(seq 1 300); do
			kill -0 "$DEB_BOOT_NSPAWN" 2>/dev/null || break
			[ "$i" != 200 ] || kill -TERM "$DEB_BOOT_NSPAWN" 2>/dev/null
			sleep 0.1
		done
		kill -KILL "$DEB_BOOT_NSPAWN" 2>/dev/null
		[ -z "${DEB_BOOT_LEADER:-}" ] || kill -KILL "$DEB_BOOT_LEADER" 2>/dev/null
	fi
	wait "$DEB_BOOT_NSPAWN" 2>/dev/null
	DEB_BOOT_NSPAWN=""
}
trap 'deb_boot_stop; itest_cleanup' EXIT
