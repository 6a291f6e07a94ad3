/* SPDX-License-Identifier: MIT */
/* Issue 17, item 1: a rule that would hold a draft back but reads a fact
 * nobody knows (not extracted, not computable, connector failed, wrong
 * type) holds it back, and says which fact and why. One case per leaf
 * operator with a missing and with a wrong-typed fact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rules/rules.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* One rule "T" (require_human) over facts; fills res. Returns 0 or -1. */
static int failsafe_eval(const char *when, const char *then, const char *facts_json,
			 const char *category, struct rules_result *res)
{
	struct rules_set *set = NULL;
	struct rules_input in;
	struct error err;
	char doc[4096];
	json_t *j, *facts = NULL;
	int rc = -1;

	snprintf(doc, sizeof(doc), "{\"rules\":[{\"id\":\"T\",\"when\":%s,\"then\":%s}]}", when,
		 then != NULL ? then : "[{\"action\":\"require_human\",\"reason\":\"r\"}]");
	j = json_loads(doc, 0, NULL);
	if (j == NULL || rules_load(j, &set, &err) < 0) {
		fprintf(stderr, "\n  load %s: %s\n", when,
			j == NULL ? "bad JSON" : error_msg(&err));
		goto out;
	}
	facts = json_loads(facts_json, 0, NULL);
	if (facts == NULL)
		goto out;
	memset(&in, 0, sizeof(in));
	in.category = category;
	in.sender = "buyer@cust.example";
	in.subject = "s";
	in.body = "b";
	in.content_type = "text/plain";
	in.facts = facts;
	rc = rules_eval(set, &in, res);
out:
	json_decref(facts);
	json_decref(j);
	rules_free(&set);
	return rc;
}

/* The reviewer's note names the rule, the fact and why. */
static bool failsafe_note(const struct rules_result *res, const char *want)
{
	const json_t *n;
	size_t i;

	json_array_foreach(res->notes, i, n)
	{
		if (strstr(json_string_value(n), want) != NULL)
			return true;
	}
	return false;
}

struct failsafe_case {
	const char *when;
	const char *facts;
	const char *note; /* expected in the notes; NULL: the rule is decided */
	bool fires;       /* when decided */
};

#define ORDER(fields) "{\"order\":[{\"key\":\"SO-1\",\"found\":true" fields "}]}"
#define FACT(op, v)   "{\"fact\":\"order.total_eur\",\"op\":\"" op "\",\"value\":" v "}"
#define SFACT(op, v)  "{\"fact\":\"order.status\",\"op\":\"" op "\",\"value\":" v "}"

