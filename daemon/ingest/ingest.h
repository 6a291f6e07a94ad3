/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_INGEST_H
#define DRAFTD_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/mime/mime.h"
#include "daemon/config/config.h"
#include "daemon/imap/imap_fetch.h"
#include "daemon/lib/error.h"
#include "daemon/store/store_ingest.h"

/* Turns one fetched message into the row ingest stores: MIME to text
 * (agent/mime/mime.h), screening (agent/screen/screen.h), the sha256 of the raw bytes and
 * the content hash that finds redeliveries. Redeliveries themselves are found
 * by the store, which knows what is already there. Thread-safe. */

/* One fetched message, prepared: the row the store keeps (row, whose strings
 * point into the fields below or into the fetched bytes) and what it was made
 * from. Pointers are owned by the struct except raw and header_bytes, which
 * borrow the fetched bytes. */
struct ingest_msg {
	struct store_ingest_msg row;
	const char *header_bytes; /* the fetched bytes (whole message or header block) */
	size_t header_len;
	struct mime_message *mime;
	char *headers_json;     /* {"name": "value", ...}, first occurrence, bounded */
	char *attachments_json; /* [{"filename":..,"content_type":..,"size":..}] */
	char *quoted;           /* quoted history, then the signature block */
	char *parsed;           /* mime_message_to_json(), NULL when not kept */
	char screen_detail[160];
};

/* Fills *out from m (which must outlive *out). Hostile or broken MIME is not
 * an error: it is stored flagged and routed to a human. Returns 0, or -1 with
 * the reason in err (out of memory); *out is then cleared. */
int ingest_prepare(const struct imap_msg *m, const struct mime_limits *limits,
		   struct ingest_msg *out, struct error *err) __attribute__((warn_unused_result));
/* Frees what *m owns; a cleared or zeroed struct is fine. */
void ingest_msg_clear(struct ingest_msg *m);

/* The hash that stays the same when only trace headers differ: SHA-256 over
 * the identity headers (Message-ID, From, Sender, To, Cc, Reply-To, Subject,
 * Date, In-Reply-To, References, MIME-Version, Content-Type,
 * Content-Transfer-Encoding), unfolded with white space collapsed, in order,
 * then the body with CRLF read as LF. Received, Return-Path, Delivered-To,
 * DKIM/ARC signatures and every other header are left out. Returns 1 with
 * out[32] set, or 0 when the message has no Message-ID (then nothing counts
 * as its redelivery). */
int ingest_content_hash(const char *raw, size_t len, unsigned char out[32]);

#endif
