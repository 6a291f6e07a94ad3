/* SPDX-License-Identifier: MIT */
/* The log lines (issue 15 item 6): logfmt and JSON that a strict parser
 * reads back, fields kept out of msg, context that does not outlive its
 * unit of work. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/lib/log.h"
#include "tests/unit/harness.h"

static int log_pipe[2] = {-1, -1};
static char captured[16384];

static int log_suite_init(void)
{
	if (pipe(log_pipe) < 0)
		return -1;
	log_set_output(log_pipe[1]);
	return 0;
}

static int log_suite_clean(void)
{
	log_set_output(2);
	log_set_format(LOG_FORMAT_LOGFMT);
	log_set_level(LOG_LEVEL_INFO);
	log_ctx_clear();
	close(log_pipe[0]);
	close(log_pipe[1]);
	return 0;
}

/* The line the last log call wrote, without its newline. */
static const char *last_line(void)
{
	ssize_t n = read(log_pipe[0], captured, sizeof(captured) - 1);

	captured[n > 0 ? n : 0] = '\0';
	if (n > 0 && captured[n - 1] == '\n')
		captured[n - 1] = '\0';
	return captured;
}

/* The part of a logfmt line after "ts=... level=... ". */
static const char *after_level(const char *line)
{
	const char *p = strstr(line, " level=");

	return p != NULL ? strchr(p + 1, ' ') + 1 : "";
}

static void test_logfmt_fields(void)
{
	log_set_format(LOG_FORMAT_LOGFMT);
	log_ctx_clear();
	log_info_kv("connector opened", "connector=%s type=%s rows=%zu", "inventory", "pg",
		    (size_t)42);
	CU_ASSERT_STRING_EQUAL(after_level(last_line()),
			       "msg=\"connector opened\" connector=inventory type=pg rows=42");
	/* a value with spaces, '=', quotes and a newline stays one field */
	log_warn_kv("lookup failed", "error=%s", "bad \"x=1\"\nnext");
	CU_ASSERT_STRING_EQUAL(after_level(last_line()),
			       "msg=\"lookup failed\" error=\"bad \\\"x=1\\\"\\nnext\"");
	log_info_kv("counts", "a=%d b=%u c=%lld d=%.*s e=%ld f=%.2f actor=cli", -1, 2u, 3LL, 2,
		    "xyz", 5L, 0.5);
	CU_ASSERT_STRING_EQUAL(after_level(last_line()),
			       "msg=counts a=-1 b=2 c=3 d=xy e=5 f=0.50 actor=cli");
	log_info_kv("empty", "v=%s", "");
	CU_ASSERT_STRING_EQUAL(after_level(last_line()), "msg=empty v=\"\"");
}

static void test_json_lines(void)
{
	json_error_t err;
	json_t *j;

	log_set_format(LOG_FORMAT_JSON);
	log_ctx_clear();
	log_ctx_set("mailbox", "support");
	log_info_kv("stored", "uid=%u subject=%s", 7u, "tab\there \"q\" \x01 \xff caf\xc3\xa9");
	j = json_loads(last_line(), 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "level")), "info");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "mailbox")), "support");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "msg")), "stored");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "uid")), "7");
	/* control characters escaped, an invalid byte as its code point, UTF-8 kept */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "subject")),
			       "tab\there \"q\" \x01 \xc3\xbf caf\xc3\xa9");
	json_decref(j);
	/* a surrogate or an overlong form is no UTF-8 either (jansson would
	 * refuse the whole line): each byte as its code point */
	log_info_kv("stored", "subject=%s", "a\xed\xa0\x80 b\xe0\x80\xaf");
	j = json_loads(last_line(), 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "subject")),
			       "a\xc3\xad\xc2\xa0\xc2\x80 b\xc3\xa0\xc2\x80\xc2\xaf");
	json_decref(j);
	log_info("plain message with %d%% in it", 5);
	j = json_loads(last_line(), 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "msg")),
			       "plain message with 5% in it");
	json_decref(j);
	log_ctx_clear();
	log_set_format(LOG_FORMAT_LOGFMT);
}

/* issue 15: "a stale draft= field appears on a line about another
 * message": what a unit of work set goes when it ends. */
static void test_context_does_not_leak(void)
{
	size_t mark;

	log_set_format(LOG_FORMAT_LOGFMT);
	log_ctx_clear();
	log_ctx_set("worker", "1");
	mark = log_ctx_mark();
	log_ctx_set("message_id", "10");
	log_ctx_set("draft_id", "77"); /* set deep inside the run, never unset there */
	log_info("pipeline finished");
	CU_ASSERT_PTR_NOT_NULL(strstr(last_line(), "worker=1 message_id=10 draft_id=77 msg="));
	log_ctx_restore(mark);
	log_ctx_set("message_id", "11");
	log_info("pipeline finished");
	CU_ASSERT_STRING_EQUAL(after_level(last_line()),
			       "worker=1 message_id=11 msg=\"pipeline finished\"");
	/* a field of the call wins over the context's, once */
	log_info_kv("x", "message_id=%d", 12);
	CU_ASSERT_STRING_EQUAL(after_level(last_line()), "worker=1 msg=x message_id=12");
	log_ctx_clear();
}

static void test_level_filter(void)
{
	log_set_level(LOG_LEVEL_WARN);
	log_info_kv("hidden", "a=%d", 1);
	log_warn_kv("shown", "a=%d", 2);
	CU_ASSERT_STRING_EQUAL(after_level(last_line()), "msg=shown a=2");
	log_set_level(LOG_LEVEL_INFO);
}

static const struct test_case log_cases[] = {
	{"logfmt: fields after msg, each value escaped once", test_logfmt_fields},
	{"json: one object per line, escaped, UTF-8 kept", test_json_lines},
	{"context of one unit of work does not reach the next", test_context_does_not_leak},
	{"lines under the level are not written", test_level_filter},
	{NULL, NULL},
};

TEST_SUITE("log", log_suite_init, log_suite_clean, log_cases)
