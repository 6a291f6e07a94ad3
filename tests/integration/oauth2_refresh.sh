#!/bin/bash
# Issue 18: OAuth2 tokens going bad under draftd, end to end (provider-layout
# Dovecot with its oauth2 passdb, the token endpoint stand-in, and an SMTP
# server that checks every bearer token with the stand-in's introspection
# endpoint, so a revoked token gets a real 535):
#   - [smtp] auth = oauth2 prefers OAUTHBEARER when the server offers it;
#   - SMTP refuses the token (revoked after the IMAP login): the token is
#     dropped, a new one fetched and the reply sent in the same try;
#   - the refresh token itself is revoked: the reply stays queued with the
#     token endpoint's reason and what to do (not failed, not retried in a
#     hot loop), another mailbox's reply goes out;
#   - the token endpoint rotates refresh tokens (as Microsoft's does): the new
#     one is written back to oauth_refresh_token_file (0600, owner kept), so
#     a restart works; a file the service user cannot replace is warned
#     about once, naming it.
# (Before: a 535 waited for the next try; a rotated refresh token lived in
# memory only, so after a restart the revoked one in the file was used.)
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_oauth2_refresh) || { not_ok "create database"; exit 1; }
RUN=$(date +%s%N)
PV=$DRAFTD_TEST_PROVIDER_DIR
FRANK=frank$RUN@provider.example
GINA=gina$RUN@provider.example
HANK=hank$RUN@provider.example

q() { psql_value "$url" "$1"; }
octl() { curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$2" "$DRAFTD_TEST_OAUTH_URL$1"; }
new_rt() { # new_rt CLIENT USER: a refresh token as an administrator's consent gives it
	octl /_control/refresh_token "{\"client_id\":\"$1\",\"user\":\"$2\"}" |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])'
}
deliver() { # deliver USER ID
	printf 'From: Buyer <buyer@example.test>\nTo: support@harborparts.example\nSubject: where is %s\nMessage-ID: <%s.%s@example.test>\n\nWhere is my order SO-204518?\n' \
		"$2" "$2" "$RUN" >"$ITMP/$2.eml"
	"$MS_SERVICES/dovecot.sh" deliver "$PV" "$1" INBOX "$ITMP/$2.eml" >/dev/null
}
stored() { q "SELECT count(*) FROM messages WHERE message_id = '<$1.$RUN@example.test>'"; }
approved() { # approved MAILBOX NAME UID: an original and its approved draft, queued
	approved_reply_rows "$url" "$1" 1 "$3" "<$2-orig.$RUN@example.test>" \
		"<$2-reply.$RUN@harborparts.example>"
}
col() { q "SELECT $2 FROM outbox WHERE message_id = '<$1-reply.$RUN@harborparts.example>'"; }
wait_sent() { wait_for "${2:-40}" bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE message_id = '<$1-reply.$RUN@harborparts.example>'\")\" = sent ]"; }

ms_require_all || exit 0
for u in "$FRANK" "$GINA" "$HANK"; do
	"$MS_SERVICES/dovecot.sh" adduser "$PV" "$u" - >/dev/null || not_ok "add $u (OAuth2 only)"
done
octl /_control/expires_in '{"seconds": 3600}' >/dev/null
octl /_control/rotate '{"on": false}' >/dev/null
for who in frank gina hank; do
	case $who in frank) u=$FRANK ;; gina) u=$GINA ;; hank) u=$HANK ;; esac
	octl /_control/client "{\"client_id\":\"$who-$RUN\",\"client_secret\":\"cs-$who-$RUN\",\"user\":\"$u\"}" >/dev/null ||
		not_ok "register $who's client"
done
umask 077
RT_F=$(new_rt "frank-$RUN" "$FRANK")
printf '%s\n' "$RT_F" >"$ITMP/frank.rt"
for who in frank gina hank; do printf 'cs-%s-%s\n' "$who" "$RUN" >"$ITMP/$who.secret"; done
umask 022

# the SMTP server introspects with ?client=smtp: the stand-in can revoke
# every token between draftd's IMAP login and its SMTP AUTH
mkdir -p "$ITMP/sink"
start_bg sinkpid "$ITMP/sink.out" /usr/bin/python3 "$DRAFTD_SRCDIR/tests/fakes/smtp_server.py" \
	--port-file "$ITMP/sink.port" --maildir "$ITMP/sink" --log "$ITMP/sink.log" \
	--xoauth2-introspect "$DRAFTD_TEST_OAUTH_URL/introspect?client=smtp" --oauthbearer
