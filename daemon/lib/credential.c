/* SPDX-License-Identifier: MIT */
/* systemd credentials for *_file keys (systemd.exec(5), LoadCredential=). */
#include "daemon/lib/credential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* systemd's own limit for a credential name is a file name's */
#define CREDENTIAL_NAME_MAX 255

int credential_path(const char *value, char *path_r, size_t size, struct error *err)
{
	const char *dir;
	int n;

	if (value == NULL || *value == '\0') {
		error_set(err, "%s", "the file name is empty");
		return -1;
	}
	if (strchr(value, '/') != NULL) {
		if (strlen(value) >= size) {
			error_set(err, "%s", "the path is too long");
			return -1;
		}
		memcpy(path_r, value, strlen(value) + 1);
		return 0;
	}
	if (strcmp(value, ".") == 0 || strcmp(value, "..") == 0 ||
	    strlen(value) > CREDENTIAL_NAME_MAX) {
		error_set(err, "%s",
			  "not a credential name (a value without '/' names a systemd credential)");
		return -1;
	}
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || *dir == '\0') {
		error_set(err, "%s",
			  "a value without '/' names a systemd credential, but "
			  "$CREDENTIALS_DIRECTORY is not set (give a path, or run under the "
			  "unit with LoadCredential=)");
		return -1;
	}
	n = snprintf(path_r, size, "%s/%s", dir, value);
	if (n < 0 || (size_t)n >= size) {
		error_set(err, "%s", "the credential's path is too long");
		return -1;
	}
	return 0;
}
