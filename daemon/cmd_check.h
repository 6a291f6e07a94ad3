/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CMD_CHECK_H
#define DRAFTD_CMD_CHECK_H

#include <stdio.h>

#include "daemon/config/config.h"

struct rules_set;

/* Lists every fact each rule reads and its source on out, and warns on
 * warn about facts nothing answers in rules that hold drafts back. Returns
 * the number of warnings, or -1 when out of memory. */
int check_config_rules_facts(const char *rules_path, const struct config *config,
			     const struct rules_set *rules, FILE *out, FILE *warn);

/* check-config --online (daemon/cmd_check_online.c): logs in to every
 * mailbox (capabilities, folder, Sent folder), SMTP (reachable, TLS,
 * authenticated), the database, each connector and the model probe; one
 * line each on out: "ok", "warn" or "FAIL", what, and how to fix it.
 * Returns the number of failures. */
int check_config_online(const struct config *config, FILE *out);

#endif
