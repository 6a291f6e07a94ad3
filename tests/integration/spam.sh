#!/bin/bash
# SPDX-License-Identifier: MIT
# Spam verdicts of the mail system, end to end on the real Dovecot and
# Postgres: stock questions that SpamAssassin, Rspamd, Microsoft 365 or a
# filter of the administrator's (spam_header_pattern, per mailbox or for
# all) marked as spam are screened with the reason "spam" and never drafted;
# the same questions without a verdict are drafted.
set -u
. "$(dirname "$0")/lib/common.sh"
DC=$DRAFTD_SRCDIR/tests/services/dovecot.sh
url=$(db_url_for draftd_it_spam) || { not_ok "create database"; exit 1; }
svc=$DRAFTD_TEST_SVC_DIR
q() { psql_value "$url" "$1"; }

# mail FILE ID HEADERS: a stock question with extra header lines
mail() {
	printf 'From: Buyer %s <buyer-%s@example.test>\nTo: support@harborparts.example\nSubject: Stock of HP-12345?\nMessage-ID: <%s@example.test>\n%bDate: Mon, 10 Mar 2025 08:00:00 +0000\n\nHello, do you have HP-12345 in stock? We need 4 pieces.\nRegards\n' \
		"$2" "$2" "$2" "$3" >"$1"
}

# mailbox "mine" has its own pattern; "other" falls back to [agent]'s
for u in spammine spamother; do
	"$DC" adduser "$svc" $u pw >/dev/null || not_ok "adduser $u"
done
mail "$ITMP/sa.eml" sa 'X-Spam-Flag: YES\nX-Spam-Status: Yes, score=8.1 required=5.0\n'
mail "$ITMP/rspamd.eml" rspamd 'X-Rspamd-Action: add header\n'
mail "$ITMP/ms.eml" ms 'X-MS-Exchange-Organization-SCL: 7\n'
mail "$ITMP/eop.eml" eop 'X-Forefront-Antispam-Report: CIP:203.0.113.9;CTRY:;LANG:en;SCL:5;SRV:;\n'
mail "$ITMP/barracuda.eml" barracuda 'X-Barracuda-Spam-Status: Yes, score=4.2\n'
mail "$ITMP/custom.eml" custom 'X-Filter-Verdict: junk\n'
mail "$ITMP/ham.eml" ham 'X-Spam-Flag: NO\nX-Spam-Status: No, score=0.1\nX-Rspamd-Action: no action\nX-MS-Exchange-Organization-SCL: 1\n'
for f in sa rspamd ms eop barracuda custom ham; do
	"$DC" deliver "$svc" spammine INBOX "$ITMP/$f.eml" >/dev/null || not_ok "deliver $f"
done
sed 's/@example.test>$/-other@example.test>/' "$ITMP/barracuda.eml" >"$ITMP/barracuda-o.eml"
sed 's/@example.test>$/-other@example.test>/' "$ITMP/custom.eml" >"$ITMP/custom-o.eml"
"$DC" deliver "$svc" spamother INBOX "$ITMP/barracuda-o.eml" "$ITMP/custom-o.eml" >/dev/null ||
	not_ok "deliver to spamother"

# two mailboxes on the test Dovecot, each with its own settings
mb() { # NAME USER ADDRESS [KEY=VALUE...]: a [mailbox NAME] as write_config settings
	local name=$1 user=$2 address=$3 kv
	shift 3
	printf '%s\n' "mailbox $name.url=imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT" \
		"mailbox $name.starttls=off" "mailbox $name.user=$user" "mailbox $name.password=pw" \
		"mailbox $name.address=$address" "mailbox $name.idle=off"
	for kv in "$@"; do printf '%s\n' "mailbox $name.$kv"; done
}
mapfile -t boxes < <(mb mine spammine 'Support <support@harborparts.example>' \
	'spam_header_pattern=^x-barracuda-spam-status: yes'
	mb other spamother support@harborparts.example)
write_config "$ITMP/spam.conf" database model_builtin URL="$url" \
	'agent.spam_header_pattern=^x-filter-verdict: (junk|spam)$' log.level=warn "${boxes[@]}" ||
	not_ok "write_config"
"$DRAFTD" migrate --config "$ITMP/spam.conf" >/dev/null 2>&1 || not_ok "migrate"
out=$("$DRAFTD" poll --once --config "$ITMP/spam.conf" 2>&1) || not_ok "poll: $out"
# the built-in verdicts already at ingest: stored, screened, no job
for id in sa rspamd ms eop; do
	r=$(q "SELECT screen_reason FROM messages WHERE message_id = '<$id@example.test>'")
	check "$id: screened with reason spam when stored (got '$r')" test "$r" = spam
done
out=$("$DRAFTD" process --once --config "$ITMP/spam.conf" 2>&1) || not_ok "process: $out"
row() { # state, draft count and reason of the message with Message-ID <$1@example.test>
	q "SELECT m.state || ' ' || (SELECT count(*) FROM drafts d WHERE d.message_id = m.id)
	   || ' ' || coalesce(m.screen_reason, m.pipeline->>'reason', '-')
	   FROM messages m WHERE m.message_id = '<$1@example.test>'"
}
for id in sa rspamd ms eop; do
	r=$(row "$id")
	check "$id: skipped with reason spam, no draft ($r)" test "$r" = "skipped 0 spam"
done
r=$(row barracuda)
check "mailbox pattern: X-Barracuda-Spam-Status: Yes is spam, no draft ($r)" test "$r" = "skipped 0 spam"
r=$(row custom)
check "the mailbox's own pattern replaces [agent]'s: X-Filter-Verdict drafted there ($r)" \
	test "$r" = "drafted 1 -"
r=$(row custom-other)
check "[agent] pattern in a mailbox without its own: X-Filter-Verdict is spam ($r)" \
	test "$r" = "skipped 0 spam"
r=$(row barracuda-other)
check "...where the other mailbox's pattern does not apply ($r)" test "$r" = "drafted 1 -"
r=$(row ham)
check "verdicts saying no spam: drafted ($r)" test "$r" = "drafted 1 -"
n=$(q "SELECT count(*) FROM drafts d JOIN messages m ON m.id = d.message_id
       WHERE m.message_id IN ('<sa@example.test>','<rspamd@example.test>','<ms@example.test>',
       '<eop@example.test>','<barracuda@example.test>','<custom-other@example.test>')")
check "no draft for any spam-marked mail (got $n)" test "$n" = 0

# a pattern that does not compile stops the daemon before it starts
sed 's/^spam_header_pattern = ^x-filter-verdict.*/spam_header_pattern = x-filter-(verdict/' \
	"$ITMP/spam.conf" >"$ITMP/bad.conf"
out=$("$DRAFTD" check-config --config "$ITMP/bad.conf" 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "bad.conf:[0-9]*: \[agent\] spam_header_pattern: missing closing parenthesis" &&
	ok "check-config refuses a spam_header_pattern that does not compile" ||
	not_ok "bad pattern: rc=$rc $out"
