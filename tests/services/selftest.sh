#!/bin/bash
# SPDX-License-Identifier: MIT
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
	idle_push "$DRAFTD_TEST_IMAP_PORT" "$here/dovecot.sh" alice 's3cret pass'
}

# idle_push PORT SCRIPT USER PASS: SCRIPT deliver $dir USER INBOX while USER idles
# must be pushed as EXISTS within 10 s (no server poll interval is that short).
idle_push() {
	"$PY3" - "$1" "$2" "$dir" "$3" "$4" <<'PYEOF'
import imaplib, subprocess, sys
port, script, d, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
m.login(user, password)
if "IDLE" not in m.capabilities:
    sys.exit("no IDLE capability")
typ, data = m.select("INBOX")
before = int(data[0])
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
line = m.readline()
if not line.startswith(b"+"):
    sys.exit("IDLE refused: %r" % line)
subprocess.run([script, "deliver", d, user, "INBOX", d + "/msg.eml"], check=True)
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

# Cyrus with Debian's layout: the same checks as Dovecot's, plus what a client sees
# of the namespace (INBOX. prefix, "." separator) and the \Sent folder.
t_cyrus() {
	local url out
	[ -z "${DRAFTD_TEST_CYRUS_ERROR:-}" ] || { echo "cyrus did not start: $DRAFTD_TEST_CYRUS_ERROR"; return 1; }
	"$here/cyrus.sh" adduser "$dir" bob 'cyrus-pass' || return 1
	"$here/cyrus.sh" deliver "$dir" bob INBOX "$dir/msg.eml" || return 1
	url="imap://127.0.0.1:$DRAFTD_TEST_CYRUS_PORT/INBOX"
	out=$(curl -sS --max-time 10 --url "$url" --user 'bob:cyrus-pass' -X 'SEARCH UNSEEN') || return 1
	[ "$(echo "$out" | tr -d '\r')" = "* SEARCH 1" ] || { echo "unseen: $out"; return 1; }
	out=$(curl -sS --max-time 10 --url "$url;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)" \
		--user 'bob:cyrus-pass') || return 1
	echo "$out" | grep -q "^Subject: selftest $$" || { echo "fetch: $out"; return 1; }
	! curl -sS --max-time 10 --url "$url" --user 'bob:wrong' 2>/dev/null || { echo "bad password accepted"; return 1; }
	out=$(curl -sS --max-time 10 --url "imap://127.0.0.1:$DRAFTD_TEST_CYRUS_PORT/" \
		--user 'bob:cyrus-pass' -X 'NAMESPACE' | tr -d '\r') || return 1
	case $out in '* NAMESPACE (("INBOX." "."))'*) ;; *) echo "namespace: $out"; return 1 ;; esac
	out=$("$PY3" "$here/imapctl.py" --port "$DRAFTD_TEST_CYRUS_PORT" --user bob --password cyrus-pass list) || return 1
	echo "$out" | grep -qi '\\sent.*	INBOX\.Sent$' || { echo "no INBOX.Sent flagged \\Sent: $out"; return 1; }
	"$here/cyrus.sh" mkfolder "$dir" bob 'INBOX.Überfällig' || return 1
	out=$("$PY3" "$here/imapctl.py" --port "$DRAFTD_TEST_CYRUS_PORT" --user bob --password cyrus-pass list) || return 1
	echo "$out" | grep -q '	INBOX\.Überfällig$' || { echo "no INBOX.Überfällig: $out"; return 1; }
	curl -sS --max-time 10 --ssl-reqd --cacert "$DRAFTD_TEST_CA_FILE" \
		--url "imap://localhost:$DRAFTD_TEST_CYRUS_PORT/" --user 'bob:cyrus-pass' >/dev/null ||
		{ echo "STARTTLS with the test CA failed"; return 1; }
	curl -sS --max-time 10 --cacert "$DRAFTD_TEST_CA_FILE" \
		--url "imaps://127.0.0.1:$DRAFTD_TEST_CYRUS_IMAPS_PORT/" --user 'bob:cyrus-pass' >/dev/null ||
		{ echo "IMAPS with the test CA failed"; return 1; }
}

