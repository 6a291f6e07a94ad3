/* SPDX-License-Identifier: MIT */
/* ui-api/json_reals: the API's reals printed as the shortest text that
 * reads back as the same double (4.788, not 4.7880000000000003), strings
 * and integers untouched, every value bit for bit the same (seeded). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/harness.h"
#include "ui-api/json_reals.h"

/* json_dumps of v, rewritten; the caller frees it. */
static char *jr_dump(json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(v);
	if (text != NULL)
		CU_ASSERT_EQUAL(json_reals_shortest(text), strlen(text));
	return text;
}

static void jr_expect(json_t *v, const char *want)
{
	char *text = jr_dump(v);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, want);
	if (strcmp(text, want) != 0)
		fprintf(stderr, "\n  got %s, want %s\n", text, want);
	free(text);
}

static void test_jr_examples(void)
{
	jr_expect(json_real(4788 / 1000.0), "4.788");
	jr_expect(json_real(0.95), "0.95");
	jr_expect(json_real(0.1), "0.1");
	jr_expect(json_real(2.0), "2.0"); /* still a real */
	jr_expect(json_real(-0.5), "-0.5");
	jr_expect(json_real(1e-7), "1e-07");
	jr_expect(json_real(1.0 / 3.0), "0.3333333333333333");
	jr_expect(json_real(0.1 + 0.2), "0.30000000000000004"); /* needs all 17 */
	jr_expect(json_integer(12345678901234LL), "12345678901234");
	jr_expect(json_pack("{s:f,s:i,s:s,s:[f,f]}", "age_seconds", 4.788, "open", 3, "note",
			    "4.7880000000000003 \"x\\\" 0.95", "r", 0.95, 1.5),
		  "{\"age_seconds\":4.788,\"open\":3,\"note\":\"4.7880000000000003 \\\"x\\\\\\\""
		  " 0.95\",\"r\":[0.95,1.5]}");
	jr_expect(json_pack("{s:s}", "k", "-0.10000000000000001e5"),
		  "{\"k\":\"-0.10000000000000001e5\"}");
}

static uint64_t jr_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static void test_jr_random(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 10)
				    : (((uint64_t)time(NULL) << 16) ^ 0x9e3779b97f4a7c15ULL);
	uint64_t rnd = seed != 0 ? seed : 1;
	int i, bad = 0;

	for (i = 0; i < 20000 && bad == 0; i++) {
		uint64_t u = test_rand(&rnd), kind = test_rand(&rnd) % 3;
		double d;
		json_t *arr, *back;
		char *before, *text;

		if (kind == 0) { /* any finite double */
			memcpy(&d, &u, sizeof(d));
			if (d != d || d - d != 0)
				continue;
		} else if (kind == 1) { /* milliseconds as seconds */
			d = (double)(u % 100000000) / 1000.0;
		} else { /* a rate */
			d = (double)(u % 100000) / (double)(1 + test_rand(&rnd) % 100000);
		}
		arr = json_pack("[f,s,I]", d, "1.5", (json_int_t)(u >> 12));
		before = json_dumps(arr, JSON_COMPACT);
		text = jr_dump(arr);
		back = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		if (back == NULL || !json_is_real(json_array_get(back, 0)) ||
		    jr_bits(json_real_value(json_array_get(back, 0))) != jr_bits(d) ||
		    strcmp(json_string_value(json_array_get(back, 1)), "1.5") != 0 ||
		    json_integer_value(json_array_get(back, 2)) != (json_int_t)(u >> 12) ||
		    before == NULL || strlen(text) > strlen(before)) {
			fprintf(stderr,
				"\njson_reals: seed %" PRIu64 " (replay: DRAFTD_TEST_SEED=%" PRIu64
				"): %.17g became %s (from %s)\n",
				seed, seed, d, text != NULL ? text : "(null)",
				before != NULL ? before : "(null)");
			bad = 1;
		}
		json_decref(back);
		free(before);
		free(text);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static const struct test_case jr_cases[] = {
	{"reals print short (4.788, 0.95, 2.0), strings and integers stay", test_jr_examples},
	{"random doubles read back bit for bit, never longer (seeded)", test_jr_random},
	{NULL, NULL},
};

TEST_SUITE("json_reals", NULL, NULL, jr_cases)
