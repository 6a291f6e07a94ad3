/* SPDX-License-Identifier: MIT */
/* The fail-safe invariant of the rules (issue 17, item 1) over random rule
 * sets and random facts, seeded and replayable: a rule that would hold a
 * draft back and could fire for some value of the facts nobody knows makes
 * the draft never_auto; a rule fires only when it holds whatever those
 * facts are; only unknown facts leave a rule unevaluated.
 *
 * The model is independent of the engine: each leaf reads its own
 * connector namespace, whose entries are built to make the leaf true,
 * false or unknown on purpose (a missing field, null, the wrong type, a
 * failed lookup, no connector at all); the model then decides a rule by
 * trying every true/false value of its unknown leaves (not by three-valued
 * logic, as the engine does). DRAFTD_TEST_SEEDS widens the run,
 * DRAFTD_TEST_SEED=N replays one seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/rules/rules.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "harness.h"

#define M_LEAVES_MAX  32 /* 3 levels of at most 3 children: 27 */
#define M_UNKNOWN_MAX 10 /* 2^10 assignments per rule for the model */
#define M_RULES_MAX   4

enum m_status { M_FALSE = 0, M_TRUE = 1, M_UNKNOWN = 2 };

struct m_leaf {
	enum m_status status;
};

struct m_rule {
	bool holds_back; /* skip, require_human or never_auto */
	bool skip, human;
	size_t unknown[M_UNKNOWN_MAX]; /* ids of its unknown leaves, each once */
	size_t nunknown;
	/* the condition as a postfix program over leaf ids */
	char prog[1024];
};

struct m_world {
	uint64_t rng;
	struct m_leaf leaf[M_RULES_MAX * M_LEAVES_MAX];
	size_t nleaf;
	bool any_failed_lookup; /* a found:null entry somewhere */
	json_t *facts;
	struct buf doc;
};

static uint64_t m_rand(struct m_world *w)
{
	return test_rand(&w->rng);
}

static unsigned m_pick(struct m_world *w, unsigned n)
{
	return (unsigned)(m_rand(w) % n);
}

static const char *const m_ops[] = {"==", "!=", "<", "<=", ">", ">=", "in", "matches", "exists"};

/* A value that makes "v op 10" (or op "shipped") true or false. */
static json_t *m_value(struct m_world *w, const char *op, bool want)
{
	if (strcmp(op, "==") == 0)
		return json_integer(want ? 10 : 11 + m_pick(w, 5));
	if (strcmp(op, "!=") == 0)
		return want ? json_string(m_pick(w, 2) ? "11" : "12.5") : json_integer(10);
	if (strcmp(op, "<") == 0)
		return json_real(want ? 9.5 : 10 + m_pick(w, 3));
	if (strcmp(op, "<=") == 0)
		return want ? json_string("10") : json_integer(11);
	if (strcmp(op, ">") == 0)
		return json_integer(want ? 11 : 10 - (json_int_t)m_pick(w, 3));
	if (strcmp(op, ">=") == 0)
		return json_real(want ? 10.0 : 9.99);
	if (strcmp(op, "in") == 0)
		return json_string(want ? "shipped" : "processing");
	if (strcmp(op, "matches") == 0)
		return json_string(want ? "shipped today" : "on hold");
	return json_string("x"); /* exists: present */
}

/* Adds leaf id's namespace to the facts, built to give it status, and
 * writes its condition into the rules document. */
static void m_leaf_make(struct m_world *w, size_t id, enum m_status status)
{
	const char *op = m_ops[m_pick(w, ARRAY_SIZE(m_ops))];
	char ns[16];
	json_t *list = NULL, *e;
	bool exists = strcmp(op, "exists") == 0;
	unsigned how;

	snprintf(ns, sizeof(ns), "c%zu", id);
	if (exists && status == M_UNKNOWN)
		how = 0; /* for exists only a failed lookup is unknown */
	else
		how = m_pick(w, 5);
	if (status == M_UNKNOWN) {
		list = json_array();
		switch (how) {
		case 0: /* the connector failed */
			json_array_append_new(list, json_pack("{s:s, s:n}", "key", "K1", "found"));
			w->any_failed_lookup = true;
			break;
		case 1: /* found, field missing */
			json_array_append_new(list,
					      json_pack("{s:s, s:b}", "key", "K1", "found", 1));
			break;
		case 2: /* found, field null */
			json_array_append_new(
				list, json_pack("{s:s, s:b, s:n}", "key", "K1", "found", 1, "v"));
			break;
		case 3: /* found, a value of the wrong type */
			json_array_append_new(list, json_pack("{s:s, s:b, s:[i]}", "key", "K1",
							      "found", 1, "v", 1));
			break;
		default: /* no connector answers this namespace at all */
			json_decref(list);
			list = NULL;
		}
		/* a false entry beside an unknown one leaves it unknown */
		if (list != NULL && m_pick(w, 2) == 0) {
			e = json_pack("{s:s, s:b}", "key", "K2", "found", 1);
			if (!exists)
				json_object_set_new(e, "v", m_value(w, op, false));
			json_array_append_new(list, e);
		}
	} else {
		list = json_array();
		if (status == M_TRUE || m_pick(w, 3) != 0) {
			e = json_pack("{s:s, s:b}", "key", "K1", "found", 1);
			if (!exists || status == M_TRUE)
				json_object_set_new(e, "v", m_value(w, op, status == M_TRUE));
			json_array_append_new(list, e);
		}
		if (m_pick(w, 3) == 0) /* a key that does not exist: known, no fields */
			json_array_append_new(list,
					      json_pack("{s:s, s:b}", "key", "K3", "found", 0));
		if (status == M_TRUE && m_pick(w, 3) == 0) { /* an unknown one does not matter */
			json_array_append_new(list, json_pack("{s:s, s:n}", "key", "K4", "found"));
			w->any_failed_lookup = true;
		}
	}
	if (list != NULL)
		json_object_set_new(w->facts, ns, list);
	if (exists)
		(void)!buf_printf(&w->doc, "{\"fact\":\"%s.v\",\"op\":\"exists\"}", ns);
	else if (strcmp(op, "in") == 0)
		(void)!buf_printf(&w->doc,
				  "{\"fact\":\"%s.v\",\"op\":\"in\",\"value\":[\"shipped\",\"x\"]}",
				  ns);
	else if (strcmp(op, "matches") == 0)
		(void)!buf_printf(&w->doc,
				  "{\"fact\":\"%s.v\",\"op\":\"matches\",\"value\":\"^ship\"}", ns);
	else
		(void)!buf_printf(&w->doc, "{\"fact\":\"%s.v\",\"op\":\"%s\",\"value\":10}", ns,
				  op);
	w->leaf[id].status = status;
}

