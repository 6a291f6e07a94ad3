/* SPDX-License-Identifier: MIT */
/* ID token validation with tokens this test makes and signs itself (fixture
 * RSA keys in tests/fixtures/oidc/): the good token, then every way a token
 * must be refused, each with the reason it is refused for. */
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "tests/unit/test_oidc.h"
#include "daemon/lib/base64.h"
#include "ui-api/auth/oidc_token.h"

#define NOW 1700000000
#define ISS "https://idp.example"

static gnutls_privkey_t key_a, key_b, key_weak;
static struct oidc_jwks *jwks;     /* key-a, key-b, key-w (weak), plus skipped ones */
static struct oidc_jwks *jwks_one; /* key-a alone */
static char *pub_a_pem;            /* for the HS256 key-confusion case */

static int oidc_token_init(void)
{
	char *doc = NULL, *a = NULL, *b = NULL, *w = NULL;
	const char *error = NULL;
	size_t len;
	int ret = -1;

	key_a = oidc_test_key("rsa-a.pem");
	key_b = oidc_test_key("rsa-b.pem");
	key_weak = oidc_test_key("rsa-weak.pem");
	if (key_a == NULL || key_b == NULL || key_weak == NULL)
		goto out;
	a = oidc_test_jwk(key_a, "key-a", NULL);
	b = oidc_test_jwk(key_b, "key-b", "\"use\":\"sig\",\"alg\":\"RS256\",");
	w = oidc_test_jwk(key_weak, "key-w", NULL);
	if (a == NULL || b == NULL || w == NULL)
		goto out;
	/* an EC key, an encryption key and a key for another algorithm are
	 * skipped: key-b's twin under "enc" must never verify anything */
	doc = oidc_test_printf(
		"{\"keys\":[%s,%s,%s,"
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"x\":\"AA\",\"y\":\"AA\"},"
		"{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"key-enc\",\"n\":\"AQAB\",\"e\":"
		"\"AQAB\"},"
		"{\"kty\":\"RSA\",\"alg\":\"RS512\",\"kid\":\"key-512\",\"n\":\"AQAB\",\"e\":"
		"\"AQAB\"}]}",
		a, b, w);
	if (doc == NULL || oidc_test_jwks_parse(doc, strlen(doc), &jwks, &error) < 0)
		goto out;
	free(doc);
	doc = oidc_test_printf("{\"keys\":[%s]}", a);
	if (doc == NULL || oidc_test_jwks_parse(doc, strlen(doc), &jwks_one, &error) < 0)
		goto out;
	if (file_read_all(oidc_test_fixture("rsa-a.pub.pem"), 4096, &pub_a_pem, &len, NULL) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "oidc_token fixtures: %s\n",
			error != NULL ? error : "key load failed");
	free(doc);
	free(a);
	free(b);
	free(w);
	return ret;
}

static int oidc_token_cleanup(void)
{
	oidc_jwks_free(&jwks);
	oidc_jwks_free(&jwks_one);
	gnutls_privkey_deinit(key_a);
	gnutls_privkey_deinit(key_b);
	gnutls_privkey_deinit(key_weak);
	free(pub_a_pem);
	return 0;
}

static struct oidc_expect expect_default(void)
{
	struct oidc_expect e = {
		.issuer = ISS,
		.client_id = "draftd",
		.nonce = "n-1",
		.now = NOW,
		.skew_s = OIDC_SKEW_DEFAULT_S,
		.role_claim = "role",
	};
	return e;
}

#define H_A "{\"alg\":\"RS256\",\"kid\":\"key-a\",\"typ\":\"JWT\"}"
#define C_OK                                                                         \
	"{\"iss\":\"" ISS "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600," \
	"\"iat\":1700000000,\"nonce\":\"n-1\",\"email\":\"alice@example.org\","      \
	"\"email_verified\":true,\"name\":\"Alice\",\"role\":\"reviewer\"}"
/* C_OK with the members between prefix and suffix replaced */
#define C(members) \
	"{\"iss\":\"" ISS "\",\"sub\":\"u1\",\"iat\":1700000000,\"exp\":1700000600," members "}"

