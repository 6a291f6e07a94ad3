/* SPDX-License-Identifier: MIT */
/* Screening: RFC 3834 "do not answer" reasons, against the corpus labels and
 * a table of hand-written headers. */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "agent/screen/screen.h"
#include "daemon/lib/util.h"
#include "harness.h"

static int screen_raw(const char *raw, const struct mime_limits *lim, struct screen_result *r)
{
	struct mime_message *m = NULL;
	struct error error;
	int ret;

	/* -1 is expected for the oversized cases: the headers are still there */
	if (mime_parse(raw, strlen(raw), lim, &m, &error) < 0)
		CU_ASSERT(error_msg(&error)[0] != '\0');
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	ret = screen_message(m, r);
	mime_message_free(&m);
	return ret;
}

/* Which screened corpus files get which reason (from reading their notes). */
static const struct {
	const char *prefix, *code;
} corpus_codes[] = {
	{"010-", "bulk"},           {"011-", "auto_submitted"}, {"012-", "bounce"},
	{"037-", "noreply_sender"}, {"038-", "bulk"},           {"036-", "spam"},
};

static void test_corpus_labels(void)
{
	const char *dir = test_corpus_dir();
	char path[4096], *data = NULL;
	struct mime_limits lim;
	struct screen_result r;
	json_error_t jerr;
	json_t *labels, *e;
	size_t i, j, len, screened = 0;
	bool expect;
	int rc;

	if (dir == NULL) {
		printf("\n  SKIPPED: shared corpus not found (set DRAFTD_CORPUS)\n");
		return;
	}
	mime_limits_default(&lim);
	snprintf(path, sizeof(path), "%s/labels.json", dir);
	labels = json_load_file(path, 0, &jerr);
	CU_ASSERT_FATAL(json_is_array(labels));
	json_array_foreach(labels, i, e)
	{
		const char *file = json_string_value(json_object_get(e, "file"));
		const char *action = json_string_value(json_object_get(e, "action"));
		const char *category = json_string_value(json_object_get(e, "category"));
		const char *notes = json_string_value(json_object_get(e, "notes"));
		struct mime_message *m = NULL;

		CU_ASSERT_FATAL(file != NULL && action != NULL && category != NULL &&
				notes != NULL);
		/* skipped for being automatic mail or carrying the mail system's
		 * spam verdict (036: X-Spam-Flag: YES); a redelivered duplicate is
		 * the store's */
		expect = strcmp(action, "skip") == 0 && strcmp(category, "none") == 0;
		snprintf(path, sizeof(path), "%s/mail/%s", dir, file);
		CU_ASSERT_FATAL(file_read_all(path, 1 << 20, &data, &len, NULL) == 0);
		CU_ASSERT_EQUAL(mime_parse(data, len, &lim, &m, NULL), 0);
		free(data);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		rc = screen_message(m, &r);
		mime_message_free(&m);
		CU_ASSERT_EQUAL(rc, expect ? 1 : 0);
		if (rc != (expect ? 1 : 0))
			printf("\n  %s: screened=%d (%s) expected %d\n", file, rc, r.detail,
			       expect);
		if (!expect) {
			CU_ASSERT_STRING_EQUAL(r.code, "");
			CU_ASSERT_EQUAL(r.action, SCREEN_PASS);
			continue;
		}
		screened++;
		CU_ASSERT_EQUAL(r.action, SCREEN_SKIP);
		CU_ASSERT(r.detail[0] != '\0');
		for (j = 0; j < ARRAY_SIZE(corpus_codes); j++) {
			if (strncmp(file, corpus_codes[j].prefix, strlen(corpus_codes[j].prefix)) ==
			    0)
				CU_ASSERT_STRING_EQUAL(r.code, corpus_codes[j].code);
		}
	}
	CU_ASSERT(screened >= ARRAY_SIZE(corpus_codes));
	json_decref(labels);
}

