#!/bin/bash
# Issue 18: auth = oauth2 against the provider-layout Dovecot (passdb oauth2,
# tokens checked with the stand-in's introspection endpoint) and the token
# endpoint stand-in (tests/fakes/oauth_server.py), end to end:
#   - a refresh-token mailbox and a client-credentials (app-only) mailbox log
#     in with SASL XOAUTH2 and their mail is stored;
#   - the token is cached (one grant for many logins) and fetched again when
#     it is about to expire;
#   - a token the server refuses (expired early) is dropped and a new one
#     fetched at once: the login still works;
#   - a revoked refresh token is a clear error on that mailbox (no crash),
#     and the other mailboxes go on;
#   - no token or secret is ever in draftd's log or database.
# (Before: draftd could only LOGIN with a password.)
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_oauth2) || { not_ok "create database"; exit 1; }
RUN=$(date +%s%N)
CAROL=carol$RUN@provider.example
DAVE=dave$RUN@provider.example
ERIN=erin$RUN@provider.example
PV=$DRAFTD_TEST_PROVIDER_DIR

q() { psql_value "$url" "$1"; }
octl() { curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$2" "$DRAFTD_TEST_OAUTH_URL$1"; }
grants() { # grants USER: refresh and client-credentials grants issued for USER so far
	curl -fsS --max-time 10 "$DRAFTD_TEST_OAUTH_URL/_control/grants" |
		/usr/bin/python3 -c "import json,sys; print(sum(1 for g in json.load(sys.stdin)['grants'] if g.get('user') == '$1'))"
}
deliver() { # deliver USER ID
	printf 'From: Buyer <buyer@example.test>\nTo: support@harborparts.example\nSubject: where is %s\nMessage-ID: <%s.%s@example.test>\n\nWhere is my order SO-204518?\n' \
		"$2" "$2" "$RUN" >"$ITMP/$2.eml"
	"$MS_SERVICES/dovecot.sh" deliver "$PV" "$1" INBOX "$ITMP/$2.eml" >/dev/null
}
stored() { q "SELECT count(*) FROM messages WHERE message_id = '<$1.$RUN@example.test>'"; }
wait_stored() { wait_for "${2:-20}" bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<$1.$RUN@example.test>'\")\" = 1 ]"; }

ms_require_all || exit 0
"$MS_SERVICES/dovecot.sh" adduser "$PV" "$CAROL" - >/dev/null || not_ok "add $CAROL (OAuth2 only)"
"$MS_SERVICES/dovecot.sh" adduser "$PV" "$DAVE" - >/dev/null || not_ok "add $DAVE (OAuth2 only)"
"$MS_SERVICES/dovecot.sh" adduser "$PV" "$ERIN" app-erin >/dev/null || not_ok "add $ERIN (app password)"
sleep 1
octl /_control/expires_in '{"seconds": 3600}' >/dev/null
octl /_control/client "{\"client_id\":\"draftd-$RUN\",\"client_secret\":\"cs-$RUN\",\"user\":\"$CAROL\"}" >/dev/null ||
	not_ok "register the delegated client"
octl /_control/client "{\"client_id\":\"app-$RUN\",\"client_secret\":\"as-$RUN\",\"user\":\"$DAVE\"}" >/dev/null ||
	not_ok "register the app-only client"
RT=$(octl /_control/refresh_token "{\"client_id\":\"draftd-$RUN\",\"user\":\"$CAROL\"}" |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])')
umask 077
printf '%s\n' "$RT" >"$ITMP/carol.rt"
printf 'cs-%s\n' "$RUN" >"$ITMP/carol.secret"
printf 'as-%s\n' "$RUN" >"$ITMP/dave.secret"

conf=$ITMP/oauth.conf
write_config "$conf" database api URL="$url" API_PORT="$(ms_free_port)" log.level=info ||
	{ not_ok "write_config"; exit 1; }
{
	for who in carol dave erin; do
		case $who in carol) u=$CAROL ;; dave) u=$DAVE ;; erin) u=$ERIN ;; esac
		printf '[mailbox %s]\nurl = imap://127.0.0.1:%s\nuser = %s\nfolder = INBOX\n' "$who" "$DRAFTD_TEST_PROVIDER_IMAP_PORT" "$u"
		printf 'address = support@harborparts.example\ntls_ca_file = %s\nidle = off\npoll_interval = 1\n' "$DRAFTD_TEST_CA_FILE"
		case $who in
		carol) printf 'auth = oauth2\noauth_token_url = %s/token\noauth_client_id = draftd-%s\noauth_client_secret_file = %s\noauth_refresh_token_file = %s\noauth_scope = https://outlook.office.com/IMAP.AccessAsUser.All offline_access\n' \
			"$DRAFTD_TEST_OAUTH_URL" "$RUN" "$ITMP/carol.secret" "$ITMP/carol.rt" ;;
		dave) printf 'auth = oauth2\noauth_token_url = %s/token\noauth_client_id = app-%s\noauth_client_secret_file = %s\noauth_scope = https://outlook.office365.com/.default\n' \
			"$DRAFTD_TEST_OAUTH_URL" "$RUN" "$ITMP/dave.secret" ;;
		erin) printf 'password = app-erin\n' ;;
		esac
	done
} >>"$conf"
umask 022
out=$("$DRAFTD" check-config --config "$conf" 2>&1) && ok "check-config accepts auth = oauth2 (both grants)" ||
	not_ok "check-config: $out"
