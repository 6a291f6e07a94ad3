/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "connectors/keys/keys.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/keys/quantity.h"
#include "daemon/lib/util.h"
#include "daemon/lib/regex.h"

/* Most mentions looked at per text: a 20 KB parts list has ~100. */
#define KEYS_MATCH_MAX 1024

/* The corpus conventions (corpus/README.md): SKUs are HP-12345, also written
 * "hp 12345", "part no. 12345", "Art.-Nr. 12345", "réf. 12345"; order ids
 * are SO-204518, also "order #204518", "Auftrag 204518", "pedido 204518".
 * (?<![\p{L}\p{N}]) keeps "SHOP-12345" or "ISO-123456" from matching. */
static const char *const keys_sku_patterns[] = {
	"(?<![\\p{L}\\p{N}])HP[-\\s_]?(\\d{5})(?!\\d)",
	"(?<![\\p{L}\\p{N}])(?:part\\s*(?:no|nr|number|#)\\.?|art(?:ikel)?\\.?\\s*-?\\s*(?:nr|"
	"nummer)\\.?"
	"|r[ée]f(?:[ée]rence)?\\.?|referencia|item\\s*(?:no|#)\\.?)\\s*[:#]?\\s*(\\d{5})(?!\\d)",
};
static const char *const keys_order_patterns[] = {
	"(?<![\\p{L}\\p{N}])SO[-\\s_]?(\\d{6})(?!\\d)",
	"(?<![\\p{L}\\p{N}])(?:orders?|bestellung|auftrag|pedido|commande|encomenda)\\s*"
	"(?:no\\.?|nr\\.?|number|num\\.?|n[º°o]\\.?)?\\s*[:#]?\\s*(\\d{6})(?!\\d)",
};

static const struct {
	const char *kind;
	const char *const *patterns;
	size_t count;
	const char *canonical;
} keys_builtins[] = {
	{"sku", keys_sku_patterns, ARRAY_SIZE(keys_sku_patterns), "HP-%s"},
	{"order", keys_order_patterns, ARRAY_SIZE(keys_order_patterns), "SO-%s"},
};

struct keys_kind {
	char *name;
	char *canonical;
	pcre2_code *patterns[KEYS_PATTERN_MAX];
	size_t count;
};

struct keys_mention {
	size_t start, end;
	char key[KEYS_KEY_MAX];
};

static pcre2_code *keys_compile(const char *pattern, struct error *err)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int rc;

	re = regex_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF, &rc,
			   &offset, NULL);
	if (re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		error_set(err, "bad pattern at offset %zu: %s", (size_t)offset, (const char *)msg);
	}
	return re;
}

