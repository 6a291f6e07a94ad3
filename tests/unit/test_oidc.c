/* SPDX-License-Identifier: MIT */
#include "tests/unit/test_oidc.h"

#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/error.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "daemon/lib/base64.h"

const char *oidc_test_fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/oidc/%s", test_src_dir(), name);
	return path;
}

char *oidc_test_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

gnutls_privkey_t oidc_test_key(const char *name)
{
	gnutls_privkey_t key = NULL;
	gnutls_datum_t pem;
	struct error read_err;
	char *text = NULL;
	size_t len;

	if (file_read_all(oidc_test_fixture(name), 16384, &text, &len, &read_err) < 0) {
		fprintf(stderr, "%s: %s\n", oidc_test_fixture(name), error_msg(&read_err));
		return NULL;
	}
	pem.data = (unsigned char *)text;
	pem.size = (unsigned int)len;
	if (gnutls_privkey_init(&key) < 0 ||
	    gnutls_privkey_import_x509_raw(key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		fprintf(stderr, "%s: not a PEM private key\n", name);
		gnutls_privkey_deinit(key);
		key = NULL;
	}
	free(text);
	return key;
}

/* base64url of an unsigned big-endian integer without its leading zeros. */
static int b64_uint(const gnutls_datum_t *d, char *out, size_t size)
{
	size_t skip = 0;

	while (skip + 1 < d->size && d->data[skip] == 0)
		skip++;
	return base64_encode(BASE64_URL, d->data + skip, d->size - skip, out, size);
}

char *oidc_test_jwk(gnutls_privkey_t key, const char *kid, const char *extra)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t m = {NULL, 0}, e = {NULL, 0};
	char n64[1500], e64[32], *jwk = NULL;

	if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0 ||
	    gnutls_pubkey_export_rsa_raw2(pub, &m, &e, 0) < 0)
		goto out;
	if (b64_uint(&m, n64, sizeof(n64)) < 0 || b64_uint(&e, e64, sizeof(e64)) < 0)
		goto out;
	jwk = oidc_test_printf("{%s\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}",
			       extra != NULL ? extra : "", kid, n64, e64);
out:
	gnutls_free(m.data);
	gnutls_free(e.data);
	gnutls_pubkey_deinit(pub);
	return jwk;
}

/* The refusal as text the cases compare: oidc_token_validate() and
 * oidc_jwks_parse() fill a struct error; *error_r points at its message on
 * failure and is left alone on success. */
static struct error oidc_err;

int oidc_test_validate(const char *token, const struct oidc_jwks *set, const struct oidc_expect *e,
		       struct oidc_identity *id, const char **error_r)
{
	int r;

	error_clear(&oidc_err);
	r = oidc_token_validate(token, set, e, id, &oidc_err);
	if (r != 1)
		*error_r = error_msg(&oidc_err);
	return r;
}

int oidc_test_jwks_parse(const char *json, size_t len, struct oidc_jwks **jwks_r,
			 const char **error_r)
{
	error_clear(&oidc_err);
	if (oidc_jwks_parse(json, len, jwks_r, &oidc_err) < 0) {
		*error_r = error_msg(&oidc_err);
		return -1;
	}
	return 0;
}
