/* SPDX-License-Identifier: MIT */
/* The reply composer: addresses, Re: normalisation, threading headers,
 * RFC 2047 subjects, quoted-printable bodies, and header injection. The
 * encoded output is decoded here again and compared with the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mail/mail_compose.h"
#include "tests/unit/harness.h"

struct addr_case {
	const char *in;
	int ret;
	const char *name;
	const char *addr;
};

static const struct addr_case addr_cases[] = {
	{"jane@example.com", 0, "", "jane@example.com"},
	{"Jane Doe <jane@example.com>", 0, "Jane Doe", "jane@example.com"},
	{"\"Doe, Jane\" <jane@example.com>", 0, "Doe, Jane", "jane@example.com"},
	{"  <jane@example.com>  ", 0, "", "jane@example.com"},
	{"J\xc3\xbcrgen M\xc3\xbcller <j.mueller+x@shop.example.de>", 0,
	 "J\xc3\xbcrgen M\xc3\xbcller", "j.mueller+x@shop.example.de"},
	{"\"a \\\"quoted\\\" name\" <q@example.com>", 0, "a \"quoted\" name", "q@example.com"},
	{"a@b.com, c@d.com", -1, NULL, NULL},
	{"a@b.com\r\nBcc: x@y.com", -1, NULL, NULL},
	{"a@b.com\nBcc: x@y.com", -1, NULL, NULL},
	{"Evil\r\n <a@b.com>", -1, NULL, NULL},
	{"Jane <a@b.com> <c@d.com>", -1, NULL, NULL},
	{"Jane <a@b.com>, c@d.com", -1, NULL, NULL},
	{"Jane <a@b.com> c@d.com", -1, NULL, NULL},
	{"x@y.com <a@b.com>", -1, NULL, NULL},
	{"\"unterminated <a@b.com>", -1, NULL, NULL},
	{"a@b@c.com", -1, NULL, NULL},
	{"no-at-sign", -1, NULL, NULL},
	{"", -1, NULL, NULL},
	{"a..b@c.com", -1, NULL, NULL},
	{"a@-bad.com", -1, NULL, NULL},
	{"\xc3\xa4@b.com", -1, NULL, NULL},
	{"a b@c.com", -1, NULL, NULL},
	{"Jane <a@b.com", -1, NULL, NULL},
};

static void test_address_parse(void)
{
	struct mail_address a;
	struct error err = {0};
	size_t i;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		int r = mail_address_parse(c->in, &a, &err);

		if (r != c->ret)
			fprintf(stderr, "address case %zu (%s): got %d\n", i, c->in, r);
		CU_ASSERT_EQUAL(r, c->ret);
		if (r == 0 && c->ret == 0) {
			CU_ASSERT_STRING_EQUAL(a.name, c->name);
			CU_ASSERT_STRING_EQUAL(a.addr, c->addr);
		}
		if (r < 0)
			CU_ASSERT_STRING_NOT_EQUAL(error_msg(&err), "");
	}
}

static const char *const subject_cases[][2] = {
	{"Hello", "Re: Hello"},
	{"Re: Hello", "Re: Hello"},
	{"RE: re: AW: Sv: Hello", "Re: Hello"},
	{"Re[2]: Hello", "Re: Hello"},
	{"RE(3): Hello", "Re: Hello"},
	{"Antw: Re: Hello", "Re: Hello"},
	{"Re:Hello", "Re: Hello"},
	{"RE : Hello", "Re: Hello"},
	{"Res: Vs: Hello", "Re: Hello"},
	{"", "Re:"},
	{"Re:  ", "Re:"},
	{"Are you there", "Re: Are you there"},
	{"Revenue: Q3", "Re: Revenue: Q3"},
	{"Fwd: stock", "Re: Fwd: stock"},
	{"Hello\r\nBcc: evil@example.com", "Re: Hello  Bcc: evil@example.com"},
	{"Re:\r\n Re: Hello", "Re: Hello"},
	{"R\xc3\xa9union", "Re: R\xc3\xa9union"},
	{"bad \xff byte", "Re: bad ? byte"},
};

static void test_reply_subject(void)
{
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(subject_cases) / sizeof(subject_cases[0]); i++) {
		buf_init(&b, 4096);
		CU_ASSERT_EQUAL_FATAL(mail_reply_subject(subject_cases[i][0], &b), 0);
		if (strcmp(b.data, subject_cases[i][1]) != 0)
			fprintf(stderr, "subject case %zu: got '%s'\n", i, b.data);
		CU_ASSERT_STRING_EQUAL(b.data, subject_cases[i][1]);
		buf_free(&b);
	}
}

static int b64_val(char c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(tab, c);

	return c != '\0' && p != NULL ? (int)(p - tab) : -1;
}

/* Decodes a header value made of plain text and =?UTF-8?B?...?= words. */
static void eword_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in != '\0' && n + 4 < size) {
		if (strncmp(in, "=?UTF-8?B?", 10) == 0) {
			const char *end = strstr(in + 10, "?=");
			const char *p;
			unsigned int acc = 0, bits = 0;

			CU_ASSERT_PTR_NOT_NULL_FATAL(end);
			for (p = in + 10; p < end && *p != '='; p++) {
				acc = (acc << 6) | (unsigned int)b64_val(*p);
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					out[n++] = (char)((acc >> bits) & 0xFF);
				}
			}
			in = end + 2;
			/* blanks between adjacent encoded-words are not text */
			if (*in == ' ' && strncmp(in + 1, "=?UTF-8?B?", 10) == 0)
				in++;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
}

