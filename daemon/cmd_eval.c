/* SPDX-License-Identifier: MIT */
/* draftd eval: the builtin pipeline over a labelled mail folder (agent/eval/eval.h),
 * printed as a table and written as JSON. Needs no database, no mailbox and
 * no model server: with no --config the connectors are CSV files of the
 * folder's data/ and the rules its data/rules.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/pipeline/agent.h"
#include "agent/eval/eval.h"
#include "daemon/cmd.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

#define EVAL_FOLDS_DEFAULT 5

struct eval_args {
	const char *dir, *json, *templates, *config;
	unsigned folds;
	bool show;
};

static bool eval_exists(const char *dir, const char *name, char *path, size_t size)
{
	struct stat st;

	snprintf(path, size, "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A config for the folder: its data as CSV connectors, its rules, the
 * builtin backend. Written to a temp file the config loader reads. */
static int eval_config(const struct eval_args *a, char *path, size_t size)
{
	char p[4096];
	FILE *f;
	int fd;

	snprintf(path, size, "/tmp/draftd-eval.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "draftd eval: cannot write a temp config in /tmp\n");
		return -1;
	}
	fprintf(f, "[database]\nurl = postgresql:///draftd-eval-not-used\n");
	fprintf(f, "[model]\nbackend = builtin\n");
	if (a->templates != NULL)
		fprintf(f, "templates_dir = %s\n", a->templates);
	fprintf(f, "[log]\nlevel = warn\n[agent]\n");
	if (eval_exists(a->dir, "data/rules.json", p, sizeof(p)))
		fprintf(f, "rules_file = %s\n", p);
	if (eval_exists(a->dir, "data/inventory.csv", p, sizeof(p)))
		fprintf(f, "[connector inventory]\ntype = csv\nkey = sku\npath = %s\n", p);
	if (eval_exists(a->dir, "data/orders.csv", p, sizeof(p)))
		fprintf(f, "[connector order]\ntype = csv\nkey = order\npath = %s\n", p);
	return fclose(f) == 0 ? 0 : -1;
}

static void eval_row(const char *what, const json_t *kw, const json_t *nb, const char *field)
{
	const json_t *a = json_object_get(kw, field), *b = json_object_get(nb, field);
	char ca[48] = "", cb[48] = "";

	if (a != NULL)
		snprintf(ca, sizeof(ca), "%lld/%-4lld %5.1f%%",
			 (long long)json_integer_value(json_object_get(a, "correct")),
			 (long long)json_integer_value(json_object_get(a, "total")),
			 100.0 * json_real_value(json_object_get(a, "rate")));
	if (b != NULL)
		snprintf(cb, sizeof(cb), "%lld/%-4lld %5.1f%%",
			 (long long)json_integer_value(json_object_get(b, "correct")),
			 (long long)json_integer_value(json_object_get(b, "total")),
			 100.0 * json_real_value(json_object_get(b, "rate")));
	printf("  %-44s %-18s %s\n", what, ca, cb);
}

static long long eval_int(const json_t *m, const char *a, const char *b)
{
	return (long long)json_integer_value(json_object_get(json_object_get(m, a), b));
}

