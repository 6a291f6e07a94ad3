/* SPDX-License-Identifier: MIT */
/* agent/edit_distance: normalisation, exact values, bounds on long texts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/edit_distance.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static void test_ed_table(void)
{
	static const struct {
		const char *a, *b;
		double want;
	} cases[] = {
		{"", "", 0.0},
		{NULL, "", 0.0},
		{"abc", "abc", 0.0},
		{"abc", "abd", 1.0 / 3},
		{"kitten", "sitting", 3.0 / 7},
		{"abc", "", 1.0},
		{"Hello  Ann,\n\n  HP-1 is   in stock.", "Hello Ann, HP-1 is in stock.", 0.0},
		{"Thanks!\n\nOn Mon, Ann wrote:\n> old text\n> more", "Thanks!", 0.0},
		{"Thanks!\n> quoted line\nBye", "Thanks! Bye", 0.0},
		{"Thanks!\n-----Original Message-----\nFrom: x", "Thanks!", 0.0},
		{"caf\xc3\xa9", "cafe", 0.25}, /* one code point, not two bytes */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		double got = edit_distance_normalized(cases[i].a, cases[i].b);

		CU_ASSERT_DOUBLE_EQUAL(got, cases[i].want, 1e-9);
	}
}

static char *ed_text(size_t n, unsigned int seed)
{
	char *s = malloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		s[i] = (char)('a' + (seed >> 16) % 26);
	}
	s[n] = '\0';
	return s;
}

static void test_ed_long_local_edit(void)
{
	char *a = ed_text(200000, 1), *b = strdup(a);
	uint64_t t0 = time_mono_ms();

	memcpy(b + 100000, "XYZ", 3); /* three substitutions in the middle */
	CU_ASSERT_DOUBLE_EQUAL(edit_distance_normalized(a, b), 3.0 / 200000, 1e-12);
	CU_ASSERT(time_mono_ms() - t0 < 2000);
	free(a);
	free(b);
}

static void test_ed_long_unrelated_is_bounded(void)
{
	char *a = ed_text(100000, 1), *b = ed_text(100000, 2);
	uint64_t t0 = time_mono_ms();
	double d = edit_distance_normalized(a, b);

	/* two random texts: far apart, and computed within the cell budget */
	CU_ASSERT(d > 0.5 && d <= 1.0);
	CU_ASSERT(time_mono_ms() - t0 < 5000);
	free(a);
	free(b);
}

static const struct test_case edit_distance_cases[] = {
	{"table of pairs", test_ed_table},
	{"long text with a local edit is exact and fast", test_ed_long_local_edit},
	{"long unrelated texts stay bounded", test_ed_long_unrelated_is_bounded},
	{NULL, NULL},
};
TEST_SUITE("edit_distance", NULL, NULL, edit_distance_cases)
