/* SPDX-License-Identifier: MIT */
/* draftd poll --once: one ingest pass over the mailboxes, for cron and tests. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cmd.h"
#include "daemon/lib/log.h"
#include "daemon/ingest/poller.h"
#include "daemon/store/store.h"
#include "daemon/lib/util.h"

/* A pass that fails (server gone, database restarting) is retried this many
 * times (--attempts) with growing pauses before the mailbox counts as failed. */
#define POLL_ATTEMPTS     6
#define POLL_ATTEMPTS_MAX 100

static void poll_print(const char *name, const struct poller_counts *c)
{
	printf("mailbox=%s fetched=%u stored=%u duplicates=%u screened=%u already_stored=%u\n",
	       name, c->fetched, c->store.stored, c->store.duplicates, c->store.screened,
	       c->store.already);
}

/* Polls one mailbox with retries; 0 ok, -1 failed. */
static int poll_mailbox(const struct config *config, const struct mailbox_config *mb,
			struct store *store, unsigned int attempts, struct poller_counts *total)
{
	struct poller_mailbox pm;
	struct error err;
	unsigned int attempt, pause = 1;
	int r = -1;

	log_ctx_set("mailbox", mb->name);
	poller_mailbox_init(&pm, config, mb, store);
	for (attempt = 1; attempt <= attempts; attempt++) {
		if (store_ensure(store) < 0) {
			error_set(&err, "%s", store_error(store));
			r = -1;
		} else {
			r = poller_pass(&pm, &err);
		}
		if (r >= 0)
			break;
		log_error("poll failed (attempt %u of %u): %s", attempt, attempts, error_msg(&err));
		if (attempt < attempts) {
			sleep(pause);
			pause = pause * 2 > 8 ? 8 : pause * 2;
		}
	}
	if (r == 0)
		log_error("skipped: %s", error_msg(&err));
	poller_mailbox_finish(&pm);
	poll_print(mb->name, &pm.counts);
	total->fetched += pm.counts.fetched;
	total->store.stored += pm.counts.store.stored;
	total->store.duplicates += pm.counts.store.duplicates;
	total->store.screened += pm.counts.store.screened;
	total->store.already += pm.counts.store.already;
	log_ctx_set("mailbox", NULL);
	return r == 1 ? 0 : -1;
}

static int poll_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	struct poller_counts total;
	const char *only = NULL;
	bool once = false;
	uint64_t attempts = POLL_ATTEMPTS;
	struct error err;
	int r = cmd_parse_common(&cmd_poll, &argc, argv, &common, false), ret = 1, failed = 0;
	size_t i, polled = 0;

	if (r != 0)
		return r == 1 ? 0 : r;
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--once") == 0) {
			once = true;
		} else if (strcmp(argv[a], "--mailbox") == 0 && a + 1 < argc) {
			only = argv[++a];
		} else if (strcmp(argv[a], "--attempts") == 0 && a + 1 < argc) {
			if (parse_u64(argv[++a], POLL_ATTEMPTS_MAX, &attempts) < 0 ||
			    attempts == 0) {
				fprintf(stderr, "draftd poll: --attempts takes 1 to %d\n",
					POLL_ATTEMPTS_MAX);
				return 2;
			}
		} else {
			fprintf(stderr,
				"draftd poll: unknown argument '%s' (see draftd poll --help)\n",
				argv[a]);
			return 2;
		}
	}
	if (!once) {
		fprintf(stderr, "draftd poll: only --once is supported; 'draftd run' polls "
				"continuously\n");
		return 2;
	}
	memset(&total, 0, sizeof(total));
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	log_set_level(config->log.level);
	log_set_format(config->log.format);
	if (only != NULL && config_mailbox(config, only) == NULL) {
		fprintf(stderr, "draftd poll: no [mailbox %s] in the config\n", only);
		goto out;
	}
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd poll: %s\n", error_msg(&err));
		goto out;
	}
	r = store_migrations_pending(store);
	if (r != 0) {
		fprintf(stderr, "draftd poll: %s\n",
			r < 0 ? store_error(store)
			      : "the database schema is behind: run 'draftd migrate'");
		goto out;
	}
	for (i = 0; i < config->mailboxes_count; i++) {
		const struct mailbox_config *mb = &config->mailboxes[i];

		if (only != NULL && strcmp(mb->name, only) != 0)
			continue;
		polled++;
		if (poll_mailbox(config, mb, store, (unsigned int)attempts, &total) < 0)
			failed++;
	}
	printf("poll: %zu mailboxes, %d failed; fetched %u, stored %u, duplicates %u, "
	       "screened %u, already stored %u\n",
	       polled, failed, total.fetched, total.store.stored, total.store.duplicates,
	       total.store.screened, total.store.already);
	ret = failed == 0 ? 0 : 1;
out:
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_poll = {
	.name = "poll",
	.summary = "fetch new mail once from every mailbox, then exit",
	.usage = " --once [--mailbox NAME] [--attempts N] [--config FILE]\n\n"
		 "One ingest pass: for each [mailbox] (or only NAME) takes its lease, fetches\n"
		 "the messages above the stored checkpoint, stores them with their jobs and\n"
		 "prints, per mailbox and in total, how many were fetched, stored, marked as\n"
		 "redeliveries (duplicates), screened out (never drafted), and skipped as\n"
		 "already stored. A failing mailbox is tried up to N times (default 6) with\n"
		 "growing pauses; the others are polled regardless.\n"
		 "Exit 0 when every mailbox was polled, 1 otherwise.\n",
	.main = poll_main,
};
