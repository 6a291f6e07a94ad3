#!/bin/bash
# SPDX-License-Identifier: MIT
# NUL bytes in mail (issue 12, item 7), end to end: a mail with NUL bytes in
# its From name, its Subject and its body is delivered to the real Dovecot
# (which, like any IMAP server, cannot send a NUL in a literal and sends 0x80
# instead) and fetched by `draftd poll --once`: the stored sender name,
# subject and text have the NULs dropped, the rest intact, and no euro sign.
# Before: every NUL became "€".
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_nul) || { not_ok "nul: create database"; exit 0; }
user="nul_it_$$"
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null
write_config "$ITMP/draftd.conf" database mailbox_dovecot_starttls URL="$url" USER="$user"
"$DRAFTD" migrate --config "$ITMP/draftd.conf" >/dev/null 2>&1 || { not_ok "nul: migrate"; exit 0; }
printf 'From: "Ann\0 Buyer" <ann@customer.example>\r\nTo: support@example.com\r\nSubject: Order\0 SO-204518 caf\xc3\xa9\r\nMessage-ID: <nul-%s@customer.example>\r\nDate: %s\r\nContent-Type: text/plain\r\n\r\nWhere is order SO-204518?\0\0 Gr\xc3\xbc\xc3\x9fe\r\nline two\0end\r\n' \
	"$$" "$(date -R)" >"$ITMP/nul.eml"
"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$ITMP/nul.eml" >/dev/null
out=$("$DRAFTD" poll --once --config "$ITMP/draftd.conf" 2>&1)
check "the mail with NUL bytes is ingested" test "$(psql_value "$url" "SELECT count(*) FROM messages")" = 1
subject=$(psql_value "$url" "SELECT subject FROM messages")
check "subject: the NUL dropped, nothing else (got '$subject')" test "$subject" = "Order SO-204518 café"
text=$(psql_value "$url" "SELECT text_body FROM messages")
check "text: the NULs dropped, nothing else" test "$text" = "Where is order SO-204518? Grüße
line twoend"
check "no euro sign anywhere in the stored message" \
	test "$(psql_value "$url" "SELECT count(*) FROM messages WHERE (coalesce(subject, '') || coalesce(text_body, '') || headers::text) LIKE '%€%'")" = 0
exit 0
