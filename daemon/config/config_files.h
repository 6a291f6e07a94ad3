/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONFIG_FILES_H
#define DRAFTD_CONFIG_FILES_H

#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* Every file and directory the config names (secret files, CA bundles, the
 * rules file, template and web directories, connector files), opened for
 * reading as the service user would open them. A secret named as a systemd
 * credential (no '/') is checked in $CREDENTIALS_DIRECTORY when that is set,
 * else skipped: systemd reads the original as root.
 *
 * user NULL checks as the current user. A user name makes a child process
 * switch to that user's uid, gid and groups (which needs root, or being that
 * user already) and open each file there, so the answer is the kernel's,
 * ACLs and parent directories included. Each problem goes to report() as
 * "FILE:LINE: [section] key: 'PATH' cannot be read by user U: reason".
 * Returns the number of problems, or -1 with the reason in err when the
 * check itself could not run (unknown user, not root). */
int config_check_files(const struct config *config, const char *user,
		       void (*report)(const char *line, void *ctx), void *ctx, struct error *err)
	__attribute__((warn_unused_result));

#endif
