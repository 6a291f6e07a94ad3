/* SPDX-License-Identifier: MIT */
/* Promotion arithmetic: the Wilson bound against values computed
 * independently, eligibility, what the service does next, sampling, the
 * customer-reply words, and the decide step's loop and flood gates. */
#include <math.h>
#include <string.h>

#include "agent/pipeline/decide.h"
#include "daemon/lib/sample.h"
#include "daemon/promotion/promo.h"
#include "tests/unit/harness.h"

/* Expected values from the formula in Python (math.sqrt, z = 1.96):
 *   w = lambda k, n: (k/n + z*z/(2*n) - z*sqrt(k/n*(1-k/n)/n + z*z/(4*n*n))) / (1 + z*z/n)
 * With every draft unchanged, w(n, n) = n / (n + z²): 9 of 9 is the first
 * all-unchanged run to clear 0.7 (8/11.8416 = 0.6756 < 0.7 < 9/12.8416). */
static const struct {
	long k, n;
	double lower;
} wilson_table[] = {
	{1, 1, 0.2065432915},
	{5, 5, 0.5655085052},
	{8, 8, 0.6755843805},
	{9, 9, 0.7008472464},
	{10, 10, 0.7224598312},
	{50, 50, 0.9286499658},
	{9, 10, 0.5958436145},
	{45, 50, 0.7863950967},
	{95, 100, 0.8882480347},
	{60, 63, 0.8690882244},
	{190, 200, 0.9104209437},
	{0, 10, 0.0},
	{0, 0, 0.0},
};

static void test_wilson_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(wilson_table) / sizeof(wilson_table[0]); i++) {
		double got = promo_wilson_lower(wilson_table[i].k, wilson_table[i].n, PROMO_Z);

		CU_ASSERT_DOUBLE_EQUAL(got, wilson_table[i].lower, 1e-9);
		if (fabs(got - wilson_table[i].lower) > 1e-9)
			fprintf(stderr, "wilson(%ld, %ld) = %.10f, want %.10f\n", wilson_table[i].k,
				wilson_table[i].n, got, wilson_table[i].lower);
	}
}

static struct promo_policy policy(const char *name, const char *mode)
{
	struct promo_policy p;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.mode = mode;
	p.min_samples = 8;
	p.target_rate = 0.7;
	p.automatic = true;
	return p;
}

static struct promo_counts unchanged(long n)
{
	struct promo_counts c;

	memset(&c, 0, sizeof(c));
	c.drafted = n;
	c.reviewed = n;
	c.unchanged = n;
	return c;
}

struct elig_case {
	const char *name;
	const char *category;
	long reviewed, unchanged, rejected_wrong, never_auto_hits, drafted;
	unsigned int min_samples;
	bool config_never_auto;
	bool eligible;
};

static const struct elig_case elig_cases[] = {
	{"8 of 8: bound 0.676 under 0.7", "stock_inquiry", 8, 8, 0, 0, 8, 8, false, false},
	{"9 of 9: bound 0.701 clears 0.7", "stock_inquiry", 9, 9, 0, 0, 9, 8, false, true},
	{"9 of 9 but min_samples 10", "stock_inquiry", 9, 9, 0, 0, 9, 10, false, false},
	{"one rejection as wrong blocks", "stock_inquiry", 30, 29, 1, 0, 30, 8, false, false},
	{"one edit in 30 still clears", "stock_inquiry", 30, 29, 0, 0, 30, 8, false, true},
	{"complaint never", "complaint", 100, 100, 0, 0, 100, 8, false, false},
	{"legal never", "legal", 100, 100, 0, 0, 100, 8, false, false},
	/* issue 11: its card said "never automatic" while a PUT made it auto */
	{"other never", "other", 100, 100, 0, 0, 100, 8, false, false},
	{"config never_auto", "order_status", 100, 100, 0, 0, 100, 8, true, false},
	{"rules never_auto on half the drafts", "quote_request", 100, 100, 0, 50, 100, 8, false,
	 false},
	{"rules never_auto on a few", "quote_request", 100, 100, 0, 10, 100, 8, false, true},
};

