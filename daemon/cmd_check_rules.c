/* SPDX-License-Identifier: MIT */
/* check-config's report on the rules file: every fact a rule reads and
 * where it comes from under this config's connectors (issue 17). A fact
 * nothing answers is always unknown; a rule that holds drafts back on it
 * then holds back every draft it could apply to, which is safe but rarely
 * what the operator meant, so it is warned about. */
#include <stdio.h>
#include <string.h>

#include "connectors/rules/rules.h"
#include "daemon/cmd_check.h"

#define CHECK_SOURCE_MAX 256

int check_config_rules_facts(const char *rules_path, const struct config *config,
			     const struct rules_set *rules, FILE *out, FILE *warn)
{
	char source[CHECK_SOURCE_MAX], ns[64];
	const json_t *r, *f;
	const char *path, *dot;
	json_t *read;
	size_t i, k, warnings = 0;

	read = rules_facts_read(rules);
	if (read == NULL)
		return -1;
	fprintf(out, "%s: %zu rules; the facts they read and where each comes from:\n", rules_path,
		rules_count(rules));
	json_array_foreach(read, i, r)
	{
		json_array_foreach(json_object_get(r, "facts"), k, f)
		{
			path = json_string_value(f);
			dot = strchr(path, '.');
			if (dot == NULL || (size_t)(dot - path) >= sizeof(ns))
				continue;
			snprintf(ns, sizeof(ns), "%.*s", (int)(dot - path), path);
			if (rules_fact_source(config, ns, dot + 1, source, sizeof(source)) == 0 &&
			    json_is_true(json_object_get(r, "holds_back"))) {
				fprintf(warn,
					"%s: warning: rule %s reads %s: %s; the rule then holds "
					"back "
					"every draft it could apply to\n",
					rules_path, json_string_value(json_object_get(r, "id")),
					path, source);
				warnings++;
			}
			fprintf(out, "  %-5s %-32s %s\n",
				json_string_value(json_object_get(r, "id")), path, source);
		}
	}
	json_decref(read);
	return (int)warnings;
}
