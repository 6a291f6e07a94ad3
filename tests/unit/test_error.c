/* SPDX-License-Identifier: MIT */
/* daemon/lib/error: the one error convention (set, retryable, prefix, NULL,
 * bounded). */
#include <string.h>

#include "daemon/lib/error.h"
#include "tests/unit/harness.h"

static void test_error_set(void)
{
	struct error err = {0};

	CU_ASSERT_STRING_EQUAL(error_msg(&err), "");
	error_set(&err, "line %d: %s", 7, "bad value");
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "line 7: bad value");
	CU_ASSERT_FALSE(err.retryable);
	error_set_retryable(&err, "model: %s", "loading");
	CU_ASSERT_TRUE(err.retryable);
	/* a later plain error is not retryable */
	error_set(&err, "%s", "schema");
	CU_ASSERT_FALSE(err.retryable);
	error_prefix(&err, "mailbox support");
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "mailbox support: schema");
	error_clear(&err);
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "");
}

static void test_error_null_and_bounds(void)
{
	struct error err;
	char big[2 * ERROR_MAX];

	/* a caller that does not want the text passes NULL */
	error_set(NULL, "%s", "ignored");
	error_prefix(NULL, "x");
	error_clear(NULL);
	CU_ASSERT_STRING_EQUAL(error_msg(NULL), "");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_set(&err, "%s", big);
	CU_ASSERT_EQUAL(strlen(error_msg(&err)), ERROR_MAX - 1);
	error_prefix(&err, "context");
	CU_ASSERT_EQUAL(strlen(error_msg(&err)), ERROR_MAX - 1);
	CU_ASSERT_EQUAL(strncmp(error_msg(&err), "context: aaa", 12), 0);
}

/* error_copy() hands a held error (the store's) upward whole. */
static void test_error_copy(void)
{
	struct error held, err;

	error_set_retryable(&held, "database reconnect: %s", "server closed the connection");
	error_set(&err, "%s", "stale");
	error_copy(&err, &held);
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "database reconnect: server closed the connection");
	CU_ASSERT_TRUE(err.retryable);
	error_set(&held, "%s", "plain");
	error_copy(&err, &held);
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "plain");
	CU_ASSERT_FALSE(err.retryable);
	error_copy(&err, &err); /* to itself: unchanged */
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "plain");
	error_copy(NULL, &held);
	error_copy(&err, NULL); /* no source: cleared */
	CU_ASSERT_STRING_EQUAL(error_msg(&err), "");
}

static const struct test_case error_cases[] = {
	{"error: set, retryable, prefix, clear", test_error_set},
	{"error: NULL is allowed, messages are bounded", test_error_null_and_bounds},
	{"error: copy hands a held error upward", test_error_copy},
	{NULL, NULL},
};

TEST_SUITE("error", NULL, NULL, error_cases)
