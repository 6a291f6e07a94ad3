/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_DRAFT_OUTPUT_H
#define DRAFTD_DRAFT_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The draft a model backend hands to the pipeline, and the validation of a
 * model's JSON answer (schemas/model_output.schema.json) into it. Model
 * output is untrusted: nothing acts on it before draft_output_parse() said
 * it is well-formed. */

#define DRAFT_OUTPUT_MAX_SUBJECT  200
#define DRAFT_OUTPUT_MAX_BODY     8000
#define DRAFT_OUTPUT_MAX_FACTS    32
#define DRAFT_OUTPUT_MAX_FACT_LEN 200
#define DRAFT_OUTPUT_MAX_REASON   500

enum llm_confidence_source {
	LLM_CONFIDENCE_LOGPROBS = 0, /* exp(sum of the category tokens' logprobs) */
	LLM_CONFIDENCE_MODEL,        /* the model's own "confidence" figure */
	LLM_CONFIDENCE_KEYWORDS,     /* the keyword classifier's hint */
	LLM_CONFIDENCE_BAYES,        /* the naive Bayes classifier's hint */
};

struct llm_draft {
	char *category;
	double confidence; /* 0..1 */
	enum llm_confidence_source confidence_source;
	char *subject;
	char *body;
	json_t *facts_used; /* array of strings, e.g. "inventory:HP-20115" */
	bool needs_human;
	char *needs_human_reason; /* "" when needs_human is false */
	char *model;              /* model name, or "builtin" */
	char *prompt_version;     /* prompt or template version */
	/* the language the reply is written in ("de"), when the backend knows
	 * it (a template's); NULL: the guardrails judge it from the text */
	char *language;
	/* the built-in backend: the template's own text, the operator's
	 * wording (a gate does not hold "15% restocking fee" against the
	 * business that wrote it); NULL for a model's draft */
	char *template_text;
};

/* "logprobs", "model", "keywords", "bayes". */
const char *llm_confidence_source_name(enum llm_confidence_source source);

/* Validates text[len] (a model's message content) into *draft_r: a JSON
 * object with exactly the keys category, confidence, subject, body,
 * facts_used, needs_human and needs_human_reason, the category one of
 * categories[count], every field of its type and within its size limit.
 * Returns 0 with *draft_r filled (confidence_source = model; model and
 * prompt_version left NULL for the caller), or -1 with a precise reason in
 * reason[reason_size] and *draft_r zeroed. Thread-safe. */
int draft_output_parse(const char *text, size_t len, const char *const *categories, size_t count,
		       struct llm_draft *draft_r, char *reason, size_t reason_size)
	__attribute__((warn_unused_result));

/* Frees the fields of a draft and zeroes it; NULL is fine. */
void draft_output_clear(struct llm_draft *draft);

#endif