static int hexval(char c)
{
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - '0';
}

/* Decodes quoted-printable, returning the text with CRLF line ends. */
static void qp_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in != '\0' && n + 2 < size) {
		if (in[0] == '=' && in[1] == '\r' && in[2] == '\n') {
			in += 3;
		} else if (in[0] == '=') {
			out[n++] = (char)(hexval(in[1]) * 16 + hexval(in[2]));
			in += 3;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
}

/* The unfolded value of header name in msg, or "" when absent. */
static void header_get(const char *msg, const char *name, char *out, size_t size)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
	size_t n = 0, nl = strlen(name);

	out[0] = '\0';
	while (p != NULL && p < end) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			if (*p == ' ')
				p++;
			while (p < end && n + 1 < size) {
				if (p[0] == '\r' && p[1] == '\n') {
					if (p[2] != ' ' && p[2] != '\t')
						break;
					p += 2;
					continue;
				}
				out[n++] = *p++;
			}
			out[n] = '\0';
			return;
		}
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
}

static void check_lines(const char *msg, size_t header_max, size_t body_max)
{
	const char *p = msg, *eol, *body = strstr(msg, "\r\n\r\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	for (; *p != '\0'; p = eol + 2) {
		eol = strstr(p, "\r\n");
		CU_ASSERT_PTR_NOT_NULL_FATAL(eol);
		CU_ASSERT_PTR_NULL(memchr(p, '\n', (size_t)(eol - p)));
		CU_ASSERT_PTR_NULL(memchr(p, '\r', (size_t)(eol - p)));
		if ((size_t)(eol - p) > (p < body ? header_max : body_max))
			fprintf(stderr, "long line: %.*s\n", (int)(eol - p), p);
		CU_ASSERT((size_t)(eol - p) <= (p < body ? header_max : body_max));
	}
}

