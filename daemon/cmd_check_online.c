/* draftd check-config --online: everything the config names, asked for
 * real, one line each ("ok", "warn" or "FAIL", what, and how to fix it). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/llm/llm.h"
#include "connectors/connector.h"
#include "daemon/cmd_check.h"
#include "daemon/imap/imap_conn.h"
#include "daemon/imap/imap_list.h"
#include "daemon/imap/imap_sent.h"
#include "daemon/oauth/oauth_token.h"
#include "daemon/outbox/smtp_send.h"
#include "daemon/store/store.h"

enum online_verdict { ONLINE_OK, ONLINE_WARN, ONLINE_FAIL };

struct online {
	FILE *out;
	int failures;
};

static void online_line(struct online *o, enum online_verdict v, const char *what, const char *fmt,
			...) __attribute__((format(printf, 4, 5)));

static void online_line(struct online *o, enum online_verdict v, const char *what, const char *fmt,
			...)
{
	static const char *const names[] = {"ok  ", "warn", "FAIL"};
	char text[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(o->out, "%s  %s: %s\n", names[v], what, text);
	if (v == ONLINE_FAIL)
		o->failures++;
}

static void online_database(struct online *o, const struct config *config)
{
	struct store *store = NULL;
	struct error err;
	int pending;

	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		online_line(o, ONLINE_FAIL, "database",
			    "%s (check [database] url and that "
			    "PostgreSQL runs)",
			    error_msg(&err));
		return;
	}
	pending = store_migrations_pending(store);
	if (pending < 0)
		online_line(o, ONLINE_FAIL, "database", "%s", store_error(store));
	else if (pending > 0)
		online_line(o, ONLINE_FAIL, "database",
			    "connected, but the schema is %d migration(s) behind: run draftd "
			    "migrate",
			    pending);
	else
		online_line(o, ONLINE_OK, "database", "connected, schema current");
	store_close(&store);
}

/* Capabilities draftd uses, and what it does without each. */
static void online_capabilities(struct online *o, struct imap_conn *conn,
				const struct mailbox_config *mb, const char *what)
{
	static const struct {
		const char *name;
		const char *without;
	} caps[] = {
		{"IDLE", "new mail waits for the next poll"},
		{"UIDPLUS", "an unsent Sent copy is only flagged \\Deleted"},
		{"MOVE", "not needed"},
		{"SPECIAL-USE", "the Sent and Junk folders are recognised by name only"},
		{"CONDSTORE", "not needed"},
	};
	char have[200] = "", lack[600] = "";
	size_t h = 0, l = 0;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int n;

		if (imap_has_capability(conn, caps[i].name))
			n = snprintf(have + h, sizeof(have) - h, " %s", caps[i].name);
		else
			n = snprintf(lack + l, sizeof(lack) - l, "%s%s (%s)", l > 0 ? "; " : "",
				     caps[i].name, caps[i].without);
		if (n > 0 && imap_has_capability(conn, caps[i].name))
			h = h + (size_t)n < sizeof(have) ? h + (size_t)n : h;
		else if (n > 0)
			l = l + (size_t)n < sizeof(lack) ? l + (size_t)n : l;
	}
	if (l == 0)
		online_line(o, ONLINE_OK, what, "capabilities:%s", have);
	else
		online_line(o, ONLINE_WARN, what, "capabilities:%s; lacks %s%s", have, lack,
			    !mb->idle ? "" : "");
}

static void online_mailbox(struct online *o, const struct mailbox_config *mb)
{
	struct imap_conn *conn = NULL;
	struct imap_sent sent;
	struct error err;
	char what[200];
	uint32_t uv = 0, next = 0;
	int r;

	snprintf(what, sizeof(what), "mailbox %s", mb->name);
	if (imap_connect(mb, &conn, &err) < 0) {
		online_line(o, ONLINE_FAIL, what, "%s%s", error_msg(&err),
			    strstr(error_msg(&err), "login refused") != NULL
				    ? " (check user and the password or token)"
				    : "");
		return;
	}
	online_line(o, ONLINE_OK, what, "logged in to %s as %s (%s, %s)", mb->url, mb->user,
		    mb->auth == AUTH_OAUTH2 ? "OAuth2" : "password", imap_auth_mechanism(conn));
	online_capabilities(o, conn, mb, what);
	r = imap_folder_is_junk(conn, mb->folder);
	if (r == 1)
		online_line(o, ONLINE_FAIL, what,
			    "folder %s is the Junk folder: draftd never reads it; set folder to "
			    "the inbox",
			    mb->folder);
	else if (imap_select(conn, mb->folder, &uv, &next) < 0)
		online_line(o, ONLINE_FAIL, what, "%s (check folder)", imap_error(conn));
	else
		online_line(o, ONLINE_OK, what, "folder %s can be read", mb->folder);
	if (mb->sent_copy == SENT_COPY_OFF) {
		online_line(o, ONLINE_OK, what, "sent_copy = off: no Sent folder used");
		goto out;
	}
	r = imap_sent_find(conn, mb->sent_folder, false, &sent);
	if (r < 0)
		online_line(o, ONLINE_FAIL, what, "%s", imap_error(conn));
	else if (r == 0 && mb->sent_copy == SENT_COPY_APPEND)
		online_line(o, ONLINE_WARN, what,
			    "no Sent folder: draftd will create one when it sends the first "
			    "reply (or create it now, or set sent_folder)");
	else if (r == 0)
		online_line(o, ONLINE_WARN, what,
			    "no Sent folder: with sent_copy = provider draftd cannot check "
			    "whether an interrupted reply went out");
	else
		online_line(o, ONLINE_OK, what, "Sent folder \"%s\" (%s)", sent.name,
			    imap_sent_how_name(sent.how));
out:
	imap_close(&conn);
}

