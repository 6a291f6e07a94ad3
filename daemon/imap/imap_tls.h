/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_TLS_H
#define DRAFTD_IMAP_TLS_H

#include <stddef.h>

#include "daemon/lib/error.h"

/* Server certificate verification for IMAP over TLS. libetpan completes the
 * TLS handshake without checking anything, so draftd checks the chain and the
 * host name itself, right after the handshake and before LOGIN. */

/* Verifies a DER certificate chain (server first) against the system trust
 * store plus the PEM file ca_file (may be NULL) and checks that it was issued
 * for host (a DNS name or an IP address) and for a TLS server (serverAuth in
 * the extended key usage, where the chain has one). Returns 0 when trusted,
 * -1 with a one-line reason set in err. Thread-safe; the SMTP sender uses it
 * too. */
int imap_tls_verify_chain(const unsigned char *const *der, const size_t *der_len, size_t count,
			  const char *host, const char *ca_file, struct error *err)
	__attribute__((warn_unused_result));

#endif
