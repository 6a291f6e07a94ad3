#!/bin/bash
# SPDX-License-Identifier: MIT
# draftd against the other mail servers of tests/services: Cyrus with Debian's
# layout (INBOX. prefix, "." separator, idled) and a provider-layout Dovecot
# (INBOX. prefix, no IDLE, app password), next to the standard Dovecot:
# UTF-8 folder names read (modified UTF-7 on the wire), a Junk folder never
# fetched, IDLE on Cyrus, polling instead of IDLE logged once per connection
# with the reason, and an approved reply sent, copied into a Sent folder with
# a UTF-8 name (Cyrus) or the provider's "INBOX.Sent Items", the original
# flagged \Answered.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_mailservers) || { not_ok "create database"; exit 1; }
UE='Überfällig'

q() { psql_value "$url" "$1"; }
nmsg() { q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = '$1'"; }

# conf FILE [write_config FRAGMENT|NAME=VALUE|SECTION.KEY=VALUE...], then
# "NAME|KIND|FOLDER[|key = value;...]" lines on stdin: the services from
# tests/fixtures/config, one ms_mailbox_section (lib/mailservers.sh: which
# server, its user and CA) per line
mkconf() {
	local file=$1 name kind folder extra
	shift
	write_config "$file" database api URL="$url" API_PORT="$(ms_free_port)" \
		database.connect_timeout=3 log.level=info "$@" || return 1
	while IFS='|' read -r name kind folder extra; do
		ms_mailbox_section "$name" "$kind" "$folder" "$extra"
	done >>"$file"
}

# Message-IDs differ per run: the servers keep their mail between runs by hand.
RUN=$(date +%s%N)
msg() { # msg FILE ID: a small customer mail with Message-ID <ID.RUN@example.test>
	printf 'From: Buyer <buyer@example.test>\nTo: support@harborparts.example\nSubject: where is %s\nMessage-ID: <%s.%s@example.test>\n\nWhere is my order SO-204518?\n' \
		"$2" "$2" "$RUN" >"$1"
}
nid() { q "SELECT count(*) FROM messages WHERE message_id = '<$1.$RUN@example.test>'"; }

ms_require_all || exit 0
: | mkconf "$ITMP/base.conf"
"$DRAFTD" migrate --config "$ITMP/base.conf" >/dev/null || { not_ok "draftd migrate"; exit 1; }
for kind in dovecot cyrus provider; do
	ms_adduser "$kind" || not_ok "$kind: add the test user"
	msg "$ITMP/$kind-ue.eml" "$kind-ue"
	msg "$ITMP/$kind-in.eml" "$kind-in"
	msg "$ITMP/$kind-junk.eml" "$kind-junk"
	ms_deliver "$kind" "$(ms_prefix "$kind")$UE" "$ITMP/$kind-ue.eml" || not_ok "$kind: deliver to $UE"
	ms_deliver "$kind" INBOX "$ITMP/$kind-in.eml" || not_ok "$kind: deliver to INBOX"
	ms_deliver "$kind" "$(ms_junk "$kind")" "$ITMP/$kind-junk.eml" || not_ok "$kind: deliver to Junk"
done
# Dovecot checks passwd-file changes by mtime (1 s resolution)
sleep 1

# --- UTF-8 folder names go out as modified UTF-7 ------------------------------
for kind in dovecot cyrus provider; do
	f="$(ms_prefix "$kind")$UE"
	echo "ue-$kind|$kind|$f" | mkconf "$ITMP/ue-$kind.conf"
	out=$("$DRAFTD" poll --once --attempts 1 --config "$ITMP/ue-$kind.conf" 2>"$ITMP/ue-$kind.log")
	rc=$?
	[ $rc -eq 0 ] && [ "$(nmsg "ue-$kind")" -ge 1 ] &&
		[ "$(nid "$kind-ue")" = 1 ] &&
		ok "$kind: folder = $f (UTF-8) is read" ||
		not_ok "$kind: folder = $f: rc=$rc $out $(tail -3 "$ITMP/ue-$kind.log")"
done
# the form an administrator had to configure before: already modified UTF-7
echo "ue-enc|dovecot|&ANw-berf&AOQ-llig" | mkconf "$ITMP/ue-enc.conf"
out=$("$DRAFTD" poll --once --attempts 1 --config "$ITMP/ue-enc.conf" 2>&1)
[ "$(nmsg ue-enc)" -ge 1 ] && ok "dovecot: folder = &ANw-berf&AOQ-llig (already encoded) still works" ||
	not_ok "already encoded folder name: $out"
# Cyrus and the provider layout: the inbox itself
for kind in cyrus provider; do
	echo "in-$kind|$kind|INBOX" | mkconf "$ITMP/in-$kind.conf"
	out=$("$DRAFTD" poll --once --attempts 1 --config "$ITMP/in-$kind.conf" 2>&1)
	[ "$(nmsg "in-$kind")" -ge 1 ] && ok "$kind: INBOX is read" || not_ok "$kind: INBOX: $out"
done
# (written by hand: bash's read swallows an incomplete UTF-8 sequence)
: | mkconf "$ITMP/bad-utf8.conf"
ms_mailbox_section bad dovecot INBOX | sed 's/^folder = INBOX$/folder = Bad\xc3/' >>"$ITMP/bad-utf8.conf"
out=$("$DRAFTD" check-config --config "$ITMP/bad-utf8.conf" 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "\[mailbox [^]]*\] folder: not a usable IMAP folder name: not valid UTF-8" &&
	ok "check-config refuses a folder name that is not UTF-8, with the reason" ||
	not_ok "bad UTF-8 folder: rc=$rc $out"

# --- a Junk folder is never fetched ------------------------------------------
for kind in dovecot cyrus provider; do
	f=$(ms_junk "$kind")
	echo "junk-$kind|$kind|$f" | mkconf "$ITMP/junk-$kind.conf"
	out=$("$DRAFTD" poll --once --attempts 1 --config "$ITMP/junk-$kind.conf" 2>&1)
	rc=$?
	[ $rc -ne 0 ] && echo "$out" | grep -q "is the Junk folder" && [ "$(nmsg "junk-$kind")" = 0 ] &&
		[ "$(nid "$kind-junk")" = 0 ] &&
		ok "$kind: folder = $f (\\Junk) is refused, nothing fetched" ||
		not_ok "$kind: junk folder $f: rc=$rc $out"
	err=$(q "SELECT last_error FROM mailboxes WHERE name = 'junk-$kind'")
	case $err in *"Junk folder"*) ok "$kind: the reason is on the mailbox (API, page)" ;;
	*) not_ok "$kind: last_error = '$err'" ;; esac
