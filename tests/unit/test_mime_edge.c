/* SPDX-License-Identifier: MIT */
/* MIME to text on hostile and broken input: hand-made fixtures under
 * tests/fixtures/mime/ and messages generated here (10,000 parts, 1 MB header
 * line, deep nesting, NUL bytes, oversize). Each must end in a sensible
 * result or a clear error, never a crash or an unbounded allocation. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/mime/mime.h"
#include "agent/mime/mime_int.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/utf8.h"
#include "daemon/config/config.h"
#include "daemon/lib/util.h"
#include "harness.h"

static int parse_with(const char *raw, size_t len, const struct mime_limits *lim,
		      struct mime_message **m_r, struct error *err)
{
	error_clear(err);
	return mime_parse(raw, len, lim, m_r, err);
}

static int parse_default(const char *raw, size_t len, struct mime_message **m_r, struct error *err)
{
	struct mime_limits lim;

	mime_limits_default(&lim);
	return parse_with(raw, len, &lim, m_r, err);
}

struct fixture {
	const char *file;
	unsigned flags_set, flags_clear;
	const char *subject;
	const char *text_has, *text_lacks;
	const char *full_has, *quoted_has, *sig_has;
};

static const struct fixture fixtures[] = {
	{"truncated-multipart.eml", MIME_FLAG_MALFORMED, 0, "truncated multipart",
	 "Please check stock for HP-20115.", "JVBER", NULL, NULL, NULL},
	{"missing-boundary.eml", MIME_FLAG_MALFORMED, 0, NULL, "Where is order SO-204518?", NULL,
	 NULL, NULL, NULL},
	{"boundary-not-found.eml", MIME_FLAG_MALFORMED, 0, NULL, "Where is order SO-204519?", NULL,
	 NULL, NULL, NULL},
	{"bad-base64.eml", 0, MIME_FLAG_HIDDEN_TEXT, NULL, "stock of HP-20115", "%%%", NULL, NULL,
	 NULL},
	{"unknown-charset.eml", MIME_FLAG_UNKNOWN_CHARSET, MIME_FLAG_MALFORMED, "café",
	 "Un café et deux crèmes", NULL, NULL, NULL, NULL},
	{"latin1-unlabelled.eml", 0, MIME_FLAG_UNKNOWN_CHARSET, NULL,
	 "Grüße aus München, bitte HP-30108", NULL, NULL, NULL, NULL},
	{"invalid-utf8.eml", 0, 0, NULL, "Valid é then broken \xEF\xBF\xBD( and \xEF\xBF\xBD end.",
	 "\xff", NULL, NULL, NULL},
	{"rfc2231-filenames.eml", 0, 0, NULL, "See the attached reports.", "not part of the text",
	 NULL, NULL, NULL},
	{"html-hidden-styles.eml", MIME_FLAG_HIDDEN_TEXT | MIME_FLAG_HTML_ONLY, 0, NULL,
	 "Visible request: price for HP-60029 & HP-30144 €€–", "white on white", "zero font two",
	 "> quoted line from earlier mail", NULL},
	{"outlook-quote.eml", 0, MIME_FLAG_HIDDEN_TEXT, "RE: quote",
	 "please go ahead with 20 pcs of HP-60029.", "EUR 47.50",
	 "Dear customer, the price is EUR 47.50.", "-----Original Message-----\nFrom: Harbor",
	 "Sent from my iPhone"},
	{"german-quote.eml", 0, 0, "AW: Angebot", "Bitte 10 Stück bestellen.", "schrieb", NULL,
	 "Am 11.03.2025 um 15:42 schrieb Harbor Parts Support\n<support@harborparts.example>:\n"
	 "> Sehr geehrter Kunde,",
	 "Max Kunde\nEinkauf"},
	{"bidi-override.eml", MIME_FLAG_HIDDEN_TEXT, 0, "bidi test",
	 "Order 12345 please check tag done.", "\xE2\x80\xAE", NULL, NULL, NULL},
	/* NUL bytes as an IMAP server delivers them (Dovecot sends 0x80, RFC 3501
	 * allows no NUL in a literal): dropped, never a euro sign */
	{"nul-as-delivered.eml", 0, 0, "Order SO-204518 café",
	 "Where is order SO-204518? Grüße\nline twoend", "\xE2\x82\xAC", NULL, NULL, NULL},
	/* a NUL inside encoded words and a base64 body: dropped, nothing cut off */
	{"nul-in-encoded-words.eml", 0, 0, "hello world", "base64 body with a nul", NULL, NULL,
	 NULL, NULL},
	/* unlabelled Windows-1252 keeps its euro sign */
	{"cp1252-euro-unlabelled.eml", 0, 0, "Preis", "Der Preis ist 5€, Grüße aus München", NULL,
	 NULL, NULL, NULL},
};

