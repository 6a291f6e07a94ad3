/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify/classify.h"
#include "harness.h"
#include "test_classify_corpus.h"

/* Accuracy floor over the 45 corpus mails: what the built-in lists reach
 * minus a small margin, so a regression fails the suite. */
#define CLASSIFY_CORPUS_FLOOR 43

static struct classify_set *classify_builtin_set;

static int classify_suite_init(void)
{
	struct error err;

	if (classify_set_new(NULL, 0, true, &classify_builtin_set, &err) < 0) {
		fprintf(stderr, "classify: %s\n", error_msg(&err));
		return -1;
	}
	return 0;
}

static int classify_suite_cleanup(void)
{
	classify_set_free(&classify_builtin_set);
	return 0;
}

static void classify_input_of(const struct classify_corpus_mail *m, struct classify_input *in)
{
	memset(in, 0, sizeof(*in));
	in->subject = m->msg->subject;
	in->text = m->msg->text;
	in->full_text = m->msg->full_text;
	in->sender = m->msg->from_addr;
	in->has_attachments = m->attachments_count > 0;
}

/* Per-category accuracy over the corpus, printed as a table. */
static void test_classify_corpus(void)
{
	struct classify_corpus corpus;
	struct classify_input in;
	struct classify_result res;
	size_t i, k, ok = 0, total[16] = {0}, right[16] = {0};
	const char *want;
	int r = classify_corpus_load(&corpus);

	CU_ASSERT_TRUE_FATAL(r >= 0);
	if (r == 0) {
		printf("\nclassify corpus: SKIPPED (no ../shared/corpus)\n");
		return;
	}
	for (i = 0; i < corpus.count; i++) {
		classify_input_of(&corpus.mails[i], &in);
		CU_ASSERT_EQUAL_FATAL(classify_run(classify_builtin_set, NULL, &in, &res), 0);
		want = classify_corpus_label(&corpus.mails[i], "category");
		for (k = 0; k < classify_builtin_count; k++)
			if (strcmp(classify_builtin_categories[k], want) == 0)
				break;
		CU_ASSERT_TRUE(k < classify_builtin_count);
		total[k]++;
		CU_ASSERT_TRUE(res.confidence > 0 && res.confidence <= 1);
		CU_ASSERT_EQUAL(res.source, LLM_CONFIDENCE_KEYWORDS);
		if (strcmp(res.category, want) == 0) {
			right[k]++;
			ok++;
		} else {
			char *s = json_dumps(json_object_get(res.scores, "keywords"), JSON_COMPACT);

			printf("\nclassify: %s: got %s (%.2f), want %s %s", corpus.mails[i].file,
			       res.category, res.confidence, want, s != NULL ? s : "");
			free(s);
		}
		classify_result_clear(&res);
	}
	printf("\nclassify:");
	for (k = 0; k < classify_builtin_count; k++)
		printf(" %s %zu/%zu", classify_builtin_categories[k], right[k], total[k]);
	printf(", overall %zu/%zu\n", ok, corpus.count);
	CU_ASSERT_TRUE(ok >= CLASSIFY_CORPUS_FLOOR);
	classify_corpus_free(&corpus);
}

/* Configured terms and patterns, table-driven: each row is one [category]
 * section's options and a message, with the category that must win. */
static const struct {
	const char *name;
	const char *key1, *value1, *key2, *value2;
	bool builtins;
	const char *subject, *text, *language;
	const char *want;
} classify_config_table[] = {
	{"warranty", "keywords", "warranty^3, guarantee claim", NULL, NULL, true,
	 "Warranty question", "Is the pump still covered?", "en", "warranty"},
	{"warranty", "keywords_de", "garantie^3", NULL, NULL, true, "Garantie",
	 "Ist die Pumpe noch abgedeckt?", "de", "warranty"},
	/* German terms are not used for an English message */
	{"warranty", "keywords_de", "garantie^3", NULL, NULL, true, "garantie", "hello", "en",
	 "other"},
	{"warranty", "pattern", "\\bwarrant(y|ies)\\s+claim\\b", NULL, NULL, true, "",
	 "We have a Warranty  claim to file", "en", "warranty"},
	{"warranty", "keywords", "*garantie*", NULL, NULL, true, "Herstellergarantiefall",
	 "Guten Tag", "de", "warranty"},
	{"warranty", "keywords", "warrant*", NULL, NULL, true, "", "warranties", "en", "warranty"},
	/* whole words only: "warranty" is not in "warrantyless"... */
	{"warranty", "keywords", "warranty", NULL, NULL, true, "", "warrantyless", "en", "other"},
	/* ...and accents and case fold on both sides */
	{"stock_inquiry", "keywords", "DISPONIBILITÉ^5", NULL, NULL, true, "", "disponibilite svp",
	 "fr", "stock_inquiry"},
	/* a configured-only set knows its own categories plus none */
	{"warranty", "keywords", "warranty", NULL, NULL, false, "Is HP-20115 in stock?", "warranty",
	 "en", "warranty"},
	/* built-in lists switched off for a category */
	{"stock_inquiry", "builtin_keywords", "false", "keywords", "lagerwert", true,
	 "Is HP-20115 in stock?", "", "en", "other"},
	/* automated sender counts for none */
	{"other", NULL, NULL, NULL, NULL, true, "Your parcel", "hello", "en", "none"},
};

