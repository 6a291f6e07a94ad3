/* SPDX-License-Identifier: MIT */
/* ingest: the redelivery hash, message preparation, and the store side
 * (leases, one-transaction batches, duplicates) against the test database. */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ingest/ingest.h"
#include "daemon/store/store_ingest.h"
#include "tests/unit/harness.h"

#define BASE_HDR                                                                         \
	"From: Ann <ann@example.test>\nTo: support@example.test\nSubject: Stock check\n" \
	"Date: Mon, 10 Mar 2025 08:00:00 +0000\n"
#define BASE_BODY "\nIs HP-20115 in stock?\n"
static const char base[] = "Received: from a by b; Mon, 10 Mar 2025 08:00:01 +0000\n" BASE_HDR
			   "Message-ID: <m1@example.test>\n" BASE_BODY;

static void test_content_hash_table(void)
{
	static const struct {
		const char *name;
		const char *raw;
		int ret;
		int same; /* 1: same hash as base */
	} cases[] = {
		{"other Received",
		 "Received: from x by y; Tue\n" BASE_HDR
		 "Message-ID: <m1@example.test>\n" BASE_BODY,
		 1, 1},
		{"two Received, X-Redelivered, DKIM, Return-Path",
		 "Received: 1\nReceived: 2\nX-Redelivered: retry\nDKIM-Signature: v=1; b=x\n"
		 "Return-Path: <a@b>\nDelivered-To: s@e\n" BASE_HDR
		 "Message-ID: <m1@example.test>\n" BASE_BODY,
		 1, 1},
		{"CRLF line ends",
		 "Received: z\r\nFrom: Ann <ann@example.test>\r\nTo: "
		 "support@example.test\r\nSubject: Stock check\r\nDate: Mon, 10 Mar "
		 "2025 08:00:00 +0000\r\nMessage-ID: <m1@example.test>\r\n\r\nIs "
		 "HP-20115 in stock?\r\n",
		 1, 1},
		{"folded differently",
		 "From: Ann\n <ann@example.test>\nTo: support@example.test\n"
		 "Subject:   Stock\n\tcheck\nDate: Mon, 10 Mar 2025 08:00:00 "
		 "+0000\nMessage-ID: <m1@example.test>\n" BASE_BODY,
		 1, 1},
		{"other body", BASE_HDR "Message-ID: <m1@example.test>\n\nIs HP-20116 in stock?\n",
		 1, 0},
		{"same Message-ID, other sender",
		 "From: Eve <eve@evil.test>\nTo: support@example.test\nSubject: Stock check\n"
		 "Date: Mon, 10 Mar 2025 08:00:00 +0000\nMessage-ID: <m1@example.test>\n" BASE_BODY,
		 1, 0},
		{"other date",
		 "From: Ann <ann@example.test>\nTo: support@example.test\nSubject: "
		 "Stock check\nDate: Mon, 10 Mar 2025 09:00:00 +0000\nMessage-ID: "
		 "<m1@example.test>\n" BASE_BODY,
		 1, 0},
		{"no Message-ID", BASE_HDR BASE_BODY, 0, -1},
		{"headers only, no body", BASE_HDR "Message-ID: <m1@example.test>\n", 1, 0},
	};
	unsigned char h0[32], h[32];

	CU_ASSERT_EQUAL(ingest_content_hash(base, strlen(base), h0), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = ingest_content_hash(cases[i].raw, strlen(cases[i].raw), h);

		if (r != cases[i].ret)
			fprintf(stderr, "content hash case '%s': returned %d\n", cases[i].name, r);
		CU_ASSERT_EQUAL(r, cases[i].ret);
		if (cases[i].same < 0)
			continue;
		if ((memcmp(h, h0, 32) == 0) != cases[i].same)
			fprintf(stderr, "content hash case '%s': wrong equality\n", cases[i].name);
		CU_ASSERT_EQUAL(memcmp(h, h0, 32) == 0, cases[i].same);
	}
}

static void make_msg(struct imap_msg *m, uint32_t uid, const char *raw, bool header_only,
		     uint32_t size)
{
	memset(m, 0, sizeof(*m));
	m->uid = uid;
	m->data = (char *)raw;
	m->len = strlen(raw);
	m->header_only = header_only;
	m->size = size != 0 ? size : (uint32_t)m->len;
}

static void test_prepare(void)
{
	static const char list[] =
		"From: news@list.test\nList-Id: <news.list.test>\nSubject: "
		"=?utf-8?Q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <n1@list.test>\n\nhi\n";
	struct mime_limits limits;
	struct imap_msg m;
	struct ingest_msg im;
	unsigned char sha[32];
	struct error why;

	mime_limits_default(&limits);
	make_msg(&m, 7, base, false, 0);
	CU_ASSERT_EQUAL_FATAL(ingest_prepare(&m, &limits, &im, &why), 0);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, base, strlen(base), sha);
	CU_ASSERT_EQUAL(memcmp(im.row.sha256, sha, 32), 0);
	CU_ASSERT_TRUE(im.row.has_content_sha256);
	CU_ASSERT_PTR_NULL(im.row.screen_reason);
	CU_ASSERT_PTR_EQUAL(im.row.raw, base);
	CU_ASSERT_EQUAL(im.row.uid, 7);
	CU_ASSERT_PTR_NOT_NULL(strstr(im.headers_json, "\"subject\":\"Stock check\""));
	CU_ASSERT_STRING_EQUAL(im.attachments_json, "[]");
	CU_ASSERT_PTR_NOT_NULL(strstr(im.mime->text, "HP-20115"));
	ingest_msg_clear(&im);

	make_msg(&m, 8, list, false, 0);
	CU_ASSERT_EQUAL_FATAL(ingest_prepare(&m, &limits, &im, &why), 0);
	CU_ASSERT_STRING_EQUAL(im.row.screen_reason, "list");
	CU_ASSERT_TRUE(im.row.is_bulk);
	CU_ASSERT_FALSE(im.row.human);
	CU_ASSERT_STRING_EQUAL(im.mime->subject, "Grüße");
	ingest_msg_clear(&im);

	/* over max_message_size: only the header block was fetched */
	make_msg(&m, 9, BASE_HDR "Message-ID: <big@example.test>\n\n", true, 90000000);
	CU_ASSERT_EQUAL_FATAL(ingest_prepare(&m, &limits, &im, &why), 0);
	CU_ASSERT_TRUE(im.row.is_oversized);
	CU_ASSERT_TRUE(im.row.human);
	CU_ASSERT_STRING_EQUAL(im.row.screen_reason, "oversized");
	CU_ASSERT_PTR_NULL(im.row.raw);
	CU_ASSERT_EQUAL(im.row.raw_size, 90000000);
	ingest_msg_clear(&im);
}

static const struct test_case ingest_cases[] = {
	{"redelivery hash ignores trace headers only", test_content_hash_table},
	{"prepare: hashes, screening, oversized", test_prepare},
	{NULL, NULL},
};
TEST_SUITE("ingest", NULL, NULL, ingest_cases)