static void eval_print(const json_t *r)
{
	const json_t *kw = json_object_get(r, "keywords"),
		     *nb = json_object_get(r, "keywords_bayes");
	const json_t *w, *d;
	size_t i;

	printf("draftd eval: %s, %lld mails, %lld folds (Bayes ready in %lld)\n",
	       json_string_value(json_object_get(r, "dir")),
	       (long long)json_integer_value(json_object_get(r, "mails")),
	       (long long)json_integer_value(json_object_get(r, "folds")),
	       (long long)json_integer_value(json_object_get(r, "bayes_folds_ready")));
	printf("  %-44s %-18s %s\n", "", "keywords", nb != NULL ? "keywords+bayes" : "");
	eval_row("category accuracy", kw, nb, "category");
	eval_row("customer mail drafted", kw, nb, "drafted");
	eval_row("noise skipped", kw, nb, "noise_skipped");
	eval_row("rule outcome as labelled", kw, nb, "rules");
	eval_row("reply in the customer's language", kw, nb, "language");
	printf("  %-44s %lld/%-13lld %lld\n", "never_auto mail sent automatically",
	       eval_int(kw, "never_auto", "auto_sent"), eval_int(kw, "never_auto", "total"),
	       nb != NULL ? eval_int(nb, "never_auto", "auto_sent") : 0);
	printf("  %-44s %lld/%-13lld %lld\n", "  ... of them at confidence >= 0.9",
	       eval_int(kw, "never_auto", "auto_sent_at_threshold"),
	       eval_int(kw, "never_auto", "total"),
	       nb != NULL ? eval_int(nb, "never_auto", "auto_sent_at_threshold") : 0);
	if (nb != NULL) {
		const json_t *b = json_object_get(nb, "blend");

		eval_row("naive Bayes alone (its own choice)", NULL, nb, "bayes_alone");
		printf("  %-44s %-18s agree %lld, disagree %lld, overruled %lld, alone %lld\n",
		       "Bayes had a say (per-category examples)", "",
		       (long long)json_integer_value(json_object_get(b, "agree")),
		       (long long)json_integer_value(json_object_get(b, "disagree")),
		       (long long)json_integer_value(json_object_get(b, "overruled")),
		       (long long)json_integer_value(json_object_get(b, "bayes_alone")));
	}
	printf("  %-44s %-18lld %lld\n", "drafts held: the category is in doubt",
	       (long long)json_integer_value(json_object_get(kw, "category_doubt")),
	       (long long)json_integer_value(json_object_get(nb, "category_doubt")));
	printf("  %-44s %-18lld %lld\n", "automatic sends (every category in auto)",
	       (long long)json_integer_value(json_object_get(kw, "auto_sent")),
	       (long long)json_integer_value(json_object_get(nb, "auto_sent")));
	printf("  %-44s %lld/%lld (sent automatically: %lld)\n", "injection mails flagged",
	       eval_int(kw, "injection", "flagged"), eval_int(kw, "injection", "total"),
	       eval_int(kw, "injection", "auto_sent"));
	printf("  %-44s %lld/%lld mails; %lld/%lld keys found, %lld extra\n",
	       "keys (SKUs, orders) as labelled", eval_int(kw, "keys", "exact"),
	       eval_int(kw, "keys", "mails"), eval_int(kw, "keys", "found"),
	       eval_int(kw, "keys", "labelled"), eval_int(kw, "keys", "extra"));
	printf("  %-44s %lld/%lld\n", "drafts stating a figure the data lacks",
	       eval_int(kw, "figures", "unsupported"), eval_int(kw, "figures", "drafts"));
	printf("  %-44s %lld/%lld\n", "drafts with a content flag",
	       eval_int(kw, "figures", "content_flagged"), eval_int(kw, "figures", "drafts"));
	json_array_foreach(json_object_get(json_object_get(kw, "category"), "wrong"), i, w)
		printf("  misclassified (keywords): %s\n", json_string_value(w));
	json_array_foreach(json_object_get(json_object_get(nb, "category"), "wrong"), i, w)
		printf("  misclassified (keywords+bayes): %s\n", json_string_value(w));
	json_array_foreach(json_object_get(json_object_get(kw, "rules"), "wrong"), i, w)
		printf("  rule outcome: %s\n", json_string_value(w));
	json_array_foreach(json_object_get(json_object_get(kw, "never_auto"), "files"), i, w)
		printf("  SENT AUTOMATICALLY though never_auto (keywords): %s\n",
		       json_string_value(w));
	json_array_foreach(json_object_get(json_object_get(nb, "never_auto"), "files"), i, w)
		printf("  SENT AUTOMATICALLY though never_auto (keywords+bayes): %s\n",
		       json_string_value(w));
	(void)d;
}