static void test_fixtures(void)
{
	char path[4096], *data;
	struct mime_message *m;
	const struct fixture *f;
	struct error error;
	size_t i, len;
	int rc;

	for (i = 0; i < ARRAY_SIZE(fixtures); i++) {
		f = &fixtures[i];
		snprintf(path, sizeof(path), "%s/tests/fixtures/mime/%s", test_src_dir(), f->file);
		data = NULL;
		CU_ASSERT_FATAL(file_read_all(path, 1 << 20, &data, &len, NULL) == 0);
		m = NULL;
		rc = parse_default(data, len, &m, &error);
		free(data);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(m->flags & f->flags_set, f->flags_set);
		CU_ASSERT_EQUAL(m->flags & f->flags_clear, 0);
		if (f->subject != NULL)
			CU_ASSERT_STRING_EQUAL(m->subject, f->subject);
		if (f->text_has != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(m->text, f->text_has));
		if (f->text_lacks != NULL)
			CU_ASSERT_PTR_NULL(strstr(m->text, f->text_lacks));
		if (f->full_has != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(m->full_text, f->full_has));
		if (f->quoted_has != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(m->quoted, f->quoted_has));
		if (f->sig_has != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(m->signature, f->sig_has));
		if (CU_get_number_of_failures() > 0)
			printf("\n  after %s: %u failures\n", f->file, CU_get_number_of_failures());
		mime_message_free(&m);
	}
}

static void test_encoded_filenames(void)
{
	char path[4096], *data = NULL;
	struct mime_message *m = NULL;
	struct error error;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/fixtures/mime/rfc2231-filenames.eml",
		 test_src_dir());
	CU_ASSERT_FATAL(file_read_all(path, 1 << 20, &data, &len, NULL) == 0);
	CU_ASSERT_EQUAL(parse_default(data, len, &m, &error), 0);
	free(data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(m->attachments_count, 4);
	CU_ASSERT_STRING_EQUAL(m->attachments[0].filename, "Prüfbericht März.pdf");
	CU_ASSERT_EQUAL(m->attachments[0].size, 5); /* "Hello" */
	CU_ASSERT_STRING_EQUAL(m->attachments[1].filename, "Preisliste_Übersicht.xlsx");
	CU_ASSERT_STRING_EQUAL(m->attachments[1].content_type, "application/vnd.ms-excel");
	CU_ASSERT_STRING_EQUAL(m->attachments[2].filename, "café.txt");
	CU_ASSERT_STRING_EQUAL(m->attachments[2].content_type, "text/plain");
	CU_ASSERT_PTR_NULL(m->attachments[3].filename);
	CU_ASSERT_STRING_EQUAL(m->attachments[3].content_type, "image/png");
	mime_message_free(&m);
}

/* n flat parts in one multipart/mixed. */
static char *many_parts(size_t n, size_t *len_r)
{
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, 64u << 20);
	r = buf_append_str(&b, "From: many@cust.example\nSubject: many parts\n"
			       "Content-Type: multipart/mixed; boundary=\"p\"\n\n");
	for (i = 0; i < n && r == 0; i++)
		r = buf_printf(&b, "--p\nContent-Type: text/plain\n\npart %zu\n", i);
	if (r == 0)
		r = buf_append_str(&b, "--p--\n");
	CU_ASSERT_EQUAL_FATAL(r, 0);
	*len_r = b.len;
	return buf_steal(&b);
}

