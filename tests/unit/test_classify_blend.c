/* SPDX-License-Identifier: MIT */
/* How keywords and naive Bayes are combined (agent/classify/classify_blend.h):
 * table-driven rows for the rule (few examples: keywords win; many agreeing
 * examples: Bayes may raise the confidence or decide alone; disagreement:
 * the confidence drops below any auto threshold; overruling only with
 * hundreds of examples of both categories and a clear margin), the
 * contenders, and a seeded run of the rule's invariants over random inputs
 * (DRAFTD_TEST_SEED=N replays one, DRAFTD_TEST_SEEDS=N widens the run). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify/classify.h"
#include "agent/classify/classify_blend.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* the rows' categories */
enum { B_STOCK, B_ORDER, B_COMPLAINT, B_OTHER, B_N };

struct blend_row {
	const char *name;
	double kw[B_N]; /* keyword probabilities */
	bool any;
	size_t kwbest;
	bool model;
	double nb[B_N];
	size_t ex[B_N];
	enum classify_blend_rule rule;
	size_t best;
	size_t rival;
	double conf_min, conf_max;
};

static const struct blend_row blend_rows[] = {
	{"no model: keywords alone",
	 {0.05, 0.9, 0.03, 0.02},
	 true,
	 B_ORDER,
	 false,
	 {0},
	 {0},
	 CLASSIFY_BLEND_KEYWORDS,
	 B_ORDER,
	 B_ORDER,
	 0.9,
	 0.9},
	{"ten examples a category: Bayes has no say, however sure",
	 {0.05, 0.9, 0.03, 0.02},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.01, 0.99, 0.0},
	 {10, 10, 10, 10},
	 CLASSIFY_BLEND_KEYWORDS,
	 B_ORDER,
	 B_ORDER,
	 0.9,
	 0.9},
	{"29 examples: still none",
	 {0.05, 0.9, 0.03, 0.02},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.01, 0.99, 0.0},
	 {29, 29, 29, 29},
	 CLASSIFY_BLEND_KEYWORDS,
	 B_ORDER,
	 B_ORDER,
	 0.9,
	 0.9},
	{"100 agreeing examples raise the confidence",
	 {0.1, 0.8, 0.05, 0.05},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.99, 0.01, 0.0},
	 {100, 100, 100, 100},
	 CLASSIFY_BLEND_AGREE,
	 B_ORDER,
	 B_ORDER,
	 0.89,
	 0.9},
	{"an agreeing but unsure model never lowers it",
	 {0.02, 0.95, 0.02, 0.01},
	 true,
	 B_ORDER,
	 true,
	 {0.2, 0.6, 0.1, 0.1},
	 {100, 100, 100, 100},
	 CLASSIFY_BLEND_AGREE,
	 B_ORDER,
	 B_ORDER,
	 0.95,
	 0.95},
	{"60 examples disagreeing: keywords keep it, confidence capped",
	 {0.02, 0.95, 0.02, 0.01},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.1, 0.9, 0.0},
	 {60, 60, 60, 60},
	 CLASSIFY_BLEND_DISAGREE,
	 B_ORDER,
	 B_COMPLAINT,
	 0,
	 CLASSIFY_DISAGREE_CAP},
	{"a model that hardly saw the keywords' category cannot contradict it",
	 {0.02, 0.95, 0.02, 0.01},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.01, 0.99, 0.0},
	 {60, 5, 1000, 60},
	 CLASSIFY_BLEND_KEYWORDS,
	 B_ORDER,
	 B_ORDER,
	 0.95,
	 0.95},
	{"500 of each and a clear margin: Bayes overrules, capped",
	 {0.05, 0.5, 0.4, 0.05},
	 true,
	 B_ORDER,
	 true,
	 {0.01, 0.03, 0.95, 0.01},
	 {500, 500, 500, 500},
	 CLASSIFY_BLEND_OVERRULED,
	 B_COMPLAINT,
	 B_ORDER,
	 0,
	 CLASSIFY_DISAGREE_CAP},
	{"500 of each but no clear margin over a strong keyword match",
	 {0.02, 0.95, 0.02, 0.01},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.45, 0.55, 0.0},
	 {500, 500, 500, 500},
	 CLASSIFY_BLEND_DISAGREE,
	 B_ORDER,
	 B_COMPLAINT,
	 0,
	 CLASSIFY_DISAGREE_CAP},
	{"overruling needs both categories well known (150 < 200)",
	 {0.05, 0.5, 0.4, 0.05},
	 true,
	 B_ORDER,
	 true,
	 {0.0, 0.0, 1.0, 0.0},
	 {500, 150, 1000, 500},
	 CLASSIFY_BLEND_DISAGREE,
	 B_ORDER,
	 B_COMPLAINT,
	 0,
	 CLASSIFY_DISAGREE_CAP},
	{"no keyword matched: a model with 60 examples decides, weakly",
	 {0.25, 0.25, 0.25, 0.25},
	 false,
	 B_OTHER,
	 true,
	 {0.9, 0.05, 0.03, 0.02},
	 {60, 60, 60, 60},
	 CLASSIFY_BLEND_BAYES_ALONE,
	 B_STOCK,
	 B_STOCK,
	 0.33,
	 0.34},
	{"no keyword matched and too few examples: the fallback",
	 {0.25, 0.25, 0.25, 0.25},
	 false,
	 B_OTHER,
	 true,
	 {0.9, 0.05, 0.03, 0.02},
	 {20, 20, 20, 20},
	 CLASSIFY_BLEND_KEYWORDS,
	 B_OTHER,
	 B_OTHER,
	 0.25,
	 0.25},
	{"no keyword matched, thousands of examples: at most the weight cap",
	 {0.25, 0.25, 0.25, 0.25},
	 false,
	 B_OTHER,
	 true,
	 {1.0, 0.0, 0.0, 0.0},
	 {5000, 5000, 5000, 5000},
	 CLASSIFY_BLEND_BAYES_ALONE,
	 B_STOCK,
	 B_STOCK,
	 CLASSIFY_BAYES_MAX,
	 CLASSIFY_BAYES_MAX},
};