static void test_classify_config(void)
{
	struct category_config cc;
	struct config_kv kv[2];
	struct classify_set *set;
	struct classify_result res;
	struct classify_input in;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(classify_config_table) / sizeof(classify_config_table[0]); i++) {
		memset(&cc, 0, sizeof(cc));
		memset(kv, 0, sizeof(kv));
		cc.name = (char *)classify_config_table[i].name;
		cc.line = 10;
		cc.options = kv;
		if (classify_config_table[i].key1 != NULL) {
			kv[0].key = (char *)classify_config_table[i].key1;
			kv[0].value = (char *)classify_config_table[i].value1;
			cc.options_count++;
		}
		if (classify_config_table[i].key2 != NULL) {
			kv[1].key = (char *)classify_config_table[i].key2;
			kv[1].value = (char *)classify_config_table[i].value2;
			cc.options_count++;
		}
		set = NULL;
		CU_ASSERT_EQUAL_FATAL(
			classify_set_new(&cc, 1, classify_config_table[i].builtins, &set, &err), 0);
		memset(&in, 0, sizeof(in));
		in.subject = classify_config_table[i].subject;
		in.text = classify_config_table[i].text;
		in.language = classify_config_table[i].language;
		in.sender =
			i + 1 == sizeof(classify_config_table) / sizeof(classify_config_table[0])
				? "noreply@carrier.example"
				: "buyer@customer.example";
		CU_ASSERT_EQUAL_FATAL(classify_run(set, NULL, &in, &res), 0);
		if (strcmp(res.category, classify_config_table[i].want) != 0)
			printf("\nclassify config row %zu: got %s, want %s", i, res.category,
			       classify_config_table[i].want);
		CU_ASSERT_STRING_EQUAL(res.category, classify_config_table[i].want);
		classify_result_clear(&res);
		if (!classify_config_table[i].builtins) {
			CU_ASSERT_EQUAL(classify_set_count(set), 2);
			CU_ASSERT_STRING_EQUAL(classify_set_name(set, 1), "none");
		}
		classify_set_free(&set);
	}
}

static const struct {
	const char *key, *value, *want;
} classify_bad_table[] = {
	{"keywords_it", "garanzia", "category warranty (line 7): keywords_it: unknown language"},
	{"keywords", "a^0", "keywords: bad weight"},
	{"keywords", "ok, *, fine", "keywords: empty term"},
	{"pattern", "(unclosed", "pattern: missing closing parenthesis"},
};

static void test_classify_config_errors(void)
{
	struct category_config cc = {.name = (char *)"warranty", .line = 3};
	struct config_kv kv;
	struct classify_set *set;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(classify_bad_table) / sizeof(classify_bad_table[0]); i++) {
		kv = (struct config_kv){(char *)classify_bad_table[i].key,
					(char *)classify_bad_table[i].value, 7};
		cc.options = &kv;
		cc.options_count = 1;
		set = NULL;
		error_clear(&err);
		CU_ASSERT_EQUAL(classify_set_new(&cc, 1, true, &set, &err), -1);
		CU_ASSERT_PTR_NULL(set);
		if (strstr(error_msg(&err), classify_bad_table[i].want) == NULL)
			printf("\nclassify bad row %zu: \"%s\"", i, error_msg(&err));
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), classify_bad_table[i].want));
	}
}

/* Confidence follows the margin; the scores explain the choice. */
static void test_classify_confidence(void)
{
	struct classify_input strong = {.subject = "Stock check HP-20115",
					.text = "Do you have 200 pcs in stock?",
					.sender = "a@b.example"};
	struct classify_input weak = {
		.subject = "HP-20115", .text = "price and lead time?", .sender = "a@b.example"};
	struct classify_input nothing = {.subject = "", .text = "", .sender = NULL};
	struct classify_result a, b, c;
	json_t *kw;

	CU_ASSERT_EQUAL_FATAL(classify_run(classify_builtin_set, NULL, &strong, &a), 0);
	CU_ASSERT_EQUAL_FATAL(classify_run(classify_builtin_set, NULL, &weak, &b), 0);
	CU_ASSERT_EQUAL_FATAL(classify_run(classify_builtin_set, NULL, &nothing, &c), 0);
	CU_ASSERT_STRING_EQUAL(a.category, "stock_inquiry");
	CU_ASSERT_TRUE(a.confidence > 0.9);
	CU_ASSERT_TRUE(b.confidence < a.confidence);
	CU_ASSERT_STRING_EQUAL(c.category, "other");
	CU_ASSERT_TRUE(c.confidence < 0.2);
	CU_ASSERT_STRING_EQUAL(a.language, "en");
	kw = json_object_get(a.scores, "keywords");
	CU_ASSERT_TRUE(json_number_value(json_object_get(kw, "stock_inquiry")) >= 9);
	CU_ASSERT_TRUE(json_array_size(json_object_get(a.scores, "matched")) > 0);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(a.scores, "probability"));
	classify_result_clear(&a);
	classify_result_clear(&b);
	classify_result_clear(&c);
}

/* Hidden text cannot steer the category (only "none" looks at full_text),
 * and zero-width characters do not split terms. */
static void test_classify_hidden(void)
{
	struct classify_input in = {
		.subject = "Order SO-204518",
		.text = "wh\xe2\x80\x8b"
			"ere is my order? tra\xe2\x80\x8c"
			"cking please",
		.full_text = "where is my order? tracking please complaint complaint "
			     "formal complaint unacceptable",
		.sender = "a@b.example",
	};
	struct classify_result res;

	CU_ASSERT_EQUAL_FATAL(classify_run(classify_builtin_set, NULL, &in, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.category, "order_status");
	classify_result_clear(&res);
}

static const struct test_case classify_cases[] = {
	{"configured terms, languages, patterns", test_classify_config},
	{"bad category options refused with line", test_classify_config_errors},
	{"confidence and explanation", test_classify_confidence},
	{"hidden and zero-width text", test_classify_hidden},
	{"corpus accuracy per category", test_classify_corpus},
	{NULL, NULL},
};
TEST_SUITE("classify", classify_suite_init, classify_suite_cleanup, classify_cases)
