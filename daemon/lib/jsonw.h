/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_JSONW_H
#define DRAFTD_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/lib/buf.h"

/* Writing JSON text straight into a bounded buf, for documents written once
 * per message at ingest (the stored parse, the headers), where building a
 * jansson tree and dumping it was a fifth of ingest's CPU. The text is what
 * json_dumps(JSON_COMPACT) writes for the same values. The caller writes
 * the punctuation; every function returns 0, or -1 when the buf's ceiling
 * would be crossed, memory ran out or a string is not UTF-8 (as
 * json_string() refuses it): the document is then abandoned. */

/* s as a JSON string ("null" when s is NULL). */
int jsonw_str(struct buf *b, const char *s) __attribute__((warn_unused_result));
/* The first len bytes of s as a JSON string (may hold NUL: written \u0000). */
int jsonw_strn(struct buf *b, const char *s, size_t len) __attribute__((warn_unused_result));
int jsonw_int(struct buf *b, long long v) __attribute__((warn_unused_result));
int jsonw_bool(struct buf *b, bool v) __attribute__((warn_unused_result));
/* "key": (the key is the caller's, trusted to need no escaping). */
int jsonw_key(struct buf *b, const char *key) __attribute__((warn_unused_result));

#endif
