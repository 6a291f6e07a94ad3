/* SPDX-License-Identifier: MIT */
/* service_pollers: one thread per configured mailbox, each polling on its
 * schedule, on request or waking from IDLE, reconnecting with backoff on any
 * error. SIGHUP applies a changed mailbox list without a restart. */
#include "daemon/ingest/poller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/service/daemon.h"
#include "daemon/imap/imap_idle.h"
#include "daemon/metrics/obs.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* IDLE is re-issued before servers drop it (RFC 2177: 29 minutes). */
#define POLLER_IDLE_MAX_MS (29u * 60 * 1000)
/* How often a thread in IDLE renews its lease. */
#define POLLER_RENEW_MS (30u * 1000)
/* How often a waiting thread looks for a "poll now" request. */
#define POLLER_REQUEST_CHECK_MS 1000u
/* The most outstanding poll requests one check reads. */
#define POLLER_REQUESTS_MAX 1024
/* A poller's stack: TLS, IMAP parsing and MIME (its depth is bounded by
 * [limits]) need far less than the 8 MB default; hundreds of mailboxes
 * need not reserve 8 MB each. */
#define POLLER_STACK_SIZE     (512u * 1024)
#define POLLER_BACKOFF_MIN_MS 1000u
#define POLLER_BACKOFF_MAX_MS (5u * 60 * 1000)

struct pollers;

struct poller_thread {
	pthread_t tid;
	struct pollers *pollers;
	struct daemon *daemon;
	struct config *config; /* this thread's reference: mb points into it */
	const struct mailbox_config *mb;
	atomic_bool quit; /* SIGHUP removed or changed this mailbox */
	unsigned int seed;
	/* IDLE bookkeeping */
	struct poller_mailbox *pm;
	uint64_t renewed_ms;
	bool lease_lost;
};

/* Poll requests (POST /mailboxes/{name}/poll), read for every poller by
 * one query a second instead of one per mailbox. */
struct poll_requests {
	pthread_mutex_t lock;
	uint64_t checked_ms; /* 0: never */
	int64_t ids[POLLER_REQUESTS_MAX];
	size_t count;
};

/* The running threads. start, reload and stop all run in the daemon's
 * signal-handling thread, one at a time: no lock. The pool is what every
 * poller borrows its database connection from, one step at a time. */
struct pollers {
	struct daemon *daemon;
	struct store_pool *pool;
	sem_t batch_slots; /* two batches in memory per pooled connection */
	struct poll_requests requests;
	struct poller_thread **threads;
	size_t count, cap;
	unsigned int started; /* threads ever started, for the jitter seeds */
};

static bool poller_should_stop(void *ctx)
{
	struct poller_thread *t = ctx;

	return daemon_stopping(t->daemon) || atomic_load(&t->quit);
}

/* Whether POST /mailboxes/{name}/poll asked for a poll since the last one.
 * A request answers once (the list is refreshed at most every second, and
 * a served one drops out of it). A database outage answers no. */
static bool poller_requested(struct poller_thread *t)
{
	struct poll_requests *q = &t->pollers->requests;
	struct store *store = NULL;
	struct error err;
	bool hit = false;
	long n;

	if (t->pm->id == 0)
		return false;
	pthread_mutex_lock(&q->lock);
	if (q->checked_ms == 0 || time_mono_ms() - q->checked_ms >= POLLER_REQUEST_CHECK_MS) {
		q->checked_ms = time_mono_ms();
		q->count = 0;
		if (store_pool_get(t->pollers->pool, &store, &err) == 0) {
			n = store_ingest_poll_requests(store, q->ids, POLLER_REQUESTS_MAX);
			q->count = n > 0 ? (size_t)n : 0;
			store_pool_put(t->pollers->pool, &store);
		}
	}
	for (size_t i = 0; i < q->count && !hit; i++) {
		if (q->ids[i] == t->pm->id) {
			q->ids[i] = q->ids[--q->count];
			hit = true;
		}
	}
	pthread_mutex_unlock(&q->lock);
	if (hit)
		log_info("poll requested");
	return hit;
}

/* Wakes an idle pipeline worker of this process for the jobs just queued. */
static void poller_jobs_queued(void *ctx)
{
	struct poller_thread *t = ctx;

	daemon_work_notify(t->daemon);
}

/* Sleeps ms in slices, so a stop (daemon or this thread) is seen within a
 * slice. With requests, wakes early (true) for a poll request; false when
 * the time is up or the thread is to stop. */
static bool poller_wait(struct poller_thread *t, unsigned int ms, bool requests)
{
	uint64_t end = time_mono_ms() + ms, now;

	while (!poller_should_stop(t) && (now = time_mono_ms()) < end) {
		uint64_t left = end - now;

		if (daemon_sleep(t->daemon, left < POLLER_REQUEST_CHECK_MS
						    ? (unsigned int)left
						    : POLLER_REQUEST_CHECK_MS))
			break;
		if (requests && poller_requested(t))
			return true;
	}
	return false;
}

