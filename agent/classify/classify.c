/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent/classify/classify.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/classify/classify_blend.h"
#include "agent/text/lang.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/lib/regex.h"

#define CLASSIFY_MATCHED_MAX 32
/* Softmax temperature over keyword scores: a lead of 6 points (one strong
 * subject term) makes a category about 95% likely against one rival. */
#define CLASSIFY_TEMPERATURE   2.0
#define CLASSIFY_SENDER_WEIGHT 6.0

static const char *const classify_languages[] = {"en", "de", "es", "fr"};

struct classify_term {
	char *text; /* folded */
	size_t len;
	double weight;
	bool any_start, any_end;
	char lang[3]; /* "" = every language */
};

struct classify_pattern {
	pcre2_code *re;
	double weight;
};

struct classify_cat {
	char *name;
	struct classify_term *terms;
	size_t terms_count;
	struct classify_pattern patterns[CLASSIFY_PATTERNS_MAX];
	size_t patterns_count;
};

struct classify_set {
	struct classify_cat cats[CLASSIFY_CATEGORIES_MAX];
	size_t count;
};

static bool classify_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Folds text and collapses whitespace runs into one space, so that terms
 * match across line breaks. */
static char *classify_prepare(const char *text)
{
	char *f = lang_fold(text != NULL ? text : ""), *r, *w;
	bool space = true;

	if (f == NULL)
		return NULL;
	for (r = w = f; *r != '\0'; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r' || *r == '\f' ||
		    *r == '\v') {
			if (!space)
				*w++ = ' ';
			space = true;
			continue;
		}
		*w++ = *r;
		space = false;
	}
	if (w > f && w[-1] == ' ')
		w--;
	*w = '\0';
	return f;
}

/* Parses one term of a list ("in stock^2", "availab*") into t. */
static int classify_term_parse(const char *raw, size_t len, const char *lang,
			       struct classify_term *t, const char **why_r)
{
	char buf[CLASSIFY_TERM_MAX + 1], *caret, *folded = NULL;
	const char *s;
	size_t n;

	memset(t, 0, sizeof(*t));
	t->weight = 1;
	if (len > CLASSIFY_TERM_MAX) {
		*why_r = "term too long";
		return -1;
	}
	memcpy(buf, raw, len);
	buf[len] = '\0';
	caret = strrchr(buf, '^');
	if (caret != NULL) {
		*caret = '\0';
		if (parse_double(caret + 1, 0.1, 100, &t->weight) < 0) {
			*why_r = "bad weight after ^ (0.1..100)";
			return -1;
		}
	}
	folded = classify_prepare(buf);
	if (folded == NULL) {
		*why_r = "out of memory";
		return -1;
	}
	s = folded;
	n = strlen(s);
	if (n > 0 && s[0] == '*') {
		t->any_start = true;
		s++;
		n--;
	}
	if (n > 0 && s[n - 1] == '*') {
		t->any_end = true;
		n--;
	}
	if (n == 0) {
		free(folded);
		*why_r = "empty term";
		return -1;
	}
	t->text = strndup(s, n);
	t->len = n;
	free(folded);
	if (t->text == NULL) {
		*why_r = "out of memory";
		return -1;
	}
	str_copy(t->lang, sizeof(t->lang), strcmp(lang, "en") == 0 ? "" : lang);
	return 0;
}

/* Adds the comma-separated terms of list to cat; lang "" or "en" means
 * every language. */
static int classify_terms_add(struct classify_cat *cat, const char *list, const char *lang,
			      const char **why_r)
{
	const char *p = list, *e, *end;
	void *grown;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ',');
		end = e != NULL ? e : p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (cat->terms_count == CLASSIFY_TERMS_MAX) {
			*why_r = "too many terms";
			return -1;
		}
		grown = realloc(cat->terms, (cat->terms_count + 1) * sizeof(*cat->terms));
		if (grown == NULL) {
			*why_r = "out of memory";
			return -1;
		}
		cat->terms = grown;
		if (classify_term_parse(p, (size_t)(end - p), lang, &cat->terms[cat->terms_count],
					why_r) < 0)
			return -1;
		cat->terms_count++;
		p = e != NULL ? e + 1 : end;
	}
	return 0;
}

/* Compiles one category pattern the way the classifier runs it. */
static pcre2_code *classify_pattern_compile(const char *regex, char *why, size_t why_size)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int code;

	re = regex_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
			   PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset,
			   NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(why, why_size, "%s at offset %zu", (const char *)msg, (size_t)offset);
	}
	return re;
}

bool classify_is_pattern_key(const char *key)
{
	return strcmp(key, "pattern") == 0 || strncmp(key, "pattern_", 8) == 0 ||
	       strncmp(key, "patterns", 8) == 0;
}

