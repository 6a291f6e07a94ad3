#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/classify.h"
#include "harness.h"
#include "test_classify_corpus.h"

/* Accuracy floor over the 45 corpus mails: what the built-in lists reach
 * minus a small margin, so a regression fails the suite. */
#define CLASSIFY_CORPUS_FLOOR 43

static struct classify_set *classify_builtin_set;

static int classify_suite_init(void)
{
	char error[256];

	if (classify_set_new(NULL, 0, true, &classify_builtin_set, error, sizeof(error)) < 0) {
		fprintf(stderr, "classify: %s\n", error);
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

static const struct test_case classify_cases[] = {
	{"corpus accuracy per category", test_classify_corpus},
	{NULL, NULL},
};
TEST_SUITE("classify", classify_suite_init, classify_suite_cleanup, classify_cases)
