/* SPDX-License-Identifier: MIT */
/* Spam verdicts in the headers: SpamAssassin, Rspamd, Microsoft 365, and
 * the administrator's pattern, each a table of hand-written headers. */

#include <stdio.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "agent/screen/screen.h"
#include "daemon/lib/util.h"
#include "harness.h"

static int screen_with(const char *headers, const char *pattern, struct screen_result *r)
{
	struct mime_limits lim;
	struct mime_message *m = NULL;
	struct screen_options opt = {pattern};
	char raw[4096];
	int ret;

	mime_limits_default(&lim);
	snprintf(raw, sizeof(raw), "From: Buyer <buyer@example.test>\n%s\nIs HP-12345 in stock?\n",
		 headers);
	CU_ASSERT_EQUAL(mime_parse(raw, strlen(raw), &lim, &m, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	ret = screen_message_with(m, &opt, r);
	mime_message_free(&m);
	return ret;
}

static const struct {
	const char *headers;
	bool spam;
	const char *detail; /* part of the detail when spam */
} builtin[] = {
	/* SpamAssassin */
	{"X-Spam-Flag: YES\n", true, "x-spam-flag: YES"},
	{"X-Spam-Flag: yes\n", true, "x-spam-flag"},
	{"X-Spam-Flag: NO\n", false, NULL},
	{"X-Spam-Score: 9.9\n", false, NULL}, /* a score alone is no verdict */
	{"X-Spam-Status: Yes, score=7.9 required=5.0 tests=HTML_MESSAGE\n", true,
	 "x-spam-status: Yes, score=7.9"},
	{"X-Spam-Status: Yes,\n\tscore=7.9 required=5.0\n", true, "x-spam-status"}, /* folded */
	{"X-Spam-Status: No, score=-0.1 required=5.0\n", false, NULL},
	{"X-Spam-Status: Yesterday\n", false, NULL},
	/* a forged "no" in front of the filter's "yes" changes nothing */
	{"X-Spam-Flag: NO\nX-Spam-Flag: YES\n", true, "x-spam-flag: YES"},
	/* Rspamd */
	{"X-Rspamd-Action: reject\n", true, "x-rspamd-action: reject"},
	{"X-Rspamd-Action: add header\n", true, "add header"},
	{"X-Rspamd-Action: Add Header \n", true, "x-rspamd-action"},
	{"X-Rspamd-Action: rewrite subject\n", true, "rewrite subject"},
	{"X-Rspamd-Action: no action\n", false, NULL},
	{"X-Rspamd-Action: greylist\n", false, NULL},
	{"X-Rspamd-Action: soft reject\n", false, NULL}, /* a delay, not a verdict */
	/* Microsoft 365 / Exchange Online Protection */
	{"X-MS-Exchange-Organization-SCL: 5\n", true, "x-ms-exchange-organization-scl: 5"},
	{"X-MS-Exchange-Organization-SCL: 9\n", true, "scl"},
	{"X-MS-Exchange-Organization-SCL: 4\n", false, NULL},
	{"X-MS-Exchange-Organization-SCL: 1\n", false, NULL},
	{"X-MS-Exchange-Organization-SCL: -1\n", false, NULL},
	{"X-MS-Exchange-Organization-SCL: 55\n", false, NULL}, /* not an SCL */
	{"X-Forefront-Antispam-Report: CIP:203.0.113.9;CTRY:;LANG:en;SCL:6;SRV:;IPV:NLI;\n", true,
	 "x-forefront-antispam-report"},
	{"X-Forefront-Antispam-Report: CIP:203.0.113.9;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;\n", false,
	 NULL},
	{"X-Forefront-Antispam-Report: CIP:1.2.3.4;XSCL:9;SCL:-1;\n", false, NULL},
	/* nothing at all */
	{"Subject: stock\n", false, NULL},
};

static void test_builtin_verdicts(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		struct screen_result r;
		int rc = screen_with(builtin[i].headers, NULL, &r);

		if (rc != (builtin[i].spam ? 1 : 0) ||
		    (builtin[i].spam && strstr(r.detail, builtin[i].detail) == NULL))
			printf("\n  %s-> rc %d, code \"%s\", detail \"%s\"", builtin[i].headers, rc,
			       r.code, r.detail);
		CU_ASSERT_EQUAL(rc, builtin[i].spam ? 1 : 0);
		if (!builtin[i].spam) {
			CU_ASSERT_EQUAL(r.action, SCREEN_PASS);
			continue;
		}
		CU_ASSERT_EQUAL(r.reason, SCREEN_SPAM);
		CU_ASSERT_STRING_EQUAL(r.code, "spam");
		CU_ASSERT_EQUAL(r.action, SCREEN_SKIP);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.detail, builtin[i].detail));
	}
}

