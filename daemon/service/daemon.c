/* SPDX-License-Identifier: MIT */
#include "daemon/service/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/lib/log.h"
#include "daemon/service/notify.h"
#include "daemon/lib/util.h"

#define DAEMON_SERVICES_MAX 16

struct daemon {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct config *config; /* guarded by lock */
	atomic_bool stopping;
	uint64_t work_seq; /* guarded by lock: bumped when jobs are queued */
	const char *config_path;
	const struct service_ops *const *services; /* daemon_run()'s, in start order */
	size_t services_count;
	void *priv[DAEMON_SERVICES_MAX];
	unsigned int started;
	struct store_pool *side; /* daemon_side_pool() */
};

struct config *daemon_config(struct daemon *daemon)
{
	struct config *config;

	pthread_mutex_lock(&daemon->lock);
	config = config_ref(daemon->config);
	pthread_mutex_unlock(&daemon->lock);
	return config;
}

struct store_pool *daemon_side_pool(struct daemon *daemon)
{
	return daemon->side;
}

bool daemon_stopping(const struct daemon *daemon)
{
	return atomic_load(&daemon->stopping);
}

bool daemon_sleep(struct daemon *daemon, unsigned int ms)
{
	struct timespec until;
	bool stopping;

	time_deadline(CLOCK_REALTIME, ms, &until);
	pthread_mutex_lock(&daemon->lock);
	while (!(stopping = atomic_load(&daemon->stopping))) {
		if (pthread_cond_timedwait(&daemon->wake, &daemon->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&daemon->lock);
	return stopping;
}

uint64_t daemon_work_seq(struct daemon *daemon)
{
	uint64_t seq;

	pthread_mutex_lock(&daemon->lock);
	seq = daemon->work_seq;
	pthread_mutex_unlock(&daemon->lock);
	return seq;
}

void daemon_work_notify(struct daemon *daemon)
{
	pthread_mutex_lock(&daemon->lock);
	daemon->work_seq++;
	pthread_cond_broadcast(&daemon->wake);
	pthread_mutex_unlock(&daemon->lock);
}

bool daemon_work_wait(struct daemon *daemon, uint64_t seen, unsigned int ms)
{
	struct timespec until;
	bool stopping;

	time_deadline(CLOCK_REALTIME, ms, &until);
	pthread_mutex_lock(&daemon->lock);
	/* seen was read before the caller looked for work: a notify in between
	 * is not lost, the wait returns at once */
	while (!(stopping = atomic_load(&daemon->stopping)) && daemon->work_seq == seen) {
		if (pthread_cond_timedwait(&daemon->wake, &daemon->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&daemon->lock);
	return stopping;
}

static void daemon_apply_log_level(const struct config *config)
{
	log_set_level(config->log.level);
	log_set_format(config->log.format);
}

/* Returns 0 when the new config runs, -1 when it failed to load and the old
 * one runs on. */
static int daemon_reload(struct daemon *daemon)
{
	struct config *fresh = NULL, *old;
	struct config_errors errors;
	unsigned int i;
	size_t e;

	log_info("SIGHUP: reloading %s", daemon->config_path);
	if (config_load(daemon->config_path, &fresh, &errors) < 0) {
		for (e = 0; e < errors.count; e++)
			log_error("config: %s", errors.lines[e]);
		log_error("reload failed, keeping the running config");
		config_errors_free(&errors);
		return -1;
	}
	pthread_mutex_lock(&daemon->lock);
	old = daemon->config;
	daemon->config = fresh;
	pthread_mutex_unlock(&daemon->lock);
	daemon_apply_log_level(fresh);
	for (i = 0; i < daemon->started; i++) {
		if (daemon->services[i]->reload != NULL)
			daemon->services[i]->reload(daemon->priv[i], fresh);
	}
	config_unref(&old);
	log_info("config reloaded");
	return 0;
}

/* Waits for one of the signals in set. With a watchdog (Type=notify and
 * WatchdogSec=) it pings on time meanwhile: the ping comes from this
 * thread, so a reload or a stop that hangs is caught; stuck workers are
 * covered by their own timeouts and job leases. */
static int daemon_wait_signal(const sigset_t *set, uint64_t watchdog_ms, uint64_t *next_ping)
{
	struct timespec ts;
	uint64_t now, wait;
	int sig;

	for (;;) {
		if (watchdog_ms == 0) {
			if (sigwait(set, &sig) == 0)
				return sig;
			continue;
		}
		now = time_mono_ms();
		if (now >= *next_ping) {
			notify_watchdog();
			*next_ping = now + watchdog_ms;
		}
		wait = *next_ping - now;
		ts.tv_sec = (time_t)(wait / 1000);
		ts.tv_nsec = (long)(wait % 1000) * 1000000L;
		sig = sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			return sig;
		/* EAGAIN: time to ping; EINTR: wait again */
	}
}

static void daemon_stop_services(struct daemon *daemon)
{
	while (daemon->started > 0) {
		daemon->started--;
		log_info("stopping %s", daemon->services[daemon->started]->name);
		daemon->services[daemon->started]->stop(daemon->priv[daemon->started]);
	}
}

static int daemon_start_services(struct daemon *daemon)
{
	struct error why = {0};

	for (; daemon->started < daemon->services_count; daemon->started++) {
		const struct service_ops *s = daemon->services[daemon->started];

		if (daemon->started == DAEMON_SERVICES_MAX)
			return -1;
		if (s->start(daemon, &daemon->priv[daemon->started], &why) < 0) {
			log_error("cannot start %s: %s", s->name,
				  error_msg(&why)[0] != '\0' ? error_msg(&why) : "unknown error");
			return -1;
		}
		log_info("started %s", s->name);
	}
	return 0;
}

int daemon_run(struct config *config, const char *config_path,
	       const struct service_ops *const *services, size_t services_count,
	       struct store_pool *side)
{
	struct daemon daemon;
	sigset_t set;
	uint64_t watchdog_ms = notify_watchdog_interval_ms(), next_ping = 0;
	char status[256];
	int sig, ret = 1;

	memset(&daemon, 0, sizeof(daemon));
	pthread_mutex_init(&daemon.lock, NULL);
	pthread_cond_init(&daemon.wake, NULL);
	daemon.config = config;
	daemon.config_path = config_path;
	daemon.services = services;
	daemon.services_count = services_count;
	daemon.side = side;
	daemon_apply_log_level(config);

	/* Block the signals before any thread exists so every thread inherits
	 * the mask and only sigwait() below sees them. SIGPIPE is ignored:
	 * a peer closing a socket is an error return, not a death. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (daemon_start_services(&daemon) < 0) {
		atomic_store(&daemon.stopping, true);
		goto out;
	}
	log_info("draftd running (pid %ld)", (long)getpid());
	snprintf(status, sizeof(status), "running: API on %s, %zu mailboxes", config->api.listen,
		 config->mailboxes_count);
	notify_ready(status);
	for (;;) {
		sig = daemon_wait_signal(&set, watchdog_ms, &next_ping);
		if (sig == SIGHUP) {
			notify_reloading();
			if (daemon_reload(&daemon) == 0)
				notify_ready("running: config reloaded");
			else
				notify_ready("running: reload failed, the previous config runs on "
					     "(see the log)");
			continue;
		}
		notify_stopping();
		log_info("%s: finishing in-flight work", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	ret = 0;
out:
	pthread_mutex_lock(&daemon.lock);
	atomic_store(&daemon.stopping, true);
	pthread_cond_broadcast(&daemon.wake);
	pthread_mutex_unlock(&daemon.lock);
	daemon_stop_services(&daemon);
	config_unref(&daemon.config);
	pthread_cond_destroy(&daemon.wake);
	pthread_mutex_destroy(&daemon.lock);
	log_info("draftd stopped");
	return ret;
}
