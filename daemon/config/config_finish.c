/* SPDX-License-Identifier: MIT */
/* What happens after the file is read: environment overrides, secret
 * files, the checks that span keys, and lookups into a loaded config. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config/config_check.h"
#include "daemon/config/config_private.h"
#include "daemon/mail/imap_utf7.h"
#include "daemon/lib/error.h"
#include "daemon/lib/util.h"

/* [api] threads = 0: one database connection per online CPU, at least 2.
 * More statements running at once than the machine has cores only share
 * the cores and lengthen the tail: on 2 cores with 8 clients, 2-3
 * connections gave the queue page a p99 of 6-9 ms, 4-6 connections 30-230 ms
 * (a few statements stalled 100-350 ms in PostgreSQL), 8 connections
 * 17 ms, at the same requests per second (issue 14, README "Development").
 * At least 2, so that one slow request never holds every request up. */
unsigned int config_api_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		n = 2;
	return n > 64 ? 64 : (unsigned int)n;
}

#ifndef DRAFTD_DATADIR
#define DRAFTD_DATADIR "/usr/local/share/draftd"
#endif

const char *config_path(const char *cli_path)
{
	const char *env = getenv("DRAFTD_CONFIG");

	if (cli_path != NULL)
		return cli_path;
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

/* Replaces *field with the environment variable's value when it is set. */
static int config_env_override(const char *var, char **field)
{
	const char *value = getenv(var);
	char *copy;

	if (value == NULL || *value == '\0')
		return 0;
	copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 1;
}

/* Reads *file into *secret unless the secret is already set (the
 * environment wins over a file, a file over nothing). */
static void config_read_secret(struct config_parser *p, const char *section, const char *name,
			       const char *key, const char *file, char **secret)
{
	struct error why;

	if (file == NULL || *secret != NULL)
		return;
	if (secret_read_file(file, secret, &why) < 0)
		config_key_error(p, section, name, key, "'%s': %s", file, error_msg(&why));
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* [oidc]: all or nothing of issuer, client_id, client_secret_file; URLs that
 * are https (plain http only on loopback, for tests and a provider on the same
 * host). */
static bool config_url_ok(const char *url)
{
	return has_prefix(url, "https://") || has_prefix(url, "http://127.0.0.1") ||
	       has_prefix(url, "http://localhost") || has_prefix(url, "http://[::1]");
}

static void config_check_oidc(struct config_parser *p, struct config *c)
{
	int set = (c->oidc.issuer != NULL) + (c->oidc.client_id != NULL) +
		  (c->oidc.client_secret_file != NULL);

	if (set != 0 && set != 3)
		config_key_error(p, "oidc", NULL,
				 c->oidc.issuer == NULL      ? "issuer"
				 : c->oidc.client_id == NULL ? "client_id"
							     : "client_secret_file",
				 "issuer, client_id and client_secret_file go together");
	if (c->oidc.issuer != NULL && !config_url_ok(c->oidc.issuer))
		config_key_error(p, "oidc", NULL, "issuer",
				 "must be an https:// URL (http:// only on loopback)");
	if (c->oidc.redirect_uri != NULL && !has_prefix(c->oidc.redirect_uri, "https://") &&
	    !has_prefix(c->oidc.redirect_uri, "http://"))
		config_key_error(p, "oidc", NULL, "redirect_uri",
				 "must be an http:// or https:// URL");
	config_read_secret(p, "oidc", NULL, "client_secret_file", c->oidc.client_secret_file,
			   &c->oidc.client_secret);
	if (c->auth.session_max < c->auth.session_idle)
		config_key_error(p, "auth", NULL, "session_max",
				 "must not be shorter than session_idle");
}

/* Folder names are UTF-8 in the file and modified UTF-7 on the wire: one
 * that cannot be encoded would fail at every poll or send. */
static void config_check_folder(struct config_parser *p, const char *mailbox, const char *key,
				const char *name)
{
	char wire[IMAP_UTF7_NAME_MAX];
	struct error err;

	if (name == NULL)
		return;
	if (*name == '\0')
		config_key_error(p, "mailbox", mailbox, key, "must not be empty");
	else if (imap_utf7_encode(name, wire, sizeof(wire), &err) < 0)
		config_key_error(p, "mailbox", mailbox, key, "not a usable IMAP folder name: %s",
				 error_msg(&err));
}

/* A spam_header_pattern that does not compile would silently match nothing:
 * refuse it here, with PCRE2's reason. Compiled as agent/screen/screen_spam.c does. */
static void config_check_pattern(struct config_parser *p, const char *section, const char *name,
				 const char *pattern)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int code;

	if (pattern == NULL)
		return;
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset,
			   NULL);
	if (re != NULL) {
		pcre2_code_free(re);
		return;
	}
	pcre2_get_error_message(code, msg, sizeof(msg));
	config_key_error(p, section, name, "spam_header_pattern", "%s at offset %zu",
			 (const char *)msg, (size_t)offset);
}

