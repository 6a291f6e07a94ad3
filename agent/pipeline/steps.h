/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STEPS_H
#define DRAFTD_STEPS_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/pipeline/agent.h"
#include "agent/classify/classify.h"
#include "agent/mime/mime.h"

/* The pipeline's glue to the pure modules: each step takes what the agent
 * holds (category set, classifier model, company addresses) and a parsed
 * message, and hands back plain results. */

struct classify_outcome {
	char category[BAYES_CATEGORY_MAX];
	double confidence;
	enum llm_confidence_source source;
	char language[3];
	bool injection;
	json_t *injection_reasons;            /* array of reason names */
	json_t *scores;                       /* the classifier's explanation */
	char set_by_rule[BAYES_CATEGORY_MAX]; /* "" unless a rule overrode the category */
	char rival[BAYES_CATEGORY_MAX];       /* classify.h: keywords and Bayes disagreed */
	char contenders[CLASSIFY_CONTENDERS_MAX][BAYES_CATEGORY_MAX];
	size_t contenders_count;
};

/* Classifies msg and scans it for prompt injection. Returns 0 or -1 (out
 * of memory). Free with classify_outcome_clear(). */
int classify_step(struct agent *agent, const struct mime_message *msg, struct classify_outcome *out)
	__attribute__((warn_unused_result));
void classify_outcome_clear(struct classify_outcome *out);
/* Records a rule's set_category (the classifier's answer stays in scores). */
void classify_outcome_override(struct classify_outcome *out, const char *category);
/* The outcome as stored in messages.pipeline (new reference). */
json_t *classify_outcome_json(const struct classify_outcome *out);

struct rules_result;

/* Evaluates the agent's rules on msg with its classification and facts
 * (connectors/rules/rules.h); with no rules file an empty result. Returns 0 with
 * *result filled (free with rules_result_free()), or -1 (out of memory). */
int rules_step(struct agent *agent, const struct mime_message *msg,
	       const struct classify_outcome *cls, const json_t *facts, bool duplicate,
	       struct rules_result *result) __attribute__((warn_unused_result));

/* Whether the category is in doubt, so that nothing may go out on its own
 * (agent/pipeline/step_rules.c): keywords and the Bayes model disagreed
 * (unless a rule set the category), or the mail may also be of a contender
 * category (classify.h) that is never answered automatically (complaint,
 * legal, [category] never_auto = on) or under which a rule that did not
 * fire for the chosen category (main, rules_step()'s result) would require
 * a human or forbid automatic replies, or could not be evaluated and would
 * hold the draft back. A skip under a contender does not count: noise
 * words in a request do not hold it back. Returns 1 with the reason in why
 * ("the mail may also be complaint: R03 would hold it back"), 0, or -1
 * (out of memory). */
int doubt_step(struct agent *agent, const struct mime_message *msg,
	       const struct classify_outcome *cls, const json_t *facts,
	       const struct rules_result *main, char *why, size_t why_size)
	__attribute__((warn_unused_result));

/* Adds to draft_facts (the draft's copy) what the reply must answer
 * (agent/template/answer.h), in the classified language, with the configured stock
 * disclosure. Returns 0 or -1 (out of memory). */
int answer_step(struct agent *agent, const struct mime_message *msg,
		const struct classify_outcome *cls, json_t *draft_facts)
	__attribute__((warn_unused_result));

/* Checks a draft against the facts and rules (agent/guard/guard.h). Returns a new
 * array of flags [{"flag":..,"detail":..}] (a suspected injection is one of
 * them), or NULL when out of memory. */
json_t *guard_step(struct agent *agent, const char *mailbox, const struct mime_message *msg,
		   const struct classify_outcome *cls, const struct llm_draft *draft,
		   const json_t *facts, const json_t *forbidden);

/* The subject a reply goes out with: the customer's (the sender adds one
 * "Re:"), so it threads in every mail client; the model's only when the
 * mail had none. */
const char *guard_reply_subject(const struct mime_message *msg, const struct llm_draft *draft);

#endif
