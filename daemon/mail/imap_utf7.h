/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_IMAP_UTF7_H
#define DRAFTD_IMAP_UTF7_H

#include <stddef.h>

#include "daemon/lib/error.h"

/* IMAP mailbox names on the wire are modified UTF-7 (RFC 3501 5.1.3):
 * printable US-ASCII stands for itself, "&" is "&-", everything else is
 * UTF-16 in a modified BASE64 run ("," for "/", no padding) between "&" and
 * "-". draftd's config and logs hold UTF-8; these convert at the wire.
 * Both directions are strict and canonical, so for every name they accept
 * decode(encode(x)) == x and encode(decode(y)) == y. Pure, thread-safe. */

/* The most bytes of a mailbox name in either form, NUL included. Real
 * servers allow far less (Dovecot: 1000 bytes). */
#define IMAP_UTF7_NAME_MAX 1024

/* Encodes the UTF-8 name into out[size]. Returns 0, or -1 with the reason
 * in err: invalid UTF-8 (overlong, surrogate, truncated, above
 * U+10FFFF), or longer than size allows. */
int imap_utf7_encode(const char *utf8, char *out, size_t size, struct error *err)
	__attribute__((warn_unused_result));

/* Decodes the modified UTF-7 name into UTF-8 in out[size]. Returns 0, or -1
 * with the reason in err: a byte outside printable US-ASCII, an
 * "&" run that is unterminated, empty, not modified BASE64, has non-zero
 * padding bits or a partial UTF-16 unit, encodes printable US-ASCII, follows
 * another run directly, or holds an unpaired surrogate; or longer than size
 * allows, or mutf7 itself IMAP_UTF7_NAME_MAX bytes or more. */
int imap_utf7_decode(const char *mutf7, char *out, size_t size, struct error *err)
	__attribute__((warn_unused_result));

#endif