done

# --- draftd run: IDLE on Cyrus (idled), polling logged on the provider -------
printf '%s\n' 'cyidle|cyrus|INBOX|poll_interval = 300' 'pvpoll|provider|INBOX|poll_interval = 1' \
	'dvoff|dovecot|INBOX|idle = off;poll_interval = 1' 'dvidle|dovecot|INBOX|poll_interval = 300' |
	mkconf "$ITMP/run.conf"
start_bg rpid "$ITMP/run.log" "$DRAFTD" run --config "$ITMP/run.conf"
for name in cyidle pvpoll dvoff dvidle; do
	wait_for 20 bash -c "[ -n \"\$(psql -XAtq -d '$url' -c \"SELECT last_poll_at FROM mailboxes WHERE name = '$name'\")\" ]" ||
		not_ok "$name: first pass: $(grep "mailbox=$name" "$ITMP/run.log" | tail -3)"
done
sleep 1 # the IDLE pollers are idling now
msg "$ITMP/cy-idle.eml" cyrus-idle
ms_deliver cyrus INBOX "$ITMP/cy-idle.eml"
# poll_interval is 300 s: only IDLE can bring it in this soon
wait_for 20 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<cyrus-idle.$RUN@example.test>'\")\" = 1 ]" &&
	ok "cyrus: a delivery during IDLE is stored at once (idled pushes it)" ||
	not_ok "cyrus IDLE: $(grep 'mailbox=cyidle' "$ITMP/run.log" | tail -3)"
msg "$ITMP/pv-poll.eml" provider-poll
ms_deliver provider INBOX "$ITMP/pv-poll.eml"
wait_for 20 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM messages WHERE message_id = '<provider-poll.$RUN@example.test>'\")\" = 1 ]" &&
	ok "provider (no IDLE): new mail is still picked up by polling" ||
	not_ok "provider polling: $(grep 'mailbox=pvpoll' "$ITMP/run.log" | tail -3)"
# several passes later, each connection has said it once
sleep 3
n=$(grep 'mailbox=pvpoll' "$ITMP/run.log" | grep -c 'does not advertise IDLE')
check "provider: 'server does not advertise IDLE, polling every 1 s' logged once for the connection (got $n)" test "$n" = 1
grep 'mailbox=pvpoll' "$ITMP/run.log" | grep 'does not advertise IDLE' | grep -q 'polling every 1 s' ||
	not_ok "the log line names the poll interval: $(grep 'mailbox=pvpoll' "$ITMP/run.log" | grep IDLE)"
