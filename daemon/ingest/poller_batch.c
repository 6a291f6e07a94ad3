/* SPDX-License-Identifier: MIT */
/* One batch of a pass: fetched and prepared, stored in one transaction
 * with its checkpoint (then a lease renewal), freed. `poll --once` stores a
 * pass's batches with writer threads (poller_writers.c), `draftd run` with
 * a thread per batch (poller_chain.c). */
#include "daemon/ingest/poller_int.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "daemon/ingest/ingest.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* The most a header block fetched for an oversized message may be. */
#define POLLER_HEADER_MAX (16u * 1024 * 1024)

struct poller_batch {
	uint32_t *fu, *hu; /* UIDs fetched whole / headers only */
	struct imap_msg *full, *head, **order;
	struct ingest_msg *msgs;
	const struct store_ingest_msg **rows;
	size_t count, nf, nh, n;
	uint32_t after_uid, upto_uid; /* the batch covers (after_uid, upto_uid] */
	bool slot;                    /* holds one of pm->batch_slots */
};

void poller_batch_free(struct poller_mailbox *pm, struct poller_batch **bp)
{
	struct poller_batch *b = *bp;
	bool slot;

	if (b == NULL)
		return;
	for (size_t i = 0; b->msgs != NULL && i < b->count; i++)
		ingest_msg_clear(&b->msgs[i]);
	imap_msgs_free(b->full, b->nf);
	imap_msgs_free(b->head, b->nh);
	free(b->fu);
	free(b->hu);
	free(b->full);
	free(b->head);
	free(b->order);
	free(b->msgs);
	free(b->rows);
	slot = b->slot;
	free(b);
	*bp = NULL;
	if (slot) {
		/* `draftd run`: a batch's parse trees, bodies and rows were
		 * megabytes in many small pieces, freed in a different order
		 * than taken, and glibc gives back only the top of a heap, so
		 * without this the holes add up across arenas (20 mailboxes: 2
		 * MB more at the high-water mark). About 0.5 ms per batch;
		 * before the slot is given back, so the next batch is not
		 * slowed by it. `poll --once` exits instead. */
		(void)malloc_trim(0);
		sem_post(pm->batch_slots);
	}
}

/* Merges the two fetches of a batch into order, by UID. */
static void poller_merge(struct poller_batch *b)
{
	size_t x = 0, y = 0;

	b->n = 0;
	while (x < b->nf || y < b->nh) {
		if (y >= b->nh || (x < b->nf && b->full[x].uid < b->head[y].uid))
			b->order[b->n++] = &b->full[x++];
		else
			b->order[b->n++] = &b->head[y++];
	}
}

static int poller_batch_alloc(size_t count, struct poller_batch **b_r)
{
	struct poller_batch *b = calloc(1, sizeof(*b));

	*b_r = b;
	if (b == NULL)
		return -1;
	b->count = count;
	b->fu = calloc(count, sizeof(*b->fu));
	b->hu = calloc(count, sizeof(*b->hu));
	b->full = calloc(count, sizeof(*b->full));
	b->head = calloc(count, sizeof(*b->head));
	b->order = calloc(count, sizeof(*b->order));
	b->msgs = calloc(count, sizeof(*b->msgs));
	b->rows = calloc(count, sizeof(*b->rows));
	return b->fu == NULL || b->hu == NULL || b->full == NULL || b->head == NULL ||
			       b->order == NULL || b->msgs == NULL || b->rows == NULL
		       ? -1
		       : 0;
}

/* Waits for one of pm's batch slots (`draftd run`; none for `poll --once`). */
void poller_slot_take(struct poller_mailbox *pm)
{
	if (pm->batch_slots != NULL) {
		while (sem_wait(pm->batch_slots) < 0)
			; /* EINTR: wait on */
	}
}

/* Fetches uids[count] (already sized) and prepares their rows, holding one
 * of pm's batch slots (taken here unless slot_held) until the batch is
 * freed. Returns 0 with *b_r, or -1 (reason in err, *b_r NULL). */
int poller_batch_fetch(struct poller_mailbox *pm, uint32_t after_uid, const uint32_t *uids,
		       const uint32_t *sizes, size_t count, const struct mime_limits *limits,
		       bool slot_held, struct poller_times *t, struct poller_batch **b_r,
		       struct error *err)
{
	struct poller_batch *b = NULL;
	uint64_t t0 = time_mono_ms();
	size_t i;
	int alloc, ret = -1;

