/* SPDX-License-Identifier: MIT */
#include "agent/classify/bayes.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/lang.h"

#define BAYES_TOKEN_MIN 2
#define BAYES_TOKEN_MAX 32
/* Distinct tokens kept while counting, before the rare ones are evicted. */
#define BAYES_TRAIN_TOKENS_MAX (8 * BAYES_VOCAB_MAX)

struct bayes_model {
	size_t examples;
	size_t classes;
	size_t vocab;
	char **class_names;
	uint32_t *class_docs;
	uint64_t *class_tokens;
	char **words;     /* sorted, for bsearch */
	uint32_t *counts; /* vocab x classes */
};

/* Training state: an open-addressing table of token -> row of counts. */
struct bayes_table {
	size_t classes;
	size_t cap, used;
	char **keys;
	uint32_t *rows; /* row index per slot */
	char **words;   /* per row */
	uint32_t *counts;
	size_t rows_used, rows_cap;
};

typedef int bayes_token_fn(const char *word, size_t len, void *ctx);

static bool bayes_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Calls fn for every token of text; stops at fn's first non-zero return. */
static int bayes_tokens(const char *text, bayes_token_fn *fn, void *ctx)
{
	const char *p, *w;
	char *folded = lang_fold(text != NULL ? text : "");
	bool digit;
	size_t i;
	int ret = 0;

	if (folded == NULL)
		return -1;
	for (p = folded; *p != '\0' && ret == 0;) {
		while (*p != '\0' && !bayes_word_char((unsigned char)*p))
			p++;
		w = p;
		digit = false;
		while (bayes_word_char((unsigned char)*p))
			p++;
		for (i = 0; w + i < p; i++)
			digit = digit || (w[i] >= '0' && w[i] <= '9');
		if (digit)
			ret = fn("#num", 4, ctx);
		else if (p - w >= BAYES_TOKEN_MIN && p - w <= BAYES_TOKEN_MAX)
			ret = fn(w, (size_t)(p - w), ctx);
	}
	free(folded);
	return ret;
}

static uint64_t bayes_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int bayes_table_grow(struct bayes_table *t)
{
	size_t ncap = t->cap == 0 ? 1024 : t->cap * 2, i, j;
	char **nkeys = calloc(ncap, sizeof(*nkeys));
	uint32_t *nrows = calloc(ncap, sizeof(*nrows));

	if (nkeys == NULL || nrows == NULL) {
		free(nkeys);
		free(nrows);
		return -1;
	}
	for (i = 0; i < t->cap; i++) {
		if (t->keys[i] == NULL)
			continue;
		j = bayes_hash(t->keys[i], strlen(t->keys[i])) & (ncap - 1);
		while (nkeys[j] != NULL)
			j = (j + 1) & (ncap - 1);
		nkeys[j] = t->keys[i];
		nrows[j] = t->rows[i];
	}
	free(t->keys);
	free(t->rows);
	t->keys = nkeys;
	t->rows = nrows;
	t->cap = ncap;
	return 0;
}

/* The row of word, added when absent and there is room; -1 when the table is
 * full (the token is then not counted) or memory ran out. */
static long bayes_table_row(struct bayes_table *t, const char *word, size_t len)
{
	size_t j, ncap;
	char *copy;
	void *p;

	if ((t->used + 1) * 2 > t->cap && bayes_table_grow(t) < 0)
		return -1;
	j = bayes_hash(word, len) & (t->cap - 1);
	while (t->keys[j] != NULL) {
		if (strncmp(t->keys[j], word, len) == 0 && t->keys[j][len] == '\0')
			return t->rows[j];
		j = (j + 1) & (t->cap - 1);
	}
	if (t->rows_used >= BAYES_TRAIN_TOKENS_MAX)
		return -1;
	if (t->rows_used == t->rows_cap) {
		ncap = t->rows_cap == 0 ? 1024 : t->rows_cap * 2;
		p = realloc(t->words, ncap * sizeof(*t->words));
		if (p == NULL)
			return -1;
		t->words = p;
		p = realloc(t->counts, ncap * t->classes * sizeof(*t->counts));
		if (p == NULL)
			return -1;
		t->counts = p;
		t->rows_cap = ncap;
	}
	copy = strndup(word, len);
	if (copy == NULL)
		return -1;
	t->keys[j] = copy;
	t->rows[j] = (uint32_t)t->rows_used;
	t->words[t->rows_used] = copy;
	memset(&t->counts[t->rows_used * t->classes], 0, t->classes * sizeof(*t->counts));
	t->used++;
	return (long)t->rows_used++;
}

