/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_fewshot.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon/store/store_private.h"

json_t *store_fewshot_candidates(struct store *store, const char *category, unsigned int max)
{
	char n[16];
	const char *params[2] = {category, n};

	snprintf(n, sizeof(n), "%u", max);
	return store_json_list(store, "reading approved replies for examples",
			       "SELECT jsonb_build_object('draft_id', d.id,"
			       " 'body', COALESCE(d.final_body, d.body), 'recipient', d.recipient,"
			       " 'sender', m.sender, 'from', m.headers->>'from', 'facts', d.facts)"
			       " FROM drafts d JOIN messages m ON m.id = d.message_id"
			       " LEFT JOIN fewshot_examples f ON f.draft_id = d.id"
			       " WHERE d.category = $1 AND d.status IN ('approved', 'sent')"
			       " AND d.edit_distance IS NOT NULL AND d.edit_distance <= 0.05"
			       " AND f.draft_id IS NULL"
			       " ORDER BY d.decided_at DESC NULLS LAST, d.id DESC LIMIT $2::int",
			       2, params);
}

int store_fewshot_put(struct store *store, int64_t draft_id, const char *category, const char *body,
		      const char *redactor)
{
	char id[24];
	const char *params[4] = {id, category, body, redactor};

	snprintf(id, sizeof(id), "%lld", (long long)draft_id);
	return store_exec_void(store, "storing a redacted example",
			       "INSERT INTO fewshot_examples (draft_id, category, body, redactor)"
			       " VALUES ($1, $2, $3, $4) ON CONFLICT (draft_id) DO NOTHING",
			       4, params);
}

json_t *store_fewshot_examples(struct store *store, const char *category, unsigned int max)
{
	char n[16];
	const char *params[2] = {category, n};

	snprintf(n, sizeof(n), "%u", max);
	return store_json_list(store, "reading examples",
			       "SELECT to_jsonb(body) FROM fewshot_examples"
			       " WHERE category = $1 AND body IS NOT NULL"
			       " ORDER BY draft_id DESC LIMIT $2::int",
			       2, params);
}
