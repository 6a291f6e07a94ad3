#!/bin/bash
# Issue 18: which SASL mechanism auth = oauth2 logs in to IMAP with, end to
# end against real Dovecots with an oauth2 passdb (tokens checked with the
# stand-in's introspection endpoint):
#   - a server offering OAUTHBEARER and XOAUTH2 (Gmail, the provider layout):
#     OAUTHBEARER (RFC 7628, the standard), sent with SASL-IR;
#   - a server offering only XOAUTH2 (Microsoft 365): XOAUTH2;
#   - a server offering only OAUTHBEARER without SASL-IR: the response goes
#     after the server's continuation;
#   - a token the server refuses (it expired early): the OAUTHBEARER error
#     challenge is answered, the token fetched anew and the login works.
# Dovecot's own log says which mechanism each login used.
# (Before: only XOAUTH2, and a server without AUTH=XOAUTH2 was refused.)
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_oauth2_sasl) || { not_ok "create database"; exit 1; }
RUN=$(date +%s%N)
PV=$DRAFTD_TEST_PROVIDER_DIR

q() { psql_value "$url" "$1"; }
octl() { curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$2" "$DRAFTD_TEST_OAUTH_URL$1"; }
stored() { q "SELECT count(*) FROM messages WHERE message_id = '<$1.$RUN@example.test>'"; }
wait_stored() { wait_for "${2:-30}" bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<$1.$RUN@example.test>'\")\" = 1 ]"; }

ms_require_all || exit 0
# two more provider-layout servers: XOAUTH2 only, and OAUTHBEARER only without SASL-IR
XO=$ITMP/xo
OB=$ITMP/ob
mkdir -p "$XO" "$OB"
chmod 755 "$XO" "$OB"
for d in "$XO" "$OB"; do cp -p "$PV/ca.pem" "$PV/server.pem" "$PV/server.key" "$d/"; done
stop_servers() {
	"$MS_SERVICES/dovecot.sh" stop "$XO" >/dev/null 2>&1
	"$MS_SERVICES/dovecot.sh" stop "$OB" >/dev/null 2>&1
	ms_cleanup
}
trap stop_servers EXIT
start_xo() { "$MS_SERVICES/dovecot.sh" start "$XO" "${1:-}" "${2:-}" --provider "$DRAFTD_TEST_OAUTH_URL" --mechs xoauth2 >/dev/null; }
start_ob() { "$MS_SERVICES/dovecot.sh" start "$OB" "${1:-}" "${2:-}" --provider "$DRAFTD_TEST_OAUTH_URL" --mechs oauthbearer --no-sasl-ir >/dev/null; }
start_xo || { not_ok "start a Dovecot offering only XOAUTH2"; exit 1; }
start_ob || { not_ok "start a Dovecot offering only OAUTHBEARER, no SASL-IR"; exit 1; }

declare -A DIR=([both]=$PV [xo]=$XO [ob]=$OB)
declare -A PORT=([both]=$DRAFTD_TEST_PROVIDER_IMAP_PORT [xo]=$(cat "$XO/imap.port") [ob]=$(cat "$OB/imap.port"))
conf=$ITMP/sasl.conf
umask 077
write_config "$conf" database api URL="$url" API_PORT="$(ms_free_port)" log.level=info ||
	{ not_ok "write_config"; exit 1; }
for k in both xo ob; do
	u=$k$RUN@provider.example
	"$MS_SERVICES/dovecot.sh" adduser "${DIR[$k]}" "$u" - >/dev/null || not_ok "add $u"
	octl /_control/client "{\"client_id\":\"c-$k-$RUN\",\"client_secret\":\"s-$k-$RUN\",\"user\":\"$u\"}" >/dev/null ||
		not_ok "register client $k"
	printf 's-%s-%s\n' "$k" "$RUN" >"$ITMP/$k.secret"
	printf '[mailbox %s]\nurl = imap://127.0.0.1:%s\nuser = %s\nfolder = INBOX\n' "$k" "${PORT[$k]}" "$u"
	printf 'address = support@harborparts.example\ntls_ca_file = %s\nidle = off\npoll_interval = 1\n' "$DRAFTD_TEST_CA_FILE"
	printf 'auth = oauth2\noauth_token_url = %s/token\noauth_client_id = c-%s-%s\noauth_client_secret_file = %s\n' \
		"$DRAFTD_TEST_OAUTH_URL" "$k" "$RUN" "$ITMP/$k.secret"
done >>"$conf"
# a token the server never takes (issued for another user): refused twice,
# with the server's error challenge in words
octl /_control/client "{\"client_id\":\"c-wrong-$RUN\",\"client_secret\":\"s-wrong-$RUN\",\"user\":\"someone-else@provider.example\"}" >/dev/null
printf 's-wrong-%s\n' "$RUN" >"$ITMP/wrong.secret"
sed -n '/^\[mailbox both\]/,$p' "$conf" | sed -n '1,/^oauth_client_secret_file/p' |
	sed "s/^\[mailbox both\]/[mailbox wrong]/; s/^oauth_client_id = .*/oauth_client_id = c-wrong-$RUN/; s|^oauth_client_secret_file = .*|oauth_client_secret_file = $ITMP/wrong.secret|" >"$ITMP/wrong.section"
umask 022
deliver() { # deliver KIND ID
	printf 'From: Buyer <buyer@example.test>\nTo: support@harborparts.example\nSubject: where is %s\nMessage-ID: <%s.%s@example.test>\n\nWhere is my order SO-204518?\n' \
		"$2" "$2" "$RUN" >"$ITMP/$2.eml"
	"$MS_SERVICES/dovecot.sh" deliver "${DIR[$1]}" "$1$RUN@provider.example" INBOX "$ITMP/$2.eml" >/dev/null
}
# logins LOG KIND MECH: Dovecot's "Login: user=<...>, method=MECH" lines for KIND's user
logins() { grep -c "Login: user=<$2$RUN@provider.example>, method=$3" "$1"; }
"$DRAFTD" migrate --config "$conf" >/dev/null || { not_ok "draftd migrate"; exit 1; }

out=$("$DRAFTD" check-config --online --config "$conf" 2>&1)
echo "$out" | grep -q '^ok    mailbox both: logged in to .* (OAuth2, OAUTHBEARER)' &&
	ok "both offered: OAUTHBEARER is used" || not_ok "both: $(echo "$out" | grep 'mailbox both' | head -2)"
echo "$out" | grep -q '^ok    mailbox xo: logged in to .* (OAuth2, XOAUTH2)' &&
	ok "XOAUTH2 only (Microsoft 365): XOAUTH2 is used" || not_ok "xo: $(echo "$out" | grep 'mailbox xo' | head -2)"
echo "$out" | grep -q '^ok    mailbox ob: logged in to .* (OAuth2, OAUTHBEARER)' &&
	ok "OAUTHBEARER only, no SASL-IR: the response follows the continuation" ||
	not_ok "ob: $(echo "$out" | grep 'mailbox ob' | head -2)"
{ cat "$conf" "$ITMP/wrong.section"; } >"$ITMP/wrong.conf"
out=$("$DRAFTD" check-config --online --config "$ITMP/wrong.conf" 2>&1)
echo "$out" | grep -q '^FAIL  mailbox wrong: AUTHENTICATE OAUTHBEARER as both.*: the server refused a freshly fetched access token (invalid_token.*check that user is the account.*login refused' &&
	ok "a token the server refuses even when fresh: FAIL with the server's error challenge in words" ||
	not_ok "wrong user: $(echo "$out" | grep 'mailbox wrong' | head -2)"
check "Dovecot logged the OAUTHBEARER login (server offering both)" test "$(logins "$PV/dovecot.log" both OAUTHBEARER)" -ge 1
check "Dovecot logged the XOAUTH2 login (XOAUTH2-only server)" test "$(logins "$XO/dovecot.log" xo XOAUTH2)" -ge 1
check "Dovecot logged the OAUTHBEARER login (no SASL-IR server)" test "$(logins "$OB/dovecot.log" ob OAUTHBEARER)" -ge 1

for k in both xo ob; do deliver "$k" "${k}1"; done
start_bg rpid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
for k in both xo ob; do
	wait_stored "${k}1" && ok "draftd run: mail read over $k" || not_ok "${k}1: $(grep "mailbox=$k" "$ITMP/run.log" | tail -3)"
done
# every cached token expires at the server; the connections drop, the
# next logins present the cached (now refused) token first
octl /_control/expire '{}' >/dev/null
ms_restart_provider >/dev/null 2>&1 || not_ok "restart the provider-layout Dovecot"
"$MS_SERVICES/dovecot.sh" stop "$XO" >/dev/null 2>&1
start_xo "${PORT[xo]}" "$(cat "$XO/imaps.port")" || not_ok "restart the XOAUTH2 Dovecot"
"$MS_SERVICES/dovecot.sh" stop "$OB" >/dev/null 2>&1
start_ob "${PORT[ob]}" "$(cat "$OB/imaps.port")" || not_ok "restart the OAUTHBEARER Dovecot"
for k in both xo ob; do deliver "$k" "${k}2"; done
for k in both xo ob; do
	wait_stored "${k}2" 40 && ok "$k: a refused (expired) token is replaced at once, the login works" ||
		not_ok "${k}2: $(grep "mailbox=$k" "$ITMP/run.log" | tail -3)"
done
check "the OAUTHBEARER error challenge was answered: Dovecot saw the refusal, then a login" \
	grep -q "oauth2(both$RUN@provider.example.*\(invalid\|inactive\|not active\|failed\)" "$PV/dovecot.log"
check "draftd is still running" kill -0 "$rpid"
kill -TERM "$rpid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $rpid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"
check "no access token in draftd's log" bash -c "! grep -qE 'at-[A-Za-z0-9_-]{20,}' '$ITMP/run.log'"
