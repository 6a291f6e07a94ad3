/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/lib/sample.h"
#include "daemon/store/store_private.h"
#include "daemon/lib/util.h"

static char *dup_value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : strdup(PQgetvalue(res, row, col));
}

void pipeline_message_clear(struct pipeline_message *msg)
{
	if (msg == NULL)
		return;
	free(msg->mailbox);
	free(msg->raw);
	free(msg->parsed);
	free(msg->screen_reason);
	free(msg->forced_category);
	memset(msg, 0, sizeof(*msg));
}

/* raw from a hex bytea column into msg. 1, or -1 out of memory. */
static int sp_take_raw(const PGresult *res, int col, struct pipeline_message *msg)
{
	unsigned char *raw;
	size_t len = 0;

	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, col), &len);
	if (raw == NULL)
		return -1;
	msg->raw = malloc(len + 1);
	if (msg->raw != NULL) {
		memcpy(msg->raw, raw, len);
		msg->raw[len] = '\0';
		msg->raw_len = len;
	}
	PQfreemem(raw);
	return msg->raw != NULL ? 1 : -1;
}

int store_pipeline_message(struct store *store, int64_t id, int parsed_version,
			   struct pipeline_message *msg_r)
{
	char idbuf[24], vbuf[16];
	const char *params[2] = {idbuf, vbuf};
	PGresult *res = NULL;
	int ret = -1;

	memset(msg_r, 0, sizeof(*msg_r));
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(vbuf, sizeof(vbuf), "%d", parsed_version);
	/* raw as hex text keeps the whole call in text mode; unescaped below.
	 * Only one of raw and parsed is sent. */
	res = store_exec(
		store, "loading a message",
		"SELECT mb.name, CASE WHEN m.parsed_version IS DISTINCT FROM $2 OR m.parsed IS NULL"
		" THEN m.raw END, m.raw IS NOT NULL, m.screen_reason, m.is_duplicate,"
		" m.is_oversized, m.forced_category,"
		" CASE WHEN m.parsed_version = $2 THEN m.parsed END"
		" FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE m.id = $1",
		2, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		ret = 0;
		goto out;
	}
	msg_r->id = id;
	msg_r->mailbox = dup_value(res, 0, 0);
	if (!PQgetisnull(res, 0, 1) && sp_take_raw(res, 1, msg_r) < 0)
		goto out;
	msg_r->has_raw = PQgetvalue(res, 0, 2)[0] == 't';
	msg_r->screen_reason = dup_value(res, 0, 3);
	msg_r->is_duplicate = PQgetvalue(res, 0, 4)[0] == 't';
	msg_r->is_oversized = PQgetvalue(res, 0, 5)[0] == 't';
	msg_r->forced_category = dup_value(res, 0, 6);
	msg_r->parsed = dup_value(res, 0, 7);
	msg_r->parsed_len = msg_r->parsed != NULL ? (size_t)PQgetlength(res, 0, 7) : 0;
	if (msg_r->mailbox == NULL || (!PQgetisnull(res, 0, 7) && msg_r->parsed == NULL)) {
		snprintf(store->error, sizeof(store->error), "loading a message: out of memory");
		goto out;
	}
	ret = 1;
out:
	PQclear(res);
	if (ret < 0)
		pipeline_message_clear(msg_r);
	return ret;
}

int store_pipeline_raw(struct store *store, struct pipeline_message *msg)
{
	char idbuf[24];
	const char *params[1] = {idbuf};
	PGresult *res;
	int ret = 0;

	if (msg->raw != NULL)
		return 1;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)msg->id);
	res = store_exec(store, "loading a message's raw bytes",
			 "SELECT raw FROM messages WHERE id = $1 AND raw IS NOT NULL", 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		ret = sp_take_raw(res, 0, msg);
		if (ret < 0)
			snprintf(store->error, sizeof(store->error),
				 "loading a message's raw bytes: out of memory");
	}
	PQclear(res);
	return ret;
}

#define STORE_CAT_CACHE_MAX 64

struct store_cat_entry {
	char name[64];
	uint64_t until_ms;
	struct category_settings settings;
};

struct store_cat_cache {
	unsigned int count, next; /* next: the slot a new name replaces when full */
	struct store_cat_entry e[STORE_CAT_CACHE_MAX];
};

static _Atomic unsigned int store_cat_ttl_ms = STORE_CATEGORY_TTL_MS;

void store_category_cache_ttl_set(unsigned int ms)
{
	store_cat_ttl_ms = ms;
}