# the config is refused without a grant, with the reason
sed 's/^oauth_refresh_token_file = .*//; s/^oauth_client_secret_file = .*carol.*//' "$conf" >"$ITMP/nogrant.conf"
out=$("$DRAFTD" check-config --config "$ITMP/nogrant.conf" 2>&1)
case $out in *"[mailbox carol] auth: oauth2 needs oauth_refresh_token_file"*) ok "check-config: oauth2 without a grant is refused, saying what is missing" ;;
*) not_ok "no grant: $out" ;; esac
"$DRAFTD" migrate --config "$conf" >/dev/null || { not_ok "draftd migrate"; exit 1; }

out=$("$DRAFTD" check-config --online --config "$conf" 2>&1)
echo "$out" | grep -q '^ok    mailbox carol: logged in to .* (OAuth2, OAUTHBEARER)' &&
	echo "$out" | grep -q '^ok    mailbox dave: logged in to .* (OAuth2, OAUTHBEARER)' &&
	ok "check-config --online logs in with both grants" || not_ok "check-config --online: $out"

# --- login with both grants ---------------------------------------------------
deliver "$CAROL" c1
deliver "$DAVE" d1
deliver "$ERIN" e1
out=$("$DRAFTD" poll --once --attempts 1 --config "$conf" 2>&1)
check "refresh-token grant: carol's mail is read over XOAUTH2" test "$(stored c1)" = 1
check "client-credentials grant (app-only): dave's mail is read" test "$(stored d1)" = 1
check "a password mailbox next to them still works" test "$(stored e1)" = 1
[ "$(stored c1)" = 1 ] || echo "# $out" | tail -5

# --- draftd run: cached, refreshed before expiry, refused token replaced ---------
start_bg rpid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 bash -c "grep -q 'mailbox=carol.*poll' '$ITMP/run.log' || [ -n \"\$(psql -XAtq -d '$url' -c \"SELECT last_poll_at FROM mailboxes WHERE name = 'carol'\")\" ]"
sleep 3
n0=$(grants "$CAROL")
deliver "$CAROL" c2
wait_stored c2 && ok "draftd run: carol's new mail is stored" || not_ok "c2: $(grep carol "$ITMP/run.log" | tail -3)"
# several logins (the outbox and check-config log in too), one token
"$DRAFTD" poll --once --attempts 1 --config "$conf" >/dev/null 2>&1
n1=$(grants "$CAROL")
check "the access token is cached: no grant per poll ($n0 -> $n1 while draftd run polls every second)" \
	test "$((n1 - n0))" -le 1
# the server refuses the cached token (expired early): forgotten, fetched anew
octl /_control/expire '{}' >/dev/null
ms_restart_provider >/dev/null 2>&1 || not_ok "restart the provider-layout Dovecot"
deliver "$CAROL" c3
wait_stored c3 30 && ok "a refused (expired) token is replaced at once: carol's mail after the expiry is stored" ||
	not_ok "c3: $(grep 'mailbox=carol' "$ITMP/run.log" | tail -3)"
n2=$(grants "$CAROL")
check "... with a new grant ($n1 -> $n2)" test "$n2" -gt "$n1"
# --- a revoked refresh token -------------------------------------------------
octl /_control/revoke "{\"refresh_token\":\"$RT\"}" >/dev/null || not_ok "revoke carol's refresh token"
octl /_control/expire '{}' >/dev/null
ms_restart_provider >/dev/null 2>&1
wait_for 30 bash -c "psql -XAtq -d '$url' -c \"SELECT last_error FROM mailboxes WHERE name = 'carol'\" | grep -q 'revoked'"
err=$(q "SELECT last_error FROM mailboxes WHERE name = 'carol'")
case $err in
*"invalid_grant"*"refresh token was revoked or has expired: get a new one"*)
	ok "revoked refresh token: the mailbox says so and what to do ($err)" ;;
