/* SPDX-License-Identifier: MIT */
/* A wrong category from the naive Bayes model can never take mail that must
 * not be answered automatically (complaints, legal matters, quotes over the
 * limit, other customers' orders, injections: labels.json "never_auto") to
 * an automatic reply. Seeded, model-based: each seed trains a random model
 * on the labelled folder (weak and honest, weak and poisoned, or hundreds of
 * examples a category with the never_auto mails relabelled as harmless
 * categories, so that the model overrules the keywords) and runs every
 * never_auto mail through the pipeline of `draftd eval` (every category in
 * auto at threshold 0: only the per-draft gates stand in the way). Before
 * the per-category blend a plain 5-fold model sent 4 such mails (issue 17
 * follow-up). DRAFTD_TEST_SEED=N replays one seed; DRAFTD_TEST_LONG=1 runs
 * more. Runs on tests/fixtures/eval and, when present, the shared corpus. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/classify/bayes.h"
#include "agent/eval/eval_int.h"
#include "agent/mime/mime.h"
#include "agent/pipeline/facts.h"
#include "agent/pipeline/steps.h"
#include "connectors/rules/rules.h"
#include "daemon/config/config.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "harness.h"

#define SAFETY_SEEDS      6
#define SAFETY_SEEDS_LONG 60
#define SAFETY_COPIES_MAX 60 /* copies of one mail in a strong model */

static const char *const safety_harmless[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "other",
};

struct safety_ctx {
	struct config *config;
	struct agent *agent;
	struct eval_set *set;
	char **texts; /* subject and new text per mail, as eval_train() reads them */
	char cfg[4096];
};

static uint64_t safety_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void safety_close(struct safety_ctx *c)
{
	size_t i, n = c->set != NULL ? eval_count(c->set) : 0;

	for (i = 0; c->texts != NULL && i < n; i++)
		free(c->texts[i]);
	free(c->texts);
	eval_free(&c->set);
	agent_unref(&c->agent);
	config_unref(&c->config);
	if (c->cfg[0] != '\0')
		unlink(c->cfg);
}

/* The agent `draftd eval` builds for dir: its data as CSV, its rules. */
static int safety_open(struct safety_ctx *c, const char *dir)
{
	struct config_errors errors;
	struct mime_limits limits;
	struct mime_message *m;
	const char *tmp = getenv("DRAFTD_TEST_TMP");
	struct error err;
	size_t i;
	FILE *f;
	int fd;

	memset(c, 0, sizeof(*c));
	snprintf(c->cfg, sizeof(c->cfg), "%s/draftd-safety.XXXXXX", tmp != NULL ? tmp : "/tmp");
	fd = mkstemp(c->cfg);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		c->cfg[0] = '\0';
		return -1;
	}
	fprintf(f,
		"[database]\nurl = postgresql:///draftd-eval-not-used\n"
		"[model]\nbackend = builtin\ntemplates_dir = %s/deploy/templates\n"
		"[log]\nlevel = warn\n[agent]\nrules_file = %s/data/rules.json\n"
		"[connector inventory]\ntype = csv\nkey = sku\npath = %s/data/inventory.csv\n"
		"[connector order]\ntype = csv\nkey = order\npath = %s/data/orders.csv\n",
		test_src_dir(), dir, dir, dir);
	fclose(f);
	if (config_load(c->cfg, &c->config, &errors) < 0) {
		for (i = 0; i < errors.count; i++)
			fprintf(stderr, "safety: %s\n", errors.lines[i]);
		config_errors_free(&errors);
		return -1;
	}
	if (agent_open(c->config, &c->agent, &err) < 0 || eval_load(dir, &c->set, &err) < 0) {
		fprintf(stderr, "safety: %s: %s\n", dir, error_msg(&err));
		return -1;
	}
	c->texts = calloc(eval_count(c->set) + 1, sizeof(*c->texts));
	if (c->texts == NULL)
		return -1;
	mime_limits_default(&limits);
	for (i = 0; i < eval_count(c->set); i++) {
		m = NULL;
		if (mime_parse(c->set->mails[i].raw, c->set->mails[i].len, &limits, &m, NULL) ==
			    0 &&
		    asprintf(&c->texts[i], "%s\n%s", m->subject != NULL ? m->subject : "",
			     m->text) < 0)
			c->texts[i] = NULL;
		mime_message_free(&m);
	}
	return 0;
}

static bool safety_never_auto(const struct eval_mail *m)
{
	return json_is_true(json_object_get(m->label, "never_auto"));
}

