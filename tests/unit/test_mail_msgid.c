/* SPDX-License-Identifier: MIT */
/* Our Message-IDs: the domain comes from the mailbox's address alone,
 * whatever its display form ("Support <support@example.com>" once gave
 * "...@example.com_>"), both for approved replies (the review store, on the
 * real test Postgres) and for the builder itself. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mail/mail_compose.h"
#include "daemon/store/store.h"
#include "daemon/store/store_review.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static const char *db_url;

static const struct {
	const char *address, *domain; /* NULL: no domain */
} domains[] = {
	{"support@example.com", "example.com"},
	{"Support <support@example.com>", "example.com"},
	{"Harbor Parts Support <support@Harbor-Parts.example>", "harbor-parts.example"},
	{"\"Support, Harbor <old@x.example>\" <support@example.com>", "example.com"},
	{"\"s@fake.example\" <support@example.com>", "example.com"},
	{"  <support@example.com>  ", "example.com"},
	{"Sofía Support <soporte@ejemplo.example>", "ejemplo.example"},
	{"", NULL},
	{"Support", NULL},
	{"Support <support@>", NULL},
	{"a@b.example, c@d.example", NULL},
	{"Support <support@example.com", NULL},
};

static void test_address_domain(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(domains); i++) {
		char out[256] = "unchanged";
		int r = mail_address_domain(domains[i].address, out, sizeof(out));

		if (domains[i].domain == NULL) {
			CU_ASSERT_EQUAL(r, -1);
			continue;
		}
		CU_ASSERT_EQUAL(r, 0);
		if (strcmp(out, domains[i].domain) != 0)
			printf("\n  %s -> %s", domains[i].address, out);
		CU_ASSERT_STRING_EQUAL(out, domains[i].domain);
	}
	CU_ASSERT_EQUAL(mail_address_domain(NULL, (char[8]){0}, 8), -1);
	/* a buffer too small is an error, never a cut domain */
	CU_ASSERT_EQUAL(mail_address_domain("a@example.com", (char[8]){0}, 8), -1);
}

/* "<hex>.<time>@domain>", valid for the composer, different every time. */
static void test_message_id_new(void)
{
	static const struct {
		const char *address, *fallback, *suffix;
	} cases[] = {
		{"Support <support@example.com>", NULL, "@example.com>"},
		{"support@example.com", "other.example", "@example.com>"},
		{NULL, "fallback.example", "@fallback.example>"},
		{"not an address", "fallback.example", "@fallback.example>"},
		{"not an address", NULL, "@draftd.invalid>"},
		{NULL, "bad domain>", "@draftd.invalid>"},
		{NULL, "", "@draftd.invalid>"},
	};
	char a[MAIL_MSGID_MAX], b[MAIL_MSGID_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n;

		CU_ASSERT_EQUAL_FATAL(
			mail_message_id_new(cases[i].address, cases[i].fallback, a, sizeof(a)), 0);
		n = strlen(a);
		CU_ASSERT(a[0] == '<');
		CU_ASSERT(n > strlen(cases[i].suffix) &&
			  strcmp(a + n - strlen(cases[i].suffix), cases[i].suffix) == 0);
		if (n <= strlen(cases[i].suffix) ||
		    strcmp(a + n - strlen(cases[i].suffix), cases[i].suffix) != 0)
			printf("\n  %s / %s -> %s", cases[i].address ? cases[i].address : "NULL",
			       cases[i].fallback ? cases[i].fallback : "NULL", a);
		/* exactly one '<', one '>', one '@', no space */
		CU_ASSERT_PTR_NULL(strchr(a + 1, '<'));
		CU_ASSERT_PTR_EQUAL(strchr(a, '>'), a + n - 1);
		CU_ASSERT_PTR_EQUAL(strchr(a, '@'), strrchr(a, '@'));
		CU_ASSERT_PTR_NULL(strchr(a, ' '));
	}
	CU_ASSERT_EQUAL(mail_message_id_new("support@example.com", NULL, a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(mail_message_id_new("support@example.com", NULL, b, sizeof(b)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(mail_message_id_new("support@example.com", NULL, a, 20), -1);
	/* the composer takes it */
	{
		struct mail_reply reply;
		struct mail_envelope env;
		struct buf out;
		struct error err;

		memset(&reply, 0, sizeof(reply));
		CU_ASSERT_EQUAL(
			mail_message_id_new("Support <support@example.com>", NULL, a, sizeof(a)),
			0);
		reply.from = "Support <support@example.com>";
		reply.to = "ann@customer.example";
		reply.message_id = a;
		reply.body = "Hello";
		buf_init(&out, 1 << 20);
		CU_ASSERT_EQUAL(mail_compose(&reply, &out, &env, &err), 0);
		buf_free(&out);
	}
}

static int msgid_init(void)
{
	static const char *const fixtures =
		"INSERT INTO mailboxes (name, imap_url, imap_user, address) VALUES"
		" ('display', 'imap://x', 'u', 'Support <support@example.com>'),"
		" ('quoted', 'imap://x', 'u', '\"Support, Harbor\" <help@harbor.example>'),"
		" ('noaddr', 'imap://x', 'u', NULL);"
		"INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender)"
		" SELECT g, 1, g, sha256(g::text::bytea), 1, 'ann@customer.example'"
		" FROM generate_series(1, 3) g;"
		"INSERT INTO drafts (message_id, category, subject, body)"
		" SELECT g, 'stock_inquiry', 'Re: x', 'Hello Ann' FROM generate_series(1, 3) g;"
		"INSERT INTO categories (name) VALUES ('stock_inquiry');";

	db_url = test_store_database("draftd_test_mail_msgid", fixtures);
	return db_url != NULL ? 0 : -1;
}

/* Approving a draft of each mailbox: the outbox row's Message-ID ends in
 * the address's domain. */
static void test_approved_reply_ids(void)
{
	static const struct {
		const char *draft, *fallback, *suffix;
	} cases[] = {
		{"1", NULL, "@example.com>"},
		{"2", NULL, "@harbor.example>"},
		{"3", "configured.example", "@configured.example>"},
	};
	struct store *store = NULL;
	struct error err;

	CU_ASSERT_EQUAL_FATAL(store_open(db_url, 5, &store, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct review_approve approve = {.fallback_domain = cases[i].fallback};
		json_t *detail = NULL;
		const char *id;
		size_t n;

		CU_ASSERT_EQUAL(
			store_review_approve(store, cases[i].draft, "rev", &approve, &detail),
			REVIEW_OK);
		id = json_string_value(
			json_object_get(json_object_get(detail, "outbox"), "message_id"));
		CU_ASSERT_PTR_NOT_NULL_FATAL(id);
		n = strlen(id);
		if (n <= strlen(cases[i].suffix) ||
		    strcmp(id + n - strlen(cases[i].suffix), cases[i].suffix) != 0)
			printf("\n  draft %s: Message-ID %s", cases[i].draft, id);
		CU_ASSERT(n > strlen(cases[i].suffix) &&
			  strcmp(id + n - strlen(cases[i].suffix), cases[i].suffix) == 0);
		CU_ASSERT_PTR_NULL(strchr(id, '_'));
		json_decref(detail);
	}
	store_close(&store);
}

static const struct test_case mail_msgid_cases[] = {
	{"domain of an address in any display form", test_address_domain},
	{"new Message-IDs: format, domain, fallback, unique, composable", test_message_id_new},
	{"approved replies get the address's domain (Postgres)", test_approved_reply_ids},
	{NULL, NULL},
};
TEST_SUITE("mail_msgid", msgid_init, NULL, mail_msgid_cases)
