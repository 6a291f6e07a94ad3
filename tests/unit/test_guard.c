/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/guard.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* Drafts for corpus 001 (stock) and 002 (order status), each checked as
 * written (zero flags) and with one value changed (exactly that flag). */

static json_t *guard_facts[2];
static char *guard_drafts[2];
static json_t *guard_phrases;

static const struct key_hit guard_requested_001[] = {{"HP-20115", 200, 1, 0},
						     {"HP-20203", 10, 1, 0}};
static const char *const guard_company[] = {"support@harborparts.example"};
static const char *const guard_allow[] = {"harborparts.example", "dhl.example"};

static int guard_suite_init(void)
{
	static const char *const names[] = {"001", "002"};
	char path[4096];
	size_t i, len;

	guard_phrases = json_pack("[s,s]", "guaranteed", "we apologise for any inconvenience");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/tests/fixtures/guard/facts-%s.json",
			 test_src_dir(), names[i]);
		guard_facts[i] = json_load_file(path, 0, NULL);
		snprintf(path, sizeof(path), "%s/tests/fixtures/guard/draft-%s.txt", test_src_dir(),
			 names[i]);
		if (guard_facts[i] == NULL ||
		    file_read_all(path, 65536, &guard_drafts[i], &len, NULL) < 0) {
			fprintf(stderr, "guard: %s: unreadable\n", path);
			return -1;
		}
	}
	return 0;
}

static int guard_suite_cleanup(void)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		json_decref(guard_facts[i]);
		free(guard_drafts[i]);
	}
	json_decref(guard_phrases);
	return 0;
}