/* A random model for seed: kind 0 weak and honest (a random 60-90% of the
 * mails), 1 weak and poisoned (never_auto mails relabelled harmless), 2
 * strong and poisoned (every mail copied 30..60 times: hundreds of examples
 * a category, enough to overrule a keyword match). */
static struct bayes_model *safety_model(struct safety_ctx *c, uint64_t seed, unsigned *kind_r)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 7;
	size_t n = eval_count(c->set), i, k, copies, cap = n * SAFETY_COPIES_MAX, used = 0;
	struct bayes_example *ex = calloc(cap + 1, sizeof(*ex));
	struct bayes_model *model = NULL;
	const char *cat;
	unsigned kind = (unsigned)(seed % 3), keep = 60 + (unsigned)(safety_rand(&s) % 31);

	*kind_r = kind;
	if (ex == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (c->texts[i] == NULL || (kind == 0 && safety_rand(&s) % 100 >= keep))
			continue;
		cat = json_string_value(json_object_get(c->set->mails[i].label, "category"));
		if (kind > 0 && safety_never_auto(&c->set->mails[i]) && safety_rand(&s) % 10 < 7)
			cat = safety_harmless[safety_rand(&s) % ARRAY_SIZE(safety_harmless)];
		copies = kind == 2 ? 30 + safety_rand(&s) % (SAFETY_COPIES_MAX - 29) : 1;
		for (k = 0; k < copies && used < cap; k++)
			ex[used++] = (struct bayes_example){c->texts[i], cat};
	}
	if (bayes_train(ex, used, &model, NULL) < 0)
		model = NULL;
	free(ex);
	return model;
}

/* Every never_auto mail of dir under every seed's model: never "auto". */
static void safety_run(const char *dir)
{
	const char *one = getenv("DRAFTD_TEST_SEED");
	uint64_t seeds = getenv("DRAFTD_TEST_LONG") != NULL ? SAFETY_SEEDS_LONG : SAFETY_SEEDS;
	uint64_t base = 1, seed;
	size_t i, mails = 0, sent = 0, overruled = 0, disagreed = 0;
	struct safety_ctx c;
	struct eval_outcome o;
	struct bayes_model *model;
	const char *rule;
	unsigned kind;
	enum log_level level = log_get_level();

	log_set_level(LOG_LEVEL_WARN); /* connectors and rules say hello per agent */
	if (safety_open(&c, dir) < 0) {
		CU_FAIL("safety: the agent for the folder could not be built");
		safety_close(&c);
		log_set_level(level);
		return;
	}
	if (one != NULL && parse_u64(one, UINT64_MAX, &base) == 0)
		seeds = 1;
	for (seed = base; seed < base + seeds; seed++) {
		model = safety_model(&c, seed, &kind);
		CU_ASSERT_PTR_NOT_NULL_FATAL(model);
		agent_set_bayes(c.agent, model);
		/* every mail in order: a redelivery is known by the ones before */
		for (i = 0; i < eval_count(c.set); i++) {
			CU_ASSERT_EQUAL_FATAL(eval_one(c.agent, c.set, i, &o), 0);
			if (!safety_never_auto(&c.set->mails[i])) {
				eval_outcome_clear(&o);
				continue;
			}
			mails++;
			rule = json_string_value(
				json_object_get(json_object_get(o.scores, "blend"), "rule"));
			overruled += rule != NULL && strcmp(rule, "overruled") == 0;
			disagreed += rule != NULL && strcmp(rule, "disagree") == 0;
			if (strcmp(o.outcome, "auto") == 0) {
				sent++;
				printf("\nsafety: %s: %s sent automatically as %s (model kind %u; "
				       "replay: DRAFTD_TEST_SEED=%" PRIu64 ")",
				       dir, c.set->mails[i].file, o.category, kind, seed);
			}
			eval_outcome_clear(&o);
		}
	}
	agent_set_bayes(c.agent, NULL);
	printf("\nsafety: %s: %" PRIu64 " models, %zu never_auto mails run, %zu overruled by "
	       "the model, %zu disagreements, %zu sent automatically\n",
	       dir, seeds, mails, overruled, disagreed, sent);
	CU_ASSERT_EQUAL(sent, 0);
	/* the strong models must have overruled something, or the test tests
	 * nothing */
	if (seeds >= 3)
		CU_ASSERT_TRUE(overruled > 0);
	safety_close(&c);
	log_set_level(level);
}

