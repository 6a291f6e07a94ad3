/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_BATCH_INT_H
#define DRAFTD_STORE_BATCH_INT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/store/store_batch.h"

struct batch_rows;

/* An open batch: the audit rows of its results (written at the commit,
 * where a draft stored then adds its id); its messages, locked at BEGIN,
 * with whether each may get a live draft (checked under that lock); and
 * the rows its results write at the commit (store_batch_rows.c). */
struct store_batch {
	size_t n;
	char ids[STORE_BATCH_MAX][24];
	json_t *afters[STORE_BATCH_MAX];
	size_t n_msg;
	int64_t msg[STORE_BATCH_MAX];
	bool may_draft[STORE_BATCH_MAX];
	bool no_defer;  /* a message twice in the batch: nothing is deferred */
	PGresult *msgs; /* the messages' rows (store_batch_message()), or NULL */
	int parsed_version;
	struct batch_rows *rows;
};

/* Writes the deferred rows (store_batch_defer()) in one round trip and
 * adds each draft's id to its audit row. 0 (nothing deferred: no round
 * trip), or -1 (an error, or a job's lease was lost: the batch is to be
 * rolled back). */
int batch_rows_write(struct store *store) __attribute__((warn_unused_result));
void batch_rows_free(struct store_batch *b);

#endif