static void test_ten_thousand_parts(void)
{
	struct mime_limits lim;
	struct mime_message *m = NULL;
	struct error error;
	uint64_t t0;
	size_t len;
	char *raw = many_parts(10000, &len);

	t0 = time_mono_ms();
	CU_ASSERT_EQUAL(parse_default(raw, len, &m, &error), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&error), "parts"));
	CU_ASSERT(m->flags & MIME_FLAG_LIMIT);
	CU_ASSERT_STRING_EQUAL(m->subject, "many parts");
	mime_message_free(&m);

	/* allowed that many, they parse, quickly, and the text stays bounded */
	mime_limits_default(&lim);
	lim.max_parts = 20000;
	CU_ASSERT_EQUAL(parse_with(raw, len, &lim, &m, &error), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m->flags & MIME_FLAG_TRUNCATED);
	CU_ASSERT(strlen(m->text) <= lim.max_text_size);
	CU_ASSERT(strlen(m->full_text) <= lim.max_text_size);
	CU_ASSERT_PTR_NOT_NULL(strstr(m->text, "part 0\n\npart 1\n"));
	mime_message_free(&m);
	CU_ASSERT(time_mono_ms() - t0 < 5000);
	free(raw);
}

static void test_megabyte_header_line(void)
{
	struct mime_message *m = NULL;
	struct error error;
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, 4u << 20);
	r = buf_append_str(&b, "From: big@cust.example\nX-Junk: ");
	for (i = 0; i < 1024 * 1024 && r == 0; i++)
		r = buf_append(&b, "A", 1);
	if (r == 0)
		r = buf_append_str(&b, "\nSubject: after the junk\n\nbody\n");
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(parse_default(b.data, b.len, &m, &error), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&error), "header"));
	CU_ASSERT(m->flags & MIME_FLAG_LIMIT);
	CU_ASSERT_STRING_EQUAL(m->from_addr, "big@cust.example");
	CU_ASSERT_STRING_EQUAL(m->text, "");
	mime_message_free(&m);

	/* the same line inside a part's header */
	buf_reset(&b);
	r = buf_append_str(&b, "From: big@cust.example\nSubject: part header\n"
			       "Content-Type: multipart/mixed; boundary=b\n\n--b\nX-Junk: ");
	for (i = 0; i < 1024 * 1024 && r == 0; i++)
		r = buf_append(&b, "B", 1);
	if (r == 0)
		r = buf_append_str(&b, "\n\nbody\n--b--\n");
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(parse_default(b.data, b.len, &m, &error), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&error), "part header"));
	CU_ASSERT_STRING_EQUAL(m->subject, "part header");
	mime_message_free(&m);

	/* a long but allowed header value is kept, bounded */
	buf_reset(&b);
	r = buf_append_str(&b, "From: a@cust.example\nSubject: ");
	for (i = 0; i < 30000 && r == 0; i++)
		r = buf_append(&b, "S", 1);
	if (r == 0)
		r = buf_append_str(&b, "\n\nbody\n");
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_EQUAL(parse_default(b.data, b.len, &m, &error), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(strlen(mime_message_header(m, "subject")) <= MIME_HEADER_VALUE_MAX);
	mime_message_free(&m);
	buf_free(&b);
}

static void test_nul_standin_in_names(void)
{
	char path[4096], *data = NULL;
	struct mime_message *m = NULL;
	struct error error;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/fixtures/mime/nul-as-delivered.eml", test_src_dir());
	CU_ASSERT_FATAL(file_read_all(path, 1 << 20, &data, &len, NULL) == 0);
	CU_ASSERT_EQUAL(parse_default(data, len, &m, &error), 0);
	free(data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->from_name, "Ann Buyer");
	CU_ASSERT_STRING_EQUAL(m->from_addr, "ann@customer.example");
	mime_message_free(&m);
}

static void test_nul_bytes(void)
{
	static const char raw[] = "From: nul@cust.example\nSubject: nul\0here\n"
				  "Content-Type: text/plain; charset=utf-8\n\n"
				  "body\0with nul\nsecond line\n";
	struct mime_message *m = NULL;
	struct error error;

	CU_ASSERT_EQUAL(parse_default(raw, sizeof(raw) - 1, &m, &error), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->subject, "nulhere");
	CU_ASSERT_STRING_EQUAL(m->text, "bodywith nul\nsecond line");
	mime_message_free(&m);
}

/* depth nested multiparts with one text part at the bottom. */
static char *nested(size_t depth, size_t *len_r)
{
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, 64u << 20);
	r = buf_append_str(&b, "From: deep@cust.example\nSubject: deep\n");
	for (i = 0; i < depth && r == 0; i++)
		r = buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"n%zu\"\n\n--n%zu\n",
			       i, i);
	if (r == 0)
		r = buf_append_str(&b, "Content-Type: text/plain\n\nat the bottom\n");
	for (i = depth; i > 0 && r == 0; i--)
		r = buf_printf(&b, "--n%zu--\n", i - 1);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	*len_r = b.len;
	return buf_steal(&b);
}