enum signer { SIGN_A, SIGN_B, SIGN_WEAK, SIGN_NONE, SIGN_HS256_PUB };

struct token_case {
	const char *name;
	const char *header;
	const char *claims;
	enum signer signer;
	int ret;
	const char *error; /* a part of the refusal's text */
};

static const struct token_case token_cases[] = {
	{"valid", H_A, C_OK, SIGN_A, 1, NULL},
	{"aud array with azp", H_A,
	 C("\"aud\":[\"draftd\",\"other\"],\"azp\":\"draftd\",\"nonce\":\"n-1\""), SIGN_A, 1, NULL},
	{"aud array of one", H_A, C("\"aud\":[\"draftd\"],\"nonce\":\"n-1\""), SIGN_A, 1, NULL},
	{"exp as a real number", H_A,
	 "{\"iss\":\"" ISS "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600.5,"
	 "\"iat\":1700000000,\"nonce\":\"n-1\"}",
	 SIGN_A, 1, NULL},
	{"expired 30 s ago: within the skew", H_A,
	 "{\"iss\":\"" ISS "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1699999970,"
	 "\"iat\":1699999000,\"nonce\":\"n-1\"}",
	 SIGN_A, 1, NULL},
	{"nbf 30 s ahead: within the skew", H_A,
	 C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"nbf\":1700000030"), SIGN_A, 1, NULL},
	{"no role claim: a person without a role", H_A, C("\"aud\":\"draftd\",\"nonce\":\"n-1\""),
	 SIGN_A, 1, NULL},

	{"expired", H_A,
	 "{\"iss\":\"" ISS "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1699999939,"
	 "\"iat\":1699999000,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "expired"},
	{"exp missing", H_A,
	 "{\"iss\":\"" ISS
	 "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"iat\":1700000000,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "exp missing"},
	{"exp a string", H_A,
	 "{\"iss\":\"" ISS "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":\"1700000600\","
	 "\"iat\":1700000000,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "exp missing or not a time"},
	{"iat in the future", H_A,
	 "{\"iss\":\"" ISS "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600,"
	 "\"iat\":1700000120,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "issued in the future"},
	{"iat missing", H_A,
	 "{\"iss\":\"" ISS
	 "\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "iat missing"},
	{"nbf ahead", H_A, C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"nbf\":1700000120"), SIGN_A, 0,
	 "not valid yet"},
	{"wrong audience", H_A, C("\"aud\":\"other\",\"nonce\":\"n-1\""), SIGN_A, 0,
	 "wrong audience"},
	{"wrong audience in an array", H_A,
	 C("\"aud\":[\"other\",\"x\"],\"azp\":\"other\",\"nonce\":\"n-1\""), SIGN_A, 0,
	 "wrong audience"},
	{"audience missing", H_A, C("\"nonce\":\"n-1\""), SIGN_A, 0, "aud missing"},
	{"audience a number", H_A, C("\"aud\":5,\"nonce\":\"n-1\""), SIGN_A, 0, "aud missing"},
	{"audience array holding a number", H_A,
	 C("\"aud\":[\"draftd\",5],\"azp\":\"draftd\",\"nonce\":\"n-1\""), SIGN_A, 0,
	 "other than strings"},
	{"several audiences, no azp", H_A, C("\"aud\":[\"draftd\",\"other\"],\"nonce\":\"n-1\""),
	 SIGN_A, 0, "no azp"},
	{"azp names another client", H_A,
	 C("\"aud\":\"draftd\",\"azp\":\"other\",\"nonce\":\"n-1\""), SIGN_A, 0,
	 "azp names another"},
	{"wrong issuer", H_A,
	 "{\"iss\":\"https://evil.example\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600,"
	 "\"iat\":1700000000,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "wrong issuer"},
	{"issuer with a trailing slash", H_A,
	 "{\"iss\":\"" ISS "/\",\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600,"
	 "\"iat\":1700000000,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "wrong issuer"},
	{"issuer missing", H_A,
	 "{\"aud\":\"draftd\",\"sub\":\"u1\",\"exp\":1700000600,\"iat\":1700000000,\"nonce\":\"n-"
	 "1\"}",
	 SIGN_A, 0, "wrong issuer"},
	{"wrong nonce", H_A, C("\"aud\":\"draftd\",\"nonce\":\"n-2\""), SIGN_A, 0, "nonce"},
	{"nonce missing", H_A, C("\"aud\":\"draftd\""), SIGN_A, 0, "nonce"},
	{"sub missing", H_A,
	 "{\"iss\":\"" ISS
	 "\",\"aud\":\"draftd\",\"exp\":1700000600,\"iat\":1700000000,\"nonce\":\"n-1\"}",
	 SIGN_A, 0, "no sub"},
	{"role a number", H_A, C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"role\":5"), SIGN_A, 0,
	 "role claim"},
	{"role array with an empty role", H_A,
	 C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"role\":[\"\"]"), SIGN_A, 0, "a role is not"},
	{"email a number", H_A, C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"email\":5"), SIGN_A, 0,
	 "email is not"},
	{"duplicate claim (parser differential)", H_A,
	 C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"aud\":\"other\""), SIGN_A, 0, "claims are not"},
	{"claims not JSON", H_A, "not json", SIGN_A, 0, "claims are not"},
	{"claims a JSON array", H_A, "[1,2]", SIGN_A, 0, "claims are not"},

	{"bad signature: signed by another key", H_A, C_OK, SIGN_B, 0, "bad signature"},
	{"alg none, no signature", "{\"alg\":\"none\"}", C_OK, SIGN_NONE, 0, "alg none"},
	{"alg None with a kid", "{\"alg\":\"None\",\"kid\":\"key-a\"}", C_OK, SIGN_NONE, 0,
	 "alg none"},
	{"alg none with a valid RS256 signature", "{\"alg\":\"none\",\"kid\":\"key-a\"}", C_OK,
	 SIGN_A, 0, "alg none"},
	{"HS256 keyed with the provider's public key", "{\"alg\":\"HS256\",\"kid\":\"key-a\"}",
	 C_OK, SIGN_HS256_PUB, 0, "alg HS"},
	{"RS512", "{\"alg\":\"RS512\",\"kid\":\"key-a\"}", C_OK, SIGN_A, 0, "other than RS256"},
	{"PS256", "{\"alg\":\"PS256\",\"kid\":\"key-a\"}", C_OK, SIGN_A, 0, "other than RS256"},
	{"alg missing", "{\"kid\":\"key-a\"}", C_OK, SIGN_A, 0, "no alg"},
	{"alg a number", "{\"alg\":256,\"kid\":\"key-a\"}", C_OK, SIGN_A, 0, "no alg"},
	{"crit header", "{\"alg\":\"RS256\",\"kid\":\"key-a\",\"crit\":[\"exp\"]}", C_OK, SIGN_A, 0,
	 "crit"},
	{"unknown kid", "{\"alg\":\"RS256\",\"kid\":\"key-z\"}", C_OK, SIGN_A, 0,
	 "kid is not among"},
	{"kid of an encryption key", "{\"alg\":\"RS256\",\"kid\":\"key-enc\"}", C_OK, SIGN_A, 0,
	 "kid is not among"},
	{"kid of a key for RS512", "{\"alg\":\"RS256\",\"kid\":\"key-512\"}", C_OK, SIGN_A, 0,
	 "kid is not among"},
	{"kid a number", "{\"alg\":\"RS256\",\"kid\":1}", C_OK, SIGN_A, 0, "kid is not a string"},
	{"no kid, several keys", "{\"alg\":\"RS256\"}", C_OK, SIGN_A, 0, "several keys"},
	{"weak key", "{\"alg\":\"RS256\",\"kid\":\"key-w\"}", C_OK, SIGN_WEAK, 0, "under 2048"},
	{"header not JSON", "alg=RS256", C_OK, SIGN_A, 0, "header is not"},
	{"duplicate alg in the header", "{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"key-a\"}",
	 C_OK, SIGN_A, 0, "header is not"},
};

/* base64url(header).base64url(claims).base64url(signature) */
static char *make_token(const struct token_case *c)
{
	char h[4096], p[8192], sig64[2048], *input = NULL, *token = NULL;
	unsigned char mac[32];
	gnutls_datum_t data, sig = {NULL, 0};
	gnutls_privkey_t key = c->signer == SIGN_B      ? key_b
			       : c->signer == SIGN_WEAK ? key_weak
							: key_a;

	if (base64_encode(BASE64_URL, c->header, strlen(c->header), h, sizeof(h)) < 0 ||
	    base64_encode(BASE64_URL, c->claims, strlen(c->claims), p, sizeof(p)) < 0)
		return NULL;
	input = oidc_test_printf("%s.%s", h, p);
	if (input == NULL)
		return NULL;
	data.data = (unsigned char *)input;
	data.size = (unsigned int)strlen(input);
	sig64[0] = '\0';
	if (c->signer == SIGN_HS256_PUB) {
		if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, pub_a_pem, strlen(pub_a_pem), input,
				     strlen(input), mac) < 0 ||
		    base64_encode(BASE64_URL, mac, sizeof(mac), sig64, sizeof(sig64)) < 0)
			goto out;
	} else if (c->signer != SIGN_NONE) {
		if (gnutls_privkey_sign_data2(key, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) < 0 ||
		    base64_encode(BASE64_URL, sig.data, sig.size, sig64, sizeof(sig64)) < 0)
			goto out;
	}
	token = oidc_test_printf("%s.%s", input, sig64);
