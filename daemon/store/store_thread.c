/* SPDX-License-Identifier: MIT */
/* The whole conversation around a message: its thread (the customer's
 * messages and our replies) and the customer's other messages. */
#include "daemon/store/store_workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_review_int.h"

/* At most this many messages in one thread: a mail loop that kept one
 * References chain going for years stays readable. */
#define THREAD_MAX_MESSAGES "200"
/* A thread item's text is cut here; the message itself has it all. */
#define THREAD_MAX_TEXT "20000"

/* The listing's summaries of the messages whose ids a CTE holds. */
#define THREAD_SUMMARIES(cte)                                                         \
	"coalesce((SELECT json_agg(" MESSAGE_SUMMARY_JSON " ORDER BY m.id DESC) FROM" \
	" messages m JOIN mailboxes mb"                                               \
	" ON mb.id = m.mailbox_id WHERE m.id IN (SELECT id FROM " cte ")), '[]')"

/* Two hops over Message-IDs: the messages that name one of the message's
 * ids (or one of our replies' ids), then those naming any id of those.
 * Subject fallback: same mailbox, same sender, same subject without
 * prefixes, where one of the two has no In-Reply-To/References. Each arm of
 * a UNION is one index (thread_ids GIN, outbox's unique Message-ID, sender
 * and subject, sender, domain), so a thread is read in milliseconds among
 * 100,000 messages. Our Message-IDs are stored with their angle brackets.
 * The other mail of the address and the domain is ordered by "m.id + 0": by
 * m.id the planner walks the whole primary key backwards hoping for the
 * first 20 soon, and reads every message when the customer's mail is all
 * in the thread (0.8 s each at 100,000); this way it takes the sender's or
 * the domain's index and sorts what it finds. A long thread's messages are
 * cut to the first THREAD_MAX_MESSAGES (thl) before their JSON is built. */