static void online_smtp_as(struct online *o, const struct config *config,
			   const struct mailbox_config *mb)
{
	struct smtp_options opts;
	char what[200], token[OAUTH_TOKEN_BUF];
	struct error token_err, smtp_err;

	memset(&opts, 0, sizeof(opts));
	opts.url = config->smtp.url;
	opts.user = config->smtp.user;
	opts.password = config->smtp.password;
	opts.tls = config->smtp.tls;
	opts.ca_file = config->smtp.tls_ca_file;
	opts.connect_timeout = config->smtp.connect_timeout;
	opts.timeout = config->smtp.timeout;
	if (mb != NULL) {
		snprintf(what, sizeof(what), "smtp as mailbox %s", mb->name);
		if (oauth_token_get(mb, false, token, sizeof(token), &token_err) < 0) {
			online_line(o, ONLINE_FAIL, what, "%s", error_msg(&token_err));
			return;
		}
		opts.user = mb->user;
		opts.password = NULL;
		opts.bearer = token;
	} else {
		snprintf(what, sizeof(what), "smtp");
	}
	if (smtp_check(&opts, &smtp_err) < 0)
		online_line(o, ONLINE_FAIL, what, "%s (check [smtp] url, user and credentials)",
			    error_msg(&smtp_err));
	else if (opts.user != NULL && opts.user[0] != '\0')
		online_line(o, ONLINE_OK, what, "%s reachable, %sauthenticated as %s", opts.url,
			    opts.tls || strncmp(opts.url, "smtps://", 8) == 0 ? "TLS, " : "",
			    opts.user);
	else
		online_line(o, ONLINE_OK, what, "%s reachable%s, no authentication configured",
			    opts.url,
			    opts.tls || strncmp(opts.url, "smtps://", 8) == 0 ? " with TLS" : "");
	explicit_bzero(token, sizeof(token));
}

static void online_smtp(struct online *o, const struct config *config)
{
	if (config->smtp.url == NULL) {
		online_line(o, ONLINE_WARN, "smtp", "no [smtp] url: approved replies are not sent");
		return;
	}
	if (config->smtp.auth != AUTH_OAUTH2) {
		online_smtp_as(o, config, NULL);
		return;
	}
	for (size_t i = 0; i < config->mailboxes_count; i++)
		online_smtp_as(o, config, &config->mailboxes[i]);
}

static void online_connectors(struct online *o, const struct config *config)
{
	for (size_t i = 0; i < config->connectors_count; i++) {
		const struct connector_config *cc = &config->connectors[i];
		const char *keys[1] = {"DRAFTD-CHECK-CONFIG-PROBE"};
		struct connector *conn = NULL;
		struct conn_result res[1];
		struct error err = {0};
		char what[200];

		snprintf(what, sizeof(what), "connector %s", cc->name);
		if (connector_open(cc, &conn, &err) < 0) {
			online_line(o, ONLINE_FAIL, what, "%s", error_msg(&err));
			continue;
		}
		memset(res, 0, sizeof(res));
		error_clear(&err);
		if (connector_lookup(conn, keys, 1, res, &err) == 1)
			online_line(o, ONLINE_OK, what,
				    "%s answers (a lookup of a key that does "
				    "not exist came back)",
				    cc->type);
		else
			online_line(o, ONLINE_FAIL, what, "%s does not answer: %s", cc->type,
				    error_msg(&err));
		conn_results_free(res, 1);
		connector_close(&conn);
	}
}

static void online_model(struct online *o, const struct config *config)
{
	struct llm_request req;
	struct llm_probe probe;
	struct llm_error lerr;
	struct llm *llm = NULL;

	memset(&lerr, 0, sizeof(lerr));
	if (llm_open(config, NULL, &llm, &lerr) < 0) {
		online_line(o, ONLINE_FAIL, "model", "%s", error_msg(&lerr.err));
		return;
	}
	memset(&req, 0, sizeof(req));
	memset(&probe, 0, sizeof(probe));
	if (llm_probe(llm, &req, &probe) < 0)
		online_line(o, ONLINE_FAIL, "model", "the probe failed");
	else if (!probe.reachable)
		online_line(o, ONLINE_FAIL, "model", "%s (check [model] base_url and api_key_file)",
			    probe.detail);
	else if (!probe.auto_reply_ok)
		online_line(o, ONLINE_WARN, "model",
			    "answers, but not in the requested shape (%s): drafts still go to "
			    "reviewers, automatic replies stay off",
			    probe.detail);
	else
		online_line(o, ONLINE_OK, "model", "%s backend answers (%s)",
			    config->model.backend == MODEL_BACKEND_OPENAI ? "openai" : "builtin",
			    probe.detail[0] != '\0' ? probe.detail : "probe passed");
	llm_close(&llm);
}

int check_config_online(const struct config *config, FILE *out)
{
	struct online o = {out, 0};

	online_database(&o, config);
	for (size_t i = 0; i < config->mailboxes_count; i++)
		online_mailbox(&o, &config->mailboxes[i]);
	online_smtp(&o, config);
	online_connectors(&o, config);
	online_model(&o, config);
	return o.failures;
}
