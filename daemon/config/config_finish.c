/* What happens after the file is read: environment overrides, secret
 * files, the checks that span keys, and lookups into a loaded config. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/config/config_private.h"
#include "daemon/mail/imap_utf7.h"
#include "daemon/lib/util.h"

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
static void config_read_secret(struct config_parser *p, unsigned int line, const char *what,
			       const char *file, char **secret)
{
	const char *why = NULL;

	if (file == NULL || *secret != NULL)
		return;
	if (secret_read_file(file, secret, &why) < 0)
		config_error(p->errors, p->path, line, "%s '%s': %s", what, file, why);
}

/* Folder names are UTF-8 in the file and modified UTF-7 on the wire: one
 * that cannot be encoded would fail at every poll or send. */
static void config_check_folder(struct config_parser *p, unsigned int line, const char *label,
				const char *key, const char *name)
{
	char wire[IMAP_UTF7_NAME_MAX];
	struct error err;

	if (name == NULL)
		return;
	if (*name == '\0')
		config_error(p->errors, p->path, line, "%s: %s must not be empty", label, key);
	else if (imap_utf7_encode(name, wire, sizeof(wire), &err) < 0)
		config_error(p->errors, p->path, line,
			     "%s: %s is not a usable IMAP folder name: %s", label, key,
			     error_msg(&err));
}

/* A spam_header_pattern that does not compile would silently match nothing:
 * refuse it here, with PCRE2's reason. Compiled as agent/screen/screen_spam.c does. */
static void config_check_pattern(struct config_parser *p, unsigned int line, const char *label,
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
	config_error(p->errors, p->path, line, "%s: spam_header_pattern: %s at offset %zu", label,
		     (const char *)msg, (size_t)offset);
}

