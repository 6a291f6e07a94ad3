/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_BATCH_H
#define DRAFTD_STORE_BATCH_H

#include <stdbool.h>

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

/* Opens a batch (BEGIN). 0, or -1 (no batch open). */
int store_batch_begin(struct store *store) __attribute__((warn_unused_result));
/* Appends the batch's audit rows and commits, in one round trip. 0, or -1
 * (nothing of the batch was stored; the batch is closed either way). */
int store_batch_commit(struct store *store) __attribute__((warn_unused_result));
/* Rolls the open batch back and closes it; no batch is fine. */
void store_batch_abort(struct store *store);
/* A batch is open on this connection. */
bool store_batch_open(const struct store *store);

#endif