static void test_deep_nesting(void)
{
	struct mime_message *m = NULL;
	struct error error;
	size_t len;
	char *raw;

	raw = nested(15, &len);
	CU_ASSERT_EQUAL(parse_default(raw, len, &m, &error), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->text, "at the bottom");
	mime_message_free(&m);
	free(raw);

	raw = nested(5000, &len);
	CU_ASSERT_EQUAL(parse_default(raw, len, &m, &error), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&error), "deep"));
	CU_ASSERT(m->flags & MIME_FLAG_LIMIT);
	CU_ASSERT_STRING_EQUAL(m->subject, "deep");
	mime_message_free(&m);
	free(raw);
}

static void test_over_size_limit(void)
{
	static const char raw[] = "From: Big Sender <big@cust.example>\nSubject: huge\n"
				  "Message-ID: <big@cust.example>\n\n"
				  "0123456789012345678901234567890123456789\n";
	struct mime_limits lim;
	struct mime_message *m = NULL;
	struct error error;

	mime_limits_default(&lim);
	lim.max_message_size = 64;
	CU_ASSERT_EQUAL(parse_with(raw, sizeof(raw) - 1, &lim, &m, &error), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(error_msg(&error), "message too large");
	CU_ASSERT(m->flags & MIME_FLAG_OVERSIZED);
	CU_ASSERT_STRING_EQUAL(m->from_name, "Big Sender");
	CU_ASSERT_STRING_EQUAL(m->message_id, "<big@cust.example>");
	CU_ASSERT_STRING_EQUAL(m->text, "");
	mime_message_free(&m);
}

static void test_text_truncated_on_char_boundary(void)
{
	struct mime_limits lim;
	struct mime_message *m = NULL;
	struct error error;
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, 1u << 20);
	r = buf_append_str(&b, "From: a@cust.example\nSubject: long\n"
			       "Content-Type: text/plain; charset=utf-8\n\nx");
	for (i = 0; i < 50000 && r == 0; i++)
		r = buf_append_str(&b, "é€");
	CU_ASSERT_EQUAL_FATAL(r, 0);
	mime_limits_default(&lim);
	lim.max_text_size = 1000;
	CU_ASSERT_EQUAL(parse_with(b.data, b.len, &lim, &m, &error), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m->flags & MIME_FLAG_TRUNCATED);
	CU_ASSERT(strlen(m->text) <= 1000 && strlen(m->text) > 990);
	CU_ASSERT(utf8_valid(m->text, strlen(m->text)));
	mime_message_free(&m);
	buf_free(&b);
}

static void test_garbage_input(void)
{
	struct mime_message *m = NULL;
	struct error error;
	uint32_t x = 12345;
	size_t i, round;
	char *raw = malloc(65536);

	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	CU_ASSERT_EQUAL(parse_default("", 0, &m, &error), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->text, "");
	mime_message_free(&m);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 65536; i++) {
			x = x * 1103515245u + 12345u;
			/* bias towards the bytes MIME cares about */
			raw[i] = "\n-:=?<>\"; \r\0abB64Q"[(x >> 16) % 19];
			if ((x >> 8) % 7 == 0)
				raw[i] = (char)(x >> 24);
		}
		if (round % 2 == 0)
			memcpy(raw, "Content-Type: multipart/mixed; boundary=-\n\n", 44);
		(void)!parse_default(raw, 65536, &m, &error);
		CU_ASSERT_PTR_NOT_NULL(m);
		if (m != NULL)
			CU_ASSERT(utf8_valid(m->text, strlen(m->text)));
		mime_message_free(&m);
	}
	free(raw);
}

/* Quoted-printable bodies ending in a '=' (plus a soft break), placed so
 * the message's last byte is the last byte of a readable page: libetpan's
 * decoder once read past the end (found by tests/fuzz/fuzz_mime.c, input in
 * tests/fixtures/fuzz/mime/crash-qp-trailing-equals.eml), which the
 * PROT_NONE page after it turns into a crash even without a sanitizer. */
