/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/lib/util.h"

/* The registry of subcommands, in the order `draftd --help` lists them.
 * Each lives in its own daemon/cmd_*.c and is declared in daemon/cmd.h;
 * adding one is a new file, a line there and a line here. */
static const struct cmd *const commands[] = {
	&cmd_run,  &cmd_migrate, &cmd_check_config, &cmd_poll, &cmd_process, &cmd_token,
	&cmd_user, &cmd_audit,   &cmd_stats,        &cmd_auto, &cmd_version, &cmd_eval,
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: draftd COMMAND [--config FILE] [options]\n\n"
		     "draftd drafts replies to support mail for a human to approve.\n\n"
		     "commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		fprintf(out, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
	}
	fprintf(out,
		"\nThe config file is --config FILE, else $DRAFTD_CONFIG, else %s.\n"
		"Run 'draftd COMMAND --help' for a command's options.\n",
		CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	size_t i;
	int ret = 2;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version.main(1, argv + 1);
	/* libcurl's global state must exist before any thread does */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "draftd: cannot initialise libcurl\n");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i]->name) == 0)
			break;
	}
	if (i < ARRAY_SIZE(commands)) {
		ret = commands[i]->main(argc - 1, argv + 1);
	} else {
		fprintf(stderr, "draftd: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
	}
	curl_global_cleanup();
	return ret;
}