t_cyrus_idle() {
	[ -z "${DRAFTD_TEST_CYRUS_ERROR:-}" ] || { echo "cyrus did not start"; return 1; }
	idle_push "$DRAFTD_TEST_CYRUS_PORT" "$here/cyrus.sh" bob cyrus-pass
}

# oauth_json PATH JSON: a control call to the OAuth2 stand-in.
oauth_ctl() {
	curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$2" "$DRAFTD_TEST_OAUTH_URL$1"
}

# oauth_token FORM...: an access token from the stand-in's token endpoint.
oauth_token() {
	curl -fsS --max-time 10 "$@" "$DRAFTD_TEST_OAUTH_URL/token" |
		"$PY3" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

pv_ctl() {
	"$PY3" "$here/imapctl.py" --port "$DRAFTD_TEST_PROVIDER_IMAP_PORT" "$@"
}

# The provider layout: OAuth2 logins only (a fresh token works with either
# mechanism, an expired one and a password do not), INBOX. prefix and "."
# separator, Sent Items as \Sent, no IDLE, a user without Sent, a UTF-8 folder.
t_provider() {
	local rt tok out pv=$DRAFTD_TEST_PROVIDER_DIR
	"$here/dovecot.sh" adduser "$pv" carol@provider.example - || return 1
	"$here/dovecot.sh" adduser "$pv" dave@provider.example - --no-sent || return 1
	"$here/dovecot.sh" adduser "$pv" erin@provider.example 'app-pass' || return 1
	"$here/dovecot.sh" deliver "$pv" carol@provider.example 'INBOX.Überfällig' "$dir/msg.eml" || return 1
	oauth_ctl /_control/client '{"client_id":"draftd","client_secret":"s3","user":"carol@provider.example"}' >/dev/null || return 1
	rt=$(oauth_ctl /_control/refresh_token '{"client_id":"draftd","user":"carol@provider.example"}' |
		"$PY3" -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])') || return 1
	tok=$(oauth_token -d grant_type=refresh_token -d "refresh_token=$rt" -d client_id=draftd -d client_secret=s3) || return 1
	out=$(pv_ctl --user carol@provider.example --xoauth2 "$tok" list) || { echo "XOAUTH2: $out"; return 1; }
	echo "$out" | grep -q '\\Sent	INBOX\.Sent Items$' || { echo "no INBOX.Sent Items \\Sent: $out"; return 1; }
	echo "$out" | grep -q '\\Junk	INBOX\.Junk Email$' || { echo "no INBOX.Junk Email \\Junk: $out"; return 1; }
	! echo "$out" | grep -q '	INBOX\.Sent$' || { echo "a plain Sent exists: $out"; return 1; }
	echo "$out" | grep -q '	INBOX\.Überfällig$' || { echo "no INBOX.Überfällig: $out"; return 1; }
	out=$(pv_ctl --user carol@provider.example --oauthbearer "$tok" select 'INBOX.Überfällig') ||
		{ echo "OAUTHBEARER + select: $out"; return 1; }
	[ "$out" = 1 ] || { echo "INBOX.Überfällig holds '$out' messages, expected 1"; return 1; }
	out=$(pv_ctl --user carol@provider.example --xoauth2 "$tok" caps) || return 1
	case " $out " in *" IDLE "*) echo "IDLE advertised: $out"; return 1 ;; esac
	case " $out " in *" SPECIAL-USE "*) ;; *) echo "no SPECIAL-USE: $out"; return 1 ;; esac
	out=$(curl -sS --max-time 10 --url "imap://127.0.0.1:$DRAFTD_TEST_PROVIDER_IMAP_PORT/" \
		--login-options 'AUTH=XOAUTH2' --user carol@provider.example --oauth2-bearer "$tok" -X NAMESPACE | tr -d '\r') ||
		{ echo "curl XOAUTH2: $out"; return 1; }
	case $out in '* NAMESPACE (("INBOX." "."))'*) ;; *) echo "namespace: $out"; return 1 ;; esac
	# a token for another user is no key to this mailbox
	! pv_ctl --user dave@provider.example --xoauth2 "$tok" list >/dev/null 2>&1 ||
		{ echo "carol's token opened dave's mailbox"; return 1; }
	! pv_ctl --user carol@provider.example --password - list >/dev/null 2>&1 ||
		{ echo "password login accepted for an OAuth2-only user"; return 1; }
	! pv_ctl --user carol@provider.example --password app-pass list >/dev/null 2>&1 ||
		{ echo "another user's app password accepted"; return 1; }
	pv_ctl --user erin@provider.example --password app-pass list >/dev/null ||
		{ echo "app password refused"; return 1; }
	oauth_ctl /_control/expire '{}' >/dev/null || return 1
	! pv_ctl --user carol@provider.example --xoauth2 "$tok" list >/dev/null 2>&1 ||
		{ echo "expired token accepted"; return 1; }
	# the user without Sent: app-only token (client credentials)
	oauth_ctl /_control/client '{"client_id":"app","client_secret":"s4","user":"dave@provider.example"}' >/dev/null || return 1
	tok=$(oauth_token -u app:s4 -d grant_type=client_credentials) || return 1
	out=$(pv_ctl --user dave@provider.example --oauthbearer "$tok" list) || { echo "dave: $out"; return 1; }
	! echo "$out" | grep -qi 'sent' || { echo "dave has a Sent folder: $out"; return 1; }
}

