/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_MAIL_THREAD_H
#define DRAFTD_MAIL_THREAD_H

/* A message's thread keys, as the SQL functions draftd_msgid_list() and
 * draftd_thread_subject() (migration 0195) compute them, so that ingest can
 * send them with the row instead of having a trigger compute them per row.
 * Inputs are valid UTF-8 without NUL (what PostgreSQL stores); the two
 * forms are checked against each other by tests/unit/test_mail_thread.c.
 * Pure functions, thread-safe. */

#include <stddef.h>

/* The Message-IDs a message names: every run of characters other than
 * '<', '>', ',' and ASCII whitespace with an '@' neither first nor last, in
 * "message_id in_reply_to references" (NULL reads as empty) cut to its
 * first 20,000 characters; sorted bytewise, without repeats. On success
 * *ids_r is a NULL-terminated array whose strings live in the same block
 * (one free()), *count_r their number. Returns 0, or -1 out of memory. */
int mail_thread_ids(const char *message_id, const char *in_reply_to, const char *references,
		    char ***ids_r, size_t *count_r) __attribute__((warn_unused_result));

/* The subject without reply and forward prefixes (Re:, AW:, Fwd:, WG:, SV:,
 * TR:, RV:, R:, Antw:, Ref:, each with an optional "[n]" counter) and
 * "[tags]", of its first 998 characters, A-Z and the Latin-1 capitals
 * (plus Œ, Ÿ) folded to lower case, spaces trimmed. NULL reads as empty.
 * Returns a malloc()ed string, or NULL out of memory. */
char *mail_thread_subject(const char *subject);

#endif
