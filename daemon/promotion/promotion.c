/* SPDX-License-Identifier: MIT */
/* The promotion service and the evidence it acts on. */
#include "daemon/promotion/promotion.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/promotion/promo.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_pool.h"
#include "daemon/store/store_promotion.h"

struct promotion_service {
	struct daemon *daemon;
	pthread_t thread;
};

static long row_long(const json_t *row, const char *key)
{
	return (long)json_integer_value(json_object_get(row, key));
}

static void promotion_fill(const json_t *row, const struct config *config, struct promo_counts *c,
			   struct promo_policy *p)
{
	const struct category_config *cc;

	memset(c, 0, sizeof(*c));
	memset(p, 0, sizeof(*p));
	c->drafted = row_long(row, "drafted");
	c->reviewed = row_long(row, "reviewed");
	c->unchanged = row_long(row, "approved_unchanged");
	c->edited = row_long(row, "approved_edited");
	c->rejected = row_long(row, "rejected");
	c->rejected_wrong = row_long(row, "rejected_wrong");
	c->never_auto_hits = row_long(row, "never_auto_hits");
	c->post_reviewed = row_long(row, "post_reviewed");
	c->post_unchanged = row_long(row, "post_unchanged");
	c->post_wrong = row_long(row, "post_wrong");
	c->post_fine = row_long(row, "post_fine");
	c->post_bad = row_long(row, "post_bad");
	p->name = json_string_value(json_object_get(row, "category"));
	p->mode = json_string_value(json_object_get(row, "mode"));
	p->min_samples = (unsigned int)json_integer_value(json_object_get(row, "min_samples"));
	p->target_rate = json_number_value(json_object_get(row, "target_rate"));
	p->automatic = strcmp(json_string_value(json_object_get(row, "promotion")) != NULL
				      ? json_string_value(json_object_get(row, "promotion"))
				      : "",
			      "automatic") == 0;
	if (p->name == NULL)
		p->name = "";
	if (p->mode == NULL)
		p->mode = "draft";
	cc = config_category(config, p->name);
	p->never_auto = cc != NULL && cc->never_auto;
}

/* Adds the computed fields to one row. */
static int promotion_decorate(json_t *row, const struct config *config)
{
	struct promo_counts c;
	struct promo_policy p;
	const char *why = NULL;
	bool eligible;
	int r = 0;

	promotion_fill(row, config, &c, &p);
	eligible = promo_eligible(&c, &p, &why);
	r |= json_object_set_new(
		row, "unchanged_rate",
		c.reviewed > 0 ? json_real((double)c.unchanged / (double)c.reviewed) : json_null());
	r |= json_object_set_new(row, "unchanged_lower_bound",
				 json_real(promo_wilson_lower(c.unchanged, c.reviewed, PROMO_Z)));
	r |= json_object_set_new(row, "eligible", json_boolean(eligible));
	r |= json_object_set_new(row, "not_eligible_because",
				 why != NULL ? json_string(why) : json_null());
	r |= json_object_set_new(row, "never_auto", json_boolean(promo_never_auto(&c, &p)));
	r |= json_object_set_new(
		row, "shadow",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "drafts",
			  json_integer_value(json_object_get(row, "shadow_drafts")), "would_auto",
			  json_integer_value(json_object_get(row, "shadow_would_auto")),
			  "would_auto_reviewed",
			  json_integer_value(json_object_get(row, "shadow_would_auto_reviewed")),
			  "agreed", json_integer_value(json_object_get(row, "shadow_agreed")),
			  "edited", json_integer_value(json_object_get(row, "shadow_edited")),
			  "rejected", json_integer_value(json_object_get(row, "shadow_rejected"))));
	r |= json_object_set_new(
		row, "samples",
		json_pack("{s:I, s:I, s:I}", "sampled",
			  json_integer_value(json_object_get(row, "samples")), "fine",
			  json_integer_value(json_object_get(row, "samples_fine")), "bad",
			  json_integer_value(json_object_get(row, "samples_bad"))));
	return r == 0 ? 0 : -1;
}