/* "[mailbox support-desk]" reads $DRAFTD_MAILBOX_SUPPORT_DESK_PASSWORD. */
void config_mailbox_env_name(const char *name, char *out, size_t size)
{
	size_t pos, i;

	pos = (size_t)snprintf(out, size, "DRAFTD_MAILBOX_");
	for (i = 0; name[i] != '\0' && pos + 10 < size; i++)
		out[pos++] = isalnum((unsigned char)name[i]) ? (char)toupper((unsigned char)name[i])
							     : '_';
	snprintf(out + pos, size - pos, "_PASSWORD");
}

/* [agent] signature_phones: each entry a phone number the output gates can
 * match (7 to 15 digits), or a draft stating it would be held back. */
static void config_check_phones(struct config_parser *p, const char *list)
{
	const char *s = list, *end;
	size_t digits;

	while (s != NULL && *s != '\0') {
		s += strspn(s, " \t");
		end = s + strcspn(s, ",");
		digits = 0;
		for (const char *q = s; q < end; q++)
			digits += *q >= '0' && *q <= '9';
		if (digits < 7 || digits > 15)
			config_key_error(p, "agent", NULL, "signature_phones",
					 "'%.*s' is no phone number (7 to 15 digits)",
					 (int)(end - s), s);
		s = *end == ',' ? end + 1 : end;
	}
}

int config_assignees_split(const char *list, char names[][CONFIG_ASSIGNEE_NAME_MAX + 1], size_t max,
			   struct error *err)
{
	size_t n = 0, len, i;

	for (const char *p = list; p != NULL && *p != '\0';) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break; /* trailing white space */
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len > CONFIG_ASSIGNEE_NAME_MAX) {
			error_set(err, "%s",
				  len == 0 ? "an empty name" : "a name longer than 64 characters");
			return -1;
		}
		for (i = 0; i < len; i++) {
			if (!isalnum((unsigned char)p[i]) && strchr("._@-", p[i]) == NULL) {
				error_set(err, "%s",
					  "a name with a character other than A-Z, a-z, 0-9, '.', "
					  "'_', '@', '-'");
				return -1;
			}
		}
		for (i = 0; i < n; i++) {
			if (strlen(names[i]) == len && strncmp(names[i], p, len) == 0) {
				error_set(err, "%s", "a name listed twice");
				return -1;
			}
		}
		if (n == max) {
			error_set(err, "%s", "more than 32 names");
			return -1;
		}
		memcpy(names[n], p, len);
		names[n++][len] = '\0';
		p += strcspn(p, ","); /* past the white space after the name */
		p += *p == ',' ? 1 : 0;
	}
	return (int)n;
}

/* assign = round_robin needs someone to hand messages to. */
static void config_check_assignees(struct config_parser *p, const struct category_config *cat)
{
	char names[CONFIG_ASSIGNEES_MAX][CONFIG_ASSIGNEE_NAME_MAX + 1];
	struct error err = {0};
	int n = config_assignees_split(cat->assignees, names, CONFIG_ASSIGNEES_MAX, &err);

	if (n < 0)
		config_key_error(p, "category", cat->name, "assignees", "has %s", error_msg(&err));
	else if (n == 0 && cat->assign == ASSIGN_ROUND_ROBIN)
		config_key_error(p, "category", cat->name, "assign",
				 "round_robin needs assignees (comma-separated names)");
}

static void config_check_required(struct config_parser *p, const struct config_section_def *def,
				  const void *target, const char *name)
{
	const struct config_key *k;

	for (k = def->keys; k->name != NULL; k++) {
		const char *const *str =
			(const char *const *)(const void *)((const char *)target + k->offset);

		if (k->required && *str == NULL)
			config_key_error(p, def->name, name, k->name, "missing (a required key)");
	}
}

