/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/llm/draft_output.h"
#include "tests/fuzz/fuzz.h"

/* Bytes as a model's answer. A parse that succeeds must hand back fields
 * within the limits the header promises; one that fails leaves the draft
 * zeroed and says why. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const categories[] = {
		"stock_inquiry",  "order_status", "quote_request", "return_request",
		"address_change", "invoice_copy", "complaint",     "other"};
	struct llm_draft draft;
	char reason[256];

	reason[0] = '\0';
	if (draft_output_parse((const char *)data, size, categories, 8, &draft, reason,
			       sizeof(reason)) < 0) {
		if (draft.category != NULL || draft.body != NULL || reason[0] == '\0')
			abort();
		return 0;
	}
	if (draft.category == NULL || draft.subject == NULL || draft.body == NULL ||
	    strlen(draft.subject) > DRAFT_OUTPUT_MAX_SUBJECT ||
	    strlen(draft.body) > DRAFT_OUTPUT_MAX_BODY || !(draft.confidence >= 0.0) ||
	    draft.confidence > 1.0 || !json_is_array(draft.facts_used) ||
	    json_array_size(draft.facts_used) > DRAFT_OUTPUT_MAX_FACTS)
		abort();
	draft_output_clear(&draft);
	return 0;
}
