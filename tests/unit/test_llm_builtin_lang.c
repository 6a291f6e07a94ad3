/* SPDX-License-Identifier: MIT */
/* Issue 17, items 3 and 4: the shipped templates answer the question asked,
 * in every category and language, with dates, numbers and greetings as the
 * language writes them; a missing language is said to the reviewer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/template/answer.h"
#include "agent/guard/guard_content.h"
#include "agent/llm/llm.h"
#include "daemon/config/config.h"
#include "daemon/lib/util.h"
#include "harness.h"

static const char *const lang_categories[] = {
	"stock_inquiry",  "order_status", "quote_request", "return_request",
	"address_change", "invoice_copy", "complaint",     "other",
};
static const char *const lang_languages[] = {"en", "de", "es", "fr"};

static char lang_tpl_dir[4096];

static const char lang_facts[] =
	"{\"inventory\":["
	"{\"key\":\"HP-20115\",\"found\":true,\"sku\":\"HP-20115\",\"name\":\"Deep groove ball "
	"bearing 6204-2RS\",\"name_de\":\"Rillenkugellager 6204-2RS\",\"qty_on_hand\":1200,"
	"\"unit_price_eur\":3.95,\"lead_time_days\":3,\"discontinued\":false},"
	"{\"key\":\"HP-20203\",\"found\":true,\"sku\":\"HP-20203\",\"name\":\"Pillow block "
	"UCP208\",\"qty_on_hand\":64,\"unit_price_eur\":28.75,\"lead_time_days\":7,"
	"\"discontinued\":false},"
	"{\"key\":\"HP-10227\",\"found\":true,\"sku\":\"HP-10227\",\"name\":\"Elbow 90deg\","
	"\"qty_on_hand\":0,\"unit_price_eur\":6.35,\"lead_time_days\":21,\"discontinued\":false}],"
	"\"quote\":{\"estimated_total_eur\":4024.0,\"lines\":["
	"{\"key\":\"HP-20115\",\"quantity\":200,\"confidence\":1},"
	"{\"key\":\"HP-20203\",\"quantity\":100,\"confidence\":1},"
	"{\"key\":\"HP-10227\",\"quantity\":50,\"confidence\":1}]},"
	"\"order\":[{\"key\":\"SO-204518\",\"found\":true,\"order_id\":\"SO-204518\","
	"\"customer_email\":\"tom@farm.example\",\"status\":\"shipped\",\"carrier\":\"DHL "
	"Express\",\"tracking_number\":\"JD014600006317750518\",\"ship_date\":\"2025-03-10\","
	"\"eta\":\"2025-03-17\",\"total_eur\":1284.6}]}";

static struct llm *lang_open(const char *dir)
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

/* Prepares facts as the pipeline does and drafts. Returns llm_draft()'s result. */
static int lang_draft(const char *dir, const char *category, const char *lang, const char *facts,
		      const char *customer, const char *text, enum stock_disclosure disclosure,
		      struct llm_draft *d)
{
	struct llm *llm = lang_open(dir);
	json_t *f = json_loads(facts, 0, NULL);
	struct answer_input ain = {lang, text, disclosure};
	struct llm_request req = {
		.categories = lang_categories,
		.categories_count = 8,
		.language = lang,
		.category_hint = category,
		.hint_confidence = 0.9,
		.hint_source = LLM_CONFIDENCE_KEYWORDS,
		.customer_name = customer,
	};
	struct llm_error err;
	int r = -1;

	memset(d, 0, sizeof(*d));
	if (llm != NULL && f != NULL && answer_prepare(f, &ain) == 0) {
		req.facts = f;
		r = llm_draft(llm, &req, d, &err);
	}
	json_decref(f);
	llm_close(&llm);
	return r;
}

