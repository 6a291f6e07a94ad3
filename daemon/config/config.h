/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONFIG_H
#define DRAFTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/lib/log.h"

/* draftd's configuration: one INI file, described key by key in the tables of
 * config.c and documented in deploy/draftd.conf.example. A loaded config is
 * immutable and shared: readers take a reference with config_ref() and drop
 * it with config_unref(), so SIGHUP can swap in a new one while workers still
 * hold the old. */

/* make SYSCONFDIR=... moves it (the Makefile passes DRAFTD_SYSCONFDIR) */
#ifndef DRAFTD_SYSCONFDIR
#define DRAFTD_SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_PATH DRAFTD_SYSCONFDIR "/draftd/draftd.conf"

enum model_backend { MODEL_BACKEND_BUILTIN = 0, MODEL_BACKEND_OPENAI };
/* [agent] stock_disclosure: what a stock reply says about the stock figure */
enum stock_disclosure {
	STOCK_DISCLOSURE_EXACT = 0,
	STOCK_DISCLOSURE_ENOUGH,
	STOCK_DISCLOSURE_NONE
};
enum category_mode {
	CATEGORY_MODE_OFF = 0,
	CATEGORY_MODE_DRAFT,
	CATEGORY_MODE_SHADOW,
	CATEGORY_MODE_AUTO
};
enum promotion_policy { PROMOTION_MANUAL = 0, PROMOTION_AUTOMATIC };
/* [mailbox] auth and [smtp] auth: how draftd logs in */
enum auth_method {
	AUTH_PASSWORD = 0,
	AUTH_OAUTH2 /* SASL XOAUTH2 with a token from oauth_token_url (daemon/oauth/) */
};
/* [mailbox] quote: the customer's mail under the reply */
enum reply_quote { QUOTE_NONE = 0, QUOTE_BOTTOM };
/* [mailbox] sent_copy: who files the copy of a sent reply in the Sent folder */
enum sent_copy {
	SENT_COPY_APPEND = 0, /* draftd APPENDs it (before submitting) */
	SENT_COPY_PROVIDER,   /* the submission server does (Gmail, Microsoft 365) */
	SENT_COPY_OFF         /* nobody: no Sent folder is used */
};

/* A key of a section whose keys belong to a plug-in (a connector's options):
 * kept in file order with its line, validated by the plug-in at open time. */
struct config_kv {
	char *key;
	char *value;
	unsigned int line;
};

struct mailbox_config {
	char *name;
	unsigned int line;
	char *url; /* imap://host:port or imaps://host:port */
	char *user;
	char *password; /* inline, from password_file, or $DRAFTD_MAILBOX_<NAME>_PASSWORD */
	char *password_file;
	enum auth_method auth;
	char *oauth_token_url;
	char *oauth_client_id;
	char *oauth_client_secret_file;
	char *oauth_client_secret; /* read from the file; NULL: none (public client) */
	char *oauth_refresh_token_file;
	char *oauth_refresh_token; /* read from the file; NULL: client_credentials grant */
	char *oauth_scope;
	char *folder;
	char *sent_folder; /* NULL: discovered (daemon/imap/imap_sent.h) */
	enum sent_copy sent_copy;
	char *address;      /* the From: of replies sent for this mailbox */
	char *display_name; /* the From's name ("Harbor Parts Support"), NULL: address's */
	char *signature;    /* template under every reply ({reviewer}, ...), NULL: none */
	enum reply_quote quote;
	unsigned int poll_interval; /* seconds */
	bool idle;
	bool starttls;
	bool tls_verify;
	char *tls_ca_file; /* extra trust anchors, e.g. a private CA */
	unsigned int fetch_batch;
	char *spam_header_pattern; /* PCRE2 on "name: value" headers; NULL: [agent]'s */
};

struct connector_config {
	char *name;
	unsigned int line;
	char *type; /* pg | http | csv: checked against the connector registry */
	unsigned int timeout_ms;
	unsigned int cache_ttl; /* seconds */
	struct config_kv *options;
	size_t options_count;
};

enum assign_mode { ASSIGN_OFF, ASSIGN_ROUND_ROBIN };

/* Most names in a category's assignees list, and longest name. */
#define CONFIG_ASSIGNEES_MAX     32
#define CONFIG_ASSIGNEE_NAME_MAX 64

