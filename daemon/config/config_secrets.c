/* SPDX-License-Identifier: MIT */
/* Warnings about secret files others may read (config_secrets.h). */
#include "daemon/config/config_secrets.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Keys of [connector] sections whose file holds a secret. */
static const char *const connector_secret_keys[] = {"url_file", "token_file", NULL};

struct secret_scan {
	const struct config *config;
	void (*warn)(const char *line, void *ctx);
	void *ctx;
	size_t found;
};

static void secret_check(struct secret_scan *scan, const char *section, const char *key,
			 unsigned int line, const char *path)
{
	char where[64] = "", text[1200];
	struct stat st;
	const char *who;

	if (path == NULL || path[0] == '\0' || stat(path, &st) < 0)
		return;
	if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0)
		return;
	who = (st.st_mode & S_IROTH) != 0 ? "others" : "its group";
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	snprintf(text, sizeof(text), "%s%s: %s %s: %s is readable by %s (mode %04o): chmod 600 it",
		 scan->config->path != NULL ? scan->config->path : "config", where, section, key,
		 path, who, (unsigned int)(st.st_mode & 07777));
	scan->warn(text, scan->ctx);
	scan->found++;
}

size_t config_secret_warnings(const struct config *config,
			      void (*warn)(const char *line, void *ctx), void *ctx)
{
	struct secret_scan scan = {config, warn, ctx, 0};
	char section[300];
	size_t i, k, j;

	secret_check(&scan, "[model]", "api_key_file", 0, config->model.api_key_file);
	secret_check(&scan, "[smtp]", "password_file", 0, config->smtp.password_file);
	secret_check(&scan, "[api]", "tls_key", 0, config->api.tls_key);
	secret_check(&scan, "[oidc]", "client_secret_file", 0, config->oidc.client_secret_file);
	for (i = 0; i < config->mailboxes_count; i++) {
		const struct mailbox_config *m = &config->mailboxes[i];

		snprintf(section, sizeof(section), "[mailbox %s]", m->name);
		secret_check(&scan, section, "password_file", m->line, m->password_file);
		secret_check(&scan, section, "oauth_client_secret_file", m->line,
			     m->oauth_client_secret_file);
		secret_check(&scan, section, "oauth_refresh_token_file", m->line,
			     m->oauth_refresh_token_file);
	}
	for (i = 0; i < config->connectors_count; i++) {
		const struct connector_config *c = &config->connectors[i];

		snprintf(section, sizeof(section), "[connector %s]", c->name);
		for (k = 0; k < c->options_count; k++)
			for (j = 0; connector_secret_keys[j] != NULL; j++)
				if (strcmp(c->options[k].key, connector_secret_keys[j]) == 0)
					secret_check(&scan, section, c->options[k].key,
						     c->options[k].line, c->options[k].value);
	}
	return scan.found;
}
