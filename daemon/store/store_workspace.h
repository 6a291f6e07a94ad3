/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_WORKSPACE_H
#define DRAFTD_STORE_WORKSPACE_H

/* The reviewer's workspace (issue 16 items 2-5, migration 0120): the whole
 * conversation around a message, internal notes, snippets, assignment and
 * search. Ids are decimal strings the caller has validated; JSON results
 * are new references the caller json_decref()s. Each call uses the store's
 * one connection: not thread-safe per store. */

#include <jansson.h>
#include <stdbool.h>

#include "daemon/store/store.h"

/* store_thread.c. The conversation of message id: {"thread": [...],
 * "same_address": [...], "same_domain": [...], "domain": d, "domain_shared":
 * bool}. thread holds the customer's messages and our replies (approved,
 * sent) oldest first, linked by Message-ID/In-Reply-To/References (two hops,
 * our replies' Message-IDs included) or, where one side lacks those headers,
 * by the same sender and subject without Re:/AW:/Fwd:. same_address and
 * same_domain are the customer's other messages (MessageSummary, newest
 * first, at most limit each) outside the thread; same_domain is empty when
 * the sender's domain is one many people share (a public mail provider,
 * named by shared_domains, NULL-terminated), and domain_shared then says
 * so. Returns 1, 0 when there is no such message, -1. */
int store_thread_get(struct store *store, const char *id, const char *const *shared_domains,
		     unsigned int limit, json_t **thread_r) __attribute__((warn_unused_result));

/* store_notes.c. The notes on message id, oldest first ([{id, author, body,
 * created_at}]). Returns 1, 0 when there is no such message, -1. */
int store_notes_list(struct store *store, const char *id, json_t **notes_r)
	__attribute__((warn_unused_result));
/* Adds a note by author (audited message.note, without the text). Returns 1
 * with the note, 0 when there is no such message, -1. */
int store_notes_add(struct store *store, const char *id, const char *author, const char *body,
		    json_t **note_r) __attribute__((warn_unused_result));

/* store_snippets.c. Snippets ([{id, name, language, title, body,
 * updated_by, updated_at}]) by name then language; language NULL: all.
 * Returns 0 or -1. */
int store_snippets_list(struct store *store, const char *language, json_t **snippets_r)
	__attribute__((warn_unused_result));
/* One snippet. Returns 1, 0 when absent, -1. */
int store_snippet_get(struct store *store, const char *id, json_t **snippet_r)
	__attribute__((warn_unused_result));
/* Creates (id NULL) or replaces snippet id, audited (snippet.create,
 * snippet.update with before/after). Returns 1 with the snippet, 0 when id
 * does not exist, 2 when another snippet has the name and language, -1. */
int store_snippet_put(struct store *store, const char *id, const char *name, const char *language,
		      const char *title, const char *body, const char *actor, json_t **snippet_r)
	__attribute__((warn_unused_result));
/* Deletes snippet id (audited snippet.delete). Returns 1, 0 when absent, -1. */
int store_snippet_delete(struct store *store, const char *id, const char *actor)
	__attribute__((warn_unused_result));
/* What a snippet is filled from for draft id: the draft's facts, the
 * message's language and the sender's display name from its From header
 * (NULL when none). Returns 1 with *facts_r and *language_r / *from_r
 * (strdup'ed, free() them), 0 when there is no such draft, -1. */
int store_snippet_context(struct store *store, const char *draft_id, json_t **facts_r,
			  char **language_r, char **from_r) __attribute__((warn_unused_result));

/* store_assign.c. Assigns message id to person (NULL: nobody) as actor.
 * When expect_set, the change happens only while the current assignee is
 * expect (NULL: nobody), so two people taking one message at once cannot
 * both win. Audited message.assign {assigned_to} before/after; assigning to
 * whoever has it already changes and records nothing. Returns 1 with
 * {id, assigned_to, assigned_at, assigned_by}, 0 when there is no such
 * message, 2 when expect did not hold (the result then holds the current
 * assignee), -1. */
int store_assign(struct store *store, const char *id, const char *person, bool expect_set,
		 const char *expect, const char *actor, json_t **result_r)
	__attribute__((warn_unused_result));
/* Whether name is someone a message can be assigned to: a person who is not
 * disabled, or an API token that is neither revoked nor expired. Returns 1,
 * 0, -1. */
int store_assignee_exists(struct store *store, const char *name)
	__attribute__((warn_unused_result));
/* Everyone a message can be assigned to, [{name, role, kind: person|token,
 * open: open messages assigned}], by name. Returns 0 or -1. */
int store_assignees_list(struct store *store, json_t **people_r)
	__attribute__((warn_unused_result));
/* Round robin: assigns open, unassigned message id (once per message) of
 * category to the
 * person after the category's last one in people (count names, in the
 * configured order; names that cannot be assigned now, a disabled person or
 * a revoked token, are skipped), as actor "round-robin". Returns 1 when assigned, 0
 * when nothing was to do (assigned already, not open, no one listed), -1. */
int store_assign_round_robin(struct store *store, const char *id, const char *category,
			     const char *const *people, unsigned int count)
	__attribute__((warn_unused_result));

/* Whether message id waits for round robin: open, nobody has it, round
 * robin never assigned it (once per message: one given back stays so), and
 * it has a category (a reviewer's correction, the draft's, the
 * classifier's), copied into category. Returns 1, 0 (not a candidate), -1. */
int store_assign_candidate(struct store *store, const char *id, char *category, size_t size)
	__attribute__((warn_unused_result));

/* store_search.c. */
struct search_filter {
	const char *q;        /* words and exact strings; NULL: none */
	const char *status;   /* comma-separated open, replied, closed, skipped; NULL: any */
	const char *category; /* NULL: any */
	const char *mailbox;  /* NULL: any */
	const char *person;   /* assigned to, or decided or edited a draft; NULL: anyone */
	const char *from;     /* received on or after YYYY-MM-DD; NULL: any */
	const char *to;       /* received on or before YYYY-MM-DD; NULL: any */
	const char *after_id; /* keyset cursor (newest first): ids below it */
	unsigned int limit;
};
/* Messages matching f, newest first: MessageSummary plus "matched_in"
 * (message, reply or both) and "headline" (a short excerpt with the matched
 * words). q matches the words of a message, its sender's address and domain,
 * or a reply to it, in the message language's stemming (the query is read
 * in every configured language and unstemmed, so order numbers and SKUs
 * match as their tokens); only when nothing matches that way and q holds a
 * digit, '@' or '.', it is looked for as a case-insensitive substring
 * (a part of a number, say). Returns 0 with *messages_r and *next_r
 * (strdup'ed or NULL), -1. */
int store_search(struct store *store, const struct search_filter *f, json_t **messages_r,
		 char **next_r) __attribute__((warn_unused_result));

#endif