struct category_config {
	char *name;
	unsigned int line;
	enum category_mode mode;
	double threshold;
	double audit_sample_rate;
	unsigned int min_samples;
	double target_rate;
	enum promotion_policy promotion;
	bool never_auto; /* never promoted (complaint and legal never are anyway) */
	/* issue 16: round_robin hands each open message of the category to the
	 * next of assignees (comma-separated names, in order) */
	enum assign_mode assign;
	char *assignees;
	struct config_kv *options; /* keywords and other per-backend keys */
	size_t options_count;
};

/* Where a key was set: config_key_line() answers from these. */
struct config_line {
	unsigned int section; /* index into the section table */
	unsigned int elem;    /* named sections: the element's index */
	const char *key;      /* the key table's own name: static */
	unsigned int line;
};

struct config {
	char *path;
	struct {
		char *url; /* inline, from url_file, or $DRAFTD_DATABASE_URL */
		char *url_file;
		unsigned int connect_timeout;    /* seconds */
		unsigned int poller_connections; /* shared by every mailbox poller */
		unsigned int statement_cache;    /* prepared statements per connection; 0: none */
	} database;
	struct {
		char *listen; /* host:port */
		char *tls_cert;
		char *tls_key;
		char *web_root;
		unsigned int max_body; /* bytes */
		unsigned int threads;
		unsigned int max_connections_per_client; /* open connections per IP, 0: no limit */
		unsigned int token_cache_ttl; /* seconds a token's lookup is kept, 0: none */
		unsigned int backlog_max_age; /* seconds one backlog answer is shared, 0: none */
	} api;
	struct {
		enum model_backend backend;
		char *base_url;
		char *model;
		char *api_key_file;
		char *api_key;
		unsigned int timeout; /* seconds */
		unsigned int max_tokens;
		unsigned int seed;
		unsigned int max_in_flight;
		char *templates_dir;
		unsigned int connect_timeout;  /* seconds */
		unsigned int breaker_failures; /* consecutive failures that open the breaker */
		unsigned int breaker_cooldown; /* seconds it stays open */
		unsigned int max_reply_size;   /* bytes of one HTTP answer */
	} model;
	struct {
		char *url; /* smtp://host:port (STARTTLS) or smtps://host:port */
		char *user;
		char *password_file;
		char *password;
		/* oauth2: each reply logs in as its mailbox's user with its token */
		enum auth_method auth;
		bool tls;                     /* require TLS; off only for a local relay */
		char *tls_ca_file;            /* extra trust anchors, NULL: system store */
		unsigned int connect_timeout; /* seconds */
		unsigned int timeout;         /* seconds for one whole submission */
		unsigned int max_attempts;    /* tries before a reply is given up */
	} smtp;
	struct {
		enum log_level level;
		enum log_format format; /* logfmt | json */
	} log;
	struct {
		char *listen; /* host:port of the /metrics listener, or "off" */
	} metrics;
	struct {
		unsigned int workers;
		char *rules_file;
		unsigned int max_attempts;
		unsigned int job_lease; /* seconds of a job lease, renewed while its worker lives */
		unsigned int batch; /* builtin backend: jobs a worker takes and stores at once */
		unsigned int retry_delay; /* seconds before a failed job's first retry */
		bool builtin_categories;  /* keep the eight built-in categories */
		char *url_allow;          /* host names drafts may link to, comma-separated */
		char *signature_phones;   /* the company's phone numbers a draft may state */
		char *authserv_id;        /* the receiving server's Authentication-Results id */
		/* promotion and automatic replies (daemon/promotion/) */
		unsigned int stats_window;      /* seconds of reviewer decisions counted */
		double unchanged_threshold;     /* edit distance still "approved unchanged" */
		unsigned int auto_reply_period; /* seconds: one automatic reply per sender/thread */
		unsigned int auto_hourly_cap;   /* automatic replies per hour, all categories */
		unsigned int reply_window;      /* seconds a customer reply can demote */
		char *reply_demote_words;       /* comma-separated, case-insensitive */
		bool reply_demote_any;          /* any customer reply demotes */
		unsigned int promotion_interval; /* seconds between promotion passes */
		char *spam_header_pattern; /* PCRE2 on "name: value" headers: a spam verdict */
		/* exact | enough | none: the stock figure in stock replies */
		enum stock_disclosure stock_disclosure;
	} agent;
	struct {
		unsigned int send_delay; /* seconds an approved reply waits (undo); 0: at once */
		unsigned int claim_ttl;  /* seconds a reviewer's claim lasts without a heartbeat */
	} review;
	struct {
		unsigned int session_idle;     /* seconds a session lives without a request */
		unsigned int session_max;      /* seconds a session lives at most */
		unsigned int lockout_failures; /* failed sign-ins that lock an account */
		unsigned int lockout_address_failures; /* ... that lock a client address */
		unsigned int lockout_window;           /* seconds the failures are counted over */
		unsigned int lockout_duration;         /* seconds a lock lasts */
		bool cookie_secure; /* Secure cookie also without [api] tls_cert (TLS proxy) */
	} auth;
	struct {
		char *issuer; /* exact "iss"; discovery at issuer/.well-known/... */
		char *client_id;
		char *client_secret_file; /* the client secret (a file or a credential) */
		char *client_secret;      /* read from client_secret_file */
		char *role_claim;         /* claim naming the role(s); NULL: everyone a reviewer */
		char *redirect_uri; /* the callback as the provider knows it; NULL: from Host */
		char *button;       /* the sign-in button's text */
	} oidc;
	struct {
		unsigned int max_message_size; /* bytes */
		unsigned int max_mime_depth;
		unsigned int max_mime_parts;
		unsigned int max_header_size; /* bytes */
		unsigned int max_text_size;   /* bytes of text given to the model */
	} limits;

