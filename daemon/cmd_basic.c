/* The small subcommands: check-config, migrate. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/classify/classify.h"
#include "connectors/connector.h"
#include "connectors/rules/rules.h"
#include "daemon/cmd.h"
#include "daemon/cmd_check.h"
#include "daemon/config/config_secrets.h"
#include "daemon/store/store.h"
#include "daemon/store/store_durability.h"

/* What config.c cannot judge alone: each connector's own options (its
 * backend validates them) and the rules file. Returns the problems found. */
static int check_config_plugins(const char *path, const struct config *config)
{
	struct rules_set *rules = NULL;
	char err[CONN_ERROR_MAX];
	int problems = 0;
	size_t i;

	for (i = 0; i < config->connectors_count; i++) {
		if (connector_validate(&config->connectors[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s:%s\n", path,
				err + (strncmp(err, "line ", 5) == 0 ? 5 : 0));
			problems++;
		}
	}
	if (config->agent.rules_file != NULL) {
		if (rules_load_file(config->agent.rules_file, &rules, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: [agent] rules_file: %s\n", path, err);
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
	char err[600];

	config_secret_warnings(config, check_config_warn, NULL);
	if (store_open(config->database.url,
		       config->database.connect_timeout < 5 ? config->database.connect_timeout : 5,
		       &store, err, sizeof(err)) < 0) {
		fprintf(stderr, "warning: could not check the database's durability settings: %s\n",
			err);
		return;
	}
	if (store_durability_check(store, err, sizeof(err)) == 0)
		fprintf(stderr, "warning: %s\n", err);
	store_close(&store);
}

static int check_config_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	const char *path;
	bool online = false;
	int r;

	/* --online: ours, taken out before the common options are parsed */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--online") == 0) {
			online = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	}
	r = cmd_parse_common(&cmd_check_config, &argc, argv, &common, true);
	if (r != 0)
		return r == 1 ? 0 : r;
	path = config_path(common.config_path);
	if (cmd_load_config(path, &config) < 0)
		return 1;
	if (check_config_plugins(path, config) + check_config_patterns(path, config) > 0) {
		config_unref(&config);
		return 1;
	}
	check_config_warnings(config);
	if (online && check_config_online(config, stdout) > 0) {
		printf("%s: the config is valid, but the checks above failed\n", path);
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
	.usage = " [--config FILE] [--online]\n\n"
		 "Loads the config, applies environment overrides, reads secret files,\n"
		 "compiles every pattern and prints every problem as FILE:LINE: message.\n"
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
	char err[600];
	int r = cmd_parse_common(&cmd_migrate, &argc, argv, &common, true), ret = 1, applied;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (cmd_load_config(config_path(common.config_path), &config) < 0)
		goto out;
	if (store_open(config->database.url, config->database.connect_timeout, &store, err,
		       sizeof(err)) < 0) {
		fprintf(stderr, "draftd migrate: %s\n", err);
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
