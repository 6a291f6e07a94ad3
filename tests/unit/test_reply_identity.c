/* Issue 18, reply identity (daemon/outbox/outbox_body.c, outbox_compose()):
 * the mailbox's display name on From, the customer's name on To, names keep
 * their letters, the signature names the approving reviewer, the quote is
 * as mail clients write it. */

#include <string.h>

#include "daemon/outbox/outbox.h"
#include "daemon/outbox/outbox_body.h"
#include "harness.h"

static struct outbox_item sofia_item(void)
{
	struct outbox_item item = {
		.message_id = "<ours@harborparts.example>",
		.orig_sender = "sofia@example.test",
		.orig_sender_name = "Sofía Núñez",
		.orig_subject = "Stock HP-12345",
		.orig_date = "Tue, 18 Mar 2025 09:00:00 +0100",
		.orig_text = "Hola,\nis HP-12345 in stock?\n\n> an older line\nSofía",
		.subject = "",
		.body = "Hello Sofía,\n\nyes, 4 pieces.\n",
		.reviewer = "alice",
	};
	return item;
}

static const char *compose(const struct outbox_item *item, const struct mailbox_config *mb,
			   struct buf *b)
{
	static struct error err;
	struct mail_envelope env;

	buf_init(b, MAIL_MESSAGE_MAX);
	if (outbox_compose(item, mb, 1700000000, b, &env, &err) < 0)
		return error_msg(&err);
	return NULL;
}

static void test_names_on_from_and_to(void)
{
	struct mailbox_config mb = {.name = "support",
				    .address = "support@harborparts.example",
				    .display_name = "Harbor Parts Support"};
	struct outbox_item item = sofia_item();
	struct buf b;

	CU_ASSERT_PTR_NULL_FATAL(compose(&item, &mb, &b));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(b.data, "From: Harbor Parts Support <support@harborparts.example>\r\n"));
	/* the customer's name keeps its letters: RFC 2047 UTF-8 on the wire */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "To: =?UTF-8?"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " <sofia@example.test>\r\n"));
	buf_free(&b);
	/* a Reply-To elsewhere: the sender's name is not put on another address */
	item.orig_reply_to = "orders@example.test";
	CU_ASSERT_PTR_NULL_FATAL(compose(&item, &mb, &b));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\r\nTo: orders@example.test\r\n"));
	buf_free(&b);
	/* the address's own display form is replaced by display_name */
	mb.address = "Support <support@harborparts.example>";
	item.orig_reply_to = NULL;
	CU_ASSERT_PTR_NULL_FATAL(compose(&item, &mb, &b));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "From: Harbor Parts Support <support@"));
	buf_free(&b);
	/* a name with a control character from the mail is left out, the reply goes */
	item.orig_sender_name = "Evil\r\nBcc: x@evil.example";
	CU_ASSERT_PTR_NULL_FATAL(compose(&item, &mb, &b));
	CU_ASSERT_PTR_NULL(strstr(b.data, "Bcc:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\r\nTo: sofia@example.test\r\n"));
	buf_free(&b);
}

static void test_signature(void)
{
	struct mailbox_config mb = {
		.address = "support@harborparts.example",
		.display_name = "Harbor Parts Support",
		.signature = "-- \\n{reviewer}\\n{display_name}\\nsupport: {address}",
	};
	struct outbox_item item = sofia_item();
	struct buf b;

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(outbox_body(&item, &mb, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "Hello Sofía,\n\nyes, 4 pieces.\n\n-- \nalice\nHarbor Parts "
				       "Support\nsupport: support@harborparts.example\n");
	buf_free(&b);
	/* an automatic reply: nobody approved it, the {reviewer} line is left out */
	item.is_auto = true;
	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(outbox_body(&item, &mb, &b), 0);
	CU_ASSERT_PTR_NULL(strstr(b.data, "alice"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\n-- \nHarbor Parts Support\n"));
	buf_free(&b);
}

static void test_quote_bottom(void)
{
	struct mailbox_config mb = {.address = "support@harborparts.example",
				    .quote = QUOTE_BOTTOM};
	struct outbox_item item = sofia_item();
	struct buf b;

	item.body = "Hello Sofía,\n\nyes.";
	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(outbox_body(&item, &mb, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "Hello Sofía,\n\nyes.\n\n"
				       "On Tue, 18 Mar 2025 09:00:00 +0100, Sofía Núñez "
				       "<sofia@example.test> wrote:\n"
				       "> Hola,\n> is HP-12345 in stock?\n>\n>> an older line\n"
				       "> Sofía\n");
	buf_free(&b);
	/* quote = none (the default): the body alone */
	mb.quote = QUOTE_NONE;
	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(outbox_body(&item, &mb, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "Hello Sofía,\n\nyes.");
	buf_free(&b);
}

static void test_quote_bounded(void)
{
	struct mailbox_config mb = {.address = "support@harborparts.example",
				    .quote = QUOTE_BOTTOM};
	struct outbox_item item = sofia_item();
	static char big[OUTBOX_QUOTE_MAX * 2];
	struct buf b;

	for (size_t i = 0; i + 1 < sizeof(big); i++)
		big[i] = (i % 80 == 79) ? '\n' : 'x';
	item.orig_text = big;
	buf_init(&b, MAIL_MESSAGE_MAX);
	CU_ASSERT_EQUAL(outbox_body(&item, &mb, &b), 0);
	CU_ASSERT(b.len < OUTBOX_QUOTE_MAX + 1024);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "> [...]\n"));
	buf_free(&b);
}

static const struct test_case reply_identity_cases[] = {
	{"display_name on From, the customer's name (UTF-8) on To", test_names_on_from_and_to},
	{"signature names the approving reviewer, not on automatic replies", test_signature},
	{"quote = bottom quotes the original as mail clients do", test_quote_bottom},
	{"the quote is bounded", test_quote_bounded},
	{NULL, NULL},
};
TEST_SUITE("reply_identity", NULL, NULL, reply_identity_cases)