/* "[mailbox support-desk]" reads $DRAFTD_MAILBOX_SUPPORT_DESK_PASSWORD. */
static void config_mailbox_env_name(const char *name, char *out, size_t size)
{
	size_t pos, i;

	pos = (size_t)snprintf(out, size, "DRAFTD_MAILBOX_");
	for (i = 0; name[i] != '\0' && pos + 10 < size; i++)
		out[pos++] = isalnum((unsigned char)name[i]) ? (char)toupper((unsigned char)name[i])
							     : '_';
	snprintf(out + pos, size - pos, "_PASSWORD");
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* auth = oauth2: a token endpoint that is TLS (or this host's), a client,
 * and a grant (a refresh token, else client credentials). */
static void config_check_oauth(struct config_parser *p, struct mailbox_config *m, const char *label)
{
	const char *u = m->oauth_token_url;

	if (u == NULL)
		config_error(p->errors, p->path, m->line, "%s: auth = oauth2 needs oauth_token_url",
			     label);
	else if (!has_prefix(u, "https://") && !has_prefix(u, "http://127.0.0.1") &&
		 !has_prefix(u, "http://localhost") && !has_prefix(u, "http://[::1]"))
		config_error(p->errors, p->path, m->line,
			     "%s: oauth_token_url must be https:// (http:// only on this host)",
			     label);
	if (m->oauth_client_id == NULL)
		config_error(p->errors, p->path, m->line, "%s: auth = oauth2 needs oauth_client_id",
			     label);
	config_read_secret(p, m->line, "oauth_client_secret_file", m->oauth_client_secret_file,
			   &m->oauth_client_secret);
	config_read_secret(p, m->line, "oauth_refresh_token_file", m->oauth_refresh_token_file,
			   &m->oauth_refresh_token);
	if (m->oauth_refresh_token_file == NULL && m->oauth_client_secret_file == NULL)
		config_error(
			p->errors, p->path, m->line,
			"%s: auth = oauth2 needs oauth_refresh_token_file (delegated access) or "
			"oauth_client_secret_file alone (client credentials, app-only access)",
			label);
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
			config_error(
				p->errors, p->path, 0,
				"[agent]: signature_phones: '%.*s' is no phone number (7 to 15 "
				"digits)",
				(int)(end - s), s);
		s = *end == ',' ? end + 1 : end;
	}
}

static void config_check_required(struct config_parser *p, const struct config_section_def *def,
				  const void *target, unsigned int line, const char *label)
{
	const struct config_key *k;

	for (k = def->keys; k->name != NULL; k++) {
		const char *const *str =
			(const char *const *)(const void *)((const char *)target + k->offset);

		if (k->required && *str == NULL)
			config_error(p->errors, p->path, line, "%s: missing key '%s'", label,
				     k->name);
	}
}

void config_finish(struct config_parser *p)
{
	struct config *c = p->config;
	char env[160], label[200];
	size_t i;

	config_env_override("DRAFTD_DATABASE_URL", &c->database.url);
	config_env_override("DRAFTD_SMTP_PASSWORD", &c->smtp.password);
	config_env_override("DRAFTD_MODEL_API_KEY", &c->model.api_key);

	/* the URL may carry a password, so it may live in a secret file */
	config_read_secret(p, 0, "[database] url_file", c->database.url_file, &c->database.url);
	if (c->database.url == NULL && c->database.url_file == NULL) {
		config_error(p->errors, p->path, 0,
			     p->section_seen[SECTION_DATABASE]
				     ? "[database]: missing key 'url' (or url_file)"
				     : "missing section [database] (or $DRAFTD_DATABASE_URL)");
	}
	if (c->model.backend == MODEL_BACKEND_OPENAI && c->model.base_url == NULL)
		config_error(p->errors, p->path, 0, "[model]: backend = openai needs base_url");
	if (c->model.base_url != NULL && !has_prefix(c->model.base_url, "http://") &&
	    !has_prefix(c->model.base_url, "https://"))
		config_error(p->errors, p->path, 0,
			     "[model]: base_url must start with http:// or https://");
	config_read_secret(p, 0, "[model] api_key_file", c->model.api_key_file, &c->model.api_key);
	if (c->smtp.url != NULL && !has_prefix(c->smtp.url, "smtp://") &&
	    !has_prefix(c->smtp.url, "smtps://"))
		config_error(p->errors, p->path, 0,
			     "[smtp]: url must start with smtp:// or smtps://");
	config_read_secret(p, 0, "[smtp] password_file", c->smtp.password_file, &c->smtp.password);
	if (strchr(c->api.listen, ':') == NULL)
		config_error(p->errors, p->path, 0, "[api]: listen must be HOST:PORT");
	if ((c->api.tls_cert == NULL) != (c->api.tls_key == NULL))
		config_error(p->errors, p->path, 0, "[api]: tls_cert and tls_key go together");
	config_check_phones(p, c->agent.signature_phones);

	for (i = 0; i < c->mailboxes_count; i++) {
		struct mailbox_config *m = &c->mailboxes[i];

		snprintf(label, sizeof(label), "[mailbox %s]", m->name);
		config_check_required(p, &config_sections[SECTION_MAILBOX], m, m->line, label);
		if (m->url != NULL && !has_prefix(m->url, "imap://") &&
		    !has_prefix(m->url, "imaps://"))
			config_error(p->errors, p->path, m->line,
				     "%s: url must start with imap:// or imaps://", label);
		config_mailbox_env_name(m->name, env, sizeof(env));
		if (config_env_override(env, &m->password) == 0)
			config_read_secret(p, m->line, "password_file", m->password_file,
					   &m->password);
		if (m->auth == AUTH_OAUTH2)
			config_check_oauth(p, m, label);
		else if (m->password == NULL && m->password_file == NULL)
			config_error(p->errors, p->path, m->line,
				     "%s: needs password, password_file or $%s", label, env);
		config_check_folder(p, m->line, label, "folder", m->folder);
		/* empty, like unset: the outbox finds the Sent folder */
		if (m->sent_folder != NULL && m->sent_folder[0] == '\0') {
			free(m->sent_folder);
			m->sent_folder = NULL;
		}
		config_check_folder(p, m->line, label, "sent_folder", m->sent_folder);
		config_check_pattern(p, m->line, label, m->spam_header_pattern);
	}
	config_check_pattern(p, 0, "[agent]", c->agent.spam_header_pattern);
	for (i = 0; c->smtp.auth == AUTH_OAUTH2 && i < c->mailboxes_count; i++) {
		if (c->mailboxes[i].auth != AUTH_OAUTH2)
			config_error(p->errors, p->path, c->mailboxes[i].line,
				     "[mailbox %s]: [smtp] auth = oauth2 sends each reply with its "
				     "mailbox's token: set auth = oauth2 here too",
				     c->mailboxes[i].name);
	}
	for (i = 0; i < c->connectors_count; i++) {
		snprintf(label, sizeof(label), "[connector %s]", c->connectors[i].name);
		config_check_required(p, &config_sections[SECTION_CONNECTOR], &c->connectors[i],
				      c->connectors[i].line, label);
	}
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
