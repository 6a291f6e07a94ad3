/* SPDX-License-Identifier: MIT */
/* A worker's batch (issue 14): up to [agent] batch jobs taken in one
 * statement, run in memory and stored in one transaction; one bad message
 * sends the batch back to one-by-one. */
#include <stdio.h>

#include "agent/mime/mime.h"
#include "agent/pipeline/worker.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_batch.h"

/* Runs jobs[0..n) inside one batch transaction. 1 when every result was
 * stored and committed, 0 when the batch was rolled back (the jobs are to
 * run one by one). */
static int batch_run(struct agent *agent, struct store *store, struct store_job *jobs, size_t n,
		     enum pipeline_outcome *outcomes)
{
	struct error err = {0};
	int64_t ids[STORE_BATCH_MAX];
	size_t i, mark;
	int r = 0;

	for (i = 0; i < n; i++)
		ids[i] = jobs[i].message_id;
	if (store_batch_begin(store, ids, n, MIME_PARSED_VERSION) < 0) {
		log_warn("batch: %s; one job at a time", store_error(store));
		goto out;
	}
	for (i = 0; i < n; i++) {
		mark = log_ctx_mark();
		log_ctx_setf("job_id", "%lld", (long long)jobs[i].id);
		log_ctx_setf("message_id", "%lld", (long long)jobs[i].message_id);
		r = pipeline_run(agent, store, &jobs[i], &outcomes[i], &err);
		if (r == 0 && outcomes[i] == PIPELINE_LOST)
			error_set(&err, "the job's lease was lost");
		log_ctx_restore(mark);
		if (r < 0 || outcomes[i] == PIPELINE_LOST) {
			/* its error is reported by the one-by-one run */
			log_debug_kv("batch rolled back, one job at a time", "job_id=%lld error=%s",
				     (long long)jobs[i].id, error_msg(&err));
			store_batch_abort(store);
			r = 0;
			goto out;
		}
	}
	if (store_batch_commit(store) < 0) {
		log_warn("batch: %s; one job at a time", store_error(store));
		r = 0;
		goto out;
	}
	r = 1;
out:
	return r;
}

int worker_run_batch(struct agent *agent, struct store *store, const char *id,
		     struct job_heartbeat *hb, enum pipeline_outcome *outcomes, size_t *n_r)
{
	struct store_job jobs[STORE_BATCH_MAX];
	unsigned int lease = agent->config->agent.job_lease;
	size_t max = agent->config->agent.batch, n = 0, i, mark;
	int r;

	*n_r = 0;
	/* a remote model: one job per pipeline, stored as soon as it is done */
	if (agent->config->model.backend != MODEL_BACKEND_BUILTIN || max < 1)
		max = 1;
	if (max > STORE_BATCH_MAX)
		max = STORE_BATCH_MAX;
	r = store_jobs_take(store, id, lease, jobs, max, &n);
	if (r <= 0) {
		if (r < 0)
			log_error("job queue: %s", store_error(store));
		return r;
	}
	for (i = 0; i < n; i++) {
		if (job_heartbeat_hold(hb, &jobs[i], lease) < 0)
			log_warn("job heartbeat full: this job lives on its first lease");
	}
	if (n > 1 && batch_run(agent, store, jobs, n, outcomes) == 1) {
		for (i = 0; i < n; i++) {
			mark = log_ctx_mark();
			log_ctx_setf("job_id", "%lld", (long long)jobs[i].id);
			log_ctx_setf("message_id", "%lld", (long long)jobs[i].message_id);
			worker_finished(agent, store, &jobs[i], outcomes[i]);
			job_heartbeat_drop(hb, &jobs[i]);
			log_ctx_restore(mark);
		}
		*n_r = n;
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (worker_run_held(agent, store, &jobs[i], hb, &outcomes[i]) < 0) {
			/* the database is gone: the rest wait out their lease */
			for (; i < n; i++)
				job_heartbeat_drop(hb, &jobs[i]);
			return -1;
		}
	}
	*n_r = n;
	return 1;
}
