/* SPDX-License-Identifier: MIT */
/* The declarative table of every config key: section, name, type, default
 * and range (PgBouncer/Redis style). deploy/draftd.conf.example documents
 * each; the config suite loads it, so the two cannot drift apart. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/config/config_private.h"
#include "daemon/lib/util.h"

static const char *const backend_names[] = {"builtin", "openai", NULL};
static const char *const mode_names[] = {"off", "draft", "shadow", "auto", NULL};
static const char *const promotion_names[] = {"manual", "automatic", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_format_names[] = {"logfmt", "json", NULL};
static const char *const disclosure_names[] = {"exact", "enough", "none", NULL};
static const char *const sent_copy_names[] = {"append", "provider", "off", NULL};
static const char *const auth_names[] = {"password", "oauth2", NULL};
static const char *const quote_names[] = {"none", "bottom", NULL};
static const char *const assign_names[] = {"off", "round_robin", NULL};

/* One key per line; clang-format would break each macro body open like a
 * block, so the macros are kept out of its reach. */
// clang-format off
#define K_STR(s, f, d)          { #f, CFG_STR, offsetof(s, f), d, 0, 0, NULL, false }
#define K_REQ(s, f)             { #f, CFG_STR, offsetof(s, f), NULL, 0, 0, NULL, true }
#define K_UINT(s, f, d, lo, hi) { #f, CFG_UINT, offsetof(s, f), d, lo, hi, NULL, false }
#define K_SIZE(s, f, d, lo, hi) { #f, CFG_SIZE, offsetof(s, f), d, lo, hi, NULL, false }
#define K_DBL(s, f, d, lo, hi)  { #f, CFG_DOUBLE, offsetof(s, f), d, lo, hi, NULL, false }
#define K_BOOL(s, f, d)         { #f, CFG_BOOL, offsetof(s, f), d, 0, 1, NULL, false }
#define K_DUR(s, f, d, lo, hi)  { #f, CFG_DURATION, offsetof(s, f), d, lo, hi, NULL, false }
#define K_ENUM(s, f, d, n)      { #f, CFG_ENUM, offsetof(s, f), d, 0, 0, n, false }
#define K_END                   { NULL, CFG_STR, 0, NULL, 0, 0, NULL, false }
// clang-format on

typedef __typeof__(((struct config *)0)->database) database_t;
typedef __typeof__(((struct config *)0)->api) api_t;
typedef __typeof__(((struct config *)0)->model) model_t;
typedef __typeof__(((struct config *)0)->smtp) smtp_t;
typedef __typeof__(((struct config *)0)->log) log_t;
typedef __typeof__(((struct config *)0)->agent) agent_t;
typedef __typeof__(((struct config *)0)->limits) limits_t;
typedef __typeof__(((struct config *)0)->review) review_t;
typedef __typeof__(((struct config *)0)->metrics) metrics_t;
typedef __typeof__(((struct config *)0)->auth) auth_t;
typedef __typeof__(((struct config *)0)->oidc) oidc_t;

static const struct config_key database_keys[] = {
	K_STR(database_t, url, NULL),
	K_STR(database_t, url_file, NULL),
	K_DUR(database_t, connect_timeout, "10", 1, 300),
	K_UINT(database_t, poller_connections, "1", 1, 64),
	K_UINT(database_t, statement_cache, "256", 0, 4096),
	K_END,
};

static const struct config_key api_keys[] = {
	K_STR(api_t, listen, "127.0.0.1:8080"),
	K_STR(api_t, tls_cert, NULL),
	K_STR(api_t, tls_key, NULL),
	K_STR(api_t, web_root, NULL),
	K_SIZE(api_t, max_body, "1M", 1024, 64 * 1024 * 1024),
	K_UINT(api_t, threads, "0", 0, 256), /* 0: config_api_threads() */
	K_UINT(api_t, max_connections_per_client, "32", 0, 512),
	K_DUR(api_t, token_cache_ttl, "5", 0, 60),
	K_DUR(api_t, backlog_max_age, "5", 0, 300),
	K_END,
};

static const struct config_key model_keys[] = {
	K_ENUM(model_t, backend, "builtin", backend_names),
	K_STR(model_t, base_url, NULL),
	K_STR(model_t, model, "local"),
	K_STR(model_t, api_key_file, NULL),
	K_DUR(model_t, timeout, "60", 1, 3600),
	K_UINT(model_t, max_tokens, "800", 16, 32768),
	K_UINT(model_t, seed, "42", 0, UINT32_MAX),
	K_UINT(model_t, max_in_flight, "2", 1, 256),
	K_STR(model_t, templates_dir, NULL),
	K_DUR(model_t, connect_timeout, "5", 1, 300),
	K_UINT(model_t, breaker_failures, "5", 1, 1000),
	K_DUR(model_t, breaker_cooldown, "30", 1, 3600),
	K_SIZE(model_t, max_reply_size, "256k", 4096, 64 * 1024 * 1024),
	K_END,
};