/* A random condition; its postfix program goes to prog ('L' id, '&' n, '|'
 * n, '!'), its JSON to the document. */
static void m_cond(struct m_world *w, struct m_rule *r, int depth, struct buf *prog)
{
	unsigned kind = depth >= 3 ? 0 : m_pick(w, 5);
	enum m_status st;
	unsigned n, i;
	size_t id;

	if (kind <= 1) {
		id = w->nleaf++;
		st = (enum m_status)m_pick(w, r->nunknown < M_UNKNOWN_MAX ? 3 : 2);
		if (st == M_UNKNOWN)
			r->unknown[r->nunknown++] = id;
		m_leaf_make(w, id, st);
		(void)!buf_printf(prog, "L%zu ", id);
		return;
	}
	if (kind == 4) {
		(void)!buf_printf(&w->doc, "{\"not\":");
		m_cond(w, r, depth + 1, prog);
		(void)!buf_printf(&w->doc, "}");
		(void)!buf_printf(prog, "! ");
		return;
	}
	n = 2 + m_pick(w, 2);
	(void)!buf_printf(&w->doc, "{\"%s\":[", kind == 2 ? "all" : "any");
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)!buf_printf(&w->doc, ",");
		m_cond(w, r, depth + 1, prog);
	}
	(void)!buf_printf(&w->doc, "]}");
	(void)!buf_printf(prog, "%c%u ", kind == 2 ? '&' : '|', n);
}

/* Runs the postfix program with leaf values from assignment bits. */
static bool m_run(const struct m_world *w, const struct m_rule *r, unsigned bits)
{
	bool stack[64], v;
	size_t sp = 0, k, i;
	const char *p = r->prog;
	unsigned n, id;

	while (*p != '\0') {
		if (*p == 'L') {
			id = (unsigned)strtoul(p + 1, (char **)&p, 10);
			if (w->leaf[id].status != M_UNKNOWN) {
				v = w->leaf[id].status == M_TRUE;
			} else {
				for (k = 0; r->unknown[k] != id; k++)
					;
				v = (bits >> k) & 1u;
			}
			stack[sp++] = v;
		} else if (*p == '!') {
			stack[sp - 1] = !stack[sp - 1];
			p++;
		} else if (*p == '&' || *p == '|') {
			bool all = *p == '&';

			n = (unsigned)strtoul(p + 1, (char **)&p, 10);
			v = all;
			for (i = 0; i < n; i++)
				v = all ? (v && stack[sp - 1 - i]) : (v || stack[sp - 1 - i]);
			sp -= n;
			stack[sp++] = v;
		} else {
			p++;
		}
	}
	return stack[0];
}

/* The model's verdict: true under every value of the unknown leaves,
 * false under every one, or unknown. */
static enum m_status m_verdict(const struct m_world *w, const struct m_rule *r)
{
	bool can_true = false, can_false = false;
	unsigned bits;

	for (bits = 0; bits < (1u << r->nunknown); bits++) {
		if (m_run(w, r, bits))
			can_true = true;
		else
			can_false = true;
	}
	return can_true && can_false ? M_UNKNOWN : can_true ? M_TRUE : M_FALSE;
}

static bool m_listed(const json_t *list, const char *id)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
			return true;
	}
	return false;
}

