/* SPDX-License-Identifier: MIT */
/* Modified UTF-7 mailbox names (RFC 3501 5.1.3): known pairs, every kind of
 * invalid input, bounded output, and seeded random round trips both ways. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/mail/imap_utf7.h"
#include "daemon/lib/util.h"
#include "harness.h"

static const struct {
	const char *utf8, *mutf7;
} pairs[] = {
	{"INBOX", "INBOX"},
	{"", ""},
	/* RFC 3501's own example */
	{"~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
	 "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
	{"\xC3\x9C"
	 "berf\xC3\xA4llig",
	 "&ANw-berf&AOQ-llig"},
	{"INBOX.\xC3\x89l\xC3\xA9ments envoy\xC3\xA9s", "INBOX.&AMk-l&AOk-ments envoy&AOk-s"},
	{"Gesendete Objekte", "Gesendete Objekte"},
	{"[Gmail]/Sent Mail", "[Gmail]/Sent Mail"},
	{"\xD0\x9E\xD1\x82\xD0\xBF\xD1\x80\xD0\xB0\xD0\xB2\xD0\xBB\xD0\xB5\xD0\xBD\xD0\xBD\xD1\x8B"
	 "\xD0\xB5",
	 "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"},
	{"&", "&-"},
	{"R&D", "R&-D"},
	{"&-", "&--"},
	{"\xC3\x9C&\xC3\x9C", "&ANw-&-&ANw-"},
	/* astral plane: a surrogate pair */
	{"\xF0\x9F\x98\x80", "&2D3eAA-"},
	{"a\xF0\x9F\x98\x80"
	 "b",
	 "a&2D3eAA-b"},
	/* controls are not printable: BASE64, like any other character */
	{"\x01x\x7F", "&AAE-x&AH8-"},
	{"-", "-"},
};

static void test_pairs(void)
{
	char out[IMAP_UTF7_NAME_MAX];
	struct error err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		CU_ASSERT_EQUAL(imap_utf7_encode(pairs[i].utf8, out, sizeof(out), &err), 0);
		CU_ASSERT_STRING_EQUAL(out, pairs[i].mutf7);
		CU_ASSERT_EQUAL(imap_utf7_decode(pairs[i].mutf7, out, sizeof(out), &err), 0);
		CU_ASSERT_STRING_EQUAL(out, pairs[i].utf8);
	}
}

static const struct {
	const char *in, *why; /* a word of the expected reason */
} bad_mutf7[] = {
	{"&", "unterminated"},
	{"&AOQ", "unterminated"},
	{"INBOX.&ANw", "unterminated"},
	{"&AOQ-&AOQ-", "in a row"},
	{"&AGE-", "printable"},    /* "a" must stand for itself */
	{"&ACY-", "printable"},    /* "&" must be "&-" */
	{"&AOR-", "padding"},      /* 0x00E4 with padding bits 01 */
	{"&AOQA-", "UTF-16 unit"}, /* 8 bits left over */
	{"&AA-", "UTF-16 unit"},   /* 12 bits: no whole unit */
	{"&2D0-", "surrogate"},    /* high surrogate alone */
	{"&3gA-", "surrogate"},    /* low surrogate alone */
	{"&2D3YPQ-", "surrogate"}, /* high followed by high */
	{"&AAA-", "NUL"},          /* U+0000 */
	{"&A/Q-", "BASE64"},       /* "/" is "," in modified BASE64 */
	{"&AO=-", "BASE64"},       /* no padding characters */
	{"\xC3\x9C"
	 "berf",
	 "US-ASCII"}, /* raw UTF-8 from a server that ignores RFC 3501 */
	{"a\tb", "US-ASCII"},
	{"a\x7F", "US-ASCII"},
};

static void test_bad_mutf7(void)
{
	char out[IMAP_UTF7_NAME_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(bad_mutf7); i++) {
		struct error err = {0};

		CU_ASSERT_EQUAL(imap_utf7_decode(bad_mutf7[i].in, out, sizeof(out), &err), -1);
		CU_ASSERT_NOT_EQUAL_FATAL(error_msg(&err)[0], '\0');
		if (strstr(error_msg(&err), bad_mutf7[i].why) == NULL)
			printf("\n  %s: reason \"%s\" lacks \"%s\"\n", bad_mutf7[i].in,
			       error_msg(&err), bad_mutf7[i].why);
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), bad_mutf7[i].why));
	}
}

static void test_bad_utf8(void)
{
	static const char *const bad[] = {
		"\xC3",             /* truncated */
		"ab\xC3",           /* truncated at the end */
		"\xC0\x80",         /* overlong NUL */
		"\xE0\x80\xAF",     /* overlong "/" */
		"\xED\xA0\x80",     /* a surrogate */
		"\xF4\x90\x80\x80", /* above U+10FFFF */
		"\xFF",
		"\x80",
		"a\xC3(b",
	};
	char out[IMAP_UTF7_NAME_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct error err = {0};

		CU_ASSERT_EQUAL(imap_utf7_encode(bad[i], out, sizeof(out), &err), -1);
		CU_ASSERT_NOT_EQUAL_FATAL(error_msg(&err)[0], '\0');
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "UTF-8"));
	}
}

