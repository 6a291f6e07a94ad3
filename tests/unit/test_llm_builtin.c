/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/template/answer.h"
#include "agent/llm/llm.h"
#include "daemon/config/config.h"
#include "harness.h"

static const char *const all_categories[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "complaint",     "other",
};

static char templates_dir[4096];

static struct llm *builtin_open_dir(const char *dir)
{
	struct config config;
	struct llm_error err;
	struct llm *llm = NULL;

	memset(&config, 0, sizeof(config));
	config.model.backend = MODEL_BACKEND_BUILTIN;
	config.model.templates_dir = (char *)dir;
	if (llm_open(&config, NULL, &llm, &err) < 0)
		fprintf(stderr, "\n  llm_open: %s\n", error_msg(&err.err));
	return llm;
}

/* The stock disclosure and customer text builtin_run() prepares with. */
static enum stock_disclosure run_disclosure = STOCK_DISCLOSURE_EXACT;
static const char *run_text;

/* Drafts category/lang from facts (JSON), prepared as the pipeline does
 * (agent/template/answer.h); returns llm_draft()'s result. */
static int builtin_run(const char *dir, const char *category, const char *lang, const char *facts,
		       const char *customer, struct llm_draft *d, struct llm_error *err)
{
	struct llm *llm = builtin_open_dir(dir);
	json_t *f = facts != NULL ? json_loads(facts, 0, NULL) : NULL;
	struct answer_input ain = {lang, run_text, run_disclosure};

	if (f != NULL && answer_prepare(f, &ain) < 0)
		CU_FAIL("answer_prepare");
	struct llm_request req = {
		.categories = all_categories,
		.categories_count = 8,
		.language = lang,
		.facts = f,
		.category_hint = category,
		.hint_confidence = 0.8,
		.hint_source = LLM_CONFIDENCE_KEYWORDS,
		.customer_name = customer,
	};
	int r = -1;

	if (llm != NULL)
		r = llm_draft(llm, &req, d, err);
	json_decref(f);
	llm_close(&llm);
	return r;
}

static const char stock_facts[] =
	"{\"inventory\":[{\"sku\":\"HP-20115\",\"name\":\"Deep groove ball bearing 6204-2RS\","
	"\"qty_on_hand\":1200,\"unit_price_eur\":3.95,\"lead_time_days\":3,\"discontinued\":false},"
	"{\"sku\":\"HP-20203\",\"name\":\"Pillow block bearing unit UCP208\",\"qty_on_hand\":64,"
	"\"unit_price_eur\":28.75,\"lead_time_days\":7,\"discontinued\":false}]}";

static void test_stock_full_facts(void)
{
	struct llm_draft d;
	struct llm_error err;
	json_t *want = json_pack("[s,s]", "inventory:HP-20115", "inventory:HP-20203");

	CU_ASSERT_EQUAL_FATAL(builtin_run(templates_dir, "stock_inquiry", "en", stock_facts,
					  "Ms Keller", &d, &err),
			      1);
	CU_ASSERT_STRING_EQUAL(d.category, "stock_inquiry");
	CU_ASSERT_STRING_EQUAL(d.subject, "Availability of the requested parts");
	CU_ASSERT(strncmp(d.body, "Dear Ms Keller,\n", 16) == 0);
	CU_ASSERT(strstr(d.body,
			 "- HP-20115 (Deep groove ball bearing 6204-2RS): 1,200 in stock at "
			 "EUR 3.95 per unit, lead time 3 days.") != NULL);
	CU_ASSERT(strstr(d.body,
			 "- HP-20203 (Pillow block bearing unit UCP208): 64 in stock at EUR "
			 "28.75 per unit") != NULL);
	CU_ASSERT(strstr(d.body, "part numbers") == NULL);
	CU_ASSERT(strstr(d.body, "{{") == NULL);
	CU_ASSERT(json_equal(d.facts_used, want));
	CU_ASSERT_DOUBLE_EQUAL(d.confidence, 0.8, 1e-9);
	CU_ASSERT_EQUAL(d.confidence_source, LLM_CONFIDENCE_KEYWORDS);
	CU_ASSERT_FALSE(d.needs_human);
	CU_ASSERT_STRING_EQUAL(d.model, "builtin");
	CU_ASSERT(strncmp(d.prompt_version, "stock_inquiry.en:", 17) == 0 &&
		  strlen(d.prompt_version) == 17 + 16);
	llm_draft_clear(&d);
	json_decref(want);
}

