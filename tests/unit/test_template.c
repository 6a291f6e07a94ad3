/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/template/template.h"
#include "harness.h"

struct render_case {
	const char *name;
	const char *tpl;
	const char *facts; /* JSON */
	const char *want;
};

static const char inv2[] =
	"{\"inventory\":[{\"sku\":\"HP-20115\",\"name\":\"Bearing 6204\",\"qty_on_hand\":1200,"
	"\"unit_price_eur\":3.95,\"lead_time_days\":3,\"discontinued\":false},"
	"{\"sku\":\"HP-10227\",\"name\":\"Elbow\",\"qty_on_hand\":0,\"unit_price_eur\":6.35,"
	"\"lead_time_days\":21,\"discontinued\":false},"
	"{\"sku\":\"HP-30001\",\"name\":\"Old seal\",\"qty_on_hand\":4,\"unit_price_eur\":2.5,"
	"\"lead_time_days\":0,\"discontinued\":true}]}";

static const char stock_tpl[] = "{{#inventory}}\n"
				"{{#if discontinued == true}}\n"
				"{{sku}} discontinued.\n"
				"{{else}}\n"
				"{{#if qty_on_hand > 0}}\n"
				"{{sku}}: {{qty_on_hand}} at EUR {{unit_price_eur}}.\n"
				"{{else}}\n"
				"{{sku}}: out of stock, {{lead_time_days}} days.\n"
				"{{/if}}\n"
				"{{/if}}\n"
				"{{/inventory}}\n";

static const struct render_case render_cases[] = {
	{"plain value", "Hi {{name}}.", "{\"name\":\"Ann\"}", "Hi Ann."},
	{"spaces in tags", "Hi {{ name }}.", "{\"name\":\"Ann\"}", "Hi Ann."},
	{"missing value drops its line only", "A\nB {{x}} here\nC", "{}", "A\nC"},
	{"null counts as missing", "A\nB {{x}}\nC", "{\"x\":null}", "A\nC"},
	{"object value is missing", "A\nB {{x}}\nC", "{\"x\":{}}", "A\nC"},
	{"numbers", "{{i}} {{r}} {{p}} {{b}}", "{\"i\":1200,\"r\":3.95,\"p\":23.5,\"b\":true}",
	 "1200 3.95 23.50 yes"},
	{"list block repeats, tag lines vanish", "{{#inventory}}\n- {{sku}}\n{{/inventory}}\nend",
	 inv2, "- HP-20115\n- HP-10227\n- HP-30001\nend"},
	{"in stock, out of stock, discontinued", stock_tpl, inv2,
	 "HP-20115: 1200 at EUR 3.95.\nHP-10227: out of stock, 21 days.\nHP-30001 discontinued."},
	{"comparison on a missing fact renders neither branch", stock_tpl,
	 "{\"inventory\":[{\"sku\":\"HP-1\",\"discontinued\":false}]}", ""},
	{"missing price drops the sentence, keeps the others", stock_tpl,
	 "{\"inventory\":[{\"sku\":\"HP-1\",\"qty_on_hand\":5,\"discontinued\":false},"
	 "{\"sku\":\"HP-2\",\"qty_on_hand\":0,\"lead_time_days\":9,\"discontinued\":false}]}",
	 "HP-2: out of stock, 9 days."},
	{"dotted path through the enclosing block",
	 "{{#order}}\n{{order.order_id}} is {{order.status}}, {{status}}.\n{{/order}}",
	 "{\"order\":[{\"order_id\":\"SO-1\",\"status\":\"shipped\"}]}",
	 "SO-1 is shipped, shipped."},
	{"dotted path outside a block, one order", "ETA {{order.eta}}.",
	 "{\"order\":[{\"order_id\":\"SO-1\",\"eta\":\"2025-03-17\"}]}", "ETA 2025-03-17."},
	{"dotted path outside a block, two orders is ambiguous", "x\nETA {{order.eta}}.",
	 "{\"order\":[{\"eta\":\"2025-03-17\"},{\"eta\":\"2025-03-18\"}]}", "x"},
	{"root value inside a block", "{{#order}}\n{{customer_name}}: {{order_id}}\n{{/order}}",
	 "{\"customer_name\":\"Ann\",\"order\":[{\"order_id\":\"SO-1\"}]}", "Ann: SO-1"},
	{"string equality", "{{#if s == \"shipped\"}}yes{{else}}no{{/if}}", "{\"s\":\"shipped\"}",
	 "yes"},
	{"string inequality", "{{#if s != \"shipped\"}}yes{{else}}no{{/if}}",
	 "{\"s\":\"delivered\"}", "yes"},
	{"presence test", "{{#if name}}Dear {{name}},{{else}}Hello,{{/if}}", "{}", "Hello,"},
	{"negated presence", "{{#if !inventory}}Which part?{{/if}}", "{\"inventory\":[]}",
	 "Which part?"},
	{"type mismatch renders neither", "a{{#if q > 1}}b{{else}}c{{/if}}", "{\"q\":\"many\"}",
	 "a"},
	{"a numeric string compares as a number", "a{{#if q > 1}}b{{else}}c{{/if}}",
	 "{\"q\":\"5\"}", "ab"},
	{"a \"false\" string compares as a boolean", "{{#if d == false}}kept{{/if}}",
	 "{\"d\":\"false\"}", "kept"},
	{"empty block renders nothing", "{{#inventory}}x{{/inventory}}", "{\"inventory\":[]}", ""},
	{"comment dropped", "{{! note for editors }}\nHello", "{}", "Hello"},
	{"blank lines collapse", "A\n\n{{x}}\n\n\nB\n\n", "{}", "A\n\nB"},
	{"values are not re-parsed", "{{v}}", "{\"v\":\"{{secret}}\"}", "{{secret}}"},
	{NULL, NULL, NULL, NULL},
};

