/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "agent/llm/draft_output.h"
#include "harness.h"

static const char *const cats[] = {"stock_inquiry", "order_status", "other"};

struct output_case {
	const char *json;
	const char *reason; /* NULL: valid */
};

#define GOOD_TAIL \
	"\"facts_used\":[\"inventory:HP-1\"],\"needs_human\":false,\"needs_human_reason\":\"\"}"

static const struct output_case output_cases[] = {
	{"{\"category\":\"stock_inquiry\",\"confidence\":0.9,\"subject\":\"Re\",\"body\":"
	 "\"Hi\"," GOOD_TAIL,
	 NULL},
	{"{\"category\":\"other\",\"confidence\":0,\"subject\":\"\",\"body\":\"\",\"facts_used\":[]"
	 ","
	 "\"needs_human\":true,\"needs_human_reason\":\"legal question\"}",
	 NULL},
	{"", "empty reply"},
	{"Dear customer, thanks", "not JSON"},
	{"{\"category\":\"stock_inquiry\",\"confidence\":0.9,", "not JSON"},
	{"[1,2]", "not a JSON object"},
	{"{\"category\":\"refund\",\"confidence\":0.9,\"subject\":\"Re\",\"body\":"
	 "\"Hi\"," GOOD_TAIL,
	 "category \"refund\" is not one of the configured categories"},
	{"{\"category\":7,\"confidence\":0.9,\"subject\":\"Re\",\"body\":\"Hi\"," GOOD_TAIL,
	 "field \"category\" is not a string"},
	{"{\"confidence\":0.9,\"subject\":\"Re\",\"body\":\"Hi\"," GOOD_TAIL,
	 "missing field \"category\""},
	{"{\"category\":\"other\",\"subject\":\"Re\",\"body\":\"Hi\"," GOOD_TAIL,
	 "missing field \"confidence\""},
	{"{\"category\":\"other\",\"confidence\":\"high\",\"subject\":\"Re\",\"body\":"
	 "\"Hi\"," GOOD_TAIL,
	 "field \"confidence\" is not a number"},
	{"{\"category\":\"other\",\"confidence\":1.5,\"subject\":\"Re\",\"body\":\"Hi\"," GOOD_TAIL,
	 "field \"confidence\" is outside 0..1"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"body\":\"Hi\"," GOOD_TAIL,
	 "missing field \"subject\""},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"\"," GOOD_TAIL,
	 "field \"body\" is empty"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":[\"Hi\"]"
	 "," GOOD_TAIL,
	 "field \"body\" is not a string"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"Hi\","
	 "\"facts_used\":\"HP-1\",\"needs_human\":false,\"needs_human_reason\":\"\"}",
	 "field \"facts_used\" is not an array"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"Hi\","
	 "\"facts_used\":[1],\"needs_human\":false,\"needs_human_reason\":\"\"}",
	 "facts_used[0] is not a string"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"Hi\","
	 "\"facts_used\":[],\"needs_human\":\"no\",\"needs_human_reason\":\"\"}",
	 "field \"needs_human\" is not a boolean"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"Hi\","
	 "\"facts_used\":[],\"needs_human\":true,\"needs_human_reason\":\"\"}",
	 "field \"needs_human_reason\" is empty"},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"Hi\","
	 "\"facts_used\":[],\"needs_human\":false}",
	 "missing field \"needs_human_reason\""},
	{"{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"Hi\",\"to\":\"x@"
	 "y\"," GOOD_TAIL,
	 "unknown field \"to\""},
	{"{\"category\":\"other\",\"category\":\"stock_inquiry\",\"confidence\":0.5,\"subject\":"
	 "\"Re\","
	 "\"body\":\"Hi\"," GOOD_TAIL,
	 "not JSON"},
	{NULL, NULL},
};

static void test_output_table(void)
{
	const struct output_case *c;
	struct llm_draft d;
	char reason[256];
	int r;

	for (c = output_cases; c->json != NULL; c++) {
		reason[0] = '\0';
		r = draft_output_parse(c->json, strlen(c->json), cats, 3, &d, reason,
				       sizeof(reason));
		if (c->reason == NULL) {
			CU_ASSERT_EQUAL(r, 0);
			CU_ASSERT_PTR_NOT_NULL(d.category);
			CU_ASSERT_EQUAL(d.confidence_source, LLM_CONFIDENCE_MODEL);
			CU_ASSERT(json_is_array(d.facts_used));
		} else {
			CU_ASSERT_EQUAL(r, -1);
			CU_ASSERT_PTR_NULL(d.category);
			if (strncmp(reason, c->reason, strlen(c->reason)) != 0)
				fprintf(stderr, "\n  %s: got \"%s\", want \"%s\"\n", c->json,
					reason, c->reason);
			CU_ASSERT(strncmp(reason, c->reason, strlen(c->reason)) == 0);
		}
		draft_output_clear(&d);
	}
}

static void test_output_fields(void)
{
	const char *json = "{\"category\":\"order_status\",\"confidence\":0.75,\"subject\":\"Re: "
			   "SO-1\",\"body\":\"Shipped.\",\"facts_used\":[\"order:SO-1\"],"
			   "\"needs_human\":false,\"needs_human_reason\":\"\"}";
	struct llm_draft d;
	char reason[256];

	CU_ASSERT_EQUAL_FATAL(
		draft_output_parse(json, strlen(json), cats, 3, &d, reason, sizeof(reason)), 0);
	CU_ASSERT_STRING_EQUAL(d.category, "order_status");
	CU_ASSERT_DOUBLE_EQUAL(d.confidence, 0.75, 1e-9);
	CU_ASSERT_STRING_EQUAL(d.subject, "Re: SO-1");
	CU_ASSERT_STRING_EQUAL(d.body, "Shipped.");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(d.facts_used, 0)), "order:SO-1");
	CU_ASSERT_FALSE(d.needs_human);
	draft_output_clear(&d);
	CU_ASSERT_PTR_NULL(d.body);
}

static void test_output_limits(void)
{
	char big[DRAFT_OUTPUT_MAX_BODY + 300], reason[256];
	struct llm_draft d;
	int n;

	n = snprintf(big, sizeof(big),
		     "{\"category\":\"other\",\"confidence\":0.5,\"subject\":\"Re\",\"body\":\"%0*"
		     "d\"," GOOD_TAIL,
		     DRAFT_OUTPUT_MAX_BODY + 1, 0);
	CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(big));
	CU_ASSERT_EQUAL(draft_output_parse(big, (size_t)n, cats, 3, &d, reason, sizeof(reason)),
			-1);
	CU_ASSERT_STRING_EQUAL(reason, "field \"body\" is 8001 bytes, over the limit of 8000");
	CU_ASSERT_STRING_EQUAL(llm_confidence_source_name(LLM_CONFIDENCE_LOGPROBS), "logprobs");
	CU_ASSERT_STRING_EQUAL(llm_confidence_source_name(LLM_CONFIDENCE_KEYWORDS), "keywords");
}

static const struct test_case draft_output_cases[] = {
	{"validates the table of model answers", test_output_table},
	{"fills every field of a valid answer", test_output_fields},
	{"refuses an oversize body", test_output_limits},
	{NULL, NULL},
};

TEST_SUITE("draft_output", NULL, NULL, draft_output_cases)