out:
	gnutls_free(sig.data);
	free(input);
	return token;
}

static void test_token_table(void)
{
	const struct oidc_expect e = expect_default();
	struct oidc_identity id;
	const char *error;
	size_t i;
	char *token;
	int r;

	for (i = 0; i < ARRAY_SIZE(token_cases); i++) {
		const struct token_case *c = &token_cases[i];

		token = make_token(c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(token);
		error = NULL;
		r = oidc_test_validate(token, jwks, &e, &id, &error);
		if (r != c->ret ||
		    (c->error != NULL && (error == NULL || strstr(error, c->error) == NULL)))
			fprintf(stderr, "\n  case \"%s\": got %d (%s), want %d (%s)\n", c->name, r,
				error != NULL ? error : "-", c->ret,
				c->error != NULL ? c->error : "-");
		CU_ASSERT_EQUAL(r, c->ret);
		if (c->error != NULL)
			CU_ASSERT_PTR_NOT_NULL(error != NULL ? strstr(error, c->error) : NULL);
		if (r != 1)
			CU_ASSERT_EQUAL(id.sub[0], '\0'); /* nothing half-filled */
		free(token);
	}
}

static void test_token_identity(void)
{
	const struct oidc_expect e = expect_default();
	struct token_case c = {
		"roles",
		H_A,
		C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"role\":[\"reviewer\",\"admin\"],"
		  "\"email\":\"ada@example.org\",\"auth_time\":1699999990"),
		SIGN_A,
		1,
		NULL};
	struct oidc_identity id;
	const char *error = NULL;
	char *token;

	token = make_token(&token_cases[0]);
	CU_ASSERT_EQUAL_FATAL(oidc_test_validate(token, jwks, &e, &id, &error), 1);
	CU_ASSERT_STRING_EQUAL(id.sub, "u1");
	CU_ASSERT_STRING_EQUAL(id.email, "alice@example.org");
	CU_ASSERT_TRUE(id.email_verified);
	CU_ASSERT_STRING_EQUAL(id.name, "Alice");
	CU_ASSERT_EQUAL(id.role_count, 1);
	CU_ASSERT_STRING_EQUAL(id.roles[0], "reviewer");
	CU_ASSERT_EQUAL(id.exp, 1700000600);
	CU_ASSERT_EQUAL(id.iat, 1700000000);
	CU_ASSERT_STRING_EQUAL(id.kid, "key-a");
	free(token);

	token = make_token(&c);
	CU_ASSERT_EQUAL_FATAL(oidc_test_validate(token, jwks, &e, &id, &error), 1);
	CU_ASSERT_EQUAL(id.role_count, 2);
	CU_ASSERT_STRING_EQUAL(id.roles[1], "admin");
	CU_ASSERT_FALSE(id.email_verified);
	CU_ASSERT_EQUAL(id.auth_time, 1699999990);
	/* no role_claim configured: roles are not read */
	{
		struct oidc_expect e2 = e;

		e2.role_claim = NULL;
		error = "";
		CU_ASSERT_EQUAL(oidc_test_validate(token, jwks, &e2, &id, &error), 1);
		CU_ASSERT_EQUAL(id.role_count, 0);
	}
	free(token);
}

