/* SPDX-License-Identifier: MIT */
/* Search over every message and every reply: PostgreSQL full-text search
 * in each message's language (migration 0120 keeps the tsvectors, 0250 the
 * messages' in message_search, written once the agent has read one), plus
 * exact substrings for what stemming would break (order numbers, SKUs,
 * addresses, domains). */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_review_int.h"

/* The query in every language a message can be indexed in: a word matches
 * a message when it matches in that message's own stemming ("Lieferungen"
 * finds German mail saying "Lieferung"). */
#define SEARCH_TSQUERY(p)                                                                  \
	"(websearch_to_tsquery('simple', " p ") || websearch_to_tsquery('english', " p     \
	") || websearch_to_tsquery('german', " p ") || websearch_to_tsquery('spanish', " p \
	") || websearch_to_tsquery('french', " p "))"

/* Replies: drafts a person or the model wrote that were not thrown away. */
#define SEARCH_REPLY_STATUSES "('pending', 'claimed', 'approved', 'sent', 'auto_sent', 'failed')"

/* The filters on "messages m" joined with "mailboxes mb": $2 status, $3
 * category, $4 mailbox, $5 person, $6 from, $7 to, $8 the cursor. */
#define SEARCH_FILTERS                                                                           \
	" NOT m.is_duplicate AND ($2::text IS NULL OR m.status = ANY(string_to_array($2, ',')))" \
	" AND ($3::text IS NULL OR " MESSAGE_CATEGORY_SQL " = $3)"                               \
	" AND ($4::text IS NULL OR mb.name = $4)"                                                \
	" AND ($5::text IS NULL OR m.assigned_to = $5 OR m.closed_by = $5 OR EXISTS (SELECT 1"   \
	" FROM drafts d5 WHERE d5.message_id = m.id AND (d5.reviewer = $5 OR d5.updated_by ="    \
	" $5))) AND ($6::date IS NULL OR m.received_at >= $6::date)"                             \
	" AND ($7::date IS NULL OR m.received_at < $7::date + 1)"                                \
	" AND ($8::bigint IS NULL OR m.id < $8::bigint)"

/* Newest first: by the id's index when there is no query; with one, by
 * id + 0, which keeps the planner off the id index (it would walk all of
 * it for a rare word, misjudging how many match) and on the GIN index: a
 * rare word takes a millisecond, a word in half the mail a few hundred. */
#define SEARCH_ORDER "CASE WHEN $1::text IS NULL THEN m.id ELSE m.id + 0 END"

/* $1 q, $9 limit + 1. The newest matches among the messages, the newest
 * among the replies, and (only when those find nothing and q looks like a
 * key) the newest exact substrings; the page is the newest of the three.
 * The tsquery is written out, not taken from a CTE, so the planner sees it
 * and picks the GIN index for rare words and the id order for common ones.
 * The messages' vectors are in message_search (migration 0250): the ids
 * its GIN index finds are read first, as one array (a join was planned in
 * parallel or as a walk over messages: 20-30 ms for a word no mail holds,
 * against 0.2 ms), in a branch of its own ("$1 IS NULL OR id IN (...)"
 * scanned every message). */
