/* SPDX-License-Identifier: MIT */
/* Certificate chain and host name verification with gnutls. */
#include "daemon/imap/imap_tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>

/* A chain longer than this is hostile or broken; real ones have 2-4. */
#define IMAP_TLS_MAX_CHAIN 16

int imap_tls_verify_chain(const unsigned char *const *der, const size_t *der_len, size_t count,
			  const char *host, const char *ca_file, struct error *err)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[IMAP_TLS_MAX_CHAIN];
	gnutls_typed_vdata_st vdata[2];
	gnutls_datum_t out = {NULL, 0};
	unsigned int status = 0, n = 0, i;
	int r, ret = -1;

	if (count == 0) {
		error_set(err, "the server sent no certificate");
		return -1;
	}
	if (count > IMAP_TLS_MAX_CHAIN) {
		error_set(err, "certificate chain too long (%zu certificates)", count);
		return -1;
	}
	for (n = 0; n < count; n++) {
		gnutls_datum_t d = {(unsigned char *)der[n], (unsigned int)der_len[n]};

		if (gnutls_x509_crt_init(&crts[n]) < 0) {
			error_set(err, "out of memory");
			goto out;
		}
		r = gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER);
		if (r < 0) {
			n++;
			error_set(err, "unreadable server certificate: %s", gnutls_strerror(r));
			goto out;
		}
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		error_set(err, "out of memory");
		goto out;
	}
	/* No system store is not fatal: a private CA may be all there is. */
	(void)gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (ca_file != NULL && *ca_file != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0,
							  0);
		if (r <= 0) {
			error_set(err, "tls_ca_file %s: %s", ca_file,
				  r == 0 ? "no certificate in it" : gnutls_strerror(r));
			goto out;
		}
	}
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)host;
	vdata[0].size = 0;
	/* A certificate a trusted CA issued for something else (code signing,
	 * e-mail protection) must not vouch for a server: gnutls checks the
	 * extended key usage of the chain only when asked for a purpose. */
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vdata, 2, 0, &status, NULL);
	if (r < 0) {
		error_set(err, "certificate verification failed: %s", gnutls_strerror(r));
		goto out;
	}
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH) {
		error_set(
			err,
			"server certificate for %s is not for a TLS server: its extended key usage "
			"lacks serverAuth",
			host);
		goto out;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out,
								 0) == 0)
			error_set(err, "server certificate for %s not trusted: %s", host,
				  (const char *)out.data);
		else
			error_set(err, "server certificate for %s not trusted", host);
		goto out;
	}
	ret = 0;
out:
	gnutls_free(out.data);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return ret;
}