	struct mailbox_config *mailboxes;
	size_t mailboxes_count;
	struct connector_config *connectors;
	size_t connectors_count;
	struct category_config *categories;
	size_t categories_count;

	struct config_line *lines; /* where each key was set, in file order */
	size_t lines_count;

	int refcount; /* atomic */
};

/* A list of "FILE:LINE: what is wrong" lines from a failed load. */
struct config_errors {
	char **lines;
	size_t count;
};

/* The config file path: the --config value, else $DRAFTD_CONFIG, else the default. */
const char *config_path(const char *cli_path);

/* Loads and validates path, applies environment overrides
 * ($DRAFTD_DATABASE_URL, $DRAFTD_SMTP_PASSWORD, $DRAFTD_MODEL_API_KEY,
 * $DRAFTD_MAILBOX_<NAME>_PASSWORD) and reads secret files. Returns 0 with a
 * new config (refcount 1), or -1 with every problem found in *errors_r (free
 * with config_errors_free()); nothing is half-loaded. */
int config_load(const char *path, struct config **config_r, struct config_errors *errors_r)
	__attribute__((warn_unused_result));
void config_errors_free(struct config_errors *errors);
/* What [api] threads = 0 (the default) means on this machine. */
unsigned int config_api_threads(void);

struct config *config_ref(struct config *config);
/* Drops a reference, frees on the last, and clears *config. NULL is fine. */
void config_unref(struct config **config);

/* Lookups by name; NULL when absent. */
const struct mailbox_config *config_mailbox(const struct config *config, const char *name);
/* A category's assignees list ("ana, ben") into names (at most max; each a
 * login or token name: A-Z a-z 0-9 . _ @ -, at most 64). Returns how many,
 * or -1 with the reason in err (an empty or bad name, a duplicate, too
 * many). Pure. */
struct error;
int config_assignees_split(const char *list, char names[][CONFIG_ASSIGNEE_NAME_MAX + 1], size_t max,
			   struct error *err);
const struct category_config *config_category(const struct config *config, const char *name);
/* The value of an option of a connector or category section, or NULL. */
const char *config_kv_get(const struct config_kv *kvs, size_t count, const char *key);

/* Where a data directory is: configured when set; else the installed copy
 * (DRAFTD_DATADIR/installed) when it exists; else source, relative to the
 * working directory (draftd run from its source tree). buf holds the
 * installed path when that is the answer. */
const char *config_data_dir(const char *configured, const char *installed, const char *source,
			    char *buf, size_t size);

/* The line of the file that set key in [section] (name: the named section's
 * name, NULL for a singleton like [api]); 0 when the key was not set in the
 * file (a default, or the environment). */
unsigned int config_key_line(const struct config *config, const char *section, const char *name,
			     const char *key);

/* "did you mean": the name closest to word (a misspelt key or section), or
 * NULL when none is close enough to be a typo. name_at() gives the i-th
 * candidate of list, NULL past the last. config_suggest_strv() takes a
 * NULL-terminated array. Thread-safe, allocates nothing. */
const char *config_suggest(const char *word, const char *(*name_at)(const void *list, size_t i),
			   const void *list);
const char *config_suggest_strv(const char *word, const char *const *names);

const char *category_mode_name(enum category_mode mode);
int category_mode_parse(const char *name, enum category_mode *mode_r);

#endif