wait_for 10 test -s "$ITMP/sink.port" || not_ok "start the OAuth2 SMTP sink"
section() { # section NAME USER [grant lines]
	printf '[mailbox %s]\nurl = imap://127.0.0.1:%s\nuser = %s\nfolder = INBOX\n' "$1" "$DRAFTD_TEST_PROVIDER_IMAP_PORT" "$2"
	printf 'address = support@harborparts.example\ntls_ca_file = %s\nidle = off\npoll_interval = 1\nsent_copy = off\n' "$DRAFTD_TEST_CA_FILE"
	printf 'auth = oauth2\noauth_token_url = %s/token\noauth_client_id = %s-%s\noauth_client_secret_file = %s\n' \
		"$DRAFTD_TEST_OAUTH_URL" "$1" "$RUN" "$ITMP/$1.secret"
}
conf=$ITMP/smtp.conf
write_config "$conf" database api smtp_sink URL="$url" API_PORT="$(ms_free_port)" \
	SMTP_PORT="$(cat "$ITMP/sink.port")" smtp.auth=oauth2 log.level=info ||
	{ not_ok "write_config"; exit 1; }
{
	section frank "$FRANK"
	printf 'oauth_refresh_token_file = %s\n' "$ITMP/frank.rt"
	section gina "$GINA"
} >>"$conf"
"$DRAFTD" migrate --config "$conf" >/dev/null || { not_ok "draftd migrate"; exit 1; }
start_bg rpid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 20 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM mailboxes WHERE last_poll_at IS NOT NULL\")\" = 2 ]" ||
	not_ok "both mailboxes polled: $(tail -3 "$ITMP/run.log")"

# --- SMTP: OAUTHBEARER preferred -----------------------------------------------
approved frank f1 910001
wait_sent f1 && ok "SMTP with auth = oauth2: frank's reply is sent" ||
	not_ok "f1: $(col f1 "state || ' ' || coalesce(last_error, '')")"
check "... over AUTH OAUTHBEARER, which the server offers beside XOAUTH2" grep -q "AUTH OAUTHBEARER ok user=$FRANK" "$ITMP/sink.log"

# --- SMTP refuses the token: a new one, same try --------------------------------
octl /_control/expire_at_introspect '{"client": "smtp"}' >/dev/null
approved frank f2 910002
wait_sent f2 && ok "SMTP refused the (revoked) token: the reply is still sent" ||
	not_ok "f2: $(col f2 "state || ' ' || coalesce(last_error, '')")"
check "... the server refused the old token with 535 first" grep -q "AUTH OAUTHBEARER refused user=$FRANK" "$ITMP/sink.log"
check "... and it went out in the same try with a new token (attempts $(col f2 attempts))" test "$(col f2 attempts)" = 1
check "... draftd said why it fetched a new token" grep -q "smtp refused the access token of mailbox frank" "$ITMP/run.log"

# --- the refresh token is revoked: queued with the reason; gina unaffected -----
octl /_control/revoke "{\"refresh_token\":\"$RT_F\"}" >/dev/null || not_ok "revoke frank's refresh token"
octl /_control/expire_at_introspect '{"client": "smtp"}' >/dev/null
approved frank f3 910003
wait_for 40 bash -c "psql -XAtq -d '$url' -c \"SELECT last_error FROM outbox WHERE message_id = '<f3-reply.$RUN@harborparts.example>'\" | grep -q invalid_grant"
err=$(col f3 last_error)
case $err in
*"invalid_grant"*"refresh token was revoked or has expired: get a new one"*)
	ok "revoked refresh token: the reply says so and what to do ($err)" ;;
*) not_ok "f3 last_error = '$err' (state $(col f3 state))" ;;
esac
approved gina g3 910004
wait_sent g3 && ok "another OAuth2 mailbox's reply goes out meanwhile" ||
	not_ok "g3: $(col g3 "state || ' ' || coalesce(last_error, '')")"
sleep 6
st=$(col f3 state)
att=$(col f3 attempts)
check "frank's reply stays queued (state $st), not failed" test "$st" = pending
check "... and is retried with backoff, not in a loop (attempts $att after ~10 s)" test "$att" -le 3
check "draftd is still running" kill -0 "$rpid"
kill -TERM "$rpid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $rpid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"

# --- rotated refresh tokens are written back ---------------------------------
octl /_control/rotate '{"on": true}' >/dev/null
RT_H=$(new_rt "hank-$RUN" "$HANK")
printf '%s\n' "$RT_H" >"$ITMP/hank.rt"
chown nobody:nogroup "$ITMP/hank.rt"
chmod 600 "$ITMP/hank.rt"
hconf=$ITMP/hank.conf
write_config "$hconf" database api URL="$url" API_PORT="$(ms_free_port)" log.level=info ||
	{ not_ok "write_config"; exit 1; }
{
	section hank "$HANK"
	printf 'oauth_refresh_token_file = %s\n' "$ITMP/hank.rt"
} >>"$hconf"
deliver "$HANK" h1
out=$("$DRAFTD" poll --once --attempts 1 --config "$hconf" 2>&1)
check "rotation: hank's mail is read" test "$(stored h1)" = 1
RT_H2=$(head -n 1 "$ITMP/hank.rt")
check "the rotated refresh token is written to oauth_refresh_token_file" \
	test -n "$RT_H2" -a "$RT_H2" != "$RT_H"
