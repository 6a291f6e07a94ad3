/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_INGEST_INT_H
#define DRAFTD_STORE_INGEST_INT_H

/* Shared by the ingest files of daemon/store/ only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store_ingest.h"

/* Text for Postgres must be valid UTF-8 without NULs; the MIME module
 * promises that, but one bad byte must not block a mailbox forever. Returns
 * s itself when clean (NULL for NULL), else a cleaned copy put in *owned
 * (free it). */
const char *store_ingest_text(const char *s, char **owned);

/* The batch's lookup of what the mailbox holds (store_ingest_batch.c):
 * $1 mailbox, $2 UIDVALIDITY, $3/$4/$5 the rows' hex sha256, hex
 * content_sha256 ("" for none) and UID lists. Exposed for its plan's test. */
extern const char store_ingest_lookup_sql[];

/* One row of a batch being planned (store_ingest_plan()). */
struct store_ingest_row {
	/* in, from the lookup of what the mailbox holds */
	bool stored;        /* its bytes or its UID are stored already */
	int64_t stored_dup; /* a redelivery of this stored message (the original), or 0 */
	int64_t id;         /* the messages id reserved for it */
	/* out */
	bool insert;    /* goes into messages */
	int64_t dup_of; /* stored as a redelivery of this message, or 0 */
	/* the planner's own */
	bool repeat;  /* the same bytes as an earlier row of the batch */
	size_t first; /* the earlier row with its content, SIZE_MAX: none */
};

/* Decides rows[i].insert and rows[i].dup_of for msgs[count] (NULL entries:
 * not inserted) as the database's rules would: a row whose bytes or UID
 * are stored is left alone, as is the same bytes a second time in the
 * batch; a row with the content of a stored message (other bytes) is a
 * redelivery of that message's original; one with the content of an
 * earlier row of the batch is a redelivery of that row when that row goes
 * in, else mail of its own. Returns 0, or -1 out of memory. */
int store_ingest_plan(const struct store_ingest_msg *const *msgs, size_t count,
		      struct store_ingest_row *rows) __attribute__((warn_unused_result));

#endif