/* A URL key with the given schemes, reported at its line. */
static void config_check_url_key(struct config_parser *p, const char *section, const char *name,
				 const char *key, const char *url, const char *const *schemes)
{
	struct error err;

	if (url != NULL && config_check_url(url, schemes, &err) < 0)
		config_key_error(p, section, name, key, "%s", error_msg(&err));
}

static void config_check_listen_key(struct config_parser *p, const char *section, const char *value)
{
	struct error err;

	if (value != NULL && config_check_listen(value, &err) < 0)
		config_key_error(p, section, NULL, "listen", "'%s': %s", value, error_msg(&err));
}

/* auth = oauth2: a token endpoint that is TLS (or this host's), a client,
 * and a grant (a refresh token, else client credentials). */
static void config_check_oauth(struct config_parser *p, struct mailbox_config *m)
{
	if (m->oauth_token_url == NULL)
		config_key_error(p, "mailbox", m->name, "oauth_token_url",
				 "missing: auth = oauth2 needs it");
	else if (!config_url_ok(m->oauth_token_url))
		config_key_error(p, "mailbox", m->name, "oauth_token_url",
				 "must be https:// (http:// only on this host)");
	if (m->oauth_client_id == NULL)
		config_key_error(p, "mailbox", m->name, "oauth_client_id",
				 "missing: auth = oauth2 needs it");
	config_read_secret(p, "mailbox", m->name, "oauth_client_secret_file",
			   m->oauth_client_secret_file, &m->oauth_client_secret);
	config_read_secret(p, "mailbox", m->name, "oauth_refresh_token_file",
			   m->oauth_refresh_token_file, &m->oauth_refresh_token);
	if (m->oauth_refresh_token_file == NULL && m->oauth_client_secret_file == NULL)
		config_key_error(p, "mailbox", m->name, "auth",
				 "oauth2 needs oauth_refresh_token_file (delegated access) or "
				 "oauth_client_secret_file alone (client credentials, app-only "
				 "access)");
}

static void config_finish_mailbox(struct config_parser *p, struct mailbox_config *m)
{
	static const char *const imap[] = {"imap", "imaps", NULL};
	char env[160];
	struct error err;

	config_check_required(p, &config_sections[SECTION_MAILBOX], m, m->name);
	config_check_url_key(p, "mailbox", m->name, "url", m->url, imap);
	if (m->address != NULL && config_check_address(m->address, &err) < 0)
		config_key_error(p, "mailbox", m->name, "address",
				 "'%s' is not an e-mail address: %s", m->address, error_msg(&err));
	config_mailbox_env_name(m->name, env, sizeof(env));
	if (config_env_override(env, &m->password) == 0)
		config_read_secret(p, "mailbox", m->name, "password_file", m->password_file,
				   &m->password);
	if (m->auth == AUTH_OAUTH2)
		config_check_oauth(p, m);
	else if (m->password == NULL && m->password_file == NULL)
		config_key_error(p, "mailbox", m->name, "password",
				 "missing: needs password, password_file or $%s", env);
	config_check_folder(p, m->name, "folder", m->folder);
	/* empty, like unset: the outbox finds the Sent folder */
	if (m->sent_folder != NULL && m->sent_folder[0] == '\0') {
		free(m->sent_folder);
		m->sent_folder = NULL;
	}
	config_check_folder(p, m->name, "sent_folder", m->sent_folder);
	config_check_pattern(p, "mailbox", m->name, m->spam_header_pattern);
}