# The stand-in logs every grant (tests count refreshes) and refuses a revoked
# refresh token with invalid_grant.
t_oauth() {
	local rt out n
	rt=$(oauth_ctl /_control/refresh_token '{"client_id":"draftd","user":"carol@provider.example"}' |
		"$PY3" -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])') || return 1
	n=$(grep -c 'grant grant_type=refresh_token' "$DRAFTD_TEST_SVC_DIR/oauth.log")
	oauth_token -d grant_type=refresh_token -d "refresh_token=$rt" -d client_id=draftd -d client_secret=s3 >/dev/null || return 1
	[ "$(grep -c 'grant grant_type=refresh_token' "$DRAFTD_TEST_SVC_DIR/oauth.log")" = $((n + 1)) ] ||
		{ echo "refresh grant not logged"; return 1; }
	! grep -q "$rt" "$DRAFTD_TEST_SVC_DIR/oauth.log" || { echo "refresh token in the log"; return 1; }
	oauth_ctl /_control/revoke "{\"refresh_token\":\"$rt\"}" >/dev/null || return 1
	out=$(curl -sS --max-time 10 -d grant_type=refresh_token -d "refresh_token=$rt" -d client_id=draftd \
		-d client_secret=s3 -w ' %{http_code}' "$DRAFTD_TEST_OAUTH_URL/token") || return 1
	case $out in *'"invalid_grant"'*' 400') ;; *) echo "revoked refresh token: $out"; return 1 ;; esac
	out=$(curl -sS --max-time 10 -d grant_type=client_credentials -d client_id=draftd -d client_secret=bad \
		-w ' %{http_code}' "$DRAFTD_TEST_OAUTH_URL/token") || return 1
	case $out in *'"invalid_client"'*' 401') ;; *) echo "bad secret: $out"; return 1 ;; esac
}

t_stop() {
	local pids pid f
	pids=
	for f in pg.pid dovecot.pid smtp.pid oidc.pid oauth.pid pv/dovecot.pid cyrus.pid; do
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
	check "cyrus: deliver, unseen, fetch, bad password refused, INBOX. namespace, INBOX.Sent \\Sent, UTF-8 folder, TLS" t_cyrus
	check "cyrus: IDLE pushes a new delivery (idled)" t_cyrus_idle
	check "provider dovecot: XOAUTH2/OAUTHBEARER, expired token and password refused, app password, no IDLE, Sent Items, no-Sent user, Überfällig" t_provider
	check "oauth stand-in: refresh grants logged, revoked refresh token and bad secret refused" t_oauth
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
	failed=$((failed + 15))
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
