/* SPDX-License-Identifier: MIT */
/* Session and CSRF tokens: random, stored only as a hash, matched in constant
 * time, expiring idle and absolute, CSRF bound to one session and one key. */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/auth/auth_session.h"

static void test_session_new(void)
{
	char t1[AUTH_SESSION_TOKEN_LEN + 1], id1[AUTH_SESSION_ID_LEN + 1];
	char t2[AUTH_SESSION_TOKEN_LEN + 1], id2[AUTH_SESSION_ID_LEN + 1];
	char id[AUTH_SESSION_ID_LEN + 1], hex[65];
	unsigned char digest[32];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(auth_session_new(t1, id1), 0);
	CU_ASSERT_EQUAL_FATAL(auth_session_new(t2, id2), 0);
	CU_ASSERT_EQUAL(strlen(t1), AUTH_SESSION_TOKEN_LEN);
	CU_ASSERT_EQUAL(strlen(id1), AUTH_SESSION_ID_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(t1, t2);
	CU_ASSERT_STRING_NOT_EQUAL(id1, id2);
	/* what is stored is the SHA-256 of the token, not the token */
	CU_ASSERT_PTR_NULL(strstr(id1, t1));
	CU_ASSERT_EQUAL_FATAL(gnutls_hash_fast(GNUTLS_DIG_SHA256, t1, strlen(t1), digest), 0);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	CU_ASSERT_STRING_EQUAL(id1, hex);
	CU_ASSERT_EQUAL(auth_session_id(t1, id), 1);
	CU_ASSERT_STRING_EQUAL(id, id1);
}

static void test_session_match(void)
{
	char t[AUTH_SESSION_TOKEN_LEN + 1], id[AUTH_SESSION_ID_LEN + 1];
	char other[AUTH_SESSION_TOKEN_LEN + 1], idx[AUTH_SESSION_ID_LEN + 1];
	static const char *not_tokens[] = {
		"", "short", "dft_0123456789012345678901234567890123456789",
		/* 43 characters outside the base64url alphabet */
		"+++++++++++++++++++++++++++++++++++++++++++",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 44 */
	};
	size_t i;

	CU_ASSERT_EQUAL_FATAL(auth_session_new(t, id), 0);
	CU_ASSERT_TRUE(auth_session_matches(id, t));
	memcpy(other, t, sizeof(other));
	other[0] = other[0] == 'A' ? 'B' : 'A';
	CU_ASSERT_FALSE(auth_session_matches(id, other));
	other[0] = t[0];
	other[AUTH_SESSION_TOKEN_LEN - 1] = t[AUTH_SESSION_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	CU_ASSERT_FALSE(auth_session_matches(id, other));
	/* the id itself is no token, nor a stored id in upper case */
	CU_ASSERT_FALSE(auth_session_matches(id, id));
	for (i = 0; id[i] != '\0'; i++)
		idx[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
	idx[i] = '\0';
	CU_ASSERT_FALSE(strcmp(idx, id) != 0 && auth_session_matches(idx, t));
	for (i = 0; i < ARRAY_SIZE(not_tokens); i++) {
		CU_ASSERT_EQUAL(auth_session_id(not_tokens[i], idx), 0);
		CU_ASSERT_FALSE(auth_session_matches(id, not_tokens[i]));
	}
}

struct live_case {
	int64_t created, last_seen, now;
	int live;
};

static void test_session_expiry(void)
{
	const struct auth_session_policy p = {.idle_s = 100, .absolute_s = 1000};
	static const struct live_case cases[] = {
		{0, 0, 0, 1},                              /* just signed in */
		{0, 0, 99, 1},                             /* idle just under the limit */
		{0, 0, 100, 0},                            /* idle limit reached */
		{0, 950, 999, 1},                          /* busy, absolute not reached */
		{0, 999, 1000, 0},                         /* busy all along: absolute limit */
		{0, 999, 5000, 0},   {1000, 1000, 500, 1}, /* clock stepped back: not ended by it */
		{1000, 10, 1050, 1}, /* last_seen before created: judged by created */
		{1000, 10, 1100, 0},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (auth_session_live(&p, cases[i].created, cases[i].last_seen, cases[i].now) !=
		    cases[i].live)
			fprintf(stderr, "expiry case %zu\n", i);
		CU_ASSERT_EQUAL(
			auth_session_live(&p, cases[i].created, cases[i].last_seen, cases[i].now),
			cases[i].live);
	}
	CU_ASSERT_EQUAL(auth_session_expires(&p, 0, 0), 100);
	CU_ASSERT_EQUAL(auth_session_expires(&p, 0, 950), 1000);
	/* defaults: 8 h idle, 7 days at most */
	CU_ASSERT_EQUAL(auth_session_defaults.idle_s, 8 * 3600);
	CU_ASSERT_EQUAL(auth_session_defaults.absolute_s, 7 * 86400);
	CU_ASSERT_EQUAL(auth_session_live(NULL, 0, 8 * 3600 - 1, 8 * 3600), 1);
	CU_ASSERT_EQUAL(auth_session_live(NULL, 0, 0, 8 * 3600), 0);
}

static void test_csrf(void)
{
	unsigned char key[AUTH_CSRF_KEY_LEN], key2[AUTH_CSRF_KEY_LEN];
	char t1[AUTH_SESSION_TOKEN_LEN + 1], id1[AUTH_SESSION_ID_LEN + 1];
	char t2[AUTH_SESSION_TOKEN_LEN + 1], id2[AUTH_SESSION_ID_LEN + 1];
	char c1[AUTH_CSRF_TOKEN_LEN + 1], c1b[AUTH_CSRF_TOKEN_LEN + 1];
	char c2[AUTH_CSRF_TOKEN_LEN + 1], bad[AUTH_CSRF_TOKEN_LEN + 1];

	CU_ASSERT_EQUAL_FATAL(auth_csrf_key_new(key), 0);
	CU_ASSERT_EQUAL_FATAL(auth_csrf_key_new(key2), 0);
	CU_ASSERT_EQUAL_FATAL(auth_session_new(t1, id1), 0);
	CU_ASSERT_EQUAL_FATAL(auth_session_new(t2, id2), 0);
	CU_ASSERT_EQUAL_FATAL(auth_csrf_token(key, id1, c1), 0);
	CU_ASSERT_EQUAL_FATAL(auth_csrf_token(key, id1, c1b), 0);
	CU_ASSERT_EQUAL_FATAL(auth_csrf_token(key, id2, c2), 0);
	CU_ASSERT_EQUAL(strlen(c1), AUTH_CSRF_TOKEN_LEN);
	/* stateless: the same session and key give the same token on any instance */
	CU_ASSERT_STRING_EQUAL(c1, c1b);
	CU_ASSERT_STRING_NOT_EQUAL(c1, c2);
	CU_ASSERT_EQUAL(auth_csrf_check(key, id1, c1), 1);
	/* another session's token, another key, none, a changed one, the session
	 * token itself: all refused */
	CU_ASSERT_EQUAL(auth_csrf_check(key, id1, c2), 0);
	CU_ASSERT_EQUAL(auth_csrf_check(key, id2, c1), 0);
	CU_ASSERT_EQUAL(auth_csrf_check(key2, id1, c1), 0);
	CU_ASSERT_EQUAL(auth_csrf_check(key, id1, NULL), 0);
	CU_ASSERT_EQUAL(auth_csrf_check(key, id1, ""), 0);
	CU_ASSERT_EQUAL(auth_csrf_check(key, id1, t1), 0);
	memcpy(bad, c1, sizeof(bad));
	bad[10] = bad[10] == 'x' ? 'y' : 'x';
	CU_ASSERT_EQUAL(auth_csrf_check(key, id1, bad), 0);
	/* the token is an HMAC of the id: not the id, not derivable without the key */
	CU_ASSERT_PTR_NULL(strstr(id1, c1));
	/* a session token in place of an id is a caller's bug: refused */
	CU_ASSERT_EQUAL(auth_csrf_token(key, t1, bad), -1);
	CU_ASSERT_EQUAL(auth_csrf_check(key, "", c1), -1);
}

/* RFC 4231 test case 2 style check that our HMAC is HMAC-SHA256 over the
 * label and the id, so another implementation can compute the same token. */
static void test_csrf_construction(void)
{
	unsigned char key[AUTH_CSRF_KEY_LEN], mac[32];
	const char *id = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char msg[128], token[AUTH_CSRF_TOKEN_LEN + 1];
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char expect[AUTH_CSRF_TOKEN_LEN + 1];
	size_t i, o = 0;
	unsigned int v;

	memset(key, 0x0b, sizeof(key));
	snprintf(msg, sizeof(msg), "draftd-csrf-v1:%s", id);
	CU_ASSERT_EQUAL_FATAL(
		gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, sizeof(key), msg, strlen(msg), mac), 0);
	for (i = 0; i + 3 <= 32; i += 3) {
		v = (unsigned int)mac[i] << 16 | (unsigned int)mac[i + 1] << 8 | mac[i + 2];
		expect[o++] = b64url[v >> 18 & 63];
		expect[o++] = b64url[v >> 12 & 63];
		expect[o++] = b64url[v >> 6 & 63];
		expect[o++] = b64url[v & 63];
	}
	v = (unsigned int)mac[30] << 16 | (unsigned int)mac[31] << 8;
	expect[o++] = b64url[v >> 18 & 63];
	expect[o++] = b64url[v >> 12 & 63];
	expect[o++] = b64url[v >> 6 & 63];
	expect[o] = '\0';
	CU_ASSERT_EQUAL_FATAL(auth_csrf_token(key, id, token), 0);
	CU_ASSERT_STRING_EQUAL(token, expect);
}

static const struct test_case auth_session_cases[] = {
	{"new sessions: random tokens, stored id is their SHA-256", test_session_new},
	{"a token matches its id only; malformed tokens never", test_session_match},
	{"idle and absolute expiry, clock steps", test_session_expiry},
	{"CSRF bound to one session and one key, checked exactly", test_csrf},
	{"CSRF is base64url HMAC-SHA256(key, label || id)", test_csrf_construction},
	{NULL, NULL},
};

TEST_SUITE("auth_session", NULL, NULL, auth_session_cases)
