/* SPDX-License-Identifier: MIT */
/* The facts a draft may be written from: other customers' orders withheld. */
#include <stdlib.h>
#include <string.h>

#include "agent/pipeline/facts.h"
#include "tests/unit/harness.h"

static void test_other_customers_orders_withheld(void)
{
	json_t *facts =
		json_pack("{s:[{s:s, s:b, s:s, s:s}, {s:s, s:b, s:s, s:s}, {s:s, s:b, s:s, s:s}, "
			  "{s:s, s:b}]}",
			  "order", "key", "SO-1", "found", 1, "customer_email", "ann@buyer.example",
			  "tracking_number", "T1", "key", "SO-2", "found", 1, "customer_email",
			  "bob@Buyer.example", "tracking_number", "T2", "key", "SO-3", "found", 1,
			  "customer_email", "eve@other.example", "tracking_number", "T3", "key",
			  "SO-4", "found", 0);
	json_t *out = facts_for_sender(facts, "ann@buyer.example");
	const json_t *orders;
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	orders = json_object_get(out, "order");
	CU_ASSERT_EQUAL(json_array_size(orders), 4);
	/* the sender's own order and a colleague's at the same domain stay whole */
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(orders, 0), "tracking_number")),
		"T1");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(orders, 1), "tracking_number")),
		"T2");
	/* another customer's keeps its key only */
	CU_ASSERT_PTR_NULL(json_object_get(json_array_get(orders, 2), "tracking_number"));
	CU_ASSERT_PTR_NULL(json_object_get(json_array_get(orders, 2), "customer_email"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_array_get(orders, 2), "withheld"));
	text = json_dumps(out, 0);
	CU_ASSERT_PTR_NULL(strstr(text, "T3"));
	CU_ASSERT_PTR_NULL(strstr(text, "eve@other.example"));
	free(text);
	/* the input, stored on the draft for the reviewer, is untouched */
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(
			json_array_get(json_object_get(facts, "order"), 2), "tracking_number")),
		"T3");
	json_decref(out);
	json_decref(facts);
}

static const struct test_case facts_cases[] = {
	{"other customers' orders are withheld from drafting",
	 test_other_customers_orders_withheld},
	{NULL, NULL},
};

TEST_SUITE("facts", NULL, NULL, facts_cases)
