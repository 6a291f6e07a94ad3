/* SPDX-License-Identifier: MIT */
#include "agent/llm/fewshot.h"

#include <stdlib.h>

#include "agent/llm/redact.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_fewshot.h"

/* Replies redacted per call at most: a backlog is worked off over calls. */
#define FEWSHOT_BATCH 20

json_t *fewshot_examples(struct store *store, const char *category, unsigned int max)
{
	json_t *cands = store_fewshot_candidates(store, category, FEWSHOT_BATCH), *c;
	struct redact_context ctx;
	char *body;
	size_t i;
	int refused;

	if (cands == NULL)
		return NULL;
	json_array_foreach(cands, i, c)
	{
		ctx.recipient = json_string_value(json_object_get(c, "recipient"));
		ctx.sender = json_string_value(json_object_get(c, "sender"));
		ctx.from = json_string_value(json_object_get(c, "from"));
		ctx.facts = json_object_get(c, "facts");
		body = redact_example(json_string_value(json_object_get(c, "body")), &ctx,
				      &refused);
		if (body == NULL && !refused)
			break; /* out of memory: try again next time */
		if (body == NULL)
			log_info_kv("few-shot example refused by the redactor", "draft_id=%lld",
				    (long long)json_integer_value(json_object_get(c, "draft_id")));
		if (store_fewshot_put(store,
				      (int64_t)json_integer_value(json_object_get(c, "draft_id")),
				      category, body, REDACT_VERSION) < 0) {
			free(body);
			json_decref(cands);
			return NULL;
		}
		free(body);
	}
	json_decref(cands);
	return store_fewshot_examples(store, category, max);
}
