/* SPDX-License-Identifier: MIT */
/* draftd token create|revoke|list: API bearer tokens. */
#include <stdio.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_tokens.h"
#include "daemon/lib/util.h"

static int token_open(const char *cli_path, struct config **config_r, struct store **store_r)
{
	struct error err;

	if (cmd_load_config(config_path(cli_path), config_r) < 0)
		return -1;
	if (store_open((*config_r)->database.url, (*config_r)->database.connect_timeout, store_r,
		       &err) < 0) {
		fprintf(stderr, "draftd token: %s\n", error_msg(&err));
		return -1;
	}
	return 0;
}

/* "90d", "12h", "30m": a bare number would be seconds, which nobody means
 * for a token's lifetime, so a unit is required. Returns 0 with *secs_r,
 * -1 after saying what is wrong. */
static int token_parse_expires(const char *text, uint64_t *secs_r)
{
	size_t len = text != NULL ? strlen(text) : 0;

	if (len < 2 || strchr("smhdSMHD", text[len - 1]) == NULL ||
	    parse_duration(text, TOKEN_EXPIRES_MAX, secs_r) < 0 || *secs_r < TOKEN_EXPIRES_MIN) {
		fprintf(stderr,
			"draftd token create: --expires '%s': want a duration from 1m to 3650d"
			" with its unit (90d, 12h, 30m)\n",
			text != NULL ? text : "");
		return -1;
	}
	return 0;
}

static int token_create(struct store *store, const char *name, const char *role_name,
			uint64_t expires_in, const char *person)
{
	enum token_role role;
	unsigned char hash[32];
	char token[64], expires_at[TOKEN_TIME_MAX];
	int r;

	if (name == NULL || !token_name_valid(name)) {
		fprintf(stderr,
			"draftd token create: --name must be 1-64 of A-Z a-z 0-9 . _ @ -\n");
		return 2;
	}
	if (role_name == NULL || token_role_parse(role_name, &role) < 0) {
		fprintf(stderr, "draftd token create: --role must be reviewer or admin\n");
		return 2;
	}
	if (token_generate(token) < 0 || token_hash(token, hash) < 0) {
		fprintf(stderr, "draftd token create: random generator failed\n");
		return 1;
	}
	r = store_token_create(store, name, role, hash, expires_in, person, "cli", expires_at);
	if (r < 0) {
		fprintf(stderr, "draftd token create: %s\n", store_error(store));
		return 1;
	}
	if (r == 0) {
		fprintf(stderr, "draftd token create: a token named '%s' already exists\n", name);
		return 1;
	}
	if (r == 2) {
		fprintf(stderr,
			"draftd token create: --person '%s': no such person, or disabled"
			" (draftd user list)\n",
			person);
		return 1;
	}
	/* the name only: the token itself is never logged */
	log_info_kv("api token created", "token_name=%s role=%s actor=cli expires=%s", name,
		    token_role_name(role), expires_at[0] != '\0' ? expires_at : "never");
	if (expires_at[0] != '\0')
		printf("created %s token '%s', expires %s; it is shown once, store it now:\n%s\n",
		       token_role_name(role), name, expires_at, token);
	else
		printf("created %s token '%s'; it is shown once, store it now:\n%s\n",
		       token_role_name(role), name, token);
	memset(token, 0, sizeof(token));
	return 0;
}

static int token_list(struct store *store)
{
	json_t *tokens = NULL, *t;
	size_t i;

	if (store_token_list(store, &tokens) < 0) {
		fprintf(stderr, "draftd token list: %s\n", store_error(store));
		return 1;
	}
	printf("%-24s %-9s %-16s %-21s %-21s %-21s %s\n", "NAME", "ROLE", "PERSON", "CREATED",
	       "REVOKED", "EXPIRES", "LAST USED");
	json_array_foreach(tokens, i, t)
	{
		const char *revoked = json_string_value(json_object_get(t, "revoked_at"));
		const char *expires = json_string_value(json_object_get(t, "expires_at"));
		const char *used = json_string_value(json_object_get(t, "last_used_at"));
		const char *person = json_string_value(json_object_get(t, "person"));

		printf("%-24s %-9s %-16s %-21s %-21s %-21s %s\n",
		       json_string_value(json_object_get(t, "name")),
		       json_string_value(json_object_get(t, "role")),
		       person != NULL ? person : "- (service)",
		       json_string_value(json_object_get(t, "created_at")),
		       revoked != NULL ? revoked : "-", expires != NULL ? expires : "-",
		       used != NULL ? used : "-");
	}
	json_decref(tokens);
	return 0;
}

static int token_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	const char *name = NULL, *role = NULL, *person = NULL, *action;
	uint64_t expires_in = 0;
	int r = cmd_parse_common(&cmd_token, &argc, argv, &common, false), i, ret = 2;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (argc < 2) {
		fprintf(stderr, "usage: draftd token%s", cmd_token.usage);
		return 2;
	}
	action = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--person") == 0 && i + 1 < argc)
			person = argv[++i];
		else if (strcmp(argv[i], "--expires") == 0) {
			if (strcmp(argv[1], "create") != 0) {
				fprintf(stderr, "draftd token: --expires goes with create\n");
				return 2;
			}
			if (token_parse_expires(i + 1 < argc ? argv[i + 1] : NULL, &expires_in) < 0)
				return 2;
			i++;
		} else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "draftd token: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (strcmp(action, "create") != 0 && strcmp(action, "revoke") != 0 &&
	    strcmp(action, "list") != 0) {
		fprintf(stderr, "draftd token: unknown action '%s' (create, revoke, list)\n",
			action);
		return 2;
	}
	if (strcmp(action, "revoke") == 0 && name == NULL) {
		fprintf(stderr, "draftd token revoke: which token? (draftd token revoke NAME)\n");
		return 2;
	}
	if (token_open(common.config_path, &config, &store) < 0) {
		ret = 1;
		goto out;
	}
	if (strcmp(action, "create") == 0) {
		ret = token_create(store, name, role, expires_in, person);
	} else if (strcmp(action, "list") == 0) {
		ret = token_list(store);
	} else {
		r = store_token_revoke(store, name, "cli");
		if (r < 0)
			fprintf(stderr, "draftd token revoke: %s\n", store_error(store));
		else if (r == 0)
			fprintf(stderr, "draftd token revoke: no live token named '%s'\n", name);
		else
			log_info_kv("api token revoked", "token_name=%s actor=cli", name);
		if (r == 1)
			printf("revoked token '%s'\n", name);
		ret = r == 1 ? 0 : 1;
	}
out:
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_token = {
	.name = "token",
	.summary = "create, revoke and list API tokens",
	.usage = " create --name NAME --role reviewer|admin [--expires 90d] [--person LOGIN]\n"
		 "       draftd token revoke NAME\n"
		 "       draftd token list\n"
		 "       (each takes --config FILE)\n\n"
		 "create prints the new bearer token once, alone on the last line: only its\n"
		 "sha256 is stored. --expires (1m..3650d, with its unit: 90d, 12h, 30m) makes\n"
		 "the API refuse it after that long (401 token_expired); without it the token\n"
		 "lives until revoked. --person ties the token to a person (draftd user): it\n"
		 "acts as them, with at most their role, and stops when they are disabled;\n"
		 "without it the token names a service (audit rows say NAME). revoke refuses\n"
		 "the token from then on. Both are audited.\n"
		 "list shows every token with its expiry and last use (to the minute).\n",
	.main = token_main,
};
