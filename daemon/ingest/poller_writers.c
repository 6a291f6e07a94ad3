/* SPDX-License-Identifier: MIT */
/* A pass of `draftd poll --once` (poller_int.h, poller_fetch_all()): the
 * poller's thread fetches and prepares batch after batch while
 * POLLER_WRITERS writer threads store them, each on a connection of its
 * own (the pass's, and one opened for the pass). PostgreSQL's side of a
 * pass is one backend working in series and was the longer side: of a
 * 10,000-message poll's 8.3 s, the writer stored for 8.0 s and the
 * fetching thread waited 4.7 s for it (issue 14).
 *
 * Batches go to the writers in UID order and may commit out of it: the
 * store moves the checkpoint over committed batches only where they are
 * contiguous (migration 0240), so a crash at any point loses nothing and
 * the next pass finds what was stored above the checkpoint by its UID. A
 * batch with the same bytes or content as an earlier batch still being
 * stored waits for that one to end, so that its lookup sees those rows: a
 * redelivery is marked as one and the same bytes are not stored twice, as
 * when one writer stored them in order. And a batch takes its rows' ids
 * (its lookup, the transaction's first statement) only after the batch
 * before took its own, so a mailbox's ids rise with its UIDs as before. At
 * most one batch waits for a free writer: POLLER_WRITERS + 2 batches in
 * memory. */
#include "daemon/ingest/poller_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "daemon/imap/imap_fetch.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* A writer's stack: libpq and the COPY encoding need little. */
#define WRITER_STACK (256u * 1024)

struct writers;

struct writer {
	struct writers *ws;
	pthread_t tid;
	struct store *store;               /* pm->store, owned, or NULL: pm's pool */
	struct store *owned;               /* opened for the pass, or NULL */
	const struct poller_batch *cur;    /* guarded by ws->lock: being stored */
	uint64_t seq;                      /* guarded by ws->lock: cur's place in the pass */
	bool reserved;                     /* guarded by ws->lock: cur's ids are taken */
	struct store_ingest_counts counts; /* read after the join */
};

struct writers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct poller_mailbox *pm;
	uint32_t uidvalidity;
	struct poller_batch *next; /* handed over, not taken yet */
	uint64_t taken;            /* batches taken so far */
	bool done;                 /* no more batches come */
	bool failed;               /* a batch failed: the rest are dropped */
	struct error err;
	uint64_t store_ms, idle_ms; /* summed over the writers */
	size_t n;
	struct writer w[POLLER_WRITERS];
};

/* Whether w's batch must wait for an earlier one another writer holds:
 * until that one's rows have their ids (so that a mailbox's ids stay in
 * UID order: the thread and message lists order by id), and, with
 * same_mail, only for one that holds the same mail, until it ended. Under
 * ws->lock. */
static bool writers_behind(const struct writers *ws, const struct writer *w, bool same_mail)
{
	for (size_t i = 0; i < ws->n; i++) {
		const struct writer *o = &ws->w[i];

		if (o == w || o->cur == NULL || o->seq > w->seq)
			continue;
		if ((!same_mail && !o->reserved) || poller_batch_overlap(o->cur, w->cur))
			return true;
	}
	return false;
}

/* store_ingest_reserved's fn: w's batch has its ids. */
static void writer_reserved(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->ws->lock);
	w->reserved = true;
	pthread_cond_broadcast(&w->ws->cond);
	pthread_mutex_unlock(&w->ws->lock);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct writers *ws = w->ws;
	struct store_ingest_reserved reserved = {writer_reserved, w};
	struct poller_batch *b;
	struct error err;
	uint64_t t0, t1, ms;
	int r;

	log_ctx_set("mailbox", ws->pm->mb->name);
	pthread_mutex_lock(&ws->lock);
	for (;;) {
		t0 = time_mono_ms();
		while (ws->next == NULL && !ws->done)
			pthread_cond_wait(&ws->cond, &ws->lock);
		b = ws->next;
		ws->next = NULL;
		if (b == NULL) {
			ws->idle_ms += time_mono_ms() - t0;
			break;
		}
		w->cur = b;
		w->seq = ++ws->taken;
		w->reserved = false;
		pthread_cond_broadcast(&ws->cond); /* room for the next one */
		t1 = time_mono_ms();
		if (writers_behind(ws, w, true))
			log_debug("batch %llu waits for an earlier batch with the same mail",
				  (unsigned long long)w->seq);
		while (!ws->failed && writers_behind(ws, w, false))
			pthread_cond_wait(&ws->cond, &ws->lock);
		ws->idle_ms += time_mono_ms() - t0;
		r = ws->failed ? -1 : 0;
		pthread_mutex_unlock(&ws->lock);
		ms = 0;
		log_debug("batch %llu: waited %llu ms for a batch, %llu ms for the one before",
			  (unsigned long long)w->seq, (unsigned long long)(t1 - t0),
			  (unsigned long long)(time_mono_ms() - t1));
		if (r == 0)
			r = poller_batch_store(ws->pm, w->store, ws->uidvalidity, b, &reserved,
					       &w->counts, &ms, &err);
		log_debug("batch %llu: stored in %llu ms (lease included)",
			  (unsigned long long)w->seq, (unsigned long long)ms);
		pthread_mutex_lock(&ws->lock);
		w->cur = NULL;
		ws->store_ms += ms;
		if (r < 0 && !ws->failed) {
			ws->failed = true;
			error_copy(&ws->err, &err);
		}
		pthread_cond_broadcast(&ws->cond);
		pthread_mutex_unlock(&ws->lock);
		poller_batch_free(ws->pm, &b);
		pthread_mutex_lock(&ws->lock);
	}
	pthread_mutex_unlock(&ws->lock);
	log_ctx_clear();
	return NULL;
}