static void bayes_table_free(struct bayes_table *t, bool free_words)
{
	size_t i;

	if (free_words)
		for (i = 0; i < t->rows_used; i++)
			free(t->words[i]);
	free(t->keys);
	free(t->rows);
	free(t->words);
	free(t->counts);
}

struct bayes_count_ctx {
	struct bayes_table *table;
	size_t cls;
	uint64_t *class_tokens;
};

static int bayes_count(const char *word, size_t len, void *ctx)
{
	struct bayes_count_ctx *c = ctx;
	long row = bayes_table_row(c->table, word, len);

	/* a full table drops new tokens; only memory failure is an error */
	if (row >= 0) {
		c->table->counts[(size_t)row * c->table->classes + c->cls]++;
		c->class_tokens[c->cls]++;
	}
	return 0;
}

static long bayes_class_of(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (long)i;
	return -1;
}

/* Row totals, for evicting the rare tokens: sorted by total descending. */
struct bayes_rank {
	uint32_t row;
	uint64_t total;
	const char *word;
};

static int bayes_rank_cmp(const void *a, const void *b)
{
	const struct bayes_rank *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->word, y->word);
}

static int bayes_word_cmp(const void *a, const void *b)
{
	const struct bayes_rank *x = a, *y = b;

	return strcmp(x->word, y->word);
}

/* Moves the kept rows of t into m (sorted by word) and frees the others. */
static int bayes_finish(struct bayes_table *t, struct bayes_model *m)
{
	struct bayes_rank *rank = calloc(t->rows_used + 1, sizeof(*rank));
	size_t i, k, keep;

	if (rank == NULL) {
		for (i = 0; i < t->rows_used; i++)
			free(t->words[i]);
		return -1;
	}
	for (i = 0; i < t->rows_used; i++) {
		rank[i].row = (uint32_t)i;
		rank[i].word = t->words[i];
		for (k = 0; k < t->classes; k++)
			rank[i].total += t->counts[i * t->classes + k];
	}
	qsort(rank, t->rows_used, sizeof(*rank), bayes_rank_cmp);
	keep = t->rows_used < BAYES_VOCAB_MAX ? t->rows_used : BAYES_VOCAB_MAX;
	for (i = keep; i < t->rows_used; i++) {
		for (k = 0; k < t->classes; k++)
			m->class_tokens[k] -= t->counts[rank[i].row * t->classes + k];
		free(t->words[rank[i].row]);
	}
	qsort(rank, keep, sizeof(*rank), bayes_word_cmp);
	m->words = calloc(keep + 1, sizeof(*m->words));
	m->counts = calloc(keep * t->classes + 1, sizeof(*m->counts));
	if (m->words == NULL || m->counts == NULL) {
		for (i = 0; i < keep; i++)
			free(t->words[rank[i].row]);
		free(rank);
		return -1;
	}
	for (i = 0; i < keep; i++) {
		m->words[i] = t->words[rank[i].row];
		memcpy(&m->counts[i * t->classes], &t->counts[rank[i].row * t->classes],
		       t->classes * sizeof(*m->counts));
	}
	m->vocab = keep;
	free(rank);
	return 0;
}

int bayes_train(const struct bayes_example *examples, size_t count, struct bayes_model **model_r,
		struct error *err)
{
	struct bayes_table table = {0};
	struct bayes_count_ctx ctx;
	struct bayes_model *m = NULL;
	long cls;
	size_t i;
	int ret = -1;