void store_category_cache_free(struct store *store)
{
	free(store->cats);
	store->cats = NULL;
}

static struct store_cat_entry *store_cat_find(struct store *store, const char *category)
{
	for (unsigned int i = 0; store->cats != NULL && i < store->cats->count; i++) {
		if (strcmp(store->cats->e[i].name, category) == 0)
			return &store->cats->e[i];
	}
	return NULL;
}

/* Keeps a draft or off row; anything else (shadow, auto) is never kept. */
static void store_cat_keep(struct store *store, const char *category,
			   const struct category_settings *s)
{
	struct store_cat_entry *e = store_cat_find(store, category);
	unsigned int ttl = store_cat_ttl_ms;

	if (ttl == 0 || strlen(category) >= sizeof(e->name) ||
	    (strcmp(s->mode, "draft") != 0 && strcmp(s->mode, "off") != 0)) {
		if (e != NULL)
			e->until_ms = 0;
		return;
	}
	if (e == NULL) {
		if (store->cats == NULL && (store->cats = calloc(1, sizeof(*store->cats))) == NULL)
			return;
		if (store->cats->count < STORE_CAT_CACHE_MAX) {
			e = &store->cats->e[store->cats->count++];
		} else {
			e = &store->cats->e[store->cats->next];
			store->cats->next = (store->cats->next + 1) % STORE_CAT_CACHE_MAX;
		}
		str_copy(e->name, sizeof(e->name), category);
	}
	e->settings = *s;
	e->until_ms = time_mono_ms() + ttl;
}

int store_category_settings(struct store *store, const char *category,
			    struct category_settings *settings_r)
{
	const char *params[1] = {category};
	struct store_cat_entry *e = store_cat_find(store, category);
	PGresult *res;
	int ret = -1;

	if (e != NULL && time_mono_ms() < e->until_ms) {
		*settings_r = e->settings;
		return 1;
	}

	res = store_exec(
		store, "reading a category",
		"SELECT mode, threshold, audit_sample_rate FROM categories WHERE name = $1", 1,
		params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		ret = 0;
		goto out;
	}
	str_copy(settings_r->mode, sizeof(settings_r->mode), PQgetvalue(res, 0, 0));
	if (parse_double(PQgetvalue(res, 0, 1), 0, 1, &settings_r->threshold) < 0 ||
	    parse_double(PQgetvalue(res, 0, 2), 0, 1, &settings_r->audit_sample_rate) < 0)
		goto out;
	store_cat_keep(store, category, settings_r);
	ret = 1;
out:
	PQclear(res);
	return ret;
}

json_t *store_classifier_examples(struct store *store, unsigned int max)
{
	char n[16];
	const char *params[1] = {n};

	snprintf(n, sizeof(n), "%u", max);
	return store_json_list(
		store, "reading classifier examples",
		"SELECT jsonb_build_object('text', coalesce(subject, '') || E'\\n' ||"
		" coalesce(text_body, ''), 'category', category)"
		" FROM classifier_examples ORDER BY id DESC LIMIT $1::int",
		1, params);
}

