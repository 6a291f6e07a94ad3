/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_jobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/buf.h"
#include "daemon/store/store_private.h"
#include "daemon/lib/util.h"

/* Backoff after a failed attempt: base, 4x base, 16x base, ... capped at 1 h. */
static unsigned int job_backoff_secs(int attempts, unsigned int base)
{
	unsigned int secs = base;
	int i;

	for (i = 1; i < attempts && secs < 3600; i++)
		secs *= 4;
	return secs < 3600 ? secs : 3600;
}

int store_jobs_take(struct store *store, const char *worker_id, unsigned int lease_secs,
		    struct store_job *jobs, size_t max, size_t *n_r)
{
	char lease[16], limit[16];
	const char *params[3] = {worker_id, lease, limit};
	PGresult *res;
	uint64_t v;
	int i, ret = -1;

	*n_r = 0;
	snprintf(lease, sizeof(lease), "%u", lease_secs);
	snprintf(limit, sizeof(limit), "%zu", max);
	/* one statement for up to max jobs: the walk over the queue index
	 * (past the entries of finished jobs) is paid once per batch */
	res = store_exec(store, "taking jobs",
			 "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
			 " locked_by = $1, locked_until = now() + make_interval(secs => $2::int),"
			 " updated_at = now()"
			 " WHERE id IN (SELECT id FROM jobs"
			 "   WHERE (state = 'queued' AND next_attempt_at <= now())"
			 "      OR (state = 'running' AND locked_until < now())"
			 "   ORDER BY next_attempt_at, id LIMIT $3::int FOR UPDATE SKIP LOCKED)"
			 " RETURNING id, message_id, attempts",
			 3, params);
	if (res == NULL)
		return -1;
	if ((size_t)PQntuples(res) > max) {
		store_set_error(store, "taking jobs: more rows than asked for", NULL);
		goto out;
	}
	for (i = 0; i < PQntuples(res); i++) {
		struct store_job *job = &jobs[i];

		memset(job, 0, sizeof(*job));
		if (parse_u64(PQgetvalue(res, i, 0), INT64_MAX, &v) < 0)
			goto bad;
		job->id = (int64_t)v;
		if (parse_u64(PQgetvalue(res, i, 1), INT64_MAX, &v) < 0)
			goto bad;
		job->message_id = (int64_t)v;
		if (parse_u64(PQgetvalue(res, i, 2), 1000000, &v) < 0)
			goto bad;
		job->attempts = (int)v;
		str_copy(job->locked_by, sizeof(job->locked_by), worker_id);
	}
	*n_r = (size_t)PQntuples(res);
	ret = *n_r > 0 ? 1 : 0;
	goto out;
bad:
	store_set_error(store, "taking jobs: unexpected answer", NULL);
out:
	PQclear(res);
	return ret;
}

int store_job_take(struct store *store, const char *worker_id, unsigned int lease_secs,
		   struct store_job *job_r)
{
	size_t n;

	return store_jobs_take(store, worker_id, lease_secs, job_r, 1, &n);
}

static const char job_complete_sql[] =
	"UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL,"
	" last_error = NULL, updated_at = now()"
	" WHERE id = $1 AND state = 'running' AND locked_by = $2";

void store_job_complete_q(const struct store_job *job, char id_buf[24], const char *params[2],
			  struct store_q *q)
{
	snprintf(id_buf, 24, "%lld", (long long)job->id);
	params[0] = id_buf;
	params[1] = job->locked_by;
	*q = (struct store_q){"completing a job", job_complete_sql, 2, params, NULL};
}

int store_job_complete_done(const PGresult *res)
{
	return strcmp(PQcmdTuples((PGresult *)res), "1") == 0 ? 1 : 0;
}

int store_job_complete(struct store *store, const struct store_job *job)
{
	char id[24];
	const char *params[2];
	struct store_q q;
	int ret;

	store_job_complete_q(job, id, params, &q);
	q.res = store_exec(store, q.what, q.sql, q.nparams, q.params);
	if (q.res == NULL)
		return -1;
	ret = store_job_complete_done(q.res);
	PQclear(q.res);
	return ret;
}

