/* SPDX-License-Identifier: MIT */
/* The pipeline workers of `draftd run` (service_workers) and the drain loop
 * `draftd process --once` shares with them. */
#include "agent/pipeline/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/pipeline/metrics.h"
#include "agent/pipeline/pipeline.h"
#include "daemon/service/daemon.h"
#include "daemon/promotion/promotion.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_jobs.h"
#include "agent/pipeline/round_robin.h"
#include "daemon/store/store_pipeline.h"
#include "daemon/store/store_pool.h"
#include "daemon/lib/util.h"

#define WORKERS_MAX 64
/* Jobs this process queues wake a worker at once (daemon_work_notify());
 * the poll finds those of other instances and retries that come due. */
#define IDLE_WAIT_MS  500
#define ERROR_WAIT_MS 5000

struct workers {
	struct daemon *daemon;
	pthread_mutex_t lock;
	struct agent *agent; /* guarded by lock; swapped on reload */
	pthread_t threads[WORKERS_MAX];
	unsigned int count;
	struct job_heartbeat *hb; /* renews the leases of the jobs being worked on */
	struct store_pool *pool;  /* a remote model: the pipelines' connections */
	atomic_uint_fast64_t takes;
};

struct worker_args {
	struct workers *workers;
	unsigned int index;
};

