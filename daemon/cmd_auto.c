/* SPDX-License-Identifier: MIT */
/* draftd auto off|on|status: the kill switch of automatic replies. */
#include <stdio.h>
#include <string.h>

#include "daemon/cmd.h"
#include "daemon/lib/log.h"
#include "daemon/store/store_promotion.h"

static int auto_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	struct error err;
	char who[64];
	long held = 0;
	int r = cmd_parse_common(&cmd_auto, &argc, argv, &common, false), ret = 1, on;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0 &&
			  strcmp(argv[1], "status") != 0)) {
		fprintf(stderr, "usage: draftd auto%s", cmd_auto.usage);
		return 2;
	}
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd auto: %s\n", error_msg(&err));
		goto out;
	}
	if (strcmp(argv[1], "status") == 0) {
		on = store_auto_enabled(store);
		if (on < 0) {
			fprintf(stderr, "draftd auto: %s\n", store_error(store));
			goto out;
		}
		printf("automatic replies are %s\n", on == 1 ? "on" : "off");
		ret = 0;
		goto out;
	}
	snprintf(who, sizeof(who), "cli");
	if (store_auto_set(store, strcmp(argv[1], "on") == 0, who, &held) < 0) {
		fprintf(stderr, "draftd auto: %s\n", store_error(store));
		goto out;
	}
	log_warn_kv(strcmp(argv[1], "on") == 0 ? "automatic replies switched on"
					       : "automatic replies switched off",
		    "actor=cli count=%ld", held);
	if (strcmp(argv[1], "on") == 0)
		printf("automatic replies are on\n");
	else
		printf("automatic replies are off: no automatic reply will be sent; %ld unsent "
		       "one(s) back in review\n",
		       held);
	ret = 0;
out:
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_auto = {
	.name = "auto",
	.summary = "switch automatic replies off or on for every instance",
	.usage = " off|on|status [--config FILE]\n\n"
		 "off: every auto category behaves as review; unsent automatic replies go back\n"
		 "to review as pending drafts. Returns once no automatic reply can be sent\n"
		 "(it waits for sends already in flight). on: back to each category's mode.\n"
		 "status: prints on or off. Audited as auto.off / auto.on by \"cli\".\n",
	.main = auto_main,
};