void config_finish(struct config_parser *p)
{
	static const char *const http[] = {"http", "https", NULL};
	static const char *const smtp[] = {"smtp", "smtps", NULL};
	struct config *c = p->config;
	struct error err;
	size_t i;

	config_env_override("DRAFTD_DATABASE_URL", &c->database.url);
	config_env_override("DRAFTD_SMTP_PASSWORD", &c->smtp.password);
	config_env_override("DRAFTD_MODEL_API_KEY", &c->model.api_key);

	/* the URL may carry a password, so it may live in a secret file */
	config_read_secret(p, "database", NULL, "url_file", c->database.url_file, &c->database.url);
	if (c->database.url == NULL && c->database.url_file == NULL) {
		if (p->section_seen[SECTION_DATABASE])
			config_key_error(p, "database", NULL, "url",
					 "missing (set url, url_file or $DRAFTD_DATABASE_URL)");
		else
			config_error(p->errors, p->path, 0,
				     "missing section [database] (or $DRAFTD_DATABASE_URL)");
	} else if (c->database.url != NULL &&
		   config_check_database_url(c->database.url, &err) < 0) {
		config_key_error(p, "database", NULL,
				 config_key_line(c, "database", NULL, "url") > 0 ? "url"
										 : "url_file",
				 "%s", error_msg(&err));
	}
	if (c->model.backend == MODEL_BACKEND_OPENAI && c->model.base_url == NULL)
		config_key_error(p, "model", NULL, "backend", "openai needs base_url");
	config_check_url_key(p, "model", NULL, "base_url", c->model.base_url, http);
	config_read_secret(p, "model", NULL, "api_key_file", c->model.api_key_file,
			   &c->model.api_key);
	config_check_url_key(p, "smtp", NULL, "url", c->smtp.url, smtp);
	config_read_secret(p, "smtp", NULL, "password_file", c->smtp.password_file,
			   &c->smtp.password);
	config_check_listen_key(p, "api", c->api.listen);
	if (c->api.threads == 0)
		c->api.threads = config_api_threads();
	if (strcmp(c->metrics.listen, "off") != 0)
		config_check_listen_key(p, "metrics", c->metrics.listen);
	if ((c->api.tls_cert == NULL) != (c->api.tls_key == NULL))
		config_key_error(p, "api", NULL, c->api.tls_cert != NULL ? "tls_cert" : "tls_key",
				 "tls_cert and tls_key go together");
	config_check_phones(p, c->agent.signature_phones);
	config_check_oidc(p, c);
	/* the statistics rollups keep edit distances in 0.01 steps, so only
	 * such a threshold gives exact counts (schemas/migrations/0175) */
	if (fabs(c->agent.unchanged_threshold * 100.0 -
		 round(c->agent.unchanged_threshold * 100.0)) > 1e-9)
		config_key_error(p, "agent", NULL, "unchanged_threshold",
				 "%g is not a multiple of 0.01 (the statistics count edit distances"
				 " in steps of 0.01)",
				 c->agent.unchanged_threshold);

	for (i = 0; i < c->mailboxes_count; i++)
		config_finish_mailbox(p, &c->mailboxes[i]);
	for (i = 0; c->smtp.auth == AUTH_OAUTH2 && i < c->mailboxes_count; i++) {
		if (c->mailboxes[i].auth != AUTH_OAUTH2)
			config_key_error(p, "mailbox", c->mailboxes[i].name, "auth",
					 "[smtp] auth = oauth2 sends each reply with its mailbox's "
					 "token: set auth = oauth2 here too");
	}
	config_check_pattern(p, "agent", NULL, c->agent.spam_header_pattern);
	for (i = 0; i < c->categories_count; i++)
		config_check_assignees(p, &c->categories[i]);
	for (i = 0; i < c->connectors_count; i++)
		config_check_required(p, &config_sections[SECTION_CONNECTOR], &c->connectors[i],
				      c->connectors[i].name);
}

const struct mailbox_config *config_mailbox(const struct config *config, const char *name)
{
	size_t i;

	for (i = 0; i < config->mailboxes_count; i++) {
		if (strcmp(config->mailboxes[i].name, name) == 0)
			return &config->mailboxes[i];
	}
	return NULL;
}

const struct category_config *config_category(const struct config *config, const char *name)
{
	size_t i;

	for (i = 0; i < config->categories_count; i++) {
		if (strcmp(config->categories[i].name, name) == 0)
			return &config->categories[i];
	}
	return NULL;
}

const char *config_kv_get(const struct config_kv *kvs, size_t count, const char *key)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcmp(kvs[i].key, key) == 0)
			return kvs[i].value;
	}
	return NULL;
}

const char *config_data_dir(const char *configured, const char *installed, const char *source,
			    char *buf, size_t size)
{
	struct stat st;

	if (configured != NULL && *configured != '\0')
		return configured;
	snprintf(buf, size, "%s/%s", DRAFTD_DATADIR, installed);
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return buf;
	return source;
}
