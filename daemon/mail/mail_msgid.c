/* SPDX-License-Identifier: MIT */
/* Our own Message-IDs, fixed when a reply is approved or queued, so a resend
 * after a crash carries the same one (and the Sent-folder check finds it). */
#include "daemon/mail/mail_compose.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A host name as a Message-ID may end in: letters, digits, '-' and '.'. */
static bool msgid_domain_ok(const char *d)
{
	size_t n = d != NULL ? strlen(d) : 0;

	return n > 0 && n < 254 &&
	       strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n &&
	       d[0] != '.' && d[0] != '-';
}

int mail_message_id_new(const char *address, const char *fallback_domain, char *out, size_t size)
{
	unsigned char rnd[16];
	char hex[33], domain[256];
	int n;

	if (mail_address_domain(address, domain, sizeof(domain)) < 0 &&
	    (!msgid_domain_ok(fallback_domain) ||
	     snprintf(domain, sizeof(domain), "%s", fallback_domain) >= (int)sizeof(domain)))
		snprintf(domain, sizeof(domain), "draftd.invalid");
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	n = snprintf(out, size, "<%s.%lld@%s>", hex, (long long)time(NULL), domain);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