/* Every category has a template in every language; none falls back. */
static void test_every_category_language(void)
{
	struct llm_draft d;
	char want[64];
	size_t c, l;

	for (c = 0; c < ARRAY_SIZE(lang_categories); c++) {
		for (l = 0; l < ARRAY_SIZE(lang_languages); l++) {
			CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, lang_categories[c],
							 lang_languages[l], lang_facts, NULL, "x",
							 STOCK_DISCLOSURE_ENOUGH, &d),
					      1);
			snprintf(want, sizeof(want), "%s.%s:", lang_categories[c],
				 lang_languages[l]);
			if (strncmp(d.prompt_version, want, strlen(want)) != 0)
				fprintf(stderr, "\n  %s: got %s\n", want, d.prompt_version);
			CU_ASSERT(strncmp(d.prompt_version, want, strlen(want)) == 0);
			CU_ASSERT_STRING_EQUAL(d.language, lang_languages[l]);
			CU_ASSERT(strlen(d.body) > 60);
			CU_ASSERT(strstr(d.body, "{{") == NULL && strstr(d.body, "(null)") == NULL);
			/* no ISO dates in a reply, whatever the language */
			CU_ASSERT(strstr(d.body, "2025-03-") == NULL);
			llm_draft_clear(&d);
		}
	}
}

/* Dates and amounts as each language writes them. */
static void test_localised_figures(void)
{
	static const struct {
		const char *category, *lang, *want;
	} t[] = {
		{"order_status", "de", "am 10.03.2025 mit DHL Express"},
		{"order_status", "de", "Voraussichtliche Zustellung: 17.03.2025"},
		{"order_status", "fr", "le 10/03/2025 avec DHL Express"},
		{"order_status", "es", "el 10/03/2025 con DHL Express"},
		{"order_status", "en", "on 10 March 2025 with DHL Express"},
		{"invoice_copy", "de", "Gesamtbetrag 1.284,60 EUR"},
		{"invoice_copy", "fr",
		 "montant total 1\xc2\xa0"
		 "284,60 EUR"},
		{"invoice_copy", "es", "importe total 1.284,60 EUR"},
		{"invoice_copy", "en", "total EUR 1,284.60"},
		{"quote_request", "de", "200 x 3,95 EUR = 790,00 EUR"},
		{"quote_request", "fr",
		 "Total aux prix catalogue : 4\xc2\xa0"
		 "024,00 EUR"},
		{"stock_inquiry", "de", "Rillenkugellager 6204-2RS"}, /* name_de */
	};
	struct llm_draft d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, t[i].category, t[i].lang, lang_facts,
						 "Tom Becker", "x", STOCK_DISCLOSURE_ENOUGH, &d),
				      1);
		if (strstr(d.body, t[i].want) == NULL)
			fprintf(stderr, "\n  %s.%s lacks '%s':\n%s\n", t[i].category, t[i].lang,
				t[i].want, d.body);
		CU_ASSERT_PTR_NOT_NULL(strstr(d.body, t[i].want));
		llm_draft_clear(&d);
	}
}

/* A person by name, a department or firm with the neutral greeting. */
static void test_greetings(void)
{
	static const struct {
		const char *lang, *name, *first_line;
	} t[] = {
		{"de", "Hoffmann Maschinenbau - Einkauf", "Sehr geehrte Damen und Herren,\n"},
		{"de", "Greta Hoffmann", "Guten Tag Greta Hoffmann,\n"},
		{"es",
		 "Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez",
		 "Buenos d\xc3\xad"
		 "as, Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez:\n"},
		{"es", "Compras Hidr\xc3\xa1ulica Sur SL",
		 "Buenos d\xc3\xad"
		 "as:\n"},
		{"fr",
		 "MART\xc3\x8d"
		 "NEZ, Sof\xc3\xad"
		 "a",
		 "Bonjour Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez,\n"},
		{"fr", "Service Achats", "Madame, Monsieur,\n"},
		{"en", "Accounts Payable", "Hello,\n"},
		{"en", "Rachel Kim", "Dear Rachel Kim,\n"},
	};
	struct llm_draft d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, "other", t[i].lang, "{}", t[i].name,
						 "x", STOCK_DISCLOSURE_ENOUGH, &d),
				      1);
		if (strncmp(d.body, t[i].first_line, strlen(t[i].first_line)) != 0)
			fprintf(stderr, "\n  %s '%s': got '%.60s'\n", t[i].lang, t[i].name, d.body);
		CU_ASSERT(strncmp(d.body, t[i].first_line, strlen(t[i].first_line)) == 0);
		llm_draft_clear(&d);
	}
}

