/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_API_DRAFTS_H
#define DRAFTD_API_DRAFTS_H

#include <jansson.h>

#include "daemon/lib/error.h"

#define API_ADDRESS_MAX 254

/* The recipient policy of a reviewer's edit: the recipient and every cc
 * address (comma-separated, bare addresses) must be the original sender,
 * its Reply-To, or an address at one of their domains, so a draft can never
 * be redirected to an outsider. message is the draft's "message" object.
 * recipient/cc may be NULL (unchanged); cc "" clears. Returns 0, or -1 with
 * the reason in err. */
int api_recipients_check(const json_t *message, const char *recipient, const char *cc,
			 struct error *err);

/* Copies the address out of "Name <a@b>" or "a@b" into out; 0 or -1. */
int api_address_extract(const char *from, char *out, size_t size);

#endif