n=$(grep 'mailbox=dvoff' "$ITMP/run.log" | grep -c 'idle = off')
check "dovecot with idle = off: polling logged once with that reason (got $n)" test "$n" = 1
n=$(grep -E 'mailbox=(dvidle|cyidle)' "$ITMP/run.log" | grep -c -i 'polling every')
check "servers with IDLE: no polling message (got $n)" test "$n" = 0
# a new connection says it again: restart the provider's server
ms_restart_provider || not_ok "restart the provider-layout Dovecot"
wait_for 30 bash -c "[ \$(grep 'mailbox=pvpoll' '$ITMP/run.log' | grep -c 'does not advertise IDLE') = 2 ]" &&
	ok "provider: logged again on the new connection after a reconnect" ||
	not_ok "after reconnect: $(grep 'mailbox=pvpoll' "$ITMP/run.log" | tail -4)"
kill -TERM "$rpid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $rpid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"

# --- the outbox: Sent copy in a UTF-8 / provider-named folder, \Answered ------
# an approved draft for an original in each server's INBOX (rows as the
# review API leaves them)
approved() { # approved NAME KIND: prints nothing; rows for mailbox NAME
	local name=$1 kind=$2 uid uv
	msg "$ITMP/$name-orig.eml" "$name-orig"
	ms_deliver "$kind" INBOX "$ITMP/$name-orig.eml" || return 1
	uid=$(ms_ctl "$kind" find INBOX "<$name-orig.$RUN@example.test>" | cut -d' ' -f1)
	uv=$(ms_ctl "$kind" uidvalidity INBOX)
	[ -n "$uid" ] && [ -n "$uv" ] || return 1
	ms_approved_rows "$url" "$name" "$uv" "$uid" "<$name-orig.$RUN@example.test>" \
		"<$name-reply.$RUN@harborparts.example>"
}
ms_ctl() { # ms_ctl KIND CMD ARGS...: tests/services/imapctl.py as KIND's test user
	local kind=$1
	shift
	/usr/bin/python3 "$DRAFTD_SRCDIR/tests/services/imapctl.py" --port "$(ms_port "$kind")" \
		--user "$(ms_user "$kind")" --password "$(ms_pass "$kind")" "$@"
}
SENT_CY="INBOX.Éléments envoyés"
ms_ctl cyrus create "$SENT_CY" || not_ok "cyrus: create $SENT_CY"
approved cysend cyrus || not_ok "cyrus: approved reply rows"
approved pvsend provider || not_ok "provider: approved reply rows"
printf '%s\n' "cysend|cyrus|INBOX|sent_folder = $SENT_CY;idle = off;poll_interval = 3600" \
	'pvsend|provider|INBOX|sent_folder = INBOX.Sent Items;idle = off;poll_interval = 3600' |
	mkconf "$ITMP/send.conf" smtp_sink SMTP_PORT="$DRAFTD_TEST_SMTP_PORT"
start_bg spid "$ITMP/send.log" "$DRAFTD" run --config "$ITMP/send.conf"
for name in cysend pvsend; do
	wait_for 30 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE message_id = '<$name-reply.$RUN@harborparts.example>'\")\" = sent ]" ||
		not_ok "$name: reply sent: $(tail -5 "$ITMP/send.log")"
done
n=$(grep -l "^Message-ID: <cysend-reply.$RUN@harborparts.example>" "$DRAFTD_TEST_SMTP_MAILDIR"/new/* 2>/dev/null | wc -l)
check "cyrus: the approved reply reached the SMTP sink once (got $n)" test "$n" = 1
out=$(ms_ctl cyrus find "$SENT_CY" "<cysend-reply.$RUN@harborparts.example>")
check "cyrus: its copy is in \"$SENT_CY\" ($out)" test "$(echo "$out" | grep -c .)" = 1
out=$(ms_ctl cyrus find INBOX "<cysend-orig.$RUN@example.test>")
check "cyrus: the original is flagged \\Answered ($out)" grep -q 'Answered' <<<"$out"
out=$(ms_ctl provider find "INBOX.Sent Items" "<pvsend-reply.$RUN@harborparts.example>")
check "provider: its copy is in INBOX.Sent Items ($out)" test "$(echo "$out" | grep -c .)" = 1
out=$(ms_ctl provider find INBOX "<pvsend-orig.$RUN@example.test>")
check "provider: the original is flagged \\Answered ($out)" grep -q 'Answered' <<<"$out"
kill -TERM "$spid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $spid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"