static const struct {
	const char *headers;
	int rc;
	const char *code;
	enum screen_action action;
} header_cases[] = {
	{"From: a@b.example\nAuto-Submitted: no\n", 0, "", SCREEN_PASS},
	{"From: a@b.example\nAuto-Submitted: auto-generated\n", 1, "auto_submitted", SCREEN_SKIP},
	{"From: a@b.example\nAuto-Submitted: Auto-Replied; owner-email=\"x@y\"\n", 1,
	 "auto_submitted", SCREEN_SKIP},
	{"From: a@b.example\nX-Autorespond: 1\n", 1, "auto_submitted", SCREEN_SKIP},
	{"From: a@b.example\nX-Autoreply: no\n", 0, "", SCREEN_PASS},
	{"From: a@b.example\nPrecedence: junk\n", 1, "bulk", SCREEN_SKIP},
	{"From: a@b.example\nPrecedence: BULK\n", 1, "bulk", SCREEN_SKIP},
	{"From: a@b.example\nPrecedence: list\n", 1, "list", SCREEN_SKIP},
	{"From: a@b.example\nPrecedence: first-class\n", 0, "", SCREEN_PASS},
	{"From: a@b.example\nList-Id: <x.lists.example>\n", 1, "list", SCREEN_SKIP},
	{"From: a@b.example\nList-Unsubscribe: <mailto:u@x.example>\n", 1, "list", SCREEN_SKIP},
	{"From: a@b.example\nReturn-Path: <>\n", 1, "null_sender", SCREEN_SKIP},
	{"From: a@b.example\nReturn-Path: <a@b.example>\n", 0, "", SCREEN_PASS},
	{"From: Shop <Do-Not-Reply@shop.example>\n", 1, "noreply_sender", SCREEN_SKIP},
	{"From: no_reply@shop.example\n", 1, "noreply_sender", SCREEN_SKIP},
	{"From: noreply+orders@shop.example\n", 1, "noreply_sender", SCREEN_SKIP},
	{"From: donotreply@shop.example\n", 1, "noreply_sender", SCREEN_SKIP},
	{"From: Postmaster <POSTMASTER@mx.example>\n", 1, "bounce", SCREEN_SKIP},
	{"From: mailer-daemon@mx.example\n", 1, "bounce", SCREEN_SKIP},
	{"From: a@b.example\nContent-Type: multipart/report; report-type=disposition-notification;"
	 " boundary=x\n",
	 1, "bounce", SCREEN_SKIP},
	{"From: reply.team@shop.example\n", 0, "", SCREEN_PASS},
	{"From: noreen@shop.example\n", 0, "", SCREEN_PASS},
};

static void test_header_table(void)
{
	struct mime_limits lim;
	struct screen_result r;
	char raw[1024];
	size_t i;
	int rc;

	mime_limits_default(&lim);
	for (i = 0; i < ARRAY_SIZE(header_cases); i++) {
		snprintf(raw, sizeof(raw), "%sSubject: t\n\nHello\n", header_cases[i].headers);
		rc = screen_raw(raw, &lim, &r);
		CU_ASSERT_EQUAL(rc, header_cases[i].rc);
		CU_ASSERT_STRING_EQUAL(r.code, header_cases[i].code);
		CU_ASSERT_EQUAL(r.action, header_cases[i].action);
		if (rc != header_cases[i].rc || strcmp(r.code, header_cases[i].code) != 0)
			printf("\n  case %zu: got %d %s\n", i, rc, r.code);
	}
}

static void test_oversized_goes_to_human(void)
{
	const char *raw = "From: a@b.example\nSubject: big\n\n0123456789012345678901234567890\n";
	struct mime_limits lim;
	struct screen_result r;

	mime_limits_default(&lim);
	lim.max_message_size = 40;
	CU_ASSERT_EQUAL(screen_raw(raw, &lim, &r), 1);
	CU_ASSERT_STRING_EQUAL(r.code, "oversized");
	CU_ASSERT_EQUAL(r.action, SCREEN_HUMAN);
	/* an oversized newsletter is still just skipped */
	raw = "From: a@b.example\nPrecedence: bulk\n\n0123456789012345678901234567890123\n";
	CU_ASSERT_EQUAL(screen_raw(raw, &lim, &r), 1);
	CU_ASSERT_STRING_EQUAL(r.code, "bulk");
}

static void test_detail_is_printable(void)
{
	const char *raw = "From: a@b.example\nAuto-Submitted: auto-\x1b[31mreplied\n\nx\n";
	struct mime_limits lim;
	struct screen_result r;
	size_t i;

	mime_limits_default(&lim);
	CU_ASSERT_EQUAL(screen_raw(raw, &lim, &r), 1);
	for (i = 0; r.detail[i] != '\0'; i++)
		CU_ASSERT(r.detail[i] >= 0x20 && r.detail[i] < 0x7F);
}

static const struct test_case screen_cases[] = {
	{"corpus: automatic mail screened, customers pass", test_corpus_labels},
	{"header table", test_header_table},
	{"oversized mail goes to a human", test_oversized_goes_to_human},
	{"reason detail is printable ASCII", test_detail_is_printable},
	{NULL, NULL},
};

TEST_SUITE("screen", NULL, NULL, screen_cases)