#define SEARCH_SQL                                                                                 \
	"WITH a AS ((SELECT m.id FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE"  \
	" $1::text IS NULL AND" SEARCH_FILTERS " ORDER BY m.id DESC LIMIT $9::int) UNION ALL"      \
	" (SELECT m.id FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE $1::text"   \
	" IS NOT NULL AND m.id = ANY (ARRAY(SELECT s.message_id FROM message_search s WHERE"       \
	" s.search_tsv @@ " SEARCH_TSQUERY(                                                        \
		"$1") ")) AND" SEARCH_FILTERS " ORDER BY m.id + 0 DESC LIMIT $9::int)),"           \
		      " b AS (SELECT m.id FROM messages m JOIN mailboxes mb ON mb.id ="            \
		      " m.mailbox_id WHERE $1::text IS NOT NULL AND m.id IN (SELECT d.message_id"  \
		      " FROM drafts d WHERE d.status IN " SEARCH_REPLY_STATUSES " AND"             \
		      " d.search_tsv @@ " SEARCH_TSQUERY(                                          \
			      "$1") ") AND" SEARCH_FILTERS " ORDER BY " SEARCH_ORDER               \
				    " DESC LIMIT $9::int),"                                        \
				    " c AS (SELECT m.id FROM messages m JOIN mailboxes mb ON "     \
				    "mb.id = m.mailbox_id WHERE"                                   \
				    " $1::text ~ '[0-9@.]' AND NOT EXISTS (SELECT 1 FROM a) AND "  \
				    "NOT EXISTS (SELECT 1 FROM"                                    \
				    " b) AND (strpos(lower(coalesce(m.sender, '')), lower($1)) > " \
				    "0 OR"                                                         \
				    " strpos(lower(coalesce(m.subject, '')), lower($1)) > 0 OR"    \
				    " strpos(lower(coalesce(m.text_body, '')), lower($1)) > 0 OR " \
				    "EXISTS (SELECT 1 FROM"                                        \
				    " drafts d WHERE d.message_id = m.id AND d.status "            \
				    "IN " SEARCH_REPLY_STATUSES " AND"                             \
				    " strpos(lower(coalesce(d.final_body, d.body)), lower($1)) > " \
				    "0)) AND" SEARCH_FILTERS " ORDER BY m.id DESC LIMIT $9::int)," \
				    " page AS (SELECT id FROM a UNION SELECT id FROM b UNION "     \
				    "SELECT id FROM c ORDER BY id"                                 \
				    " DESC LIMIT $9::int)"                                         \
				    " SELECT m.id, (" MESSAGE_SUMMARY_JSON                         \
				    "::jsonb || jsonb_build_object('matched_in',"                  \
				    " CASE WHEN $1::text IS NULL THEN NULL WHEN m.id IN (SELECT "  \
				    "id FROM c) THEN 'message'"                                    \
				    " WHEN EXISTS (SELECT 1 FROM message_search s WHERE"           \
				    " s.message_id = m.id AND s.search_tsv @@ " SEARCH_TSQUERY(    \
					    "$1") ") THEN CASE WHEN EXISTS (SELECT 1 FROM drafts " \
						  "d WHERE"                                        \
						  " d.message_id = m.id AND d.status "             \
						  "IN " SEARCH_REPLY_STATUSES                      \
						  " AND d.search_tsv @@ " SEARCH_TSQUERY(          \
							  "$1") ") THEN 'both' ELSE 'message' "    \
								"END ELSE "                        \
								"'reply' END, 'headline', CASE "   \
								"WHEN $1::text IS"                 \
								" NULL THEN "                      \
								"left(coalesce(m.text_body, ''), " \
								"160) ELSE "                       \
								"ts_headline(draftd_ts_config("    \
								"m.language), "                    \
								"left(coalesce(m.text_body, ''), " \
								"5000), " SEARCH_TSQUERY(          \
									"$1") ","                  \
									      " 'MaxWords=24, "    \
									      "MinWords=8, "       \
									      "MaxFragments=2, "   \
									      "StartSel=«, "      \
									      "StopSel=»') "      \
									      "END))::text FROM"   \
									      " messages m JOIN "  \
									      "mailboxes mb "      \
									      "ON mb.id = "        \
									      "m.mailbox_id "      \
									      "WHERE "             \
									      "m.id IN (SELECT "   \
									      "id FROM"            \
									      " page) ORDER BY "   \
									      "m.id DESC"

int store_search(struct store *store, const struct search_filter *f, json_t **messages_r,
		 char **next_r)
{
	char lim[16];
	const char *params[9] = {f->q,    f->status, f->category, f->mailbox, f->person,
				 f->from, f->to,     f->after_id, lim};

	/* one more than asked: its presence says there is a next page */
	snprintf(lim, sizeof(lim), "%u", f->limit + 1);
	return store_review_page(store, store_exec(store, "search", SEARCH_SQL, 9, params),
				 f->limit, messages_r, next_r);
}
