/* service_pollers: one thread per configured mailbox, each polling on its
 * schedule or waking from IDLE, reconnecting with backoff on any error. */
#include "daemon/poller.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/daemon.h"
#include "daemon/imap_idle.h"
#include "daemon/log.h"
#include "daemon/util.h"

/* IDLE is re-issued before servers drop it (RFC 2177: 29 minutes). */
#define POLLER_IDLE_MAX_MS (29u * 60 * 1000)
/* How often a thread in IDLE renews its lease. */
#define POLLER_RENEW_MS (30u * 1000)
/* How often a waiting thread looks for a "poll now" request. */
#define POLLER_REQUEST_CHECK_MS 1000u
#define POLLER_BACKOFF_MIN_MS   1000u
#define POLLER_BACKOFF_MAX_MS   (5u * 60 * 1000)

struct poller_thread {
	pthread_t tid;
	bool started;
	struct daemon *daemon;
	struct config *config; /* the pollers' reference */
	const struct mailbox_config *mb;
	unsigned int seed;
	/* IDLE bookkeeping */
	struct poller_mailbox *pm;
	uint64_t renewed_ms;
	bool lease_lost;
};

struct pollers {
	struct config *config;
	struct poller_thread *threads;
	size_t count;
};

static bool poller_should_stop(void *ctx)
{
	struct poller_thread *t = ctx;

	return daemon_stopping(t->daemon);
}

/* Whether POST /mailboxes/{name}/poll asked for a poll since the last one.
 * A broken connection answers no: the lease renewal or the next pass
 * reconnects. */
static bool poller_requested(struct poller_mailbox *pm)
{
	if (pm->id == 0 || pm->store == NULL || store_ingest_poll_requested(pm->store, pm->id) != 1)
		return false;
	log_info("poll requested");
	return true;
}

/* Sleeps ms, waking early (true) for a poll request; false when the time
 * is up or the daemon stops. */
static bool poller_wait(struct poller_thread *t, unsigned int ms)
{
	uint64_t end = time_mono_ms() + ms, now;

	while (!daemon_stopping(t->daemon) && (now = time_mono_ms()) < end) {
		uint64_t left = end - now;

		if (daemon_sleep(t->daemon, left < POLLER_REQUEST_CHECK_MS
						    ? (unsigned int)left
						    : POLLER_REQUEST_CHECK_MS))
			break;
		if (poller_requested(t->pm))
			return true;
	}
	return false;
}

/* Called every second in IDLE: stop when the daemon stops or a poll is
 * requested, renew the lease. */
static bool poller_idle_check(void *ctx)
{
	struct poller_thread *t = ctx;
	char err[300];

	if (daemon_stopping(t->daemon) || poller_requested(t->pm))
		return true;
	if (time_mono_ms() - t->renewed_ms < POLLER_RENEW_MS)
		return false;
	t->renewed_ms = time_mono_ms();
	if (store_ensure(t->pm->store) < 0)
		return false; /* the lease outlives a short database outage */
	if (store_ingest_lease_take(t->pm->store, t->pm->id, t->pm->owner, t->pm->lease_ttl, NULL,
				    err, sizeof(err)) == 0) {
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
	struct store *store = NULL;
	unsigned int backoff = 0;
	char err[600];
	int r;

	log_ctx_set("mailbox", t->mb->name);
	poller_mailbox_init(&pm, t->config, t->mb, NULL);
	pm.stop = poller_should_stop;
	pm.stop_ctx = t;
	t->pm = &pm;
	while (!daemon_stopping(t->daemon)) {
		if (store == NULL) {
			if (store_open(t->config->database.url, t->config->database.connect_timeout,
				       &store, err, sizeof(err)) < 0)
				goto failed;
			pm.store = store;
		} else if (store_ensure(store) < 0) {
			snprintf(err, sizeof(err), "%s", store_error(store));
			goto failed;
		}
		r = poller_pass(&pm, err, sizeof(err));
		if (r < 0)
			goto failed;
		if (r == 0) {
			log_info("%s; retrying in %u s", err, t->mb->poll_interval);
			daemon_sleep(t->daemon, t->mb->poll_interval * 1000);
			continue;
		}
		if (backoff != 0)
			log_info("mailbox polled again after errors");
		backoff = 0;
		if (t->mb->idle && pm.conn != NULL && imap_has_idle(pm.conn)) {
			t->renewed_ms = time_mono_ms();
			t->lease_lost = false;
			r = imap_idle_wait(pm.conn, POLLER_IDLE_MAX_MS, poller_idle_check, t);
			if (r < 0) {
				snprintf(err, sizeof(err), "%s", imap_error(pm.conn));
				imap_close(&pm.conn);
				goto failed;
			}
			if (t->lease_lost)
				imap_close(&pm.conn);
			continue;
		}
		(void)poller_wait(t, t->mb->poll_interval * 1000);
		continue;
	failed : {
		unsigned int wait = poller_backoff(t, &backoff);

		log_error("poll failed: %s; retrying in %u ms", err, wait);
		imap_close(&pm.conn);
		daemon_sleep(t->daemon, wait);
	}
	}
	poller_mailbox_finish(&pm);
	store_close(&store);
	log_ctx_clear();
	return NULL;
}

static void pollers_stop(void *priv)
{
	struct pollers *p = priv;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++) {
		if (p->threads[i].started)
			pthread_join(p->threads[i].tid, NULL);
	}
	free(p->threads);
	config_unref(&p->config);
	free(p);
}

static int pollers_start(struct daemon *daemon, void **priv_r, const char **error_r)
{
	struct pollers *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	p->config = daemon_config(daemon);
	p->count = p->config->mailboxes_count;
	p->threads = calloc(p->count + 1, sizeof(*p->threads));
	if (p->threads == NULL) {
		pollers_stop(p);
		*error_r = "out of memory";
		return -1;
	}
	for (size_t i = 0; i < p->count; i++) {
		struct poller_thread *t = &p->threads[i];

		t->daemon = daemon;
		t->config = p->config;
		t->mb = &p->config->mailboxes[i];
		t->seed = (unsigned int)time(NULL) ^ (unsigned int)(i * 2654435761u);
		if (pthread_create(&t->tid, NULL, poller_thread_main, t) != 0) {
			/* the daemon stops everything it started when start fails */
			*error_r = "cannot create a poller thread";
			*priv_r = p;
			return -1;
		}
		t->started = true;
	}
	if (p->count == 0)
		log_info("no [mailbox] configured: nothing to poll");
	*priv_r = p;
	return 0;
}

/* A new config's mailboxes take effect at the next restart: the threads keep
 * the config they started with (its reference is held until stop). */
static void pollers_reload(void *priv, struct config *config)
{
	(void)priv;
	(void)config;
	log_info("pollers keep their mailbox settings until restart");
}

const struct service_ops service_pollers = {
	.name = "pollers",
	.start = pollers_start,
	.stop = pollers_stop,
	.reload = pollers_reload,
};
