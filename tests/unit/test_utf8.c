/* SPDX-License-Identifier: MIT */
/* daemon/lib/utf8: the one UTF-8 decoder (JSON, mail, logs, IMAP names, the
 * text scanners), strict as jansson and PostgreSQL are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static const struct {
	const char *bytes;
	size_t len, n; /* n: the sequence's length, 0 when invalid */
	uint32_t cp;
} utf8_cases[] = {
	{"A", 1, 1, 0x41},
	{"\x7f", 1, 1, 0x7f},
	{"", 1, 1, 0}, /* a NUL is a character of its own */
	{"\xc2\x80", 2, 2, 0x80},
	{"\xc3\xa9", 2, 2, 0xe9},
	{"\xdf\xbf", 2, 2, 0x7ff},
	{"\xe0\xa0\x80", 3, 3, 0x800},
	{"\xe2\x82\xac", 3, 3, 0x20ac},
	{"\xed\x9f\xbf", 3, 3, 0xd7ff},
	{"\xee\x80\x80", 3, 3, 0xe000},
	{"\xef\xbf\xbd", 3, 3, 0xfffd},
	{"\xf0\x90\x80\x80", 4, 4, 0x10000},
	{"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	/* overlong forms */
	{"\xc0\xaf", 2, 0, 0},
	{"\xc1\xbf", 2, 0, 0},
	{"\xe0\x9f\xbf", 3, 0, 0},
	{"\xf0\x8f\xbf\xbf", 4, 0, 0},
	/* surrogates, past U+10FFFF, bytes that start nothing */
	{"\xed\xa0\x80", 3, 0, 0},
	{"\xed\xbf\xbf", 3, 0, 0},
	{"\xf4\x90\x80\x80", 4, 0, 0},
	{"\xf5\x80\x80\x80", 4, 0, 0},
	{"\xf8\x88\x80\x80\x80", 5, 0, 0},
	{"\xff", 1, 0, 0},
	{"\x80", 1, 0, 0},
	{"\xbf", 1, 0, 0},
	/* broken or cut short */
	{"\xc3(", 2, 0, 0},
	{"\xe2\x82(", 3, 0, 0},
	{"\xc3\xa9", 1, 0, 0},
	{"\xe2\x82\xac", 2, 0, 0},
	{"\xf0\x90\x80\x80", 3, 0, 0},
};

static void test_utf8_decode(void)
{
	uint32_t cp;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(utf8_cases); i++) {
		cp = 0x12345678;
		n = utf8_decode((const unsigned char *)utf8_cases[i].bytes, utf8_cases[i].len, &cp);
		CU_ASSERT_EQUAL(n, utf8_cases[i].n);
		if (n != utf8_cases[i].n)
			fprintf(stderr, "utf8 case %zu: length %zu, want %zu\n", i, n,
				utf8_cases[i].n);
		if (n > 0)
			CU_ASSERT_EQUAL(cp, utf8_cases[i].cp);
		/* the lax form: the same, or U+FFFD for one byte */
		n = utf8_decode_lax((const unsigned char *)utf8_cases[i].bytes, utf8_cases[i].len,
				    &cp);
		CU_ASSERT_EQUAL(n, utf8_cases[i].n > 0 ? utf8_cases[i].n : 1);
		CU_ASSERT_EQUAL(cp, utf8_cases[i].n > 0 ? utf8_cases[i].cp : 0xfffd);
		/* whole strings */
		CU_ASSERT_EQUAL(utf8_valid(utf8_cases[i].bytes, utf8_cases[i].len),
				utf8_cases[i].n == utf8_cases[i].len);
	}
}

/* A NUL-terminated string may be read with any avail: a sequence cut by
 * its end is invalid, and nothing after the NUL is read (the buffer ends
 * there: valgrind and ASan would see a read past it). */
static void test_utf8_nul_terminated(void)
{
	static const char *const cut[] = {"\xc3", "\xe2\x82", "\xf0\x90\x80"};
	const char *t;
	char *s;
	uint32_t cp;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(cut); i++) {
		len = strlen(cut[i]);
		s = malloc(len + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		memcpy(s, cut[i], len + 1);
		CU_ASSERT_EQUAL(utf8_decode((const unsigned char *)s, 4, &cp), 0);
		CU_ASSERT_EQUAL(utf8_decode_lax((const unsigned char *)s, 4, &cp), 1);
		CU_ASSERT_EQUAL(cp, 0xfffd);
		free(s);
	}
	CU_ASSERT_TRUE(utf8_valid("", 0));
	t = "Gr\xc3\xbc\xc3\x9f"
	    "e \xe2\x82\xac 5 \xf0\x9f\x93\xa6";
	CU_ASSERT_TRUE(utf8_valid(t, strlen(t)));
	CU_ASSERT_FALSE(utf8_valid(t, strlen(t) - 1));
	t = "Gr\xc3\xbc\xc3\x9f"
	    "e \xed\xa0\x80";
	CU_ASSERT_FALSE(utf8_valid(t, strlen(t)));
}

/* utf8_scrub(): stray bytes, a cut character and a surrogate become '?'
 * each; valid text is left alone. */
static void test_utf8_scrub(void)
{
	char a[] = "Gr\xc3\xbc\xc3\x9f"
		   "e \xe2\x82\xac",
	     b[] = "a\xff"
		   "b\xc3",
	     c[] = "\xed\xa0\x80x";

	utf8_scrub(a);
	CU_ASSERT_STRING_EQUAL(a, "Gr\xc3\xbc\xc3\x9f"
				  "e \xe2\x82\xac");
	utf8_scrub(b);
	CU_ASSERT_STRING_EQUAL(b, "a?b?");
	utf8_scrub(c);
	CU_ASSERT_STRING_EQUAL(c, "???x");
	CU_ASSERT_TRUE(utf8_valid(c, strlen(c)));
}

static const struct test_case utf8_tests[] = {
	{"scrub: what is no UTF-8 becomes ?", test_utf8_scrub},
	{"strict: every length, overlongs, surrogates, past U+10FFFF, cut", test_utf8_decode},
	{"NUL-terminated strings read with any avail", test_utf8_nul_terminated},
	{NULL, NULL},
};
TEST_SUITE("utf8", NULL, NULL, utf8_tests)
