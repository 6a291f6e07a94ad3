/* SPDX-License-Identifier: MIT */
#include "daemon/store/store_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_batch.h"
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
static int sp_take_raw(const PGresult *res, int row, int col, struct pipeline_message *msg)
{
	unsigned char *raw;
	size_t len = 0;

	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), &len);
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

/* msg from row's columns c..c+7: the mailbox's name, raw, whether raw is
 * kept, screen_reason, is_duplicate, is_oversized, forced_category, parsed.
 * 1, or -1 (out of memory, recorded). */
static int sp_fill(struct store *store, const PGresult *res, int row, int c, int64_t id,
		   struct pipeline_message *msg_r)
{
	msg_r->id = id;
	msg_r->mailbox = dup_value(res, row, c);
	if (!PQgetisnull(res, row, c + 1) && sp_take_raw(res, row, c + 1, msg_r) < 0)
		goto oom;
	msg_r->has_raw = PQgetvalue(res, row, c + 2)[0] == 't';
	msg_r->screen_reason = dup_value(res, row, c + 3);
	msg_r->is_duplicate = PQgetvalue(res, row, c + 4)[0] == 't';
	msg_r->is_oversized = PQgetvalue(res, row, c + 5)[0] == 't';
	msg_r->forced_category = dup_value(res, row, c + 6);
	msg_r->parsed = dup_value(res, row, c + 7);
	msg_r->parsed_len = msg_r->parsed != NULL ? (size_t)PQgetlength(res, row, c + 7) : 0;
	if (msg_r->mailbox == NULL || (!PQgetisnull(res, row, c + 7) && msg_r->parsed == NULL))
		goto oom;
	return 1;
oom:
	error_set(&store->err, "loading a message: out of memory");
	pipeline_message_clear(msg_r);
	return -1;
}

int store_pipeline_message(struct store *store, int64_t id, int parsed_version,
			   struct pipeline_message *msg_r)
{
	char idbuf[24], vbuf[16];
	const char *params[2] = {idbuf, vbuf};
	const PGresult *kept;
	PGresult *res = NULL;
	int ret = -1, row;

	memset(msg_r, 0, sizeof(*msg_r));
	/* read with the batch's locks already (store_batch.h) */
	kept = store_batch_message(store, id, parsed_version, &row);
	if (kept != NULL)
		return sp_fill(store, kept, row, 1, id, msg_r);
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
	ret = PQntuples(res) == 0 ? 0 : sp_fill(store, res, 0, 0, id, msg_r);
	PQclear(res);
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
		ret = sp_take_raw(res, 0, 0, msg);
		if (ret < 0)
			error_set(&store->err, "loading a message's raw bytes: out of memory");
	}
	PQclear(res);
	return ret;
}

#define STORE_CAT_CACHE_MAX 64

struct store_cat_entry {
	char name[64];
	uint64_t until_ms;
	bool absent; /* the table has no row of that name */
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

/* The first category kept on this connection: LISTEN first, so a change
 * committed after the row is read cannot go unnoticed. Returns the cache,
 * or NULL (nothing is kept then: every read asks the table). */
static struct store_cat_cache *store_cat_open(struct store *store)
{
	PGresult *res;

	if (store->cats != NULL)
		return store->cats;
	res = PQexec(store->conn, "LISTEN draftd_categories");
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		store->cats = calloc(1, sizeof(*store->cats));
	PQclear(res);
	return store->cats;
}

/* Drops every kept row when a change to the categories was announced
 * (migration 0151's trigger): reads what arrived, no round trip. */
static void store_cat_notified(struct store *store)
{
	PGnotify *n;
	bool changed = false;

	if (store->cats == NULL || PQconsumeInput(store->conn) != 1)
		return;
	while ((n = PQnotifies(store->conn)) != NULL) {
		if (strcmp(n->relname, "draftd_categories") == 0)
			changed = true;
		PQfreemem(n);
	}
	if (changed)
		store->cats->count = store->cats->next = 0;
}

static struct store_cat_entry *store_cat_find(struct store *store, const char *category)
{
	for (unsigned int i = 0; store->cats != NULL && i < store->cats->count; i++) {
		if (strcmp(store->cats->e[i].name, category) == 0)
			return &store->cats->e[i];
	}
	return NULL;
}

/* Keeps a draft or off row, or that there is no row (s NULL: the
 * configured mode applies, and a row that appears is announced like any
 * change); anything else (shadow, auto) is never kept. */
static void store_cat_keep(struct store *store, const char *category,
			   const struct category_settings *s)
{
	struct store_cat_entry *e = store_cat_find(store, category);
	unsigned int ttl = store_cat_ttl_ms;

	if (ttl == 0 || strlen(category) >= sizeof(e->name) ||
	    (s != NULL && strcmp(s->mode, "draft") != 0 && strcmp(s->mode, "off") != 0)) {
		if (e != NULL)
			e->until_ms = 0;
		return;
	}
	if (e == NULL) {
		if (store->cats == NULL)
			return;
		if (store->cats->count < STORE_CAT_CACHE_MAX) {
			e = &store->cats->e[store->cats->count++];
		} else {
			e = &store->cats->e[store->cats->next];
			store->cats->next = (store->cats->next + 1) % STORE_CAT_CACHE_MAX;
		}
		str_copy(e->name, sizeof(e->name), category);
	}
	e->absent = s == NULL;
	if (s != NULL)
		e->settings = *s;
	e->until_ms = time_mono_ms() + ttl;
}

int store_category_settings(struct store *store, const char *category,
			    struct category_settings *settings_r)
{
	const char *params[1] = {category};
	struct store_cat_entry *e;
	PGresult *res;
	int ret = -1;

	store_cat_notified(store);
	e = store_cat_find(store, category);
	if (e != NULL && time_mono_ms() < e->until_ms) {
		if (e->absent)
			return 0;
		*settings_r = e->settings;
		return 1;
	}
	if (store_cat_ttl_ms > 0)
		(void)store_cat_open(store);

	res = store_exec(
		store, "reading a category",
		"SELECT mode, threshold, audit_sample_rate FROM categories WHERE name = $1", 1,
		params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		store_cat_keep(store, category, NULL);
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

int store_classifier_generation(struct store *store, uint64_t *generation_r)
{
	PGresult *res;
	int ret = -1;

	res = store_exec(store, "reading the classifier examples' generation",
			 "SELECT coalesce(sum(n), 0)::bigint FROM classifier_generation", 0, NULL);
	if (res == NULL)
		return -1;
	if (parse_u64(PQgetvalue(res, 0, 0), INT64_MAX, generation_r) < 0) {
		error_set(&store->err,
			  "reading the classifier examples' generation: unexpected answer");
		goto out;
	}
	ret = 1;
out:
	PQclear(res);
	return ret;
}

int store_model_probe_record(struct store *store, const json_t *probe)
{
	char *text = json_dumps(probe, JSON_COMPACT);
	const char *params[1] = {text};
	int ret;

	if (text == NULL)
		return -1;
	ret = store_exec_void(store, "recording the model probe",
			      "INSERT INTO settings (key, value, updated_by)"
			      " VALUES ('model_probe', $1::jsonb, 'pipeline')"
			      " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
			      " updated_by = EXCLUDED.updated_by, updated_at = now()",
			      1, params);
	free(text);
	return ret;
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
