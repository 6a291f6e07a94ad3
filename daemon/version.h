/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_VERSION_H
#define DRAFTD_VERSION_H

#include <stddef.h>

/* What this build is: the version from the newest release tag (see
 * deploy/version.sh) and the commit it was built from. Static strings. */
const char *version_string(void);
const char *version_commit(void);

/* One library draftd links, with the version of the copy loaded at run time
 * (what a security advisory is checked against), not the headers'. */
struct version_library {
	const char *name;
	char version[64];
};

/* Fills libs_r[max] with every linked library's run-time version. Returns the
 * number filled. Thread-safe. */
size_t version_libraries(struct version_library *libs_r, size_t max);

#endif