/* Changing any byte of a signed token after the fact is caught. */
static void test_token_tampered(void)
{
	const struct oidc_expect e = expect_default();
	struct token_case admin = {
		"admin", H_A, C("\"aud\":\"draftd\",\"nonce\":\"n-1\",\"role\":\"admin\""),
		SIGN_A,  1,   NULL};
	struct oidc_identity id;
	const char *error = NULL;
	char *good = make_token(&token_cases[0]), *other = make_token(&admin), *mix;
	const char *dot1, *dot2, *odot1, *odot2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	/* alice's header and signature around a payload that makes her admin */
	dot1 = strchr(good, '.');
	dot2 = strrchr(good, '.');
	odot1 = strchr(other, '.');
	odot2 = strrchr(other, '.');
	mix = oidc_test_printf("%.*s%.*s%s", (int)(dot1 - good), good, (int)(odot2 - odot1), odot1,
			       dot2);
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(mix, jwks, &e, &id, &error), 0);
	CU_ASSERT_STRING_EQUAL(error, "ID token: bad signature");
	free(mix);
	/* a flipped bit in the signature */
	mix = oidc_test_printf("%s", good);
	mix[strlen(mix) - 5] = mix[strlen(mix) - 5] == 'A' ? 'B' : 'A';
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(mix, jwks, &e, &id, &error), 0);
	free(mix);
	/* the signature cut off, or an empty one */
	mix = oidc_test_printf("%.*s.", (int)(dot2 - good), good);
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(mix, jwks, &e, &id, &error), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "signature"));
	free(mix);
	free(good);
	free(other);
}