int classify_pattern_check(const char *regex, char *why, size_t why_size)
{
	pcre2_code *re = classify_pattern_compile(regex, why, why_size);

	if (re == NULL)
		return -1;
	return 0;
}

static int classify_pattern_add(struct classify_cat *cat, const char *regex, char *why,
				size_t why_size)
{
	pcre2_code *re;

	if (cat->patterns_count == CLASSIFY_PATTERNS_MAX) {
		snprintf(why, why_size, "more than %d patterns", CLASSIFY_PATTERNS_MAX);
		return -1;
	}
	re = classify_pattern_compile(regex, why, why_size);
	if (re == NULL)
		return -1;
	cat->patterns[cat->patterns_count].re = re;
	cat->patterns[cat->patterns_count].weight = 2;
	cat->patterns_count++;
	return 0;
}

static struct classify_cat *classify_cat_get(struct classify_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (strcmp(set->cats[i].name, name) == 0)
			return &set->cats[i];
	if (set->count == CLASSIFY_CATEGORIES_MAX || strlen(name) >= BAYES_CATEGORY_MAX ||
	    *name == '\0')
		return NULL;
	set->cats[set->count].name = strdup(name);
	if (set->cats[set->count].name == NULL)
		return NULL;
	return &set->cats[set->count++];
}

/* The configured keys of one [category] section. */
static int classify_options(struct classify_cat *cat, const struct category_config *cc,
			    struct error *err)
{
	const struct config_kv *kv;
	const char *why = NULL;
	char rewhy[200];
	size_t i, k;
	bool known;

	for (i = 0; i < cc->options_count; i++) {
		kv = &cc->options[i];
		if (strcmp(kv->key, "keywords") == 0) {
			if (classify_terms_add(cat, kv->value, "", &why) < 0)
				goto bad;
		} else if (strncmp(kv->key, "keywords_", 9) == 0) {
			known = false;
			for (k = 0; k < 4; k++)
				known = known || strcmp(kv->key + 9, classify_languages[k]) == 0;
			if (!known) {
				why = "unknown language (en, de, es, fr)";
				goto bad;
			}
			if (classify_terms_add(cat, kv->value, kv->key + 9, &why) < 0)
				goto bad;
		} else if (classify_is_pattern_key(kv->key)) {
			if (classify_pattern_add(cat, kv->value, rewhy, sizeof(rewhy)) < 0) {
				why = rewhy;
				goto bad;
			}
		}
	}
	return 0;
bad:
	error_set(err, "category %s (line %u): %s: %s", cc->name, kv->line, kv->key, why);
	return -1;
}

static bool classify_builtin_off(const struct category_config *cc)
{
	const char *v;
	bool on = true;

	if (cc == NULL)
		return false;
	v = config_kv_get(cc->options, cc->options_count, "builtin_keywords");
	return v != NULL && parse_bool(v, &on) == 0 && !on;
}

int classify_set_new(const struct category_config *cats, size_t count, bool builtins,
		     struct classify_set **set_r, struct error *err)
{
	struct classify_set *set = calloc(1, sizeof(*set));
	const struct category_config *cc;
	struct classify_cat *cat;
	const char *terms, *why = NULL;
	size_t i, k;
	int ret = -1;