void worker_id(unsigned int index, uint64_t take, char *out, size_t size)
{
	char host[64];

	if (gethostname(host, sizeof(host)) < 0)
		str_copy(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* the take counter makes every lease distinct, even this thread's next one */
	snprintf(out, size, "%s:%ld:w%u:%llu", host, (long)getpid(), index,
		 (unsigned long long)take);
}

/* worker_run_held() with the connection lent by pool (NULL: none) around
 * the model call; *storep is the connection held after, NULL when none. */
static int worker_run_lent(struct agent *agent, struct store **storep, struct store_pool *pool,
			   struct store_job *job, struct job_heartbeat *hb,
			   enum pipeline_outcome *outcome_r)
{
	struct error err = {0};
	size_t mark;
	int r;

	/* everything this job adds to the context (draft_id too) goes with it */
	mark = log_ctx_mark();
	log_ctx_setf("job_id", "%lld", (long long)job->id);
	log_ctx_setf("message_id", "%lld", (long long)job->message_id);
	if (pipeline_run_lent(agent, storep, pool, job, outcome_r, &err) < 0) {
		/* no connection to give the job back with: its lease runs out */
		r = *storep == NULL
			    ? -1
			    : store_job_fail(*storep, job, agent->config->agent.max_attempts,
					     agent->config->agent.retry_delay, error_msg(&err));
		if (r == 0)
			log_error_kv("job dead, the message goes to a human", "attempt=%d error=%s",
				     job->attempts, error_msg(&err));
		else
			log_warn_kv("attempt failed, retried later", "attempt=%d error=%s",
				    job->attempts, error_msg(&err));
		*outcome_r = PIPELINE_OUTCOMES;
		r = r < 0 ? -1 : 1;
		metrics_pipeline_outcome("failed_attempt");
	} else {
		worker_finished(agent, *storep, job, *outcome_r);
		r = 1;
	}
	job_heartbeat_drop(hb, job);
	log_ctx_restore(mark);
	return r;
}

int worker_run_held(struct agent *agent, struct store *store, struct store_job *job,
		    struct job_heartbeat *hb, enum pipeline_outcome *outcome_r)
{
	return worker_run_lent(agent, &store, NULL, job, hb, outcome_r);
}

void worker_finished(struct agent *agent, struct store *store, const struct store_job *job,
		     enum pipeline_outcome outcome)
{
	metrics_pipeline_outcome(pipeline_outcome_name(outcome));
	log_info_kv("pipeline finished", "outcome=%s", pipeline_outcome_name(outcome));
	round_robin_after(agent->config, store, (long long)job->message_id);
}

/* Takes one job on *storep and runs it with the connection lent by pool
 * (NULL: held throughout). 1, 0 no job ready, -1 (*storep may be NULL). */
static int worker_take_lent(struct agent *agent, struct store **storep, struct store_pool *pool,
			    const char *id, struct job_heartbeat *hb,
			    enum pipeline_outcome *outcome_r)
{
	struct store_job job;
	unsigned int lease = agent->config->agent.job_lease;
	int r;

	r = store_job_take(*storep, id, lease, &job);
	if (r <= 0) {
		if (r < 0)
			log_error("job queue: %s", store_error(*storep));
		return r;
	}
	if (job_heartbeat_hold(hb, &job, lease) < 0)
		log_warn("job heartbeat full: this job lives on its first lease");
	return worker_run_lent(agent, storep, pool, &job, hb, outcome_r);
}

int worker_run_one(struct agent *agent, struct store *store, const char *id,
		   struct job_heartbeat *hb, enum pipeline_outcome *outcome_r)
{
	return worker_take_lent(agent, &store, NULL, id, hb, outcome_r);
}

/* Puts the probe verdict where /stats and `draftd stats` read it. */
void worker_record_probe(struct agent *agent, struct store *store)
{
	json_t *probe = agent_probe_json(agent);

	if (probe == NULL || store_model_probe_record(store, probe) < 0)
		log_error("recording the model probe: %s", store_error(store));
	json_decref(probe);
}

static struct agent *workers_agent(struct workers *w)
{
	struct agent *a;

	pthread_mutex_lock(&w->lock);
	a = agent_ref(w->agent);
	pthread_mutex_unlock(&w->lock);
	return a;
}

/* The worker's connection for this round: its own, opened once (builtin
 * backend), or one borrowed from the pool (a remote model: the pipelines
 * outnumber the workers, and hold a connection only for their store
 * steps, issue 14). 0, or -1 (logged). */
static int worker_connect(struct workers *w, struct store **store)
{
	struct config *config;
	struct error err;
	int r, ret = -1;

	if (w->pool != NULL) {
		if (store_pool_get(w->pool, store, &err) < 0)
			log_error("%s", error_msg(&err));
		else
			ret = 0;
		goto out;
	}
	if (*store == NULL) {
		config = daemon_config(w->daemon);
		r = store_open(config->database.url, config->database.connect_timeout, store, &err);
		config_unref(&config);
		if (r < 0) {
			log_error("%s", error_msg(&err));
			goto out;
		}
	}
	if (store_ensure(*store) < 0) {
		log_error("%s", store_error(*store));
		goto out;
	}
	ret = 0;
out:
	return ret;
}

static void *worker_main(void *arg)
{
	struct worker_args *wa = arg;
	struct workers *w = wa->workers;
	struct store *store = NULL;
	struct agent *agent, *probed = NULL;
	enum pipeline_outcome outcomes[STORE_BATCH_MAX];
	size_t n;
	char id[STORE_WORKER_ID_MAX];
	unsigned int wait;
	uint64_t seq;
	int r;

	log_ctx_setf("worker", "%u", wa->index);
	while (!daemon_stopping(w->daemon)) {
		if (worker_connect(w, &store) < 0) {
			daemon_sleep(w->daemon, ERROR_WAIT_MS);
			continue;
		}
		agent = workers_agent(w);
		/* relearns from reviewer decisions when they changed (a new
		 * agent after a reload at once) */
		if (wa->index == 0)
			(void)agent_retrain_due(agent, store, time_mono_ms());
		/* a model that failed its probe pulls every auto category back */
		if (wa->index == 0 && agent != probed) {
			if (!agent->auto_ok &&
			    promotion_demote_all(store, "the model failed its start-up probe") < 0)
				log_error("demoting auto categories: %s", store_error(store));
			worker_record_probe(agent, store);
			agent_unref(&probed);
			probed = agent_ref(agent);
		}
		worker_id(wa->index, atomic_fetch_add(&w->takes, 1), id, sizeof(id));
		seq = daemon_work_seq(w->daemon);
		if (w->pool != NULL)
			r = worker_take_lent(agent, &store, w->pool, id, w->hb, &outcomes[0]);
		else
			r = worker_run_batch(agent, store, id, w->hb, outcomes, &n);
		agent_unref(&agent);
		/* a borrowed connection goes back before the wait */
		if (w->pool != NULL)
			store_pool_put(w->pool, &store);
		wait = r == 0 ? IDLE_WAIT_MS : r < 0 ? ERROR_WAIT_MS : 0;
		if (r == 0)
			daemon_work_wait(w->daemon, seq, wait);
		else if (wait > 0)
			daemon_sleep(w->daemon, wait);
	}
	agent_unref(&probed);
	store_close(&store);
	free(wa);
	return NULL;
}

static void workers_stop(void *priv)
{
	struct workers *w = priv;
	unsigned int i;

	for (i = 0; i < w->count; i++)
		pthread_join(w->threads[i], NULL);
	job_heartbeat_stop(&w->hb);
	store_pool_free(&w->pool);
	agent_unref(&w->agent);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static int workers_start(struct daemon *daemon, void **priv_r, struct error *err)
{
	struct workers *w;
	struct worker_args *wa;
	struct config *config = daemon_config(daemon);
	unsigned int i, n = config->agent.workers;
	int ret = -1;

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	w->daemon = daemon;
	pthread_mutex_init(&w->lock, NULL);
	if (agent_open(config, &w->agent, err) < 0) {
		goto out;
	}
	/* on the daemon's side pool: no connection of its own (issue 14) */
	if (job_heartbeat_start_pooled(daemon_side_pool(daemon), &w->hb, err) < 0)
		goto out;
	/* A pipeline waits for its model answer: with a remote model,
	 * max_in_flight pipelines wait on the server's slots and as many more
	 * wait at the gate with their request ready, so a slot that frees is
	 * refilled at once even when a whole round of answers ends together
	 * and the pipelines that got them are still storing their drafts
	 * (with only the workers to spare, the bench's K=16 slots stayed
	 * 0.85 busy; with a second round ready, 0.92-0.97). The model's
	 * slots, not the worker count, set the pace (issue 14). */
	if (config->model.backend == MODEL_BACKEND_OPENAI) {
		n += 2 * config->model.max_in_flight;
		/* ... and share [agent] workers connections, given back while
		 * they wait for the model */
		if (store_pool_new(config->database.url, config->database.connect_timeout,
				   config->agent.workers, &w->pool) < 0) {
			error_set(err, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < n && i < WORKERS_MAX; i++) {
		wa = calloc(1, sizeof(*wa));
		if (wa == NULL)
			break;
		wa->workers = w;
		wa->index = i;
		if (pthread_create(&w->threads[w->count], NULL, worker_main, wa) != 0) {
			free(wa);
			break;
		}
		w->count++;
	}
	log_info("%u pipeline worker(s), model backend %s", w->count,
		 config->model.backend == MODEL_BACKEND_OPENAI ? "openai" : "builtin");
	*priv_r = w;
	w = NULL;
	ret = 0;
out:
	if (w != NULL) {
		job_heartbeat_stop(&w->hb);
		store_pool_free(&w->pool);
		agent_unref(&w->agent);
		pthread_mutex_destroy(&w->lock);
		free(w);
	}
	config_unref(&config);
	return ret;
}

static void workers_reload(void *priv, struct config *config)
{
	struct workers *w = priv;
	struct agent *fresh = NULL, *old;
	struct error why;

	/* A new agent or none: a broken rules file keeps the running one. */
	if (agent_open(config, &fresh, &why) < 0) {
		log_error("reload: keeping the running pipeline: %s", error_msg(&why));
		return;
	}
	pthread_mutex_lock(&w->lock);
	old = w->agent;
	w->agent = fresh;
	pthread_mutex_unlock(&w->lock);
	agent_unref(&old);
	log_info("pipeline reloaded");
}

const struct service_ops service_workers = {
	.name = "pipeline workers",
	.start = workers_start,
	.stop = workers_stop,
	.reload = workers_reload,
};
