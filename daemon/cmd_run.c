/* SPDX-License-Identifier: MIT */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/config/config_secrets.h"
#include "daemon/service/daemon.h"
#include "daemon/services.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"
#include "daemon/metrics/obs.h"
#include "daemon/store/store.h"
#include "daemon/store/store_durability.h"
#include "daemon/store/store_pool.h"
#include "daemon/version.h"

/* glibc gives busy threads malloc arenas of their own, up to 8 per core,
 * and an arena keeps what a thread once used: with a poller per mailbox
 * that was a quarter of the process's peak memory. Two arenas cost the
 * workers little (they allocate mostly per message) and bound that; an
 * operator's MALLOC_ARENA_MAX still wins. */
#define RUN_MALLOC_ARENAS 2

static void run_limit_arenas(void)
{
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		(void)mallopt(M_ARENA_MAX, RUN_MALLOC_ARENAS);
}

static void run_warn(const char *line, void *ctx)
{
	(void)ctx;
	log_warn("%s", line);
}

/* Checks the database before any service starts: an unreachable server or
 * a schema behind the binary is one clear line and exit 1, not a daemon that
 * half-works. */
static int run_check_database(const struct config *config)
{
	struct store *store = NULL;
	struct error dberr;
	char err[600];
	int pending, ret = -1;

	if (store_open(config->database.url, config->database.connect_timeout, &store, &dberr) <
	    0) {
		log_error("%s", error_msg(&dberr));
		goto out;
	}
	pending = store_migrations_pending(store);
	if (pending < 0) {
		log_error("%s", store_error(store));
		goto out;
	}
	if (pending > 0) {
		log_error("database schema is %d migration(s) behind: run 'draftd migrate'",
			  pending);
		goto out;
	}
	if (store_durability_check(store, err, sizeof(err)) == 0)
		log_warn("%s", err);
	config_secret_warnings(config, run_warn, NULL);
	log_info("database ok");
	ret = 0;
out:
	store_close(&store);
	return ret;
}

/* draftd_build_info's labels, and the start time process metrics count from. */
static void run_build_info(void)
{
	struct version_library libs[16];
	char list[512] = "";
	size_t n = version_libraries(libs, ARRAY_SIZE(libs)), i, len;

	for (i = 0; i < n; i++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s=%s", i > 0 ? ";" : "", libs[i].name,
			 libs[i].version);
	}
	obs_build_info(version_string(), version_commit(), list);
	obs_process_started();
}

static int run_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store_pool *side = NULL;
	const char *path;
	int r = cmd_parse_common(&cmd_run, &argc, argv, &common, true);

	if (r != 0)
		return r == 1 ? 0 : r;
	run_limit_arenas(); /* before any thread starts */
	path = config_path(common.config_path);
	if (cmd_load_config(path, &config) < 0)
		return 1;
	log_set_level(config->log.level);
	log_set_format(config->log.format);
	run_build_info();
	log_info("starting draftd with %s", path);
	if (run_check_database(config) < 0) {
		config_unref(&config);
		return 1;
	}
	/* daemon_side_pool(): one connection, opened on first use, that the
	 * job heartbeat, promotion and /metrics take turns on (issue 14) */
	if (store_pool_new(config->database.url, config->database.connect_timeout, 1, &side) < 0) {
		log_error("cannot start: out of memory");
		config_unref(&config);
		return 1;
	}
	r = daemon_run(config, path, daemon_services, daemon_services_count, side);
	store_pool_free(&side); /* every service that borrowed it has stopped */
	return r;
}

const struct cmd cmd_run = {
	.name = "run",
	.summary = "run the daemon (pollers, workers, API, sender)",
	.usage = " [--config FILE]\n\n"
		 "Runs draftd in the foreground, logging logfmt or JSON lines ([log] format)\n"
		 "to stderr.\n"
		 "SIGTERM/SIGINT: finish in-flight work, release leases, exit 0.\n"
		 "SIGHUP: reload the config; a config that fails to load is logged and the\n"
		 "running one is kept.\n",
	.main = run_main,
};
