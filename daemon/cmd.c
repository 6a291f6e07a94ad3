/* SPDX-License-Identifier: MIT */
#include "daemon/cmd.h"

#include <stdio.h>
#include <string.h>

#include "daemon/store/store.h"

int cmd_parse_common(const struct cmd *cmd, int *argc, char **argv, struct cmd_common *common_r,
		     bool strict)
{
	int i, out = 1;

	common_r->config_path = NULL;
	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: draftd %s%s\n", cmd->name, cmd->usage);
			return 1;
		}
		if (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "draftd %s: --config needs a file\n", cmd->name);
				return 2;
			}
			common_r->config_path = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0) {
			common_r->config_path = argv[i] + 9;
			continue;
		}
		if (strict) {
			fprintf(stderr, "draftd %s: unknown argument '%s' (see draftd %s --help)\n",
				cmd->name, argv[i], cmd->name);
			return 2;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int cmd_load_config(const char *path, struct config **config_r)
{
	struct config_errors errors;
	size_t i;

	if (config_load(path, config_r, &errors) == 0) {
		/* before any connection opens; read once, not on reload */
		store_statement_cache_set((*config_r)->database.statement_cache);
		return 0;
	}
	for (i = 0; i < errors.count; i++)
		fprintf(stderr, "%s\n", errors.lines[i]);
	config_errors_free(&errors);
	return -1;
}