check "... mode 0600, owner and group kept ($(stat -c '%a %U:%G' "$ITMP/hank.rt"))" \
	test "$(stat -c '%a %U:%G' "$ITMP/hank.rt")" = "600 nobody:nogroup"
check "... no temporary file left beside it" test "$(find "$ITMP" -maxdepth 1 -name '.hank.rt.*' | wc -l)" = 0
check "... and the log says so, without the token" bash -c "echo \"\$1\" | grep -q 'rotated the refresh token of mailbox hank: written to' && ! echo \"\$1\" | grep -qF \"\$2\"" _ "$out" "$RT_H2"
# a restart (a new process) uses the file: the old token was revoked by the rotation
deliver "$HANK" h2
out=$("$DRAFTD" poll --once --attempts 1 --config "$hconf" 2>&1)
check "after a restart the written token works (the old one is revoked)" test "$(stored h2)" = 1
[ "$(stored h2)" = 1 ] || echo "# $out" | tail -3

# --- a file the service user cannot replace: warned once, naming it ----------
mkdir -p "$ITMP/ro"
RT_R=$(new_rt "hank-$RUN" "$HANK")
printf '%s\n' "$RT_R" >"$ITMP/ro/hank.rt"
chown nobody:nogroup "$ITMP/ro/hank.rt"
chmod 600 "$ITMP/ro/hank.rt"
chmod 755 "$ITMP/ro" # root's: nobody cannot create the temporary file
sed "s|^oauth_refresh_token_file = .*|oauth_refresh_token_file = $ITMP/ro/hank.rt|" "$hconf" >"$ITMP/ro.conf"
chmod 644 "$ITMP/ro.conf"
chown nobody "$ITMP/hank.secret"
chmod 600 "$ITMP/hank.secret"
octl /_control/expires_in '{"seconds": 4}' >/dev/null
deliver "$HANK" h3
start_bg npid "$ITMP/ro.log" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$DRAFTD" run --config "$ITMP/ro.conf"
wait_for 30 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<h3.$RUN@example.test>'\")\" = 1 ]" ||
	not_ok "h3 as nobody: $(tail -3 "$ITMP/ro.log")"
# the token expires, the connection drops: the next login needs a grant,
# with the rotated refresh token kept in memory (the file's was revoked)
sleep 5
ms_restart_provider >/dev/null 2>&1 || not_ok "restart the provider-layout Dovecot"
deliver "$HANK" h4
wait_for 40 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<h4.$RUN@example.test>'\")\" = 1 ]"
# the administrator revokes the whole chain and puts a new token into the
# file by hand, then reloads: that one is used, not the rotated one in memory
octl /_control/revoke_client "{\"client_id\":\"hank-$RUN\"}" >/dev/null || not_ok "revoke hank's chain"
RT_N=$(new_rt "hank-$RUN" "$HANK")
printf '%s\n' "$RT_N" >"$ITMP/ro/hank.rt"
kill -HUP "$npid"
wait_for 15 grep -q "SIGHUP: reloading" "$ITMP/ro.log"
sleep 5 # the 4 s token expires
ms_restart_provider >/dev/null 2>&1 || not_ok "restart the provider-layout Dovecot"
deliver "$HANK" h5
wait_for 40 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<h5.$RUN@example.test>'\")\" = 1 ]"
check "a new refresh token put into the file and reloaded beats the rotated one in memory" test "$(stored h5)" = 1
[ "$(stored h5)" = 1 ] || grep 'mailbox=hank\|OAuth2' "$ITMP/ro.log" | tail -3
kill -TERM "$npid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $npid 2>/dev/null"
octl /_control/expires_in '{"seconds": 3600}' >/dev/null
octl /_control/rotate '{"on": false}' >/dev/null
nwarn=$(grep -c "cannot be written back to oauth_refresh_token_file" "$ITMP/ro.log")
ngrants=$(grep -c "new access token for" "$ITMP/ro.log")
check "not writable: one warning ($nwarn) naming the file" \
	bash -c "[ $nwarn = 1 ] && grep 'cannot be written back' '$ITMP/ro.log' | grep -q '$ITMP/ro/hank.rt'"
check "... the file is left as it was (until the administrator wrote a new one)" test "$(head -n 1 "$ITMP/ro/hank.rt")" = "$RT_N"
check "... draftd goes on with the rotated token in memory: mail after a new grant is read ($ngrants grants)" \
	test "$(stored h4)" = 1 -a "$ngrants" -ge 2
kill -TERM "$sinkpid" 2>/dev/null
check "no refresh token in the logs" bash -c "! grep -qF -e '$RT_F' -e '$RT_H' -e '$RT_H2' -e '$RT_R' -e '$RT_N' '$ITMP/run.log' '$ITMP/ro.log'"