struct branch_case {
	const char *facts;
	const char *must;     /* in the body */
	const char *must_not; /* not in the body */
};

static const struct branch_case branch_cases[] = {
	/* out of stock: backorder with the lead time */
	{"{\"inventory\":[{\"sku\":\"HP-10227\",\"name\":\"Elbow\",\"qty_on_hand\":0,"
	 "\"unit_price_eur\":6.35,\"lead_time_days\":21,\"discontinued\":false}]}",
	 "- HP-10227 (Elbow): currently out of stock. We can take a backorder at EUR 6.35 per unit "
	 "with a lead time of 21 days.",
	 "in stock at"},
	/* discontinued */
	{"{\"inventory\":[{\"sku\":\"HP-30410\",\"name\":\"Seal kit\",\"qty_on_hand\":3,"
	 "\"unit_price_eur\":12.0,\"lead_time_days\":0,\"discontinued\":true}]}",
	 "- HP-30410 (Seal kit) has been discontinued and will not be restocked.", "in stock"},
	/* no price: the availability sentence is dropped, nothing invented */
	{"{\"inventory\":[{\"sku\":\"HP-20115\",\"name\":\"Bearing\",\"qty_on_hand\":1200,"
	 "\"lead_time_days\":3,\"discontinued\":false}]}",
	 "Thank you for your inquiry.", "HP-20115"},
	/* no quantity: neither the in-stock nor the out-of-stock sentence */
	{"{\"inventory\":[{\"sku\":\"HP-20115\",\"name\":\"Bearing\",\"unit_price_eur\":3.95,"
	 "\"discontinued\":false}]}",
	 "Thank you for your inquiry.", "HP-20115"},
	/* unknown SKU */
	{"{\"inventory\":[{\"key\":\"HP-99999\",\"found\":false}]}",
	 "- HP-99999: we could not find this part number", "in stock"},
	/* the connector failed (found null): nothing is said about the item */
	{"{\"inventory\":[{\"key\":\"HP-20115\",\"found\":null}]}", "Thank you for your inquiry.",
	 "HP-20115"},
	/* no facts at all: ask for the part numbers */
	{"{}", "Could you tell us the part numbers", "EUR"},
	{NULL, NULL, NULL},
};

static void test_stock_branches(void)
{
	const struct branch_case *c;
	struct llm_draft d;
	struct llm_error err;

	for (c = branch_cases; c->facts != NULL; c++) {
		CU_ASSERT_EQUAL_FATAL(
			builtin_run(templates_dir, "stock_inquiry", "en", c->facts, NULL, &d, &err),
			1);
		if (strstr(d.body, c->must) == NULL || strstr(d.body, c->must_not) != NULL)
			fprintf(stderr, "\n  facts %s gave:\n%s\n", c->facts, d.body);
		CU_ASSERT(strncmp(d.body, "Hello,\n", 7) == 0);
		CU_ASSERT(strstr(d.body, c->must) != NULL);
		CU_ASSERT(strstr(d.body, c->must_not) == NULL);
		CU_ASSERT(strstr(d.body, "(null)") == NULL);
		llm_draft_clear(&d);
	}
}

static void test_order_languages(void)
{
	static const char facts[] =
		"{\"order\":[{\"order_id\":\"SO-204518\",\"status\":\"shipped\",\"carrier\":\"DHL "
		"Express\",\"tracking_number\":\"JD014600006317750518\",\"ship_date\":\"2025-03-"
		"10\","
		"\"eta\":\"2025-03-17\"}]}";
	static const struct {
		const char *lang, *version, *line;
	} cases[] = {
		{"en", "order_status.en:", "Tracking number: JD014600006317750518"},
		{"de", "order_status.de:", "Sendungsnummer: JD014600006317750518"},
		{"es", "order_status.es:", "Entrega prevista: 17/03/2025"},
		{"fr", "order_status.fr:", "Livraison prévue : 17/03/2025"},
		{"it", "order_status.en:", "Expected delivery: 17 March 2025"},
		{NULL, "order_status.en:", "left our warehouse on 10 March 2025 with DHL Express"},
		{"../x", "order_status.en:", "Order SO-204518"},
	};
	struct llm_draft d;
	struct llm_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(builtin_run(templates_dir, "order_status", cases[i].lang,
						  facts, NULL, &d, &err),
				      1);
		CU_ASSERT(strncmp(d.prompt_version, cases[i].version, strlen(cases[i].version)) ==
			  0);
		CU_ASSERT(strstr(d.body, cases[i].line) != NULL);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(d.facts_used, 0)),
				       "order:SO-204518");
		llm_draft_clear(&d);
	}
}