	/* the slot first: pollers waiting for one hold no batch memory */
	if (!slot_held)
		poller_slot_take(pm);
	alloc = poller_batch_alloc(count, &b);
	if (b != NULL)
		b->slot = pm->batch_slots != NULL; /* given back when b is freed */
	else if (pm->batch_slots != NULL)
		sem_post(pm->batch_slots);
	if (alloc < 0) {
		error_set(err, "out of memory");
		goto out;
	}
	b->after_uid = after_uid;
	b->upto_uid = uids[count - 1];
	for (i = 0; i < count; i++) {
		if (sizes[i] == 0)
			continue; /* expunged meanwhile */
		if (sizes[i] > limits->max_message_size)
			b->hu[b->nh++] = uids[i];
		else
			b->fu[b->nf++] = uids[i];
	}
	if ((b->nf > 0 && imap_fetch_messages(pm->conn, b->fu, b->nf, false,
					      limits->max_message_size, b->full) < 0) ||
	    (b->nh > 0 &&
	     imap_fetch_messages(pm->conn, b->hu, b->nh, true, POLLER_HEADER_MAX, b->head) < 0)) {
		error_set(err, "%s", imap_error(pm->conn));
		goto out;
	}
	poller_merge(b);
	t->fetch += time_mono_ms() - t0;
	t0 = time_mono_ms();
	for (i = 0; i < b->n; i++) {
		const struct imap_msg *m = b->order[i];
		struct error why;

		if (m->data == NULL)
			continue;
		pm->counts.fetched++;
		log_ctx_setf("uid", "%u", m->uid);
		if (ingest_prepare(m, limits, &b->msgs[i], &why) < 0) {
			error_set(err, "UID %u: %s", m->uid, error_msg(&why));
			log_ctx_set("uid", NULL);
			goto out;
		}
		b->rows[i] = &b->msgs[i].row;
		if (b->msgs[i].row.is_oversized)
			log_warn(
				"message of %u bytes is over max_message_size: headers only, for a "
				"human",
				m->size);
		if (b->msgs[i].mime->flags & MIME_FLAG_MALFORMED)
			log_info("malformed MIME, stored best effort");
		log_ctx_set("uid", NULL);
	}
	t->prepare += time_mono_ms() - t0;
	*b_r = b;
	b = NULL;
	ret = 0;
out:
	poller_batch_free(pm, &b);
	return ret;
}

/* Messages stored with a pipeline job: neither screened nor redeliveries. */
static unsigned int poller_jobs(const struct store_ingest_counts *c)
{
	return c->stored - c->screened - c->duplicates;
}

/* Stores b with its checkpoint and renews the lease (a long first fetch
 * must not outlive it) in the batch's own transaction: a commit apart for
 * the lease cost each batch a second WAL flush. Returns 0, or -1 (also when
 * the lease is lost). */
int poller_batch_store(struct poller_mailbox *pm, struct store *st, uint32_t uidvalidity,
		       const struct poller_batch *b, const struct store_ingest_reserved *reserved,
		       struct store_ingest_counts *counts, uint64_t *ms, struct error *err)
{
	struct store_ingest_counts got = {0, 0, 0, 0};
	struct store *s = st != NULL ? st : pm->store;
	bool borrowed = st == NULL && pm->pool != NULL;
	uint64_t t0 = time_mono_ms();
	int r = -1;

	/* borrowed into a local, not pm->store: batches of one mailbox may
	 * be stored by several threads at once (poller_chain.c) */
	if (borrowed && store_pool_get(pm->pool, &s, err) < 0)
		return -1;
	if (store_ingest_batch_ordered(s, pm->id, pm->owner, uidvalidity, b->rows, b->n,
				       b->after_uid, b->upto_uid, reserved, pm->lease_ttl,
				       &got) < 0) {
		error_set(err, "%s", store_error(s));
		goto out;
	}
	counts->stored += got.stored;
	counts->duplicates += got.duplicates;
	counts->already += got.already;
	counts->screened += got.screened;
	if (pm->queued != NULL && poller_jobs(&got) > 0)
		pm->queued(pm->stop_ctx);
	r = 0;
	*ms += time_mono_ms() - t0;
out:
	if (borrowed)
		store_pool_put(pm->pool, &s);
	return r;
}

/* Whether a row of b has h as its sha256 (content false) or as its
 * content_sha256 (content true). */
static bool poller_batch_has(const struct poller_batch *b, const unsigned char h[32], bool content)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct store_ingest_msg *m = b->rows[i];

		if (m == NULL || (content && !m->has_content_sha256))
			continue;
		if (memcmp(h, content ? m->content_sha256 : m->sha256, 32) == 0)
			return true;
	}
	return false;
}

bool poller_batch_overlap(const struct poller_batch *a, const struct poller_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct store_ingest_msg *m = b->rows[i];

		if (m != NULL &&
		    (poller_batch_has(a, m->sha256, false) ||
		     (m->has_content_sha256 && poller_batch_has(a, m->content_sha256, true))))
			return true;
	}
	return false;
}

/* How many of the chunk's sizes[] (the first always) fit in one batch's
 * POLLER_BATCH_BYTES; oversized ones count nothing (headers only). */
size_t poller_batch_cut(const uint32_t *sizes, size_t chunk, const struct mime_limits *limits)
{
	uint64_t bytes = 0;
	size_t k;

	for (k = 0; k < chunk; k++) {
		uint32_t s = sizes[k] > limits->max_message_size ? 0 : sizes[k];

		if (k > 0 && bytes + s > POLLER_BATCH_BYTES)
			break;
		bytes += s;
	}
	return k;
}