static void test_blend_table(void)
{
	const struct blend_row *r;
	struct classify_blend_input in;
	struct classify_blend out;
	double p[B_N], sum;
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(blend_rows); i++) {
		r = &blend_rows[i];
		memset(&in, 0, sizeof(in));
		in.count = B_N;
		in.keyword_p = r->kw;
		in.keywords_any = r->any;
		in.keyword_best = r->kwbest;
		in.bayes_p = r->model ? r->nb : NULL;
		in.examples = r->model ? r->ex : NULL;
		classify_blend(&in, &out, p);
		for (sum = 0, k = 0; k < B_N; k++)
			sum += p[k];
		if (out.rule != r->rule || out.best != r->best || out.rival != r->rival ||
		    out.confidence < r->conf_min - 1e-9 || out.confidence > r->conf_max + 1e-9)
			printf("\nblend row \"%s\": rule %s best %zu rival %zu confidence %.4f",
			       r->name, classify_blend_rule_name(out.rule), out.best, out.rival,
			       out.confidence);
		CU_ASSERT_EQUAL(out.rule, r->rule);
		CU_ASSERT_EQUAL(out.best, r->best);
		CU_ASSERT_EQUAL(out.rival, r->rival);
		CU_ASSERT_TRUE(out.confidence >= r->conf_min - 1e-9);
		CU_ASSERT_TRUE(out.confidence <= r->conf_max + 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(sum, 1.0, 1e-9);
	}
}

/* The weight earns trust per category, with a floor and a cap. */
static void test_blend_weight(void)
{
	CU_ASSERT_EQUAL(classify_bayes_weight(0), 0);
	CU_ASSERT_EQUAL(classify_bayes_weight(CLASSIFY_BAYES_CLASS_MIN - 1), 0);
	CU_ASSERT_TRUE(classify_bayes_weight(CLASSIFY_BAYES_CLASS_MIN) > 0);
	CU_ASSERT_DOUBLE_EQUAL(classify_bayes_weight(100), 0.5, 1e-9);
	CU_ASSERT_TRUE(classify_bayes_weight(200) < classify_bayes_weight(300));
	CU_ASSERT_DOUBLE_EQUAL(classify_bayes_weight(100000), CLASSIFY_BAYES_MAX, 1e-9);
	/* every disagreement stays below any sane auto threshold */
	CU_ASSERT_TRUE(CLASSIFY_DISAGREE_CAP < 0.5);
	CU_ASSERT_TRUE(CLASSIFY_BAYES_MAX < 0.9);
}

struct contender_row {
	const char *name;
	double kw[B_N];
	double p[B_N];
	size_t best, rival;
	size_t want[B_N];
	size_t want_n;
};