static void test_eligibility_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(elig_cases) / sizeof(elig_cases[0]); i++) {
		const struct elig_case *e = &elig_cases[i];
		struct promo_policy p = policy(e->category, "shadow");
		struct promo_counts c = unchanged(e->reviewed);
		const char *why = NULL;
		bool got;

		c.unchanged = e->unchanged;
		c.rejected_wrong = e->rejected_wrong;
		c.never_auto_hits = e->never_auto_hits;
		c.drafted = e->drafted;
		p.min_samples = e->min_samples;
		p.never_auto = e->config_never_auto;
		got = promo_eligible(&c, &p, &why);
		CU_ASSERT_EQUAL(got, e->eligible);
		CU_ASSERT_EQUAL(why == NULL, e->eligible);
		if (got != e->eligible)
			fprintf(stderr, "eligibility case '%s': got %d (%s)\n", e->name, got,
				why != NULL ? why : "eligible");
	}
}

struct next_case {
	const char *name;
	const char *category, *mode;
	bool automatic;
	long reviewed; /* all unchanged */
	long post_reviewed, post_unchanged, post_wrong, post_fine, post_bad;
	enum promo_action action;
};

static const struct next_case next_cases[] = {
	{"shadow, eligible, automatic: promote", "stock_inquiry", "shadow", true, 9, 0, 0, 0, 0, 0,
	 PROMO_PROMOTE},
	{"shadow, eligible, manual: wait", "stock_inquiry", "shadow", false, 9, 0, 0, 0, 0, 0,
	 PROMO_NONE},
	{"draft, eligible, automatic: never straight to auto", "stock_inquiry", "draft", true, 50,
	 0, 0, 0, 0, 0, PROMO_NONE},
	{"shadow, not yet eligible", "stock_inquiry", "shadow", true, 8, 0, 0, 0, 0, 0, PROMO_NONE},
	{"complaint in shadow with perfect numbers", "complaint", "shadow", true, 500, 0, 0, 0, 0,
	 0, PROMO_NONE},
	{"auto, all fine: stays", "stock_inquiry", "auto", true, 9, 3, 3, 0, 5, 0, PROMO_NONE},
	{"auto, one bad sample: demote", "stock_inquiry", "auto", true, 9, 3, 3, 0, 5, 1,
	 PROMO_DEMOTE},
	{"auto, a rejection as wrong: demote", "stock_inquiry", "auto", true, 9, 3, 2, 1, 0, 0,
	 PROMO_DEMOTE},
	{"auto, rolling rate 5/8 under 0.7: demote", "stock_inquiry", "auto", true, 9, 8, 5, 0, 0,
	 0, PROMO_DEMOTE},
	{"auto, rolling rate 6/8 over 0.7: stays", "stock_inquiry", "auto", true, 9, 8, 6, 0, 0, 0,
	 PROMO_NONE},
	{"auto, rate low but under min_samples: stays", "stock_inquiry", "auto", true, 9, 4, 1, 0,
	 0, 0, PROMO_NONE},
	{"complaint in auto: demote", "complaint", "auto", false, 9, 0, 0, 0, 0, 0, PROMO_DEMOTE},
};

static void test_next_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]); i++) {
		const struct next_case *e = &next_cases[i];
		struct promo_policy p = policy(e->category, e->mode);
		struct promo_counts c = unchanged(e->reviewed);
		const char *why = NULL;
		enum promo_action got;

		p.automatic = e->automatic;
		c.post_reviewed = e->post_reviewed;
		c.post_unchanged = e->post_unchanged;
		c.post_wrong = e->post_wrong;
		c.post_fine = e->post_fine;
		c.post_bad = e->post_bad;
		got = promo_next(&c, &p, &why);
		CU_ASSERT_EQUAL(got, e->action);
		CU_ASSERT_EQUAL(why != NULL, e->action != PROMO_NONE);
		if (got != e->action)
			fprintf(stderr, "next case '%s': got %d\n", e->name, (int)got);
	}
}

