#!/bin/bash
# Issue 18: the Sent folder as each server names it. With sent_folder unset
# draftd finds the folder flagged \Sent (Dovecot "Sent", Cyrus "INBOX.Sent",
# the provider layout "INBOX.Sent Items"), creates one where there is none
# (logged once), files nothing itself with sent_copy = provider (the provider
# does: exactly one copy) and still finds a copy the provider filed after an
# earlier try; a configured sent_folder that does not exist is a reply stuck
# with the reason on the reply, the mailbox and /readyz.
# (Before: sent_folder defaulted to "Sent", and every reply of a Cyrus or
# provider mailbox failed with "Mailbox does not exist".)
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_sent_folder) || { not_ok "create database"; exit 1; }
RUN=$(date +%s%N)
NS_USER=nosent$RUN@provider.example
NS_PASS=app-ns
# a folder name no earlier run created (the servers keep their mail)
MISSING="Gesendete Objekte $((RUN % 1000000007))"

q() { psql_value "$url" "$1"; }
msg() { # msg FILE ID
	printf 'From: Buyer <buyer@example.test>\nTo: support@harborparts.example\nSubject: where is %s\nMessage-ID: <%s.%s@example.test>\n\nWhere is my order SO-204518?\n' \
		"$2" "$2" "$RUN" >"$1"
}
# ctl KIND USER PASS CMD...: tests/services/imapctl.py
ctl() {
	local kind=$1 user=$2 pass=$3
	shift 3
	/usr/bin/python3 "$DRAFTD_SRCDIR/tests/services/imapctl.py" --port "$(ms_port "$kind")" \
		--user "$user" --password "$pass" "$@"
}
# approved NAME KIND USER PASS: an original in INBOX and an approved draft
# for it, rows as the review API leaves them
approved() {
	local name=$1 kind=$2 user=$3 pass=$4 uid uv
	msg "$ITMP/$name-orig.eml" "$name-orig"
	"$(ms_script "$kind")" deliver "$(ms_dir "$kind")" "$user" INBOX "$ITMP/$name-orig.eml" >/dev/null ||
		return 1
	uid=$(ctl "$kind" "$user" "$pass" find INBOX "<$name-orig.$RUN@example.test>" | cut -d' ' -f1)
	uv=$(ctl "$kind" "$user" "$pass" uidvalidity INBOX)
	[ -n "$uid" ] && [ -n "$uv" ] || return 1
	ms_approved_rows "$url" "$name" "$uv" "$uid" "<$name-orig.$RUN@example.test>" \
		"<$name-reply.$RUN@harborparts.example>"
}
# section NAME KIND USER PASS [k = v;...]
section() {
	printf '[mailbox %s]\nurl = imap://127.0.0.1:%s\nuser = %s\npassword = %s\nfolder = INBOX\n' \
		"$1" "$(ms_port "$2")" "$3" "$4"
	printf 'address = support@harborparts.example\nidle = off\npoll_interval = 3600\ntls_ca_file = %s\n' \
		"$DRAFTD_TEST_CA_FILE"
	[ -z "${5:-}" ] || printf '%s\n' "$5" | tr ';' '\n'
}
state() { q "SELECT state FROM outbox WHERE message_id = '<$1-reply.$RUN@harborparts.example>'"; }
in_sink() { grep -l "^Message-ID: <$1-reply.$RUN@harborparts.example>" "$DRAFTD_TEST_SMTP_MAILDIR"/new/* 2>/dev/null | wc -l; }
copies() { # copies KIND USER PASS FOLDER NAME
	ctl "$1" "$2" "$3" find "$4" "<$5-reply.$RUN@harborparts.example>" | grep -c .
}

ms_require_all || exit 0
for kind in dovecot cyrus provider; do
	ms_adduser "$kind" || not_ok "$kind: add the test user"
done
"$DRAFTD_SRCDIR/tests/services/dovecot.sh" adduser "$DRAFTD_TEST_PROVIDER_DIR" "$NS_USER" "$NS_PASS" --no-sent \
	>/dev/null || not_ok "provider: add a user without a Sent folder"
sleep 1 # Dovecot checks passwd-file changes by mtime (1 s resolution)
DV_U=$(ms_user dovecot) DV_P=$(ms_pass dovecot)
CY_U=$(ms_user cyrus) CY_P=$(ms_pass cyrus)
PV_U=$(ms_user provider) PV_P=$(ms_pass provider)

api_port=$(ms_free_port)
write_config "$ITMP/base.conf" database api smtp_sink URL="$url" API_PORT="$api_port" \
	SMTP_PORT="$DRAFTD_TEST_SMTP_PORT" log.level=info smtp.max_attempts=3 ||
	{ not_ok "write_config"; exit 1; }
"$DRAFTD" migrate --config "$ITMP/base.conf" >/dev/null || { not_ok "draftd migrate"; exit 1; }

# a copy "the provider filed" after an earlier try, before draftd looks
approved dvknown dovecot "$DV_U" "$DV_P" || not_ok "dvknown: rows"
printf 'From: support@harborparts.example\nTo: buyer@example.test\nSubject: Re: where is it\nMessage-ID: <dvknown-reply.%s@harborparts.example>\n\nfiled by the provider\n' \
	"$RUN" >"$ITMP/known.eml"
ctl dovecot "$DV_U" "$DV_P" append Sent "$ITMP/known.eml" >/dev/null || not_ok "dvknown: file the provider's copy"
approved dvfind dovecot "$DV_U" "$DV_P" || not_ok "dvfind: rows"
approved cyfind cyrus "$CY_U" "$CY_P" || not_ok "cyfind: rows"
approved pvfind provider "$PV_U" "$PV_P" || not_ok "pvfind: rows"
approved pvnone provider "$NS_USER" "$NS_PASS" || not_ok "pvnone: rows"
approved dvprov dovecot "$DV_U" "$DV_P" || not_ok "dvprov: rows"
approved dvoff dovecot "$DV_U" "$DV_P" || not_ok "dvoff: rows"
approved dvmiss dovecot "$DV_U" "$DV_P" || not_ok "dvmiss: rows"
{
	cat "$ITMP/base.conf"
	section dvfind dovecot "$DV_U" "$DV_P"
	section cyfind cyrus "$CY_U" "$CY_P"
	section pvfind provider "$PV_U" "$PV_P" "sent_folder ="
	section pvnone provider "$NS_USER" "$NS_PASS"
	section dvprov dovecot "$DV_U" "$DV_P" "sent_copy = provider"
	section dvknown dovecot "$DV_U" "$DV_P" "sent_copy = provider"
	section dvoff dovecot "$DV_U" "$DV_P" "sent_copy = off"
	section dvmiss dovecot "$DV_U" "$DV_P" "sent_folder = $MISSING"
} >"$ITMP/run.conf"
out=$("$DRAFTD" check-config --config "$ITMP/run.conf" 2>&1) &&
	ok "check-config accepts sent_folder unset or empty, and sent_copy" ||
	not_ok "check-config: $out"
start_bg rpid "$ITMP/run.log" "$DRAFTD" run --config "$ITMP/run.conf"
for name in dvfind cyfind pvfind pvnone dvprov dvknown dvoff; do
	wait_for 30 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE message_id = '<$name-reply.$RUN@harborparts.example>'\")\" = sent ]" ||
		not_ok "$name: reply sent (state $(state $name)): $(grep "mailbox=$name\|$name" "$ITMP/run.log" | tail -3)"
done
for name in dvfind cyfind pvfind pvnone dvprov dvoff; do
	check "$name: the reply reached the SMTP sink once (got $(in_sink $name))" test "$(in_sink $name)" = 1
done
check "dovecot: the copy is in Sent (flagged \\Sent)" test "$(copies dovecot "$DV_U" "$DV_P" Sent dvfind)" = 1
check "cyrus: the copy is in INBOX.Sent (flagged \\Sent), not a folder \"Sent\"" \
	test "$(copies cyrus "$CY_U" "$CY_P" INBOX.Sent cyfind)" = 1
check "provider: the copy is in \"INBOX.Sent Items\" (flagged \\Sent; sent_folder = empty also discovers)" \
	test "$(copies provider "$PV_U" "$PV_P" "INBOX.Sent Items" pvfind)" = 1
list=$(ctl provider "$NS_USER" "$NS_PASS" list)
check "provider without any Sent folder: INBOX.Sent was created ($(echo "$list" | tr '\t\n' ' '))" \
	grep -q $'\tINBOX.Sent$' <<<"$list"
check "... and the copy is in it" test "$(copies provider "$NS_USER" "$NS_PASS" INBOX.Sent pvnone)" = 1
n=$(grep 'mailbox=pvnone' "$ITMP/run.log" | grep -c 'no Sent folder: created .*INBOX.Sent')
check "... said once in the log (got $n)" test "$n" = 1
check "the mailbox row names the folder and how it was found" \
	test "$(q "SELECT sent_folder || '|' || sent_how FROM mailboxes WHERE name = 'cyfind'")" = "INBOX.Sent|flagged \\Sent by the server"
for spec in "dvfind dovecot $DV_U $DV_P" "cyfind cyrus $CY_U $CY_P" "pvfind provider $PV_U $PV_P" \
	"pvnone provider $NS_USER $NS_PASS"; do
	read -r name kind user pass <<<"$spec"
	out=$(ctl "$kind" "$user" "$pass" find INBOX "<$name-orig.$RUN@example.test>")
	check "$kind ($name): the original is flagged \\Answered ($out)" grep -q 'Answered' <<<"$out"
done
check "sent_copy = provider: draftd files no copy itself (the provider files the one copy)" \
	test "$(copies dovecot "$DV_U" "$DV_P" Sent dvprov)" = 0
check "sent_copy = provider, the provider already filed it after an earlier try: not sent again" \
	test "$(in_sink dvknown)" = 0
check "... and it is the one copy in Sent" test "$(copies dovecot "$DV_U" "$DV_P" Sent dvknown)" = 1
check "sent_copy = off: no copy in Sent" test "$(copies dovecot "$DV_U" "$DV_P" Sent dvoff)" = 0

# a configured folder that does not exist: stuck, and everybody is told why
wait_for 30 bash -c "[ -n \"\$(psql -XAtq -d '$url' -c \"SELECT last_error FROM outbox WHERE message_id = '<dvmiss-reply.$RUN@harborparts.example>'\")\" ]"
err=$(q "SELECT last_error FROM outbox WHERE message_id = '<dvmiss-reply.$RUN@harborparts.example>'")
case $err in
*"sent_folder = $MISSING does not exist on the server (folders flagged \\Sent: \"Sent\")"*)
	ok "missing sent_folder: the reply's last error names it and the folder flagged \\Sent" ;;
*) not_ok "missing sent_folder: last_error = '$err'" ;;
esac
check "... nothing was sent" test "$(in_sink dvmiss)" = 0
err=$(q "SELECT sent_error FROM mailboxes WHERE name = 'dvmiss'")
case $err in *"does not exist"*) ok "... the mailbox row carries the problem" ;; *) not_ok "mailboxes.sent_error = '$err'" ;; esac
tok=$("$DRAFTD" token create --config "$ITMP/run.conf" --name ops --role reviewer 2>/dev/null | tail -n 1)
ready=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$api_port/readyz")
# 200 (the page still serves), "degraded", and the one mailbox with its reason in words
rcode=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$api_port/readyz")
echo "$ready" | MISSING=$MISSING /usr/bin/python3 -c '
import json, os, sys
r = json.load(sys.stdin)
p = r["problems"]
assert r["status"] == "degraded", r
assert [x["mailbox"] for x in p] == ["dvmiss"], p
assert "sent_folder = %s does not exist" % os.environ["MISSING"] in p[0]["problem"], p
' && [ "$rcode" = 200 ] &&
	ok "/readyz: 200 degraded, names the mailbox and why (only that one)" || not_ok "/readyz ($rcode): $ready"
n=$(grep 'mailbox=dvmiss' "$ITMP/run.log" | grep -c 'no Sent folder, replies cannot be sent')
check "the problem is logged once, not at every try (got $n)" test "$n" = 1

# --- stuck replies are recoverable: retry now, send again (REST) -------------
did=$(q "SELECT draft_id FROM outbox WHERE message_id = '<dvmiss-reply.$RUN@harborparts.example>'")
api() { curl -s -o "$ITMP/api.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
	-H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$api_port/api/v1/drafts/$1/$2"; }
st=$(q "SELECT state || '/' || attempts FROM outbox WHERE draft_id = $did")
case $st in
pending/[12])
	code=$(api "$did" retry)
	check "retry now on a reply still being retried ($st): 200" test "$code" = 200
	check "... audited as send.retry_now" test "$(q "SELECT count(*) FROM audit_log WHERE action = 'send.retry_now' AND object_id = '$did'")" = 1 ;;
*) ok "retry now: SKIPPED, the reply was already $st" ;;
esac
wait_for 40 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE draft_id = $did\")\" = failed ]" ||
	not_ok "dvmiss: failed after max_attempts = 3 ($(q "SELECT state FROM outbox WHERE draft_id = $did"))"
check "the draft failed, the message is under Needs a human" \
	test "$(q "SELECT d.status || '/' || (m.human_reason IS NOT NULL) FROM drafts d JOIN messages m ON m.id = d.message_id WHERE d.id = $did")" = failed/true
q "UPDATE drafts SET final_body = E'Hello,\\n\\nthe approved text, edited by a person.\\n' WHERE id = $did" >/dev/null
# the cause fixed: the folder exists now
ctl dovecot "$DV_U" "$DV_P" create "$MISSING" >/dev/null || not_ok "create $MISSING"
code=$(api "$did" retry)
check "send again on the failed reply: 200 ($(head -c 200 "$ITMP/api.out"))" test "$code" = 200
wait_for 30 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT state FROM outbox WHERE draft_id = $did\")\" = sent ]" &&
	ok "... it is sent" || not_ok "send again: $(q "SELECT state || ' ' || coalesce(last_error, '') FROM outbox WHERE draft_id = $did")"
f=$(grep -l "^Message-ID: <dvmiss-reply.$RUN@harborparts.example>" "$DRAFTD_TEST_SMTP_MAILDIR"/new/* 2>/dev/null)
check "... once, with the approved text kept" test "$(echo "$f" | grep -c .)" = 1 -a -n "$f"
[ -z "$f" ] || grep -q 'the approved text, edited by a person' "$f" || not_ok "the body of the sent reply: $(cat "$f")"
check "... audited as send.again; the message left Needs a human" \
	test "$(q "SELECT count(*) FROM audit_log WHERE action = 'send.again' AND object_id = '$did'")/$(q "SELECT m.human_reason IS NULL FROM drafts d JOIN messages m ON m.id = d.message_id WHERE d.id = $did")" = 1/t
code=$(api "$did" retry)
check "retry on a sent reply: 409" test "$code" = 409
check "the mailbox's Sent problem is cleared once the folder works" \
	test "$(q "SELECT coalesce(sent_error, 'none') FROM mailboxes WHERE name = 'dvmiss'")" = none
kill -TERM "$rpid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $rpid 2>/dev/null" || not_ok "draftd run stops on SIGTERM"
