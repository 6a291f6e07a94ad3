/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CONFIG_CHECK_H
#define DRAFTD_CONFIG_CHECK_H

#include <stddef.h>

#include "daemon/lib/error.h"

/* Checks of single config values that would otherwise fail only at run
 * time. Each returns 0 when the value is usable, -1 with the reason in err.
 * No value is echoed in a reason, as URLs may carry passwords.
 * Thread-safe. */

/* "HOST:PORT" or "[V6]:PORT": an IPv4 literal, IPv6 literal or DNS name,
 * and a port 1..65535. */
int config_check_listen(const char *value, struct error *err);

/* scheme://[user[:password]@]host[:port][/...] with a scheme from the
 * NULL-terminated schemes, a valid host and a port in range. */
int config_check_url(const char *url, const char *const *schemes, struct error *err);

/* A libpq connection string: postgresql:// or postgres:// (ports in range),
 * or the keyword form "host=... dbname=...". */
int config_check_database_url(const char *url, struct error *err);

/* One e-mail address, "a@example.com" or "Name <a@example.com>". */
int config_check_address(const char *value, struct error *err);

#endif