/* frac(id * 0.6180339887) < 0.5 for ids 1..20, from Python:
 *   [i for i in range(1, 21) if (i * (sqrt(5) - 1) / 2) % 1 < 0.5] */
static void test_sampling(void)
{
	static const int expected[] = {2, 4, 5, 7, 10, 12, 13, 15, 18, 20};
	size_t e = 0;
	int64_t id;

	for (id = 1; id <= 20; id++) {
		bool want = e < sizeof(expected) / sizeof(expected[0]) && expected[e] == id;

		CU_ASSERT_EQUAL(sample_weyl(id, 0.5), want);
		if (want)
			e++;
		CU_ASSERT_TRUE(sample_weyl(id, 1.0));
		CU_ASSERT_FALSE(sample_weyl(id, 0.0));
	}
}

static const struct {
	const char *text, *words;
	bool any, demotes;
} reply_cases[] = {
	{"Thanks, that helps!", "wrong, not what I asked", false, false},
	{"This is WRONG, I asked about HP-10227", "wrong, not what I asked", false, true},
	{"that's not what I asked for", "wrong, not what I asked", false, true},
	{"not what i asked", " , not what I asked ,", false, true},
	{"Thanks!", "", false, false},
	{"Thanks!", "wrong", true, true},
	{NULL, "wrong", false, false},
};

static void test_reply_words(void)
{
	size_t i;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++)
		CU_ASSERT_EQUAL(promo_reply_demotes(reply_cases[i].text, reply_cases[i].words,
						    reply_cases[i].any),
				reply_cases[i].demotes);
}

/* The decide step's loop and flood gates for automatic replies. */
static void test_decide_limits(void)
{
	static const struct {
		int64_t sender, thread, hourly;
		unsigned int cap;
		bool disabled;
		enum decision expect;
		const char *reason;
	} cases[] = {
		{0, 0, 0, 20, false, DECIDE_AUTO, NULL},
		{1, 0, 0, 20, false, DECIDE_PENDING, "sender reached the automatic reply limit"},
		{0, 1, 0, 20, false, DECIDE_PENDING, "this thread already had an automatic reply"},
		{0, 0, 20, 20, false, DECIDE_PENDING,
		 "the hourly cap on automatic replies is reached"},
		{0, 0, 19, 20, false, DECIDE_AUTO, NULL},
		{0, 0, 500, 0, false, DECIDE_AUTO, NULL},
		{0, 0, 0, 20, true, DECIDE_PENDING, "automatic replies are disabled"},
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct decide_input in;
		struct decide_result res;
		bool found = cases[i].reason == NULL;

		memset(&in, 0, sizeof(in));
		in.category = "stock_inquiry";
		in.mode = "auto";
		in.confidence = 0.97;
		in.threshold = 0.9;
		in.max_facts_age = 300;
		in.sender_auto_limit = 1;
		in.sender_recent_auto = cases[i].sender;
		in.thread_recent_auto = cases[i].thread;
		in.hourly_auto = cases[i].hourly;
		in.hourly_cap = cases[i].cap;
		in.auto_disabled = cases[i].disabled;
		CU_ASSERT_EQUAL_FATAL(decide(&in, &res), 0);
		CU_ASSERT_EQUAL(res.decision, cases[i].expect);
		for (j = 0; !found && j < json_array_size(res.reasons); j++)
			found = strcmp(json_string_value(json_array_get(res.reasons, j)),
				       cases[i].reason) == 0;
		CU_ASSERT_TRUE(found);
		json_decref(res.reasons);
	}
}

static const struct test_case promotion_cases[] = {
	{"Wilson lower bound matches the independent table", test_wilson_table},
	{"eligibility rules", test_eligibility_table},
	{"promotion and demotion triggers", test_next_table},
	{"post-send sampling by draft id", test_sampling},
	{"customer reply words", test_reply_words},
	{"decide: per-sender, per-thread, hourly cap, kill switch", test_decide_limits},
	{NULL, NULL},
};
TEST_SUITE("promotion", NULL, NULL, promotion_cases)
