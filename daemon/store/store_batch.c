/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_batch_int.h"
#include "daemon/store/store_private.h"

void store_batch_free(struct store *store)
{
	struct store_batch *b = store->batch;

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->afters[i]);
	batch_rows_free(b);
	PQclear(b->msgs);
	free(b);
	store->batch = NULL;
}

bool store_batch_open(const struct store *store)
{
	return store->batch != NULL;
}

/* Reads the check's rows (id, may draft) into the batch. 0 or -1. */
static int batch_checked(struct store *store, const PGresult *res)
{
	struct store_batch *b = store->batch;
	uint64_t id;

	for (int i = 0; i < PQntuples(res) && b->n_msg < STORE_BATCH_MAX; i++) {
		if (parse_u64(PQgetvalue(res, i, 0), INT64_MAX, &id) < 0) {
			error_set(&store->err, "checking the batch's messages: unexpected answer");
			return -1;
		}
		b->msg[b->n_msg] = (int64_t)id;
		b->may_draft[b->n_msg] = PQgetvalue(res, i, 1)[0] == 't';
		b->n_msg++;
	}
	return 0;
}

int store_batch_begin(struct store *store, const int64_t *message_ids, size_t n, int parsed_version)
{
	struct buf arr;
	char vbuf[16];
	const char *params[2] = {NULL, vbuf};
	struct store_q q[4] = {
		{"starting the batch", "BEGIN", 0, NULL, NULL},
		/* in the id order, the same in every batch */
		{"locking the batch's messages",
		 "SELECT 1 FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", 1,
		 params, NULL},
		/* a statement of its own: its snapshot is taken after the locks */
		{"checking the batch's messages",
		 "SELECT m.id, m.status = 'open' AND NOT EXISTS (SELECT 1 FROM drafts d"
		 " WHERE d.message_id = m.id AND d.status IN ('pending', 'claimed',"
		 " 'approved')) FROM messages m WHERE m.id = ANY($1::bigint[])",
		 1, params, NULL},
		{"reading the batch's messages",
		 "SELECT m.id, mb.name, NULL, m.raw IS NOT NULL, m.screen_reason, m.is_duplicate,"
		 " m.is_oversized, m.forced_category, m.parsed FROM messages m JOIN mailboxes mb"
		 " ON mb.id = m.mailbox_id WHERE m.id = ANY($1::bigint[]) AND m.parsed_version = $2"
		 " AND m.parsed IS NOT NULL",
		 2, params, NULL},
	};
	char num[24];
	bool dup = false;
	int ret = -1;

	buf_init(&arr, 32 * STORE_BATCH_MAX);
	if (store->batch != NULL) {
		error_set(&store->err, "a batch is open already");
		goto out;
	}
	if (n > STORE_BATCH_MAX) {
		error_set(&store->err, "a batch of %zu messages (at most %d)", n, STORE_BATCH_MAX);
		goto out;
	}
	if (buf_append(&arr, "{", 1) < 0)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++)
			dup = dup || message_ids[j] == message_ids[i];
		snprintf(num, sizeof(num), "%s%lld", i > 0 ? "," : "", (long long)message_ids[i]);
		if (buf_append(&arr, num, strlen(num)) < 0)
			goto oom;
	}
	if (buf_append(&arr, "}", 1) < 0)
		goto oom;
	params[0] = arr.data;
	store->batch = calloc(1, sizeof(*store->batch));
	if (store->batch == NULL)
		goto oom;
	snprintf(vbuf, sizeof(vbuf), "%d", parsed_version);
	if (store_exec_many(store, q, 4) < 0) {
		store_rollback(store);
		store_batch_free(store);
		goto out;
	}
	/* two jobs of one message: stored one after the other, as they come */
	store->batch->no_defer = dup;
	ret = batch_checked(store, q[2].res);
	if (!dup) {
		/* kept until the batch ends */
		store->batch->msgs = q[3].res;
		store->batch->parsed_version = parsed_version;
		q[3].res = NULL;
	}
	store_q_clear(q, 4);
	if (ret < 0) {
		store_rollback(store);
		store_batch_free(store);
	}
	goto out;
oom:
	error_set(&store->err, "opening a batch: out of memory");
out:
	buf_free(&arr);
	return ret;
}

const struct pg_result *store_batch_message(const struct store *store, int64_t message_id,
					    int parsed_version, int *row_r)
{
	const struct store_batch *b = store->batch;
	char id[24];

	if (b == NULL || b->msgs == NULL || b->parsed_version != parsed_version)
		return NULL;
	snprintf(id, sizeof(id), "%lld", (long long)message_id);
	for (int i = 0; i < PQntuples(b->msgs); i++) {
		if (strcmp(PQgetvalue(b->msgs, i, 0), id) == 0) {
			*row_r = i;
			return b->msgs;
		}
	}
	return NULL;
}

int store_batch_may_draft(const struct store *store, int64_t message_id)
{
	const struct store_batch *b = store->batch;

	for (size_t i = 0; b != NULL && i < b->n_msg; i++) {
		if (b->msg[i] == message_id)
			return b->may_draft[i] ? 1 : 0;
	}
	return -1;
}

int store_batch_audit_add(struct store *store, const char *object_id, const json_t *after)
{
	struct store_batch *b = store->batch;
	int ret = -1;

	if (b->n >= STORE_BATCH_MAX) {
		error_set(&store->err, "the batch is full (%d results)", STORE_BATCH_MAX);
		goto out;
	}
	/* kept, not written out: a draft stored at the commit adds its id */
	b->afters[b->n] = json_incref((json_t *)after);
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
	char *texts[STORE_BATCH_MAX];
	size_t i, n = 0;
	int ret = -1;

	if (b == NULL) {
		error_set(&store->err, "no batch is open");
		return -1;
	}
	if (batch_rows_write(store) < 0)
		goto out;
	for (n = 0; n < b->n; n++) {
		ids[n] = b->ids[n];
		texts[n] = json_dumps(b->afters[n], JSON_COMPACT);
		if (texts[n] == NULL) {
			error_set(&store->err, "audit: out of memory");
			goto out;
		}
	}
	if (b->n == 0)
		ret = store_command(store, "COMMIT");
	else
		ret = store_audit_commit_many(store, "pipeline", "message.decide", ids,
					      (const char *const *)texts, b->n);
out:
	for (i = 0; i < n; i++)
		free(texts[i]);
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
