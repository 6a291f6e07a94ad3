/* SPDX-License-Identifier: MIT */
/* ui-api recipient policy: who a reviewer may address a reply to. */
#include <jansson.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/routes/api_drafts.h"

static void test_recipients_table(void)
{
	static const struct {
		const char *recipient, *cc;
		int want;
	} cases[] = {
		{"ann@customer.example", NULL, 0},
		{"ANN@Customer.Example", NULL, 0},
		{"orders@customer.example", NULL, 0},
		{"help@replies.example", NULL, 0}, /* the Reply-To's domain */
		{"evil@attacker.example", NULL, -1},
		{"ann@customer.example, evil@attacker.example", NULL, -1},
		{"Ann <ann@customer.example>", NULL, -1}, /* bare addresses only */
		{"ann@customer.example\r\nBcc: x@y.z", NULL, -1},
		{"x'; DROP TABLE drafts; --@customer.example", NULL, -1},
		{NULL, "a@customer.example, b@replies.example", 0},
		{NULL, "", 0},
		{NULL, "a@customer.example, evil@attacker.example", -1},
		{NULL, "a@customer.example,,b@customer.example", -1},
		{NULL, "a@customer.example;b@customer.example", -1},
	};
	json_t *msg =
		json_pack("{s:{s:s, s:s}}", "headers", "from", "Ann Buyer <ann@customer.example>",
			  "reply_to", "help@replies.example");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct error why = {0};
		int got = api_recipients_check(msg, cases[i].recipient, cases[i].cc, &why);

		CU_ASSERT_EQUAL(got, cases[i].want);
		if (got < 0)
			CU_ASSERT(error_msg(&why)[0] != '\0');
	}
	json_decref(msg);
}

static void test_address_extract(void)
{
	char out[256];

	CU_ASSERT_EQUAL(api_address_extract("Ann <ann@x.example>", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "ann@x.example");
	CU_ASSERT_EQUAL(api_address_extract("  bob@y.example ", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "bob@y.example");
	CU_ASSERT_EQUAL(api_address_extract("no address", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(api_address_extract("Ann <ann@x.example", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(api_address_extract(NULL, out, sizeof(out)), -1);
}

static const struct test_case api_recipient_cases[] = {
	{"recipient and cc policy table", test_recipients_table},
	{"address extraction", test_address_extract},
	{NULL, NULL},
};
TEST_SUITE("api_recipients", NULL, NULL, api_recipient_cases)