static void test_render_table(void)
{
	const struct render_case *c;
	struct template *tpl;
	json_t *facts;
	struct error err = {0};
	char *out;

	for (c = render_cases; c->name != NULL; c++) {
		tpl = NULL;
		out = NULL;
		error_clear(&err);
		facts = json_loads(c->facts, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(facts);
		CU_ASSERT_EQUAL(template_parse(c->tpl, strlen(c->tpl), &tpl, &err), 0);
		if (tpl != NULL) {
			CU_ASSERT_EQUAL(template_render(tpl, facts, "en", 4096, &out, NULL, &err),
					0);
		}
		if (out == NULL || strcmp(out, c->want) != 0)
			fprintf(stderr, "\n  case \"%s\": got \"%s\" (%s), want \"%s\"\n", c->name,
				out != NULL ? out : "(null)", error_msg(&err), c->want);
		CU_ASSERT_PTR_NOT_NULL(out);
		CU_ASSERT(out != NULL && strcmp(out, c->want) == 0);
		free(out);
		template_free(&tpl);
		json_decref(facts);
	}
}

struct error_case {
	const char *tpl;
	const char *want; /* the error text */
};

static const struct error_case error_cases[] = {
	{"Hello\n{{#inventory}}\n{{sku}}\n", "line 2: unclosed {{#inventory}}"},
	{"{{#if x > 1}}\nyes\n", "line 1: unclosed {{#if}}"},
	{"{{#inventory}}\n{{sku}}\n{{/order}}\n",
	 "line 3: {{/order}} does not close {{#inventory}} of line 1"},
	{"a\nb {{sku\n", "line 2: unterminated {{"},
	{"{{/inventory}}", "line 1: {{/inventory}} closes nothing"},
	{"x\n{{else}}", "line 2: {{else}} outside {{#if}}"},
	{"{{#if a}}1{{else}}2{{else}}3{{/if}}", "line 1: {{else}} outside {{#if}}"},
	{"{{sku name}}", "line 1: bad tag {{sku name}}"},
	{"{{a..b}}", "line 1: bad tag {{a..b}}"},
	{"{{}}", "line 1: bad tag {{}}"},
	{"{{#if q >}}x{{/if}}", "line 1: bad condition {{#if q >}}"},
	{"{{#if q > \"a\"}}x{{/if}}", "line 1: bad condition {{#if q > \"a\"}}"},
	{"{{#if !q > 1}}x{{/if}}", "line 1: bad condition {{#if !q > 1}}"},
	{"{{#a}}{{#b}}{{#c}}{{#d}}{{#e}}{{#f}}{{#g}}{{#h}}{{#i}}x", "line 1: blocks nested deeper "
								    "than 8"},
	{NULL, NULL},
};

static void test_parse_errors(void)
{
	const struct error_case *c;
	struct template *tpl;
	struct error err = {0};

	for (c = error_cases; c->tpl != NULL; c++) {
		tpl = NULL;
		error_clear(&err);
		CU_ASSERT_EQUAL(template_parse(c->tpl, strlen(c->tpl), &tpl, &err), -1);
		CU_ASSERT_PTR_NULL(tpl);
		if (strcmp(error_msg(&err), c->want) != 0)
			fprintf(stderr, "\n  template \"%s\": got \"%s\", want \"%s\"\n", c->tpl,
				error_msg(&err), c->want);
		CU_ASSERT_STRING_EQUAL(error_msg(&err), c->want);
		template_free(&tpl);
	}
}

static void test_output_cap(void)
{
	const char *src = "{{#inventory}}{{name}} {{name}} {{name}}\n{{/inventory}}";
	struct template *tpl = NULL;
	json_t *facts = json_loads(inv2, 0, NULL);
	struct error err = {0};
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(template_parse(src, strlen(src), &tpl, &err), 0);
	CU_ASSERT_EQUAL(template_render(tpl, facts, "en", 40, &out, NULL, &err), -1);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "output exceeds 40 bytes");
	CU_ASSERT_EQUAL(template_render(tpl, facts, "en", 4096, &out, NULL, &err), 0);
	CU_ASSERT(out != NULL && strlen(out) > 40);
	free(out);
	template_free(&tpl);
	json_decref(facts);
}

