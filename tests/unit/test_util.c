/* SPDX-License-Identifier: MIT */
/* The shared helpers every module leans on: ranged number parsing, bounded
 * buffers, secrets. */
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

struct num_case {
	const char *text;
	uint64_t max;
	int ret;
	uint64_t value;
};

static void test_parse_u64(void)
{
	static const struct num_case cases[] = {
		{"0", 10, 0, 0},
		{"10", 10, 0, 10},
		{"11", 10, -1, 0},
		{"", 10, -1, 0},
		{"-1", 10, -1, 0},
		{" 1", 10, -1, 0},
		{"1 ", 10, -1, 0},
		{"1x", 10, -1, 0},
		{"+1", 10, -1, 0},
		{"18446744073709551616", UINT64_MAX, -1, 0},
		{"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 0;
		CU_ASSERT_EQUAL(parse_u64(cases[i].text, cases[i].max, &v), cases[i].ret);
		if (cases[i].ret == 0)
			CU_ASSERT_EQUAL(v, cases[i].value);
	}
	CU_ASSERT_EQUAL(parse_u64(NULL, 10, &v), -1);
}

static void test_parse_units(void)
{
	static const struct num_case durations[] = {
		{"30", 3600, 0, 30},   {"30s", 3600, 0, 30}, {"5m", 3600, 0, 300},
		{"1h", 3600, 0, 3600}, {"2h", 3600, -1, 0},  {"1d", 86400, 0, 86400},
		{"1H", 3600, 0, 3600}, {"m", 3600, -1, 0},   {"5 m", 3600, -1, 0},
		{"5ms", 3600, -1, 0},
	};
	static const struct num_case sizes[] = {
		{"1024", 1 << 30, 0, 1024},     {"64k", 1 << 30, 0, 65536},
		{"25M", 1 << 30, 0, 25u << 20}, {"1G", 1 << 30, 0, 1u << 30},
		{"2G", 1 << 30, -1, 0},         {"k", 1 << 30, -1, 0},
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(durations); i++) {
		CU_ASSERT_EQUAL(parse_duration(durations[i].text, durations[i].max, &v),
				durations[i].ret);
		if (durations[i].ret == 0)
			CU_ASSERT_EQUAL(v, durations[i].value);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		CU_ASSERT_EQUAL(parse_size(sizes[i].text, sizes[i].max, &v), sizes[i].ret);
		if (sizes[i].ret == 0)
			CU_ASSERT_EQUAL(v, sizes[i].value);
	}
}

static void test_parse_double_bool(void)
{
	double d;
	bool b;

	CU_ASSERT_EQUAL(parse_double("0.95", 0, 1, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.95, 1e-12);
	CU_ASSERT_EQUAL(parse_double("1.5", 0, 1, &d), -1);
	CU_ASSERT_EQUAL(parse_double("nan", 0, 1, &d), -1);
	CU_ASSERT_EQUAL(parse_double("inf", 0, 1e308, &d), -1);
	CU_ASSERT_EQUAL(parse_double("0.5x", 0, 1, &d), -1);
	CU_ASSERT_EQUAL(parse_double("", 0, 1, &d), -1);
	CU_ASSERT_EQUAL(parse_bool("on", &b), 0);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(parse_bool("false", &b), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(parse_bool("maybe", &b), -1);
	CU_ASSERT_EQUAL(parse_bool("ON", &b), -1);
}

static void test_buf_bounds(void)
{
	struct buf b;
	char big[100];

	buf_init(&b, 10);
	CU_ASSERT_EQUAL(buf_append_str(&b, "12345"), 0);
	CU_ASSERT_EQUAL(buf_printf(&b, "%d", 67890), 0);
	CU_ASSERT_EQUAL(b.len, 10);
	CU_ASSERT_STRING_EQUAL(b.data, "1234567890");
	/* one byte over the ceiling fails and leaves the buffer as it was */
	CU_ASSERT_EQUAL(buf_append_str(&b, "x"), -1);
	CU_ASSERT_EQUAL(buf_printf(&b, "%s", "y"), -1);
	CU_ASSERT_STRING_EQUAL(b.data, "1234567890");
	buf_reset(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	memset(big, 'a', sizeof(big));
	CU_ASSERT_EQUAL(buf_append(&b, big, sizeof(big)), -1);
	CU_ASSERT_EQUAL(buf_append(&b, big, (size_t)-1), -1);
	buf_free(&b);
	buf_free(NULL);
	buf_init(&b, 100);
	{
		char *s = buf_steal(&b);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_STRING_EQUAL(s, "");
		free(s);
	}
}

static void test_str_copy(void)
{
	char small[4];

	CU_ASSERT_EQUAL(str_copy(small, sizeof(small), "abc"), 0);
	CU_ASSERT_STRING_EQUAL(small, "abc");
	CU_ASSERT_EQUAL(str_copy(small, sizeof(small), "abcd"), -1);
	CU_ASSERT_STRING_EQUAL(small, "abc");
}

static void test_secrets(void)
{
	const char *path;
	struct error why;
	char *secret = NULL;

	path = test_write_file("secret.txt", "hunter2\n\n");
	CU_ASSERT_EQUAL_FATAL(secret_read_file(path, &secret, &why), 0);
	CU_ASSERT_STRING_EQUAL(secret, "hunter2");
	secret_free(&secret);
	CU_ASSERT_PTR_NULL(secret);
	path = test_write_file("empty.txt", "\n");
	CU_ASSERT_EQUAL(secret_read_file(path, &secret, &why), -1);
	CU_ASSERT_STRING_EQUAL(error_msg(&why), "secret file is empty");
	CU_ASSERT_EQUAL(secret_read_file("/nonexistent/secret", &secret, &why), -1);
}

static const struct test_case util_cases[] = {
	{"parse_u64 takes whole numbers in range only", test_parse_u64},
	{"durations and sizes with units", test_parse_units},
	{"decimals and booleans", test_parse_double_bool},
	{"a buf never grows past its ceiling", test_buf_bounds},
	{"str_copy always terminates", test_str_copy},
	{"secret files", test_secrets},
	{NULL, NULL},
};

TEST_SUITE("util", NULL, NULL, util_cases)
