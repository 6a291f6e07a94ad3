/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "daemon/mail/imap_utf7.h"
#include "daemon/imap/sasl.h"
#include "tests/fuzz/fuzz.h"

/* Bytes as what an IMAP or SMTP server sends: a mailbox name from LIST (and
 * the same bytes as a configured UTF-8 name), and an OAuth2 error challenge.
 * Whatever is accepted must round-trip exactly and stay within its bounds. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	char dec[IMAP_UTF7_NAME_MAX], enc[IMAP_UTF7_NAME_MAX], back[IMAP_UTF7_NAME_MAX];
	struct sasl_oauth_error e;
	struct error err = {0};
	struct error why;

	/* a refusal always says why */
	if (imap_utf7_decode(s, dec, sizeof(dec), &err) == 0) {
		if (strlen(dec) >= sizeof(dec) ||
		    imap_utf7_encode(dec, enc, sizeof(enc), &err) != 0 || strcmp(enc, s) != 0)
			abort();
	} else if (error_msg(&err)[0] == '\0') {
		abort();
	}
	error_clear(&err);
	if (imap_utf7_encode(s, enc, sizeof(enc), &err) == 0) {
		for (const char *p = enc; *p != '\0'; p++) {
			if (*p < 0x20 || *p > 0x7e)
				abort();
		}
		if (imap_utf7_decode(enc, back, sizeof(back), &err) != 0 || strcmp(back, s) != 0)
			abort();
	} else if (error_msg(&err)[0] == '\0') {
		abort();
	}
	if (sasl_oauth_error_parse(s, strlen(s), &e, &why) == 0) {
		if (strlen(e.status) >= sizeof(e.status) || strlen(e.scope) >= sizeof(e.scope))
			abort();
	}
	free(s);
	return 0;
}