/* JSON text of v for a jsonb parameter ("null" for NULL); free() it. */
static char *json_param(const json_t *v, const char *fallback)
{
	if (v == NULL)
		return strdup(fallback);
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int pipeline_update_message(struct store *store, int64_t message_id,
				   const struct pipeline_result *r)
{
	char id[24];
	char *record = json_param(r->record, "{}");
	const char *params[4] = {id, r->message_state, record, r->language};
	PGresult *res;
	int ret = -1;

	snprintf(id, sizeof(id), "%lld", (long long)message_id);
	if (record == NULL)
		return -1;
	/* the latest event is the reason a person sees: an older reject's goes;
	 * a message a person reopened is never skipped again, it waits for them */
	res = store_exec(store, "storing the pipeline result",
			 "UPDATE messages SET state = CASE WHEN $2 = 'skipped' AND reopened_at"
			 " IS NOT NULL THEN 'human' ELSE $2 END, pipeline = $3::jsonb,"
			 " language = $4, human_reason = CASE WHEN $2 = 'skipped' AND reopened_at"
			 " IS NOT NULL THEN 'reopened by ' || reopened_by || '; screening would"
			 " skip it: ' || coalesce($3::jsonb->>'reason', '?') END WHERE id = $1",
			 4, params);
	if (res != NULL) {
		ret = 0;
		PQclear(res);
	}
	free(record);
	return ret;
}

static int pipeline_insert_draft(struct store *store, int64_t message_id,
				 const struct pipeline_result *r, int64_t *draft_id_r)
{
	enum { N_JSON = 7 };
	char id[24], conf[32];
	char *json[N_JSON] = {NULL};
	const json_t *src[N_JSON] = {
		r->facts,  r->rule_hits, r->guardrail_flags, r->decision_reasons, r->notes,
		r->shadow, NULL};
	const char *params[20];
	PGresult *res = NULL;
	uint64_t v;
	int i, ret = -1;

	snprintf(id, sizeof(id), "%lld", (long long)message_id);
	snprintf(conf, sizeof(conf), "%.6f", r->confidence);
	for (i = 0; i < N_JSON - 1; i++) {
		json[i] = src[i] != NULL ? json_param(src[i], "null") : NULL;
		if (src[i] != NULL && json[i] == NULL)
			goto out;
	}
	params[0] = id;
	params[1] = r->category;
	params[2] = conf;
	params[3] = r->confidence_source;
	params[4] = r->subject != NULL ? r->subject : "";
	params[5] = r->body != NULL ? r->body : "";
	params[6] = r->recipient;
	params[7] = r->model;
	params[8] = r->prompt_version;
	params[9] = json[0] != NULL ? json[0] : "{}";
	params[10] = json[1] != NULL ? json[1] : "[]";
	params[11] = json[2] != NULL ? json[2] : "[]";
	params[12] = json[3] != NULL ? json[3] : "[]";
	params[13] = json[4] != NULL ? json[4] : "[]";
	params[14] = json[5]; /* NULL when not in shadow mode */
	params[15] = r->decision;
	params[16] = r->status;
	params[17] = r->language;
	res = store_exec(
		store, "storing a draft",
		"INSERT INTO drafts (message_id, category, confidence, confidence_source,"
		" subject, body, recipient, model, prompt_version, facts, rule_hits,"
		" guardrail_flags, decision_reasons, notes, shadow, decision, status,"
		" language, reviewer, decided_at, superseded_at, superseded_by)"
		" VALUES ($1, $2, $3::float8, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb,"
		" $12::jsonb, $13::jsonb, $14::jsonb, $15::jsonb, $16, $17, $18,"
		" CASE WHEN $17 = 'approved' THEN 'auto' END,"
		" CASE WHEN $17 = 'approved' THEN now() END,"
		" CASE WHEN $17 = 'superseded' THEN now() END,"
		" CASE WHEN $17 = 'superseded' THEN 'pipeline' END)"
		" RETURNING id",
		18, params);
	if (res == NULL)
		goto out;
	if (parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, &v) < 0)
		goto out;
	*draft_id_r = (int64_t)v;
	ret = 0;
out:
	PQclear(res);
	for (i = 0; i < N_JSON; i++)
		free(json[i]);
	return ret;
}

/* Queues an automatic reply; a share of them (by draft id, so a test can
 * recompute which) is marked for post-send review. */
