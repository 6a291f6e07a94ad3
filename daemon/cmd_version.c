/* SPDX-License-Identifier: MIT */
/* draftd version: what an operator quotes in a bug report or checks against
 * a security advisory. */
#include <stdio.h>

#include "daemon/cmd.h"
#include "daemon/lib/util.h"
#include "daemon/version.h"

static int version_main(int argc, char **argv)
{
	struct version_library libs[16];
	struct cmd_common common;
	size_t i, n;
	int r = cmd_parse_common(&cmd_version, &argc, argv, &common, true);

	if (r != 0)
		return r == 1 ? 0 : r;
	printf("draftd %s (commit %s)\n", version_string(), version_commit());
	n = version_libraries(libs, ARRAY_SIZE(libs));
	for (i = 0; i < n; i++)
		printf("%s %s\n", libs[i].name, libs[i].version);
	return 0;
}

const struct cmd cmd_version = {
	.name = "version",
	.summary = "print the version, the commit and the libraries' versions",
	.usage =
		"\n\nPrints \"draftd VERSION (commit HASH)\" on the first line, then one line per\n"
		"library with the version loaded at run time: libetpan, libcurl (and its TLS\n"
		"library), libpq, jansson, libmicrohttpd, pcre2, gnutls.\n",
	.main = version_main,
};
