/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_BATCH_H
#define DRAFTD_STORE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store.h"

/* A batch: the results of several pipeline runs stored in ONE transaction
 * (issue 14: one commit, one flush of the WAL and one append to the audit
 * chain per batch instead of per message). Between store_batch_begin() and
 * store_batch_commit() every store_pipeline_finish() on this connection
 * writes into the open transaction and keeps its audit row, which the
 * commit appends to the chain with one set-based INSERT. A batch that is
 * not committed (an error, a lost lease, a crash) leaves nothing behind:
 * its jobs stay running under their lease and are redone. */

/* At most this many results in a batch ([agent] batch): each message's
 * lock is held until the commit, and the audit rows travel in one
 * statement. */
#define STORE_BATCH_MAX 32

/* Opens a batch for the messages message_ids[0..n) (n <= STORE_BATCH_MAX),
 * in one round trip: BEGIN, the messages locked in id order (one statement
 * instead of one per message, issue 14; the reviewers' decisions lock the
 * message first too), then whether each may get a live draft (open, none
 * pending, claimed or approved), checked once the locks are held and kept
 * for store_batch_may_draft(), and the rows the pipeline reads
 * (store_batch_message()). 0, or -1 (no batch open). */
int store_batch_begin(struct store *store, const int64_t *message_ids, size_t n, int parsed_version)
	__attribute__((warn_unused_result));
/* The open batch's row for message_id, read after its locks in the same
 * round trip as the BEGIN, when its stored parse is of parsed_version (a
 * message to be parsed from raw is read on its own, raw being as large as
 * a mail may be): the row's columns 1.. are store_pipeline_message()'s
 * (with raw NULL), *row_r its row; NULL when none. */
struct pg_result;
const struct pg_result *store_batch_message(const struct store *store, int64_t message_id,
					    int parsed_version, int *row_r);
/* Whether the open batch's check let message_id get a live draft: 1 yes,
 * 0 no, -1 not a message of the batch (no batch open: -1). */
int store_batch_may_draft(const struct store *store, int64_t message_id);
/* Appends the batch's audit rows and commits, in one round trip. 0, or -1
 * (nothing of the batch was stored; the batch is closed either way). */
int store_batch_commit(struct store *store) __attribute__((warn_unused_result));
/* Rolls the open batch back and closes it; no batch is fine. */
void store_batch_abort(struct store *store);
/* A batch is open on this connection. */
bool store_batch_open(const struct store *store);

#endif