static int eval_parse(int argc, char **argv, struct eval_args *a)
{
	uint64_t v;
	int i;

	memset(a, 0, sizeof(*a));
	a->folds = EVAL_FOLDS_DEFAULT;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--show") == 0) {
			a->show = true;
		} else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0) {
			a->dir = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--json") == 0) {
			a->json = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--templates") == 0) {
			a->templates = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--folds") == 0) {
			if (parse_u64(argv[++i], 20, &v) < 0) {
				fprintf(stderr, "draftd eval: --folds: a number 0..20\n");
				return 2;
			}
			a->folds = (unsigned)v;
		} else if (argv[i][0] != '-' && a->dir == NULL) {
			a->dir = argv[i];
		} else {
			fprintf(stderr, "draftd eval: unknown or incomplete option '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (a->dir == NULL) {
		fprintf(stderr, "draftd eval: which folder? (--dir DIR)\n");
		return 2;
	}
	return 0;
}

static int eval_main(int argc, char **argv)
{
	struct cmd_common common;
	struct config *config = NULL;
	struct agent *agent = NULL;
	struct eval_set *set = NULL;
	struct eval_args a;
	json_t *report = NULL, *d;
	struct error err;
	char tmp[64] = "";
	const char *cfg;
	size_t i;
	int r = cmd_parse_common(&cmd_eval, &argc, argv, &common, false), ret = 1;

	if (r != 0)
		return r == 1 ? 0 : r;
	r = eval_parse(argc, argv, &a);
	if (r != 0)
		return r;
	cfg = common.config_path;
	if (cfg == NULL) {
		if (eval_config(&a, tmp, sizeof(tmp)) < 0)
			goto out;
		cfg = tmp;
	}
	if (cmd_load_config(cfg, &config) < 0)
		goto out;
	log_set_level(config->log.level);
	log_set_format(config->log.format);
	if (agent_open(config, &agent, &err) < 0) {
		fprintf(stderr, "draftd eval: %s\n", error_msg(&err));
		goto out;
	}
	if (eval_load(a.dir, &set, &err) < 0) {
		fprintf(stderr, "draftd eval: %s\n", error_msg(&err));
		goto out;
	}
	report = eval_run(agent, set, a.folds);
	if (report == NULL) {
		fprintf(stderr, "draftd eval: out of memory\n");
		goto out;
	}
	if (a.show) {
		json_array_foreach(json_object_get(report, "mails_detail"), i, d)
			printf("--- %s [%s -> %s, %s]\n%s\n",
			       json_string_value(json_object_get(d, "file")),
			       json_string_value(json_object_get(d, "label")),
			       json_string_value(json_object_get(d, "category")),
			       json_string_value(json_object_get(d, "outcome")),
			       json_is_string(json_object_get(d, "body"))
				       ? json_string_value(json_object_get(d, "body"))
				       : "(no draft)");
	}
	eval_print(report);
	if (a.json != NULL && json_dump_file(report, a.json, JSON_INDENT(1) | JSON_SORT_KEYS) < 0) {
		fprintf(stderr, "draftd eval: cannot write %s\n", a.json);
		goto out;
	}
	ret = 0;
out:
	if (tmp[0] != '\0')
		unlink(tmp);
	json_decref(report);
	eval_free(&set);
	agent_unref(&agent);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_eval = {
	.name = "eval",
	.summary = "measure the builtin pipeline on a labelled mail folder",
	.usage = " --dir DIR [--json FILE] [--folds N] [--templates DIR] [--show] [--config "
		 "FILE]\n\n"
		 "Runs every mail of DIR (the corpus format: labels.json, mail/, data/) through\n"
		 "the builtin pipeline without a database and prints category accuracy (keywords\n"
		 "alone, and with naive Bayes trained on the other N-1 of N folds; default 5),\n"
		 "the share of customer mail drafted, noise skipped, rule outcomes, keys and\n"
		 "figures checked against the data, reply language, and automatic sends of\n"
		 "mail labelled never_auto with every category in auto mode. --json writes the\n"
		 "full report. Without --config the connectors are DIR/data/inventory.csv\n"
		 "(key sku) and DIR/data/orders.csv (key order), the rules DIR/data/rules.json.\n",
	.main = eval_main,
};
