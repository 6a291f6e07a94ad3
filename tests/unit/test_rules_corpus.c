/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "connectors/keys/keys.h"
#include "connectors/rules/rules.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "harness.h"
#include "test_conn_corpus.h"

/* The example rules evaluated on every corpus mail with facts from the csv
 * connector on corpus/data, against labels.json "action" and "never_auto".
 * Two inputs come from labels.json because they are other modules' work:
 * the category (the classifier) and message.suspected_injection (the
 * classifier's injection flag). message.duplicate is what the store would
 * say: a Message-ID seen earlier in this run. */

struct corpus_conn {
	struct connector_config config;
	struct config_kv kv[2];
	char path[4096];
};

static struct connector *corpus_open(struct corpus_conn *c, const char *dir, const char *name,
				     const char *kind, const char *file)
{
	struct connector *conn = NULL;
	struct error err;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s/data/%s", dir, file);
	c->config.name = (char *)name;
	c->config.type = (char *)"csv";
	c->config.timeout_ms = 1000;
	c->config.options = c->kv;
	c->config.options_count = 2;
	c->kv[0] = (struct config_kv){(char *)"key", (char *)kind, 1};
	c->kv[1] = (struct config_kv){(char *)"path", c->path, 2};
	if (connector_open(&c->config, &conn, &err) < 0)
		fprintf(stderr, "corpus connector %s: %s\n", name, error_msg(&err));
	return conn;
}

/* Extracts conn's keys from text and adds its answers to facts. */
static int corpus_lookup(struct connector *conn, const char *text, json_t *facts,
			 struct key_hit *hits, int *nhits_r)
{
	struct conn_result results[64];
	const char *keys[64];
	struct error err;
	int n, i, rc;

	n = keys_extract(conn->keys, text, strlen(text), hits, 64);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		keys[i] = hits[i].key;
	*nhits_r = n;
	/* as agent/pipeline/facts.c does: the namespace is there, empty when nothing
	 * of its kind was mentioned (a missing one would be unknown) */
	if (n == 0)
		return rules_facts_add(facts, conn->name, NULL, 0);
	rc = connector_lookup(conn, keys, (size_t)n, results, &err);
	if (rc == 1)
		rc = rules_facts_add(facts, conn->name, results, (size_t)n);
	conn_results_free(results, (size_t)n);
	return rc == 1 || rc == 0 ? 0 : -1;
}

static void test_rules_corpus_run(bool use_mime)
{
	const char *dir = test_corpus_dir();
	struct corpus_conn ci, co;
	struct connector *inventory = NULL, *order = NULL;
	struct rules_set *set = NULL;
	struct rules_header headers[CORPUS_HEADERS_MAX];
	struct rules_result res;
	struct rules_input in;
	struct corpus_msg msg;
	struct key_hit hits[64];
	char *seen_ids[64];
	size_t nseen = 0, i, k;
	struct error err;
	char path[4096];
	json_t *labels, *l, *facts;
	unsigned int ok = 0, total = 0;
	int nhits, norders;
	struct buf text;

	if (dir == NULL) {
		printf("\n  rules corpus (%s): SKIPPED (corpus not found)\n",
		       use_mime ? "agent/mime" : "test reader");
		return;
	}
	snprintf(path, sizeof(path), "%s/data/rules.json", dir);
	CU_ASSERT_EQUAL_FATAL(rules_load_file(path, &set, &err), 0);
	inventory = corpus_open(&ci, dir, "inventory", "sku", "inventory.csv");
	order = corpus_open(&co, dir, "order", "order", "orders.csv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(inventory);
	CU_ASSERT_PTR_NOT_NULL_FATAL(order);
	labels = corpus_labels(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(labels);
	json_array_foreach(labels, i, l)
	{
		const char *want_action = json_string_value(json_object_get(l, "action"));
		bool want_never = json_is_true(json_object_get(l, "never_auto"));

		snprintf(path, sizeof(path), "%s/mail/%s", dir,
			 json_string_value(json_object_get(l, "file")));
		CU_ASSERT_EQUAL_FATAL(use_mime ? corpus_msg_read_mime(path, &msg)
					       : corpus_msg_read(path, &msg),
				      0);
		buf_init(&text, 4 * 1024 * 1024);
		CU_ASSERT_EQUAL(
			buf_printf(&text, "%s\n%s", msg.subject ? msg.subject : "", msg.body), 0);
		facts = json_object();
		CU_ASSERT_EQUAL(corpus_lookup(order, text.data, facts, hits, &norders), 0);
		CU_ASSERT_EQUAL(corpus_lookup(inventory, text.data, facts, hits, &nhits), 0);
		CU_ASSERT_EQUAL(rules_facts_add_quote(facts, hits, (size_t)nhits), 0);

		memset(&in, 0, sizeof(in));
		for (k = 0; k < msg.headers_count; k++)
			headers[k] =
				(struct rules_header){msg.header_names[k], msg.header_values[k]};
		in.category = json_string_value(json_object_get(l, "category"));
		in.suspected_injection = json_is_true(json_object_get(l, "injection"));
		in.sender = msg.from;
		in.reply_to = msg.reply_to;
		in.subject = msg.subject;
		in.body = msg.body;
		in.attachments = (const char *const *)msg.attachments;
		in.attachments_count = msg.attachments_count;
		in.headers = headers;
		in.headers_count = msg.headers_count;
		in.content_type = msg.content_type;
		in.facts = facts;
		in.duplicate = false;
		for (k = 0; msg.message_id != NULL && k < nseen; k++)
			in.duplicate |= strcmp(seen_ids[k], msg.message_id) == 0;
		if (msg.message_id != NULL && nseen < ARRAY_SIZE(seen_ids))
			seen_ids[nseen++] = strdup(msg.message_id);

		CU_ASSERT_EQUAL_FATAL(rules_eval(set, &in, &res), 0);
		total++;
		if (strcmp(rules_outcome_name(res.outcome), want_action) == 0 &&
		    res.never_auto == want_never) {
			ok++;
		} else {
			json_t *j = rules_result_json(&res);
			char *dump = json_dumps(json_object_get(j, "fired"), JSON_COMPACT);

			printf("\n  rules: %s: got %s never_auto=%d, want %s never_auto=%d; fired "
			       "%.300s",
			       msg.file, rules_outcome_name(res.outcome), res.never_auto,
			       want_action, want_never, dump);
			free(dump);
			json_decref(j);
		}
		rules_result_free(&res);
		json_decref(facts);
		buf_free(&text);
		corpus_msg_free(&msg);
	}
	printf("\n  rules corpus (%s): %u/%u messages match labels.json action and never_auto\n",
	       use_mime ? "agent/mime" : "test reader", ok, total);
	CU_ASSERT_EQUAL(total, 45);
	CU_ASSERT_EQUAL(ok, total);
	for (k = 0; k < nseen; k++)
		free(seen_ids[k]);
	json_decref(labels);
	connector_close(&inventory);
	connector_close(&order);
	rules_free(&set);
}

static void test_rules_corpus_test_reader(void)
{
	test_rules_corpus_run(false);
}

/* The same through agent/mime/mime.c, the text the pipeline really sees. */
static void test_rules_corpus_mime(void)
{
	test_rules_corpus_run(true);
}

static const struct test_case rules_corpus_cases[] = {
	{"corpus (test reader): every mail against labels.json", test_rules_corpus_test_reader},
	{"corpus (agent/mime): every mail against labels.json", test_rules_corpus_mime},
	{NULL, NULL},
};

TEST_SUITE("rules_corpus", NULL, NULL, rules_corpus_cases)