static void test_unknown_category(void)
{
	struct llm_draft d;
	struct llm_error err;

	CU_ASSERT_EQUAL_FATAL(builtin_run(templates_dir, "refund", "en", "{}", NULL, &d, &err), 1);
	CU_ASSERT_TRUE(d.needs_human);
	CU_ASSERT_STRING_EQUAL(d.needs_human_reason, "no known category to draft for");
	CU_ASSERT_STRING_EQUAL(d.body, "");
	llm_draft_clear(&d);
}

static const char *scratch_dir(void)
{
	static char dir[4096];
	const char *path = test_write_file("llm_builtin_probe", "");

	snprintf(dir, sizeof(dir), "%s.d", path);
	mkdir(dir, 0755);
	return dir;
}

static void write_in(const char *dir, const char *name, const char *text)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void test_malformed_template(void)
{
	const char *dir = scratch_dir();
	struct llm_draft d;
	struct llm_error err;
	struct llm_probe probe;
	struct llm_request req = {.categories = all_categories, .categories_count = 1};
	struct llm *llm;

	write_in(dir, "stock_inquiry.en.txt", "Subject: x\n{{#inventory}}\n{{sku}}\n");
	CU_ASSERT_EQUAL(builtin_run(dir, "stock_inquiry", "en", stock_facts, NULL, &d, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_CONFIG);
	CU_ASSERT_STRING_EQUAL(error_msg(&err.err), "template stock_inquiry.en: line 2: unclosed "
						    "{{#inventory}}");
	CU_ASSERT_PTR_NULL(d.body);
	llm = builtin_open_dir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_FALSE(probe.auto_reply_ok);
	CU_ASSERT(strstr(probe.detail, "line 2: unclosed") != NULL);
	llm_close(&llm);

	/* no template at all for the category: a human writes it */
	CU_ASSERT_EQUAL(builtin_run(dir, "complaint", "en", "{}", NULL, &d, &err), 1);
	CU_ASSERT_TRUE(d.needs_human);
	CU_ASSERT_STRING_EQUAL(d.needs_human_reason, "no template for category complaint");
	llm_draft_clear(&d);
}

static void test_probe_shipped_templates(void)
{
	struct llm_request req = {.categories = all_categories, .categories_count = 8};
	struct llm_probe probe;
	struct llm *llm = builtin_open_dir(templates_dir);
	struct llm_error err;
	struct config config;

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_TRUE(probe.auto_reply_ok);
	CU_ASSERT(strstr(probe.detail, "; 0 categories without a template") != NULL);
	llm_close(&llm);
	CU_ASSERT_PTR_NULL(llm);

	memset(&config, 0, sizeof(config));
	config.model.templates_dir = "/nonexistent/templates";
	CU_ASSERT_EQUAL(llm_open(&config, NULL, &llm, &err), -1);
	CU_ASSERT_EQUAL(err.kind, LLM_ERROR_CONFIG);
	CU_ASSERT(strstr(error_msg(&err.err), "/nonexistent/templates") != NULL);
	CU_ASSERT_EQUAL(llm_open_name("gpt5", &config, NULL, &llm, &err), -1);
	CU_ASSERT_STRING_EQUAL(error_msg(&err.err), "unknown model backend \"gpt5\"");
}

static int builtin_init(void)
{
	snprintf(templates_dir, sizeof(templates_dir), "%s/deploy/templates", test_src_dir());
	return 0;
}

static const struct test_case llm_builtin_cases[] = {
	{"drafts a stock reply from full facts", test_stock_full_facts},
	{"out of stock, discontinued, missing facts", test_stock_branches},
	{"order status per language with English fallback", test_order_languages},
	{"an unknown category goes to a human", test_unknown_category},
	{"a malformed template is an error with its line", test_malformed_template},
	{"the shipped templates all parse", test_probe_shipped_templates},
	{NULL, NULL},
};

TEST_SUITE("llm_builtin", builtin_init, NULL, llm_builtin_cases)