static const struct {
	const char *headers, *pattern;
	bool spam;
} patterns[] = {
	{"X-Barracuda-Spam-Status: Yes, score=4.2\n", "^x-barracuda-spam-status: yes", true},
	{"X-Barracuda-Spam-Status: No, score=0.2\n", "^x-barracuda-spam-status: yes", false},
	/* caseless, on the unfolded value */
	{"X-Spam-Level: *******\n", "^X-SPAM-LEVEL: \\*{6,}", true},
	{"X-Spam-Level: ***\n", "^x-spam-level: \\*{6,}", false},
	{"X-Custom-Verdict: clean\n\tbut actually junk\n", "^x-custom-verdict: clean but actually",
	 true},
	/* headers only: the body's words never match */
	{"Subject: stock\n", "in stock", false},
	{"Subject: stock\n", "", false},
	/* a pattern that does not compile matches nothing (check-config refuses it) */
	{"X-Anything: yes\n", "x-anything: (yes", false},
	/* the built-in verdicts hold whatever the pattern */
	{"X-Spam-Flag: YES\n", "^never$", true},
};

static void test_pattern(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		struct screen_result r;
		int rc = screen_with(patterns[i].headers, patterns[i].pattern, &r);

		if (rc != (patterns[i].spam ? 1 : 0))
			printf("\n  %s with /%s/ -> %d", patterns[i].headers, patterns[i].pattern,
			       rc);
		CU_ASSERT_EQUAL(rc, patterns[i].spam ? 1 : 0);
		if (patterns[i].spam)
			CU_ASSERT_STRING_EQUAL(r.code, "spam");
	}
}

/* Spam is the reason even when other reasons apply too, and the detail keeps
 * to printable ASCII whatever the header holds. */
static void test_precedence_and_detail(void)
{
	struct screen_result r;

	CU_ASSERT_EQUAL(screen_with("List-Id: <offers.example>\nX-Spam-Flag: YES\n", NULL, &r), 1);
	CU_ASSERT_STRING_EQUAL(r.code, "spam");
	CU_ASSERT_EQUAL(screen_with("X-Rspamd-Action: reject\nX-Junk: \xC3\xA9\xC3\xA9\n",
				    "^x-junk: \xC3\xA9", &r),
			1);
	CU_ASSERT_STRING_EQUAL(r.detail, "spam verdict x-rspamd-action: reject");
	CU_ASSERT_EQUAL(screen_with("X-Junk: \xC3\xA9t\xC3\xA9\n", "^x-junk: \xC3\xA9", &r), 1);
	for (const char *p = r.detail; *p != '\0'; p++)
		CU_ASSERT(*p >= 0x20 && *p < 0x7f);
	/* screen_message() has no pattern, but the built-in verdicts */
	{
		struct mime_limits lim;
		struct mime_message *m = NULL;
		const char *raw = "From: a@b.example\nX-Spam-Flag: YES\n\nhi\n";

		mime_limits_default(&lim);
		CU_ASSERT_EQUAL(mime_parse(raw, strlen(raw), &lim, &m, NULL), 0);
		CU_ASSERT_EQUAL(screen_message(m, &r), 1);
		CU_ASSERT_STRING_EQUAL(r.code, "spam");
		CU_ASSERT_EQUAL(screen_message_with(m, NULL, &r), 1);
		mime_message_free(&m);
	}
	CU_ASSERT_STRING_EQUAL(screen_reason_code(SCREEN_SPAM), "spam");
}

static const struct test_case screen_spam_cases[] = {
	{"SpamAssassin, Rspamd and Microsoft 365 verdicts", test_builtin_verdicts},
	{"the administrator's header pattern", test_pattern},
	{"spam wins over other reasons; detail is printable", test_precedence_and_detail},
	{NULL, NULL},
};
TEST_SUITE("screen_spam", NULL, NULL, screen_spam_cases)
