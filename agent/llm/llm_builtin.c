/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/template/greeting.h"
#include "agent/llm/llm.h"
#include "agent/template/template.h"
#include "daemon/config/config.h"
#include "daemon/lib/util.h"

/* The default backend: no model server, replies from per-category,
 * per-language templates (deploy/templates/<category>.<lang>.txt, falling
 * back to .en) filled only from the looked-up facts. The first line of a
 * template may be "Subject: ...", the next "Needs-Human: reason" (the draft
 * is then never sent on its own); the rest is the body. */

#define BUILTIN_MAX_OUTPUT (DRAFT_OUTPUT_MAX_BODY + DRAFT_OUTPUT_MAX_SUBJECT + 64)

/* A template read and parsed once per backend instance (a reload opens a
 * new one, so an edited file applies on SIGHUP): parsing it for every
 * draft was a tenth of the pipeline's CPU (issue 14). */
#define BUILTIN_CACHE_MAX 512

struct builtin_tpl {
	char category[64], lang[4], used_lang[4];
	char version[128];
	char *text; /* the source, for the output gates (draft.template_text) */
	size_t len;
	struct template *tpl;
	struct builtin_tpl *next;
};

struct builtin {
	char *dir;
	pthread_mutex_t lock;
	struct builtin_tpl *tpls; /* guarded by lock; entries immutable once listed */
	unsigned int count;
};

static int builtin_open(const struct config *config, const struct llm_tuning *tuning, void **priv_r,
			struct llm_error *err)
{
	char installed[4096];
	const char *dir = config_data_dir(config->model.templates_dir, "templates",
					  "deploy/templates", installed, sizeof(installed));
	struct builtin *b;
	struct stat st;

	(void)tuning;
	if (stat(dir, &st) < 0)
		return llm_error_set(err, LLM_ERROR_CONFIG, 0, "templates_dir %s: %s", dir,
				     strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return llm_error_set(err, LLM_ERROR_CONFIG, 0, "templates_dir %s: not a directory",
				     dir);
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->dir = strdup(dir)) == NULL) {
		free(b);
		return llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
	}
	pthread_mutex_init(&b->lock, NULL);
	*priv_r = b;
	return 0;
}

static void builtin_close(void *priv)
{
	struct builtin *b = priv;

	if (b == NULL)
		return;
	while (b->tpls != NULL) {
		struct builtin_tpl *t = b->tpls;

		b->tpls = t->next;
		template_free(&t->tpl);
		free(t->text);
		free(t);
	}
	pthread_mutex_destroy(&b->lock);
	free(b->dir);
	free(b);
}

/* A language code is 2-3 lower-case letters; anything else means English. */
static const char *builtin_lang(const char *lang)
{
	size_t i;

	if (lang == NULL)
		return "en";
	for (i = 0; lang[i] != '\0'; i++) {
		if (lang[i] < 'a' || lang[i] > 'z' || i >= 3)
			return "en";
	}
	return i >= 2 ? lang : "en";
}

/* Reads <dir>/<category>.<lang>.txt, else the .en one. Returns 1 with the
 * text and the language used, 0 when neither exists, -1 on a read error. */
static int builtin_read(const struct builtin *b, const char *category, const char *lang,
			char **text_r, size_t *len_r, const char **lang_r, char *error,
			size_t error_size)
{
	char path[4096];
	const char *tries[2] = {lang, "en"};
	struct error why;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (i == 1 && strcmp(lang, "en") == 0)
			break;
		snprintf(path, sizeof(path), "%s/%s.%s.txt", b->dir, category, tries[i]);
		if (access(path, F_OK) < 0)
			continue;
		if (file_read_all(path, TEMPLATE_MAX_SOURCE, text_r, len_r, &why) < 0) {
			snprintf(error, error_size, "%.160s: %.80s", path, error_msg(&why));
			return -1;
		}
		*lang_r = tries[i];
		return 1;
	}
	return 0;
}

/* The parsed template for category in lang (or English), read and parsed
 * on first use. Returns 1 with *tpl_r (the backend's; valid until it
 * closes), 0 when there is none, -1 with error. */
