/* SPDX-License-Identifier: MIT */
/* The headers and attachments columns written without jansson
 * (agent/mime/mime_json_fields.c) are byte for byte what ingest's jansson
 * code wrote (kept here as the reference): seeded random headers (repeated
 * names, names differing in case, controls, quotes, bytes that are not
 * UTF-8, every size limit) and attachments. DRAFTD_TEST_SEED replays. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/mime/mime.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static uint64_t rnd_state;

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(test_rand(&rnd_state) % n);
}

/* What ingest did before, verbatim. */
static char *ref_headers_json(const struct mime_message *msg, size_t max)
{
	json_t *obj = json_object();
	size_t total = 2;
	char *s;

	if (obj == NULL)
		return NULL;
	for (size_t i = 0; i < msg->headers_count; i++) {
		const struct mime_header *h = &msg->headers[i];
		size_t n = strlen(h->name) + strlen(h->value) + 8;

		if (json_object_get(obj, h->name) != NULL)
			continue;
		if (total + n > max)
			break;
		if (json_object_set_new(obj, h->name, json_string(h->value)) < 0)
			continue;
		total += n;
	}
	s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return s;
}

static char *ref_attachments_json(const struct mime_message *msg)
{
	json_t *arr = json_array();
	char *s;

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < msg->attachments_count; i++) {
		const struct mime_attachment *a = &msg->attachments[i];
		json_t *o = json_pack("{s:s?, s:s?, s:I}", "filename", a->filename, "content_type",
				      a->content_type, "size", (json_int_t)a->size);

		if (o != NULL)
			json_array_append_new(arr, o);
	}
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

/* A random string: mostly text, some controls, quotes, backslashes, UTF-8
 * and bytes that are not UTF-8; NULL one time in null_one_in (0: never). */
static char *rnd_text(unsigned int maxlen, unsigned int null_one_in)
{
	static const char *const bits[] = {"a",
					   "Z",
					   " ",
					   "\"",
					   "\\",
					   "/",
					   "\t",
					   "\n",
					   "\x01",
					   "\x7f",
					   "é",
					   "€",
					   "\xf0\x9f\x98\x80",
					   "\xe2\x80\xa8",
					   "\xc3",
					   "\xed\xa0\x80",
					   "\xff",
					   ":",
					   "x-"};
	unsigned int len = rnd_below(maxlen + 1);
	char *s = malloc(len * 4 + 1);
	size_t n = 0;

	if (null_one_in > 0 && rnd_below(null_one_in) == 0) {
		free(s);
		return NULL;
	}
	if (s == NULL)
		return NULL;
	for (unsigned int i = 0; i < len; i++) {
		const char *b = bits[rnd_below(sizeof(bits) / sizeof(bits[0]))];
		size_t k = strlen(b);

		/* mostly plain letters, so that most headers are kept */
		if (rnd_below(3) > 0) {
			b = "abcdefghij" + rnd_below(10);
			k = 1;
		}
		memcpy(s + n, b, k);
		n += k;
	}
	s[n] = '\0';
	return s;
}

static void free_msg(struct mime_message *m)
{
	for (size_t i = 0; i < m->headers_count; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	for (size_t i = 0; i < m->attachments_count; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
	}
	free(m->headers);
	free(m->attachments);
}

static void test_same_as_jansson(void)
{
	static const char *const names[] = {"subject",  "from", "to",      "x-a",     "X-A",
					    "received", "x-b",  "list-id", "x-\"q\"", "x-\xc3"};
	const char *env = getenv("DRAFTD_TEST_SEED");
	uint64_t seed = 0;
	unsigned int bad = 0;

	if (env == NULL || parse_u64(env, UINT64_MAX, &seed) < 0 || seed == 0)
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)clock() ^ 0x4f1bbcdcbfa53e0bULL;
	rnd_state = seed;
	for (unsigned int r = 0; r < 3000 && bad == 0; r++) {
		struct mime_message m;
		size_t max = rnd_below(4) == 0 ? SIZE_MAX / 8 : 2 + rnd_below(600);
		char *want, *got, *want_a, *got_a;

		memset(&m, 0, sizeof(m));
		m.headers_count = rnd_below(40);
		m.headers = calloc(m.headers_count + 1, sizeof(*m.headers));
		m.attachments_count = rnd_below(5);
		m.attachments = calloc(m.attachments_count + 1, sizeof(*m.attachments));
		CU_ASSERT_FATAL(m.headers != NULL && m.attachments != NULL);
		for (size_t i = 0; i < m.headers_count; i++) {
			m.headers[i].name = rnd_below(4) == 0
						    ? rnd_text(6, 0)
						    : strdup(names[rnd_below(sizeof(names) /
									     sizeof(names[0]))]);
			m.headers[i].value = rnd_text(rnd_below(8) == 0 ? 200 : 20, 0);
			CU_ASSERT_FATAL(m.headers[i].name != NULL && m.headers[i].value != NULL);
		}
		for (size_t i = 0; i < m.attachments_count; i++) {
			m.attachments[i].filename = rnd_text(12, 3);
			m.attachments[i].content_type = rnd_text(12, 4);
			m.attachments[i].size = (size_t)(test_rand(&rnd_state) >> rnd_below(64));
			if (m.attachments[i].size > (size_t)INT64_MAX)
				m.attachments[i].size >>= 1;
		}
		want = ref_headers_json(&m, max);
		got = mime_headers_json(&m, max);
		want_a = ref_attachments_json(&m);
		got_a = mime_attachments_json(&m);
		CU_ASSERT_FATAL(want != NULL && got != NULL && want_a != NULL && got_a != NULL);
		if (strcmp(want, got) != 0 || strcmp(want_a, got_a) != 0) {
			fprintf(stderr,
				"\nmime_json_fields: seed %" PRIu64 " round %u (replay: "
				"DRAFTD_TEST_SEED=%" PRIu64 "):\n  want %s %s\n  got  %s %s\n",
				seed, r, seed, want, want_a, got, got_a);
			bad++;
		}
		free(want);
		free(got);
		free(want_a);
		free(got_a);
		free_msg(&m);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_fixed(void)
{
	struct mime_header h[3] = {
		{(char *)"subject", (char *)"Hi \"you\""},
		{(char *)"x-bad", (char *)"\xff"},
		{(char *)"subject", (char *)"second"},
	};
	struct mime_attachment a = {NULL, (char *)"text/plain", 12};
	struct mime_message m;
	char *s;

	memset(&m, 0, sizeof(m));
	s = mime_headers_json(&m, 100);
	CU_ASSERT_STRING_EQUAL(s, "{}");
	free(s);
	s = mime_attachments_json(&m);
	CU_ASSERT_STRING_EQUAL(s, "[]");
	free(s);
	m.headers = h;
	m.headers_count = 3;
	m.attachments = &a;
	m.attachments_count = 1;
	s = mime_headers_json(&m, 1000);
	CU_ASSERT_STRING_EQUAL(s, "{\"subject\":\"Hi \\\"you\\\"\"}");
	free(s);
	s = mime_attachments_json(&m);
	CU_ASSERT_STRING_EQUAL(s,
			       "[{\"filename\":null,\"content_type\":\"text/plain\",\"size\":12}]");
	free(s);
}

static const struct test_case mime_json_fields_cases[] = {
	{"headers and attachments: fixed cases", test_fixed},
	{"random headers and attachments: the text jansson wrote (seeded)", test_same_as_jansson},
	{NULL, NULL},
};
TEST_SUITE("mime_json_fields", NULL, NULL, mime_json_fields_cases)
