/* SPDX-License-Identifier: MIT */
/* daemon/lib/jsonw.c writes strings exactly as jansson's
 * json_dumps(json_stringn(), JSON_COMPACT | JSON_ENCODE_ANY) does, and
 * refuses what json_stringn() refuses (not UTF-8): fixed cases and seeded
 * random byte strings (DRAFTD_TEST_SEED replays a failure). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/jsonw.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	return test_rand(&rnd_state);
}

/* 1 when jsonw and jansson agree on s[len], else 0 (printed). */
static int jw_same(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *want = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	struct buf b;
	int r, same;

	buf_init(&b, 1u << 20);
	r = jsonw_strn(&b, s, len);
	same = want == NULL ? r < 0 : r == 0 && strcmp(b.data, want) == 0;
	if (!same)
		fprintf(stderr, "\njsonw: %zu bytes: want %s, got %s\n", len,
			want != NULL ? want : "(refused)", r == 0 ? b.data : "(refused)");
	buf_free(&b);
	free(want);
	json_decref(j);
	return same;
}

static void test_jsonw_fixed(void)
{
	static const char *const cases[] = {
		"",
		"plain",
		"quote \" backslash \\ slash /",
		"\b\f\n\r\t\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"\xc3",
		"\xc0\xaf",
		"\xed\xa0\x80",
		"\xf4\x90\x80\x80",
		"\xe2\x80\xa8 line sep",
	};
	struct buf b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT(jw_same(cases[i], strlen(cases[i])));
	CU_ASSERT(jw_same("a\0b", 3));
	buf_init(&b, 64);
	CU_ASSERT_EQUAL(jsonw_str(&b, NULL), 0);
	CU_ASSERT_EQUAL(jsonw_key(&b, "k"), 0);
	CU_ASSERT_EQUAL(jsonw_int(&b, -12), 0);
	CU_ASSERT_EQUAL(jsonw_bool(&b, true), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "null\"k\":-12true");
	buf_free(&b);
	/* over the ceiling: refused, not cut */
	buf_init(&b, 8);
	CU_ASSERT_EQUAL(jsonw_str(&b, "0123456789"), -1);
	buf_free(&b);
}

static void test_jsonw_random(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED");
	uint64_t seed = 0;
	int bad = 0;

	if (env == NULL || parse_u64(env, UINT64_MAX, &seed) < 0 || seed == 0)
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)clock() ^ 0x2545f4914f6cdd1dULL;
	rnd_state = seed;
	for (int r = 0; r < 5000 && !bad; r++) {
		char s[24];
		size_t len = (size_t)(rnd() % sizeof(s));

		for (size_t i = 0; i < len; i++) {
			uint64_t x = rnd();

			/* mostly text, some controls, some high bytes */
			s[i] = (char)(x % 4 == 0   ? (x >> 8) % 256
				      : x % 4 == 1 ? (x >> 8) % 32
						   : 'a' + (x >> 8) % 26);
		}
		if (!jw_same(s, len)) {
			fprintf(stderr,
				"jsonw random: seed %" PRIu64 " round %d (DRAFTD_TEST_SEED=%" PRIu64
				")\n",
				seed, r, seed);
			bad = 1;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static const struct test_case jsonw_cases[] = {
	{"strings as jansson writes them; NULL, keys, numbers, the ceiling", test_jsonw_fixed},
	{"random byte strings: same text or both refuse (seeded)", test_jsonw_random},
	{NULL, NULL},
};
TEST_SUITE("jsonw", NULL, NULL, jsonw_cases)