/* Called every second in IDLE: stop when the daemon or this thread stops or
 * a poll is requested, renew the lease. */
static bool poller_idle_check(void *ctx)
{
	struct poller_thread *t = ctx;
	struct error dberr;
	char err[300];
	int r;

	if (poller_should_stop(t) || poller_requested(t))
		return true;
	if (time_mono_ms() - t->renewed_ms < POLLER_RENEW_MS)
		return false;
	t->renewed_ms = time_mono_ms();
	if (poller_db_get(t->pm, &dberr) < 0)
		return false; /* the lease outlives a short database outage */
	r = store_ingest_lease_take(t->pm->store, t->pm->id, t->pm->owner, t->pm->lease_ttl, NULL,
				    err, sizeof(err));
	poller_db_put(t->pm);
	if (r == 0) {
		log_warn("lost the mailbox lease to %s", err);
		t->lease_lost = true;
		return true;
	}
	return false;
}

/* Exponential backoff with jitter: half fixed, half random. */
static unsigned int poller_backoff(struct poller_thread *t, unsigned int *backoff)
{
	unsigned int d;

	*backoff = *backoff == 0 ? POLLER_BACKOFF_MIN_MS : *backoff * 2;
	if (*backoff > POLLER_BACKOFF_MAX_MS)
		*backoff = POLLER_BACKOFF_MAX_MS;
	d = *backoff / 2 + (unsigned int)(rand_r(&t->seed) % (*backoff / 2 + 1));
	return d;
}

static void *poller_thread_main(void *arg)
{
	struct poller_thread *t = arg;
	struct poller_mailbox pm;
	unsigned int backoff = 0;
	struct error err;
	int r;

	log_ctx_set("mailbox", t->mb->name);
	poller_mailbox_init(&pm, t->config, t->mb, NULL);
	pm.pool = t->pollers->pool;
	pm.batch_slots = &t->pollers->batch_slots;
	pm.stop = poller_should_stop;
	pm.stop_ctx = t;
	pm.queued = poller_jobs_queued;
	t->pm = &pm;
	while (!poller_should_stop(t)) {
		r = poller_pass(&pm, &err);
		if (r != 0) /* 0: another instance holds the lease, no poll here */
			obs_mailbox_poll(t->mb->name, r > 0);
		if (r < 0)
			goto failed;
		if (r == 0) {
			log_info("%s; retrying in %u s", error_msg(&err), t->mb->poll_interval);
			(void)poller_wait(t, t->mb->poll_interval * 1000, false);
			continue;
		}
		if (backoff != 0)
			log_info("mailbox polled again after errors");
		backoff = 0;
		if (pm.conn != NULL &&
		    imap_idle_usable(pm.conn, t->mb->idle, t->mb->poll_interval)) {
			t->renewed_ms = time_mono_ms();
			t->lease_lost = false;
			obs_mailbox_idle(t->mb->name, true);
			r = imap_idle_wait(pm.conn, POLLER_IDLE_MAX_MS, poller_idle_check, t);
			obs_mailbox_idle(t->mb->name, false);
			if (r < 0) {
				obs_mailbox_idle_error(t->mb->name);
				error_set(&err, "%s", imap_error(pm.conn));
				imap_close(&pm.conn);
				goto failed;
			}
			if (t->lease_lost)
				imap_close(&pm.conn);
			continue;
		}
		(void)poller_wait(t, t->mb->poll_interval * 1000, true);
		continue;
	failed : {
		unsigned int wait = poller_backoff(t, &backoff);

		log_error("poll failed: %s; retrying in %u ms", error_msg(&err), wait);
		imap_close(&pm.conn);
		(void)poller_wait(t, wait, false);
	}
	}
	/* in-flight work is done (the pass checks stop between batches): give
	 * the lease back so another instance, or this mailbox's next thread,
	 * takes over at once */
	poller_mailbox_finish(&pm);
	log_ctx_clear();
	return NULL;
}

/* Starts a thread for mb of config (which it keeps a reference to) and adds
 * it to p. Returns 0 or -1. */
static int poller_thread_start(struct pollers *p, struct config *config,
			       const struct mailbox_config *mb)
{
	struct poller_thread *t;
	pthread_attr_t attr;
	int r;

	if (p->count == p->cap) {
		size_t cap = p->cap == 0 ? 8 : p->cap * 2;
		struct poller_thread **grown = realloc(p->threads, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		p->threads = grown;
		p->cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	t->daemon = p->daemon;
	t->pollers = p;
	t->config = config_ref(config);
	t->mb = mb;
	atomic_init(&t->quit, false);
	t->seed = (unsigned int)time(NULL) ^ (p->started++ * 2654435761u);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, POLLER_STACK_SIZE);
	r = pthread_create(&t->tid, &attr, poller_thread_main, t);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		config_unref(&t->config);
		free(t);
		return -1;
	}
	p->threads[p->count++] = t;
	return 0;
}

