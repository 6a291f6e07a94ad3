/* SPDX-License-Identifier: MIT */
/* One batch of a pass, and a whole pass of `poll --once` (`draftd run`
 * chains a thread per batch instead: poller_chain.c). A batch is fetched
 * and prepared by the poller's thread, stored
 * (with its checkpoint, then a lease renewal) by the same thread or, when a
 * pass has more than one batch, by a writer thread, so that the next batch
 * is fetched from IMAP while PostgreSQL writes this one. At most one batch
 * waits for the writer: two in memory per mailbox, and the writer stores
 * them in UID order, so the checkpoint only ever moves forward and a crash
 * between batches loses nothing (the next pass refetches above it). */
#include "daemon/ingest/poller_int.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "daemon/ingest/ingest.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* The most a header block fetched for an oversized message may be. */
#define POLLER_HEADER_MAX (16u * 1024 * 1024)
/* The writer's stack: libpq and the COPY encoding need little. */
#define POLLER_WRITER_STACK (256u * 1024)
/* A pass's fetch thread parses what the poller's thread would: its stack. */
#define POLLER_FETCH_STACK (512u * 1024)

struct poller_batch {
	uint32_t *fu, *hu; /* UIDs fetched whole / headers only */
	struct imap_msg *full, *head, **order;
	struct ingest_msg *msgs;
	const struct store_ingest_msg **rows;
	size_t count, nf, nh, n;
	uint32_t upto_uid; /* the checkpoint once stored */
	bool slot;         /* holds one of pm->batch_slots */
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
int poller_batch_fetch(struct poller_mailbox *pm, const uint32_t *uids, const uint32_t *sizes,
		       size_t count, const struct mime_limits *limits, bool slot_held,
		       struct poller_times *t, struct poller_batch **b_r, struct error *err)
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
 * must not outlive it). Returns 0, or -1 (also when the lease is lost). */
int poller_batch_store(struct poller_mailbox *pm, uint32_t uidvalidity,
		       const struct poller_batch *b, uint64_t *ms, struct error *err)
{
	struct store_ingest_counts before = pm->counts.store;
	uint64_t t0 = time_mono_ms();
	int r;

	if (poller_db_get(pm, err) < 0)
		return -1;
	if (store_ingest_batch(pm->store, pm->id, pm->owner, uidvalidity, b->rows, b->n,
			       b->upto_uid, &pm->counts.store) < 0) {
		error_set(err, "%s", store_error(pm->store));
		poller_db_put(pm);
		return -1;
	}
	/* the jobs are committed: a worker takes them while the lease is
	 * renewed (one round trip less between an arrival and its draft) */
	if (pm->queued != NULL && poller_jobs(&pm->counts.store) > poller_jobs(&before))
		pm->queued(pm->stop_ctx);
	r = poller_lease(pm, err);
	poller_db_put(pm);
	*ms += time_mono_ms() - t0;
	return r == 1 ? 0 : -1;
}

/* The writer of one pass: takes handed-over batches one at a time. */
struct poller_writer {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct poller_mailbox *pm;
	uint32_t uidvalidity;
	struct poller_batch *next; /* handed over, not taken yet */
	bool done;                 /* no more batches come */
	bool failed;               /* a batch failed: the rest are dropped */
	struct error err;
	uint64_t store_ms, idle_ms; /* read after the join */
};

static void *poller_writer_main(void *arg)
{
	struct poller_writer *w = arg;
	struct poller_batch *b;
	struct error err;
	uint64_t t0;
	int r;

	log_ctx_set("mailbox", w->pm->mb->name);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		t0 = time_mono_ms();
		while (w->next == NULL && !w->done)
			pthread_cond_wait(&w->cond, &w->lock);
		w->idle_ms += time_mono_ms() - t0;
		b = w->next;
		w->next = NULL;
		pthread_cond_broadcast(&w->cond); /* room for the next one */
		if (b == NULL)
			break;
		r = w->failed ? -1 : 0;
		pthread_mutex_unlock(&w->lock);
		if (r == 0)
			r = poller_batch_store(w->pm, w->uidvalidity, b, &w->store_ms, &err);
		poller_batch_free(w->pm, &b);
		pthread_mutex_lock(&w->lock);
		if (r < 0 && !w->failed) {
			w->failed = true;
			error_copy(&w->err, &err);
			pthread_cond_broadcast(&w->cond);
		}
	}
	pthread_mutex_unlock(&w->lock);
	log_ctx_clear();
	return NULL;
}

