/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_FEWSHOT_H
#define DRAFTD_FEWSHOT_H

#include <jansson.h>

#include "daemon/store/store.h"

/* The prompt's few-shot examples: approved replies of the category, each
 * redacted (agent/llm/redact.h) and stored as an example the first time it is
 * offered, so no prompt ever carries another customer's data. */

/* Up to max redacted examples of category (new array of strings), newest
 * first; NULL on a database error. Redacts and stores the replies approved
 * since the last call on the way. */
json_t *fewshot_examples(struct store *store, const char *category, unsigned int max);

#endif
