/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_MAIL_INT_H
#define DRAFTD_MAIL_INT_H

/* Shared by daemon/mail/mail_address.c, mail_encode.c and mail_compose.c only. */

#include <stdbool.h>
#include <stddef.h>

#include "daemon/lib/buf.h"
#include "daemon/mail/mail_compose.h"

/* Length of the UTF-8 sequence lead byte c starts (1 for ASCII, 0 for a
 * byte that cannot start one). */
size_t mail_utf8_seq_len(unsigned char c);
/* RFC 5322 atext. */
bool mail_is_atext(int c);

/* Whether s needs an RFC 2047 encoded-word: non-ASCII or control bytes, or
 * text that would read as an encoded-word ("=?"). */
bool mail_needs_eword(const char *s);
/* Appends s as encoded-words (UTF-8, B encoding), split between whole
 * characters. 0 or -1. */
int mail_eword_append(struct buf *out, const char *s);
/* Appends "Name: value" CRLF, folded at spaces to stay within 78 columns
 * where it can; value must already be encoded. 0 or -1. */
int mail_header_append(struct buf *out, const char *name, const char *value);

#endif
