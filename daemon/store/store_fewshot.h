/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_FEWSHOT_H
#define DRAFTD_STORE_FEWSHOT_H

#include <jansson.h>
#include <stdint.h>

#include "daemon/store/store.h"

/* The few-shot example store (table fewshot_examples). Approved replies go
 * in only through the agent's redactor; prompts read only the redacted
 * copies. */

/* Up to max replies of category that reviewers approved unchanged (edit
 * distance under 0.05) and that have no example row yet, newest first, as
 * a new array of {"draft_id", "body", "recipient", "sender", "from",
 * "facts"} for the redactor; NULL on error. */
json_t *store_fewshot_candidates(struct store *store, const char *category, unsigned int max);

/* Records draft_id's example: body is the redacted text, or NULL when the
 * redactor refused it. A second call for the same draft changes nothing.
 * Returns 0 or -1. */
int store_fewshot_put(struct store *store, int64_t draft_id, const char *category, const char *body,
		      const char *redactor) __attribute__((warn_unused_result));

/* Up to max redacted examples of category, newest first, as a new array of
 * strings; NULL on error. */
json_t *store_fewshot_examples(struct store *store, const char *category, unsigned int max);

#endif
