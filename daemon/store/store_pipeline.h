/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_STORE_PIPELINE_H
#define DRAFTD_STORE_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store/store.h"
#include "daemon/store/store_auto_limit.h"
#include "daemon/store/store_jobs.h"

/* What the pipeline reads and writes: a message to process, the category
 * settings and history it decides with, and its result, stored with the job's
 * completion in one transaction. */

struct pipeline_message {
	int64_t id;
	char *mailbox; /* the mailbox's name */
	/* the raw message: NULL when only headers were kept (has_raw false), or
	 * when parsed was read instead (store_pipeline_raw() fetches it) */
	char *raw;
	size_t raw_len;
	bool has_raw;
	/* ingest's parse (agent/mime/mime.h), when made by the parser version
	 * the caller asked for; NULL otherwise */
	char *parsed;
	size_t parsed_len;
	char *screen_reason; /* set at ingest for mail never to be drafted */
	bool is_duplicate;
	bool is_oversized;
	char *forced_category; /* a reviewer's corrected category: draft for it */
};

/* Loads message id: ingest's parse when it was made by parsed_version,
 * else raw (the parse is the larger part of a pipeline's reading, and raw
 * is then not sent at all). Returns 1 with *msg_r filled (free with
 * pipeline_message_clear()), 0 when there is no such message, -1 on error. */
int store_pipeline_message(struct store *store, int64_t id, int parsed_version,
			   struct pipeline_message *msg_r) __attribute__((warn_unused_result));
/* Reads msg's raw bytes after all (the stored parse could not be used).
 * Returns 1 with msg->raw set, 0 when the message or its raw is gone, -1 on
 * error. */
int store_pipeline_raw(struct store *store, struct pipeline_message *msg)
	__attribute__((warn_unused_result));
void pipeline_message_clear(struct pipeline_message *msg);

struct category_settings {
	char mode[16]; /* off | draft | shadow | auto */
	double threshold;
	double audit_sample_rate;
};

/* The category's row in the categories table. Returns 1 with *settings_r, 0
 * when the table has no such category, -1 on error. A row in draft or off
 * mode, and the absence of a row, is kept per connection (one round trip less per message, issue
 * 14) until a change to the table is announced (the connection LISTENs on draftd_categories;
 * migration 0151's trigger NOTIFYs on any change, by any instance, the API or the CLI): the change
 * applies to the next message after the notification arrives, and at the latest
 * STORE_CATEGORY_TTL_MS after it was made. A row in shadow or auto mode is read every time, so a
 * demotion or a new threshold applies to the very next message. */
#define STORE_CATEGORY_TTL_MS 10000
/* Tests: the TTL in milliseconds (0: read every time). */
void store_category_cache_ttl_set(unsigned int ms);
int store_category_settings(struct store *store, const char *category,
			    struct category_settings *settings_r)
	__attribute__((warn_unused_result));

/* Up to max reviewer-confirmed examples [{"text":..., "category":...}] for
 * the classifier, newest first (new reference), or NULL on error. Reads
 * those rows only (drafts_classifier_idx, migration 0255). */
json_t *store_classifier_examples(struct store *store, unsigned int max);
/* The examples' generation (migration 0255): it changes in the transaction
 * of every change to what store_classifier_examples() returns, so a model
 * trained on examples read after *generation_r was read holds every change
 * up to that number. Returns 1 with *generation_r, -1 on error. A few rows. */
int store_classifier_generation(struct store *store, uint64_t *generation_r)
	__attribute__((warn_unused_result));

/* Records the model backend's start-up probe verdict in the settings table
 * (key model_probe), so the API's /stats and `draftd stats` of any instance
 * show whether automatic replies are allowed. Returns 0 or -1. */
int store_model_probe_record(struct store *store, const json_t *probe)
	__attribute__((warn_unused_result));
/* The last recorded verdict (new reference), NULL when none or on error. */
json_t *store_model_probe(struct store *store);

/* The pipeline's result for one message. */
struct pipeline_result {
	const char *message_state; /* drafted | skipped | human */
	const char *language;
	json_t *record; /* classification, rules, decision: messages.pipeline */
	bool has_draft;
	/* the draft, when has_draft */
	const char *status;   /* pending, or approved for an automatic reply */
	const char *decision; /* pending | auto | skip */
	const char *category;
	double confidence;
	const char *confidence_source;
	const char *subject;
	const char *body;
	const char *recipient;
	const char *model;
	const char *prompt_version;
	json_t *facts;
	json_t *rule_hits;
	json_t *guardrail_flags;
	json_t *notes;
	json_t *decision_reasons;
	json_t *shadow; /* NULL unless the category is in shadow mode */
	/* an automatic reply: the outbox row's Message-ID, fixed now */
	const char *outbox_message_id;
	double sample_rate; /* share of automatic replies sampled (sample_weyl()) */
	/* an automatic reply's loop and flood limits, checked again where they
	 * cannot race (store_auto_limit_tx()); NULL: none */
	const struct auto_limit *auto_limit;
	/* set by store_pipeline_finish() when those limits held the reply
	 * back: the draft was stored pending with this reason added */
	const char *held_back;
};

/* Stores result and completes job in one transaction, under the message's
 * lock: a draft for a message that is no longer open, or that has a live
 * draft already (a person answered or closed it meanwhile), is kept for the
 * record as superseded and nothing is queued for sending. An automatic reply
 * that result->auto_limit holds back is stored as a pending draft instead:
 * result's status, decision and outbox_message_id are changed to what was
 * stored, the reason is appended to result->decision_reasons and set in
 * result->held_back. In an open batch (store_batch.h) nothing is committed
 * and, on -1 or 0, nothing is rolled back: the batch's owner aborts it;
 * except for an automatic reply the rows are written at the batch's commit
 * (*draft_id_r is 0 then; the audit row gets the id), where a lost lease
 * fails the commit.
 * Returns 1 when stored (with the new draft's id in
 * *draft_id_r, 0 when none), 0 when the job's lease was lost (nothing
 * stored: whoever has the job now will store it), -1 on error. */
int store_pipeline_finish(struct store *store, const struct store_job *job, int64_t message_id,
			  struct pipeline_result *result, int64_t *draft_id_r)
	__attribute__((warn_unused_result));

#endif