static const struct {
	int which;        /* 0: corpus 001, 1: corpus 002 */
	const char *from; /* replaced in the fixture draft (NULL: as is) */
	const char *to;
	bool no_requested; /* quantities only from the draft itself */
	const char *want;  /* the exact flags, space-separated; "" for none */
} guard_table[] = {
	{0, NULL, NULL, false, ""},
	{0, NULL, NULL, true, ""},
	{1, NULL, NULL, false, ""},
	/* formatting variants of the same figures */
	{0, "EUR 3.95/unit", "3,95 \xe2\x82\xac per unit", false, ""},
	{0, "EUR 3.95/unit",
	 "\xe2\x82\xac"
	 "3.95 each",
	 false, ""},
	{0, "EUR 1,077.50", "1.077,50 EUR", false, ""},
	{0, "EUR 1,077.50", "EUR 1077.50", false, ""},
	{0, "EUR 790.00", "790 euros", false, ""},
	{0, "1200 on hand", "all 200 you asked for are available", false, ""},
	{0, "1200 on hand", "1,200 pcs in stock", false, ""},
	{0, "1200 on hand", "stock: 1200", false, ""},
	{0, "64 on hand", "64 units are currently in stock", false, ""},
	{0, "lead time 3 days", "lead time is about 3 working days", false, ""},
	{0, "Dear Tom,", "Dear Tom, HP-77812 is not in our range.", false, ""},
	{1, "2025-03-10", "10.03.2025", false, ""},
	{1, "17 March 2025", "March 17, 2025", false, ""},
	{1, "17 March 2025", "17. M\xc3\xa4rz 2025", false, ""},
	{1, "17 March 2025", "le 17 mars", false, ""},
	{1, "17 March 2025", "17/03/2025", false, ""},
	{1, "in time for your deadline", "the 18th, as you asked", false, ""},
	{1, "Harbor Parts Co.", "https://harborparts.example/orders", false, ""},
	{1, "Harbor Parts Co.", "https://track.dhl.example/?id=JD014600006317750518", false, ""},
	{1, "Hello Priya,", "Hello Priya, your colleagues' SO-204533 is backordered.", false, ""},
	/* one wrong value each */
	{0, "1200 on hand", "1000 on hand", false, "wrong_quantity"},
	{0, "64 on hand", "640 on hand", false, "wrong_quantity"},
	{0, "1200 on hand", "all 2000 are available", false, "wrong_quantity"},
	{0, "lead time 7 days", "lead time 5 days", false, "wrong_lead_time"},
	{0, "EUR 3.95/unit", "EUR 3.59/unit", false, "wrong_price"},
	{0, "EUR 790.00", "EUR 780.00", false, "wrong_price"},
	{0, "EUR 1,077.50", "EUR 1,077.05", false, "wrong_price"},
	{0, "EUR 1,077.50", "EUR 1.077,05", false, "wrong_price"},
	{0, "200 x = EUR 790.00", "300 x = EUR 1,185.00", false, "wrong_price"},
	{0, "HP-20203 Pillow", "HP-20204 Pillow", false, "unknown_sku"},
	{0, "Dear Tom,", "Dear Tom, order SO-204518 is on its way.", false, "unknown_order"},
	{1, "SO-204518 (order", "SO-204509 (order", false, "order_not_senders"},
	{1, "SO-204518 (order", "SO-999999 (order", false, "unknown_order"},
	{1, "JD014600006317750518", "JD014600006317750519", false, "wrong_tracking"},
	{1, "JD014600006317750518", "1Z9X4E760412345616", false, "wrong_tracking"},
	{1, "ETA 2025-03-17", "ETA 2025-03-19", false, "wrong_date"},
	{1, "17 March 2025", "19 March 2025", false, "wrong_date"},
	{1, "17 March 2025", "19.03.2025", false, "wrong_date"},
	{1, "EUR 1,284.60", "EUR 1,248.60", false, "wrong_price"},
	{1, "Harbor Parts Co.", "https://evil.test/x.png", false, "url_not_allowed"},
	{1, "Harbor Parts Co.", "www.harborparts.example.evil.test", false, "url_not_allowed"},
	{1, "Harbor Parts Co.", "cc ops-audit@evil.test", false, "foreign_address"},
	/* the guardrails read NFKC text without format characters (issue 12) */
	{1, "Harbor Parts Co.",
	 "cc ops-audit\xef\xbc\xa0"
	 "evil.test",
	 false, "foreign_address"},
	{1, "Harbor Parts Co.",
	 "https://ev\xe2\x80\x8b"
	 "il.test/x",
	 false, "url_not_allowed"},
	{1, "EUR 1,284.60",
	 "EUR 1,2\xe2\x80\x8b"
	 "84.60",
	 false, ""},
	{1, "in time for", "guaranteed in time for", false, "forbidden_phrase"},
	{1, "in time for", "GUARANTEED  in time for", false, "forbidden_phrase"},
};

