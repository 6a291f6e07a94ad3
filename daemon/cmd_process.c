/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/agent.h"
#include "agent/pipeline/worker.h"
#include "daemon/cmd.h"
#include "daemon/lib/log.h"
#include "daemon/store/store.h"

#define PROCESS_THREADS_MAX 64

/* One drain thread: its own connection, jobs until none is ready. */
struct drain {
	pthread_t thread;
	unsigned int index;
	struct config *config;
	struct agent *agent;
	struct job_heartbeat *hb;
	unsigned long counts[PIPELINE_OUTCOMES + 1];
	unsigned long taken;
	int ret; /* 0, or -1 when the queue or the database failed */
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	struct store *store = NULL;
	enum pipeline_outcome outcomes[STORE_BATCH_MAX];
	struct error err;
	char id[96];
	size_t n, i;
	int r;

	d->ret = -1;
	if (store_open(d->config->database.url, d->config->database.connect_timeout, &store, &err) <
	    0) {
		fprintf(stderr, "draftd process: %s\n", error_msg(&err));
		return NULL;
	}
	/* A job that failed is due again only after its backoff, so the
	 * loop ends. */
	for (;;) {
		worker_id(d->index, d->taken, id, sizeof(id));
		r = worker_run_batch(d->agent, store, id, d->hb, outcomes, &n);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		d->taken += n; /* also makes the next lease name distinct */
		for (i = 0; i < n; i++)
			d->counts[outcomes[i]]++;
	}
	d->ret = 0;
out:
	store_close(&store);
	return NULL;
}

static int process_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	struct agent *agent = NULL;
	struct job_heartbeat *hb = NULL;
	static struct drain drains[PROCESS_THREADS_MAX];
	unsigned long counts[PIPELINE_OUTCOMES + 1] = {0};
	unsigned long take = 0;
	unsigned int n, started;
	struct error why;
	struct error err;
	bool once = false, failed;
	int i, r, ret = 1;

	r = cmd_parse_common(&cmd_process, &argc, argv, &common, false);
	if (r != 0)
		return r == 1 ? 0 : r;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			once = true;
		} else {
			fprintf(stderr, "draftd process: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!once) {
		fprintf(stderr, "draftd process: only --once is supported (draftd run keeps "
				"workers going)\n");
		return 2;
	}
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	log_set_level(config->log.level);
	log_set_format(config->log.format);
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd process: %s\n", error_msg(&err));
		goto out;
	}
	if (agent_open(config, &agent, &why) < 0) {
		fprintf(stderr, "draftd process: %s\n", error_msg(&why));
		goto out;
	}
	if (job_heartbeat_start(config->database.url, config->database.connect_timeout, &hb, &why) <
	    0) {
		fprintf(stderr, "draftd process: %s\n", error_msg(&why));
		goto out;
	}
	worker_record_probe(agent, store);
	if (agent_retrain(agent, store) < 0)
		log_warn("classifier: no reviewer decisions could be read; keywords only");
	/* Drain every ready job once with [agent] workers threads, as
	 * `draftd run` would (one thread left the second core idle). */
	n = config->agent.workers > 0 ? config->agent.workers : 1;
	if (n > PROCESS_THREADS_MAX)
		n = PROCESS_THREADS_MAX;
	for (i = 0; i < (int)n; i++) {
		drains[i] = (struct drain){.index = (unsigned int)i,
					   .config = config,
					   .agent = agent,
					   .hb = hb,
					   .ret = -1};
		if (pthread_create(&drains[i].thread, NULL, drain_main, &drains[i]) != 0)
			break;
	}
	started = (unsigned int)i;
	failed = started == 0;
	for (i = 0; i < (int)started; i++) {
		pthread_join(drains[i].thread, NULL);
		failed |= drains[i].ret < 0;
		for (size_t k = 0; k <= PIPELINE_OUTCOMES; k++)
			counts[k] += drains[i].counts[k];
		take += drains[i].taken;
	}
	if (failed)
		goto out;
	printf("processed %lu: drafted %lu, auto %lu, skipped %lu, human %lu, failed %lu\n", take,
	       counts[PIPELINE_DRAFTED], counts[PIPELINE_AUTO], counts[PIPELINE_SKIPPED],
	       counts[PIPELINE_HUMAN], counts[PIPELINE_OUTCOMES]);
	ret = 0;
out:
	job_heartbeat_stop(&hb);
	agent_unref(&agent);
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_process = {
	.name = "process",
	.summary = "run the pipeline over the queued messages",
	.usage = " --once [--config FILE]\n\n"
		 "Drains the job queue once (every message ready now: classify, look up,\n"
		 "rules, draft, check, decide) with [agent] workers threads, prints what\n"
		 "became of them, and exits. For cron and tests; `draftd run` keeps workers\n"
		 "running.\n",
	.main = process_main,
};