int promotion_stats(struct store *store, const struct config *config, json_t **result_r)
{
	json_t *rows = NULL, *row;
	size_t i;
	int on;

	on = store_auto_enabled(store);
	if (on < 0 || store_promotion_counts(store, config->agent.stats_window,
					     config->agent.unchanged_threshold, &rows) < 0)
		return -1;
	json_array_foreach(rows, i, row)
	{
		if (promotion_decorate(row, config) < 0) {
			json_decref(rows);
			return -1;
		}
	}
	*result_r = json_pack("{s:I, s:f, s:f, s:b, s:o}", "window_seconds",
			      (json_int_t)config->agent.stats_window, "unchanged_threshold",
			      config->agent.unchanged_threshold, "z", PROMO_Z, "auto_enabled",
			      on == 1, "categories", rows);
	return *result_r != NULL ? 0 : -1;
}

static bool name_in(const char *name, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(name, *list) == 0)
			return true;
	}
	return false;
}

int promotion_categories_decorate(struct store *store, const struct config *config,
				  const char *const *builtin, json_t *categories)
{
	json_t *stats = NULL, *cat, *row;
	struct promo_counts c;
	struct promo_policy p;
	const char *name, *why;
	size_t i, j;

	if (promotion_stats(store, config, &stats) < 0)
		return -1;
	json_array_foreach(categories, i, cat)
	{
		name = json_string_value(json_object_get(cat, "name"));
		if (name == NULL)
			continue;
		memset(&c, 0, sizeof(c));
		memset(&p, 0, sizeof(p));
		p.name = name;
		p.never_auto = config_category(config, name) != NULL &&
			       config_category(config, name)->never_auto;
		why = promo_never_auto_why(&c, &p);
		json_array_foreach(json_object_get(stats, "categories"), j, row)
		{
			const char *rn = json_string_value(json_object_get(row, "category"));

			if (rn != NULL && strcmp(rn, name) == 0) {
				promotion_fill(row, config, &c, &p);
				why = promo_never_auto_why(&c, &p);
				break;
			}
		}
		json_object_set_new(cat, "never_auto", json_boolean(why != NULL));
		json_object_set_new(cat, "never_auto_reason",
				    why != NULL ? json_string(why) : json_null());
		json_object_set_new(cat, "source",
				    json_string(config_category(config, name) != NULL ? "config"
						: name_in(name, builtin)              ? "builtin"
									 : "database"));
	}
	json_decref(stats);
	return 0;
}

/* The evidence recorded with a promotion or demotion. */
static json_t *promotion_evidence(const json_t *row)
{
	return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "reviewed",
			 json_object_get(row, "reviewed"), "approved_unchanged",
			 json_object_get(row, "approved_unchanged"), "unchanged_lower_bound",
			 json_object_get(row, "unchanged_lower_bound"), "target_rate",
			 json_object_get(row, "target_rate"), "min_samples",
			 json_object_get(row, "min_samples"), "samples",
			 json_object_get(row, "samples"));
}

static int promotion_categories(struct store *store, const struct config *config)
{
	json_t *stats = NULL, *row, *evidence;
	struct promo_counts c;
	struct promo_policy p;
	enum promo_action action;
	const char *why;
	size_t i;
	int r, changes = 0;

	if (promotion_stats(store, config, &stats) < 0)
		return -1;
	json_array_foreach(json_object_get(stats, "categories"), i, row)
	{
		promotion_fill(row, config, &c, &p);
		action = promo_next(&c, &p, &why);
		if (action == PROMO_NONE)
			continue;
		evidence = promotion_evidence(row);
		r = store_category_set_mode(store, p.name, p.mode,
					    action == PROMO_PROMOTE ? "auto" : "draft", "promotion",
					    why, evidence);
		json_decref(evidence);
		if (r < 0) {
			changes = -1;
			break;
		}
		if (r == 1) {
			changes++;
			if (action == PROMO_PROMOTE)
				log_info_kv("category promoted to auto", "category=%s reason=%s",
					    p.name, why);
			else
				log_warn_kv("category demoted to draft", "category=%s reason=%s",
					    p.name, why);
		}
	}
	json_decref(stats);
	return changes;
}