static void test_qp_end_of_buffer(void)
{
	static const char *const endings[] = {"Tore. =\n=o", "Tore. =", "Tore. =\n=", "=C3=B",
					      "=\r"};
	static const char head[] = "Content-Type: text/plain; charset=utf-8\n"
				   "Content-Transfer-Encoding: quoted-printable\n\n"
				   "Sie =C3=B6ffnet die Flu=\nid ";
	struct mime_message *m = NULL;
	struct error error;
	long page = sysconf(_SC_PAGESIZE);
	char *map, *raw;
	size_t i, len;

	map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	CU_ASSERT_FATAL(map != MAP_FAILED);
	CU_ASSERT_EQUAL_FATAL(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (i = 0; i < ARRAY_SIZE(endings); i++) {
		len = strlen(head) + strlen(endings[i]);
		raw = map + page - len;
		memcpy(raw, head, strlen(head));
		memcpy(raw + strlen(head), endings[i], strlen(endings[i]));
		CU_ASSERT_EQUAL(parse_default(raw, len, &m, &error), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_PTR_NOT_NULL(strstr(m->text, "Sie \xc3\xb6"
						       "ffnet die Fluid"));
		mime_message_free(&m);
	}
	munmap(map, (size_t)page * 2);
}

static const struct {
	const char *in, *text, *quoted, *sig;
} splits[] = {
	{"Hi\n\n> old\n> older\n\nBye", "Hi\n\nBye", "> old\n> older", ""},
	{"New\n\nOn Mon, 1 Jan 2025, Bob <b@x> wrote:\n> q", "New",
	 "On Mon, 1 Jan 2025, Bob <b@x> wrote:\n> q", ""},
	{"Nuevo\n\nEl lun, 3 mar 2025 a las 9:00, Ana escribió:\n> viejo", "Nuevo",
	 "El lun, 3 mar 2025 a las 9:00, Ana escribió:\n> viejo", ""},
	{"Neu\n\nLe lun. 3 mars 2025, Paul a écrit :\n> ancien", "Neu",
	 "Le lun. 3 mars 2025, Paul a écrit :\n> ancien", ""},
	{"Text\n-- \nName\nTitle", "Text", "", "-- \nName\nTitle"},
	{"Text\n\nFrom: X <x@y>\nSent: Monday\nTo: me\n\nold text", "Text",
	 "From: X <x@y>\nSent: Monday\nTo: me\n\nold text", ""},
	{"Text\n\n________________________________\nVon: X\nGesendet: heute\n\nalt", "Text",
	 "________________________________\nVon: X\nGesendet: heute\n\nalt", ""},
	{"This email is confidential, just so you know.\nPlease call.",
	 "This email is "
	 "confidential, just so you know.\nPlease call.",
	 "", ""},
	{"Body\n\nRegards\n\n-----\nDISCLAIMER: legal text", "Body\n\nRegards", "",
	 "-----\nDISCLAIMER: legal text"},
	{"On second thought, send 5.\nOn Monday we close:",
	 "On second thought, send 5.\nOn "
	 "Monday we close:",
	 "", ""},
	{"", "", "", ""},
};

static void test_split_table(void)
{
	char *t, *q, *s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(splits); i++) {
		CU_ASSERT_EQUAL_FATAL(mime_split_text(splits[i].in, &t, &q, &s), 0);
		CU_ASSERT_STRING_EQUAL(t, splits[i].text);
		CU_ASSERT_STRING_EQUAL(q, splits[i].quoted);
		CU_ASSERT_STRING_EQUAL(s, splits[i].sig);
		if (strcmp(t, splits[i].text) != 0 || strcmp(q, splits[i].quoted) != 0 ||
		    strcmp(s, splits[i].sig) != 0)
			printf("\n  split %zu: [%s] [%s] [%s]\n", i, t, q, s);
		free(t);
		free(q);
		free(s);
	}
}

static void test_limits_from_config(void)
{
	struct mime_limits def, l;
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	mime_limits_default(&def);
	CU_ASSERT_EQUAL(def.max_message_size, 25u * 1024 * 1024);
	CU_ASSERT_EQUAL(def.max_parts, 500);
	mime_limits_from_config(&cfg, &l);
	CU_ASSERT_EQUAL(memcmp(&def, &l, sizeof(l)), 0);
	cfg.limits.max_mime_parts = 7;
	cfg.limits.max_text_size = 100;
	mime_limits_from_config(&cfg, &l);
	CU_ASSERT_EQUAL(l.max_parts, 7);
	CU_ASSERT_EQUAL(l.max_text_size, 100);
	CU_ASSERT_EQUAL(l.max_depth, def.max_depth);
}

/* Attachments are sized without decoding: the size must be what decoding
 * gives, for clean, wrapped, padded, unpadded and damaged base64. */
static void test_base64_size_matches_decode(void)
{
	static const char *const bodies[] = {
		"",
		"QQ==",
		"QUI=",
		"QUJD",
		"QUJDRA==\r\n",
		"QUJD\r\nREVG\r\nR0g=\r\n",
		"QUJDREVGR0g",
		"QU JD\tRE=VG*R0\n",
		"Q",
		"=====",
		"////++++AAAA\r\n\r\n",
	};
	unsigned int seed = 14;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *out = NULL;
		size_t n = 0;

		CU_ASSERT_EQUAL_FATAL(
			mime_part_decode(bodies[i], strlen(bodies[i]), MIME_CTE_BASE64, &out, &n),
			0);
		CU_ASSERT_EQUAL(mime_part_base64_size(bodies[i], strlen(bodies[i])), n);
		free(out);
	}
	/* and over random bytes */
	for (int k = 0; k < 200; k++) {
		char buf[257], *out = NULL;
		size_t len = (size_t)(rand_r(&seed) % 256), n = 0;

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(rand_r(&seed) % 256);
		CU_ASSERT_EQUAL_FATAL(mime_part_decode(buf, len, MIME_CTE_BASE64, &out, &n), 0);
		CU_ASSERT_EQUAL(mime_part_base64_size(buf, len), n);
		free(out);
	}
}

