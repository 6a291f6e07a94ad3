/* SPDX-License-Identifier: MIT */
/* The small subcommands: check-config, migrate. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/classify/classify.h"
#include "connectors/connector.h"
#include "connectors/rules/rules.h"
#include "daemon/cmd.h"
#include "daemon/cmd_check.h"
#include "daemon/config/config_files.h"
#include "daemon/config/config_secrets.h"
#include "daemon/store/store.h"
#include "daemon/store/store_durability.h"

/* What config.c cannot judge alone: each connector's own options (its
 * backend validates them) and the rules file. Returns the problems found. */
static int check_config_plugins(const char *path, const struct config *config)
{
	struct rules_set *rules = NULL;
	struct error err;
	const char *msg;
	int problems = 0;
	size_t i;

	for (i = 0; i < config->connectors_count; i++) {
		if (connector_validate(&config->connectors[i], &err) < 0) {
			msg = error_msg(&err);
			fprintf(stderr, "%s:%s\n", path,
				msg + (strncmp(msg, "line ", 5) == 0 ? 5 : 0));
			problems++;
		}
	}
	if (config->agent.rules_file != NULL) {
		if (rules_load_file(config->agent.rules_file, &rules, &err) < 0) {
			fprintf(stderr, "%s:%u: [agent] rules_file: %s\n", path,
				config_key_line(config, "agent", NULL, "rules_file"),
				error_msg(&err));
			problems++;
		} else if (check_config_rules_facts(config->agent.rules_file, config, rules, stdout,
						    stderr) < 0) {
			problems++;
		}
		rules_free(&rules);
	}
	return problems;
}

/* Every regex of the [category] sections, compiled as the classifier will
 * (a bad one would otherwise stop `draftd run` only when it starts): each
 * failure is "FILE:LINE: [category NAME] KEY: message at offset N". Returns
 * the problems found. */
static int check_config_patterns(const char *path, const struct config *config)
{
	char why[300];
	int problems = 0;
	size_t i, k;

	for (i = 0; i < config->categories_count; i++) {
		const struct category_config *cc = &config->categories[i];

		for (k = 0; k < cc->options_count; k++) {
			const struct config_kv *kv = &cc->options[k];

			if (!classify_is_pattern_key(kv->key) ||
			    classify_pattern_check(kv->value, why, sizeof(why)) == 0)
				continue;
			fprintf(stderr, "%s:%u: [category %s] %s: %s\n", path, kv->line, cc->name,
				kv->key, why);
			problems++;
		}
	}
	return problems;
}

static void check_config_warn(const char *line, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "warning: %s\n", line);
}

/* What an operator should hear about without it being an error: secret
 * files others may read, and a database whose commits are not durable
 * (best effort: an unreachable database is said, not failed). */
static void check_config_warnings(const struct config *config)
{
	struct store *store = NULL;
	struct error dberr;
	char err[600];

	config_secret_warnings(config, check_config_warn, NULL);
	if (store_open(config->database.url,
		       config->database.connect_timeout < 5 ? config->database.connect_timeout : 5,
		       &store, &dberr) < 0) {
		fprintf(stderr, "warning: could not check the database's durability settings: %s\n",
			error_msg(&dberr));
		return;
	}
	if (store_durability_check(store, err, sizeof(err)) == 0)
		fprintf(stderr, "warning: %s\n", err);
	store_close(&store);
}

static void check_config_report(const char *line, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* Every file the config names, opened as --user (else as we run). Returns
 * the problems found, or -1 when the check could not run. */
static int check_config_files(const struct config *config, const char *user)
{
	struct error err;
	int n = config_check_files(config, user, check_config_report, NULL, &err);

	if (n < 0)
		fprintf(stderr, "draftd check-config: %s\n", error_msg(&err));
	else if (user == NULL && geteuid() == 0)
		fprintf(stderr, "note: files were opened as root; --user NAME opens them as the "
				"service user\n");
	return n;
}

static int check_config_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	const char *path, *user = NULL;
	bool online = false;
	int i, files, r = cmd_parse_common(&cmd_check_config, &argc, argv, &common, false);

	if (r != 0)
		return r == 1 ? 0 : r;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
			user = argv[++i];
		} else if (strncmp(argv[i], "--user=", 7) == 0) {
			user = argv[i] + 7;
		} else if (strcmp(argv[i], "--online") == 0) {
			online = true;
		} else {
			fprintf(stderr,
				"draftd check-config: unknown argument '%s' (see draftd "
				"check-config --help)\n",
				argv[i]);
			return 2;
		}
	}
	path = config_path(common.config_path);
	if (cmd_load_config(path, &config) < 0)
		return 1;
	files = check_config_files(config, user);
	if (check_config_plugins(path, config) + check_config_patterns(path, config) > 0 ||
	    (files != 0 && !online)) {
		config_unref(&config);
		return 1;
	}
	/* with --online a file that cannot be read does not stop the checks:
	 * each service's own answer (a connector that cannot open) follows */
	check_config_warnings(config);
	if (online && (check_config_online(config, stdout) > 0 || files != 0)) {
		printf("%s: %s, but the checks above failed\n", path,
		       files != 0 ? "a file the config names cannot be read (above)"
				  : "the config is valid");
		config_unref(&config);
		return 1;
	}
	printf("%s: ok (%zu mailboxes, %zu connectors, %zu categories, model backend %s)\n", path,
	       config->mailboxes_count, config->connectors_count, config->categories_count,
	       config->model.backend == MODEL_BACKEND_OPENAI ? "openai" : "builtin");
	config_unref(&config);
	return 0;
}

const struct cmd cmd_check_config = {
	.name = "check-config",
	.summary = "load and validate the config, print what is wrong",
	.usage = " [--config FILE] [--user NAME] [--online]\n\n"
		 "Loads the config, applies environment overrides, reads secret files,\n"
		 "checks listen addresses, URLs and e-mail addresses, compiles every pattern,\n"
		 "opens every file the config names and prints every problem as\n"
		 "FILE:LINE: [section] key: message. --user NAME opens the files as that user\n"
		 "(the service user, e.g. draftd; needs root), as the service would.\n"
		 "Warns (exit status unchanged) about secret files others may read and a\n"
		 "database whose commits are not durable. Exit 0 when valid, 1 when not.\n"
		 "--online also asks every service for real, one line each (ok, warn or\n"
		 "FAIL with how to fix it): the database, each mailbox (login, capabilities\n"
		 "IDLE UIDPLUS MOVE SPECIAL-USE CONDSTORE, the folder, the Sent folder),\n"
		 "SMTP (reachable, TLS, authenticated), each connector and the model probe;\n"
		 "exit 1 on any FAIL.\n",
	.main = check_config_main,
};

static int migrate_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	struct error err;
	int r = cmd_parse_common(&cmd_migrate, &argc, argv, &common, true), ret = 1, applied;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd migrate: %s\n", error_msg(&err));
		goto out;
	}
	applied = store_migrate(store);
	if (applied < 0) {
		fprintf(stderr, "draftd migrate: %s\n", store_error(store));
		goto out;
	}
	printf("migrations: %d applied, schema is current\n", applied);
	ret = 0;
out:
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_migrate = {
	.name = "migrate",
	.summary = "bring the database schema up to date",
	.usage = " [--config FILE]\n\n"
		 "Applies the migrations compiled into this binary (schemas/migrations/) that\n"
		 "the database lacks, each in one transaction, recorded in schema_migrations.\n"
		 "Running it again is a no-op. Safe with several instances: they take turns.\n",
	.main = migrate_main,
};
