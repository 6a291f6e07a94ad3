/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template/answer.h"
#include "agent/pipeline/facts.h"
#include "agent/llm/llm.h"
#include "daemon/config/config.h"
#include "harness.h"
#include "test_conn_corpus.h"

/* Acceptance: the corpus's stock and order mails, their facts looked up by
 * agent/pipeline/facts.c in the corpus CSVs, drafted by the builtin backend with the
 * shipped templates. Every SKU and order the label expects and the data
 * holds must be in the draft; no slot may be left unfilled. */

static const char *const cats[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "complaint",     "other",
};

struct corpus_setup {
	struct config config;
	struct connector_config conns[2];
	struct config_kv kv[2][2];
	char inv_path[4096], ord_path[4096], tpl_dir[4096];
};

static void corpus_config(struct corpus_setup *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->inv_path, sizeof(s->inv_path), "%s/data/inventory.csv", dir);
	snprintf(s->ord_path, sizeof(s->ord_path), "%s/data/orders.csv", dir);
	snprintf(s->tpl_dir, sizeof(s->tpl_dir), "%s/deploy/templates", test_src_dir());
	s->kv[0][0] = (struct config_kv){(char *)"key", (char *)"sku", 1};
	s->kv[0][1] = (struct config_kv){(char *)"path", s->inv_path, 2};
	s->kv[1][0] = (struct config_kv){(char *)"key", (char *)"order", 3};
	s->kv[1][1] = (struct config_kv){(char *)"path", s->ord_path, 4};
	s->conns[0] = (struct connector_config){.name = (char *)"inventory",
						.type = (char *)"csv",
						.timeout_ms = 1000,
						.options = s->kv[0],
						.options_count = 2};
	s->conns[1] = (struct connector_config){.name = (char *)"order",
						.type = (char *)"csv",
						.timeout_ms = 1000,
						.options = s->kv[1],
						.options_count = 2};
	s->config.connectors = s->conns;
	s->config.connectors_count = 2;
	s->config.model.backend = MODEL_BACKEND_BUILTIN;
	s->config.model.templates_dir = s->tpl_dir;
}

/* The keys of kind in label that facts found. */
static void check_keys(const json_t *label, const char *label_key, const json_t *facts,
		       const char *ns, const char *body, const char *file)
{
	const json_t *k, *item;
	size_t i, j;
	bool found;

	json_array_foreach(json_object_get(label, label_key), i, k)
	{
		found = false;
		json_array_foreach(json_object_get(facts, ns), j, item)
		{
			found |= json_equal(json_object_get(item, "key"), k) &&
				 json_is_true(json_object_get(item, "found"));
		}
		if (found && strstr(body, json_string_value(k)) == NULL)
			fprintf(stderr, "\n  %s: %s missing from the draft:\n%s\n", file,
				json_string_value(k), body);
		CU_ASSERT(!found || strstr(body, json_string_value(k)) != NULL);
	}
}

static void test_corpus_drafts(void)
{
	const char *dir = test_corpus_dir();
	struct corpus_setup *s;
	struct facts_sources *sources = NULL;
	struct llm *llm = NULL;
	struct llm_error err;
	struct llm_draft d;
	struct corpus_msg msg;
	json_t *labels, *label, *facts, *keys;
	const char *category, *file;
	struct error ferr;
	char path[4096], *text;
	size_t i, drafted = 0;

	if (dir == NULL) {
		printf("SKIPPED: corpus not found (set DRAFTD_CORPUS) ... ");
		return;
	}
	s = calloc(1, sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	corpus_config(s, dir);
	labels = corpus_labels(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(labels);
	CU_ASSERT_EQUAL_FATAL(facts_open(&s->config, &sources, &ferr), 0);
	CU_ASSERT_EQUAL_FATAL(llm_open(&s->config, NULL, &llm, &err), 0);
	json_array_foreach(labels, i, label)
	{
		category = json_string_value(json_object_get(label, "category"));
		file = json_string_value(json_object_get(label, "file"));
		if (category == NULL || file == NULL ||
		    (strcmp(category, "stock_inquiry") != 0 &&
		     strcmp(category, "order_status") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/mail/%s", dir, file);
		CU_ASSERT_EQUAL_FATAL(corpus_msg_read(path, &msg), 0);
		text = NULL;
		CU_ASSERT_FATAL(asprintf(&text, "%s\n%s", msg.subject != NULL ? msg.subject : "",
					 msg.body != NULL ? msg.body : "") > 0);
		facts = keys = NULL;
		CU_ASSERT(facts_gather(sources, text, &facts, &keys) >= 0);
		/* as the pipeline prepares the draft's facts (agent/template/answer.h) */
		struct answer_input ain = {json_string_value(json_object_get(label, "language")),
					   msg.body, STOCK_DISCLOSURE_ENOUGH};
		CU_ASSERT_EQUAL(answer_prepare(facts, &ain), 0);
		struct llm_request req = {
			.categories = cats,
			.categories_count = 8,
			.language = json_string_value(json_object_get(label, "language")),
			.facts = facts,
			.category_hint = category,
			.hint_confidence = 0.9,
			.hint_source = LLM_CONFIDENCE_KEYWORDS,
		};
		CU_ASSERT_EQUAL_FATAL(llm_draft(llm, &req, &d, &err), 1);
		CU_ASSERT_FALSE(d.needs_human);
		CU_ASSERT(strstr(d.body, "{{") == NULL && strstr(d.body, "(null)") == NULL);
		if (getenv("DRAFTD_TEST_SHOW_DRAFTS") != NULL)
			fprintf(stderr, "\n--- %s [%s]\n%s\n", file, d.prompt_version, d.body);
		check_keys(label, "skus", facts, "inventory", d.body, file);
		check_keys(label, "orders", facts, "order", d.body, file);
		drafted++;
		llm_draft_clear(&d);
		json_decref(facts);
		json_decref(keys);
		free(text);
		corpus_msg_free(&msg);
	}
	CU_ASSERT(drafted >= 10);
	llm_close(&llm);
	facts_close(&sources);
	json_decref(labels);
	free(s);
}

static const struct test_case llm_builtin_corpus_cases[] = {
	{"drafts the corpus's stock and order mails from looked-up facts", test_corpus_drafts},
	{NULL, NULL},
};

TEST_SUITE("llm_builtin_corpus", NULL, NULL, llm_builtin_corpus_cases)