static const struct config_key smtp_keys[] = {
	K_STR(smtp_t, url, NULL),
	K_STR(smtp_t, user, NULL),
	K_STR(smtp_t, password_file, NULL),
	K_ENUM(smtp_t, auth, "password", auth_names),
	K_BOOL(smtp_t, tls, "on"),
	K_STR(smtp_t, tls_ca_file, NULL),
	K_DUR(smtp_t, connect_timeout, "30", 1, 600),
	K_DUR(smtp_t, timeout, "120", 1, 3600),
	K_UINT(smtp_t, max_attempts, "10", 1, 1000),
	K_END,
};

static const struct config_key log_keys[] = {
	K_ENUM(log_t, level, "info", level_names),
	K_ENUM(log_t, format, "logfmt", log_format_names),
	K_END,
};

static const struct config_key agent_keys[] = {
	K_UINT(agent_t, workers, "2", 1, 64),
	K_STR(agent_t, rules_file, NULL),
	K_UINT(agent_t, max_attempts, "5", 1, 100),
	K_DUR(agent_t, job_lease, "30", 2, 86400),
	K_UINT(agent_t, batch, "32", 1, 32),
	K_DUR(agent_t, retry_delay, "30", 1, 3600),
	K_STR(agent_t, url_allow, NULL),
	K_STR(agent_t, signature_phones, NULL),
	K_STR(agent_t, authserv_id, NULL),
	K_BOOL(agent_t, builtin_categories, "on"),
	K_DUR(agent_t, stats_window, "30d", 60, 3660 * 86400),
	K_DBL(agent_t, unchanged_threshold, "0.05", 0, 1),
	K_DUR(agent_t, auto_reply_period, "1d", 1, 366 * 86400),
	K_UINT(agent_t, auto_hourly_cap, "20", 0, 1000000),
	K_DUR(agent_t, reply_window, "7d", 1, 366 * 86400),
	K_STR(agent_t, reply_demote_words, "wrong, not what I asked, incorrect, mistake"),
	K_BOOL(agent_t, reply_demote_any, "off"),
	K_DUR(agent_t, promotion_interval, "60", 1, 86400),
	K_STR(agent_t, spam_header_pattern, NULL),
	K_ENUM(agent_t, stock_disclosure, "enough", disclosure_names),
	K_END,
};

static const struct config_key limits_keys[] = {
	K_SIZE(limits_t, max_message_size, "25M", 1024, 1024 * 1024 * 1024),
	K_UINT(limits_t, max_mime_depth, "20", 1, 100),
	K_UINT(limits_t, max_mime_parts, "500", 1, 100000),
	K_SIZE(limits_t, max_header_size, "64k", 1024, 16 * 1024 * 1024),
	K_SIZE(limits_t, max_text_size, "64k", 1024, 16 * 1024 * 1024),
	K_END,
};

/* issue 11: Undo needs a delay before the outbox sends; a claim follows
 * the reviewer's presence (heartbeats) and lapses soon after they leave. */
static const struct config_key review_keys[] = {
	K_DUR(review_t, send_delay, "10", 0, 3600),
	K_DUR(review_t, claim_ttl, "2m", 10, 86400),
	K_END,
};

/* issue 15: Prometheus scrapes a listener of its own, without a token:
 * loopback by default, as PgBouncer's and Postfix's admin ports are. */
static const struct config_key metrics_keys[] = {
	K_STR(metrics_t, listen, "127.0.0.1:9464"),
	K_END,
};

/* issue 16: sessions and the lock-out (ui-api/api_auth.c, routes/api_signin.c) */
static const struct config_key auth_keys[] = {
	K_DUR(auth_t, session_idle, "8h", 60, 30 * 86400),
	K_DUR(auth_t, session_max, "7d", 60, 365 * 86400),
	K_UINT(auth_t, lockout_failures, "5", 1, 1000),
	K_UINT(auth_t, lockout_address_failures, "20", 1, 100000),
	K_DUR(auth_t, lockout_window, "15m", 1, 86400),
	K_DUR(auth_t, lockout_duration, "15m", 1, 86400),
	K_BOOL(auth_t, cookie_secure, "false"),
	K_END,
};

/* issue 16: single sign-on (routes/api_oidc.c) */
static const struct config_key oidc_keys[] = {
	K_STR(oidc_t, issuer, NULL),
	K_STR(oidc_t, client_id, NULL),
	K_STR(oidc_t, client_secret_file, NULL),
	K_STR(oidc_t, role_claim, NULL),
	K_STR(oidc_t, redirect_uri, NULL),
	K_STR(oidc_t, button, "Sign in with single sign-on"),
	K_END,
};

