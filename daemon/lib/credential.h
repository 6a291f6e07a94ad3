/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_CREDENTIAL_H
#define DRAFTD_CREDENTIAL_H

#include <stddef.h>

#include "daemon/lib/error.h"

/* Where a secret named by a *_file key lives. A value with a '/' is a path,
 * read as it is. A value without one is the name of a systemd credential:
 * the file of that name in $CREDENTIALS_DIRECTORY, which systemd fills from
 * the unit's LoadCredential= lines (readable by the service user alone,
 * whoever owns the original). Writes the path to read into path_r[size].
 * Returns 0, or -1 with the reason in err: an empty value, a name
 * that is no credential name, $CREDENTIALS_DIRECTORY unset, or too long. */
int credential_path(const char *value, char *path_r, size_t size, struct error *err)
	__attribute__((warn_unused_result));

#endif
