#include <stdio.h>
#include <string.h>

#include "agent/pipeline/agent.h"
#include "agent/pipeline/worker.h"
#include "daemon/cmd.h"
#include "daemon/lib/log.h"
#include "daemon/store/store.h"

static int process_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	struct agent *agent = NULL;
	struct job_heartbeat *hb = NULL;
	enum pipeline_outcome outcome;
	unsigned long counts[PIPELINE_OUTCOMES + 1] = {0};
	unsigned long take = 0;
	char err[600], id[96];
	bool once = false;
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
	if (store_open(config->database.url, config->database.connect_timeout, &store, err,
		       sizeof(err)) < 0) {
		fprintf(stderr, "draftd process: %s\n", err);
		goto out;
	}
	if (agent_open(config, &agent, err, sizeof(err)) < 0) {
		fprintf(stderr, "draftd process: %s\n", err);
		goto out;
	}
	if (job_heartbeat_start(config->database.url, config->database.connect_timeout, &hb, err,
				sizeof(err)) < 0) {
		fprintf(stderr, "draftd process: %s\n", err);
		goto out;
	}
	worker_record_probe(agent, store);
	if (agent_retrain(agent, store) < 0)
		log_warn("classifier: no reviewer decisions could be read; keywords only");
	/* Drain: every ready job once. A job that failed is due again only
	 * after its backoff, so the loop ends. */
	for (;;) {
		worker_id(0, take++, id, sizeof(id));
		r = worker_run_one(agent, store, id, hb, &outcome);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		counts[outcome]++;
	}
	printf("processed %lu: drafted %lu, auto %lu, skipped %lu, human %lu, failed %lu\n",
	       take - 1, counts[PIPELINE_DRAFTED], counts[PIPELINE_AUTO], counts[PIPELINE_SKIPPED],
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
		 "rules, draft, check, decide), prints what became of them, and exits. For\n"
		 "cron and tests; `draftd run` keeps workers running.\n",
	.main = process_main,
};