static char *guard_replace(const char *s, const char *from, const char *to)
{
	const char *p = from != NULL ? strstr(s, from) : NULL;
	size_t n = strlen(s) + (to != NULL ? strlen(to) : 0) + 1;
	char *r = malloc(n);

	if (r == NULL)
		return NULL;
	if (p == NULL) {
		snprintf(r, n, "%s", s);
		return r;
	}
	snprintf(r, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return r;
}

static void guard_input_for(struct guard_input *in, int which, const char *body)
{
	static const char *const customers[] = {"tom.becker@northfield-farms.example",
						"priya.n@coastal-marine.example"};
	memset(in, 0, sizeof(*in));
	in->subject =
		which == 0 ? "Re: Stock check - 6204 bearings" : "Re: Where is order #204518?";
	in->body = body;
	in->customer = customers[which];
	in->company = guard_company;
	in->company_count = 1;
	in->facts = guard_facts[which];
	in->forbidden_phrases = guard_phrases;
	in->url_allow = guard_allow;
	in->url_allow_count = 2;
	if (which == 0) {
		in->requested = guard_requested_001;
		in->requested_count = 2;
	} else {
		in->request_text = "our vessel maintenance window starts on the 18th, so I need "
				   "the filters on site by 18 March at the latest";
	}
}

static void test_guard_table(void)
{
	struct guard_input in;
	struct guard_result res;
	char want[256], got[1024], *body;
	size_t i, k;
	int r;

	for (i = 0; i < sizeof(guard_table) / sizeof(guard_table[0]); i++) {
		body = guard_replace(guard_drafts[guard_table[i].which], guard_table[i].from,
				     guard_table[i].to);
		CU_ASSERT_PTR_NOT_NULL_FATAL(body);
		if (guard_table[i].from != NULL)
			CU_ASSERT_PTR_NOT_NULL(
				strstr(guard_drafts[guard_table[i].which], guard_table[i].from));
		guard_input_for(&in, guard_table[i].which, body);
		if (guard_table[i].no_requested)
			in.requested_count = 0;
		r = guard_check(&in, &res);
		got[0] = '\0';
		for (k = 0; k < res.count; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "",
				 res.flags[k].name);
		snprintf(want, sizeof(want), "%s", guard_table[i].want);
		if (strcmp(got, want) != 0) {
			printf("\nguard row %zu (%s -> %s): got \"%s\", want \"%s\"", i,
			       guard_table[i].from != NULL ? guard_table[i].from : "-",
			       guard_table[i].to != NULL ? guard_table[i].to : "-", got, want);
			for (k = 0; k < res.count; k++)
				printf("\n    %s: %s", res.flags[k].name, res.flags[k].detail);
		}
		CU_ASSERT_STRING_EQUAL(got, want);
		CU_ASSERT_EQUAL(r, (int)res.count);
		free(body);
	}
}

static void test_guard_limits(void)
{
	struct guard_input in;
	struct guard_result res;
	char *big = malloc(GUARD_DEFAULT_MAX_LENGTH + 10);
	json_t *j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	guard_input_for(&in, 1, " \n\t ");
	CU_ASSERT_EQUAL(guard_check(&in, &res), 1);
	CU_ASSERT_TRUE(guard_has(&res, "empty"));
	in.body = NULL;
	CU_ASSERT_EQUAL(guard_check(&in, &res), 1);
	CU_ASSERT_TRUE(guard_has(&res, "empty"));

	memset(big, 'a', GUARD_DEFAULT_MAX_LENGTH + 9);
	big[GUARD_DEFAULT_MAX_LENGTH + 9] = '\0';
	in.body = big;
	CU_ASSERT_EQUAL(guard_check(&in, &res), 1);
	CU_ASSERT_TRUE(guard_has(&res, "too_long"));
	in.max_length = GUARD_DEFAULT_MAX_LENGTH + 9;
	CU_ASSERT_EQUAL(guard_check(&in, &res), 0);
	in.max_length = 10;
	in.body = "Hello Priya, thanks.";
	CU_ASSERT_EQUAL(guard_check(&in, &res), 1);
	CU_ASSERT_STRING_EQUAL(res.flags[0].name, "too_long");
	j = guard_result_json(&res);
	CU_ASSERT_EQUAL(json_array_size(j), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(j, 0), "flag")),
			       "too_long");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_array_get(j, 0), "detail"));
	json_decref(j);
	free(big);
}

/* No facts at all: every figure is unsupported, nothing crashes. */
static void test_guard_no_facts(void)
{
	struct guard_input in = {
		.subject = "Re: HP-20115",
		.body = "HP-20115: 1200 on hand at EUR 3.95, order SO-204518 ships 2025-03-10, "
			"tracking JD014600006317750518. Write to x@y.example or see www.y.example",
		.customer = "a@b.example",
	};
	struct guard_result res;

	CU_ASSERT_TRUE(guard_check(&in, &res) >= 6);
	CU_ASSERT_TRUE(guard_has(&res, "unknown_sku"));
	CU_ASSERT_TRUE(guard_has(&res, "unknown_order"));
	CU_ASSERT_TRUE(guard_has(&res, "wrong_price"));
	CU_ASSERT_TRUE(guard_has(&res, "wrong_date"));
	CU_ASSERT_TRUE(guard_has(&res, "wrong_tracking"));
	CU_ASSERT_TRUE(guard_has(&res, "url_not_allowed"));
	CU_ASSERT_TRUE(guard_has(&res, "foreign_address"));
}