static const struct failsafe_case failsafe_cases[] = {
	/* every comparison with the field missing, null, or of the wrong type */
	{FACT("==", "5000"), ORDER(""), "T could not be evaluated: order.total_eur unknown", false},
	{FACT("!=", "5000"), ORDER(",\"total_eur\":null"),
	 "T could not be evaluated: order.total_eur unknown", false},
	{FACT("<", "5000"), ORDER(""), "order.total_eur unknown", false},
	{FACT("<=", "5000"), ORDER(",\"total_eur\":null"), "order.total_eur unknown", false},
	{FACT(">", "5000"), ORDER(""), "order.total_eur unknown", false},
	{FACT(">=", "5000"), ORDER(",\"total_eur\":null"), "order.total_eur unknown", false},
	{FACT(">", "5000"), ORDER(",\"total_eur\":\"lots\""), "order.total_eur has the wrong type",
	 false},
	{FACT("<", "5000"), ORDER(",\"total_eur\":true"), "order.total_eur has the wrong type",
	 false},
	{FACT(">=", "5000"), ORDER(",\"total_eur\":[1]"), "order.total_eur has the wrong type",
	 false},
	{FACT("==", "5000"), ORDER(",\"total_eur\":\"n/a\""), "order.total_eur has the wrong type",
	 false},
	{FACT("!=", "5000"), ORDER(",\"total_eur\":{\"a\":1}"),
	 "order.total_eur has the wrong type", false},
	{SFACT("in", "[\"shipped\",\"delivered\"]"), ORDER(""), "order.status unknown", false},
	{SFACT("in", "[\"shipped\",\"delivered\"]"), ORDER(",\"status\":{\"a\":1}"),
	 "order.status has the wrong type", false},
	{SFACT("matches", "\"^ship\""), ORDER(""), "order.status unknown", false},
	{SFACT("matches", "\"^ship\""), ORDER(",\"status\":[\"shipped\"]"),
	 "order.status has the wrong type", false},
	{"{\"fact\":\"order.delivered\",\"op\":\"==\",\"value\":true}", ORDER(",\"delivered\":7"),
	 "order.delivered has the wrong type", false},
	/* exists: an absent field is known not to exist; a failed lookup is not */
	{"{\"fact\":\"order.carrier\",\"op\":\"exists\"}", ORDER(""), NULL, false},
	{"{\"fact\":\"order.carrier\",\"op\":\"exists\"}",
	 "{\"order\":[{\"key\":\"SO-1\",\"found\":null}]}",
	 "order.carrier could not be looked up (the connector failed) (SO-1)", false},
	/* the connector failed: every field is unknown, "found" too */
	{FACT(">", "5000"), "{\"order\":[{\"key\":\"SO-9\",\"found\":null}]}",
	 "order.total_eur could not be looked up (the connector failed) (SO-9)", false},
	{"{\"fact\":\"order.found\",\"op\":\"==\",\"value\":false}",
	 "{\"order\":[{\"key\":\"SO-9\",\"found\":null}]}", "order.found could not be looked up",
	 false},
	/* no connector answers the namespace at all */
	{FACT(">", "5000"), "{}", "order.total_eur has no source", false},
	/* belongs_to_sender needs the owner's address */
	{"{\"fact\":\"order.belongs_to_sender\",\"op\":\"==\",\"value\":false}", ORDER(""),
	 "order.belongs_to_sender unknown", false},
	/* the case: a quote total nobody could compute */
	{"{\"all\":[{\"category\":\"quote_request\"},{\"fact\":\"quote.estimated_total_eur\","
	 "\"op\":\">\",\"value\":5000}]}",
	 "{\"inventory\":[],\"quote\":{\"estimated_total_eur\":null,\"unknown\":\"no quantity "
	 "found for HP-40035\"}}",
	 "T could not be evaluated: quote.estimated_total_eur unknown (no quantity found for "
	 "HP-40035)",
	 false},
	{"{\"fact\":\"quote.estimated_total_eur\",\"op\":\">\",\"value\":5000}", "{\"order\":[]}",
	 "quote.estimated_total_eur has no source", false},
	/* decided cases: coercions a connector's text needs, and Kleene logic */
	{FACT(">", "5000"), ORDER(",\"total_eur\":\"6000.50\""), NULL, true},
	{FACT("==", "6000"), ORDER(",\"total_eur\":\"6000\""), NULL, true},
	{"{\"fact\":\"order.rush\",\"op\":\"==\",\"value\":true}", ORDER(",\"rush\":\"true\""),
	 NULL, true},
	{SFACT("==", "\"0042\""), ORDER(",\"status\":\"0042\""), NULL, true},
	{"{\"fact\":\"order.tracking_number\",\"op\":\"==\",\"value\":\"42\"}",
	 ORDER(",\"tracking_number\":42"), NULL, true},
	{"{\"any\":[" FACT(">", "5000") ",{\"category\":\"quote_request\"}]}", ORDER(""), NULL,
	 true},
	{"{\"all\":[" FACT(">", "5000") ",{\"category\":\"complaint\"}]}", ORDER(""), NULL, false},
	{"{\"not\":" FACT(">", "5000") "}", ORDER(""), "order.total_eur unknown", false},
	{"{\"not\":{\"not\":" FACT(">", "5000") "}}", ORDER(",\"total_eur\":4000"), NULL, false},
	/* an unknown entry does not matter once another entry decides */
	{FACT(">", "5000"),
	 "{\"order\":[{\"key\":\"SO-9\",\"found\":null},{\"key\":\"SO-1\",\"found\":true,"
	 "\"total_eur\":9000}]}",
	 NULL, true},
	/* nothing of the kind mentioned: known, nothing to hold back */
	{FACT(">", "5000"), "{\"order\":[]}", NULL, false},
	{"{\"fact\":\"order.found\",\"op\":\"==\",\"value\":false}",
	 "{\"order\":[{\"key\":\"SO-2\",\"found\":false}]}", NULL, true},
	/* a not-found entry has no fields, and that is known */
	{FACT(">", "5000"), "{\"order\":[{\"key\":\"SO-2\",\"found\":false}]}", NULL, false},
	/* headers are never unknown: absence is a fact */
	{"{\"fact\":\"header.x-priority\",\"op\":\"==\",\"value\":\"1\"}", "{}", NULL, false},
};