static void test_source_cap(void)
{
	size_t len = TEMPLATE_MAX_SOURCE + 1;
	char *src = malloc(len);
	struct error err = {0};
	struct template *tpl = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	memset(src, 'a', len);
	CU_ASSERT_EQUAL(template_parse(src, len, &tpl, &err), -1);
	CU_ASSERT(strstr(error_msg(&err), "over the limit") != NULL);
	free(src);
}

static void test_facts_used(void)
{
	const char *src =
		"{{#inventory}}{{sku}}\n{{/inventory}}{{#inventory}}{{sku}}\n{{/inventory}}";
	struct template *tpl = NULL;
	json_t *facts = json_loads(inv2, 0, NULL), *used = json_array();
	json_t *want = json_pack("[s,s,s]", "inventory:HP-20115", "inventory:HP-10227",
				 "inventory:HP-30001");
	struct error err = {0};
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(template_parse(src, strlen(src), &tpl, &err), 0);
	CU_ASSERT_EQUAL(template_render(tpl, facts, "en", 4096, &out, used, &err), 0);
	CU_ASSERT(json_equal(used, want));
	free(out);
	template_free(&tpl);
	json_decref(facts);
	json_decref(used);
	json_decref(want);
}

static const struct test_case template_cases[] = {
	{"renders the table of templates and facts", test_render_table},
	{"rejects malformed templates with the line", test_parse_errors},
	{"stops at the output cap", test_output_cap},
	{"refuses an oversize source", test_source_cap},
	{"records the list items it used once each", test_facts_used},
	{NULL, NULL},
};

TEST_SUITE("template", NULL, NULL, template_cases)
