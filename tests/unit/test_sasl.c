/* SPDX-License-Identifier: MIT */
/* SASL XOAUTH2 / OAUTHBEARER client responses and error challenges, against
 * the examples of Google's XOAUTH2 documentation and RFC 7628. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/imap/sasl.h"
#include "daemon/lib/util.h"
#include "harness.h"

static int respond(enum sasl_mech mech, const char *user, const char *token, const char *host,
		   unsigned int port, int b64, struct buf *out, struct error *err)
{
	struct sasl_oauth a = {mech, user, token, host, port};

	return sasl_oauth_response(&a, b64, out, err);
}

/* developers.google.com/gmail/imap/xoauth2-protocol */
static void test_xoauth2_google_example(void)
{
	struct buf b;
	struct error err = {0};

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(respond(SASL_XOAUTH2, "someuser@example.com",
				"ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", NULL, 0, 1, &b,
				&err),
			0);
	CU_ASSERT_STRING_EQUAL(b.data,
			       "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZG"
			       "OWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
	buf_reset(&b);
	CU_ASSERT_EQUAL(respond(SASL_XOAUTH2, "someuser@example.com", "tok", NULL, 0, 0, &b, &err),
			0);
	CU_ASSERT_EQUAL(b.len, strlen("user=someuser@example.com\001auth=Bearer tok\001\001"));
	CU_ASSERT_EQUAL(
		memcmp(b.data, "user=someuser@example.com\001auth=Bearer tok\001\001", b.len), 0);
	CU_ASSERT_STRING_EQUAL(sasl_mech_name(SASL_XOAUTH2), "XOAUTH2");
	buf_free(&b);
}

/* RFC 7628 4.1 */
static void test_oauthbearer_rfc_example(void)
{
	struct buf b;
	struct error err = {0};

	buf_init(&b, 4096);
	CU_ASSERT_EQUAL(respond(SASL_OAUTHBEARER, "user@example.com",
				"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com",
				143, 1, &b, &err),
			0);
	CU_ASSERT_STRING_EQUAL(b.data,
			       "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAX"
			       "BvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJo"
			       "ZG1semRHRXVZMjl0Q2c9PQEB");
	/* host and port are optional; "," and "=" in the name are escaped */
	buf_reset(&b);
	CU_ASSERT_EQUAL(respond(SASL_OAUTHBEARER, "a,b=c", "t0k", NULL, 0, 0, &b, &err), 0);
	CU_ASSERT_EQUAL(memcmp(b.data, "n,a=a=2Cb=3Dc,\001auth=Bearer t0k\001\001", b.len), 0);
	CU_ASSERT_STRING_EQUAL(sasl_mech_name(SASL_OAUTHBEARER), "OAUTHBEARER");
	buf_free(&b);
}

/* Nothing that could split the response's fields gets in, and a failed call
 * leaves out as it was. */
static void test_refused_input(void)
{
	static char long_token[SASL_TOKEN_MAX + 2];
	static const struct {
		const char *user, *token, *host, *why;
	} bad[] = {
		{"", "tok", NULL, "user"},
		{NULL, "tok", NULL, "user"},
		{"a\001b", "tok", NULL, "user"},
		{"a\r\nb", "tok", NULL, "user"},
		{"a\x7f", "tok", NULL, "user"},
		{"alice", "", NULL, "token"},
		{"alice", NULL, NULL, "token"},
		{"alice", "two words", NULL, "token"},
		{"alice", "t\001k", NULL, "token"},
		{"alice", "=abc", NULL, "token"},
		{"alice", "ab=c", NULL, "token"},
		{"alice", "t\xC3\xA9k", NULL, "token"},
		{"alice", long_token, NULL, "token"},
		{"alice", "tok", "mail example.com", "host"},
		{"alice", "tok", "", "host"},
		{"alice", "tok", "a\nb", "host"},
	};
	struct buf b;

	memset(long_token, 'a', sizeof(long_token) - 1);
	buf_init(&b, 100000);
	CU_ASSERT_EQUAL_FATAL(buf_append_str(&b, "kept"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		for (int mech = SASL_XOAUTH2; mech <= SASL_OAUTHBEARER; mech++) {
			struct error err = {0};

			if (bad[i].host != NULL && mech == SASL_XOAUTH2)
				continue; /* XOAUTH2 carries no host */
			CU_ASSERT_EQUAL(respond((enum sasl_mech)mech, bad[i].user, bad[i].token,
						bad[i].host, 0, 1, &b, &err),
					-1);
			CU_ASSERT_FATAL(error_msg(&err)[0] != '\0');
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), bad[i].why));
			CU_ASSERT_STRING_EQUAL(b.data, "kept");
		}
	}
	buf_free(&b);
}

/* A token at the maximum fits; out's own ceiling is honoured. */
static void test_bounded(void)
{
	static char token[SASL_TOKEN_MAX + 1];
	struct buf b;
	struct error err = {0};

	memset(token, 'A', SASL_TOKEN_MAX);
	buf_init(&b, 64 * 1024);
	CU_ASSERT_EQUAL(respond(SASL_OAUTHBEARER, "alice@example.com", token, "imap.example.com",
				993, 1, &b, &err),
			0);
	CU_ASSERT(b.len > SASL_TOKEN_MAX * 4 / 3);
	buf_free(&b);
	buf_init(&b, 40);
	CU_ASSERT_EQUAL(respond(SASL_XOAUTH2, "alice@example.com", "tok", NULL, 0, 1, &b, &err),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "fit"));
	CU_ASSERT_EQUAL(b.len, 0);
	buf_free(&b);
}

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xFFFFFF;
}

/* Any printable user survives the OAUTHBEARER escaping: unescaping the
 * gs2 header's a= field gives it back, and the field has no bare ",". */
