/* SPDX-License-Identifier: MIT */
/* The decide step's policy, gate by gate. */
#include <string.h>

#include "agent/pipeline/decide.h"
#include "tests/unit/harness.h"

/* A draft that passes every gate in an auto category. */
static struct decide_input base(void)
{
	struct decide_input in;

	memset(&in, 0, sizeof(in));
	in.category = "stock_inquiry";
	in.mode = "auto";
	in.confidence = 0.97;
	in.threshold = 0.9;
	in.facts_age = 10;
	in.max_facts_age = 300;
	in.sender_recent_auto = 0;
	in.sender_auto_limit = 1;
	return in;
}

struct decide_case {
	const char *name;
	void (*tweak)(struct decide_input *in);
	enum decision expect;
	bool would_auto;
	const char *reason; /* a reason that must be listed, or NULL */
};

static void t_none(struct decide_input *in)
{
	(void)in;
}
static void t_skip_rule(struct decide_input *in)
{
	in->rules_skip = true;
}
static void t_noise(struct decide_input *in)
{
	in->category = "none";
}
static void t_off(struct decide_input *in)
{
	in->mode = "off";
}
static void t_draft(struct decide_input *in)
{
	in->mode = "draft";
}
static void t_shadow(struct decide_input *in)
{
	in->mode = "shadow";
}
static void t_shadow_flagged(struct decide_input *in)
{
	in->mode = "shadow";
	in->guard_flags = 1;
}
static void t_low_conf(struct decide_input *in)
{
	in->confidence = 0.5;
}
static void t_conf_at_threshold(struct decide_input *in)
{
	in->confidence = 0.9;
}
static void t_flag(struct decide_input *in)
{
	in->guard_flags = 2;
}
static void t_never_auto(struct decide_input *in)
{
	in->never_auto = true;
}
static void t_require_human(struct decide_input *in)
{
	in->rules_require_human = true;
}
static void t_injection(struct decide_input *in)
{
	in->injection = true;
}
static void t_model_human(struct decide_input *in)
{
	in->needs_human = true;
}
static void t_stale(struct decide_input *in)
{
	in->facts_age = 3600;
}
static void t_unknown_facts(struct decide_input *in)
{
	in->facts_unknown = true;
}
static void t_rate(struct decide_input *in)
{
	in->sender_recent_auto = 1;
}
static void t_kill(struct decide_input *in)
{
	in->auto_disabled = true;
}
static void t_no_draft(struct decide_input *in)
{
	in->no_draft = true;
}
static void t_doubt(struct decide_input *in)
{
	in->category_doubt = "the mail may also be complaint, which is never answered "
			     "automatically";
}
static void t_doubt_shadow(struct decide_input *in)
{
	in->mode = "shadow";
	t_doubt(in);
}

static const struct decide_case cases[] = {
	{"every gate passes in auto", t_none, DECIDE_AUTO, false, NULL},
	{"skip rule", t_skip_rule, DECIDE_SKIP, false, "a rule says skip"},
	{"noise category", t_noise, DECIDE_SKIP, false, "not a customer request"},
	{"mode off", t_off, DECIDE_HUMAN, false, "category is off"},
	{"mode draft", t_draft, DECIDE_PENDING, false, "category mode is draft"},
	{"mode shadow would auto", t_shadow, DECIDE_PENDING, true, "category mode is shadow"},
	{"shadow with a flag would not", t_shadow_flagged, DECIDE_PENDING, false, "guardrail"},
	{"low confidence", t_low_conf, DECIDE_PENDING, false, "below threshold"},
	{"confidence at the threshold is enough", t_conf_at_threshold, DECIDE_AUTO, false, NULL},
	{"guardrail flags", t_flag, DECIDE_PENDING, false, "2 guardrail check(s) failed"},
	{"never_auto rule", t_never_auto, DECIDE_PENDING, false, "forbids automatic"},
	{"require_human rule", t_require_human, DECIDE_PENDING, false, "requires a human"},
	{"injection", t_injection, DECIDE_PENDING, false, "injection"},
	{"model asks for a human", t_model_human, DECIDE_PENDING, false, "model asked"},
	{"stale facts", t_stale, DECIDE_PENDING, false, "facts are 3600s old"},
	{"unknown facts", t_unknown_facts, DECIDE_PENDING, false, "could not be looked up"},
	{"sender rate limit", t_rate, DECIDE_PENDING, false, "limit"},
	{"kill switch", t_kill, DECIDE_PENDING, false, "disabled"},
	{"no draft", t_no_draft, DECIDE_HUMAN, false, "no draft"},
	{"category in doubt", t_doubt, DECIDE_PENDING, false,
	 "the category is in doubt: the mail may also be complaint"},
	{"shadow in doubt would not", t_doubt_shadow, DECIDE_PENDING, false, "in doubt"},
};

static bool has_reason(const json_t *reasons, const char *needle)
{
	const json_t *e;
	size_t i;

	json_array_foreach(reasons, i, e)
	{
		if (strstr(json_string_value(e), needle) != NULL)
			return true;
	}
	return false;
}

static void test_decide_table(void)
{
	struct decide_result r;
	struct decide_input in;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = base();
		cases[i].tweak(&in);
		CU_ASSERT_EQUAL_FATAL(decide(&in, &r), 0);
		CU_ASSERT_EQUAL(r.decision, cases[i].expect);
		CU_ASSERT_EQUAL(r.would_auto, cases[i].would_auto);
		if (cases[i].reason != NULL && !has_reason(r.reasons, cases[i].reason))
			CU_FAIL(cases[i].name);
		if (cases[i].expect == DECIDE_AUTO)
			CU_ASSERT_EQUAL(json_array_size(r.reasons), 0);
		json_decref(r.reasons);
	}
}

static const struct test_case decide_cases[] = {
	{"each gate decides as the policy says", test_decide_table},
	{NULL, NULL},
};

TEST_SUITE("decide", NULL, NULL, decide_cases)