/* The quantity asked: can it ship now, partly, or when; the stock figure
 * only as [agent] stock_disclosure allows. */
static void test_stock_answers(void)
{
	static const struct {
		enum stock_disclosure disclosure;
		const char *must[3];
		const char *must_not[3];
	} t[] = {
		{STOCK_DISCLOSURE_ENOUGH,
		 {"HP-20115 (Deep groove ball bearing 6204-2RS): all 200 can ship from stock now",
		  "HP-20203 (Pillow block UCP208): 64 of the 100 can ship from stock now, the "
		  "remaining 36 about 7 days after your order",
		  "HP-10227 (Elbow 90deg): currently out of stock. The quantity you asked for (50) "
		  "can be delivered about 21 days after your order"},
		 {"1,200", "in stock at", NULL}},
		{STOCK_DISCLOSURE_EXACT,
		 {"all 200 can ship from stock now (1,200 in stock)", "64 of the 100", NULL},
		 {NULL, NULL, NULL}},
		{STOCK_DISCLOSURE_NONE,
		 {"all 200 can ship from stock now", "part of the 100 can ship from stock now",
		  "a colleague will confirm the quantities"},
		 {"1,200", "64", "36"}},
	};
	struct llm_draft d;
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, "stock_inquiry", "en", lang_facts,
						 NULL, "x", t[i].disclosure, &d),
				      1);
		for (k = 0; k < 3; k++) {
			if ((t[i].must[k] != NULL && strstr(d.body, t[i].must[k]) == NULL) ||
			    (t[i].must_not[k] != NULL && strstr(d.body, t[i].must_not[k]) != NULL))
				fprintf(stderr, "\n  disclosure %d, '%s' / not '%s':\n%s\n",
					(int)t[i].disclosure, t[i].must[k] ? t[i].must[k] : "",
					t[i].must_not[k] ? t[i].must_not[k] : "", d.body);
			if (t[i].must[k] != NULL)
				CU_ASSERT_PTR_NOT_NULL(strstr(d.body, t[i].must[k]));
			if (t[i].must_not[k] != NULL)
				CU_ASSERT_PTR_NULL(strstr(d.body, t[i].must_not[k]));
		}
		llm_draft_clear(&d);
	}
}

/* A third party asks about someone else's order (the facts withheld), the
 * tracking number does not work, a complaint. */
static void test_answers_to_the_question(void)
{
	static const char withheld[] =
		"{\"order\":[{\"key\":\"SO-204518\",\"found\":true,\"withheld\":\"this order "
		"belongs to another customer\"}]}";
	struct llm_draft d;

	CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, "order_status", "en", withheld, NULL,
					 "where is order SO-204518?", STOCK_DISCLOSURE_ENOUGH, &d),
			      1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.body, "we can only share order details with the account "
					      "holder"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.body, "we will forward your message"));
	CU_ASSERT_PTR_NULL(strstr(d.body, "Here is the latest"));
	CU_ASSERT_PTR_NULL(strstr(d.body, ":\n\n"));
	llm_draft_clear(&d);

	CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, "order_status", "en", lang_facts, NULL,
					 "Hi, the tracking number you sent for SO-204518 doesn't "
					 "work on the DHL site.",
					 STOCK_DISCLOSURE_ENOUGH, &d),
			      1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.body, "left our warehouse on 10 March 2025 with DHL "
					      "Express"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.body, "a colleague will contact DHL Express for you"));
	llm_draft_clear(&d);

	CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, "order_status", "de", lang_facts, NULL,
					 "Die Sendungsnummer funktioniert leider nicht.",
					 STOCK_DISCLOSURE_ENOUGH, &d),
			      1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.body, "wendet sich ein Kollege für Sie an DHL Express"));
	llm_draft_clear(&d);

	CU_ASSERT_EQUAL_FATAL(lang_draft(lang_tpl_dir, "complaint", "en", lang_facts, NULL,
					 "This is the third time your delivery is late.",
					 STOCK_DISCLOSURE_ENOUGH, &d),
			      1);
	CU_ASSERT_TRUE(d.needs_human);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.needs_human_reason, "person"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.body, "- Order SO-204518: shipped on 10 March 2025 with "
					      "DHL Express, tracking number JD014600006317750518, "
					      "expected delivery 17 March 2025."));
	llm_draft_clear(&d);
}