static void test_random_saslnames(void)
{
	const char *env = getenv("DRAFTD_TEST_SEED");
	uint64_t v;
	unsigned int seed = env != NULL && parse_u64(env, UINT32_MAX, &v) == 0
				    ? (unsigned int)v
				    : (unsigned int)time(NULL);
	unsigned int s = seed;
	int failures = 0;

	for (int n = 0; n < 2000; n++) {
		char user[40], back[40];
		size_t len = 1 + rnd(&s) % 30, o = 0;
		struct buf b;
		struct error err;
		const char *p, *end;

		for (size_t i = 0; i < len; i++)
			user[i] = i % 3 == 0 ? ",=@"[rnd(&s) % 3] : (char)(0x20 + rnd(&s) % 0x5F);
		user[len] = '\0';
		buf_init(&b, 4096);
		if (respond(SASL_OAUTHBEARER, user, "tok", NULL, 0, 0, &b, &err) < 0) {
			failures++;
			buf_free(&b);
			continue;
		}
		p = b.data + 4; /* "n,a=" */
		end = strchr(p, ',');
		while (end != NULL && p < end && o + 1 < sizeof(back)) {
			if (strncmp(p, "=2C", 3) == 0 || strncmp(p, "=3D", 3) == 0) {
				back[o++] = p[2] == 'C' ? ',' : '=';
				p += 3;
			} else {
				back[o++] = *p++;
			}
		}
		back[o] = '\0';
		if (end == NULL || strcmp(back, user) != 0 || strncmp(end, ",\001", 2) != 0)
			failures++;
		buf_free(&b);
	}
	if (failures > 0)
		printf("\n  saslname escaping failed; replay with DRAFTD_TEST_SEED=%u\n", seed);
	CU_ASSERT_EQUAL(failures, 0);
}

static void test_error_challenges(void)
{
	struct sasl_oauth_error e;
	struct error err = {0};
	const char *rfc, *google;
	char text[300];

	/* RFC 7628 3.2.2 / 4.3 */
	rfc = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZp"
	      "Z3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9u"
	      "In0=";
	CU_ASSERT_EQUAL_FATAL(sasl_oauth_error_parse(rfc, strlen(rfc), &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(e.status, "invalid_token");
	CU_ASSERT_STRING_EQUAL(e.scope, "example_scope");
	CU_ASSERT_STRING_EQUAL(e.openid_configuration,
			       "https://example.com/.well-known/openid-configuration");
	sasl_oauth_error_describe(&e, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "invalid_token"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "expired or was revoked"));
	/* Google's XOAUTH2 challenge */
	google =
		"eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2"
		"xlLmNvbS8ifQ==";
	CU_ASSERT_EQUAL_FATAL(sasl_oauth_error_parse(google, strlen(google), &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(e.status, "401");
	CU_ASSERT_STRING_EQUAL(e.scope, "https://mail.google.com/");
	CU_ASSERT_STRING_EQUAL(e.openid_configuration, "");
	sasl_oauth_error_describe(&e, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "scope https://mail.google.com/"));
	/* server text is cut to printable ASCII */
	CU_ASSERT_EQUAL(
		sasl_oauth_error_parse("eyJzdGF0dXMiOiJiYWRcdTAwMDF4XHUwMGU5In0=", 40, &e, &err),
		0);
	CU_ASSERT_STRING_EQUAL(e.status, "bad?x??");
	CU_ASSERT_STRING_EQUAL(SASL_OAUTH_ERROR_REPLY_B64, "AQ==");
}

static void test_bad_challenges(void)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"%%%%", "base64"},
		{"eyJzdGF0dXMiOjQwMX0", "base64"},                       /* padding missing */
		{"ey Jz", "base64"},                                     /* whitespace */
		{"WzFd", "JSON object"},                                 /* [1] */
		{"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIg==", "JSON object"}, /* truncated */
		{"eyJzY29wZSI6IngifQ==", "status"},                      /* no status */
		{"eyJzdGF0dXMiOjQwMX0=", "status"},                      /* a number */
		{"eyJzdGF0dXMiOiJhIiwic3RhdHVzIjoiYiJ9", "JSON object"}, /* duplicate */
		{"", "JSON object"},
	};
	struct sasl_oauth_error e;
	static char huge[SASL_CHALLENGE_MAX + 4];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct error err = {0};

		CU_ASSERT_EQUAL(sasl_oauth_error_parse(bad[i].in, strlen(bad[i].in), &e, &err), -1);
		CU_ASSERT_FATAL(error_msg(&err)[0] != '\0');
		if (strstr(error_msg(&err), bad[i].why) == NULL)
			printf("\n  %s: \"%s\" lacks \"%s\"\n", bad[i].in, error_msg(&err),
			       bad[i].why);
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), bad[i].why));
	}
	memset(huge, 'A', sizeof(huge) - 1);
	{
		struct error err = {0};

		CU_ASSERT_EQUAL(sasl_oauth_error_parse(huge, strlen(huge), &e, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "too long"));
	}
}

static const struct test_case sasl_cases[] = {
	{"XOAUTH2 response matches Google's example", test_xoauth2_google_example},
	{"OAUTHBEARER response matches RFC 7628 4.1, name escaping", test_oauthbearer_rfc_example},
	{"control characters, bad tokens and hosts refused; out kept", test_refused_input},
	{"token at the maximum fits, out's ceiling honoured", test_bounded},
	{"seeded random user names survive the escaping", test_random_saslnames},
	{"error challenges parsed (RFC 7628, Google) and described", test_error_challenges},
	{"malformed error challenges refused with a reason", test_bad_challenges},
	{NULL, NULL},
};
TEST_SUITE("sasl", NULL, NULL, sasl_cases)