/* Customer replies on automatically answered threads. */
static int promotion_replies(struct store *store, const struct config *config)
{
	json_t *rows = NULL, *row;
	const char *category, *why;
	bool demote;
	size_t i;
	int changes = 0;

	if (store_auto_thread_replies(store, config->agent.reply_window, &rows) < 0)
		return -1;
	json_array_foreach(rows, i, row)
	{
		category = json_string_value(json_object_get(row, "category"));
		demote = promo_reply_demotes(json_string_value(json_object_get(row, "text")),
					     config->agent.reply_demote_words,
					     config->agent.reply_demote_any);
		why = config->agent.reply_demote_any
			      ? "the customer answered an automatic reply"
			      : "the customer answered an automatic reply with a listed word";
		if (store_auto_thread_record(store,
					     json_integer_value(json_object_get(row, "message")),
					     json_integer_value(json_object_get(row, "draft")),
					     category, demote, why) < 0) {
			changes = -1;
			break;
		}
		if (demote) {
			log_warn_kv("category demoted by a customer reply",
				    "category=%s reason=%s message_id=%lld",
				    category != NULL ? category : "unknown", why,
				    (long long)json_integer_value(json_object_get(row, "message")));
			changes++;
		}
	}
	json_decref(rows);
	return changes;
}

int promotion_pass(struct store *store, const struct config *config)
{
	long moved = 0;
	int a, b;

	if (store_auto_enabled(store) == 0) {
		if (store_auto_hold_back(store, "promotion", &moved) < 0)
			return -1;
		if (moved > 0)
			log_warn_kv("automatic replies are off: unsent ones back to review",
				    "count=%ld", moved);
	}
	a = promotion_replies(store, config);
	if (a < 0)
		return -1;
	b = promotion_categories(store, config);
	return b < 0 ? -1 : a + b;
}

int promotion_demote_all(struct store *store, const char *why)
{
	int n = store_category_demote_all(store, "promotion", why);

	if (n > 0)
		log_warn_kv("auto categories demoted to draft", "count=%d reason=%s", n, why);
	return n;
}

static void *promotion_thread(void *arg)
{
	struct promotion_service *s = arg;
	struct store_pool *pool = daemon_side_pool(s->daemon);
	struct store *store = NULL;
	struct config *config;
	struct error err;
	unsigned int interval;

	log_ctx_set("service", "promotion");
	while (!daemon_stopping(s->daemon)) {
		config = daemon_config(s->daemon);
		interval = config->agent.promotion_interval;
		/* borrowed for the pass, given back before the sleep: the job
		 * heartbeat and /metrics take turns on it (issue 14) */
		if (store_pool_get(pool, &store, &err) < 0)
			log_error("%s", error_msg(&err));
		else if (promotion_pass(store, config) < 0)
			log_error("promotion pass: %s", store_error(store));
		store_pool_put(pool, &store);
		config_unref(&config);
		daemon_sleep(s->daemon, interval * 1000);
	}
	log_ctx_clear();
	return NULL;
}

static int promotion_start(struct daemon *daemon, void **priv_r, struct error *err)
{
	struct promotion_service *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	s->daemon = daemon;
	if (pthread_create(&s->thread, NULL, promotion_thread, s) != 0) {
		free(s);
		error_set(err, "cannot start the promotion thread");
		return -1;
	}
	*priv_r = s;
	return 0;
}

static void promotion_stop(void *priv)
{
	struct promotion_service *s = priv;

	if (s == NULL)
		return;
	pthread_join(s->thread, NULL);
	free(s);
}

const struct service_ops service_promotion = {
	.name = "promotion",
	.start = promotion_start,
	.stop = promotion_stop,
};
