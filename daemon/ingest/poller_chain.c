/* SPDX-License-Identifier: MIT */
/* A pass of `draftd run` as a chain of batch threads (poller_int.h): the
 * poller's thread sizes a batch, waits for a batch slot, and only then
 * starts a thread that fetches, parses, stores and frees that batch and
 * ends. While batch k is stored, the poller's thread sizes batch k+1 and
 * starts its thread once it has a slot. So a mailbox waiting for a slot
 * keeps no thread with a cache of freed blocks, and a pass with many
 * batches keeps none between them.
 *
 * With one pooled connection ([database] poller_connections = 1, the
 * default) k+1 joins k before it stores. With more, batches of one mailbox
 * store at once on different pooled connections and may commit out of UID
 * order (the checkpoint moves over contiguous committed batches only,
 * migration 0240): a batch waits only for an earlier one still in flight
 * that holds the same bytes or content, and the poller's thread joins the
 * batch threads that ended. */
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
	bool apart;            /* batches store at once (a pool of 2+ connections) */
	/* apart: the links not joined yet, oldest first; added and removed by
	 * the poller's thread, under lock */
	struct chain_link *links;
};

/* One batch: uids[count] and their sizes. */
struct chain_link {
	struct chain *c;
	uint32_t after_uid; /* the batch covers the UIDs above it up to its last */
	const uint32_t *uids;
	uint32_t *sizes;
	size_t count;
	struct chain_link *prev; /* not apart: joined (and freed) before this one stores */
	struct chain_link *next; /* apart: the next link of c->links */
	pthread_t tid;
	bool threaded;
	bool prepared; /* guarded by c->lock: the IMAP connection is free again */
	/* apart, guarded by c->lock: the batch from its fetch until stored */
	const struct poller_batch *batch;
	bool reserved; /* apart, guarded by c->lock: the batch's ids are taken */
	bool done;     /* apart, guarded by c->lock: the batch is over */
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

/* Tells the poller's thread that l no longer uses the IMAP connection,
 * and the later batches what l holds (b; NULL when its fetch failed). */
static void chain_link_prepared(struct chain_link *l, const struct poller_batch *b)
{
	pthread_mutex_lock(&l->c->lock);
	l->prepared = true;
	l->batch = b;
	pthread_cond_broadcast(&l->c->cond);
	pthread_mutex_unlock(&l->c->lock);
}

/* Apart: whether l's batch must wait for an earlier one still in flight:
 * until that one's rows have their ids (a mailbox's ids stay in UID order),
 * and, with same_mail only for one that holds the same bytes or content,
 * until it ended (l's lookup must see its rows). Under c->lock. */
static bool chain_link_behind(const struct chain_link *l, bool same_mail)
{
	for (const struct chain_link *o = l->c->links; o != NULL && o != l; o = o->next) {
		if (o->batch != NULL &&
		    ((!same_mail && !o->reserved) || poller_batch_overlap(o->batch, l->batch)))
			return true;
	}
	return false;
}

/* store_ingest_reserved's fn: l's batch has its ids. */
static void chain_link_reserved(void *arg)
{
	struct chain_link *l = arg;

	pthread_mutex_lock(&l->c->lock);
	l->reserved = true;
	pthread_cond_broadcast(&l->c->cond);
	pthread_mutex_unlock(&l->c->lock);
}

/* Waits for l's turn to store: after the batch before (not apart), or
 * once no earlier batch in flight holds the same mail. */
static void chain_link_turn(struct chain_link *l)
{
	struct chain *c = l->c;

	if (!c->apart) {
		chain_link_end(&l->prev); /* stored (or failed) before this one */
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (l->batch != NULL && chain_link_behind(l, true))
		log_debug("UIDs %u-%u wait for an earlier batch with the same mail", l->uids[0],
			  l->uids[l->count - 1]);
	while (!c->failed && l->batch != NULL && chain_link_behind(l, false))
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* The batch: fetched and parsed (its slot is held already), stored in
 * its turn, freed. Failures go to the chain. */
static void chain_link_run(struct chain_link *l)
{
	struct chain *c = l->c;
	struct poller_times t = {0, 0, 0, 0, 0};
	struct store_ingest_counts got = {0, 0, 0, 0};
	struct store_ingest_counts *sum = &c->pm->counts.store;
	struct store_ingest_reserved reserved = {chain_link_reserved, l};
	struct poller_batch *b = NULL;
	struct error err;
	int r;

	r = poller_batch_fetch(c->pm, l->after_uid, l->uids, l->sizes, l->count, &c->limits, true,
			       &t, &b, &err);
	chain_link_prepared(l, b);
	chain_link_turn(l);
	if (r < 0)
		chain_fail(c, &err);
	else if (!chain_failed(c) &&
		 poller_batch_store(c->pm, NULL, c->uidvalidity, b, c->apart ? &reserved : NULL,
				    &got, &t.store, &err) < 0)
		chain_fail(c, &err);
	pthread_mutex_lock(&c->lock);
	l->batch = NULL;
	sum->stored += got.stored;
	sum->duplicates += got.duplicates;
	sum->already += got.already;
	sum->screened += got.screened;
	c->t.fetch += t.fetch;
	c->t.prepare += t.prepare;
	c->t.store += t.store;
	pthread_cond_broadcast(&c->cond); /* a later batch may wait for this one */
	pthread_mutex_unlock(&c->lock);
	poller_batch_free(c->pm, &b);
	pthread_mutex_lock(&c->lock);
	l->done = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Apart: joins and frees the links whose batch is over; with all, waits
 * for every one. A link leaves c->links only once its batch is over: a
 * later batch waiting for it must find it there. The poller's thread only. */
static void chain_reap(struct chain *c, bool all)
{
	struct chain_link **pp, *l;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		for (pp = &c->links; (l = *pp) != NULL && !l->done; pp = &l->next)
			;
		if (l == NULL && all && c->links != NULL) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		if (l == NULL)
			break;
		*pp = l->next;
		pthread_mutex_unlock(&c->lock);
		chain_link_end(&l); /* its thread is ending: done was its last step */
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Apart: adds l at the end of c->links (before its thread starts). */
static void chain_add(struct chain *c, struct chain_link *l)
{
	struct chain_link **pp = &c->links;

	pthread_mutex_lock(&c->lock);
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = l;
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
	c.apart = pm->pool != NULL && pm->config->database.poller_connections > 1;
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
		l->prev = c.apart ? NULL : last;
		t0 = time_mono_ms();
		poller_slot_take(pm); /* before the thread: a waiting pass has none */
		pthread_mutex_lock(&c.lock);
		c.t.hand += time_mono_ms() - t0;
		pthread_mutex_unlock(&c.lock);
		if (c.apart) {
			chain_reap(&c, false);
			chain_add(&c, l);
		}
		chain_link_start(l);
		last = c.apart ? NULL : l;
		i += k;
	}
	chain_link_end(&last); /* and, through each link, every one before it */
	chain_reap(&c, true);
	if (c.failed)
		error_copy(err, &c.err);
	else
		ret = 0;
	log_debug("pass of %zu UIDs in batch threads%s: fetch %llu ms, prepare %llu ms, store %llu "
		  "ms; waited %llu ms for batch slots",
		  count, c.apart ? " storing at once" : "", (unsigned long long)c.t.fetch,
		  (unsigned long long)c.t.prepare, (unsigned long long)c.t.store,
		  (unsigned long long)c.t.hand);
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
	return ret;
}