	*model_r = NULL;
	error_set(err, "out of memory");
	if (count > BAYES_EXAMPLES_MAX) {
		error_set(err, "too many training examples");
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto out;
	m->class_names = calloc(BAYES_CLASS_MAX, sizeof(*m->class_names));
	m->class_docs = calloc(BAYES_CLASS_MAX, sizeof(*m->class_docs));
	m->class_tokens = calloc(BAYES_CLASS_MAX, sizeof(*m->class_tokens));
	if (m->class_names == NULL || m->class_docs == NULL || m->class_tokens == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		const char *name = examples[i].category;

		if (name == NULL || *name == '\0' || strlen(name) >= BAYES_CATEGORY_MAX ||
		    bayes_class_of(m->class_names, m->classes, name) >= 0 ||
		    m->classes == BAYES_CLASS_MAX)
			continue;
		m->class_names[m->classes] = strdup(name);
		if (m->class_names[m->classes] == NULL)
			goto out;
		m->classes++;
	}
	table.classes = m->classes > 0 ? m->classes : 1;
	ctx.table = &table;
	ctx.class_tokens = m->class_tokens;
	for (i = 0; i < count; i++) {
		if (examples[i].category == NULL)
			continue;
		cls = bayes_class_of(m->class_names, m->classes, examples[i].category);
		if (cls < 0)
			continue;
		ctx.cls = (size_t)cls;
		if (bayes_tokens(examples[i].text, bayes_count, &ctx) < 0)
			goto out;
		m->class_docs[cls]++;
		m->examples++;
	}
	if (bayes_finish(&table, m) < 0) {
		table.rows_used = 0; /* bayes_finish freed the words */
		goto out;
	}
	*model_r = m;
	m = NULL;
	error_clear(err);
	ret = 0;
out:
	bayes_table_free(&table, ret < 0 && m != NULL && m->words == NULL);
	bayes_free(&m);
	return ret;
}

void bayes_free(struct bayes_model **model)
{
	struct bayes_model *m;
	size_t i;

	if (model == NULL || *model == NULL)
		return;
	m = *model;
	for (i = 0; i < m->classes; i++)
		free(m->class_names[i]);
	for (i = 0; i < m->vocab; i++)
		free(m->words[i]);
	free(m->class_names);
	free(m->class_docs);
	free(m->class_tokens);
	free(m->words);
	free(m->counts);
	free(m);
	*model = NULL;
}

size_t bayes_examples(const struct bayes_model *model)
{
	return model != NULL ? model->examples : 0;
}

size_t bayes_categories(const struct bayes_model *model)
{
	return model != NULL ? model->classes : 0;
}

size_t bayes_vocabulary(const struct bayes_model *model)
{
	return model != NULL ? model->vocab : 0;
}

size_t bayes_class_examples(const struct bayes_model *model, const char *category)
{
	long cls;

	if (model == NULL || category == NULL)
		return 0;
	cls = bayes_class_of(model->class_names, model->classes, category);
	return cls >= 0 ? model->class_docs[cls] : 0;
}

int bayes_ready(const struct bayes_model *model)
{
	return model != NULL && model->examples >= BAYES_MIN_EXAMPLES &&
	       model->classes >= BAYES_MIN_CATEGORIES;
}

struct bayes_score_ctx {
	const struct bayes_model *model;
	double logp[BAYES_CLASS_MAX];
};

static int bayes_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static int bayes_score(const char *word, size_t len, void *ctx)
{
	struct bayes_score_ctx *c = ctx;
	const struct bayes_model *m = c->model;
	char key[BAYES_TOKEN_MAX + 1];
	char *const *hit;
	size_t row, k;

	memcpy(key, word, len);
	key[len] = '\0';
	hit = bsearch(key, m->words, m->vocab, sizeof(*m->words), bayes_key_cmp);
	if (hit == NULL)
		return 0; /* unseen tokens say nothing about any class */
	row = (size_t)(hit - m->words);
	for (k = 0; k < m->classes; k++)
		c->logp[k] += log(((double)m->counts[row * m->classes + k] + 1.0) /
				  ((double)m->class_tokens[k] + (double)m->vocab));
	return 0;
}

int bayes_predict(const struct bayes_model *model, const char *text, const char *const *categories,
		  size_t count, double *posterior_r)
{
	struct bayes_score_ctx ctx;
	double max = -INFINITY, sum = 0;
	long cls;
	size_t i, k;
	bool any = false;

	for (i = 0; i < count; i++)
		posterior_r[i] = 0;
	if (model == NULL || model->classes == 0)
		return 0;
	ctx.model = model;
	for (k = 0; k < model->classes; k++)
		ctx.logp[k] = log(((double)model->class_docs[k] + 1.0) /
				  ((double)model->examples + (double)model->classes));
	if (bayes_tokens(text, bayes_score, &ctx) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		cls = bayes_class_of(model->class_names, model->classes, categories[i]);
		if (cls >= 0 && ctx.logp[cls] > max)
			max = ctx.logp[cls];
	}
	for (i = 0; i < count; i++) {
		cls = bayes_class_of(model->class_names, model->classes, categories[i]);
		if (cls < 0)
			continue;
		posterior_r[i] = exp(ctx.logp[cls] - max);
		sum += posterior_r[i];
		any = true;
	}
	if (!any)
		return 0;
	for (i = 0; i < count; i++)
		posterior_r[i] /= sum;
	return 1;
}