static const struct contender_row contender_rows[] = {
	{"a strong cue for a second category",
	 {10, 0, 2, 0},
	 {0.97, 0.007, 0.018, 0.005},
	 B_STOCK,
	 B_STOCK,
	 {B_COMPLAINT},
	 1},
	{"one weak word far behind is none",
	 {10, 0, 1, 0},
	 {0.98, 0.007, 0.011, 0.002},
	 B_STOCK,
	 B_STOCK,
	 {0},
	 0},
	{"weak evidence on both sides: close enough",
	 {1, 0, 1, 0},
	 {0.31, 0.19, 0.31, 0.19},
	 B_STOCK,
	 B_STOCK,
	 {B_COMPLAINT},
	 1},
	{"no evidence is no contender, however likely",
	 {1, 0, 0, 0},
	 {0.35, 0.22, 0.22, 0.21},
	 B_STOCK,
	 B_STOCK,
	 {0},
	 0},
	{"the rival first, then by score",
	 {10, 3, 2, 0},
	 {0.95, 0.03, 0.02, 0.0},
	 B_STOCK,
	 B_OTHER,
	 {B_OTHER, B_ORDER, B_COMPLAINT},
	 3},
	{"the chosen category is never its own contender",
	 {4, 9, 0, 0},
	 {0.07, 0.9, 0.02, 0.01},
	 B_STOCK,
	 B_ORDER,
	 {B_ORDER},
	 1},
};

static void test_blend_contenders(void)
{
	const struct contender_row *r;
	struct classify_blend b;
	size_t out[CLASSIFY_CONTENDERS_MAX], i, k, n;

	for (i = 0; i < ARRAY_SIZE(contender_rows); i++) {
		r = &contender_rows[i];
		memset(&b, 0, sizeof(b));
		b.best = r->best;
		b.rival = r->rival;
		n = classify_contenders(B_N, r->kw, r->p, &b, out, CLASSIFY_CONTENDERS_MAX);
		if (n != r->want_n)
			printf("\ncontenders row \"%s\": %zu, want %zu", r->name, n, r->want_n);
		CU_ASSERT_EQUAL(n, r->want_n);
		for (k = 0; k < n && k < r->want_n; k++)
			CU_ASSERT_EQUAL(out[k], r->want[k]);
	}
	/* bounded */
	{
		double kw[6] = {10, 9, 8, 7, 6, 5}, p[6] = {0.3, 0.2, 0.2, 0.1, 0.1, 0.1};
		size_t two[2];

		memset(&b, 0, sizeof(b));
		CU_ASSERT_EQUAL(classify_contenders(6, kw, p, &b, two, 2), 2);
		CU_ASSERT_EQUAL(two[0], 1);
		CU_ASSERT_EQUAL(two[1], 2);
	}
}

/* xorshift64*: a replayable stream per seed */
static uint64_t blend_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static double blend_unit(uint64_t *s)
{
	return (double)(blend_rand(s) >> 11) / 9007199254740992.0;
}

/* One random input and the rule's invariants on it; returns the first
 * broken one, or NULL. */