	*set_r = NULL;
	if (set == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	for (i = 0; builtins || count == 0 ? i < classify_builtin_count : false; i++)
		if (classify_cat_get(set, classify_builtin_categories[i]) == NULL)
			goto oom;
	for (i = 0; i < count; i++) {
		cat = classify_cat_get(set, cats[i].name);
		if (cat == NULL) {
			error_set(err,
				  "category %s (line %u): too many categories "
				  "or a bad name",
				  cats[i].name, cats[i].line);
			goto out;
		}
	}
	if (classify_cat_get(set, "none") == NULL)
		goto oom;
	for (i = 0; i < set->count; i++) {
		cat = &set->cats[i];
		cc = NULL;
		for (k = 0; k < count; k++)
			if (strcmp(cats[k].name, cat->name) == 0)
				cc = &cats[k];
		if (cc != NULL && classify_options(cat, cc, err) < 0)
			goto out;
		if (classify_builtin_off(cc))
			continue;
		for (k = 0; k < 4; k++) {
			terms = classify_keywords_builtin(cat->name, classify_languages[k]);
			if (terms != NULL &&
			    classify_terms_add(cat, terms, classify_languages[k], &why) < 0) {
				error_set(err, "built-in terms of %s: %s", cat->name, why);
				goto out;
			}
		}
	}
	*set_r = set;
	set = NULL;
	ret = 0;
	goto out;
oom:
	error_set(err, "out of memory");
out:
	classify_set_free(&set);
	return ret;
}

void classify_set_free(struct classify_set **set)
{
	struct classify_cat *cat;
	size_t i, k;

	if (set == NULL || *set == NULL)
		return;
	for (i = 0; i < (*set)->count; i++) {
		cat = &(*set)->cats[i];
		for (k = 0; k < cat->terms_count; k++)
			free(cat->terms[k].text);
		free(cat->terms);
		free(cat->name);
	}
	free(*set);
	*set = NULL;
}

size_t classify_set_count(const struct classify_set *set)
{
	return set != NULL ? set->count : 0;
}

const char *classify_set_name(const struct classify_set *set, size_t i)
{
	return set != NULL && i < set->count ? set->cats[i].name : NULL;
}

/* Whether term occurs in text (prepared) on its word boundaries. */
static bool classify_term_in(const struct classify_term *t, const char *text)
{
	const char *p = text;

	while ((p = strstr(p, t->text)) != NULL) {
		if ((t->any_start || p == text || !classify_word_char((unsigned char)p[-1])) &&
		    (t->any_end || !classify_word_char((unsigned char)p[t->len])))
			return true;
		p++;
	}
	return false;
}

static bool classify_pattern_in(const pcre2_code *re, const char *text)
{
	pcre2_match_data *md;
	int rc;

	if (text == NULL || *text == '\0')
		return false;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md == NULL)
		return false;
	rc = regex_match(re, (PCRE2_SPTR)text, strnlen(text, LANG_TEXT_MAX), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Automated senders (RFC 3834 spirit): their mail is noise, not a request. */
static bool classify_sender_automated(const char *sender)
{
	static const char *const locals[] = {
		"noreply",      "no-reply",      "no_reply",      "donotreply",
		"do-not-reply", "mailer-daemon", "postmaster",    "bounce",
		"bounces",      "newsletter",    "news",          "marketing",
		"mailer",       "notification",  "notifications", NULL,
	};
	const char *at;
	size_t n, i;

	if (sender == NULL || (at = strchr(sender, '@')) == NULL)
		return false;
	n = (size_t)(at - sender);
	for (i = 0; locals[i] != NULL; i++)
		if (strlen(locals[i]) == n && strncasecmp(sender, locals[i], n) == 0)
			return true;
	return false;
}

struct classify_texts {
	char *subject, *body, *full;
	const char *raw_subject, *raw_text;
	const char *lang;
};

static void classify_note(json_t *matched, const char *cat, const char *term, const char *where)
{
	char line[CLASSIFY_TERM_MAX + BAYES_CATEGORY_MAX + 32];

	if (json_array_size(matched) >= CLASSIFY_MATCHED_MAX)
		return;
	snprintf(line, sizeof(line), "%s: %s (%s)", cat, term, where);
	json_array_append_new(matched, json_string(line));
}

static double classify_score(const struct classify_cat *cat, const struct classify_texts *tx,
			     const char *sender, json_t *matched)
{
	const struct classify_term *t;
	bool none = strcmp(cat->name, "none") == 0, s, b;
	double score = 0;
	size_t i;

	for (i = 0; i < cat->terms_count; i++) {
		t = &cat->terms[i];
		if (t->lang[0] != '\0' && strcmp(t->lang, tx->lang) != 0)
			continue;
		s = classify_term_in(t, tx->subject);
		b = classify_term_in(t, tx->body) || (none && classify_term_in(t, tx->full));
		if (s || b)
			classify_note(matched, cat->name, t->text, s ? "subject" : "text");
		score += t->weight * ((s ? CLASSIFY_SUBJECT_WEIGHT : 0) + (b ? 1 : 0));
	}
	for (i = 0; i < cat->patterns_count; i++) {
		s = classify_pattern_in(cat->patterns[i].re, tx->raw_subject);
		b = classify_pattern_in(cat->patterns[i].re, tx->raw_text);
		if (s || b)
			classify_note(matched, cat->name, "pattern", s ? "subject" : "text");
		score +=
			cat->patterns[i].weight * ((s ? CLASSIFY_SUBJECT_WEIGHT : 0) + (b ? 1 : 0));
	}
	if (none && classify_sender_automated(sender)) {
		classify_note(matched, cat->name, "automated sender", "from");
		score += CLASSIFY_SENDER_WEIGHT;
	}
	return score;
}

static size_t classify_argmax(const double *v, size_t n)
{
	size_t i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/* The category when nothing speaks for any: "other", else the first. */
static size_t classify_fallback(const struct classify_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (strcmp(set->cats[i].name, "other") == 0)
			return i;
	return 0;
}

static json_t *classify_object(const struct classify_set *set, const double *v)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < set->count; i++)
		json_object_set_new(o, set->cats[i].name, json_real(round(v[i] * 1000) / 1000));
	return o;
}

/* The model's examples per category of the set, for the blend. */
static void classify_examples(const struct classify_set *set, const struct bayes_model *model,
			      size_t *examples)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		examples[i] = bayes_class_examples(model, set->cats[i].name);
}

