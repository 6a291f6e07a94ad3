/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify/bayes.h"
#include "agent/classify/classify.h"
#include "agent/classify/classify_blend.h"
#include "harness.h"

static const char *const bayes_cats[] = {"stock_inquiry", "order_status", "invoice_copy",
					 "complaint"};

static void test_bayes_empty(void)
{
	struct bayes_model *m = NULL;
	struct error error = {0};
	double post[4] = {1, 1, 1, 1};

	CU_ASSERT_EQUAL_FATAL(bayes_train(NULL, 0, &m, &error), 0);
	CU_ASSERT_EQUAL(bayes_examples(m), 0);
	CU_ASSERT_EQUAL(bayes_categories(m), 0);
	CU_ASSERT_FALSE(bayes_ready(m));
	CU_ASSERT_FALSE(bayes_ready(NULL));
	CU_ASSERT_EQUAL(bayes_predict(m, "anything", bayes_cats, 4, post), 0);
	CU_ASSERT_EQUAL(post[0], 0);
	bayes_free(&m);
	CU_ASSERT_PTR_NULL(m);
	bayes_free(&m);
}

static void test_bayes_posterior(void)
{
	const struct bayes_example ex[] = {
		{"is it in stock, availability please", "stock_inquiry"},
		{"do you have these in stock", "stock_inquiry"},
		{"where is my order, tracking number please", "order_status"},
		{"order shipped? tracking", "order_status"},
		{"please send a copy of the invoice", "invoice_copy"},
		{NULL, "complaint"},
		{"ignored: no category", NULL},
		{"ignored: empty category", ""},
	};
	struct bayes_model *m = NULL;
	struct error error = {0};
	double post[4], sum = 0;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(bayes_train(ex, 8, &m, &error), 0);
	CU_ASSERT_EQUAL(bayes_examples(m), 6);
	CU_ASSERT_EQUAL(bayes_categories(m), 4);
	CU_ASSERT_FALSE(bayes_ready(m)); /* 6 < BAYES_MIN_EXAMPLES */
	CU_ASSERT_EQUAL(bayes_predict(m, "Tracking for my order?", bayes_cats, 4, post), 1);
	for (i = 0; i < 4; i++)
		sum += post[i];
	CU_ASSERT_DOUBLE_EQUAL(sum, 1.0, 1e-9);
	CU_ASSERT_TRUE(post[1] > post[0] && post[1] > post[2] && post[1] > post[3]);
	CU_ASSERT_EQUAL(bayes_predict(m, "INVOICE copy", bayes_cats, 4, post), 1);
	CU_ASSERT_TRUE(post[2] > 0.5);
	/* a category the model never saw gets nothing */
	{
		const char *other[] = {"address_change", "stock_inquiry"};

		CU_ASSERT_EQUAL(bayes_predict(m, "in stock", other, 2, post), 1);
		CU_ASSERT_EQUAL(post[0], 0);
		CU_ASSERT_DOUBLE_EQUAL(post[1], 1.0, 1e-9);
	}
	bayes_free(&m);
}

/* Numbers never decide a category: "#num" stands for any of them. */
static void test_bayes_numbers(void)
{
	const struct bayes_example ex[] = {
		{"HP-20115 HP-20115", "stock_inquiry"},
		{"SO-204518", "order_status"},
	};
	struct bayes_model *m = NULL;
	struct error error = {0};

	CU_ASSERT_EQUAL_FATAL(bayes_train(ex, 2, &m, &error), 0);
	/* "hp" and "#num" (and "so") */
	CU_ASSERT_EQUAL(bayes_vocabulary(m), 3);
	bayes_free(&m);
}

/* More distinct tokens than BAYES_VOCAB_MAX: the rare ones are evicted and
 * the frequent ones kept. */
