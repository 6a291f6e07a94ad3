/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "agent/guard/trust.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* Built-in never-auto: which headers make a reply human-only, and which
 * Authentication-Results header counts. */

static const struct {
	const char *headers;     /* before From/To/Subject */
	const char *reply_to;    /* a Reply-To header value, or NULL */
	const char *authserv_id; /* configured, or NULL */
	bool injection;
	const char *want; /* flag names, space-separated */
} trust_cases[] = {
	{"", NULL, NULL, false, ""},
	{"", "Priya <priya.n@coastal-marine.example>", NULL, false, ""},
	{"", "orders@coastal-marine.example", NULL, false, "recipient_not_sender"},
	{"", "claims@harborparts-claims.test", NULL, false,
	 "reply_to_elsewhere recipient_not_sender"},
	/* a suspected injection: the reply goes to From, the Reply-To still shows */
	{"", "claims@harborparts-claims.test", NULL, true, "reply_to_elsewhere"},
	{"Authentication-Results: mx.harborparts.example; spf=pass smtp.mailfrom=x; dmarc=fail "
	 "header.from=coastal-marine.example\r\n",
	 NULL, NULL, false, "sender_auth_failed"},
	{"Authentication-Results: mx.harborparts.example;\r\n spf=fail smtp.mailfrom=x\r\n", NULL,
	 NULL, false, "sender_auth_failed"},
	{"Authentication-Results: mx.harborparts.example; spf=softfail; dmarc=pass (was "
	 "dmarc=fail before)\r\n",
	 NULL, NULL, false, ""},
	{"Authentication-Results: mx.harborparts.example; dmarc=none; spf=pass; "
	 "dkim=fail\r\n",
	 NULL, NULL, false, ""},
	/* only the topmost header counts without an id: the sender wrote the lower one */
	{"Authentication-Results: mx.harborparts.example; dmarc=pass; spf=pass\r\n"
	 "Authentication-Results: mx.harborparts.example; dmarc=fail\r\n",
	 NULL, NULL, false, ""},
	{"Authentication-Results: mx.harborparts.example; dmarc=fail\r\n"
	 "Authentication-Results: mx.harborparts.example; dmarc=pass\r\n",
	 NULL, NULL, false, "sender_auth_failed"},
	/* with an id: a forged "pass" from another id on top changes nothing */
	{"Authentication-Results: forged.test; dmarc=pass; spf=pass\r\n"
	 "Authentication-Results: mx.harborparts.example; dmarc=fail\r\n",
	 NULL, "mx.harborparts.example", false, "sender_auth_failed"},
	{"Authentication-Results: forged.test; dmarc=fail\r\n"
	 "Authentication-Results: mx.harborparts.example; dmarc=pass; spf=pass\r\n",
	 NULL, "mx.harborparts.example", false, ""},
};

static void test_trust_table(void)
{
	static const char *const names[] = {"reply_to_elsewhere", "sender_auth_failed",
					    "recipient_not_sender"};
	struct mime_limits limits;
	struct mime_message *msg = NULL;
	struct guard_result res;
	char raw[2048], got[256];
	size_t i, k, j, used;

	mime_limits_default(&limits);
	for (i = 0; i < ARRAY_SIZE(trust_cases); i++) {
		snprintf(raw, sizeof(raw),
			 "%sFrom: Priya Nair <priya.n@coastal-marine.example>\r\n%s%s%s"
			 "To: support@harborparts.example\r\nSubject: order SO-204518\r\n\r\n"
			 "Where is my order?\r\n",
			 trust_cases[i].headers,
			 trust_cases[i].reply_to != NULL ? "Reply-To: " : "",
			 trust_cases[i].reply_to != NULL ? trust_cases[i].reply_to : "",
			 trust_cases[i].reply_to != NULL ? "\r\n" : "");
		CU_ASSERT_EQUAL_FATAL(mime_parse(raw, strlen(raw), &limits, &msg, NULL), 0);
		memset(&res, 0, sizeof(res));
		(void)trust_check(msg, trust_recipient(msg, trust_cases[i].injection),
				  trust_cases[i].authserv_id, &res);
		got[0] = '\0';
		used = 0;
		for (k = 0; k < ARRAY_SIZE(names); k++)
			for (j = 0; j < res.count; j++)
				if (strcmp(res.flags[j].name, names[k]) == 0)
					used += (size_t)snprintf(got + used, sizeof(got) - used,
								 "%s%s", used > 0 ? " " : "",
								 names[k]);
		if (strcmp(got, trust_cases[i].want) != 0)
			fprintf(stderr, "\ntrust case %zu: \"%s\", want \"%s\"\n", i, got,
				trust_cases[i].want);
		CU_ASSERT_STRING_EQUAL(got, trust_cases[i].want);
		mime_message_free(&msg);
	}
}

static const struct test_case trust_cases_list[] = {
	{"Reply-To, Authentication-Results and the recipient", test_trust_table},
	{NULL, NULL},
};
TEST_SUITE("trust", NULL, NULL, trust_cases_list)
