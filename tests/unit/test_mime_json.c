/* SPDX-License-Identifier: MIT */
/* The parse ingest stores for the pipeline (agent/mime/mime_json.c): read
 * back, it is the very message mime_parse() made, for every MIME fixture and
 * every corpus mail; a document of another parser version, other limits or
 * another shape is refused (the pipeline then parses raw). */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "daemon/lib/util.h"
#include "harness.h"

static bool same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every field of a and b equal; names the first that differs. */
static const char *mime_diff(const struct mime_message *a, const struct mime_message *b)
{
	const struct {
		const char *name, *x, *y;
	} s[] = {
		{"from_addr", a->from_addr, b->from_addr},
		{"from_name", a->from_name, b->from_name},
		{"reply_to", a->reply_to, b->reply_to},
		{"to", a->to, b->to},
		{"cc", a->cc, b->cc},
		{"subject", a->subject, b->subject},
		{"date_raw", a->date_raw, b->date_raw},
		{"message_id", a->message_id, b->message_id},
		{"in_reply_to", a->in_reply_to, b->in_reply_to},
		{"references", a->references, b->references},
		{"auto_submitted", a->auto_submitted, b->auto_submitted},
		{"precedence", a->precedence, b->precedence},
		{"list_id", a->list_id, b->list_id},
		{"list_unsubscribe", a->list_unsubscribe, b->list_unsubscribe},
		{"return_path", a->return_path, b->return_path},
		{"content_type", a->content_type, b->content_type},
		{"text", a->text, b->text},
		{"quoted", a->quoted, b->quoted},
		{"signature", a->signature, b->signature},
		{"full_text", a->full_text, b->full_text},
	};

	for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
		if (!same_str(s[i].x, s[i].y))
			return s[i].name;
	}
	if (a->has_return_path != b->has_return_path)
		return "has_return_path";
	if (a->date_epoch != b->date_epoch)
		return "date_epoch";
	if (a->flags != b->flags)
		return "flags";
	if (a->attachments_count != b->attachments_count)
		return "attachments_count";
	for (size_t i = 0; i < a->attachments_count; i++) {
		if (!same_str(a->attachments[i].filename, b->attachments[i].filename) ||
		    !same_str(a->attachments[i].content_type, b->attachments[i].content_type) ||
		    a->attachments[i].size != b->attachments[i].size)
			return "attachments";
	}
	if (a->headers_count != b->headers_count)
		return "headers_count";
	for (size_t i = 0; i < a->headers_count; i++) {
		if (!same_str(a->headers[i].name, b->headers[i].name) ||
		    !same_str(a->headers[i].value, b->headers[i].value))
			return "headers";
	}
	return NULL;
}

/* Parses the file, writes the document, reads it back and compares. */
static int round_trip_file(const char *path, const struct mime_limits *lim)
{
	struct mime_message *m = NULL, *back = NULL;
	const char *diff;
	struct error read_err;
	char *data = NULL, *doc = NULL;
	size_t len;
	int ok = 0;

	if (file_read_all(path, 8 << 20, &data, &len, &read_err) < 0) {
		fprintf(stderr, "%s: %s\n", path, error_msg(&read_err));
		goto out;
	}
	if (mime_parse(data, len, lim, &m, NULL) < 0 && m == NULL)
		goto out;
	doc = mime_message_to_json(m, lim);
	if (doc == NULL) {
		fprintf(stderr, "%s: no document\n", path);
		goto out;
	}
	if (mime_message_from_json(doc, strlen(doc), lim, &back) != 1) {
		fprintf(stderr, "%s: document refused\n", path);
		goto out;
	}
	diff = mime_diff(m, back);
	if (diff != NULL)
		fprintf(stderr, "%s: %s differs after the round trip\n", path, diff);
	ok = diff == NULL;
out:
	mime_message_free(&m);
	mime_message_free(&back);
	free(doc);
	free(data);
	return ok;
}

/* Round-trips every .eml under dir; returns how many, -1 on a failure. */
static int round_trip_dir(const char *dir, const struct mime_limits *lim)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!round_trip_file(path, lim)) {
			n = -1;
			break;
		}
		n++;
	}
	closedir(d);
	return n;
}

