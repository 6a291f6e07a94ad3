/* SPDX-License-Identifier: MIT */
/* The loop and flood limits, counted where they cannot race. */
#include "daemon/store/store_auto_limit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_private.h"
#include "daemon/lib/util.h"

/* Advisory lock classes (the first key of the two-key form): one lock per
 * address or thread root, and the one every automatic reply takes when
 * there is an hourly cap. Other classes: 7303 outbox rows, 7304 the
 * automatic-send gate. */
#define AUTO_LIMIT_KEY_CLASS 7313
#define AUTO_LIMIT_ALL_CLASS 7314

#define AUTO_LIMIT_LOCKS_MAX 4

struct auto_lock {
	int32_t cls;
	int32_t key;
};

int store_auto_recent(struct store *store, const char *recipient, const char *sender,
		      int64_t message_id, unsigned int period_s, struct auto_recent *recent_r)
{
	char mid[24], period[16];
	const char *params[4] = {recipient, mid, period, sender};
	PGresult *res;
	uint64_t v[3];
	int i, ret = -1;

	snprintf(mid, sizeof(mid), "%" PRId64, message_id);
	snprintf(period, sizeof(period), "%u", period_s);
	res = store_exec(
		store, "counting recent automatic replies",
		"SELECT (SELECT count(*) FROM outbox o JOIN drafts d ON d.id = o.draft_id"
		" JOIN messages a ON a.id = d.message_id"
		" WHERE o.is_auto AND o.created_at > now() - make_interval(secs => $3::int)"
		" AND (lower(d.recipient) IN (lower($1), lower($4)) OR lower(a.sender) = "
		"lower($4))),"
		" (SELECT count(*) FROM messages m, outbox o JOIN drafts d ON d.id = o.draft_id"
		" JOIN messages a ON a.id = d.message_id WHERE m.id = $2::bigint AND o.is_auto"
		" AND o.created_at > now() - make_interval(secs => $3::int)"
		" AND (o.message_id = m.in_reply_to"
		" OR strpos(coalesce(m.\"references\", ''), o.message_id) > 0"
		" OR (a.id <> m.id AND draftd_thread_root(a.\"references\", a.in_reply_to,"
		" a.message_id) = draftd_thread_root(m.\"references\", m.in_reply_to, "
		"m.message_id))"
		" OR (a.id <> m.id AND a.message_id IS NOT NULL AND (a.message_id = m.in_reply_to"
		" OR strpos(coalesce(m.\"references\", ''), a.message_id) > 0)))),"
		" (SELECT count(*) FROM outbox o WHERE o.is_auto"
		" AND o.created_at > now() - interval '1 hour')",
		4, params);
	if (res == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		if (parse_u64(PQgetvalue(res, 0, i), INT64_MAX, &v[i]) < 0)
			goto out;
	recent_r->to_sender = (int64_t)v[0];
	recent_r->in_thread = (int64_t)v[1];
	recent_r->last_hour = (int64_t)v[2];
	ret = 0;
out:
	PQclear(res);
	return ret;
}

static int auto_lock_cmp(const void *a, const void *b)
{
	const struct auto_lock *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The lock keys of limit, sorted (every transaction takes its locks in the
 * same order, so two of them never wait on each other in a cycle) and
 * without repeats. Returns how many, or -1. */
static int auto_limit_keys(struct store *store, const struct auto_limit *limit,
			   struct auto_lock *locks)
{
	char mid[24];
	const char *params[3] = {mid, limit->recipient, limit->sender};
	PGresult *res;
	uint64_t v;
	int i, n = 0, out = 0;

	snprintf(mid, sizeof(mid), "%" PRId64, limit->message_id);
	res = store_exec(store, "hashing the automatic-reply lock keys",
			 /* non-negative: a shared collision only serialises more */
			 "SELECT hashtext(lower(nullif($2, ''))) & 2147483647,"
			 " hashtext(lower(nullif($3, ''))) & 2147483647,"
			 " (SELECT hashtext(draftd_thread_root(\"references\", in_reply_to,"
			 " message_id)) & 2147483647 FROM messages WHERE id = $1::bigint)",
			 3, params);
	if (res == NULL)
		return -1;
	if (limit->hourly_cap > 0)
		locks[n++] = (struct auto_lock){AUTO_LIMIT_ALL_CLASS, 0};
	for (i = 0; i < 3; i++) {
		if (PQgetisnull(res, 0, i))
			continue;
		if (parse_u64(PQgetvalue(res, 0, i), INT32_MAX, &v) < 0) {
			store_set_error(store, "hashing the automatic-reply lock keys: bad hash",
					NULL);
			PQclear(res);
			return -1;
		}
		locks[n++] = (struct auto_lock){AUTO_LIMIT_KEY_CLASS, (int32_t)v};
	}
	PQclear(res);
	qsort(locks, (size_t)n, sizeof(*locks), auto_lock_cmp);
	for (i = 0; i < n; i++)
		if (out == 0 || auto_lock_cmp(&locks[out - 1], &locks[i]) != 0)
			locks[out++] = locks[i];
	return out;
}

static int auto_limit_lock(struct store *store, const struct auto_lock *lock)
{
	char cls[16], key[16];
	const char *params[2] = {cls, key};

	snprintf(cls, sizeof(cls), "%" PRId32, lock->cls);
	snprintf(key, sizeof(key), "%" PRId32, lock->key);
	return store_exec_void(store, "locking the automatic-reply limits",
			       "SELECT pg_advisory_xact_lock($1::int, $2::int)", 2, params);
}

int store_auto_limit_tx(struct store *store, const struct auto_limit *limit, const char **reason_r)
{
	struct auto_lock locks[AUTO_LIMIT_LOCKS_MAX];
	struct auto_recent recent;
	int i, n, r;

	*reason_r = NULL;
	n = auto_limit_keys(store, limit, locks);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (auto_limit_lock(store, &locks[i]) < 0)
			return -1;
	/* FOR SHARE: store_auto_set() updates the row, so it waits for this
	 * transaction and its hold-back sweep then sees our reply */
	r = store_auto_switch(store, true);
	if (r <= 0) {
		*reason_r = AUTO_LIMIT_DISABLED;
		return r;
	}
	/* READ COMMITTED: this statement sees every reply committed by the
	 * transactions that held these locks before us */
	if (store_auto_recent(store, limit->recipient, limit->sender, limit->message_id,
			      limit->period_s, &recent) < 0)
		return -1;
	if (recent.to_sender >= (int64_t)limit->sender_limit)
		*reason_r = AUTO_LIMIT_SENDER;
	else if (recent.in_thread > 0)
		*reason_r = AUTO_LIMIT_THREAD;
	else if (limit->hourly_cap > 0 && recent.last_hour >= (int64_t)limit->hourly_cap)
		*reason_r = AUTO_LIMIT_HOURLY;
	return *reason_r == NULL ? 1 : 0;
}
