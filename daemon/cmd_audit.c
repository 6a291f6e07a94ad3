/* SPDX-License-Identifier: MIT */
/* draftd audit verify: checks the audit log's hash chain. */
#include <stdio.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/store/store_audit.h"

static int audit_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	long long rows = 0, bad = 0;
	struct error err;
	char why[128];
	int r = cmd_parse_common(&cmd_audit, &argc, argv, &common, false), ret = 1;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (argc != 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: draftd audit%s", cmd_audit.usage);
		return 2;
	}
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd audit: %s\n", error_msg(&err));
		goto out;
	}
	r = store_audit_verify(store, &rows, &bad, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "draftd audit: %s\n", store_error(store));
	} else if (r == 0) {
		printf("audit log BROKEN at row %lld: %s (%lld rows before it are intact)\n", bad,
		       why, rows);
	} else {
		printf("audit log ok: %lld rows, chain intact\n", rows);
		ret = 0;
	}
out:
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_audit = {
	.name = "audit",
	.summary = "verify the audit log's hash chain",
	.usage = " verify [--config FILE]\n\n"
		 "Recomputes every row's sha256 over the previous hash and the row's content.\n"
		 "Exit 0 when the chain is intact, 1 naming the first broken row.\n",
	.main = audit_main,
};