static int builtin_get(struct builtin *b, const char *category, const char *lang,
		       const struct builtin_tpl **tpl_r, char *error, size_t error_size)
{
	struct builtin_tpl *t, *fresh = NULL;
	char *text = NULL, hash[17];
	struct error terr;
	const char *used;
	size_t len;
	int r, ret = -1;

	pthread_mutex_lock(&b->lock);
	for (t = b->tpls; t != NULL; t = t->next) {
		if (strcmp(t->category, category) == 0 && strcmp(t->lang, lang) == 0)
			break;
	}
	pthread_mutex_unlock(&b->lock);
	if (t != NULL) {
		*tpl_r = t;
		return 1;
	}
	if (strlen(category) >= sizeof(fresh->category) || strlen(lang) >= sizeof(fresh->lang)) {
		snprintf(error, error_size, "category or language name too long");
		return -1;
	}
	r = builtin_read(b, category, lang, &text, &len, &used, error, error_size);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	if ((fresh = calloc(1, sizeof(*fresh))) == NULL) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	if (template_parse(text, len, &fresh->tpl, &terr) < 0) {
		snprintf(error, error_size, "template %s.%s: %s", category, used, error_msg(&terr));
		goto out;
	}
	snprintf(fresh->category, sizeof(fresh->category), "%s", category);
	snprintf(fresh->lang, sizeof(fresh->lang), "%s", lang);
	snprintf(fresh->used_lang, sizeof(fresh->used_lang), "%s", used);
	llm_version_hash(text, len, hash);
	snprintf(fresh->version, sizeof(fresh->version), "%s.%s:%s", category, used, hash);
	fresh->text = text;
	fresh->len = len;
	text = NULL;
	pthread_mutex_lock(&b->lock);
	/* two threads may have parsed it at once: keep the first */
	for (t = b->tpls; t != NULL; t = t->next) {
		if (strcmp(t->category, category) == 0 && strcmp(t->lang, lang) == 0)
			break;
	}
	if (t == NULL && b->count < BUILTIN_CACHE_MAX) {
		fresh->next = b->tpls;
		b->tpls = fresh;
		b->count++;
		t = fresh;
		fresh = NULL;
	}
	pthread_mutex_unlock(&b->lock);
	if (t == NULL) {
		snprintf(error, error_size, "more than %d templates in use", BUILTIN_CACHE_MAX);
		goto out;
	}
	*tpl_r = t;
	ret = 1;
out:
	if (fresh != NULL) {
		template_free(&fresh->tpl);
		free(fresh->text);
	}
	free(fresh);
	free(text);
	return ret;
}

/* Splits the header lines off the rendered text: "Subject: ..." and
 * "Needs-Human: reason" (a template that must never go out on its own, like
 * a complaint's). *needs_r is NULL without the second. */
static int builtin_split(const char *text, char **subject_r, char **body_r, char **needs_r)
{
	const char *nl;

	*needs_r = NULL;
	if (strncmp(text, "Subject:", 8) != 0) {
		*subject_r = strdup("");
	} else {
		text += 8;
		while (*text == ' ')
			text++;
		nl = strchr(text, '\n');
		*subject_r = strndup(text, nl != NULL ? (size_t)(nl - text) : strlen(text));
		text = nl != NULL ? nl + 1 : "";
	}
	if (strncmp(text, "Needs-Human:", 12) == 0) {
		text += 12;
		while (*text == ' ')
			text++;
		nl = strchr(text, '\n');
		*needs_r = strndup(text, nl != NULL ? (size_t)(nl - text) : strlen(text));
		text = nl != NULL ? nl + 1 : "";
		if (*needs_r == NULL)
			return -1;
	}
	while (*text == '\n')
		text++;
	*body_r = strdup(text);
	return *subject_r != NULL && *body_r != NULL ? 0 : -1;
}

static int builtin_needs_human(struct llm_draft *d, const char *category, const char *reason)
{
	d->category = strdup(category);
	d->subject = strdup("");
	d->body = strdup("");
	d->facts_used = json_array();
	d->needs_human = true;
	d->needs_human_reason = strdup(reason);
	d->model = strdup("builtin");
	d->prompt_version = strdup("none");
	return 1;
}

static int builtin_draft(void *priv, const struct llm_request *req, struct llm_draft *d,
			 struct llm_error *err)
{
	struct builtin *b = priv;
	const struct builtin_tpl *t = NULL;
	struct error terr;
	json_t *root = NULL, *used = NULL;
	char *out = NULL, *needs = NULL, error[256], greet[GREETING_NAME_MAX];
	const char *category = req->category_hint, *lang = builtin_lang(req->language);
	size_t i;
	bool known = false;
	int ret = -1, r;