int classify_run(const struct classify_set *set, const struct bayes_model *model,
		 const struct classify_input *in, struct classify_result *out)
{
	double kw[CLASSIFY_CATEGORIES_MAX], p[CLASSIFY_CATEGORIES_MAX], nb[CLASSIFY_CATEGORIES_MAX],
		q[CLASSIFY_CATEGORIES_MAX], sum = 0, max;
	size_t examples[CLASSIFY_CATEGORIES_MAX], contenders[CLASSIFY_CONTENDERS_MAX], n;
	const char *names[CLASSIFY_CATEGORIES_MAX];
	const char *subject = in->subject != NULL ? in->subject : "";
	const char *text = in->text != NULL ? in->text : "";
	struct classify_blend_input bin;
	struct classify_blend blend;
	struct classify_texts tx = {0};
	json_t *matched = NULL, *contenders_json;
	char *joined = NULL;
	size_t i;
	bool any = false, used_nb = false;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	joined = lang_join(subject, text);
	if (joined == NULL)
		goto out;
	tx.lang = in->language != NULL ? in->language : lang_detect(joined);
	tx.subject = classify_prepare(subject);
	tx.body = classify_prepare(text);
	tx.full = classify_prepare(in->full_text != NULL ? in->full_text : text);
	tx.raw_subject = subject;
	tx.raw_text = text;
	matched = json_array();
	if (tx.subject == NULL || tx.body == NULL || tx.full == NULL || matched == NULL)
		goto out;
	for (i = 0; i < set->count; i++) {
		kw[i] = classify_score(&set->cats[i], &tx, in->sender, matched);
		any = any || kw[i] > 0;
		names[i] = set->cats[i].name;
	}
	max = kw[classify_argmax(kw, set->count)];
	for (i = 0; i < set->count; i++) {
		p[i] = exp((kw[i] - max) / CLASSIFY_TEMPERATURE);
		sum += p[i];
	}
	for (i = 0; i < set->count; i++)
		p[i] /= sum;
	memset(&bin, 0, sizeof(bin));
	bin.count = set->count;
	bin.keyword_p = p;
	bin.keywords_any = any;
	bin.keyword_best = any ? classify_argmax(kw, set->count) : classify_fallback(set);
	if (bayes_ready(model)) {
		int r = bayes_predict(model, joined, names, set->count, nb);

		if (r < 0)
			goto out;
		if (r > 0) {
			classify_examples(set, model, examples);
			bin.bayes_p = nb;
			bin.examples = examples;
			used_nb = true;
		}
	}
	classify_blend(&bin, &blend, q);
	str_copy(out->category, sizeof(out->category), set->cats[blend.best].name);
	out->confidence = blend.confidence > 1 ? 1 : blend.confidence;
	out->source =
		blend.rule == CLASSIFY_BLEND_OVERRULED || blend.rule == CLASSIFY_BLEND_BAYES_ALONE
			? LLM_CONFIDENCE_BAYES
			: LLM_CONFIDENCE_KEYWORDS;
	if (blend.rival != blend.best)
		str_copy(out->rival, sizeof(out->rival), set->cats[blend.rival].name);
	n = classify_contenders(set->count, kw, p, &blend, contenders, CLASSIFY_CONTENDERS_MAX);
	for (i = 0; i < n; i++)
		str_copy(out->contenders[i], sizeof(out->contenders[i]),
			 set->cats[contenders[i]].name);
	out->contenders_count = n;
	str_copy(out->language, sizeof(out->language), tx.lang);
	out->scores = json_object();
	if (out->scores == NULL)
		goto out;
	json_object_set_new(out->scores, "keywords", classify_object(set, kw));
	if (used_nb) {
		json_object_set_new(out->scores, "bayes", classify_object(set, nb));
		json_object_set_new(out->scores, "blend",
				    classify_blend_json(&blend, names, examples, set->count));
	}
	json_object_set_new(out->scores, "probability", classify_object(set, q));
	contenders_json = json_array();
	for (i = 0; contenders_json != NULL && i < n; i++)
		json_array_append_new(contenders_json, json_string(out->contenders[i]));
	json_object_set_new(out->scores, "contenders", contenders_json);
	json_object_set(out->scores, "matched", matched);
	ret = 0;
out:
	if (ret < 0)
		classify_result_clear(out);
	json_decref(matched);
	free(joined);
	free(tx.subject);
	free(tx.body);
	free(tx.full);
	return ret;
}

void classify_result_clear(struct classify_result *result)
{
	if (result == NULL)
		return;
	json_decref(result->scores);
	memset(result, 0, sizeof(*result));
}
