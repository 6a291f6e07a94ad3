#define PCRE2_CODE_UNIT_WIDTH 8
#include "connectors/keys.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/util.h"

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

/* Quantities next to a key, tried in this order; see keys_quantity(). The
 * unit list covers the corpus languages. (?![\p{L}\d]) keeps "40x62x8"
 * (a dimension) from reading as 40 pieces. */
#define KEYS_UNITS                                                                            \
	"(?:x|×|pcs\\.?|pieces?|packs?|units?|stk\\.?|stück|st\\.|unidades|uds\\.?|unités" \
	"|pièces|pzs)"
static const char *const keys_qty_patterns[] = {
	/* before the key, the last one wins: "200 x ...", "20 pcs ..." */
	"(\\d{1,6})\\s*" KEYS_UNITS "(?![\\p{L}\\d])",
	/* before: "Qty 2 -", "Menge: 5" */
	"(?:qty|quantity|menge|cantidad|quantité)\\.?\\s*:?\\s*(\\d{1,6})(?!\\d)",
	/* the rest are matched anchored at the start of their range */
	/* after: "HP-20115 x116", "HP-20115 x 4" */
	"\\s*[x×]\\s*(\\d{1,6})(?!\\d)",
	/* after, a table column: "HP-20115     2" */
	"[ \\t]{2,}(\\d{1,6})(?![\\d.,x])",
	/* a line that starts with a number: "- 500 bagues ... réf. HP-30108" */
	"[ \\t]*(?:[-*•·][ \\t]*)?(\\d{1,6})\\s+(?=\\p{L})",
};
enum { KEYS_QTY_UNIT, KEYS_QTY_LABEL, KEYS_QTY_AFTER_X, KEYS_QTY_COLUMN, KEYS_QTY_LEADING };

struct keys_kind {
	char *name;
	char *canonical;
	pcre2_code *patterns[KEYS_PATTERN_MAX];
	size_t count;
	pcre2_code *qty[ARRAY_SIZE(keys_qty_patterns)];
};

struct keys_mention {
	size_t start, end;
	char key[KEYS_KEY_MAX];
};

static pcre2_code *keys_compile(const char *pattern, char *error, size_t error_size)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int rc;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF, &rc,
			   &offset, NULL);
	if (re == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(error, error_size, "bad pattern at offset %zu: %s", (size_t)offset,
			 (const char *)msg);
	}
	return re;
}

int keys_kind_new(const char *kind, const char *const *patterns, size_t count,
		  const char *canonical, struct keys_kind **kind_r, char *error, size_t error_size)
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
			snprintf(error, error_size,
				 "key kind '%s' has no built-in patterns: set pattern", kind);
			goto out;
		}
	}
	if (count > KEYS_PATTERN_MAX) {
		snprintf(error, error_size, "more than %d patterns", KEYS_PATTERN_MAX);
		goto out;
	}
	if (canonical != NULL && strstr(canonical, "%s") == NULL) {
		snprintf(error, error_size, "canonical '%s' has no %%s", canonical);
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
		k->patterns[i] = keys_compile(patterns[i], error, error_size);
		if (k->patterns[i] == NULL)
			goto out;
		k->count++;
		if (pcre2_pattern_info(k->patterns[i], PCRE2_INFO_CAPTURECOUNT, &groups) != 0 ||
		    groups < 1) {
			snprintf(error, error_size, "pattern %zu has no capture group for the key",
				 i + 1);
			goto out;
		}
	}
	for (i = 0; i < ARRAY_SIZE(keys_qty_patterns); i++) {
		k->qty[i] = keys_compile(keys_qty_patterns[i], error, error_size);
		if (k->qty[i] == NULL)
			goto out;
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
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->count; i++)
		pcre2_code_free(k->patterns[i]);
	for (i = 0; i < ARRAY_SIZE(k->qty); i++)
		pcre2_code_free(k->qty[i]);
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

/* The quantity of the last (last=true) or the anchored first match of re
 * in text[from, to); 0 when none. */