static const struct config_key mailbox_keys[] = {
	K_REQ(struct mailbox_config, url),
	K_REQ(struct mailbox_config, user),
	K_STR(struct mailbox_config, password, NULL),
	K_STR(struct mailbox_config, password_file, NULL),
	K_ENUM(struct mailbox_config, auth, "password", auth_names),
	K_STR(struct mailbox_config, oauth_token_url, NULL),
	K_STR(struct mailbox_config, oauth_client_id, NULL),
	K_STR(struct mailbox_config, oauth_client_secret_file, NULL),
	K_STR(struct mailbox_config, oauth_refresh_token_file, NULL),
	K_STR(struct mailbox_config, oauth_scope, NULL),
	K_STR(struct mailbox_config, folder, "INBOX"),
	K_STR(struct mailbox_config, sent_folder, NULL),
	K_ENUM(struct mailbox_config, sent_copy, "append", sent_copy_names),
	K_REQ(struct mailbox_config, address),
	K_STR(struct mailbox_config, display_name, NULL),
	K_STR(struct mailbox_config, signature, NULL),
	K_ENUM(struct mailbox_config, quote, "none", quote_names),
	K_DUR(struct mailbox_config, poll_interval, "60", 1, 86400),
	K_BOOL(struct mailbox_config, idle, "on"),
	K_BOOL(struct mailbox_config, starttls, "on"),
	K_BOOL(struct mailbox_config, tls_verify, "on"),
	K_STR(struct mailbox_config, tls_ca_file, NULL),
	K_UINT(struct mailbox_config, fetch_batch, "250", 1, 1000),
	K_STR(struct mailbox_config, spam_header_pattern, NULL),
	K_END,
};

static const struct config_key connector_keys[] = {
	K_REQ(struct connector_config, type),
	{"timeout", CFG_UINT, offsetof(struct connector_config, timeout_ms), "5000", 1, 600000,
	 NULL, false},
	K_DUR(struct connector_config, cache_ttl, "60", 0, 86400),
	K_END,
};

static const struct config_key category_keys[] = {
	K_ENUM(struct category_config, mode, "draft", mode_names),
	K_DBL(struct category_config, threshold, "0.9", 0, 1),
	K_DBL(struct category_config, audit_sample_rate, "0.1", 0, 1),
	K_UINT(struct category_config, min_samples, "50", 1, 1000000),
	K_DBL(struct category_config, target_rate, "0.95", 0, 1),
	K_ENUM(struct category_config, promotion, "manual", promotion_names),
	K_BOOL(struct category_config, never_auto, "off"),
	K_ENUM(struct category_config, assign, "off", assign_names),
	K_STR(struct category_config, assignees, NULL),
	K_END,
};

// clang-format off
#define SINGLE(n, f) \
	{ #n, n##_keys, false, offsetof(struct config, f), 0, 0, 0, false, 0, 0 }
#define NAMED(n, t, a, o) \
	{ #n, n##_keys, true, 0, offsetof(struct config, a), offsetof(struct config, a##_count), \
	  sizeof(t), o, offsetof(t, options), offsetof(t, options_count) }
// clang-format on

const struct config_section_def config_sections[] = {
	SINGLE(database, database),
	SINGLE(api, api),
	SINGLE(model, model),
	SINGLE(smtp, smtp),
	SINGLE(log, log),
	SINGLE(agent, agent),
	SINGLE(limits, limits),
	{"mailbox", mailbox_keys, true, 0, offsetof(struct config, mailboxes),
	 offsetof(struct config, mailboxes_count), sizeof(struct mailbox_config), false, 0, 0},
	NAMED(connector, struct connector_config, connectors, true),
	NAMED(category, struct category_config, categories, true),
	SINGLE(review, review),
	SINGLE(metrics, metrics),
	SINGLE(auth, auth),
	SINGLE(oidc, oidc),
};

const size_t config_sections_count = ARRAY_SIZE(config_sections);

_Static_assert(ARRAY_SIZE(config_sections) <= CONFIG_SECTIONS_MAX, "raise CONFIG_SECTIONS_MAX");

const char *category_mode_name(enum category_mode mode)
{
	return (unsigned int)mode < ARRAY_SIZE(mode_names) - 1 ? mode_names[mode] : "unknown";
}

int category_mode_parse(const char *name, enum category_mode *mode_r)
{
	unsigned int i;

	for (i = 0; mode_names[i] != NULL; i++) {
		if (strcmp(mode_names[i], name) == 0) {
			*mode_r = (enum category_mode)i;
			return 0;
		}
	}
	return -1;
}
