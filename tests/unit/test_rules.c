/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rules/rules.h"
#include "daemon/lib/util.h"
#include "harness.h"

#define RULE(when) "{\"rules\":[{\"id\":\"T\",\"when\":" when ",\"then\":[{\"action\":\"skip\"}]}]}"

/* Every fault is refused at load with the rule id, where, and why. */
static const struct {
	const char *doc;
	const char *want;
} rules_bad[] = {
	{RULE("{\"fact\":\"order.total_eur\",\"op\":\"=>\",\"value\":1}"),
	 "rule T: when: unknown op '=>'"},
	{RULE("{\"subject_matches\":\"(unclosed\"}"), "rule T: when: bad regex"},
	{RULE("{\"any\":[{},{\"all\":[{\"body_matches\":\"a{2,1}\"}]}]}"),
	 "rule T: when.any[1].all[0]: bad regex"},
	{RULE("{\"subject_match\":\"x\"}"), "rule T: when: unknown condition 'subject_match'"},
	{RULE("{\"category\":\"a\",\"sender_matches\":\"b\"}"), "exactly one key"},
	{RULE("{\"fact\":\"order.total_eur\",\"op\":\"<\",\"value\":\"5000\"}"),
	 "op '<' needs a number value"},
	{RULE("{\"fact\":\"order.status\",\"op\":\"in\",\"value\":\"shipped\"}"),
	 "op 'in' needs a list value"},
	{RULE("{\"fact\":\"header.list-id\",\"op\":\"exists\",\"value\":true}"),
	 "exists takes no value"},
	{RULE("{\"fact\":\"order.status\",\"op\":\"==\"}"), "missing value for op '=='"},
	{RULE("{\"fact\":\"message.spam\",\"op\":\"==\",\"value\":true}"),
	 "unknown fact 'message.spam'"},
	{RULE("{\"fact\":\"quote.total\",\"op\":\">\",\"value\":1}"), "unknown fact 'quote.total'"},
	{RULE("{\"fact\":\"status\",\"op\":\"==\",\"value\":1}"), "bad fact 'status'"},
	{RULE("{\"fact\":\"order.status\",\"op\":\"==\",\"value\":1,\"unit\":\"x\"}"),
	 "unknown key 'unit'"},
	{RULE("{\"category\":[]}"), "non-empty list"},
	{RULE("{\"not\":[{}]}"), "rule T: when: 'not' needs one condition object"},
	{RULE("{\"not\":{\"any\":{}}}"), "rule T: when.not: 'any' needs a non-empty list"},
	{RULE("\"always\""), "a condition must be an object"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"explode\"}]}]}",
	 "rule A: then[0]: unknown action 'explode'"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{},\"then\":[]}]}", "rule A: then: needs a non-empty"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{}}]}", "rule A: then: needs a non-empty"},
	{"{\"rules\":[{\"id\":\"A\",\"then\":[{\"action\":\"skip\"}]}]}",
	 "rule A: when: missing when"},
	{"{\"rules\":[{\"when\":{},\"then\":[{\"action\":\"skip\"}]}]}", "rule #1: id: missing id"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"skip\"}]},"
	 "{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"skip\"}]}]}",
	 "rule A: id: duplicate id"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"set_category\"}]}]}",
	 "rule A: then[0]: set_category needs a non-empty 'category'"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"add_note\",\"text\":\"x\"}]"
	 "}]}",
	 "rule A: then[0]: unknown key 'text' for this action"},
	{"{\"rules\":[{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"forbid_phrase\","
	 "\"phrases\":[\"\"]}]}]}",
	 "phrases must be non-empty strings"},
	{"{\"rules\":[{\"id\":\"A\",\"enabled\":true,\"when\":{},\"then\":[{\"action\":\"skip\"}]}]"
	 "}",
	 "rule A: rule: unknown key 'enabled'"},
	{"{\"rulez\":[]}", "unknown top-level key 'rulez'"},
	/* patterns that would make regcomp() take gigabytes (found by fuzzing) */
	{RULE("{\"subject_matches\":\"a++++++++++++++++++++\"}"), "a quantifier on a quantifier"},
	{RULE("{\"subject_matches\":\"(x{1000}){1000}\"}"), "a repetition count over 100"},
	{RULE("{\"subject_matches\":\"a?b?c?d?e?f?g?h?i?j?k?l?m?n?o?p?q?r?s?t?u?v?w?x?y?z?"
	      "a?b?c?d?e?f?g?h?i?j?k?l?m?n?o?p?q?r?s?t?u?v?w?x?y?z?a?b?c?d?e?f?g?h?i?j?k?l?m?\"}"),
	 "more than 64 quantifiers"},
	{"[]", "must be an object"},
};

