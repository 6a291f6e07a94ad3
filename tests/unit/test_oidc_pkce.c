/* SPDX-License-Identifier: MIT */
/* PKCE (RFC 7636) and the state/nonce of a sign-in. */
#include <string.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/auth/oidc_pkce.h"

static void test_pkce_rfc7636(void)
{
	char challenge[OIDC_PKCE_CHALLENGE_LEN + 1];

	/* RFC 7636 appendix B */
	CU_ASSERT_EQUAL_FATAL(
		oidc_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge), 0);
	CU_ASSERT_STRING_EQUAL(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void test_pkce_verifier(void)
{
	char v1[OIDC_PKCE_VERIFIER_LEN + 1], v2[OIDC_PKCE_VERIFIER_LEN + 1];
	char c1[OIDC_PKCE_CHALLENGE_LEN + 1], c2[OIDC_PKCE_CHALLENGE_LEN + 1];
	char longv[130];

	CU_ASSERT_EQUAL_FATAL(oidc_pkce_verifier(v1), 0);
	CU_ASSERT_EQUAL_FATAL(oidc_pkce_verifier(v2), 0);
	CU_ASSERT_EQUAL(strlen(v1), OIDC_PKCE_VERIFIER_LEN);
	CU_ASSERT_TRUE(oidc_pkce_verifier_valid(v1));
	CU_ASSERT_STRING_NOT_EQUAL(v1, v2);
	CU_ASSERT_EQUAL(oidc_pkce_challenge(v1, c1), 0);
	CU_ASSERT_EQUAL(oidc_pkce_challenge(v2, c2), 0);
	CU_ASSERT_EQUAL(strlen(c1), OIDC_PKCE_CHALLENGE_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(c1, c2);

	/* RFC 7636 4.1: 43-128 unreserved characters */
	memset(longv, 'a', sizeof(longv));
	longv[42] = '\0';
	CU_ASSERT_FALSE(oidc_pkce_verifier_valid(longv));
	CU_ASSERT_EQUAL(oidc_pkce_challenge(longv, c1), -1);
	CU_ASSERT_EQUAL(c1[0], '\0');
	longv[42] = 'a';
	longv[43] = '\0';
	CU_ASSERT_TRUE(oidc_pkce_verifier_valid(longv));
	longv[43] = 'a';
	longv[128] = '\0';
	CU_ASSERT_TRUE(oidc_pkce_verifier_valid(longv));
	longv[128] = 'a';
	longv[129] = '\0';
	CU_ASSERT_FALSE(oidc_pkce_verifier_valid(longv));
	CU_ASSERT_TRUE(oidc_pkce_verifier_valid("abcdefghijklmnopqrstuvwxyz0123456789-._~ABCD"));
	CU_ASSERT_FALSE(oidc_pkce_verifier_valid("abcdefghijklmnopqrstuvwxyz0123456789-._~ABC+"));
	CU_ASSERT_FALSE(oidc_pkce_verifier_valid("abcdefghijklmnopqrstuvwxyz0123456789-._~ABC="));
}

static void test_state_nonce(void)
{
	char s1[OIDC_RANDOM_LEN + 1], s2[OIDC_RANDOM_LEN + 1], n1[OIDC_RANDOM_LEN + 1];

	CU_ASSERT_EQUAL_FATAL(oidc_state_new(s1), 0);
	CU_ASSERT_EQUAL_FATAL(oidc_state_new(s2), 0);
	CU_ASSERT_EQUAL_FATAL(oidc_nonce_new(n1), 0);
	CU_ASSERT_EQUAL(strlen(s1), OIDC_RANDOM_LEN);
	CU_ASSERT_EQUAL(strlen(n1), OIDC_RANDOM_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(s1, s2);
	CU_ASSERT_STRING_NOT_EQUAL(s1, n1);
	CU_ASSERT_EQUAL(
		strspn(s1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
		OIDC_RANDOM_LEN);
}

static const struct test_case oidc_pkce_cases[] = {
	{"S256 challenge matches RFC 7636 appendix B", test_pkce_rfc7636},
	{"verifiers are random, 64 chars, validated 43-128 unreserved", test_pkce_verifier},
	{"state and nonce are fresh base64url", test_state_nonce},
	{NULL, NULL},
};

TEST_SUITE("oidc_pkce", NULL, NULL, oidc_pkce_cases)