static int poller_writer_start(struct poller_writer *w, struct poller_mailbox *pm,
			       uint32_t uidvalidity)
{
	pthread_attr_t attr;
	int r;

	memset(w, 0, sizeof(*w));
	w->pm = pm;
	w->uidvalidity = uidvalidity;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, POLLER_WRITER_STACK);
	r = pthread_create(&w->tid, &attr, poller_writer_main, w);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return -1;
	}
	return 0;
}

/* Hands *bp to the writer once it took the previous one. Returns 0, or -1
 * when an earlier batch failed (its reason in err; *bp freed). */
static int poller_writer_hand(struct poller_writer *w, struct poller_batch **bp, struct error *err)
{
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	while (w->next != NULL && !w->failed)
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->failed) {
		error_copy(err, &w->err);
		ret = -1;
	} else {
		w->next = *bp;
		*bp = NULL;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	poller_batch_free(w->pm, bp);
	return ret;
}

/* Lets the writer store what it was handed and stop. Returns 0, or -1 with
 * the first failure's reason in err (unless err is NULL). */
static int poller_writer_finish(struct poller_writer *w, struct error *err)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->tid, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	if (w->failed)
		error_copy(err, &w->err); /* err may be NULL */
	return w->failed ? -1 : 0;
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

int poller_fetch_all(struct poller_mailbox *pm, uint32_t uidvalidity, const uint32_t *uids,
		     size_t count, struct error *err)
{
	struct mime_limits limits;
	struct poller_writer w;
	struct poller_batch *b = NULL;
	struct poller_times t = {0, 0, 0, 0, 0};
	unsigned int batch = pm->mb->fetch_batch > 0 ? pm->mb->fetch_batch : 250;
	uint32_t *sizes = NULL;
	bool writer = false;
	size_t i = 0;
	int ret = -1;

	mime_limits_from_config(pm->config, &limits);
	sizes = calloc(batch, sizeof(*sizes));
	if (sizes == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	/* one batch is stored where it was fetched; more overlap */
	if (count > batch && poller_writer_start(&w, pm, uidvalidity) == 0)
		writer = true;
	while (i < count) {
		size_t chunk = count - i < batch ? count - i : batch, k;

		if (pm->stop != NULL && pm->stop(pm->stop_ctx))
			break;
		uint64_t t0 = time_mono_ms();

		if (imap_fetch_sizes(pm->conn, uids + i, chunk, sizes) < 0) {
			error_set(err, "%s", imap_error(pm->conn));
			goto out;
		}
		t.fetch += time_mono_ms() - t0;
		k = poller_batch_cut(sizes, chunk, &limits);
		if (poller_batch_fetch(pm, uids + i, sizes, k, &limits, false, &t, &b, err) < 0)
			goto out;
		t0 = time_mono_ms();
		if (writer ? poller_writer_hand(&w, &b, err) < 0
			   : poller_batch_store(pm, uidvalidity, b, &t.store, err) < 0)
			goto out;
		if (writer)
			t.hand += time_mono_ms() - t0;
		poller_batch_free(pm, &b);
		i += k;
	}
	ret = 0;
out:
	poller_batch_free(pm, &b);
	/* what was handed over is stored (or refused) before the pass goes on;
	 * a fetch error keeps its own reason */
	if (writer) {
		uint64_t t0 = time_mono_ms();

		if (poller_writer_finish(&w, ret == 0 ? err : NULL) < 0)
			ret = -1;
		t.hand += time_mono_ms() - t0;
		t.store += w.store_ms;
		t.idle += w.idle_ms;
	}
	log_debug("pass of %zu UIDs: fetch %llu ms, prepare %llu ms, store %llu ms; the fetching "
		  "thread waited %llu ms for the writer, the writer %llu ms for batches",
		  count, (unsigned long long)t.fetch, (unsigned long long)t.prepare,
		  (unsigned long long)t.store, (unsigned long long)t.hand,
		  (unsigned long long)t.idle);
	free(sizes);
	return ret;
}
