#!/bin/bash
# SPDX-License-Identifier: MIT
# The language at ingest (issue 14): ingest stores each message's language,
# the guess the pipeline makes from the same parse, so the pipeline's update
# of the row changes no indexed column. The search vector (message_search,
# migration 0250) is built once, in that language, when the pipeline stores
# its result: a German mail is found by an inflected word from then on, not
# before (README "Search": the window). A vector is rebuilt only when the
# language the pipeline drafted in differs from the stored one: a row
# stored before 0185 (language NULL) or a stored language the pipeline does
# not agree with.
set -u
. "$(dirname "$0")/lib/common.sh"

src=${DRAFTD_SRCDIR:-.}
corpus=$src/../shared/corpus
url=$(fresh_db draftd_it_lang) || {
	not_ok "language: create database"
	exit 0
}
svc=$DRAFTD_TEST_SVC_DIR
user=lang$$
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
# mail N: German, saying "Lieferungen" (searched as "Lieferung")
mail_de() {
	printf '%s\r\n' "From: Jonas Weber <jonas.weber@hoffmann-maschinenbau.example>" \
		"To: support@harborparts.example" "Subject: Frage zu den Lieferungen $1" \
		"Message-ID: <lang-de-$1-$$@hoffmann-maschinenbau.example>" \
		"Date: Mon, 07 Dec 2026 09:00:00 +0100" "MIME-Version: 1.0" \
		"Content-Type: text/plain; charset=utf-8" "" \
		"Guten Tag," "" "wann kommen die Lieferungen für unsere Bestellung? Wir warten" \
		"noch auf die Teile und brauchen sie dringend für die Montage." "" \
		"Mit freundlichen Grüßen" "Jonas Weber"
}
for n in 1 2 3 4; do
	mail_de "$n" >"$ITMP/de$n.eml"
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ITMP/de$n.eml" >/dev/null
done

conf=$ITMP/lang.conf
write_config "$conf" database model_builtin mailbox_dovecot connectors_csv URL="$url" \
	USER="$user" ADDRESS=support@harborparts.example DATA="$corpus/data" log.level=warn \
	"mailbox support.idle=off"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || {
	not_ok "language: migrate"
	exit 0
}
"$DRAFTD" poll --once --config "$conf" >"$ITMP/poll.log" 2>&1
check "four mails ingested" test "$(psql_value "$url" "SELECT count(*) FROM messages")" = 4
check "ingest stored the language of each (de)" \
	test "$(psql_value "$url" "SELECT string_agg(coalesce(language, '-'), ',' ORDER BY id)
		FROM messages")" = "de,de,de,de"
# the search's query (daemon/store/store_search.c): "Lieferung" matches
# "Lieferungen" only in the German stemming
query="(websearch_to_tsquery('simple', 'Lieferung') || websearch_to_tsquery('english', 'Lieferung')
	|| websearch_to_tsquery('german', 'Lieferung') || websearch_to_tsquery('spanish', 'Lieferung')
	|| websearch_to_tsquery('french', 'Lieferung'))"
found() { # the number of messages of ids $* the search's vectors find
	psql_value "$url" "SELECT count(*) FROM message_search WHERE message_id IN ($(echo "$*" | tr ' ' ,))
		AND search_tsv @@ $query"
}
check "ingest builds no search vector for mail the pipeline will read (the window)" \
	test "$(psql_value "$url" "SELECT count(*) FROM message_search")" = 0

id_of() { psql_value "$url" "SELECT id FROM messages WHERE subject = 'Frage zu den Lieferungen $1'"; }
id1=$(id_of 1) id2=$(id_of 2) id3=$(id_of 3) id4=$(id_of 4)
# 1: indexed already (a message the pipeline runs again), its vector marked
#    to see whether it is rebuilt;
# 2: stored before 0185 (no language, no vector);
# 3: indexed in a stored language the pipeline does not agree with;
# 4: as ingest left it
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO message_search VALUES ($id1, 'marker-untouched'::tsvector);
UPDATE messages SET language = NULL WHERE id = $id2;
UPDATE messages SET language = 'fr' WHERE id = $id3;
INSERT INTO message_search VALUES ($id3, 'marker-stale'::tsvector);
SQL
"$DRAFTD" process --once --config "$conf" >"$ITMP/process.log" 2>&1
check "process --once exits 0" test $? -eq 0
check "the pipeline drafted all four" \
	test "$(psql_value "$url" "SELECT count(*) FROM drafts WHERE language = 'de'")" = 4
check "the pipeline leaves the vector of a message whose language it agrees with" \
	test "$(psql_value "$url" "SELECT m.language || ' ' || s.search_tsv::text FROM messages m
		JOIN message_search s ON s.message_id = m.id WHERE m.id = $id1")" = "de 'marker-untouched'"
check "a row stored without a language gets the pipeline's and its vector" \
	test "$(psql_value "$url" "SELECT language FROM messages WHERE id = $id2") $(found $id2)" = "de 1"
check "a stored language the pipeline does not agree with is replaced, the vector rebuilt" \
	test "$(psql_value "$url" "SELECT language FROM messages WHERE id = $id3") $(found $id3)" = "de 1"
check "search finds the German mail the pipeline read by an inflected word" \
	test "$(found $id4)" = 1
check "no pipeline errors" test "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state <> 'done'")" = 0
exit 0