static void lang_write(const char *dir, const char *name, const char *text)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* A category without a template in the customer's language is drafted in
 * English and the guardrails say so: never sent on its own. */
static void test_language_fallback(void)
{
	char dir[4096];
	struct llm_draft d;
	struct guard_result res;
	struct guard_content_input in;
	const char *base = test_write_file("lang_fallback", "");

	snprintf(dir, sizeof(dir), "%s.d", base);
	mkdir(dir, 0755);
	lang_write(dir, "invoice_copy.en.txt",
		   "Subject: x\nHello,\n\nThank you for your message. We will send the copy of "
		   "your invoice shortly.\n\nKind regards\n");
	CU_ASSERT_EQUAL_FATAL(
		lang_draft(dir, "invoice_copy", "de", "{}", NULL, "x", STOCK_DISCLOSURE_ENOUGH, &d),
		1);
	CU_ASSERT_STRING_EQUAL(d.language, "en");
	memset(&in, 0, sizeof(in));
	memset(&res, 0, sizeof(res));
	in.body = d.body;
	in.customer_text = "Bitte senden Sie uns eine Kopie der Rechnung.";
	in.customer_lang = "de";
	in.draft_lang = d.language;
	in.category = "invoice_copy";
	CU_ASSERT_EQUAL(guard_content_check(&in, &res), 1);
	CU_ASSERT_STRING_EQUAL(res.flags[0].name, "language_fallback");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.flags[0].detail, "no de template for invoice_copy"));
	llm_draft_clear(&d);
}

/* The probe parses every language's template: a broken German one keeps
 * automatic replies off before the first German mail fails. */
static void test_probe_languages(void)
{
	struct llm_request req = {.categories = lang_categories, .categories_count = 8};
	struct llm_probe probe;
	struct llm *llm = lang_open(lang_tpl_dir);
	const char *base = test_write_file("lang_probe", "");
	char dir[4096];

	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_TRUE(probe.auto_reply_ok);
	CU_ASSERT_PTR_NOT_NULL(strstr(probe.detail, "; 0 category languages fall back to English"));
	llm_close(&llm);

	snprintf(dir, sizeof(dir), "%s.d", base);
	mkdir(dir, 0755);
	lang_write(dir, "other.en.txt", "Subject: x\nHello\n");
	lang_write(dir, "other.de.txt", "Subject: x\n{{#if greeting_name}}Guten Tag\n");
	req.categories_count = 1;
	req.categories = (const char *const[]){"other"};
	llm = lang_open(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(llm);
	CU_ASSERT_EQUAL(llm_probe(llm, &req, &probe), 0);
	CU_ASSERT_FALSE(probe.auto_reply_ok);
	CU_ASSERT_PTR_NOT_NULL(strstr(probe.detail, "template other.de:"));
	llm_close(&llm);
}

static int lang_init(void)
{
	snprintf(lang_tpl_dir, sizeof(lang_tpl_dir), "%s/deploy/templates", test_src_dir());
	return 0;
}

static const struct test_case llm_builtin_lang_cases[] = {
	{"every category has a template in en, de, es, fr", test_every_category_language},
	{"dates, amounts and product names in the reply's language", test_localised_figures},
	{"greeting by a person's name, else neutral; every letter kept", test_greetings},
	{"stock replies answer the quantity asked, disclosure as configured", test_stock_answers},
	{"third party, broken tracking number, complaint", test_answers_to_the_question},
	{"a missing language is flagged to the reviewer", test_language_fallback},
	{"the probe parses every language's template", test_probe_languages},
	{NULL, NULL},
};

TEST_SUITE("llm_builtin_lang", lang_init, NULL, llm_builtin_lang_cases)