static int pipeline_insert_outbox(struct store *store, int64_t draft_id, const char *message_id,
				  double sample_rate)
{
	char id[24];
	const char *params[3] = {id, message_id, sample_weyl(draft_id, sample_rate) ? "t" : "f"};
	PGresult *res;

	snprintf(id, sizeof(id), "%lld", (long long)draft_id);
	res = store_exec(
		store, "queueing an automatic reply",
		"WITH o AS (INSERT INTO outbox (draft_id, message_id, is_auto)"
		" VALUES ($1, $2, true) RETURNING draft_id)"
		" UPDATE drafts d SET sampled = $3::boolean FROM o WHERE d.id = o.draft_id",
		3, params);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Every decision is audited with the change it records. */
static int pipeline_audit(struct store *store, int64_t message_id, const struct pipeline_result *r,
			  int64_t draft_id)
{
	char id[24];
	json_t *after;
	int ret;

	snprintf(id, sizeof(id), "%lld", (long long)message_id);
	after = json_pack("{s:s, s:s?, s:s?, s:O?, s:O?}", "state", r->message_state, "decision",
			  r->decision, "category", r->category, "reasons",
			  r->decision_reasons != NULL ? r->decision_reasons
						      : json_object_get(r->record, "reason"),
			  "rules", r->rule_hits);
	if (after == NULL)
		return -1;
	if (draft_id > 0)
		json_object_set_new(after, "draft_id", json_integer((json_int_t)draft_id));
	ret = store_audit_append(store, "pipeline", "message.decide", "message", id, NULL, after);
	json_decref(after);
	return ret;
}

/* An automatic reply over its limits becomes a draft for a reviewer. */
static int pipeline_hold_back(struct store *store, struct pipeline_result *result)
{
	const char *reason = NULL;
	int r;

	if (result->outbox_message_id == NULL || result->auto_limit == NULL)
		return 0;
	r = store_auto_limit_tx(store, result->auto_limit, &reason);
	if (r != 0)
		return r < 0 ? -1 : 0;
	result->held_back = reason;
	result->status = "pending";
	result->decision = "pending";
	result->outbox_message_id = NULL;
	if (result->record != NULL) {
		json_object_set_new(result->record, "decision", json_string("pending"));
		json_object_set_new(result->record, "held_back", json_string(reason));
	}
	if (result->decision_reasons != NULL &&
	    json_array_append_new(result->decision_reasons, json_string(reason)) < 0) {
		store_set_error(store, "holding an automatic reply back: out of memory", NULL);
		return -1;
	}
	return 0;
}

/* Locks the message (before the job: the reviewers' decisions lock the
 * message first too) and says whether a new draft may be its live one: 1
 * yes, 0 no (not open, or a live draft exists), -1. */
static int pipeline_message_takes_draft(struct store *store, int64_t message_id)
{
	char id[24];
	const char *params[1] = {id};
	PGresult *res;
	int ret = -1;

	snprintf(id, sizeof(id), "%lld", (long long)message_id);
	res = store_exec(store, "locking the message",
			 "SELECT 1 FROM messages WHERE id = $1 FOR UPDATE", 1, params);
	if (res == NULL)
		return -1;
	PQclear(res);
	res = store_exec(store, "checking the message",
			 "SELECT m.status = 'open' AND NOT EXISTS (SELECT 1 FROM drafts d"
			 " WHERE d.message_id = m.id AND d.status IN ('pending', 'claimed',"
			 " 'approved')) FROM messages m WHERE m.id = $1",
			 1, params);
	if (res == NULL)
		return -1;
	ret = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't' ? 1 : 0;
	PQclear(res);
	return ret;
}

int store_pipeline_finish(struct store *store, const struct store_job *job, int64_t message_id,
			  struct pipeline_result *result, int64_t *draft_id_r)
{
	struct pipeline_result late;
	bool committed = false;
	int ret = -1, r;

	*draft_id_r = 0;
	if (store_command(store, "BEGIN") < 0)
		return -1;
	r = pipeline_message_takes_draft(store, message_id);
	if (r < 0)
		goto out;
	if (r == 0 && result->has_draft) {
		/* too late: kept for the record, never sendable */
		late = *result;
		late.status = "superseded";
		late.outbox_message_id = NULL;
		result = &late;
	}
	r = store_job_complete(store, job);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	if (result->has_draft && pipeline_hold_back(store, result) < 0)
		goto out;
	if (pipeline_update_message(store, message_id, result) < 0)
		goto out;
	if (result->has_draft) {
		if (pipeline_insert_draft(store, message_id, result, draft_id_r) < 0)
			goto out;
		if (result->outbox_message_id != NULL &&
		    pipeline_insert_outbox(store, *draft_id_r, result->outbox_message_id,
					   result->sample_rate) < 0)
			goto out;
	}
	if (pipeline_audit(store, message_id, result, *draft_id_r) < 0)
		goto out;
	if (store_command(store, "COMMIT") < 0)
		goto out;
	committed = true;
	ret = 1;
out:
	if (!committed)
		store_rollback(store);
	return ret;
}

int store_model_probe_record(struct store *store, const json_t *probe)
{
	char *text = json_dumps(probe, JSON_COMPACT);
	const char *params[1] = {text};
	PGresult *res;

	if (text == NULL)
		return -1;
	res = store_exec(store, "recording the model probe",
			 "INSERT INTO settings (key, value, updated_by)"
			 " VALUES ('model_probe', $1::jsonb, 'pipeline')"
			 " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
			 " updated_by = EXCLUDED.updated_by, updated_at = now()",
			 1, params);
	free(text);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

json_t *store_model_probe(struct store *store)
{
	PGresult *res;
	json_t *probe = NULL;

	res = store_exec(
		store, "reading the model probe",
		"SELECT (value || jsonb_build_object('at', updated_at))::text FROM settings"
		" WHERE key = 'model_probe'",
		0, NULL);
	if (res == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		probe = store_json(store, PQgetvalue(res, 0, 0));
	PQclear(res);
	return probe;
}