int store_job_fail(struct store *store, const struct store_job *job, unsigned int max_attempts,
		   unsigned int retry_delay, const char *reason)
{
	char id[24], backoff[16], max[16];
	const char *params[5] = {id, job->locked_by, reason, backoff, max};
	char ids[32];
	const char *sparams[1] = {ids};
	PGresult *res = NULL;
	bool committed = false;
	int ret = -1;

	snprintf(id, sizeof(id), "%lld", (long long)job->id);
	snprintf(backoff, sizeof(backoff), "%u", job_backoff_secs(job->attempts, retry_delay));
	snprintf(max, sizeof(max), "%u", max_attempts);
	if (store_command(store, "BEGIN") < 0)
		return -1;
	res = store_exec(store, "failing a job",
			 "UPDATE jobs SET"
			 " state = CASE WHEN attempts >= $5::int THEN 'dead' ELSE 'queued' END,"
			 " next_attempt_at = now() + make_interval(secs => $4::int),"
			 " locked_by = NULL, locked_until = NULL, last_error = left($3, 1000),"
			 " updated_at = now()"
			 " WHERE id = $1 AND state = 'running' AND locked_by = $2"
			 " RETURNING state, message_id",
			 5, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		/* the lease was lost: whoever holds the job now decides */
		ret = 1;
		goto out;
	}
	ret = strcmp(PQgetvalue(res, 0, 0), "dead") == 0 ? 0 : 1;
	snprintf(ids, sizeof(ids), "{%s}", PQgetvalue(res, 0, 1));
	if (ret == 0) {
		const char *mparams[2] = {PQgetvalue(res, 0, 1), reason};

		if (store_exec_void(
			    store, "marking the message failed",
			    "UPDATE messages SET state = 'failed',"
			    " pipeline = pipeline || jsonb_build_object('error', left($2, 1000))"
			    " WHERE id = $1",
			    2, mparams) < 0) {
			ret = -1;
			goto out;
		}
	}
	/* the agent has read it: it is found by search from now on, while it
	 * waits for a retry too (migration 0250) */
	if (store_exec_void(store, "indexing the message for search",
			    STORE_SEARCH_INDEX_SQL("$1::bigint[]"), 1, sparams) < 0) {
		ret = -1;
		goto out;
	}
	if (store_command(store, "COMMIT") < 0)
		ret = -1;
	else
		committed = true;
out:
	PQclear(res);
	if (!committed)
		store_rollback(store);
	return ret;
}

int store_array_add(struct buf *b, const char *v)
{
	if (buf_append(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1) < 0)
		return -1;
	for (; *v != '\0'; v++) {
		if ((*v == '"' || *v == '\\') && buf_append(b, "\\", 1) < 0)
			return -1;
		if (buf_append(b, v, 1) < 0)
			return -1;
	}
	return buf_append(b, "\"", 1);
}

int store_jobs_renew(struct store *store, const int64_t *ids, const char *const *owners, size_t n,
		     unsigned int lease_secs)
{
	struct buf idb, ownb;
	char num[32], lease[16];
	const char *params[3];
	PGresult *res = NULL;
	uint64_t v;
	size_t i;
	int ret = -1;

	buf_init(&idb, 1024 * 1024);
	buf_init(&ownb, 1024 * 1024);
	if (n == 0)
		return 0;
	if (buf_append(&idb, "{", 1) < 0 || buf_append(&ownb, "{", 1) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%" PRId64, ids[i]);
		if (store_array_add(&idb, num) < 0 || store_array_add(&ownb, owners[i]) < 0)
			goto out;
	}
	if (buf_append(&idb, "}", 1) < 0 || buf_append(&ownb, "}", 1) < 0)
		goto out;
	snprintf(lease, sizeof(lease), "%u", lease_secs);
	params[0] = idb.data;
	params[1] = ownb.data;
	params[2] = lease;
	res = store_exec(store, "renewing job leases",
			 "UPDATE jobs j SET locked_until = now() + make_interval(secs => $3::int),"
			 " updated_at = now() FROM unnest($1::bigint[], $2::text[]) AS h(id, owner)"
			 " WHERE j.id = h.id AND j.locked_by = h.owner AND j.state = 'running'",
			 3, params);
	if (res == NULL)
		goto out;
	if (parse_u64(PQcmdTuples(res), INT32_MAX, &v) == 0)
		ret = (int)v;
out:
	PQclear(res);
	buf_free(&idb);
	buf_free(&ownb);
	return ret;
}

int64_t store_jobs_ready(struct store *store)
{
	PGresult *res;
	uint64_t v;
	int64_t n = -1;

	res = store_exec(
		store, "counting jobs",
		"SELECT count(*) FROM jobs WHERE (state = 'queued' AND next_attempt_at <= now())"
		" OR (state = 'running' AND locked_until < now())",
		0, NULL);
	if (res == NULL)
		return -1;
	if (parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &v) == 0)
		n = (int64_t)v;
	PQclear(res);
	return n;
}
