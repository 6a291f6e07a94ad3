#!/bin/bash
# Self-test of the test services: start all (and the OIDC provider), use each for real,
# stop, check nothing is left.
# Prints TAP-like "ok - ..." / "not ok - ..." lines and "services: N passed, M failed".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

passed=0
failed=0
# /tmp explicitly: as root, postgres and nobody must be able to traverse the path.
dir=$(mktemp -d /tmp/draftd-svc.XXXXXX)
cleanup() {
	"$here/oidc.sh" stop "$dir" >/dev/null 2>&1 || true
	"$here/all.sh" stop "$dir" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {
	local name=$1
	shift
	if "$@" >"$dir/check.out" 2>&1; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		sed 's/^/#   /' "$dir/check.out"
		failed=$((failed + 1))
	fi
}

t_start() {
	"$here/all.sh" start "$dir" || return 1
	# shellcheck disable=SC1091
	. "$dir/env.sh"
}

t_pg() {
	local url out
	for url in "$DRAFTD_TEST_DATABASE_URL" "$DRAFTD_TEST_BUSINESS_URL"; do
		out=$(psql -X -At "$url" -c 'select 1' </dev/null) || return 1
		[ "$out" = 1 ] || { echo "$url: got '$out'"; return 1; }
	done
}

t_pg_restart() {
	local old new port out
	old=$(cat "$dir/pg.pid")
	port=$(cat "$dir/pg.port")
	"$here/pg.sh" restart "$dir" || return 1
	new=$(cat "$dir/pg.pid")
	[ "$new" != "$old" ] || { echo "same PID $old after restart"; return 1; }
	! pid_alive "$old" || { echo "old postmaster $old still running"; return 1; }
	[ "$(cat "$dir/pg.port")" = "$port" ] || { echo "port changed"; return 1; }
	out=$(psql -X -At "$DRAFTD_TEST_DATABASE_URL" -c 'select 1' </dev/null) || return 1
	[ "$out" = 1 ] || { echo "after restart: got '$out'"; return 1; }
}

t_imap() {
	local url out
	printf 'From: a@example.org\r\nTo: alice@example.org\r\nSubject: selftest %s\r\nMessage-ID: <selftest-1@example.org>\r\n\r\nhello\r\n' \
		"$$" >"$dir/msg.eml"
	"$here/dovecot.sh" adduser "$dir" alice 's3cret pass' || return 1
	"$here/dovecot.sh" deliver "$dir" alice INBOX "$dir/msg.eml" || return 1
	"$here/dovecot.sh" mkfolder "$dir" alice Sent || return 1
	url="imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT/INBOX"
	# Delivered mail must stay unseen, so draftd would pick it up.
	out=$(curl -sS --max-time 10 --url "$url" --user 'alice:s3cret pass' -X 'SEARCH UNSEEN') || return 1
	[ "$(echo "$out" | tr -d '\r')" = "* SEARCH 1" ] || { echo "unseen: $out"; return 1; }
	out=$(curl -sS --max-time 10 --url "$url;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)" \
		--user 'alice:s3cret pass') || return 1
	echo "$out" | grep -q "^Subject: selftest $$" || { echo "fetch: $out"; return 1; }
	# A wrong password must be refused.
	! curl -sS --max-time 10 --url "$url" --user 'alice:wrong' 2>/dev/null || { echo "bad password accepted"; return 1; }
}

# IDLE: a delivery while a client idles must be pushed to it as EXISTS.
t_idle() {
	"$PY3" - "$DRAFTD_TEST_IMAP_PORT" "$here/dovecot.sh" "$dir" <<'PYEOF'
import imaplib, subprocess, sys
port, script, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
m.login("alice", "s3cret pass")
if "IDLE" not in m.capabilities:
    sys.exit("no IDLE capability")
typ, data = m.select("INBOX")
before = int(data[0])
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
line = m.readline()
if not line.startswith(b"+"):
    sys.exit("IDLE refused: %r" % line)
subprocess.run([script, "deliver", d, "alice", "INBOX", d + "/msg.eml"], check=True)
while True:
    line = m.readline()
    if not line:
        sys.exit("connection closed while idling")
    if line.endswith(b"EXISTS\r\n"):
        n = int(line.split()[1])
        break
m.send(b"DONE\r\n")
while not m.readline().startswith(tag):
    pass
m.logout()
if n != before + 1:
    sys.exit("EXISTS %d, expected %d" % (n, before + 1))
PYEOF
}

t_tls() {
	local u='alice:s3cret pass' s="imaps://127.0.0.1:$DRAFTD_TEST_IMAPS_PORT/"
	curl -sS --max-time 10 --cacert "$DRAFTD_TEST_CA_FILE" --url "$s" --user "$u" >/dev/null ||
		{ echo "IMAPS with the test CA failed"; return 1; }
	if curl -sS --max-time 10 --url "$s" --user "$u" >/dev/null 2>&1; then
		echo "IMAPS without the test CA was accepted"
		return 1
	fi
	curl -sS --max-time 10 --ssl-reqd --cacert "$DRAFTD_TEST_CA_FILE" \
		--url "imap://localhost:$DRAFTD_TEST_IMAP_PORT/" --user "$u" >/dev/null ||
		{ echo "STARTTLS with the test CA failed"; return 1; }
}

t_smtp() {
	local f
	printf 'From: draftd@example.org\r\nTo: bob@example.org\r\nSubject: sink %s\r\n\r\nhi\r\n' "$$" >"$dir/out.eml"
	curl -sS --max-time 10 "smtp://127.0.0.1:$DRAFTD_TEST_SMTP_PORT" --mail-from draftd@example.org \
		--mail-rcpt bob@example.org -T "$dir/out.eml" || return 1
	for f in "$DRAFTD_TEST_SMTP_MAILDIR"/new/*; do
		[ -f "$f" ] && grep -q "^Subject: sink $$" "$f" && grep -q '^X-RcptTo: bob@example.org' "$f" && return 0
	done
	echo "message not found in $DRAFTD_TEST_SMTP_MAILDIR/new"
	return 1
}

# The OpenID Connect provider (oidc.sh) lives in the same dir; the flow itself
# is oidc_flow.py, the relying party's side by HTTP.
oidc_flow() {
	"$PY3" "$here/oidc_flow.py" --issuer "$DRAFTD_TEST_OIDC_ISSUER" \
		--client-id "$DRAFTD_TEST_OIDC_CLIENT_ID" \
		--client-secret-file "$DRAFTD_TEST_OIDC_CLIENT_SECRET_FILE" "$@"
}

t_oidc_start() {
	"$here/oidc.sh" start "$dir" || return 1
	# shellcheck disable=SC1091
	. "$dir/oidc-env.sh"
}

t_oidc_alice() {
	oidc_flow --redirect http://127.0.0.1/draftd/auth/oidc/callback \
		--user alice --password 'alice secret' --expect-role reviewer
}

t_oidc_ada() {
	oidc_flow --redirect http://127.0.0.1/draftd/auth/oidc/callback \
		--user ada --password 'ada secret' --expect-role admin
}

t_oidc_refusals() {
	oidc_flow --redirect http://127.0.0.1/draftd/auth/oidc/callback \
		--user alice --password 'alice secret' --refusals
}

# A redirect URI added later (draftd's own port is known only once it runs)
# works, and an unregistered one is refused.
t_oidc_redirect() {
	local uri=http://127.0.0.1:9/auth/oidc/callback
	if oidc_flow --redirect "$uri" --user alice --password 'alice secret' >/dev/null 2>&1; then
		echo "an unregistered redirect URI was accepted"
		return 1
	fi
	"$here/oidc.sh" add-redirect "$dir" "$uri" || return 1
	"$here/oidc.sh" adduser "$dir" carol 'carol secret' || return 1
	# carol has no role: the ID token carries none, draftd must decide.
	oidc_flow --redirect "$uri" --user carol --password 'carol secret' || return 1
}

t_stop() {
	local pids pid f
	pids=
	for f in pg.pid dovecot.pid smtp.pid oidc.pid; do
		[ -f "$dir/$f" ] || { echo "$f missing"; return 1; }
		pid=$(cat "$dir/$f")
		pids="$pids $pid $(pgrep -P "$pid" | tr '\n' ' ')"
	done
	"$here/all.sh" stop "$dir" || return 1
	"$here/oidc.sh" stop "$dir" || return 1
	for pid in $pids; do
		if pid_alive "$pid"; then
			echo "process $pid still running: $(ps -o args= -p "$pid")"
			return 1
		fi
	done
	rm -rf "$dir" || return 1
	[ ! -e "$dir" ] || { echo "$dir not removed"; return 1; }
}

check "services start (all.sh)" t_start
if [ "$passed" = 1 ]; then
	# shellcheck disable=SC1091
	. "$dir/env.sh"
	check "postgres: select 1 on draftd and business" t_pg
	check "postgres: restart by PID, same port, answers again" t_pg_restart
	check "dovecot: deliver, unseen, fetch over IMAP, bad password refused" t_imap
	check "dovecot: IDLE pushes a new delivery" t_idle
	check "dovecot: IMAPS/STARTTLS accept the test CA, refuse without it" t_tls
	check "smtp: message sent with curl lands in the maildir" t_smtp
	check "oidc: glewlwyd starts as non-root with an RS256 key, client and people" t_oidc_start
	if [ -f "$dir/oidc-env.sh" ]; then
		check "oidc: alice signs in by code flow + PKCE, ID token verifies against JWKS, role reviewer" t_oidc_alice
		check "oidc: ada's ID token carries role admin" t_oidc_ada
		check "oidc: refuses a wrong password, no PKCE, a wrong verifier, a replayed code, a wrong secret" t_oidc_refusals
		check "oidc: an added redirect URI and person work, an unregistered URI is refused" t_oidc_redirect
	else
		failed=$((failed + 4))
	fi
else
	failed=$((failed + 11))
fi
# t_stop removes $dir, where check keeps its output: give it another place.
out=$(mktemp)
if t_stop >"$out" 2>&1; then
	echo "ok - stop: no process left, dir removed"
	passed=$((passed + 1))
else
	echo "not ok - stop: no process left, dir removed"
	sed 's/^/#   /' "$out"
	failed=$((failed + 1))
fi
rm -f "$out"
echo "services: $passed passed, $failed failed"
[ "$failed" = 0 ]
