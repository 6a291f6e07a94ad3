/* SPDX-License-Identifier: MIT */
#include "agent/llm/draft_output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"

/* The keys of schemas/model_output.schema.json, in the schema's order. */
static const char *const draft_output_keys[] = {
	"category",    "confidence",         "subject", "body", "facts_used",
	"needs_human", "needs_human_reason",
};

const char *llm_confidence_source_name(enum llm_confidence_source source)
{
	switch (source) {
	case LLM_CONFIDENCE_LOGPROBS:
		return "logprobs";
	case LLM_CONFIDENCE_MODEL:
		return "model";
	case LLM_CONFIDENCE_KEYWORDS:
		return "keywords";
	case LLM_CONFIDENCE_BAYES:
		return "bayes";
	}
	return "unknown";
}

void draft_output_clear(struct llm_draft *draft)
{
	if (draft == NULL)
		return;
	free(draft->category);
	free(draft->subject);
	free(draft->body);
	json_decref(draft->facts_used);
	free(draft->needs_human_reason);
	free(draft->model);
	free(draft->prompt_version);
	free(draft->language);
	free(draft->template_text);
	memset(draft, 0, sizeof(*draft));
}

/* A string field: present, a string, at most max bytes, and non-empty when
 * required. Returns the value or NULL with the reason written. */
static const char *draft_output_string(json_t *obj, const char *key, size_t max, bool nonempty,
				       char *reason, size_t reason_size)
{
	json_t *v = json_object_get(obj, key);
	size_t len;

	if (v == NULL) {
		snprintf(reason, reason_size, "missing field \"%s\"", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		snprintf(reason, reason_size, "field \"%s\" is not a string", key);
		return NULL;
	}
	len = json_string_length(v);
	if (len > max) {
		snprintf(reason, reason_size, "field \"%s\" is %zu bytes, over the limit of %zu",
			 key, len, max);
		return NULL;
	}
	if (nonempty && len == 0) {
		snprintf(reason, reason_size, "field \"%s\" is empty", key);
		return NULL;
	}
	return json_string_value(v);
}

static int draft_output_facts(json_t *obj, json_t **facts_r, char *reason, size_t reason_size)
{
	json_t *v = json_object_get(obj, "facts_used"), *item;
	size_t i;

	if (v == NULL) {
		snprintf(reason, reason_size, "missing field \"facts_used\"");
		return -1;
	}
	if (!json_is_array(v)) {
		snprintf(reason, reason_size, "field \"facts_used\" is not an array");
		return -1;
	}
	if (json_array_size(v) > DRAFT_OUTPUT_MAX_FACTS) {
		snprintf(reason, reason_size,
			 "field \"facts_used\" has %zu items, over the limit of %d",
			 json_array_size(v), DRAFT_OUTPUT_MAX_FACTS);
		return -1;
	}
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item)) {
			snprintf(reason, reason_size, "facts_used[%zu] is not a string", i);
			return -1;
		}
		if (json_string_length(item) > DRAFT_OUTPUT_MAX_FACT_LEN) {
			snprintf(reason, reason_size, "facts_used[%zu] is over %d bytes", i,
				 DRAFT_OUTPUT_MAX_FACT_LEN);
			return -1;
		}
	}
	*facts_r = json_deep_copy(v);
	return *facts_r != NULL ? 0 : -1;
}

int draft_output_parse(const char *text, size_t len, const char *const *categories, size_t count,
		       struct llm_draft *draft_r, char *reason, size_t reason_size)
{
	struct llm_draft d = {0};
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *key, *category, *subject, *body, *why;
	size_t i;
	bool known;
	int ret = -1;

	memset(draft_r, 0, sizeof(*draft_r));
	if (text == NULL || len == 0) {
		snprintf(reason, reason_size, "empty reply");
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(reason, reason_size, "not JSON: %s at offset %d", jerr.text,
			 jerr.position);
		goto out;
	}
	if (!json_is_object(root)) {
		snprintf(reason, reason_size, "not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		known = false;
		for (i = 0; i < ARRAY_SIZE(draft_output_keys); i++)
			known |= strcmp(key, draft_output_keys[i]) == 0;
		if (!known) {
			snprintf(reason, reason_size, "unknown field \"%.64s\"", key);
			goto out;
		}
	}

	category = draft_output_string(root, "category", 64, true, reason, reason_size);
	if (category == NULL)
		goto out;
	known = false;
	for (i = 0; i < count; i++)
		known |= strcmp(category, categories[i]) == 0;
	if (!known) {
		snprintf(reason, reason_size,
			 "category \"%.64s\" is not one of the configured categories", category);
		goto out;
	}

	v = json_object_get(root, "confidence");
	if (v == NULL) {
		snprintf(reason, reason_size, "missing field \"confidence\"");
		goto out;
	}
	if (!json_is_number(v)) {
		snprintf(reason, reason_size, "field \"confidence\" is not a number");
		goto out;
	}
	d.confidence = json_number_value(v);
	if (!isfinite(d.confidence) || d.confidence < 0.0 || d.confidence > 1.0) {
		snprintf(reason, reason_size, "field \"confidence\" is outside 0..1");
		goto out;
	}

	v = json_object_get(root, "needs_human");
	if (v == NULL) {
		snprintf(reason, reason_size, "missing field \"needs_human\"");
		goto out;
	}
	if (!json_is_boolean(v)) {
		snprintf(reason, reason_size, "field \"needs_human\" is not a boolean");
		goto out;
	}
	d.needs_human = json_is_true(v);

	subject = draft_output_string(root, "subject", DRAFT_OUTPUT_MAX_SUBJECT, false, reason,
				      reason_size);
	if (subject == NULL)
		goto out;
	/* A draft that is not handed to a human must have something to send. */
	body = draft_output_string(root, "body", DRAFT_OUTPUT_MAX_BODY, !d.needs_human, reason,
				   reason_size);
	if (body == NULL)
		goto out;
	why = draft_output_string(root, "needs_human_reason", DRAFT_OUTPUT_MAX_REASON,
				  d.needs_human, reason, reason_size);
	if (why == NULL)
		goto out;
	if (draft_output_facts(root, &d.facts_used, reason, reason_size) < 0)
		goto out;

	d.category = str_dup(category);
	d.subject = str_dup(subject);
	d.body = str_dup(body);
	d.needs_human_reason = str_dup(why);
	if (d.category == NULL || d.subject == NULL || d.body == NULL ||
	    d.needs_human_reason == NULL) {
		snprintf(reason, reason_size, "out of memory");
		goto out;
	}
	d.confidence_source = LLM_CONFIDENCE_MODEL;
	*draft_r = d;
	memset(&d, 0, sizeof(d));
	ret = 0;
out:
	draft_output_clear(&d);
	json_decref(root);
	return ret;
}
