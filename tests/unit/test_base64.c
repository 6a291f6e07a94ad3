/* SPDX-License-Identifier: MIT */
/* Base64 for tokens, JWTs and PHC strings: RFC 4648 vectors, round trips of
 * every length, and strict refusal of every non-canonical text. */
#include <string.h>

#include "daemon/lib/base64.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/auth/auth_random.h"

static void test_b64_vectors(void)
{
	/* RFC 4648 section 10, padding dropped */
	static const struct {
		const char *raw, *enc;
	} v[] = {
		{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
		{"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
	};
	unsigned char raw[16];
	char out[32];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		CU_ASSERT_EQUAL(
			base64_encode(BASE64_URL, v[i].raw, strlen(v[i].raw), out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, v[i].enc);
		CU_ASSERT_EQUAL(base64_len(strlen(v[i].raw)), strlen(v[i].enc));
		CU_ASSERT_EQUAL(
			base64_decode(BASE64_URL, v[i].enc, strlen(v[i].enc), raw, sizeof(raw), &n),
			0);
		CU_ASSERT_EQUAL(n, strlen(v[i].raw));
		CU_ASSERT_EQUAL(memcmp(raw, v[i].raw, n), 0);
	}
}

static void test_b64_alphabets(void)
{
	static const unsigned char raw[] = {0xfb, 0xff, 0xbf};
	unsigned char back[4];
	char out[8];
	size_t n;

	CU_ASSERT_EQUAL(base64_encode(BASE64_URL, raw, 3, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "-_-_");
	CU_ASSERT_EQUAL(base64_encode(BASE64_STD, raw, 3, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "+/+/");
	/* each alphabet refuses the other's two characters */
	CU_ASSERT_EQUAL(base64_decode(BASE64_URL, "+/+/", 4, back, sizeof(back), &n), -1);
	CU_ASSERT_EQUAL(base64_decode(BASE64_STD, "-_-_", 4, back, sizeof(back), &n), -1);
}

static void test_b64_strict(void)
{
	static const char *bad[] = {
		"Zg==",  /* padding */
		"Zh",    /* non-zero unused bits: "Zg" is the one text of "f" */
		"Zm9",   /* likewise for "fo" (Zm8) */
		"Z",     /* one character is never a byte */
		"Zm 9v", /* whitespace */
		"Zm9v\n", "Zm9v.",
	};
	unsigned char out[16];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(
			base64_decode(BASE64_URL, bad[i], strlen(bad[i]), out, sizeof(out), &n),
			-1);
	/* too small an output is refused, not overrun */
	CU_ASSERT_EQUAL(base64_decode(BASE64_URL, "Zm9vYmFy", 8, out, 5, &n), -1);
	CU_ASSERT_EQUAL(base64_encode(BASE64_URL, "foobar", 6, (char *)out, 8), -1);
	CU_ASSERT_EQUAL(out[0], '\0');
}

static void test_b64_round_trip(void)
{
	unsigned char raw[64], back[64];
	char text[100];
	size_t len, n;

	for (len = 0; len <= sizeof(raw); len++) {
		CU_ASSERT_EQUAL_FATAL(auth_random(raw, len), 0);
		CU_ASSERT_EQUAL(base64_encode(BASE64_STD, raw, len, text, sizeof(text)), 0);
		CU_ASSERT_EQUAL(strlen(text), base64_len(len));
		CU_ASSERT_EQUAL(
			base64_decode(BASE64_STD, text, strlen(text), back, sizeof(back), &n), 0);
		CU_ASSERT_EQUAL(n, len);
		CU_ASSERT_EQUAL(memcmp(raw, back, len), 0);
	}
}

static void test_random_and_compare(void)
{
	char a[64], b[64];
	unsigned char x[32], y[32];

	CU_ASSERT_EQUAL(auth_random_token(32, a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(auth_random_token(32, b, sizeof(b)), 0);
	CU_ASSERT_EQUAL(strlen(a), 43);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(auth_random_token(32, a, 43), -1); /* no room for the NUL */
	CU_ASSERT_EQUAL(auth_random_token(0, a, sizeof(a)), -1);

	memset(x, 7, sizeof(x));
	memcpy(y, x, sizeof(y));
	CU_ASSERT_TRUE(auth_ct_equal(x, y, sizeof(x)));
	y[31] ^= 1;
	CU_ASSERT_FALSE(auth_ct_equal(x, y, sizeof(x)));
	y[31] ^= 1;
	y[0] ^= 0x80;
	CU_ASSERT_FALSE(auth_ct_equal(x, y, sizeof(x)));
	CU_ASSERT_TRUE(auth_ct_equal(x, y, 0));

	CU_ASSERT_TRUE(auth_ct_streq("abc", "abc"));
	CU_ASSERT_FALSE(auth_ct_streq("abc", "abd"));
	CU_ASSERT_FALSE(auth_ct_streq("abc", "abcabc")); /* a repeat is not equal */
	CU_ASSERT_FALSE(auth_ct_streq("abc", "ab"));
	CU_ASSERT_FALSE(auth_ct_streq("abc", ""));
	CU_ASSERT_FALSE(auth_ct_streq("", "a"));
	CU_ASSERT_TRUE(auth_ct_streq("", ""));
}

/* The padded form (MIME encoded-words, SASL): RFC 4648's vectors as they
 * are, and one text per value. */
static void test_b64_padded(void)
{
	static const struct {
		const char *raw, *enc;
	} v[] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	static const char *const bad[] = {
		"Zg",                                        /* unpadded */
		"Zg=",                                       /* short */
		"Zg=A",                                      /* '=' inside */
		"Z===",  "====", "Zm9v====", "=Zm9", "Zh==", /* stray bits */
		"Zm-_",                                      /* the URL alphabet */
		"Zm9 v",
	};
	unsigned char raw[16];
	struct buf b;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		buf_init(&b, 64);
		CU_ASSERT_EQUAL(base64_append_padded(&b, v[i].raw, strlen(v[i].raw)), 0);
		CU_ASSERT_EQUAL(b.len, strlen(v[i].enc));
		CU_ASSERT(b.len == 0 || memcmp(b.data, v[i].enc, b.len) == 0);
		buf_free(&b);
		CU_ASSERT_EQUAL(
			base64_decode_padded(v[i].enc, strlen(v[i].enc), raw, sizeof(raw), &n), 0);
		CU_ASSERT_EQUAL(n, strlen(v[i].raw));
		CU_ASSERT_EQUAL(memcmp(raw, v[i].raw, n), 0);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(base64_decode_padded(bad[i], strlen(bad[i]), raw, sizeof(raw), &n),
				-1);
	/* too small an output */
	CU_ASSERT_EQUAL(base64_decode_padded("Zm9vYmFy", 8, raw, 5, &n), -1);
	/* the ceiling of the buffer */
	buf_init(&b, 7);
	CU_ASSERT_EQUAL(base64_append_padded(&b, "foobar", 6), -1);
	buf_free(&b);
}

static const struct test_case base64_cases[] = {
	{"RFC 4648 vectors, both directions", test_b64_vectors},
	{"URL-safe and standard alphabets do not mix", test_b64_alphabets},
	{"padding, stray bits, whitespace, short buffers refused", test_b64_strict},
	{"random bytes of every length 0-64 round-trip", test_b64_round_trip},
	{"random tokens differ; constant-time compares are exact", test_random_and_compare},
	{"the padded form: vectors, one text per value", test_b64_padded},
	{NULL, NULL},
};

TEST_SUITE("base64", NULL, NULL, base64_cases)
