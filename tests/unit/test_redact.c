/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/llm/redact.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* An approved reply to one customer, turned into an example another
 * customer's prompt may carry: none of its data survives. */

static const char redact_body[] =
	"Dear Gareth Lloyd,\n\n"
	"thank you for your message. Order SO-204515 (order #204515) was delivered by DPD on "
	"2025-02-19, tracking number 01905515064420. The total was EUR 936.00.\n"
	"We will send the replacement seals to 12 Dairy Lane, Aberystwyth SY23 1AB, "
	"and our driver will call you on +44 1970 555 0123 or 01970 555 0123.\n"
	"If you need anything, write to gareth.lloyd@lloyd-dairy.example or visit "
	"lloyd-dairy.example/parts; Lloyd Dairy's account IBAN GB33BUKB20201555555555 is on "
	"file. HP-20115 is in stock (1200 on hand, 17 March 2025).\n"
	"The pumps went to Westport Ferries, Quay Street 4, Westport F28 K7P3; your contact "
	"Siobhan Lloyd signed, like Paul at 7 Harbour Road, Cork T12 X8Y2.\n"
	"Kind regards\nHarbor Parts Co. customer service\n";

static void test_redact_reply(void)
{
	static const char *const secrets[] = {
		"Gareth", "Lloyd", "204515",   "01905515064420", "936",          "Dairy Lane",
		"SY23",   "1970",  "555 0123", "lloyd-dairy",    "GB33BUKB",     "20115",
		"2025",   "1200",  "17 March", "Aberystwyth",    "gareth.lloyd",
	};
	json_t *facts = json_pack(
		"{s:[{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:f}]}", "order", "key", "SO-204515",
		"found", 1, "customer_email", "gareth.lloyd@lloyd-dairy.example", "status",
		"delivered", "carrier", "DPD", "tracking_number", "01905515064420", "ship_date",
		"2025-02-17", "eta", "2025-02-19", "total_eur", 936.0);
	struct redact_context ctx = {"gareth.lloyd@lloyd-dairy.example",
				     "gareth.lloyd@lloyd-dairy.example",
				     "\"Gareth Lloyd\" <gareth.lloyd@lloyd-dairy.example>", facts};
	char *out;
	int refused = -1;
	size_t i;

	out = redact_example(redact_body, &ctx, &refused);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(refused, 0);
	for (i = 0; i < ARRAY_SIZE(secrets); i++) {
		if (strcasestr(out, secrets[i]) != NULL)
			fprintf(stderr, "\nredacted example still holds \"%s\":\n%s\n", secrets[i],
				out);
		CU_ASSERT_PTR_NULL(strcasestr(out, secrets[i]));
	}
	/* the shape stays: typed placeholders, the company's own sign-off */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Dear [NAME]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "[ORDER_ID]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "[EMAIL]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "[PHONE]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "[ADDRESS]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "was delivered by DPD"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Harbor Parts Co. customer service"));
	CU_ASSERT_PTR_NULL(strpbrk(out, "0123456789@"));
	free(out);
	json_decref(facts);
}

/* A name only the facts know, glued into a word the patterns cannot see:
 * refused rather than stored half-redacted. */
static void test_redact_refuses(void)
{
	json_t *facts = json_pack("{s:[{s:s, s:s}]}", "order", "key", "SO-204599", "contact_name",
				  "Zebedee");
	struct redact_context ctx = {"x@y.example", "x@y.example", NULL, facts};
	int refused = 0;
	char *out = redact_example("Thanks!\nyour Zebedeeorder is fine", &ctx, &refused);

	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(refused, 1);
	free(out);
	json_decref(facts);
}

static const struct test_case redact_cases[] = {
	{"an approved reply loses every customer detail, keeps its shape", test_redact_reply},
	{"a reply that cannot be made safe is refused", test_redact_refuses},
	{NULL, NULL},
};
TEST_SUITE("redact", NULL, NULL, redact_cases)
