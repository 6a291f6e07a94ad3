/* draftd token create|revoke|list: API bearer tokens. */
#include <stdio.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/store_tokens.h"

extern const struct cmd cmd_token;

static int token_open(const char *cli_path, struct config **config_r, struct store **store_r)
{
	char err[600];

	if (cmd_load_config(config_path(cli_path), config_r) < 0)
		return -1;
	if (store_open((*config_r)->database.url, (*config_r)->database.connect_timeout, store_r,
		       err, sizeof(err)) < 0) {
		fprintf(stderr, "draftd token: %s\n", err);
		return -1;
	}
	return 0;
}

static int token_create(struct store *store, const char *name, const char *role_name)
{
	enum token_role role;
	unsigned char hash[32];
	char token[64];
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
	r = store_token_create(store, name, role, hash, "cli");
	if (r < 0) {
		fprintf(stderr, "draftd token create: %s\n", store_error(store));
		return 1;
	}
	if (r == 0) {
		fprintf(stderr, "draftd token create: a token named '%s' already exists\n", name);
		return 1;
	}
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
	printf("%-24s %-9s %-21s %s\n", "NAME", "ROLE", "CREATED", "REVOKED");
	json_array_foreach(tokens, i, t)
	{
		const char *revoked = json_string_value(json_object_get(t, "revoked_at"));

		printf("%-24s %-9s %-21s %s\n", json_string_value(json_object_get(t, "name")),
		       json_string_value(json_object_get(t, "role")),
		       json_string_value(json_object_get(t, "created_at")),
		       revoked != NULL ? revoked : "-");
	}
	json_decref(tokens);
	return 0;
}

static int token_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	const char *name = NULL, *role = NULL, *action;
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
		else if (argv[i][0] != '-' && name == NULL)
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
		ret = token_create(store, name, role);
	} else if (strcmp(action, "list") == 0) {
		ret = token_list(store);
	} else {
		r = store_token_revoke(store, name, "cli");
		if (r < 0)
			fprintf(stderr, "draftd token revoke: %s\n", store_error(store));
		else if (r == 0)
			fprintf(stderr, "draftd token revoke: no live token named '%s'\n", name);
		else
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
	.usage =
		" create --name NAME --role reviewer|admin | revoke NAME | list [--config FILE]\n\n"
		"create prints the new bearer token once, alone on the last line: only its\n"
		"sha256 is stored. revoke refuses the token from then on. Both are audited.\n",
	.main = token_main,
};
