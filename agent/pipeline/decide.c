/* SPDX-License-Identifier: MIT */
#include "agent/pipeline/decide.h"

#include <stdio.h>
#include <string.h>

#include "daemon/store/store_auto_limit.h"

static const char *const decision_names[] = {"skip", "human", "pending", "auto"};

const char *decision_name(enum decision decision)
{
	return (unsigned int)decision < sizeof(decision_names) / sizeof(decision_names[0])
		       ? decision_names[decision]
		       : "unknown";
}

static int add_reason(json_t *reasons, const char *reason)
{
	return json_array_append_new(reasons, json_string(reason));
}

int decide(const struct decide_input *in, struct decide_result *result)
{
	char text[320];
	json_t *reasons = json_array();
	size_t gates_before_mode;
	bool is_auto, is_shadow;

	memset(result, 0, sizeof(*result));
	if (reasons == NULL)
		return -1;
	result->reasons = reasons;
	if (in->rules_skip || in->category == NULL || strcmp(in->category, "none") == 0) {
		result->decision = DECIDE_SKIP;
		return add_reason(reasons,
				  in->rules_skip ? "a rule says skip" : "not a customer request");
	}
	if (in->mode != NULL && strcmp(in->mode, "off") == 0) {
		result->decision = DECIDE_HUMAN;
		return add_reason(reasons, "category is off: a human writes the reply");
	}
	if (in->no_draft) {
		result->decision = DECIDE_HUMAN;
		return add_reason(reasons, "no draft could be made");
	}

	/* Every gate that keeps a draft from going out on its own. */
	if (in->rules_require_human && add_reason(reasons, "a rule requires a human") < 0)
		return -1;
	if (in->never_auto && add_reason(reasons, "a rule forbids automatic replies") < 0)
		return -1;
	if (in->injection && add_reason(reasons, "suspected prompt injection") < 0)
		return -1;
	if (in->needs_human && add_reason(reasons, "the model asked for a human") < 0)
		return -1;
	if (in->guard_flags > 0) {
		snprintf(text, sizeof(text), "%u guardrail check(s) failed", in->guard_flags);
		if (add_reason(reasons, text) < 0)
			return -1;
	}
	if (in->facts_unknown && add_reason(reasons, "some facts could not be looked up") < 0)
		return -1;
	if (in->facts_age > (long long)in->max_facts_age) {
		snprintf(text, sizeof(text), "facts are %llds old (limit %us)", in->facts_age,
			 in->max_facts_age);
		if (add_reason(reasons, text) < 0)
			return -1;
	}
	if (in->confidence < in->threshold) {
		snprintf(text, sizeof(text), "confidence %.2f below threshold %.2f", in->confidence,
			 in->threshold);
		if (add_reason(reasons, text) < 0)
			return -1;
	}
	if (in->sender_recent_auto >= (int64_t)in->sender_auto_limit &&
	    add_reason(reasons, AUTO_LIMIT_SENDER) < 0)
		return -1;
	if (in->thread_recent_auto > 0 && add_reason(reasons, AUTO_LIMIT_THREAD) < 0)
		return -1;
	if (in->hourly_cap > 0 && in->hourly_auto >= (int64_t)in->hourly_cap &&
	    add_reason(reasons, AUTO_LIMIT_HOURLY) < 0)
		return -1;
	if (in->auto_disabled && add_reason(reasons, AUTO_LIMIT_DISABLED) < 0)
		return -1;
	/* the mail may be of another category whose rules would hold it back */
	if (in->category_doubt != NULL) {
		snprintf(text, sizeof(text), "the category is in doubt: %s", in->category_doubt);
		if (add_reason(reasons, text) < 0)
			return -1;
	}
	/* a reviewer rejected the first draft: the new one goes back to a person */
	if (in->reviewer_category &&
	    add_reason(reasons, "a reviewer corrected the category: a person checks it") < 0)
		return -1;

	gates_before_mode = json_array_size(reasons);
	is_auto = in->mode != NULL && strcmp(in->mode, "auto") == 0;
	is_shadow = in->mode != NULL && strcmp(in->mode, "shadow") == 0;
	if (!is_auto) {
		snprintf(text, sizeof(text), "category mode is %s",
			 in->mode != NULL ? in->mode : "draft");
		if (add_reason(reasons, text) < 0)
			return -1;
	}
	result->would_auto = is_shadow && gates_before_mode == 0;
	result->decision = is_auto && gates_before_mode == 0 ? DECIDE_AUTO : DECIDE_PENDING;
	return 0;
}