	for (i = 0; category != NULL && i < req->categories_count; i++)
		known |= strcmp(category, req->categories[i]) == 0;
	if (!known) {
		ret = builtin_needs_human(d, "other", "no known category to draft for");
		goto out;
	}
	r = builtin_get(b, category, lang, &t, error, sizeof(error));
	if (r < 0) {
		llm_error_set(err, LLM_ERROR_CONFIG, 0, "%s", error);
		goto out;
	}
	if (r == 0) {
		snprintf(error, sizeof(error), "no template for category %s", category);
		ret = builtin_needs_human(d, category, error);
		goto out;
	}
	root = json_is_object(req->facts) ? json_copy((json_t *)req->facts) : json_object();
	used = json_array();
	/* greet a person by name, a department or a firm neutrally */
	if (root == NULL || used == NULL ||
	    (req->customer_name != NULL &&
	     json_object_set_new(root, "customer_name", json_string(req->customer_name)) < 0) ||
	    (greeting_name(req->customer_name, greet, sizeof(greet)) == 1 &&
	     json_object_set_new(root, "greeting_name", json_string(greet)) < 0)) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	if (template_render(t->tpl, root, t->used_lang, BUILTIN_MAX_OUTPUT, &out, used, &terr) <
	    0) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "template %s.%s: %s", category,
			      t->used_lang, error_msg(&terr));
		goto out;
	}
	if (builtin_split(out, &d->subject, &d->body, &needs) < 0) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	d->category = strdup(category);
	d->confidence = req->hint_confidence;
	d->confidence_source = req->hint_source;
	d->facts_used = used;
	used = NULL;
	d->needs_human = d->body[0] == '\0' || needs != NULL;
	d->needs_human_reason = strdup(d->body[0] == '\0' ? "the template produced no text"
				       : needs != NULL    ? needs
							  : "");
	d->model = strdup("builtin");
	d->prompt_version = strdup(t->version);
	d->language = strdup(t->used_lang);
	d->template_text = strndup(t->text, t->len);
	if (d->category == NULL || d->needs_human_reason == NULL || d->model == NULL ||
	    d->prompt_version == NULL || d->language == NULL || d->template_text == NULL) {
		llm_error_set(err, LLM_ERROR_INTERNAL, 0, "out of memory");
		goto out;
	}
	ret = 1;
out:
	json_decref(root);
	json_decref(used);
	free(out);
	free(needs);
	return ret;
}

/* Every configured category's template must parse, in English and in each
 * other supported language it has; a missing language falls back to
 * English (and is flagged on each such draft), a broken one would fail
 * every draft in it. */
static int builtin_probe(void *priv, const struct llm_request *req, struct llm_probe *probe)
{
	static const char *const langs[] = {"en", "de", "es", "fr"};
	struct builtin *b = priv;
	struct template *tpl = NULL;
	struct error terr;
	char *text, error[200], path[4096];
	const char *lang;
	size_t len, i, k, missing = 0, fallback = 0;
	int r;

	probe->reachable = true;
	probe->model_listed = true;
	probe->structured_ok = true;
	for (i = 0; i < req->categories_count; i++) {
		for (k = 0; k < sizeof(langs) / sizeof(langs[0]); k++) {
			snprintf(path, sizeof(path), "%s/%s.%s.txt", b->dir, req->categories[i],
				 langs[k]);
			if (k > 0 && access(path, F_OK) < 0) {
				fallback++;
				continue;
			}
			text = NULL;
			r = builtin_read(b, req->categories[i], langs[k], &text, &len, &lang, error,
					 sizeof(error));
			if (r == 0)
				missing++;
			if (r > 0 && template_parse(text, len, &tpl, &terr) < 0) {
				snprintf(error, sizeof(error), "%s", error_msg(&terr));
				r = -1;
			}
			free(text);
			template_free(&tpl);
			if (r < 0) {
				probe->structured_ok = false;
				snprintf(probe->detail, sizeof(probe->detail), "template %s.%s: %s",
					 req->categories[i], langs[k], error);
				return 0;
			}
			if (r == 0)
				break; /* no English one: the category goes to a human */
		}
	}
	probe->auto_reply_ok = true;
	snprintf(probe->detail, sizeof(probe->detail),
		 "templates in %s; %zu categories without a template; %zu category languages "
		 "fall back to English",
		 b->dir, missing, fallback);
	return 0;
}

const struct llm_backend_ops llm_backend_builtin = {
	.name = "builtin",
	.reads_prompt = false,
	.open = builtin_open,
	.probe = builtin_probe,
	.draft = builtin_draft,
	.close = builtin_close,
};