static char *compose(const struct mail_reply *r, struct mail_envelope *env, struct error *err)
{
	struct buf b;

	buf_init(&b, MAIL_MESSAGE_MAX);
	if (mail_compose(r, &b, env, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static struct mail_reply base_reply(void)
{
	struct mail_reply r = {
		.from = "Support Team <support@example.com>",
		.to = "Jane Doe <jane@customer.example>",
		.subject = "RE: AW: Where is order SO-204518?",
		.orig_message_id = "<orig-1@customer.example>",
		.orig_references = "<root@customer.example> <mid@support.example>",
		.message_id = "<draftd-42@example.com>",
		.body = "Hello Jane,\n\nyour order ships today.\n",
		.date = 1700000000,
	};
	return r;
}

static void test_compose_threading(void)
{
	struct mail_reply r = base_reply();
	struct mail_envelope env;
	struct error err = {0};
	char v[2048], *msg = compose(&r, &env, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	check_lines(msg, 78, 76);
	header_get(msg, "From", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "Support Team <support@example.com>");
	header_get(msg, "To", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "Jane Doe <jane@customer.example>");
	header_get(msg, "Subject", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "Re: Where is order SO-204518?");
	header_get(msg, "In-Reply-To", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "<orig-1@customer.example>");
	header_get(msg, "References", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(
		v, "<root@customer.example> <mid@support.example> <orig-1@customer.example>");
	header_get(msg, "Message-ID", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "<draftd-42@example.com>");
	header_get(msg, "Date", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "Tue, 14 Nov 2023 22:13:20 +0000");
	header_get(msg, "MIME-Version", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "1.0");
	header_get(msg, "Content-Type", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "text/plain; charset=UTF-8");
	header_get(msg, "Content-Transfer-Encoding", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "quoted-printable");
	header_get(msg, "Auto-Submitted", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "");
	header_get(msg, "Cc", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "");
	CU_ASSERT_STRING_EQUAL(env.from, "support@example.com");
	CU_ASSERT_EQUAL(env.rcpt_count, 1);
	CU_ASSERT_STRING_EQUAL(env.rcpt[0], "jane@customer.example");
	qp_decode(strstr(msg, "\r\n\r\n") + 4, v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "Hello Jane,\r\n\r\nyour order ships today.\r\n");
	free(msg);

	/* no original Message-ID: no In-Reply-To, References keep what there is */
	r.orig_message_id = NULL;
	r.orig_references = NULL;
	msg = compose(&r, &env, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_PTR_NULL(strstr(msg, "In-Reply-To:"));
	CU_ASSERT_PTR_NULL(strstr(msg, "References:"));
	free(msg);
}

static void test_compose_auto_and_cc(void)
{
	struct mail_reply r = base_reply();
	struct mail_envelope env;
	struct error err = {0};
	char v[1024], *msg;

	r.is_auto = true;
	r.cc = "\"Sales, EU\" <sales@example.com>, boss@customer.example";
	msg = compose(&r, &env, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	header_get(msg, "Auto-Submitted", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "auto-replied");
	header_get(msg, "Cc", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "\"Sales, EU\" <sales@example.com>, boss@customer.example");
	CU_ASSERT_EQUAL(env.rcpt_count, 3);
	CU_ASSERT_STRING_EQUAL(env.rcpt[1], "sales@example.com");
	CU_ASSERT_STRING_EQUAL(env.rcpt[2], "boss@customer.example");
	free(msg);
}

static void test_compose_long_references(void)
{
	struct mail_reply r = base_reply();
	struct mail_envelope env;
	struct error err = {0};
	char refs[4096], v[4096], *msg;
	size_t n = 0, i;

	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(refs + n, sizeof(refs) - n,
				      "<id-%02zu-abcdefghij@example.org> ", i);
	r.orig_references = refs;
	msg = compose(&r, &env, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	check_lines(msg, 78, 76);
	header_get(msg, "References", v, sizeof(v));
	CU_ASSERT(strlen(v) <= MAIL_REFERENCES_MAX);
	CU_ASSERT(strncmp(v, "<id-00-abcdefghij@example.org> ", 31) == 0);
	CU_ASSERT_PTR_NULL(strstr(v, "<id-01-"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(v, "<id-59-abcdefghij@example.org> <orig-1@customer.example>"));
	free(msg);
}

static void test_compose_utf8(void)
{
	struct mail_reply r = base_reply();
	struct mail_envelope env;
	struct error err = {0};
	char body[1024], v[4096], expect[4096], *msg;
	const char *subject =
		"Gr\xc3\xbc\xc3\x9f"
		"e aus K\xc3\xb6ln \xe2\x80\x93 Lieferstatus der Bestellung SO-204518 "
		"bitte pr\xc3\xbc"
		"fen, danke \xf0\x9f\x98\x80 und noch mehr Text f\xc3\xbcr die L\xc3\xa4nge";
	const char *prefix = "Gr\xc3\xbc\xc3\x9f Gott =\n.dot line\ntrailing blanks   \n";
	size_t i;

	/* a 300-char line with UTF-8, '=', trailing blanks, a leading dot */
	snprintf(body, sizeof(body), "%s", prefix);
	for (i = strlen(body); i < 300; i++)
		body[i] = (char)('a' + i % 26);
	body[i] = '\0';
	r.body = body;
	r.subject = subject;
	r.to = "J\xc3\xbcrgen M\xc3\xbcller <j@example.de>";
	msg = compose(&r, &env, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	check_lines(msg, 78, 76);
	header_get(msg, "Subject", v, sizeof(v));
	CU_ASSERT(strncmp(v, "Re: =?UTF-8?B?", 14) == 0);
	eword_decode(v, expect, sizeof(expect));
	CU_ASSERT_STRING_EQUAL(expect + 4, subject);
	header_get(msg, "To", v, sizeof(v));
	eword_decode(v, expect, sizeof(expect));
	CU_ASSERT_STRING_EQUAL(expect, "J\xc3\xbcrgen M\xc3\xbcller <j@example.de>");
	qp_decode(strstr(msg, "\r\n\r\n") + 4, v, sizeof(v));
	snprintf(expect, sizeof(expect),
		 "Gr\xc3\xbc\xc3\x9f Gott =\r\n.dot line\r\ntrailing blanks   \r\n%s\r\n",
		 body + strlen(prefix));
	CU_ASSERT_STRING_EQUAL(v, expect);
	/* no line of the encoded body ends in a blank or starts with a dot */
	CU_ASSERT_PTR_NULL(strstr(msg, " \r\n"));
	CU_ASSERT_PTR_NULL(strstr(strstr(msg, "\r\n\r\n"), "\r\n."));
	free(msg);

	r.body = "bad \xc3\x28 utf8";
	msg = compose(&r, &env, &err);
	CU_ASSERT_PTR_NULL(msg);
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "body: not valid UTF-8");
	/* the error names the field and is the caller's (no shared buffer) */
	r.body = "fine";
	r.to = "a@example.com, b@example.com";
	CU_ASSERT_PTR_NULL(compose(&r, &env, &err));
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "To: more than one address");
}

struct inject_case {
	const char *field;
	const char *value;
	bool refused; /* else composed with the CR/LF neutralised */
};

static const struct inject_case inject_cases[] = {
	{"subject", "Hi\r\nBcc: evil@attacker.example", false},
	{"subject", "Hi\nBcc: evil@attacker.example", false},
	{"subject", "Hi\rBcc: evil@attacker.example", false},
	{"to", "jane@customer.example\r\nBcc: evil@attacker.example", true},
	{"to", "jane@customer.example, evil@attacker.example", true},
	{"to", "\"Jane\r\nBcc: evil@attacker.example\" <jane@customer.example>", true},
	{"to", "Jane <jane@customer.example>\r\nBcc: evil@attacker.example", true},
	{"cc", "boss@customer.example\r\nBcc: evil@attacker.example", true},
	{"from", "Support\r\nBcc: evil@attacker.example <support@example.com>", true},
	{"message_id", "<x@y>\r\nBcc: evil@attacker.example", true},
	{"orig_message_id", "<x@y>\r\nBcc: evil@attacker.example", false},
	{"orig_references", "<a@b>\r\nBcc: evil@attacker.example <c@d>", false},
};

static void test_compose_injection(void)
{
	size_t i;

	for (i = 0; i < sizeof(inject_cases) / sizeof(inject_cases[0]); i++) {
		const struct inject_case *c = &inject_cases[i];
		struct mail_reply r = base_reply();
		struct mail_envelope env;
		struct error err = {0};
		char *msg;

		if (strcmp(c->field, "subject") == 0)
			r.subject = c->value;
		else if (strcmp(c->field, "to") == 0)
			r.to = c->value;
		else if (strcmp(c->field, "cc") == 0)
			r.cc = c->value;
		else if (strcmp(c->field, "from") == 0)
			r.from = c->value;
		else if (strcmp(c->field, "message_id") == 0)
			r.message_id = c->value;
		else if (strcmp(c->field, "orig_message_id") == 0)
			r.orig_message_id = c->value;
		else
			r.orig_references = c->value;
		msg = compose(&r, &env, &err);
		if (c->refused) {
			if (msg != NULL)
				fprintf(stderr, "injection case %zu was not refused\n", i);
			CU_ASSERT_PTR_NULL(msg);
			CU_ASSERT_STRING_NOT_EQUAL(error_msg(&err), "");
		} else {
			CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
			check_lines(msg, 78, 76);
			CU_ASSERT_PTR_NULL(strstr(msg, "\r\nBcc:"));
			CU_ASSERT_EQUAL(env.rcpt_count, 1);
			free(msg);
		}
	}
}

static void test_qp_encode(void)
{
	static const char *const cases[][2] = {
		{"plain", "plain\r\n"},
		{"a=b", "a=3Db\r\n"},
		{"end \nx", "end=20\r\nx\r\n"},
		{"tab\t", "tab=09\r\n"},
		{"\xc3\xa9", "=C3=A9\r\n"},
		{"a\r\nb\rc\n", "a\r\nb\r\nc\r\n"},
		{".x", "=2Ex\r\n"},
		{"", ""},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 1024);
		CU_ASSERT_EQUAL_FATAL(mail_qp_encode(cases[i][0], strlen(cases[i][0]), &b), 0);
		CU_ASSERT_STRING_EQUAL(b.len > 0 ? b.data : "", cases[i][1]);
		buf_free(&b);
	}
}

static const struct test_case mail_compose_cases[] = {
	{"address parsing refuses a second address and CR/LF", test_address_parse},
	{"Re: prefixes are normalised to one", test_reply_subject},
	{"threading headers, envelope and body", test_compose_threading},
	{"Auto-Submitted only when automatic; Cc list", test_compose_auto_and_cc},
	{"long References keep the root and drop the oldest middle", test_compose_long_references},
	{"RFC 2047 subject and name, QP body with long UTF-8 lines", test_compose_utf8},
	{"header injection is refused or neutralised", test_compose_injection},
	{"quoted-printable edge cases", test_qp_encode},
	{NULL, NULL},
};

TEST_SUITE("mail_compose", NULL, NULL, mail_compose_cases)