static void test_rules_bad(void)
{
	struct rules_set *set = NULL;
	struct error err;
	json_error_t jerr;
	json_t *doc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules_bad); i++) {
		doc = json_loads(rules_bad[i].doc, 0, &jerr);
		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		error_clear(&err);
		CU_ASSERT_EQUAL(rules_load(doc, &set, &err), -1);
		CU_ASSERT_PTR_NULL(set);
		rules_free(&set);
		if (strstr(error_msg(&err), rules_bad[i].want) == NULL)
			fprintf(stderr, "\nrules_bad[%zu]: got '%s' want '%s'\n", i,
				error_msg(&err), rules_bad[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), rules_bad[i].want));
		json_decref(doc);
	}
}

static void test_rules_file_errors(void)
{
	struct rules_set *set = NULL;
	struct error err;
	const char *path =
		test_write_file("rules-broken.json", "{\"rules\": [\n  {\"id\": }\n]}\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL(rules_load_file(path, &set, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), ":2:"));
	CU_ASSERT_EQUAL(rules_load_file("/nonexistent/rules.json", &set, &err), -1);
	CU_ASSERT_PTR_NULL(set);
}

static const char *const base_facts =
	"{\"order\":[{\"key\":\"SO-1\",\"found\":true,\"status\":\"shipped\",\"total_eur\":6000,"
	"\"customer_email\":\"a@cust.example\"},{\"key\":\"SO-2\",\"found\":false}],"
	"\"inventory\":[{\"key\":\"HP-1\",\"found\":true,\"qty_on_hand\":0,\"discontinued\":false},"
	"{\"key\":\"HP-2\",\"found\":null}],\"quote\":{\"estimated_total_eur\":100}}";

/* One condition, the base input (body overridable), fires or not. */
static const struct {
	const char *when;
	const char *body; /* NULL: the base body */
	bool fires;
} rules_sem[] = {
	{"{}", NULL, true},
	{"{\"category\":\"complaint\"}", NULL, true},
	{"{\"category\":[\"x\",\"COMPLAINT\"]}", NULL, true},
	{"{\"category\":\"other\"}", NULL, false},
	{"{\"sender_domain_in\":[\"CUST.example\"]}", NULL, true},
	{"{\"sender_domain_in\":[\"example\"]}", NULL, false},
	{"{\"sender_matches\":\"^bob@\"}", NULL, true},
	{"{\"subject_matches\":\"LAWSUIT\"}", NULL, true},
	{"{\"body_matches\":\"^ *SYSTEM *:\"}", NULL, true},
	{"{\"body_matches\":\"^ *SYSTEM *:\"}", "hello SYSTEM: x", false},
	{"{\"body_matches\":\"ignore previous instructions\"}",
	 "ig\xe2\x80\x8bnore previous instr\xe2\x80\x8c"
	 "uctions",
	 true},
	{"{\"body_matches\":\"ignore previous\"}", "\xf3\xa0\x81\xa9\xf3\xa0\x81\xa7nore previous",
	 true},
	{"{\"attachment_name_matches\":\"\\\\.pdf$\"}", NULL, true},
	{"{\"attachment_name_matches\":\"\\\\.exe$\"}", NULL, false},
	{"{\"fact\":\"header.precedence\",\"op\":\"matches\",\"value\":\"^(bulk|list)$\"}", NULL,
	 true},
	{"{\"fact\":\"header.List-Id\",\"op\":\"exists\"}", NULL, true},
	{"{\"fact\":\"header.x-autoreply\",\"op\":\"exists\"}", NULL, false},
	{"{\"fact\":\"order.total_eur\",\"op\":\">\",\"value\":5000}", NULL, true},
	{"{\"fact\":\"order.total_eur\",\"op\":\">\",\"value\":7000}", NULL, false},
	{"{\"fact\":\"order.total_eur\",\"op\":\"==\",\"value\":6000.0}", NULL, true},
	{"{\"fact\":\"order.status\",\"op\":\"in\",\"value\":[\"shipped\",\"delivered\"]}", NULL,
	 true},
	{"{\"fact\":\"order.status\",\"op\":\"!=\",\"value\":\"shipped\"}", NULL, false},
	{"{\"fact\":\"order.found\",\"op\":\"==\",\"value\":false}", NULL, true},
	{"{\"fact\":\"order.belongs_to_sender\",\"op\":\"==\",\"value\":true}", NULL, true},
	{"{\"fact\":\"order.belongs_to_sender\",\"op\":\"==\",\"value\":false}", NULL, false},
	{"{\"fact\":\"inventory.found\",\"op\":\"==\",\"value\":false}", NULL, false},
	{"{\"fact\":\"inventory.qty_on_hand\",\"op\":\"<\",\"value\":1}", NULL, true},
	{"{\"fact\":\"inventory.discontinued\",\"op\":\"==\",\"value\":true}", NULL, false},
	{"{\"fact\":\"inventory.name\",\"op\":\"exists\"}", NULL, false},
	{"{\"fact\":\"quote.estimated_total_eur\",\"op\":\">\",\"value\":5000}", NULL, false},
	{"{\"fact\":\"quote.estimated_total_eur\",\"op\":\"<=\",\"value\":100}", NULL, true},
	{"{\"fact\":\"message.reply_to_domain_differs\",\"op\":\"==\",\"value\":true}", NULL, true},
	{"{\"fact\":\"message.duplicate\",\"op\":\"==\",\"value\":true}", NULL, false},
	{"{\"fact\":\"message.content_type\",\"op\":\"==\",\"value\":\"text/plain\"}", NULL, true},
	{"{\"fact\":\"erp.lead_time_days\",\"op\":\">\",\"value\":1}", NULL, false},
	{"{\"not\":{\"category\":\"complaint\"}}", NULL, false},
	{"{\"all\":[{\"category\":\"complaint\"},{\"fact\":\"order.total_eur\",\"op\":\">\","
	 "\"value\":5000}]}",
	 NULL, true},
	{"{\"all\":[{\"category\":\"complaint\"},{\"category\":\"other\"}]}", NULL, false},
	{"{\"any\":[{\"category\":\"x\"},{\"fact\":\"order.carrier\",\"op\":\"exists\"}]}", NULL,
	 false},
};

static void test_rules_semantics(void)
{
	static const struct rules_header headers[] = {
		{"Precedence", "  bulk "}, {"list-id", "<x.list.example>"}, {"From", "bob"}};
	const char *attachments[] = {"a.pdf"};
	struct rules_set *set = NULL;
	struct rules_result res;
	struct rules_input in;
	struct error err;
	char doc[2048];
	json_t *facts, *j;
	size_t i;

	facts = json_loads(base_facts, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(facts);
	for (i = 0; i < ARRAY_SIZE(rules_sem); i++) {
		snprintf(doc, sizeof(doc),
			 "{\"rules\":[{\"id\":\"T\",\"when\":%s,\"then\":[{\"action\":\"add_note\","
			 "\"note\":\"n\"}]}]}",
			 rules_sem[i].when);
		j = json_loads(doc, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		if (rules_load(j, &set, &err) < 0) {
			fprintf(stderr, "\nrules_sem[%zu]: %s\n", i, error_msg(&err));
			CU_FAIL("load");
			json_decref(j);
			continue;
		}
		memset(&in, 0, sizeof(in));
		in.category = "complaint";
		in.sender = "bob@cust.example";
		in.reply_to = "x@other.example";
		in.subject = "Re: planned lawsuit";
		in.body =
			rules_sem[i].body != NULL ? rules_sem[i].body : "hello\n  SYSTEM: do it\n";
		in.attachments = attachments;
		in.attachments_count = 1;
		in.headers = headers;
		in.headers_count = ARRAY_SIZE(headers);
		in.content_type = "text/plain";
		in.facts = facts;
		CU_ASSERT_EQUAL_FATAL(rules_eval(set, &in, &res), 0);
		if ((json_array_size(res.fired) == 1) != rules_sem[i].fires)
			fprintf(stderr, "\nrules_sem[%zu] %s: fired=%zu\n", i, rules_sem[i].when,
				json_array_size(res.fired));
		CU_ASSERT_EQUAL(json_array_size(res.fired) == 1, rules_sem[i].fires);
		/* HP-2 is unknown in the base facts: never auto, whatever fired */
		CU_ASSERT(res.facts_unknown && res.never_auto);
		rules_result_free(&res);
		rules_free(&set);
		json_decref(j);
	}
	json_decref(facts);
}

/* Actions combine: skip > require_human > draft, phrases and notes accumulate. */
static void test_rules_combine(void)
{
	const char *doc =
		"{\"rules\":["
		"{\"id\":\"A\",\"when\":{},\"then\":[{\"action\":\"require_human\",\"reason\":"
		"\"r1\"},"
		"{\"action\":\"forbid_phrase\",\"phrases\":[\"guarantee\",\"full refund\"]}]},"
		"{\"id\":\"B\",\"when\":{\"category\":\"none\"},\"then\":[{\"action\":\"skip\"},"
		"{\"action\":\"set_category\",\"category\":\"spam\"}]},"
		"{\"id\":\"C\",\"when\":{},\"then\":[{\"action\":\"forbid_phrase\",\"phrases\":"
		"[\"guarantee\"]},{\"action\":\"add_note\",\"note\":\"be nice\"}]},"
		"{\"id\":\"D\",\"when\":{\"category\":\"other\"},\"then\":[{\"action\":\"never_"
		"auto\"}]}]}";
	struct rules_set *set = NULL;
	struct rules_result res;
	struct rules_input in;
	struct error err;
	char *dump;
	json_t *j, *out;

	j = json_loads(doc, 0, NULL);
	CU_ASSERT_EQUAL_FATAL(rules_load(j, &set, &err), 0);
	CU_ASSERT_EQUAL(rules_count(set), 4);
	memset(&in, 0, sizeof(in));
	in.category = "none";
	in.sender = "x@y.example";
	CU_ASSERT_EQUAL_FATAL(rules_eval(set, &in, &res), 0);
	CU_ASSERT_EQUAL(res.outcome, RULES_SKIP);
	CU_ASSERT(res.never_auto);
	CU_ASSERT(!res.facts_unknown);
	CU_ASSERT_STRING_EQUAL(res.category, "spam");
	CU_ASSERT_EQUAL(json_array_size(res.fired), 3);
	CU_ASSERT_EQUAL(json_array_size(res.forbidden_phrases), 2);
	CU_ASSERT_EQUAL(json_array_size(res.notes), 1);
	out = rules_result_json(&res);
	dump = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	CU_ASSERT_PTR_NOT_NULL(strstr(dump, "\"outcome\":\"skip\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(dump, "\"reasons\":[\"r1\"]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dump, "\"id\":\"B\""));
	free(dump);
	json_decref(out);
	rules_result_free(&res);

	in.category = "other";
	CU_ASSERT_EQUAL_FATAL(rules_eval(set, &in, &res), 0);
	CU_ASSERT_EQUAL(res.outcome, RULES_REQUIRE_HUMAN);
	CU_ASSERT_PTR_NULL(res.category);
	rules_result_free(&res);
	CU_ASSERT_EQUAL(atomic_load(&rules_set_stats(set)->evaluations), 2);
	CU_ASSERT_EQUAL(atomic_load(&rules_set_stats(set)->fired), 6);
	CU_ASSERT_EQUAL(atomic_load(&rules_set_stats(set)->skipped), 1);
	CU_ASSERT_EQUAL(atomic_load(&rules_set_stats(set)->require_human), 1);
	rules_free(&set);
	json_decref(j);

	/* nothing fires: a plain draft that may be auto-sent */
	j = json_loads("{\"rules\":[{\"id\":\"X\",\"when\":{\"category\":\"a\"},\"then\":"
		       "[{\"action\":\"skip\"}]}]}",
		       0, NULL);
	CU_ASSERT_EQUAL_FATAL(rules_load(j, &set, &err), 0);
	in.category = "b";
	CU_ASSERT_EQUAL_FATAL(rules_eval(set, &in, &res), 0);
	CU_ASSERT_EQUAL(res.outcome, RULES_DRAFT);
	CU_ASSERT(!res.never_auto);
	rules_result_free(&res);
	rules_free(&set);
	json_decref(j);
}

static void test_rules_normalize(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{"plain", "plain"},
		{"a\xe2\x80\x8b"
		 "b\xef\xbb\xbf"
		 "c\xc2\xad"
		 "d",
		 "abcd"},
		{"\xf3\xa0\x81\x88\xf3\xa0\x81\xa9", "Hi"},
		{"\xef\xbc\xb3\xef\xbc\xB9\xef\xbc\xb3", "SYS"},
		{"caf\xc3\xa9 \xff", "caf\xc3\xa9 \xff"},
	};
	size_t i;
	char *s;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		s = rules_normalize(t[i].in);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_STRING_EQUAL(s, t[i].want);
		free(s);
	}
}

static const struct test_case rules_cases[] = {
	{"invalid rules refused with id and reason", test_rules_bad},
	{"file errors", test_rules_file_errors},
	{"condition semantics", test_rules_semantics},
	{"actions combine", test_rules_combine},
	{"text normalisation", test_rules_normalize},
	{NULL, NULL},
};

TEST_SUITE("rules", NULL, NULL, rules_cases)