static bool m_one(uint64_t seed)
{
	struct m_world w;
	struct m_rule rules[M_RULES_MAX];
	struct rules_set *set = NULL;
	struct rules_result res;
	struct rules_input in;
	struct buf prog;
	size_t nrules, i;
	enum m_status v[M_RULES_MAX];
	bool never = false, skip = false, human = false, ok = true;
	struct error err;
	char id[8];
	json_t *doc = NULL;

	memset(&w, 0, sizeof(w));
	memset(rules, 0, sizeof(rules));
	w.rng = seed * 0x9E3779B97F4A7C15ull + 7;
	w.facts = json_object();
	buf_init(&w.doc, 256 * 1024);
	(void)!buf_printf(&w.doc, "{\"rules\":[");
	nrules = 1 + m_pick(&w, M_RULES_MAX);
	for (i = 0; i < nrules; i++) {
		struct m_rule *r = &rules[i];
		unsigned a = m_pick(&w, 5);

		r->skip = a == 0;
		r->human = a == 1;
		r->holds_back = a <= 2;
		(void)!buf_printf(&w.doc, "%s{\"id\":\"R%zu\",\"when\":", i > 0 ? "," : "", i);
		buf_init(&prog, sizeof(r->prog) - 1);
		m_cond(&w, r, 0, &prog);
		str_copy(r->prog, sizeof(r->prog), prog.data != NULL ? prog.data : "");
		buf_free(&prog);
		(void)!buf_printf(&w.doc, ",\"then\":[{\"action\":%s}]}",
				  a == 0   ? "\"skip\""
				  : a == 1 ? "\"require_human\""
				  : a == 2 ? "\"never_auto\""
				  : a == 3 ? "\"add_note\",\"note\":\"n\""
					   : "\"forbid_phrase\",\"phrases\":[\"p\"]");
	}
	(void)!buf_printf(&w.doc, "]}");
	doc = json_loads(w.doc.data, 0, NULL);
	if (doc == NULL || rules_load(doc, &set, &err) < 0) {
		fprintf(stderr, "\n  seed %llu: the generated rules do not load: %s\n%s\n",
			(unsigned long long)seed, doc == NULL ? "bad JSON" : error_msg(&err),
			w.doc.data);
		ok = false;
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.category = "quote_request";
	in.sender = "a@b.example";
	in.facts = w.facts;
	if (rules_eval(set, &in, &res) < 0) {
		ok = false;
		goto out;
	}
	for (i = 0; i < nrules; i++) {
		v[i] = m_verdict(&w, &rules[i]);
		snprintf(id, sizeof(id), "R%zu", i);
		if (m_listed(res.fired, id) != (v[i] == M_TRUE) ||
		    m_listed(res.unevaluated, id) != (v[i] == M_UNKNOWN)) {
			fprintf(stderr,
				"\n  seed %llu: rule %s: model says %s, engine fired=%d "
				"unevaluated=%d\n",
				(unsigned long long)seed, id,
				v[i] == M_TRUE    ? "true"
				: v[i] == M_FALSE ? "false"
						  : "unknown",
				m_listed(res.fired, id), m_listed(res.unevaluated, id));
			ok = false;
		}
		/* could fire for some value of the unknown facts: held back */
		if (rules[i].holds_back && v[i] != M_FALSE)
			never = true;
		skip |= rules[i].skip && v[i] == M_TRUE;
		human |= rules[i].human && v[i] == M_TRUE;
	}
	never |= w.any_failed_lookup;
	if (res.never_auto != never || res.outcome != (skip    ? RULES_SKIP
						       : human ? RULES_REQUIRE_HUMAN
							       : RULES_DRAFT)) {
		fprintf(stderr, "\n  seed %llu: never_auto %d (model %d), outcome %s\n",
			(unsigned long long)seed, res.never_auto, never,
			rules_outcome_name(res.outcome));
		ok = false;
	}
	rules_result_free(&res);
out:
	if (!ok) {
		char *f = json_dumps(w.facts, JSON_COMPACT | JSON_SORT_KEYS);

		fprintf(stderr, "  rules %s\n  facts %s\n", w.doc.data, f);
		free(f);
	}
	rules_free(&set);
	json_decref(doc);
	json_decref(w.facts);
	buf_free(&w.doc);
	return ok;
}

static void test_rules_model(void)
{
	const char *env = getenv("DRAFTD_TEST_SEEDS"), *one = getenv("DRAFTD_TEST_SEED");
	uint64_t seeds = 500, base = 1, s, failed = 0;

	if (env != NULL && parse_u64(env, 10000000, &seeds) < 0)
		seeds = 500;
	if (one != NULL && parse_u64(one, UINT64_MAX, &base) == 0)
		seeds = 1;
	for (s = base; s < base + seeds; s++) {
		if (!m_one(s) && ++failed >= 3)
			break;
	}
	if (failed > 0)
		fprintf(stderr, "  replay with DRAFTD_TEST_SEED=<seed>\n");
	CU_ASSERT_EQUAL(failed, 0);
}

static const struct test_case rules_model_cases[] = {
	{"random rules and facts: unknown never lets a draft out", test_rules_model},
	{NULL, NULL},
};

TEST_SUITE("rules_model", NULL, NULL, rules_model_cases)