static int guard_add(struct guard_result *res, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int guard_add(struct guard_result *res, const char *name, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = guard_result_addv(res, name, fmt, ap);
	va_end(ap);
	return r;
}

/* The one way every guardrail, gate and content check adds a flag: the
 * same name and detail once, name and detail cut to their fields, and past
 * GUARD_FLAGS_MAX only "truncated". */
static void test_guard_result_add(void)
{
	struct guard_result res = {.count = 0};
	char long_name[64];
	size_t i;

	CU_ASSERT_EQUAL(guard_add(&res, "wrong_price", "EUR %d", 4), 1);
	CU_ASSERT_EQUAL(guard_add(&res, "wrong_price", "EUR %d", 4), 0);
	CU_ASSERT_EQUAL(guard_add(&res, "wrong_price", "EUR %d", 5), 1);
	CU_ASSERT_EQUAL(guard_add(&res, "wrong_date", "EUR %d", 4), 1);
	CU_ASSERT_EQUAL(res.count, 3);
	CU_ASSERT_STRING_EQUAL(res.flags[1].detail, "EUR 5");
	CU_ASSERT_FALSE(res.truncated);

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CU_ASSERT_EQUAL(guard_add(&res, long_name, "%0300d", 7), 1);
	CU_ASSERT_EQUAL(strlen(res.flags[3].name), GUARD_FLAG_NAME_MAX - 1);
	CU_ASSERT_EQUAL(strlen(res.flags[3].detail), GUARD_DETAIL_MAX - 1);
	/* the same flag again, after the cut */
	CU_ASSERT_EQUAL(guard_add(&res, long_name, "%0300d", 7), 0);
	{
		/* a detail cut inside a character, and one quoting bytes that
		 * are no UTF-8: both still become JSON (the draft went to
		 * "guardrail check failed" for ever before; fuzz_guard found it) */
		char e_acute[401], *text;
		json_t *j;

		for (i = 0; i + 2 < sizeof(e_acute); i += 2)
			memcpy(e_acute + i, "\xc3\xa9", 2);
		e_acute[i] = '\0';
		CU_ASSERT_EQUAL(guard_add(&res, "link", "%s", e_acute), 1);
		CU_ASSERT_EQUAL(guard_add(&res, "link", "http://e\xff\xfe/"), 1);
		CU_ASSERT_STRING_EQUAL(res.flags[5].detail, "http://e?"
							    "?/");
		CU_ASSERT_EQUAL(res.flags[4].detail[GUARD_DETAIL_MAX - 2], '?');
		j = guard_result_json(&res);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		text = json_dumps(j, 0);
		CU_ASSERT_PTR_NOT_NULL(text);
		free(text);
		json_decref(j);
		res.count = 4;
	}

	for (i = res.count; i < GUARD_FLAGS_MAX; i++)
		CU_ASSERT_EQUAL(guard_add(&res, "unknown_sku", "HP-%05zu", i), 1);
	CU_ASSERT_EQUAL(res.count, GUARD_FLAGS_MAX);
	CU_ASSERT_FALSE(res.truncated);
	CU_ASSERT_EQUAL(guard_add(&res, "wrong_price", "EUR %d", 4), 0);
	CU_ASSERT_FALSE(res.truncated);
	CU_ASSERT_EQUAL(guard_add(&res, "unknown_sku", "HP-99999"), 0);
	CU_ASSERT_TRUE(res.truncated);
	CU_ASSERT_EQUAL(res.count, GUARD_FLAGS_MAX);
}

/* One allow-list test for the guardrails and the links gate: the entry
 * or a subdomain of it, any ASCII case, trailing dots ignored; nothing
 * with a byte outside ASCII, nothing by an empty entry. */
static void test_guard_host_allowed(void)
{
	static const char *const allow[] = {"harborparts.example", NULL, "", "DHL.example"};
	static const struct {
		const char *host;
		bool allowed;
	} cases[] = {
		{"harborparts.example", true},
		{"shop.harborparts.example", true},
		{"Shop.HarborParts.Example.", true},
		{"www.dhl.example", true},
		{"evilharborparts.example", false},
		{"harborparts.example.evil", false},
		{"example", false},
		{"", false},
		{".", false},
		{"\xd0\xb0pp.harborparts.example", false}, /* Cyrillic a: a look-alike */
		{"harborparts.\xd0\xb5xample", false},
	};
	struct guard_input in = {
		.subject = "Re: your order",
		.body = "See https://\xd0\xb0pp.harborparts.example/track and "
			"https://shop.harborparts.example/a",
		.customer = "a@b.example",
		.url_allow = allow,
		.url_allow_count = ARRAY_SIZE(allow),
	};
	struct guard_result res;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(guard_host_allowed(allow, ARRAY_SIZE(allow), cases[i].host,
						   strlen(cases[i].host)),
				cases[i].allowed);
	/* the guardrails flag the look-alike, not the company's own shop */
	CU_ASSERT_TRUE(guard_check(&in, &res) >= 1);
	for (i = 0; i < res.count; i++)
		if (strcmp(res.flags[i].name, "url_not_allowed") == 0) {
			n++;
			CU_ASSERT_PTR_NOT_NULL(
				strstr(res.flags[i].detail, "pp.harborparts.example"));
		}
	CU_ASSERT_EQUAL(n, 1);
}

/* One "is this address ours" for the guardrails and the addresses gate: an
 * address entry alone or with its display name (as a mailbox's address may be
 * configured), a domain entry, any ASCII case. */
static void test_guard_addr_ours(void)
{
	static const char *const own[] = {"Harbor Parts Support <support@harborparts.example>",
					  NULL, "sales@harborparts.example", "hp-shop.example"};
	static const struct {
		const char *addr;
		bool ours;
	} cases[] = {
		{"support@harborparts.example", true},
		{"SUPPORT@HarborParts.example", true},
		{"sales@harborparts.example", true},
		{"anyone@hp-shop.example", true},
		{"info@harborparts.example", false},
		{"support@harborparts.example.evil", false},
		{"support@evil-harborparts.example", false},
		{"x@sub.hp-shop.example", false},
		{"hp-shop.example", false},
	};
	static const char *const company[] = {"Harbor Parts Support <support@harborparts.example>"};
	struct guard_input in = {
		.subject = "Re: your order",
		.body = "Write to support@harborparts.example or to help@elsewhere.example.",
		.customer = "a@b.example",
		.company = company,
		.company_count = ARRAY_SIZE(company),
	};
	struct guard_result res;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(
			guard_addr_ours(own, ARRAY_SIZE(own), cases[i].addr, strlen(cases[i].addr)),
			cases[i].ours);
	/* the mailbox's own address, configured with its name, is not foreign */
	CU_ASSERT_TRUE(guard_check(&in, &res) >= 1);
	for (i = 0; i < res.count; i++)
		if (strcmp(res.flags[i].name, "foreign_address") == 0) {
			n++;
			CU_ASSERT_PTR_NOT_NULL(
				strstr(res.flags[i].detail, "help@elsewhere.example"));
		}
	CU_ASSERT_EQUAL(n, 1);
}

static const struct test_case guard_cases[] = {
	{"valid drafts pass, each wrong value is flagged", test_guard_table},
	{"empty, too long, JSON", test_guard_limits},
	{"no facts: every figure flagged", test_guard_no_facts},
	{"a flag is added once, cut to size, bounded", test_guard_result_add},
	{"the URL allow-list: entries, subdomains, no look-alikes", test_guard_host_allowed},
	{"our addresses: entries with names, domains, case", test_guard_addr_ours},
	{NULL, NULL},
};
TEST_SUITE("guard", guard_suite_init, guard_suite_cleanup, guard_cases)
