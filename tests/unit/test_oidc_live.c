/* SPDX-License-Identifier: MIT */
/* An ID token from the real OpenID provider (glewlwyd, tests/services/oidc.sh)
 * through draftd's validator: tests/integration/oidc.sh signs alice in by the
 * code flow with PKCE, keeps the token, the provider's JWKS and the nonce, and
 * runs this suite with DRAFTD_TEST_OIDC_TOKEN_FILE and friends set. Without
 * them (the plain unit run) the cases say so and pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "tests/unit/test_oidc.h"
#include "ui-api/auth/oidc_token.h"

struct live {
	char *token, *jwks_text, *nonce;
	const char *issuer, *client_id, *role;
	struct oidc_jwks *jwks;
};

static struct live live;

static char *slurp(const char *env)
{
	const char *path = getenv(env);
	struct error read_err;
	char *text = NULL;
	size_t len;

	if (path == NULL)
		return NULL;
	if (file_read_all(path, 65536, &text, &len, &read_err) < 0) {
		fprintf(stderr, "%s=%s: %s\n", env, path, error_msg(&read_err));
		return NULL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	return text;
}

static int live_init(void)
{
	const char *error = NULL;

	memset(&live, 0, sizeof(live));
	if (getenv("DRAFTD_TEST_OIDC_TOKEN_FILE") == NULL)
		return 0;
	live.token = slurp("DRAFTD_TEST_OIDC_TOKEN_FILE");
	live.jwks_text = slurp("DRAFTD_TEST_OIDC_JWKS_FILE");
	live.nonce = slurp("DRAFTD_TEST_OIDC_NONCE_FILE");
	live.issuer = getenv("DRAFTD_TEST_OIDC_ISSUER");
	live.client_id = getenv("DRAFTD_TEST_OIDC_CLIENT_ID");
	live.role = getenv("DRAFTD_TEST_OIDC_EXPECT_ROLE");
	if (live.token == NULL || live.jwks_text == NULL || live.nonce == NULL ||
	    live.issuer == NULL || live.client_id == NULL)
		return 1;
	if (oidc_test_jwks_parse(live.jwks_text, strlen(live.jwks_text), &live.jwks, &error) < 0) {
		fprintf(stderr, "provider's JWKS: %s\n", error);
		return 1;
	}
	return 0;
}

static int live_cleanup(void)
{
	oidc_jwks_free(&live.jwks);
	free(live.token);
	free(live.jwks_text);
	free(live.nonce);
	return 0;
}

static bool live_skip(void)
{
	if (live.jwks != NULL)
		return false;
	printf("SKIPPED (tests/integration/oidc.sh runs it against the provider) ");
	return true;
}

static struct oidc_expect live_expect(void)
{
	struct oidc_expect e = {
		.issuer = live.issuer,
		.client_id = live.client_id,
		.nonce = live.nonce,
		.now = (int64_t)time(NULL),
		.skew_s = OIDC_SKEW_DEFAULT_S,
		.role_claim = "role",
	};
	return e;
}

static void test_live_valid(void)
{
	struct oidc_expect e;
	struct oidc_identity id;
	const char *error = NULL;
	int r;

	if (live_skip())
		return;
	e = live_expect();
	r = oidc_test_validate(live.token, live.jwks, &e, &id, &error);
	if (r != 1)
		fprintf(stderr, "\n  provider's token refused: %s\n", error);
	CU_ASSERT_EQUAL_FATAL(r, 1);
	CU_ASSERT_NOT_EQUAL(id.sub[0], '\0');
	CU_ASSERT_NOT_EQUAL(id.kid[0], '\0');
	CU_ASSERT_EQUAL(id.role_count, live.role != NULL ? 1u : 0u);
	if (live.role != NULL)
		CU_ASSERT_STRING_EQUAL(id.roles[0], live.role);
	CU_ASSERT_PTR_NOT_NULL(strchr(id.email, '@'));
}

static void test_live_refused(void)
{
	struct oidc_expect e;
	struct oidc_identity id;
	const char *error = NULL;
	char *bad;
	size_t n;

	if (live_skip())
		return;
	e = live_expect();
	e.nonce = "another sign-in";
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(live.token, live.jwks, &e, &id, &error), 0);
	e = live_expect();
	e.client_id = "not-draftd";
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(live.token, live.jwks, &e, &id, &error), 0);
	CU_ASSERT_STRING_EQUAL(error, "ID token: wrong audience (aud does not name this client)");
	e = live_expect();
	bad = malloc(strlen(live.issuer) + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	snprintf(bad, strlen(live.issuer) + 2, "%s/", live.issuer);
	e.issuer = bad;
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(live.token, live.jwks, &e, &id, &error), 0);
	CU_ASSERT_STRING_EQUAL(error, "ID token: wrong issuer");
	free(bad);
	e = live_expect();
	e.now += 24 * 3600;
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(live.token, live.jwks, &e, &id, &error), 0);
	CU_ASSERT_STRING_EQUAL(error, "ID token: expired");
	/* a changed signature character */
	e = live_expect();
	bad = strdup(live.token);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	n = strlen(bad);
	bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(bad, live.jwks, &e, &id, &error), 0);
	free(bad);
}

static const struct test_case oidc_live_cases[] = {
	{"the provider's RS256 ID token validates, role claim read", test_live_valid},
	{"its token with another nonce/client/issuer/time or signature is refused",
	 test_live_refused},
	{NULL, NULL},
};

TEST_SUITE("oidc_live", live_init, live_cleanup, oidc_live_cases)