static void test_bayes_vocab_bound(void)
{
	size_t n = BAYES_VOCAB_MAX / 2 + 300, i, k;
	struct bayes_example *ex = calloc(n, sizeof(*ex));
	char **texts = calloc(n, sizeof(*texts));
	struct bayes_model *m = NULL;
	struct error error = {0};
	const char *cats[] = {"a", "b"};
	double post[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_PTR_NOT_NULL_FATAL(texts);
	for (i = 0; i < n; i++) {
		char word[16];
		size_t v = i;

		/* two unique letters-only words per example, plus a shared cue */
		for (k = 0; k < 6; k++, v /= 26)
			word[k] = (char)('a' + v % 26);
		word[6] = '\0';
		texts[i] = malloc(64);
		CU_ASSERT_PTR_NOT_NULL_FATAL(texts[i]);
		snprintf(texts[i], 64, "%s x%s %s", word, word, i % 2 == 0 ? "alpha" : "beta");
		ex[i].text = texts[i];
		ex[i].category = i % 2 == 0 ? "a" : "b";
	}
	CU_ASSERT_EQUAL_FATAL(bayes_train(ex, n, &m, &error), 0);
	CU_ASSERT_EQUAL(bayes_vocabulary(m), BAYES_VOCAB_MAX);
	CU_ASSERT_EQUAL(bayes_examples(m), n);
	CU_ASSERT_EQUAL(bayes_predict(m, "beta", cats, 2, post), 1);
	CU_ASSERT_TRUE(post[1] > 0.9);
	bayes_free(&m);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(ex);
}

static void test_bayes_too_many(void)
{
	struct bayes_example *ex = calloc(BAYES_EXAMPLES_MAX + 1, sizeof(*ex));
	struct bayes_model *m = NULL;
	struct error error = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_EQUAL(bayes_train(ex, BAYES_EXAMPLES_MAX + 1, &m, &error), -1);
	CU_ASSERT(error_msg(&error)[0] != '\0');
	CU_ASSERT_PTR_NULL(m);
	free(ex);
}

/* Reviewers corrected certificate requests (keywords call them complaints,
 * for "missing") to invoice_copy. A model with a few dozen of them must not
 * overrule the keywords (issue 17 follow-up: a weak model lowered accuracy
 * on unseen mail from 95.5% to 68.2%); one with hundreds of examples of
 * both categories may, with a confidence no auto threshold lets out and the
 * keywords' category named as the rival. */
static const char *const cert[] = {
	"The material certificate 3.1 was missing from this delivery, please send it",
	"Please send the calibration certificate for gauge batch",
	"We need the certificate of conformity for our quality file, shipment",
};
static const char *const stock[] = {
	"We need 20 pcs, are they in stock? HP-",
	"Do you have this available from stock? HP-",
};
static const char *const status[] = {
	"Please send the tracking number, where is order SO-",
	"ETA please, has this order shipped yet? SO-",
};
static const char *const grumble[] = {
	"This is unacceptable, the third late delivery this month, order SO-",
	"Formal complaint: wrong parts again and nobody answers, order SO-",
	"We are very disappointed, the pumps arrived damaged and late SO-",
};

#define BAYES_MANY 250

/* per examples of each class: cert as invoice_copy, stock, status and
 * (with complaints) grumble as complaint; texts[][128] filled */
static size_t bayes_examples_fill(struct bayes_example *ex, char (*texts)[128], size_t per,
				  bool complaints)
{
	size_t i, n = 0;

	for (i = 0; i < per; i++, n++) {
		snprintf(texts[n], 128, "%s %d", cert[i % 3], 5000 + (int)i);
		ex[n] = (struct bayes_example){texts[n], "invoice_copy"};
	}
	for (i = 0; i < per; i++, n++) {
		snprintf(texts[n], 128, "%s %d", stock[i % 2], 20100 + (int)i);
		ex[n] = (struct bayes_example){texts[n], "stock_inquiry"};
	}
	for (i = 0; i < per; i++, n++) {
		snprintf(texts[n], 128, "%s %d", status[i % 2], 204500 + (int)i);
		ex[n] = (struct bayes_example){texts[n], "order_status"};
	}
	for (i = 0; complaints && i < per; i++, n++) {
		snprintf(texts[n], 128, "%s %d", grumble[i % 3], 204700 + (int)i);
		ex[n] = (struct bayes_example){texts[n], "complaint"};
	}
	return n;
}

static void test_bayes_corrections_move_prediction(void)
{
	struct bayes_example *ex = calloc(4 * BAYES_MANY, sizeof(*ex));
	char(*texts)[128] = calloc(4 * BAYES_MANY, sizeof(*texts));
	struct bayes_model *m = NULL;
	struct classify_set *set = NULL;
	struct classify_result res, kwonly;
	struct classify_input in = {
		.subject = "Delivery 88123",
		.text = "Hello, the inspection certificate was missing again in this "
			"delivery. Please send the certificate by mail.",
		.sender = "qa@customer.example",
		.language = "en",
	};
	struct error error = {0};
	struct error err;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_PTR_NOT_NULL_FATAL(texts);
	CU_ASSERT_EQUAL_FATAL(classify_set_new(NULL, 0, true, &set, &err), 0);
	CU_ASSERT_EQUAL_FATAL(classify_run(set, NULL, &in, &kwonly), 0);
	CU_ASSERT_STRING_EQUAL(kwonly.category, "complaint");
	CU_ASSERT_EQUAL(kwonly.source, LLM_CONFIDENCE_KEYWORDS);

	/* 29 examples: not ready, keywords decide */
	n = bayes_examples_fill(ex, texts, 15, false);
	CU_ASSERT_EQUAL_FATAL(bayes_train(ex, BAYES_MIN_EXAMPLES - 1, &m, &error), 0);
	CU_ASSERT_FALSE(bayes_ready(m));
	CU_ASSERT_EQUAL_FATAL(classify_run(set, m, &in, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.category, "complaint");
	CU_ASSERT_PTR_NULL(json_object_get(res.scores, "bayes"));
	classify_result_clear(&res);
	bayes_free(&m);

	/* 45 examples, 15 a category, sure of invoice_copy: ready, but no
	 * say over a category it holds 15 examples of; the keywords' choice
	 * and confidence stand */
	CU_ASSERT_EQUAL_FATAL(bayes_train(ex, n, &m, &error), 0);
	CU_ASSERT_TRUE(bayes_ready(m));
	CU_ASSERT_EQUAL_FATAL(classify_run(set, m, &in, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.category, "complaint");
	CU_ASSERT_EQUAL(res.source, LLM_CONFIDENCE_KEYWORDS);
	CU_ASSERT_DOUBLE_EQUAL(res.confidence, kwonly.confidence, 1e-9);
	CU_ASSERT_STRING_EQUAL(res.rival, "");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(res.scores, "blend"), "rule")),
		"keywords");
	classify_result_clear(&res);
	bayes_free(&m);

	/* 250 of each, complaints included: the model overrules, names the
	 * keywords' complaint as the rival and stays below any threshold */
	n = bayes_examples_fill(ex, texts, BAYES_MANY, true);
	CU_ASSERT_EQUAL_FATAL(bayes_train(ex, n, &m, &error), 0);
	CU_ASSERT_EQUAL(bayes_class_examples(m, "complaint"), BAYES_MANY);
	CU_ASSERT_EQUAL(bayes_class_examples(m, "address_change"), 0);
	CU_ASSERT_EQUAL_FATAL(classify_run(set, m, &in, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.category, "invoice_copy");
	CU_ASSERT_EQUAL(res.source, LLM_CONFIDENCE_BAYES);
	CU_ASSERT_STRING_EQUAL(res.rival, "complaint");
	CU_ASSERT_TRUE(res.contenders_count >= 1);
	CU_ASSERT_STRING_EQUAL(res.contenders[0], "complaint");
	CU_ASSERT_TRUE(res.confidence > 0 && res.confidence <= CLASSIFY_DISAGREE_CAP);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(res.scores, "blend"), "rule")),
		"overruled");
	classify_result_clear(&res);

	/* a plain stock question: keywords and the model agree, the
	 * confidence does not drop */
	in.subject = "HP-20115 in stock?";
	in.text = "Do you have 200 pcs available?";
	CU_ASSERT_EQUAL_FATAL(classify_run(set, NULL, &in, &res), 0);
	{
		double alone = res.confidence;

		classify_result_clear(&res);
		CU_ASSERT_EQUAL_FATAL(classify_run(set, m, &in, &res), 0);
		CU_ASSERT_STRING_EQUAL(res.category, "stock_inquiry");
		CU_ASSERT_EQUAL(res.source, LLM_CONFIDENCE_KEYWORDS);
		CU_ASSERT_TRUE(res.confidence >= alone);
		CU_ASSERT_STRING_EQUAL(res.rival, "");
	}
	classify_result_clear(&res);
	classify_result_clear(&kwonly);
	bayes_free(&m);
	classify_set_free(&set);
	free(ex);
	free(texts);
}

static const struct test_case bayes_cases[] = {
	{"empty model predicts nothing", test_bayes_empty},
	{"posterior sums to 1 and follows the examples", test_bayes_posterior},
	{"numbers are one token", test_bayes_numbers},
	{"too many examples refused", test_bayes_too_many},
	{"vocabulary bounded, rare tokens evicted", test_bayes_vocab_bound},
	{"corrected examples move a held-out prediction", test_bayes_corrections_move_prediction},
	{NULL, NULL},
};
TEST_SUITE("bayes", NULL, NULL, bayes_cases)