static uint64_t keys_qty_match(const pcre2_code *re, const char *text, size_t from, size_t to,
			       bool last, pcre2_match_data *md)
{
	uint32_t options = last ? 0 : PCRE2_ANCHORED;
	PCRE2_SIZE *ov;
	uint64_t q = 0, v;
	size_t pos = from;
	char num[8];
	size_t n;

	while (pos < to && pcre2_match(re, (PCRE2_SPTR)text, to, pos, options, md, NULL) > 1) {
		ov = pcre2_get_ovector_pointer(md);
		n = ov[3] - ov[2];
		if (n < sizeof(num)) {
			memcpy(num, text + ov[2], n);
			num[n] = '\0';
			if (parse_u64(num, 999999, &v) == 0)
				q = v;
		}
		if (!last || ov[1] <= pos)
			break;
		pos = ov[1];
	}
	return q;
}

/* Best effort: the quantity a mention asks for, from its own line only and
 * never across another mention on that line ("2x pump HP-40035 and 6x
 * filter HP-50155"). */
static uint64_t keys_quantity(const struct keys_kind *k, const char *text, size_t len,
			      const struct keys_mention *m, size_t idx, size_t count,
			      pcre2_match_data *md)
{
	size_t ls = m[idx].start, le = m[idx].end, before, after;
	uint64_t q;

	while (ls > 0 && text[ls - 1] != '\n')
		ls--;
	while (le < len && text[le] != '\n' && text[le] != '\r')
		le++;
	before = ls;
	if (idx > 0 && m[idx - 1].end > ls && m[idx - 1].end <= m[idx].start)
		before = m[idx - 1].end;
	after = le;
	if (idx + 1 < count && m[idx + 1].start < le && m[idx + 1].start >= m[idx].end)
		after = m[idx + 1].start;

	q = keys_qty_match(k->qty[KEYS_QTY_UNIT], text, before, m[idx].start, true, md);
	if (q == 0)
		q = keys_qty_match(k->qty[KEYS_QTY_LABEL], text, before, m[idx].start, true, md);
	if (q == 0)
		q = keys_qty_match(k->qty[KEYS_QTY_AFTER_X], text, m[idx].end, after, false, md);
	if (q == 0)
		q = keys_qty_match(k->qty[KEYS_QTY_COLUMN], text, m[idx].end, after, false, md);
	if (q == 0 && before == ls)
		q = keys_qty_match(k->qty[KEYS_QTY_LEADING], text, ls, m[idx].start, false, md);
	return q;
}

int keys_extract(const struct keys_kind *kind, const char *text, size_t len, struct key_hit *hits_r,
		 size_t max)
{
	struct keys_mention *m = NULL;
	pcre2_match_data *md = NULL;
	size_t count = 0, nhits = 0, i, j, pos;
	PCRE2_SIZE *ov;
	uint64_t q;
	int rc, ret = -1;

	m = calloc(KEYS_MATCH_MAX, sizeof(*m));
	md = pcre2_match_data_create(4, NULL);
	if (m == NULL || md == NULL)
		goto out;
	for (i = 0; i < kind->count; i++) {
		pos = 0;
		while (pos < len && count < KEYS_MATCH_MAX) {
			rc = pcre2_match(kind->patterns[i], (PCRE2_SPTR)text, len, pos, 0, md,
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
	for (i = 0; i < count; i++) {
		q = keys_quantity(kind, text, len, m, i, count, md);
		for (j = 0; j < nhits; j++) {
			if (strcmp(hits_r[j].key, m[i].key) == 0)
				break;
		}
		if (j == nhits) {
			if (nhits == max)
				continue;
			str_copy(hits_r[j].key, sizeof(hits_r[j].key), m[i].key);
			hits_r[j].quantity = 0;
			nhits++;
		}
		/* the largest stated quantity: quoted history repeats lines */
		if (q > hits_r[j].quantity)
			hits_r[j].quantity = q;
	}
	ret = (int)nhits;
out:
	pcre2_match_data_free(md);
	free(m);
	return ret;
}