/* Waits for a thread told to quit (or a stopping daemon) and frees it. */
static void poller_thread_join(struct poller_thread **tp)
{
	struct poller_thread *t = *tp;

	pthread_join(t->tid, NULL);
	config_unref(&t->config);
	free(t);
	*tp = NULL;
}

static void pollers_stop(void *priv)
{
	struct pollers *p = priv;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++)
		atomic_store(&p->threads[i]->quit, true);
	for (size_t i = 0; i < p->count; i++)
		poller_thread_join(&p->threads[i]);
	free(p->threads);
	store_pool_free(&p->pool);
	pthread_mutex_destroy(&p->requests.lock);
	sem_destroy(&p->batch_slots);
	free(p);
}

static int pollers_start(struct daemon *daemon, void **priv_r, struct error *err)
{
	struct pollers *p = calloc(1, sizeof(*p));
	struct config *config;
	int ret = 0;

	if (p == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	p->daemon = daemon;
	pthread_mutex_init(&p->requests.lock, NULL);
	config = daemon_config(daemon);
	sem_init(&p->batch_slots, 0, 2 * config->database.poller_connections);
	if (store_pool_new(config->database.url, config->database.connect_timeout,
			   config->database.poller_connections, &p->pool) < 0) {
		error_set(err, "out of memory");
		config_unref(&config);
		*priv_r = p;
		return -1;
	}
	for (size_t i = 0; i < config->mailboxes_count; i++) {
		if (poller_thread_start(p, config, &config->mailboxes[i]) < 0) {
			/* the daemon stops everything it started when start fails */
			error_set(err, "cannot create a poller thread");
			ret = -1;
			break;
		}
	}
	if (config->mailboxes_count == 0)
		log_info("no [mailbox] configured: nothing to poll");
	config_unref(&config);
	*priv_r = p;
	return ret;
}

static bool poller_str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* True when a setting the poller uses changed: its connection (URL, user,
 * password or OAuth2 settings and secrets, TLS), its folder or its
 * schedule. A new refresh token in oauth_refresh_token_file (a revoked one
 * replaced) must reach the running poller, which keeps its mailbox's. */
static bool poller_mailbox_changed(const struct mailbox_config *a, const struct mailbox_config *b)
{
	return poller_str_differs(a->url, b->url) || poller_str_differs(a->user, b->user) ||
	       poller_str_differs(a->password, b->password) || a->auth != b->auth ||
	       poller_str_differs(a->oauth_token_url, b->oauth_token_url) ||
	       poller_str_differs(a->oauth_client_id, b->oauth_client_id) ||
	       poller_str_differs(a->oauth_client_secret, b->oauth_client_secret) ||
	       poller_str_differs(a->oauth_refresh_token, b->oauth_refresh_token) ||
	       poller_str_differs(a->oauth_scope, b->oauth_scope) ||
	       poller_str_differs(a->folder, b->folder) ||
	       poller_str_differs(a->tls_ca_file, b->tls_ca_file) || a->starttls != b->starttls ||
	       a->tls_verify != b->tls_verify || a->idle != b->idle ||
	       a->poll_interval != b->poll_interval || a->fetch_batch != b->fetch_batch;
}

static struct poller_thread *pollers_find(struct pollers *p, const char *name)
{
	for (size_t i = 0; i < p->count; i++) {
		if (strcmp(p->threads[i]->mb->name, name) == 0)
			return p->threads[i];
	}
	return NULL;
}

/* A new mailbox list: threads of removed mailboxes stop (finishing their
 * pass and releasing the lease), those whose settings changed restart with
 * the new ones, new mailboxes get a thread. Unchanged ones run on. */
static void pollers_reload(void *priv, struct config *config)
{
	struct pollers *p = priv;
	size_t i, kept = 0;

	for (i = 0; i < p->count; i++) {
		struct poller_thread *t = p->threads[i];
		const struct mailbox_config *nb = config_mailbox(config, t->mb->name);

		if (nb == NULL)
			log_info("mailbox %s left the config: stopping its poller", t->mb->name);
		else if (poller_mailbox_changed(t->mb, nb))
			log_info("mailbox %s changed: restarting its poller", t->mb->name);
		else
			continue;
		atomic_store(&t->quit, true);
	}
	/* all told first, then joined: they finish their passes in parallel */
	for (i = 0; i < p->count; i++) {
		if (atomic_load(&p->threads[i]->quit))
			poller_thread_join(&p->threads[i]);
		else
			p->threads[kept++] = p->threads[i];
	}
	p->count = kept;
	for (i = 0; i < config->mailboxes_count; i++) {
		const struct mailbox_config *mb = &config->mailboxes[i];

		if (pollers_find(p, mb->name) != NULL)
			continue;
		if (poller_thread_start(p, config, mb) < 0)
			log_error("mailbox %s: cannot start a poller thread", mb->name);
		else
			log_info("mailbox %s: poller started", mb->name);
	}
}

const struct service_ops service_pollers = {
	.name = "pollers",
	.start = pollers_start,
	.stop = pollers_stop,
	.reload = pollers_reload,
};
