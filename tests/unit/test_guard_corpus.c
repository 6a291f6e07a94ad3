/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/guard.h"
#include "agent/template/answer.h"
#include "agent/llm/llm.h"
#include "daemon/config/config.h"
#include "daemon/lib/util.h"
#include "harness.h"
#include "test_classify_corpus.h"

/* The guardrails against real drafts: every corpus request drafted by the
 * builtin backend (deploy/templates) from facts read straight from the data
 * files must pass without a flag, except where the guardrail is right to
 * object (a request for another customer's order). */

static const char *const guard_corpus_categories[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "complaint",     "other",
};

/* Rows of a quote-free CSV file as objects of its header's columns. */
static json_t *guard_csv(const char *path)
{
	char *data = NULL, *line, *save = NULL, *cell, *csave;
	json_t *rows = json_array(), *header = json_array(), *row;
	size_t len, col;

	if (file_read_all(path, 1 << 20, &data, &len, NULL) < 0) {
		json_decref(rows);
		json_decref(header);
		return NULL;
	}
	for (line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		row = json_array_size(header) > 0 ? json_object() : NULL;
		col = 0;
		for (cell = line; cell != NULL; col++) {
			char *comma = strchr(cell, ',');

			if (comma != NULL)
				*comma = '\0';
			csave = cell;
			cell = comma != NULL ? comma + 1 : NULL;
			if (row == NULL)
				json_array_append_new(header, json_string(csave));
			else if (col < json_array_size(header))
				json_object_set_new(row,
						    json_string_value(json_array_get(header, col)),
						    json_string(csave));
		}
		if (row != NULL)
			json_array_append_new(rows, row);
	}
	free(data);
	json_decref(header);
	return rows;
}

/* Facts for the keys of a label, in the rules' shape (values as strings,
 * as the CSV connector gives them without declared fields). */
static json_t *guard_corpus_facts(const json_t *label, const json_t *inv, const json_t *orders)
{
	json_t *facts = json_pack("{s:[],s:[]}", "inventory", "order"), *k, *r, *e;
	const struct {
		const char *label, *ns, *col;
		const json_t *table;
	} kinds[] = {{"skus", "inventory", "sku", inv}, {"orders", "order", "order_id", orders}};
	size_t i, j, t;

	for (t = 0; t < 2; t++) {
		json_array_foreach(json_object_get(label, kinds[t].label), i, k)
		{
			e = NULL;
			json_array_foreach(kinds[t].table, j, r)
			{
				if (json_equal(json_object_get(r, kinds[t].col), k))
					e = json_deep_copy(r);
			}
			if (e == NULL)
				e = json_pack("{s:b}", "found", 0);
			else
				json_object_set_new(e, "found", json_true());
			json_object_set(e, "key", k);
			json_array_append_new(json_object_get(facts, kinds[t].ns), e);
		}
	}
	return facts;
}

static void test_guard_corpus_drafts(void)
{
	static const char *const company[] = {"support@harborparts.example"};
	struct classify_corpus corpus;
	struct config config;
	struct llm *llm = NULL;
	struct llm_error err;
	struct llm_draft d;
	struct guard_input in;
	struct guard_result res;
	json_t *inv = NULL, *orders = NULL, *facts;
	char path[4096], dir[4096];
	size_t i, k, drafted = 0, clean = 0, mutated = 0;
	int r = classify_corpus_load(&corpus);

	CU_ASSERT_TRUE_FATAL(r >= 0);
	if (r == 0) {
		printf("\nguard corpus: SKIPPED (no ../shared/corpus)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/data/inventory.csv", test_corpus_dir());
	inv = guard_csv(path);
	snprintf(path, sizeof(path), "%s/data/orders.csv", test_corpus_dir());
	orders = guard_csv(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(orders);
	memset(&config, 0, sizeof(config));
	snprintf(dir, sizeof(dir), "%s/deploy/templates", test_src_dir());
	config.model.backend = MODEL_BACKEND_BUILTIN;
	config.model.templates_dir = dir;
	CU_ASSERT_EQUAL_FATAL(llm_open(&config, NULL, &llm, &err), 0);
	for (i = 0; i < corpus.count; i++) {
		const struct classify_corpus_mail *m = &corpus.mails[i];
		const char *cat = classify_corpus_label(m, "category");
		struct llm_request req = {
			.categories = guard_corpus_categories,
			.categories_count = 8,
			.language = classify_corpus_label(m, "language"),
			.category_hint = cat,
			.hint_confidence = 0.9,
			.hint_source = LLM_CONFIDENCE_KEYWORDS,
		};

		if (strcmp(cat, "none") == 0)
			continue;
		facts = guard_corpus_facts(m->label, inv, orders);
		/* prepared as the pipeline does; every stock figure written out */
		struct answer_input ain = {req.language, m->msg->text, STOCK_DISCLOSURE_EXACT};
		CU_ASSERT_EQUAL(answer_prepare(facts, &ain), 0);
		req.facts = facts;
		memset(&d, 0, sizeof(d));
		if (llm_draft(llm, &req, &d, &err) != 1) {
			json_decref(facts);
			continue; /* a missing fact means no draft: not the guard's business */
		}
		drafted++;
		memset(&in, 0, sizeof(in));
		in.subject = d.subject;
		in.body = d.body;
		in.customer = m->msg->from_addr;
		in.reply_to = m->msg->reply_to;
		in.company = company;
		in.company_count = 1;
		in.facts = facts;
		in.request_text = m->msg->text;
		r = guard_check(&in, &res);
		CU_ASSERT_TRUE(r >= 0);
		if (res.count == 0)
			clean++;
		if (getenv("GUARD_CORPUS_SHOW") != NULL)
			printf("\n--- %s\n%s\n%s", m->file, d.subject, d.body);
		for (k = 0; k < res.count; k++) {
			/* 013 asks for SO-204539, 018 (a look-alike domain) for
			 * SO-204514: both belong to someone else */
			bool expected = strcmp(res.flags[k].name, "order_not_senders") == 0 &&
					(strncmp(m->file, "013-", 4) == 0 ||
					 strncmp(m->file, "018-", 4) == 0);

			printf("\nguard corpus: %s: %s: %s%s", m->file, res.flags[k].name,
			       res.flags[k].detail, expected ? " (expected)" : "");
			CU_ASSERT_TRUE(expected);
		}
		/* every figure shifted by one digit: the guardrails must object */
		{
			char *p;
			bool digits = false;

			for (p = d.body; *p != '\0'; p++)
				if (*p >= '0' && *p <= '9') {
					*p = (char)('0' + (*p - '0' + 1) % 10);
					digits = true;
				}
			if (digits) {
				mutated++;
				CU_ASSERT_TRUE(guard_check(&in, &res) > 0);
				if (res.count == 0)
					printf("\nguard corpus: %s: shifted digits not flagged",
					       m->file);
			}
		}
		llm_draft_clear(&d);
		json_decref(facts);
	}
	printf("\nguard corpus: %zu builtin drafts, %zu without a flag, %zu with shifted "
	       "figures all flagged\n",
	       drafted, clean, mutated);
	CU_ASSERT_TRUE(drafted >= 20);
	llm_close(&llm);
	json_decref(inv);
	json_decref(orders);
	classify_corpus_free(&corpus);
}

static const struct test_case guard_corpus_cases[] = {
	{"builtin drafts of the corpus pass the guardrails", test_guard_corpus_drafts},
	{NULL, NULL},
};
TEST_SUITE("guard_corpus", NULL, NULL, guard_corpus_cases)
