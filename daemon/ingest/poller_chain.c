/* SPDX-License-Identifier: MIT */
/* A pass of `draftd run` as a chain of batch threads (poller_int.h): the
 * poller's thread sizes a batch, waits for a batch slot, and only then
 * starts a thread that fetches, parses, stores and frees that batch and
 * ends. While batch k is stored, the poller's thread sizes batch k+1 and
 * starts its thread once it has a slot; k+1 joins k before it stores. So
 * a mailbox waiting for a slot keeps no thread with a cache of freed
 * blocks, and a pass with many batches keeps none between them. */
#include "daemon/ingest/poller_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "daemon/imap/imap_fetch.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* A batch thread parses MIME as the poller's thread would: its stack. */
#define CHAIN_STACK (512u * 1024)

/* What the batches of one pass share. */
struct chain {
	struct poller_mailbox *pm;
	uint32_t uidvalidity;
	struct mime_limits limits;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool failed;           /* guarded by lock: a batch failed, none more is stored */
	struct error err;      /* guarded by lock: the first failure's reason */
	struct poller_times t; /* guarded by lock: summed over the batches */
};

/* One batch: uids[count] and their sizes. */
struct chain_link {
	struct chain *c;
	uint32_t after_uid; /* the batch covers the UIDs above it up to its last */
	const uint32_t *uids;
	uint32_t *sizes;
	size_t count;
	struct chain_link *prev; /* joined (and freed) before this one stores */
	pthread_t tid;
	bool threaded;
	bool prepared; /* guarded by c->lock: the IMAP connection is free again */
};

static void chain_fail(struct chain *c, const struct error *err)
{
	pthread_mutex_lock(&c->lock);
	if (!c->failed) {
		c->failed = true;
		error_copy(&c->err, err);
	}
	pthread_mutex_unlock(&c->lock);
}

static bool chain_failed(struct chain *c)
{
	bool f;

	pthread_mutex_lock(&c->lock);
	f = c->failed;
	pthread_mutex_unlock(&c->lock);
	return f;
}

/* Waits for l's thread (NULL is fine) and frees l. */
static void chain_link_end(struct chain_link **lp)
{
	struct chain_link *l = *lp;

	if (l == NULL)
		return;
	if (l->threaded)
		pthread_join(l->tid, NULL);
	free(l->sizes);
	free(l);
	*lp = NULL;
}

/* Tells the poller's thread that l no longer uses the IMAP connection. */
static void chain_link_prepared(struct chain_link *l)
{
	pthread_mutex_lock(&l->c->lock);
	l->prepared = true;
	pthread_cond_broadcast(&l->c->cond);
	pthread_mutex_unlock(&l->c->lock);
}

/* The batch: fetched and parsed (its slot is held already), stored after
 * the previous one, freed. Failures go to the chain. */
static void chain_link_run(struct chain_link *l)
{
	struct chain *c = l->c;
	struct poller_times t = {0, 0, 0, 0, 0};
	struct poller_batch *b = NULL;
	struct error err;
	int r;

	r = poller_batch_fetch(c->pm, l->after_uid, l->uids, l->sizes, l->count, &c->limits, true,
			       &t, &b, &err);
	chain_link_prepared(l);
	chain_link_end(&l->prev); /* stored (or failed) before this one */
	if (r < 0)
		chain_fail(c, &err);
	else if (!chain_failed(c) && poller_batch_store(c->pm, NULL, c->uidvalidity, b,
							&c->pm->counts.store, &t.store, &err) < 0)
		chain_fail(c, &err);
	poller_batch_free(c->pm, &b);
	pthread_mutex_lock(&c->lock);
	c->t.fetch += t.fetch;
	c->t.prepare += t.prepare;
	c->t.store += t.store;
	pthread_mutex_unlock(&c->lock);
}

static void *chain_link_main(void *arg)
{
	struct chain_link *l = arg;

	log_ctx_set("mailbox", l->c->pm->mb->name);
	chain_link_run(l);
	log_ctx_clear();
	return NULL;
}

/* Starts l on a thread of its own (on this one when none can be had: it
 * then runs to its end here) and waits until the IMAP connection is free. */
static void chain_link_start(struct chain_link *l)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, CHAIN_STACK);
	l->threaded = pthread_create(&l->tid, &attr, chain_link_main, l) == 0;
	pthread_attr_destroy(&attr);
	if (!l->threaded) {
		chain_link_run(l);
		return;
	}
	pthread_mutex_lock(&l->c->lock);
	while (!l->prepared)
		pthread_cond_wait(&l->c->cond, &l->c->lock);
	pthread_mutex_unlock(&l->c->lock);
}

int poller_fetch_all_apart(struct poller_mailbox *pm, uint32_t uidvalidity, uint32_t after_uid,
			   const uint32_t *uids, size_t count, struct error *err)
{
	struct chain c;
	struct chain_link *last = NULL, *l;
	unsigned int batch = pm->mb->fetch_batch > 0 ? pm->mb->fetch_batch : 250;
	size_t i = 0, chunk, k;
	uint64_t t0;
	int ret = -1;

	if (pm->batch_slots == NULL)
		return poller_fetch_all(pm, uidvalidity, after_uid, uids, count, err);
	memset(&c, 0, sizeof(c));
	c.pm = pm;
	c.uidvalidity = uidvalidity;
	mime_limits_from_config(pm->config, &c.limits);
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	while (i < count && !chain_failed(&c)) {
		if (pm->stop != NULL && pm->stop(pm->stop_ctx))
			break;
		chunk = count - i < batch ? count - i : batch;
		l = calloc(1, sizeof(*l));
		if (l == NULL || (l->sizes = calloc(chunk, sizeof(*l->sizes))) == NULL) {
			free(l);
			error_set(err, "out of memory");
			chain_fail(&c, err);
			break;
		}
		t0 = time_mono_ms();
		if (imap_fetch_sizes(pm->conn, uids + i, chunk, l->sizes) < 0) {
			error_set(err, "%s", imap_error(pm->conn));
			chain_fail(&c, err);
			chain_link_end(&l);
			break;
		}
		pthread_mutex_lock(&c.lock);
		c.t.fetch += time_mono_ms() - t0;
		pthread_mutex_unlock(&c.lock);
		k = poller_batch_cut(l->sizes, chunk, &c.limits);
		l->c = &c;
		l->after_uid = i > 0 ? uids[i - 1] : after_uid;
		l->uids = uids + i;
		l->count = k;
		l->prev = last;
		t0 = time_mono_ms();
		poller_slot_take(pm); /* before the thread: a waiting pass has none */
		pthread_mutex_lock(&c.lock);
		c.t.hand += time_mono_ms() - t0;
		pthread_mutex_unlock(&c.lock);
		chain_link_start(l);
		last = l;
		i += k;
	}
	chain_link_end(&last); /* and, through each link, every one before it */
	if (c.failed)
		error_copy(err, &c.err);
	else
		ret = 0;
	log_debug("pass of %zu UIDs in batch threads: fetch %llu ms, prepare %llu ms, store %llu "
		  "ms; waited %llu ms for batch slots",
		  count, (unsigned long long)c.t.fetch, (unsigned long long)c.t.prepare,
		  (unsigned long long)c.t.store, (unsigned long long)c.t.hand);
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
	return ret;
}
