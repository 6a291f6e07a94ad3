/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_DAEMON_H
#define DRAFTD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config/config.h"
#include "daemon/lib/error.h"

struct store_pool; /* daemon/store/store_pool.h: made by the caller of daemon_run() */

/* The running daemon: the current config (swapped on SIGHUP), the stop flag,
 * and the services (pollers, workers, API, outbox sender) it started. */
struct daemon;

/* A long-running part of `draftd run`. start() launches its threads and
 * returns 0, or -1 with a reason (the daemon then stops what it started and
 * exits 1). stop() is called once on shutdown and must return only when the
 * service's threads have finished their in-flight work and released their
 * leases. reload() (optional) is told about a newly loaded config. Adding a
 * service is one file and one line in the registry, daemon/services.c. */
struct service_ops {
	const char *name;
	int (*start)(struct daemon *daemon, void **priv_r, struct error *err);
	void (*stop)(void *priv);
	void (*reload)(void *priv, struct config *config);
};

/* A new reference to the current config: config_unref() it when done.
 * Thread-safe. */
struct config *daemon_config(struct daemon *daemon);
/* True once SIGTERM/SIGINT arrived. Thread-safe. */
bool daemon_stopping(const struct daemon *daemon);
/* Sleeps up to ms milliseconds; returns early (true) when the daemon stops. */
bool daemon_sleep(struct daemon *daemon, unsigned int ms);

/* One database connection (opened on first use, then kept) that the
 * services needing the database only now and then take turns on: the job
 * heartbeat's lease renewals, the promotion passes and the /metrics scrapes.
 * Each borrows it for one step and gives it back before it sleeps, so they
 * add one connection in all, not one each: with the pipeline workers',
 * the pollers' pool and the outbox sender's, *workers + 3* at every moment
 * (issue 14). daemon_run()'s side argument. */
struct store_pool *daemon_side_pool(struct daemon *daemon);

/* Waking the pipeline workers when ingest queued jobs, instead of leaving
 * them to their next poll of the job queue. daemon_work_seq() is read before
 * looking for work; daemon_work_wait() then sleeps up to ms unless a
 * daemon_work_notify() came after that read (so none is lost), and returns
 * true when the daemon stops. All thread-safe. */
uint64_t daemon_work_seq(struct daemon *daemon);
void daemon_work_notify(struct daemon *daemon);
bool daemon_work_wait(struct daemon *daemon, uint64_t seen, unsigned int ms);

/* Runs the daemon until SIGTERM/SIGINT: starts services[services_count] in
 * order (at most 16), handles signals in this thread (SIGHUP reloads the
 * config and swaps it in only when it loads), stops the services in reverse.
 * Takes over the config reference; side (daemon_side_pool()) stays the
 * caller's, to free after. Returns the process exit code. */
int daemon_run(struct config *config, const char *config_path,
	       const struct service_ops *const *services, size_t services_count,
	       struct store_pool *side);

#endif
