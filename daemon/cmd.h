/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CMD_H
#define DRAFTD_CMD_H

#include <stdbool.h>

#include "daemon/config/config.h"

/* A subcommand of the draftd binary. Adding one is a new daemon/cmd_*.c
 * exporting a struct cmd, its declaration below and one line in main.c's
 * table. main() returns its
 * exit code: 0 success, 1 failure (already reported on stderr), 2 usage. */
struct cmd {
	const char *name;
	const char *summary;
	const char *usage; /* the --help text after "usage: draftd NAME" */
	int (*main)(int argc, char **argv);
};

/* Options every subcommand takes. cmd_parse_common() consumes --config FILE
 * and --help/-h from argv (compacting it) and reports unknown options only
 * when strict. Returns 0 to go on, 1 when help was printed, 2 on a usage
 * error (reported). */
struct cmd_common {
	const char *config_path;
};
int cmd_parse_common(const struct cmd *cmd, int *argc, char **argv, struct cmd_common *common_r,
		     bool strict);

/* Loads the config, printing every problem as "FILE:LINE: ..." on stderr.
 * Returns 0 with *config_r set, or -1. */
int cmd_load_config(const char *path, struct config **config_r);

/* The subcommands; main.c's table lists them. */
extern const struct cmd cmd_run;
extern const struct cmd cmd_migrate;
extern const struct cmd cmd_check_config;
extern const struct cmd cmd_poll;
extern const struct cmd cmd_process;
extern const struct cmd cmd_token;
extern const struct cmd cmd_user;
extern const struct cmd cmd_audit;
extern const struct cmd cmd_stats;
extern const struct cmd cmd_auto;
extern const struct cmd cmd_version;
extern const struct cmd cmd_eval;

#endif