static void test_failsafe_leaves(void)
{
	const struct failsafe_case *c;
	struct rules_result res;
	size_t i;
	bool fired;

	for (i = 0; i < ARRAY_SIZE(failsafe_cases); i++) {
		c = &failsafe_cases[i];
		CU_ASSERT_EQUAL_FATAL(failsafe_eval(c->when, NULL, c->facts, "quote_request", &res),
				      0);
		fired = json_array_size(res.fired) == 1;
		if (c->note != NULL) {
			if (fired || !res.never_auto || !failsafe_note(&res, c->note) ||
			    res.outcome != RULES_DRAFT) {
				char *d = json_dumps(res.notes, 0);

				fprintf(stderr,
					"\n  case %zu %s on %s: fired=%d never_auto=%d notes=%s\n",
					i, c->when, c->facts, fired, res.never_auto, d);
				free(d);
			}
			/* never sent automatically, still drafted for a person */
			CU_ASSERT_FALSE(fired);
			CU_ASSERT_TRUE(res.never_auto);
			CU_ASSERT_EQUAL(res.outcome, RULES_DRAFT);
			CU_ASSERT_TRUE(failsafe_note(&res, c->note));
			CU_ASSERT_EQUAL(json_array_size(res.unevaluated), 1);
			CU_ASSERT(json_array_size(res.reasons) >= 1);
		} else {
			if (fired != c->fires || json_array_size(res.unevaluated) != 0)
				fprintf(stderr, "\n  case %zu %s on %s: fired=%d unevaluated=%zu\n",
					i, c->when, c->facts, fired,
					json_array_size(res.unevaluated));
			CU_ASSERT_EQUAL(fired, c->fires);
			CU_ASSERT_EQUAL(json_array_size(res.unevaluated), 0);
			CU_ASSERT_EQUAL(res.never_auto, c->fires);
		}
		rules_result_free(&res);
	}
}

/* Only rules that would hold a draft back fail safe; a rule that only
 * adds a note says nothing, and forbidding phrases is applied anyway. */