static void test_token_malformed(void)
{
	static const char *bad[] = {
		"", "abc", "a.b", "a.b.c.d", "!!!.e30.AA", "e30.e30", "..", "e30..", ".e30.AA",
	};
	const struct oidc_expect e = expect_default();
	struct oidc_identity id;
	const char *error;
	char *huge;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		error = NULL;
		CU_ASSERT_EQUAL(oidc_test_validate(bad[i], jwks, &e, &id, &error), 0);
		CU_ASSERT_PTR_NOT_NULL(error);
	}
	huge = malloc(OIDC_TOKEN_MAX + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
	memset(huge, 'A', OIDC_TOKEN_MAX + 1);
	huge[10] = '.';
	huge[20] = '.';
	huge[OIDC_TOKEN_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(oidc_test_validate(huge, jwks, &e, &id, &error), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "16 KiB"));
	free(huge);
}

static void test_token_kid(void)
{
	const struct oidc_expect e = expect_default();
	struct token_case nokid = {"no kid", "{\"alg\":\"RS256\"}", C_OK, SIGN_A, 1, NULL};
	struct token_case unknown = {
		"kid", "{\"alg\":\"RS256\",\"kid\":\"key-z\"}", C_OK, SIGN_A, 0, NULL};
	struct oidc_identity id;
	const char *error = NULL;
	char *token;

	/* a provider with one key may leave kid out */
	token = make_token(&nokid);
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(token, jwks_one, &e, &id, &error), 1);
	free(token);
	/* an unknown kid is told apart, so the caller can fetch the JWKS again */
	token = make_token(&unknown);
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(token, jwks, &e, &id, &error), 0);
	CU_ASSERT_STRING_EQUAL(error, oidc_error_unknown_kid);
	free(token);
	/* a token naming its kid works against the one-key set too */
	token = make_token(&token_cases[0]);
	error = "";
	CU_ASSERT_EQUAL(oidc_test_validate(token, jwks_one, &e, &id, &error), 1);
	free(token);
}

