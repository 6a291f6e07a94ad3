#!/bin/bash
# SPDX-License-Identifier: MIT
# MIME parsed once (issues 13 and 14): ingest stores each message's parse
# beside raw (messages.parsed, parsed_version) and the pipeline reads that
# instead of parsing raw again. raw stays the source of truth: a row stored
# before migration 0150 (no parse), by an older parser or with a parse that
# cannot be read is parsed from raw as before.
# How it is seen from outside: after ingest, raw of every row is replaced by
# another mail (subject "Swapped in later"); a row with a current parse is
# drafted from its parse (the original subject), the others from raw (the
# new subject). The mailbox's spam_header_pattern, which ingest does not
# apply, still screens a mail in the pipeline. Before: no parsed column, and
# every draft came from raw.
set -u
. "$(dirname "$0")/lib/common.sh"

src=${DRAFTD_SRCDIR:-.}
corpus=$src/../shared/corpus
url=$(fresh_db draftd_it_parsed) || {
	not_ok "parsed: create database"
	exit 0
}
svc=$DRAFTD_TEST_SVC_DIR
user=parsed$$
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
base=$corpus/mail/001-stock-check-6204-bearings.eml
# mail N: the corpus mail with its own subject and Message-ID
mail_n() {
	sed -e "s/^Subject: .*/Subject: Stock check number $1/" \
		-e "s/^Message-ID: .*/Message-ID: <parsed-$1-$$@northfield-farms.example>/" "$base"
}
for n in 1 2 3 4; do
	mail_n "$n" >"$ITMP/m$n.eml"
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/m$n.eml" >/dev/null
done
# the fifth carries a verdict only this mailbox's pattern knows
mail_n 5 | sed -e "s/^MIME-Version: 1.0/X-Corp-Filter: verdict=junk\nMIME-Version: 1.0/" >"$ITMP/m5.eml"
tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/m5.eml" >/dev/null

conf=$ITMP/parsed.conf
write_config "$conf" database model_builtin mailbox_dovecot connectors_csv URL="$url" \
	USER="$user" ADDRESS=support@harborparts.example DATA="$corpus/data" log.level=warn \
	"mailbox support.idle=off" "mailbox support.spam_header_pattern=^x-corp-filter: verdict=junk"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || {
	not_ok "parsed: migrate"
	exit 0
}
"$DRAFTD" poll --once --config "$conf" >"$ITMP/poll.log" 2>&1
check "five mails ingested" test "$(psql_value "$url" "SELECT count(*) FROM messages")" = 5
check "every row has ingest's parse, of the current parser version" \
	test "$(psql_value "$url" "SELECT count(*) FROM messages WHERE parsed IS NOT NULL
		AND parsed_version = 1 AND (parsed::jsonb)->>'subject' = subject")" = 5

id_of() { psql_value "$url" "SELECT id FROM messages WHERE subject = 'Stock check number $1'"; }
id1=$(id_of 1) id2=$(id_of 2) id3=$(id_of 3) id4=$(id_of 4)
sed -e "s/^Subject: .*/Subject: Swapped in later/" "$base" >"$ITMP/swap.eml"
hex=$(od -An -v -tx1 "$ITMP/swap.eml" | tr -d ' \n')
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null <<SQL
UPDATE messages SET raw = decode('$hex', 'hex') WHERE id IN ($id1, $id2, $id3, $id4);
-- 2: parsed by an older parser; 3: stored before migration 0150;
-- 4: a parse that cannot be read
UPDATE messages SET parsed_version = 0 WHERE id = $id2;
UPDATE messages SET parsed = NULL, parsed_version = NULL WHERE id = $id3;
UPDATE messages SET parsed = left(parsed, 40) WHERE id = $id4;
SQL
"$DRAFTD" process --once --config "$conf" >"$ITMP/process.log" 2>&1
check "process --once exits 0" test $? -eq 0
subject_of() { psql_value "$url" "SELECT subject FROM drafts WHERE message_id = $1"; }
s1=$(subject_of "$id1")
check "a current parse is read, raw is not parsed again (draft subject '$s1')" \
	grep -q 'Stock check number 1' <<<"$s1"
for id in "$id2" "$id3" "$id4"; do
	s=$(subject_of "$id")
	check "message $id (older parser, no parse, unreadable parse) is parsed from raw ('$s')" \
		grep -q 'Swapped in later' <<<"$s"
done
check "the mailbox's spam_header_pattern still screens in the pipeline" \
	test "$(psql_value "$url" "SELECT state || ' ' || (pipeline->>'reason') FROM messages
		WHERE subject = 'Stock check number 5'")" = "skipped spam"
check "no pipeline errors" test "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state <> 'done'")" = 0
exit 0