/* The header list grows as it fills (ingest holds a batch of parsed mail in
 * memory): every count around the growth steps keeps each header, in order,
 * up to MIME_HEADERS_MAX and no more. */
static void test_header_list_growth(void)
{
	static const size_t counts[] = {0, 1, 29, 30, 31, 62, 63, 126, 127, 254, 255, 300};
	struct buf b;

	buf_init(&b, 1u << 20);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct mime_message *m = NULL;
		struct error error;
		size_t n = counts[c], want = n + 2 < MIME_HEADERS_MAX ? n + 2 : MIME_HEADERS_MAX;
		int r;

		buf_reset(&b);
		r = buf_append_str(&b, "From: a@cust.example\nSubject: many headers\n");
		for (size_t i = 0; i < n && r == 0; i++) {
			char line[64];

			snprintf(line, sizeof(line), "X-H%zu: value %zu\n", i, i);
			r = buf_append_str(&b, line);
		}
		if (r == 0)
			r = buf_append_str(&b, "\nbody\n");
		CU_ASSERT_EQUAL_FATAL(r, 0);
		CU_ASSERT_NOT_EQUAL(parse_default(b.data, b.len, &m, &error), -2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(m->headers_count, want);
		CU_ASSERT(m->headers_cap >= m->headers_count && m->headers_cap <= MIME_HEADERS_MAX);
		for (size_t i = 2; i < m->headers_count; i++) {
			char name[32], value[32];

			snprintf(name, sizeof(name), "X-H%zu", i - 2);
			snprintf(value, sizeof(value), "value %zu", i - 2);
			CU_ASSERT_EQUAL(strcasecmp(m->headers[i].name, name), 0);
			CU_ASSERT_STRING_EQUAL(m->headers[i].value, value);
		}
		CU_ASSERT_STRING_EQUAL(m->subject, "many headers");
		mime_message_free(&m);
	}
	buf_free(&b);
}

static const struct test_case mime_edge_cases[] = {
	{"header list grows in order up to its bound", test_header_list_growth},
	{"base64 attachments sized exactly without decoding", test_base64_size_matches_decode},
	{"limits from the config, zero keeps the default", test_limits_from_config},
	{"fixtures: broken, encoded and hidden", test_fixtures},
	{"a NUL delivered as 0x80 is dropped from names too", test_nul_standin_in_names},
	{"RFC 2231 and 2047 attachment names", test_encoded_filenames},
	{"10,000 parts: limit error, or bounded when allowed", test_ten_thousand_parts},
	{"1 MB header line", test_megabyte_header_line},
	{"NUL bytes", test_nul_bytes},
	{"deep nesting", test_deep_nesting},
	{"message over the size limit keeps headers", test_over_size_limit},
	{"text cut on a UTF-8 boundary", test_text_truncated_on_char_boundary},
	{"random garbage never crashes", test_garbage_input},
	{"quoted-printable ending at the end of the buffer", test_qp_end_of_buffer},
	{"quote and signature split table", test_split_table},
	{NULL, NULL},
};

TEST_SUITE("mime_edge", NULL, NULL, mime_edge_cases)
