/* SPDX-License-Identifier: MIT */
/* api_body_object(): request bodies validated against a field table, and
 * the 400 error body that comes back, which must itself be valid JSON even
 * when the client's bytes are not UTF-8 (found by tests/fuzz/fuzz_api_json.c;
 * the input is tests/fixtures/fuzz/api_json/crash-invalid-utf8-in-error.json). */
#include <stdio.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/api.h"

static const struct api_field api_json_fields[] = {
	{"body", API_STRING, true, 10},
	{"version", API_INTEGER, false, 0},
	{"send", API_BOOL, false, 0},
	{NULL, API_STRING, false, 0},
};

static const struct {
	const char *body;
	size_t len;       /* 0: strlen(body) */
	const char *code; /* NULL: accepted */
} api_json_cases[] = {
	{"{\"body\":\"hi\",\"version\":2,\"send\":true}", 0, NULL},
	{"{\"body\":\"0123456789\"}", 0, NULL},
	{"{\"body\":\"0123456789x\"}", 0, "too_long"},
	{"{\"version\":2}", 0, "missing_field"},
	{"{\"body\":1}", 0, "wrong_type"},
	{"{\"body\":\"a\",\"body\":\"b\"}", 0, "bad_json"},
	{"{\"body\":\"a\\u0000b\"}", 0, "bad_json"}, /* jansson refuses \\u0000 */
	{"[1]", 0, "bad_request"},
	{"", 0, "bad_request"},
	/* a field name cut at 64 bytes inside a UTF-8 sequence */
	{"{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\":1}", 0,
	 "unknown_field"},
	/* the fuzzer's input: a bad escape next to bytes that are not UTF-8 */
	{"{\"body\\\xe3\xa3\xa3\xa3\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\xbc\\\":\"\"}", 0,
	 "bad_json"},
	{"{\"body\":\"\xff\xfe\"}", 0, "bad_json"},
};

static void test_api_json_bodies(void)
{
	struct api_request req;
	struct api_response resp;
	const char *code;
	json_t *obj;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(api_json_cases); i++) {
		memset(&req, 0, sizeof(req));
		memset(&resp, 0, sizeof(resp));
		req.body = api_json_cases[i].body;
		req.body_len = api_json_cases[i].len != 0 ? api_json_cases[i].len
							  : strlen(api_json_cases[i].body);
		obj = api_body_object(&req, &resp, api_json_fields, false);
		if (api_json_cases[i].code == NULL) {
			CU_ASSERT_PTR_NOT_NULL(obj);
			CU_ASSERT_EQUAL(resp.status, 0);
			json_decref(obj);
			continue;
		}
		CU_ASSERT_PTR_NULL(obj);
		CU_ASSERT_EQUAL(resp.status, 400);
		/* the error body exists, so the client gets JSON, not an empty 400 */
		CU_ASSERT_PTR_NOT_NULL(resp.json);
		code = json_string_value(
			json_object_get(json_object_get(resp.json, "error"), "code"));
		if (code == NULL || strcmp(code, api_json_cases[i].code) != 0) {
			fprintf(stderr, "\napi_json case %zu: code %s, want %s\n", i,
				code != NULL ? code : "(none)", api_json_cases[i].code);
			CU_FAIL("error code");
		}
		json_decref(resp.json);
	}
}

static const struct test_case api_json_test_cases[] = {
	{"validates bodies and always answers a JSON error", test_api_json_bodies},
	{NULL, NULL},
};

TEST_SUITE("api_json", NULL, NULL, api_json_test_cases)