static void test_jwks_parse(void)
{
	static const struct {
		const char *doc, *error;
	} bad[] = {
		{"", "not a JSON object"},
		{"[]", "not a JSON object"},
		{"{\"keys\":{}}", "not a JSON object"},
		{"{\"keys\":[1]}", "not a JSON object"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}", "modulus"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"a+b/\",\"e\":\"AQAB\"}]}", "modulus"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\"}]}", "exponent"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":7}]}", "kid"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"x\"},"
		 "{\"kty\":\"RSA\",\"n\":\"AQAC\",\"e\":\"AQAB\",\"kid\":\"x\"}]}",
		 "share one kid"},
		{"{\"keys\":[],\"keys\":[]}", "not a JSON object"},
	};
	struct oidc_jwks *set = NULL;
	const char *error;
	char *doc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		error = NULL;
		CU_ASSERT_EQUAL(oidc_test_jwks_parse(bad[i].doc, strlen(bad[i].doc), &set, &error),
				-1);
		CU_ASSERT_PTR_NULL(set);
		if (error == NULL || strstr(error, bad[i].error) == NULL)
			fprintf(stderr, "\n  jwks case %zu: %s\n", i, error != NULL ? error : "-");
		CU_ASSERT_PTR_NOT_NULL(error != NULL ? strstr(error, bad[i].error) : NULL);
	}
	/* 33 keys, and 64 KiB, are too many */
	doc = oidc_test_printf("{\"keys\":[%s{}]}",
			       "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"
			       "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},");
	CU_ASSERT_EQUAL(oidc_test_jwks_parse(doc, strlen(doc), &set, &error), -1);
	free(doc);
	doc = calloc(1, OIDC_JWKS_MAX + 2);
	memset(doc, ' ', OIDC_JWKS_MAX + 1);
	CU_ASSERT_EQUAL(oidc_test_jwks_parse(doc, strlen(doc), &set, &error), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "64 KiB"));
	free(doc);
	/* the fixtures' set: 3 RSA signing keys kept, EC/enc/RS512 skipped */
	CU_ASSERT_EQUAL(jwks->count, 3);
	CU_ASSERT_PTR_NOT_NULL(oidc_jwks_find(jwks, "key-a"));
	CU_ASSERT_PTR_NULL(oidc_jwks_find(jwks, "key-enc"));
	CU_ASSERT_PTR_NULL(oidc_jwks_find(jwks, "ec"));
	CU_ASSERT_PTR_NULL(oidc_jwks_find(jwks, NULL));
	CU_ASSERT_EQUAL(oidc_jwks_find(jwks, "key-a")->bits, 2048);
	CU_ASSERT_FALSE(oidc_jwks_find(jwks, "key-a")->weak);
	CU_ASSERT_TRUE(oidc_jwks_find(jwks, "key-w")->weak);
	/* an empty set parses; every token is then refused */
	CU_ASSERT_EQUAL_FATAL(oidc_test_jwks_parse("{\"keys\":[]}", 11, &set, &error), 0);
	CU_ASSERT_EQUAL(set->count, 0);
	oidc_jwks_free(&set);
	oidc_jwks_free(&set); /* NULL is fine */
}

static const struct test_case oidc_token_test_cases[] = {
	{"valid tokens accepted, each bad claim/header/signature refused by name",
	 test_token_table},
	{"identity: sub, email, name, roles (string or array), times, kid", test_token_identity},
	{"a payload or signature changed after signing is refused", test_token_tampered},
	{"malformed and over-long tokens refused", test_token_malformed},
	{"kid: optional with one key; unknown kid told apart", test_token_kid},
	{"JWKS: malformed documents refused, foreign keys skipped, weak keys marked",
	 test_jwks_parse},
	{NULL, NULL},
};

TEST_SUITE("oidc_token", oidc_token_init, oidc_token_cleanup, oidc_token_test_cases)
