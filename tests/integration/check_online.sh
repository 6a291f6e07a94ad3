#!/bin/bash
# Issue 18: draftd check-config --online asks every service for real, one line
# each: the database, each mailbox (login, capabilities, the folder, the Sent
# folder), SMTP (reachable, authenticated), each connector and the model
# probe; "ok", "warn" or "FAIL" with what is wrong and how to fix it; exit 1 on
# any failure. (Before: check-config said "ok" for a folder or sent_folder that
# does not exist, and never logged in anywhere.)
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/mailservers.sh"
url=$(db_url_for draftd_it_check_online) || { not_ok "create database"; exit 1; }
RUN=$(date +%s%N)

ms_require_all || exit 0
for kind in dovecot cyrus provider; do
	ms_adduser "$kind" || not_ok "$kind: add the test user"
done
sleep 1
printf 'sku,qty_on_hand\nHP-12345,4\n' >"$ITMP/inv.csv"
# base OUT DB_URL SMTP_PORT CSV [SECTION.KEY=VALUE...]: the services every
# config here has; the mailboxes (one per test server) are appended by
# ms_mailbox_section (lib/mailservers.sh).
base() {
	local out=$1 db=$2 port=$3 csv=$4
	shift 4
	write_config "$out" database smtp_sink connector_csv_inventory URL="$db" SMTP_PORT="$port" \
		INVENTORY="$csv" database.connect_timeout=3 log.level=warn smtp.connect_timeout=5 \
		"connector inventory.fields=qty_on_hand:integer" "$@"
}
base "$ITMP/good.conf" "$url" "$DRAFTD_TEST_SMTP_PORT" "$ITMP/inv.csv" ||
	{ not_ok "write_config"; exit 1; }
{
	ms_mailbox_section dv dovecot INBOX
	ms_mailbox_section cy cyrus INBOX
	ms_mailbox_section pv provider INBOX
} >>"$ITMP/good.conf"
"$DRAFTD" migrate --config "$ITMP/good.conf" >/dev/null 2>&1 || { not_ok "migrate"; exit 1; }
out=$("$DRAFTD" check-config --online --config "$ITMP/good.conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && ok "every service answers: exit 0" || not_ok "good config: rc=$rc"
line() { echo "$out" | grep -E "^$1 +$2: " | grep -q -- "$3"; }
check "database: connected, schema current" line ok database 'connected, schema current'
check "dovecot: logged in" line ok 'mailbox dv' 'logged in to imap://'
check "dovecot: capabilities listed" line ok 'mailbox dv' 'capabilities: IDLE UIDPLUS MOVE SPECIAL-USE CONDSTORE'
check "dovecot: Sent folder found by its flag" line ok 'mailbox dv' 'Sent folder "Sent" (flagged \\Sent by the server)'
check "cyrus: Sent folder is INBOX.Sent" line ok 'mailbox cy' 'Sent folder "INBOX.Sent"'
check "provider: lacks IDLE, said with what it means" line warn 'mailbox pv' 'lacks IDLE (new mail waits for the next poll)'
check "provider: Sent folder is \"INBOX.Sent Items\"" line ok 'mailbox pv' 'Sent folder "INBOX.Sent Items"'
check "smtp reachable" line ok smtp 'reachable'
check "connector answers" line ok 'connector inventory' 'csv answers'
check "model probe" line ok model 'builtin backend answers'
n=$(echo "$out" | grep -cE '^(ok  |warn|FAIL)  ')
check "one line per check ($n)" test "$n" -ge 12

# --- failures, each with what to do ------------------------------------------
base "$ITMP/bad.conf" "${url%/*}/draftd_it_no_such_db" "$(ms_free_port)" "$ITMP/missing.csv" \
	model.backend=openai "model.base_url=http://127.0.0.1:$(ms_free_port)/v1" \
	model.connect_timeout=2 model.timeout=3 || { not_ok "write_config"; exit 1; }
{
	ms_mailbox_section badpw dovecot INBOX | sed 's/^password = .*/password = wrong/'
	ms_mailbox_section nofolder dovecot 'Gibt es nicht' 
	ms_mailbox_section nosent cyrus INBOX 'sent_folder = Gesendete Objekte'
} >>"$ITMP/bad.conf"
out=$("$DRAFTD" check-config --online --config "$ITMP/bad.conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 1 ] && ok "failures: exit 1" || not_ok "bad config: rc=$rc"
check "a database that does not exist" line FAIL database 'draftd_it_no_such_db'
check "a wrong password: the server's refusal" line FAIL 'mailbox badpw' 'LOGIN as msuser: login refused'
check "a folder that does not exist (check-config said ok before)" line FAIL 'mailbox nofolder' 'Gibt es nicht.*(check folder)'
check "a sent_folder that does not exist, with the folder flagged \\Sent" line FAIL 'mailbox nosent' 'sent_folder = Gesendete Objekte does not exist on the server (folders flagged \\Sent: "INBOX.Sent")'
check "SMTP not reachable" line FAIL smtp 'check \[smtp\] url'
check "a connector that cannot open" line FAIL 'connector inventory' 'missing.csv'
check "the model server not reachable" line FAIL model 'check \[model\] base_url'
# the missing CSV is also a file check-config cannot read (the static
# check): the summary says so, and the online checks still ran
echo "$out" | grep -q 'missing.csv.*cannot be read' &&
	echo "$out" | grep -q 'a file the config names cannot be read (above), but the checks above failed' &&
	ok "the summary names the unreadable file; the online checks ran anyway" ||
	not_ok "summary: $out"
: "$RUN"