*) not_ok "revoked: last_error = '$err'" ;;
esac
check "draftd is still running" kill -0 "$rpid"
out=$("$DRAFTD" check-config --online --config "$conf" 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q '^FAIL  mailbox carol: OAuth2: the token endpoint refused (HTTP 400, invalid_grant' &&
	echo "$out" | grep -q '^ok    mailbox dave: logged in' &&
	ok "check-config --online: FAIL for carol's revoked token, with the reason; dave ok" ||
	not_ok "check-config --online after the revocation: rc=$rc $out"
deliver "$DAVE" d2
deliver "$ERIN" e2
wait_stored d2 120 && ok "the other OAuth2 mailbox goes on" || not_ok "d2: $(grep 'mailbox=dave' "$ITMP/run.log" | tail -3)"
wait_stored e2 120 && ok "the password mailbox goes on" || not_ok "e2: $(grep 'mailbox=erin' "$ITMP/run.log" | tail -3)"
kill -TERM "$rpid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $rpid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"

# --- SMTP: [smtp] auth = oauth2 sends as the mailbox with its token ------------
# The sink checks each XOAUTH2 bearer token with the stand-in's introspection
# endpoint (tests/fakes/smtp_server.py --xoauth2-introspect), as Microsoft
# 365's submission server checks its own tokens.
mkdir -p "$ITMP/sink"
start_bg sinkpid "$ITMP/sink.out" /usr/bin/python3 "$DRAFTD_SRCDIR/tests/fakes/smtp_server.py" \
	--port-file "$ITMP/sink.port" --maildir "$ITMP/sink" --log "$ITMP/sink.log" \
	--xoauth2-introspect "$DRAFTD_TEST_OAUTH_URL/introspect"
wait_for 10 test -s "$ITMP/sink.port" || not_ok "start the XOAUTH2 SMTP sink"
approved() { # approved NAME UID: an original of dave's (UIDVALIDITY 1: never flagged) and its approved draft
	approved_reply_rows "$url" dave 1 "$2" "<$1-orig.$RUN@example.test>" \
		"<$1-reply.$RUN@harborparts.example>"
}
sed -n '/^\[mailbox dave\]/,/^\[mailbox erin\]/p' "$conf" | grep -v '^\[mailbox erin\]' >"$ITMP/dave.section"
write_config "$ITMP/smtp.conf" database api smtp_sink URL="$url" API_PORT="$(ms_free_port)" \
	SMTP_PORT="$(cat "$ITMP/sink.port")" smtp.auth=oauth2 log.level=info ||
	{ not_ok "write_config"; exit 1; }
{
	cat "$ITMP/dave.section"
	printf 'sent_copy = off\n'
} >>"$ITMP/smtp.conf"
# tokens of 4 s from now on: the outbox logs in afresh for every reply
octl /_control/expires_in '{"seconds": 4}' >/dev/null
approved s1 900001
start_bg spid "$ITMP/smtp-run.log" "$DRAFTD" run --config "$ITMP/smtp.conf"
sent() { q "SELECT state FROM outbox WHERE message_id = '<$1-reply.$RUN@harborparts.example>'"; }
wait_for 30 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE message_id = '<s1-reply.$RUN@harborparts.example>'\")\" = sent ]" &&
	ok "SMTP XOAUTH2: the reply is submitted with the mailbox's token" ||
	not_ok "SMTP XOAUTH2: state $(sent s1): $(grep -i 'smtp\|outbox' "$ITMP/smtp-run.log" | tail -3)"
check "... the sink checked the bearer token for $DAVE" grep -q "AUTH XOAUTH2 ok user=$DAVE" "$ITMP/sink.log"
check "... and stored the reply" test "$(grep -l "^Message-ID: <s1-reply.$RUN@harborparts.example>" "$ITMP"/sink/new/* 2>/dev/null | wc -l)" = 1
# a token about to expire is not used: fetched again before its lifetime ends
n1=$(grants "$DAVE")
sleep 5
approved s2 900002
wait_for 40 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE message_id = '<s2-reply.$RUN@harborparts.example>'\")\" = sent ]" &&
	ok "4 s tokens: the next reply after their lifetime is sent with a fresh token" ||
	not_ok "s2: state $(sent s2): $(grep -i 'smtp\|outbox' "$ITMP/smtp-run.log" | tail -3)"
n2=$(grants "$DAVE")
check "... fetched before it expired ($n1 -> $n2 grants), so neither server refused one" \
	test "$n2" -gt "$n1" -a "$(grep -c "AUTH XOAUTH2 refused" "$ITMP/sink.log")" = 0
octl /_control/expires_in '{"seconds": 3600}' >/dev/null
kill -TERM "$spid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $spid 2>/dev/null" || not_ok "draftd run (smtp) stops on SIGTERM"
cat "$ITMP/smtp-run.log" >>"$ITMP/run.log"

# --- secrets stay secret -------------------------------------------------------
leaks=0
for s in "$RT" "cs-$RUN" "as-$RUN"; do
	grep -qF -- "$s" "$ITMP/run.log" && leaks=$((leaks + 1))
	[ "$(q "SELECT count(*) FROM mailboxes WHERE secret_ref LIKE '%$s%' OR last_error LIKE '%$s%'")" = 0 ] ||
		leaks=$((leaks + 1))
done
# the access tokens the stand-in issued start "at-"; none is in the log
grep -qE 'at-[A-Za-z0-9_-]{20,}' "$ITMP/run.log" && leaks=$((leaks + 1))
check "no refresh token, client secret or access token in the log or the database" test "$leaks" = 0