/* Starts up to want writers: the first on pm's connection, the others on
 * connections opened for the pass (fewer when one cannot be had). Returns
 * how many started (0: the caller stores in place). */
static size_t writers_start(struct writers *ws, struct poller_mailbox *pm, uint32_t uidvalidity,
			    size_t want)
{
	pthread_attr_t attr;
	struct error err;

	memset(ws, 0, sizeof(*ws));
	ws->pm = pm;
	ws->uidvalidity = uidvalidity;
	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->cond, NULL);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, WRITER_STACK);
	for (size_t i = 0; i < want && i < POLLER_WRITERS; i++) {
		struct writer *w = &ws->w[ws->n];

		w->ws = ws;
		w->store = pm->pool != NULL ? NULL : pm->store; /* NULL: borrowed per batch */
		if (i > 0) {
			if (store_open(pm->config->database.url,
				       pm->config->database.connect_timeout, &w->owned, &err) < 0) {
				log_warn("a second connection for the writers: %s; storing on one",
					 error_msg(&err));
				break;
			}
			w->store = w->owned;
		}
		if (pthread_create(&w->tid, &attr, writer_main, w) != 0) {
			store_close(&w->owned);
			break;
		}
		ws->n++;
	}
	pthread_attr_destroy(&attr);
	if (ws->n == 0) {
		pthread_cond_destroy(&ws->cond);
		pthread_mutex_destroy(&ws->lock);
	}
	return ws->n;
}

/* Hands *bp to a writer once the one before was taken. Returns 0, or -1
 * when an earlier batch failed (its reason in err; *bp freed). */
static int writers_hand(struct writers *ws, struct poller_batch **bp, struct error *err)
{
	int ret = 0;

	pthread_mutex_lock(&ws->lock);
	while (ws->next != NULL && !ws->failed)
		pthread_cond_wait(&ws->cond, &ws->lock);
	if (ws->failed) {
		error_copy(err, &ws->err);
		ret = -1;
	} else {
		ws->next = *bp;
		*bp = NULL;
		pthread_cond_broadcast(&ws->cond);
	}
	pthread_mutex_unlock(&ws->lock);
	poller_batch_free(ws->pm, bp);
	return ret;
}

/* Lets the writers store what they were handed and stop; adds their counts
 * to pm's. Returns 0, or -1 with the first failure's reason in err (unless
 * err is NULL). */
static int writers_finish(struct writers *ws, struct error *err)
{
	struct store_ingest_counts *sum = &ws->pm->counts.store;

	pthread_mutex_lock(&ws->lock);
	ws->done = true;
	pthread_cond_broadcast(&ws->cond);
	pthread_mutex_unlock(&ws->lock);
	for (size_t i = 0; i < ws->n; i++) {
		struct writer *w = &ws->w[i];

		pthread_join(w->tid, NULL);
		store_close(&w->owned);
		sum->stored += w->counts.stored;
		sum->duplicates += w->counts.duplicates;
		sum->already += w->counts.already;
		sum->screened += w->counts.screened;
	}
	pthread_cond_destroy(&ws->cond);
	pthread_mutex_destroy(&ws->lock);
	if (ws->failed)
		error_copy(err, &ws->err); /* err may be NULL */
	return ws->failed ? -1 : 0;
}

int poller_fetch_all(struct poller_mailbox *pm, uint32_t uidvalidity, uint32_t after_uid,
		     const uint32_t *uids, size_t count, struct error *err)
{
	struct mime_limits limits;
	struct writers ws;
	struct poller_batch *b = NULL;
	struct poller_times t = {0, 0, 0, 0, 0};
	unsigned int batch = pm->mb->fetch_batch > 0 ? pm->mb->fetch_batch : 250;
	uint32_t *sizes = NULL;
	size_t i = 0, writers = 0;
	int ret = -1;

	mime_limits_from_config(pm->config, &limits);
	sizes = calloc(batch, sizeof(*sizes));
	if (sizes == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	/* one batch is stored where it was fetched; more overlap, and a pooled
	 * connection (borrowed per step) takes one writer */
	if (count > batch)
		writers =
			writers_start(&ws, pm, uidvalidity, pm->pool != NULL ? 1 : POLLER_WRITERS);
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
		if (poller_batch_fetch(pm, i > 0 ? uids[i - 1] : after_uid, uids + i, sizes, k,
				       &limits, false, &t, &b, err) < 0)
			goto out;
		t0 = time_mono_ms();
		if (writers > 0 ? writers_hand(&ws, &b, err) < 0
				: poller_batch_store(pm, NULL, uidvalidity, b, NULL,
						     &pm->counts.store, &t.store, err) < 0)
			goto out;
		if (writers > 0)
			t.hand += time_mono_ms() - t0;
		poller_batch_free(pm, &b);
		i += k;
	}
	ret = 0;
out:
	poller_batch_free(pm, &b);
	/* what was handed over is stored (or refused) before the pass goes on;
	 * a fetch error keeps its own reason */
	if (writers > 0) {
		uint64_t t0 = time_mono_ms();

		if (writers_finish(&ws, ret == 0 ? err : NULL) < 0)
			ret = -1;
		t.hand += time_mono_ms() - t0;
		t.store += ws.store_ms;
		t.idle += ws.idle_ms;
	}
	log_debug("pass of %zu UIDs: fetch %llu ms, prepare %llu ms, store %llu ms on %zu "
		  "writer(s); the fetching thread waited %llu ms for the writers, the writers "
		  "%llu ms for batches",
		  count, (unsigned long long)t.fetch, (unsigned long long)t.prepare,
		  (unsigned long long)t.store, writers > 0 ? writers : (size_t)1,
		  (unsigned long long)t.hand, (unsigned long long)t.idle);
	free(sizes);
	return ret;
}