/* Output never passes size: exact fit works, one byte less is refused. */
static void test_bounded(void)
{
	const char *name = "\xC3\x9C"
			   "berf\xC3\xA4llig",
		   *enc = "&ANw-berf&AOQ-llig";
	struct error err = {0};
	char out[64], big[IMAP_UTF7_NAME_MAX * 2];
	size_t need = strlen(enc) + 1;

	CU_ASSERT_EQUAL(imap_utf7_encode(name, out, need, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, enc);
	memset(out, 'X', sizeof(out));
	CU_ASSERT_EQUAL(imap_utf7_encode(name, out, need - 1, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "too long"));
	CU_ASSERT_EQUAL(out[need - 1], 'X'); /* nothing written past size */
	CU_ASSERT_EQUAL(imap_utf7_encode(name, out, 0, &err), -1);
	CU_ASSERT_EQUAL(imap_utf7_decode(enc, out, strlen(name) + 1, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, name);
	CU_ASSERT_EQUAL(imap_utf7_decode(enc, out, strlen(name), &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "too long"));
	/* a long name of non-ASCII characters grows by 8/3 and is refused whole */
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xC3\xA4", 2);
	big[sizeof(big) - (sizeof(big) % 2 ? 1 : 2)] = '\0';
	CU_ASSERT_EQUAL(imap_utf7_encode(big, out, sizeof(out), &err), -1);
	/* a wire name past the bound is refused even where its UTF-8 would
	 * fit: it could not be encoded again for SELECT (make fuzz found it) */
	memset(big, 'a', IMAP_UTF7_NAME_MAX);
	memcpy(big + 10, "&AOQ-", 5);
	big[IMAP_UTF7_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(
		imap_utf7_decode(big, big + IMAP_UTF7_NAME_MAX + 1, IMAP_UTF7_NAME_MAX, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "too long"));
	big[IMAP_UTF7_NAME_MAX - 1] = '\0';
	CU_ASSERT_EQUAL(
		imap_utf7_decode(big, big + IMAP_UTF7_NAME_MAX + 1, IMAP_UTF7_NAME_MAX, &err), 0);
}

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xFFFFFF;
}

/* A random code point, weighted towards the interesting ones. */
static unsigned int rnd_cp(unsigned int *s)
{
	static const unsigned int special[] = {'&', '-', ',', '+', '/', '.', ' ', 0x7F, 1, 0x1F};

	switch (rnd(s) % 6) {
	case 0:
		return special[rnd(s) % ARRAY_SIZE(special)];
	case 1:
		return 0x20 + rnd(s) % 0x5F;
	case 2:
		return 0x80 + rnd(s) % 0x780;
	case 3: {
		unsigned int cp = 0x800 + rnd(s) % 0xF800;

		return cp >= 0xD800 && cp <= 0xDFFF ? 0xE9 : cp;
	}
	case 4:
		return 0x10000 + rnd(s) % 0x100000;
	default:
		return 'a' + rnd(s) % 26;
	}
}

static size_t put_utf8(char *p, unsigned int cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xC0 | (cp >> 6));
		p[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xE0 | (cp >> 12));
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		p[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	p[0] = (char)(0xF0 | (cp >> 18));
	p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	p[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static unsigned int test_seed(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED");
	uint64_t v;

	if (env != NULL && parse_u64(env, UINT32_MAX, &v) == 0)
		return (unsigned int)v;
	return (unsigned int)time(NULL);
}

/* decode(encode(x)) == x for random UTF-8 names, and encode(decode(y)) == y
 * for every random ASCII string the decoder accepts. */
static void test_random_round_trips(void)
{
	unsigned int seed = test_seed(), s = seed;
	char name[300], enc[IMAP_UTF7_NAME_MAX], dec[IMAP_UTF7_NAME_MAX], again[IMAP_UTF7_NAME_MAX];
	struct error err;
	int failures = 0, accepted = 0;

	for (int n = 0; n < 20000 && failures < 5; n++) {
		size_t len = 0, want = rnd(&s) % 40;

		for (size_t i = 0; i < want; i++)
			len += put_utf8(name + len, rnd_cp(&s));
		name[len] = '\0';
		if (imap_utf7_encode(name, enc, sizeof(enc), &err) < 0 ||
		    strspn(enc, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != strlen(enc) ||
		    imap_utf7_decode(enc, dec, sizeof(dec), &err) < 0 || strcmp(dec, name) != 0) {
			failures++;
			continue;
		}
		/* ASCII soup: mostly BASE64 letters, "&" and "-" */
		for (len = 0, want = rnd(&s) % 24; len < want; len++) {
			static const char soup[] = "&&&---AABCDEFZaz09+,,./ Qgw";

			name[len] = soup[rnd(&s) % (sizeof(soup) - 1)];
		}
		name[len] = '\0';
		if (imap_utf7_decode(name, dec, sizeof(dec), &err) < 0)
			continue;
		accepted++;
		if (imap_utf7_encode(dec, again, sizeof(again), &err) < 0 ||
		    strcmp(again, name) != 0)
			failures++;
	}
	if (failures > 0)
		printf("\n  modified UTF-7 round trips failed; replay with DRAFTD_TEST_SEED=%u\n",
		       seed);
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT(accepted > 100); /* the soup does reach the canonical cases */
}

static const struct test_case imap_utf7_cases[] = {
	{"known pairs both ways (RFC 3501 example, &-, surrogates, controls)", test_pairs},
	{"invalid modified UTF-7 refused with a reason", test_bad_mutf7},
	{"invalid UTF-8 refused", test_bad_utf8},
	{"output bounded by size, exact fit accepted", test_bounded},
	{"seeded random round trips both ways (DRAFTD_TEST_SEED replays)", test_random_round_trips},
	{NULL, NULL},
};
TEST_SUITE("imap_utf7", NULL, NULL, imap_utf7_cases)