static void test_safety_held_apart(void)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/eval", test_src_dir());
	safety_run(dir);
}

static void test_safety_corpus(void)
{
	const char *dir = test_corpus_dir();

	if (dir == NULL) {
		printf("\nsafety corpus: SKIPPED (no ../shared/corpus)\n");
		return;
	}
	safety_run(dir);
}

/* Contenders with keywords alone (no model): a request with a strong cue of
 * another category is held when that category's rules would hold it. */
static const struct {
	const char *name, *subject, *text;
	const char *category; /* the classifier's */
	const char *doubt;    /* in the reason, or NULL: no doubt */
} contender_rows[] = {
	{"a complaint's words in an order question", "Where is my order?",
	 "Hello, where is my order? Please send the tracking number. This is unacceptable.",
	 "order_status", "may also be complaint, which is never answered automatically"},
	{"a price question in a stock question, quantity unknown", "HP-11021 in stock?",
	 "Do you have HP-11021 in stock? And what is your best price?", "stock_inquiry",
	 "may also be quote_request, and as that R05 (could not be evaluated) would hold it"},
	{"a newsletter mentioned in a stock question: a skip does not hold", "HP-11021 in stock?",
	 "Do you have 20 pcs of HP-11021 in stock? I saw it in your newsletter.", "stock_inquiry",
	 NULL},
	{"no other category in sight", "HP-11021 in stock?",
	 "Do you have 20 pcs of HP-11021 in stock?", "stock_inquiry", NULL},
};

static void test_safety_contenders(void)
{
	struct safety_ctx c;
	struct mime_limits limits;
	struct mime_message *m;
	struct classify_outcome cls;
	struct rules_result rules;
	json_t *facts, *keys;
	enum log_level level = log_get_level();
	char dir[4096], raw[2048], why[256];
	size_t i;
	int r;

	log_set_level(LOG_LEVEL_WARN);
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/eval", test_src_dir());
	if (safety_open(&c, dir) < 0) {
		CU_FAIL("safety: the agent for the folder could not be built");
		safety_close(&c);
		log_set_level(level);
		return;
	}
	mime_limits_default(&limits);
	for (i = 0; i < ARRAY_SIZE(contender_rows); i++) {
		snprintf(
			raw, sizeof(raw),
			"From: Pat Buyer <pat@buyer.example>\r\nTo: support@harborparts.example\r\n"
			"Subject: %s\r\nMessage-ID: <c%zu@buyer.example>\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			contender_rows[i].subject, i, contender_rows[i].text);
		m = NULL;
		CU_ASSERT_EQUAL_FATAL(mime_parse(raw, strlen(raw), &limits, &m, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(classify_step(c.agent, m, &cls), 0);
		CU_ASSERT_TRUE_FATAL(facts_gather(c.agent->facts, raw, &facts, &keys) >= 0);
		CU_ASSERT_EQUAL_FATAL(rules_step(c.agent, m, &cls, facts, false, &rules), 0);
		r = doubt_step(c.agent, m, &cls, facts, &rules, why, sizeof(why));
		if (strcmp(cls.category, contender_rows[i].category) != 0 ||
		    (contender_rows[i].doubt == NULL) != (r == 0) ||
		    (r == 1 && strstr(why, contender_rows[i].doubt) == NULL))
			printf("\ncontender row \"%s\": %s, doubt %d \"%s\"",
			       contender_rows[i].name, cls.category, r, why);
		CU_ASSERT_STRING_EQUAL(cls.category, contender_rows[i].category);
		CU_ASSERT_STRING_EQUAL(cls.rival, ""); /* no model, no rival */
		if (contender_rows[i].doubt == NULL) {
			CU_ASSERT_EQUAL(r, 0);
		} else {
			CU_ASSERT_EQUAL(r, 1);
			CU_ASSERT_PTR_NOT_NULL(strstr(why, contender_rows[i].doubt));
		}
		rules_result_free(&rules);
		json_decref(facts);
		json_decref(keys);
		classify_outcome_clear(&cls);
		mime_message_free(&m);
	}
	safety_close(&c);
	log_set_level(level);
}

static const struct test_case classify_safety_cases[] = {
	{"contenders' rules hold a request with keywords alone", test_safety_contenders},
	{"never_auto mail under random and poisoned models: held-apart set",
	 test_safety_held_apart},
	{"never_auto mail under random and poisoned models: corpus", test_safety_corpus},
	{NULL, NULL},
};
TEST_SUITE("classify_safety", NULL, NULL, classify_safety_cases)