int keys_kind_new(const char *kind, const char *const *patterns, size_t count,
		  const char *canonical, struct keys_kind **kind_r, struct error *err)
{
	struct keys_kind *k = NULL;
	uint32_t groups;
	size_t i;
	int ret = -1;

	if (count == 0) {
		for (i = 0; i < ARRAY_SIZE(keys_builtins); i++) {
			if (strcmp(keys_builtins[i].kind, kind) == 0) {
				patterns = keys_builtins[i].patterns;
				count = keys_builtins[i].count;
				if (canonical == NULL)
					canonical = keys_builtins[i].canonical;
			}
		}
		if (count == 0) {
			error_set(err, "key kind '%s' has no built-in patterns: set pattern", kind);
			goto out;
		}
	}
	if (count > KEYS_PATTERN_MAX) {
		error_set(err, "more than %d patterns", KEYS_PATTERN_MAX);
		goto out;
	}
	if (canonical != NULL && strstr(canonical, "%s") == NULL) {
		error_set(err, "canonical '%s' has no %%s", canonical);
		goto out;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		goto out;
	k->name = str_dup(kind);
	k->canonical = str_dup(canonical != NULL ? canonical : "%s");
	if (k->name == NULL || k->canonical == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		k->patterns[i] = keys_compile(patterns[i], err);
		if (k->patterns[i] == NULL)
			goto out;
		k->count++;
		if (pcre2_pattern_info(k->patterns[i], PCRE2_INFO_CAPTURECOUNT, &groups) != 0 ||
		    groups < 1) {
			error_set(err, "pattern %zu has no capture group for the key", i + 1);
			goto out;
		}
	}
	*kind_r = k;
	k = NULL;
	ret = 0;
out:
	keys_kind_free(&k);
	return ret;
}

void keys_kind_free(struct keys_kind **kind)
{
	struct keys_kind *k = *kind;

	/* its patterns are the process's (daemon/lib/regex.h) */
	if (k == NULL)
		return;
	free(k->name);
	free(k->canonical);
	free(k);
	*kind = NULL;
}

const char *keys_kind_name(const struct keys_kind *kind)
{
	return kind->name;
}

/* Writes the canonical form: the template with "%s" replaced by the group,
 * upper-cased (keys are case-insensitive in every backend we know). Returns
 * -1 when it does not fit. */
static int keys_canonical(const char *tmpl, const char *group, size_t glen, char *out, size_t size)
{
	const char *p = strstr(tmpl, "%s");
	size_t pre = p != NULL ? (size_t)(p - tmpl) : strlen(tmpl);
	size_t post = p != NULL ? strlen(p + 2) : 0;
	size_t i;

	if (p == NULL || pre + glen + post + 1 > size)
		return -1;
	memcpy(out, tmpl, pre);
	for (i = 0; i < glen; i++) {
		char c = group[i];
		out[pre + i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	memcpy(out + pre + glen, p + 2, post);
	out[pre + glen + post] = '\0';
	return 0;
}

static int keys_mention_cmp(const void *a, const void *b)
{
	const struct keys_mention *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int keys_extract(const struct keys_kind *kind, const char *text, size_t len, struct key_hit *hits_r,
		 size_t max)
{
	struct keys_mention *m = NULL;
	struct qty_span *spans = NULL;
	struct qty_answer *qa = NULL;
	pcre2_match_data *md = NULL;
	size_t count = 0, nhits = 0, i, j, pos;
	PCRE2_SIZE *ov;
	int rc, ret = -1;

	/* not zeroed: a mention is written whole before it counts (zeroing
	 * 1,024 of them per call was 7% of the pipeline's instructions) */
	m = malloc(KEYS_MATCH_MAX * sizeof(*m));
	md = pcre2_match_data_create(4, NULL);
	if (m == NULL || md == NULL)
		goto out;
	for (i = 0; i < kind->count; i++) {
		pos = 0;
		while (pos < len && count < KEYS_MATCH_MAX) {
			rc = regex_match(kind->patterns[i], (PCRE2_SPTR)text, len, pos, 0, md,
					 NULL);
			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			if (rc < 0)
				goto out;
			ov = pcre2_get_ovector_pointer(md);
			if (rc > 1 && ov[2] != PCRE2_UNSET &&
			    keys_canonical(kind->canonical, text + ov[2], ov[3] - ov[2],
					   m[count].key, sizeof(m[count].key)) == 0) {
				m[count].start = ov[0];
				m[count].end = ov[1];
				count++;
			}
			pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
	}
	qsort(m, count, sizeof(*m), keys_mention_cmp);
	/* two patterns can match the same place ("part no. 12345" inside a
	 * longer one): keep the first of overlapping mentions */
	for (i = 0, j = 0; i < count; i++) {
		if (j > 0 && m[i].start < m[j - 1].end)
			continue;
		m[j++] = m[i];
	}
	count = j;
	/* sized by what was found */
	spans = malloc((count > 0 ? count : 1) * sizeof(*spans));
	qa = calloc(count > 0 ? count : 1, sizeof(*qa));
	if (spans == NULL || qa == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		spans[i].start = m[i].start;
		spans[i].end = m[i].end;
	}
	qty_find(text, len, spans, count, qa);
	for (i = 0; i < count; i++) {
		for (j = 0; j < nhits; j++) {
			if (strcmp(hits_r[j].key, m[i].key) == 0)
				break;
		}
		if (j == nhits) {
			if (nhits == max)
				continue;
			str_copy(hits_r[j].key, sizeof(hits_r[j].key), m[i].key);
			hits_r[j].quantity = 0;
			hits_r[j].confidence = 0;
			hits_r[j].how = QTY_NONE;
			nhits++;
		}
		/* the surest, then the largest: quoted history repeats lines */
		if (qa[i].quantity > 0 && (qa[i].confidence > hits_r[j].confidence ||
					   (qa[i].confidence == hits_r[j].confidence &&
					    qa[i].quantity > hits_r[j].quantity))) {
			hits_r[j].quantity = qa[i].quantity;
			hits_r[j].confidence = qa[i].confidence;
			hits_r[j].how = (int)qa[i].how;
		}
	}
	ret = (int)nhits;
out:
	pcre2_match_data_free(md);
	free(spans);
	free(qa);
	free(m);
	return ret;
}
