/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_batch.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "daemon/store/store_private.h"

/* The audit rows of the batch's results, written at the commit. */
struct store_batch {
	size_t n;
	char ids[STORE_BATCH_MAX][24];
	char *afters[STORE_BATCH_MAX];
};

void store_batch_free(struct store *store)
{
	struct store_batch *b = store->batch;

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->afters[i]);
	free(b);
	store->batch = NULL;
}

bool store_batch_open(const struct store *store)
{
	return store->batch != NULL;
}

int store_batch_begin(struct store *store)
{
	int ret = -1;

	if (store->batch != NULL) {
		error_set(&store->err, "a batch is open already");
		goto out;
	}
	store->batch = calloc(1, sizeof(*store->batch));
	if (store->batch == NULL) {
		error_set(&store->err, "opening a batch: out of memory");
		goto out;
	}
	if (store_command(store, "BEGIN") < 0) {
		store_batch_free(store);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

int store_batch_audit_add(struct store *store, const char *object_id, const json_t *after)
{
	struct store_batch *b = store->batch;
	int ret = -1;

	if (b->n >= STORE_BATCH_MAX) {
		error_set(&store->err, "the batch is full (%d results)", STORE_BATCH_MAX);
		goto out;
	}
	b->afters[b->n] = json_dumps(after, JSON_COMPACT);
	if (b->afters[b->n] == NULL) {
		error_set(&store->err, "audit: out of memory");
		goto out;
	}
	str_copy(b->ids[b->n], sizeof(b->ids[b->n]), object_id);
	b->n++;
	ret = 0;
out:
	return ret;
}

int store_batch_commit(struct store *store)
{
	struct store_batch *b = store->batch;
	const char *ids[STORE_BATCH_MAX];
	int ret = -1;

	if (b == NULL) {
		error_set(&store->err, "no batch is open");
		return -1;
	}
	for (size_t i = 0; i < b->n; i++)
		ids[i] = b->ids[i];
	if (b->n == 0)
		ret = store_command(store, "COMMIT");
	else
		ret = store_audit_commit_many(store, "pipeline", "message.decide", ids,
					      (const char *const *)b->afters, b->n);
	if (ret < 0)
		store_rollback(store);
	store_batch_free(store);
	return ret;
}

void store_batch_abort(struct store *store)
{
	if (store->batch == NULL)
		return;
	store_rollback(store);
	store_batch_free(store);
}
