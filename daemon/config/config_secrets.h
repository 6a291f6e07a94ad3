/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONFIG_SECRETS_H
#define DRAFTD_CONFIG_SECRETS_H

#include <stddef.h>

#include "daemon/config/config.h"

/* Secret files its group or everyone may read. A secret file (a password,
 * an API key, a token, a database URL with its password, the API's TLS key)
 * should be readable by draftd's user alone; a wider mode is no error (the
 * operator may have reasons, e.g. a group of services) but is said plainly,
 * by `draftd check-config` and at the start of `draftd run`. */

/* Calls warn once per such file with a line like
 * "FILE:LINE: [mailbox support] password_file: /etc/x.pw is readable by
 * others (mode 0644): chmod 600 it" (no ":LINE" for keys without one).
 * Files that cannot be stat()ed are left to the code that reads them.
 * Returns how many were found. */
size_t config_secret_warnings(const struct config *config,
			      void (*warn)(const char *line, void *ctx), void *ctx);

#endif