static void test_failsafe_actions(void)
{
	static const char *const holding[] = {
		"[{\"action\":\"skip\"}]",
		"[{\"action\":\"never_auto\"}]",
		"[{\"action\":\"require_human\"},{\"action\":\"add_note\",\"note\":\"n\"}]",
	};
	struct rules_result res;
	json_t *j;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(holding); i++) {
		CU_ASSERT_EQUAL_FATAL(
			failsafe_eval(FACT(">", "1"), holding[i], ORDER(""), NULL, &res), 0);
		CU_ASSERT_TRUE(res.never_auto);
		CU_ASSERT_EQUAL(res.outcome, RULES_DRAFT); /* not skipped on a guess */
		/* the rule's own note does not apply: only the "could not" one */
		CU_ASSERT_TRUE(failsafe_note(&res, "T could not be evaluated"));
		CU_ASSERT_EQUAL(json_array_size(res.notes), 1);
		rules_result_free(&res);
	}
	CU_ASSERT_EQUAL_FATAL(
		failsafe_eval(FACT(">", "1"),
			      "[{\"action\":\"add_note\",\"note\":\"big order\"},"
			      "{\"action\":\"forbid_phrase\",\"phrases\":[\"ships today\"]},"
			      "{\"action\":\"set_category\",\"category\":\"other\"}]",
			      ORDER(""), NULL, &res),
		0);
	CU_ASSERT_FALSE(res.never_auto);
	CU_ASSERT_EQUAL(json_array_size(res.notes), 0);
	CU_ASSERT_PTR_NULL(res.category);
	CU_ASSERT_EQUAL(json_array_size(res.forbidden_phrases), 1);
	CU_ASSERT_EQUAL(json_array_size(res.unevaluated), 1);
	j = rules_result_json(&res);
	CU_ASSERT_FALSE(json_is_true(json_object_get(
		json_array_get(json_object_get(j, "unevaluated"), 0), "holds_back")));
	json_decref(j);
	rules_result_free(&res);
}

/* check-config's list: where each fact comes from, and which come from
 * nowhere (always unknown). */
static void test_fact_sources(void)
{
	static struct config_kv inv_kv[] = {{(char *)"key", (char *)"sku", 1},
					    {(char *)"path", (char *)"/x.csv", 2}};
	static struct config_kv ord_kv[] = {
		{(char *)"key", (char *)"order", 3},
		{(char *)"fields", (char *)"order_id:string, status, total_eur:number", 4}};
	struct connector_config conns[] = {
		{.name = (char *)"inventory",
		 .type = (char *)"csv",
		 .options = inv_kv,
		 .options_count = 2},
		{.name = (char *)"order",
		 .type = (char *)"pg",
		 .options = ord_kv,
		 .options_count = 2},
	};
	static const struct {
		const char *ns, *field;
		int known;
		const char *says;
	} t[] = {
		{"header", "list-id", 1, "list-id header"},
		{"message", "duplicate", 1, "Message-ID"},
		{"quote", "estimated_total_eur", 1, "from connector inventory"},
		{"inventory", "qty_on_hand", 1,
		 "connector inventory (csv, key sku): field qty_on_hand"},
		{"inventory", "found", 1, "whether each sku"},
		{"order", "total_eur", 1, "connector order (pg, key order)"},
		{"order", "carrier", 0, "declares fields without carrier"},
		{"order", "belongs_to_sender", 0, "customer_email"},
		{"crm", "tier", 0, "no connector is named crm"},
	};
	struct config config;
	char out[256];
	size_t i;

	memset(&config, 0, sizeof(config));
	config.connectors = conns;
	config.connectors_count = 2;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		CU_ASSERT_EQUAL(rules_fact_source(&config, t[i].ns, t[i].field, out, sizeof(out)),
				t[i].known);
		if (strstr(out, t[i].says) == NULL)
			fprintf(stderr, "\n  %s.%s: '%s'\n", t[i].ns, t[i].field, out);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, t[i].says));
	}
	/* no connector answers SKUs: the quote is always unknown */
	config.connectors_count = 0;
	CU_ASSERT_EQUAL(
		rules_fact_source(&config, "quote", "estimated_total_eur", out, sizeof(out)), 0);
}

static const struct test_case rules_failsafe_cases[] = {
	{"check-config names where each fact comes from", test_fact_sources},
	{"every leaf operator with a missing and a wrong-typed fact", test_failsafe_leaves},
	{"only rules that hold drafts back fail safe", test_failsafe_actions},
	{NULL, NULL},
};

TEST_SUITE("rules_failsafe", NULL, NULL, rules_failsafe_cases)