static const char *blend_check(uint64_t seed, char *detail, size_t size)
{
	double kw[CLASSIFY_CATEGORIES_MAX], p[CLASSIFY_CATEGORIES_MAX], nb[CLASSIFY_CATEGORIES_MAX],
		q[CLASSIFY_CATEGORIES_MAX], sum = 0, nsum = 0, max = 0;
	size_t ex[CLASSIFY_CATEGORIES_MAX], count, i, kwbest = 0, nbbest = 0;
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	struct classify_blend_input in;
	struct classify_blend out;
	bool any = false;

	count = 2 + blend_rand(&s) % 9;
	for (i = 0; i < count; i++) {
		kw[i] = blend_rand(&s) % 3 == 0 ? 0 : (double)(blend_rand(&s) % 30);
		any = any || kw[i] > 0;
		if (kw[i] > kw[kwbest])
			kwbest = i;
		max = kw[i] > max ? kw[i] : max;
		nb[i] = pow(blend_unit(&s), 3);
		nsum += nb[i];
		/* few, some, or many examples */
		switch (blend_rand(&s) % 3) {
		case 0:
			ex[i] = blend_rand(&s) % CLASSIFY_BAYES_CLASS_MIN;
			break;
		case 1:
			ex[i] = CLASSIFY_BAYES_CLASS_MIN + blend_rand(&s) % 300;
			break;
		default:
			ex[i] = blend_rand(&s) % 5000;
			break;
		}
	}
	if (!any)
		kwbest = blend_rand(&s) % count;
	for (i = 0; i < count; i++) {
		p[i] = exp((kw[i] - max) / 2.0);
		sum += p[i];
	}
	for (i = 0; i < count; i++) {
		p[i] /= sum;
		nb[i] = nsum > 0 ? nb[i] / nsum : 1.0 / (double)count;
		if (nb[i] > nb[nbbest])
			nbbest = i;
	}
	memset(&in, 0, sizeof(in));
	in.count = count;
	in.keyword_p = p;
	in.keywords_any = any;
	in.keyword_best = kwbest;
	in.bayes_p = nb;
	in.examples = ex;
	classify_blend(&in, &out, q);
	snprintf(detail, size, "count %zu kwbest %zu (p %.3f, %zu ex) nbbest %zu (p %.3f, %zu ex)",
		 count, kwbest, p[kwbest], ex[kwbest], nbbest, nb[nbbest], ex[nbbest]);
	for (sum = 0, i = 0; i < count; i++)
		sum += q[i];
	if (!(out.confidence >= 0 && out.confidence <= 1) || fabs(sum - 1) > 1e-9)
		return "the confidence is a probability and the blend a distribution";
	if ((out.rule == CLASSIFY_BLEND_DISAGREE || out.rule == CLASSIFY_BLEND_OVERRULED) &&
	    (out.confidence > CLASSIFY_DISAGREE_CAP || out.rival == out.best))
		return "a disagreement stays below the cap and names its rival";
	if (out.rival != out.best && out.rule != CLASSIFY_BLEND_DISAGREE &&
	    out.rule != CLASSIFY_BLEND_OVERRULED)
		return "only a disagreement has a rival";
	if (out.best != kwbest &&
	    !(out.rule == CLASSIFY_BLEND_OVERRULED && ex[out.best] >= CLASSIFY_BAYES_OVERRULE_MIN &&
	      ex[kwbest] >= CLASSIFY_BAYES_OVERRULE_MIN) &&
	    !(out.rule == CLASSIFY_BLEND_BAYES_ALONE && !any))
		return "a keyword match is overruled only by a model that knows both categories "
		       "well";
	if (out.rule == CLASSIFY_BLEND_AGREE && out.confidence < p[kwbest] - 1e-12)
		return "agreement never lowers the confidence";
	if (out.rule == CLASSIFY_BLEND_BAYES_ALONE && out.confidence > CLASSIFY_BAYES_MAX + 1e-12)
		return "Bayes alone stays at or below its weight cap";
	if (ex[nbbest] < CLASSIFY_BAYES_CLASS_MIN &&
	    (out.rule != CLASSIFY_BLEND_KEYWORDS || out.confidence != p[kwbest]))
		return "a model that hardly knows its choice changes nothing";
	return NULL;
}

static void test_blend_random(void)
{
	const char *env = getenv("DRAFTD_TEST_SEEDS"), *one = getenv("DRAFTD_TEST_SEED");
	uint64_t seeds = 2000, base = 1, s, failed = 0;
	char detail[200];
	const char *why;

	if (env != NULL && parse_u64(env, 100000000, &seeds) < 0)
		seeds = 2000;
	if (env != NULL)
		seeds *= 10; /* microseconds each */
	if (one != NULL && parse_u64(one, UINT64_MAX, &base) == 0)
		seeds = 1;
	for (s = base; s < base + seeds; s++) {
		why = blend_check(s, detail, sizeof(detail));
		if (why == NULL)
			continue;
		if (failed++ < 5)
			printf("\nclassify_blend: %s: %s (replay: DRAFTD_TEST_SEED=%" PRIu64 ")",
			       why, detail, s);
	}
	printf("\nclassify_blend: %" PRIu64 " random inputs, %" PRIu64 " broke an invariant\n",
	       seeds, failed);
	CU_ASSERT_EQUAL(failed, 0);
}

static const struct test_case classify_blend_cases[] = {
	{"the combination rule, row by row", test_blend_table},
	{"the weight per category", test_blend_weight},
	{"contenders: strong cues, close ones, the rival first", test_blend_contenders},
	{"seeded invariants of the rule (DRAFTD_TEST_SEED replays)", test_blend_random},
	{NULL, NULL},
};
TEST_SUITE("classify_blend", NULL, NULL, classify_blend_cases)