static void test_round_trip_fixtures_and_corpus(void)
{
	struct mime_limits lim;
	char dir[4096];
	int n;

	mime_limits_default(&lim);
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/mime", test_src_dir());
	n = round_trip_dir(dir, &lim);
	CU_ASSERT(n > 10);
	/* small limits: cut texts and limit flags travel too */
	lim.max_text_size = 200;
	lim.max_parts = 3;
	CU_ASSERT(round_trip_dir(dir, &lim) == n);
	mime_limits_default(&lim);
	if (test_corpus_dir() != NULL) {
		snprintf(dir, sizeof(dir), "%s/mail", test_corpus_dir());
		CU_ASSERT(round_trip_dir(dir, &lim) > 10);
	}
}

static const char sample[] = "From: Ann <ann@example.com>\r\nSubject: stock?\r\n"
			     "Reply-To: orders@example.com\r\n\r\nIs HP-12345 in stock?\r\n";

static char *sample_doc(const struct mime_limits *lim)
{
	struct mime_message *m = NULL;
	char *doc = NULL;

	if (mime_parse(sample, strlen(sample), lim, &m, NULL) == 0)
		doc = mime_message_to_json(m, lim);
	mime_message_free(&m);
	return doc;
}

/* Replaces the first "from" in doc with "to" (same length or shorter). */
static char *edited(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	size_t n = strlen(doc) + strlen(to) + 1;
	char *out = malloc(n);

	if (at == NULL || out == NULL) {
		free(out);
		return NULL;
	}
	snprintf(out, n, "%.*s%s%s", (int)(at - doc), doc, to, at + strlen(from));
	return out;
}

static void test_refused_documents(void)
{
	struct mime_limits lim, other;
	struct mime_message *m = NULL;
	char *doc, *bad;
	char ver[32], older[32];
	const struct {
		const char *from, *to;
	} edits[] = {
		{ver, older},                               /* written by another parser version */
		{"\"text\":\"", "\"text\":7,\"x\":\""},     /* a string that is a number */
		{"\"flags\":", "\"flags\":-1"},             /* a negative flag word */
		{"\"headers\":[[", "\"headers\":[[1,"},     /* a header of three */
		{"\"attachments\":[", "\"attachments\":{"}, /* not JSON any more */
	};

	mime_limits_default(&lim);
	doc = sample_doc(&lim);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(mime_message_from_json(doc, strlen(doc), &lim, &m), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->reply_to, "orders@example.com");
	CU_ASSERT_PTR_NOT_NULL(strstr(m->text, "HP-12345"));
	mime_message_free(&m);
	snprintf(ver, sizeof(ver), "\"v\":%d", MIME_PARSED_VERSION);
	snprintf(older, sizeof(older), "\"v\":%d", MIME_PARSED_VERSION - 1);
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		bad = edited(doc, edits[i].from, edits[i].to);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
		CU_ASSERT_EQUAL(mime_message_from_json(bad, strlen(bad), &lim, &m), 0);
		CU_ASSERT_PTR_NULL(m);
		free(bad);
	}
	/* cut anywhere: refused, never a crash */
	for (size_t cut = 0; cut < strlen(doc); cut += 7) {
		CU_ASSERT_EQUAL(mime_message_from_json(doc, cut, &lim, &m), 0);
		CU_ASSERT_PTR_NULL(m);
	}
	/* parsed under other limits: the texts may be cut elsewhere */
	other = lim;
	other.max_text_size = lim.max_text_size / 2;
	CU_ASSERT_EQUAL(mime_message_from_json(doc, strlen(doc), &other, &m), 0);
	CU_ASSERT_PTR_NULL(m);
	free(doc);
}

static const struct test_case mime_json_cases[] = {
	{"round trip of every fixture and corpus mail", test_round_trip_fixtures_and_corpus},
	{"other version, other limits, other shape: refused", test_refused_documents},
	{NULL, NULL},
};

TEST_SUITE("mime_json", NULL, NULL, mime_json_cases)