#define THREAD_OUR_IDS(ids) "ARRAY(SELECT '<' || i || '>' FROM unnest(" ids ") AS i)"
#define THREAD_SQL                                                                                                                    \
	"WITH me AS (SELECT m.id, m.mailbox_id, lower(m.sender) AS addr,"                                                             \
	" lower(split_part(m.sender, '@', 2)) AS dom, m.thread_subject AS subj,"                                                      \
	" (m.in_reply_to IS NULL AND m.\"references\" IS NULL) AS unlinked, m.thread_ids ||"                                          \
	" coalesce((SELECT array_agg(btrim(o.message_id, '<>')) FROM drafts d JOIN outbox o ON"                                       \
	" o.draft_id = d.id WHERE d.message_id = m.id), '{}') AS ids FROM messages m"                                                 \
	" WHERE m.id = $1::bigint),"                                                                                                  \
	" hop1 AS (SELECT id FROM me UNION SELECT x.id FROM messages x, me WHERE x.thread_ids &&"                                     \
	" me.ids AND x.mailbox_id = me.mailbox_id AND NOT x.is_duplicate UNION SELECT"                                                \
	" d.message_id FROM outbox o JOIN drafts d ON d.id = o.draft_id, me WHERE o.message_id ="                                     \
	" ANY(" THREAD_OUR_IDS(                                                                                                       \
		"me.ids") ") UNION SELECT x.id FROM messages x, me WHERE"                                                             \
			  " me.subj <> '' AND lower(x.sender) = me.addr AND x.thread_subject = "                                      \
			  "me.subj AND"                                                                                               \
			  " x.mailbox_id = me.mailbox_id AND NOT x.is_duplicate AND (me.unlinked "                                    \
			  "OR"                                                                                                        \
			  " (x.in_reply_to IS NULL AND x.\"references\" IS NULL))),"                                                  \
			  " ids2 AS (SELECT coalesce(array_agg(DISTINCT i), '{}') AS ids FROM "                                       \
			  "(SELECT"                                                                                                   \
			  " unnest(x.thread_ids) AS i FROM messages x WHERE x.id IN (SELECT id "                                      \
			  "FROM hop1) UNION"                                                                                          \
			  " SELECT btrim(o.message_id, '<>') FROM drafts d JOIN outbox o ON "                                         \
			  "o.draft_id = d.id"                                                                                         \
			  " WHERE d.message_id IN (SELECT id FROM hop1)) u),"                                                         \
			  " th AS (SELECT id FROM hop1 UNION SELECT x.id FROM messages x, me, "                                       \
			  "ids2 WHERE"                                                                                                \
			  " x.thread_ids && ids2.ids AND x.mailbox_id = me.mailbox_id AND NOT "                                       \
			  "x.is_duplicate"                                                                                            \
			  " UNION SELECT d.message_id FROM outbox o JOIN drafts d ON d.id = "                                         \
			  "o.draft_id, ids2"                                                                                          \
			  " WHERE o.message_id = ANY(" THREAD_OUR_IDS(                                                                \
				  "ids2.ids") ")),"                                                                                   \
					      " thl AS (SELECT x.id FROM messages x WHERE x.id "                                      \
					      "IN (SELECT id FROM th)"                                                                \
					      " ORDER BY coalesce(x.sent_date, x.received_at), "                                      \
					      "x.id LIMIT " THREAD_MAX_MESSAGES "),"                                                  \
					      " items AS (SELECT coalesce(m.sent_date, "                                              \
					      "m.received_at) AS at, 0 AS ord, m.id AS"                                               \
					      " oid, json_build_object('type', 'message', 'id', "                                     \
					      "m.id, 'at', coalesce(m.sent_date,"                                                     \
					      " m.received_at), 'received_at', m.received_at, "                                       \
					      "'from', m.sender, 'subject',"                                                          \
					      " m.subject, 'text', left(coalesce(m.text_body, "                                       \
					      "''), " THREAD_MAX_TEXT "),"                                                            \
					      " 'truncated', length(coalesce(m.text_body, '')) "                                      \
					      "> " THREAD_MAX_TEXT ", 'status',"                                                      \
					      " m.status, 'current', m.id = (SELECT id FROM me), "                                    \
					      "'live_draft_id', " MESSAGE_LIVE_SQL                                                    \
					      ") AS j FROM messages m WHERE m.id IN (SELECT id "                                      \
					      "FROM thl) UNION ALL SELECT"                                                            \
					      " coalesce(o.sent_at, d.decided_at, d.updated_at), "                                    \
					      "1, d.id, json_build_object('type',"                                                    \
					      " 'reply', 'id', d.id, 'message_id', d.message_id, "                                    \
					      "'at', coalesce(o.sent_at,"                                                             \
					      " d.decided_at, d.updated_at), 'from', mb.address, "                                    \
					      "'to', coalesce(d.recipient,"                                                           \
					      " m.reply_to, m.sender), 'subject', d.subject, "                                        \
					      "'text', left(coalesce(d.final_body,"                                                   \
					      " d.body), " THREAD_MAX_TEXT                                                            \
					      "), 'status', d.status, 'kind', d.kind, 'origin',"                                      \
					      " d.origin, 'reviewer', d.reviewer, 'delivery', "                                       \
					      "o.state) FROM drafts d JOIN messages m"                                                \
					      " ON m.id = d.message_id JOIN mailboxes mb ON "                                         \
					      "mb.id = m.mailbox_id LEFT JOIN outbox o ON"                                            \
					      " o.draft_id = d.id WHERE d.message_id IN (SELECT "                                     \
					      "id FROM thl) AND d.status IN"                                                          \
					      " ('approved', 'sent', 'auto_sent')),"                                                  \
					      " oa AS (SELECT m.id FROM messages m, me WHERE "                                        \
					      "lower(m.sender) = me.addr AND m.id NOT IN"                                             \
					      " (SELECT id FROM th) AND NOT m.is_duplicate ORDER "                                    \
					      "BY m.id + 0 DESC LIMIT $3::int),"                                                      \
					      " od AS (SELECT m.id FROM messages m, me WHERE "                                        \
					      "me.dom <> '' AND NOT (me.dom ="                                                        \
					      " ANY(string_to_array($2, ','))) AND "                                                  \
					      "lower(split_part(m.sender, '@', 2)) = me.dom AND"                                      \
					      " lower(m.sender) <> me.addr AND m.id NOT IN "                                          \
					      "(SELECT id FROM th) AND NOT m.is_duplicate"                                            \
					      " ORDER BY m.id + 0 DESC LIMIT $3::int)"                                                \
					      " SELECT json_build_object('thread', "                                                  \
					      "coalesce((SELECT json_agg(j ORDER BY at, ord, oid)"                                    \
					      " FROM (SELECT * FROM items ORDER BY at, ord, oid "                                     \
					      "LIMIT " THREAD_MAX_MESSAGES ") t),"                                                    \
					      " '[]'), 'same_address', " THREAD_SUMMARIES("oa") ", 'same_domain', " THREAD_SUMMARIES( \
						      "od") ", 'address', (SELECT addr FROM me), "                                    \
							    "'domain', (SELECT dom FROM"                                              \
							    " me), 'domain_shared', (SELECT dom "                                     \
							    "= ANY(string_to_array($2, ',')) "                                        \
							    "FROM me))::text"                                                         \
							    " FROM me"

int store_thread_get(struct store *store, const char *id, const char *const *shared_domains,
		     unsigned int limit, json_t **thread_r)
{
	char domains[4096], lim[16];
	const char *params[3];
	size_t used = 0, i;

	domains[0] = '\0';
	for (i = 0; shared_domains != NULL && shared_domains[i] != NULL; i++) {
		int n = snprintf(domains + used, sizeof(domains) - used, "%s%s",
				 used > 0 ? "," : "", shared_domains[i]);

		if (n < 0 || (size_t)n >= sizeof(domains) - used)
			break; /* the list is the caller's constant: cut, not an error */
		used += (size_t)n;
	}
	snprintf(lim, sizeof(lim), "%u", limit);
	params[0] = id;
	params[1] = domains;
	params[2] = lim;
	return store_review_one(store, "thread", THREAD_SQL, 3, params, thread_r);
}
