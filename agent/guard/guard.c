/* SPDX-License-Identifier: MIT */
#include "agent/guard/guard_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/text/lang.h"
#include "agent/text/text_norm.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"

#define GUARD_ORDER_RE "(?:\\bSO[-\\s]?|\\border\\s*#\\s*|(?<![\\w#])#)(\\d{6})\\b"
#define GUARD_TRACKING_RE \
	"\\b(?:[A-Z]{2}\\d{9,20}|1Z[0-9A-Z]{16}|[A-Z]{2,4}-[A-Z]{2}-\\d{6,}|\\d{12,22})\\b"
#define GUARD_URL_RE   "\\b(?:(?:https?|ftp)://(?:[^\\s/@]*@)?|(?=www\\.))([^\\s/:?#<>\"'()\\[\\]]+)"
#define GUARD_EMAIL_RE "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}"

int guard_result_addv(struct guard_result *result, const char *name, const char *fmt, va_list ap)
{
	struct guard_flag f;
	size_t i;

	str_copy(f.name, sizeof(f.name), name);
	vsnprintf(f.detail, sizeof(f.detail), fmt, ap);
	/* the cut may halve a character, and a detail quotes the draft or
	 * the mail: JSON (guard_result_json) takes only valid UTF-8 */
	utf8_scrub(f.detail);
	for (i = 0; i < result->count; i++)
		if (strcmp(result->flags[i].name, f.name) == 0 &&
		    strcmp(result->flags[i].detail, f.detail) == 0)
			return 0;
	if (result->count == GUARD_FLAGS_MAX) {
		result->truncated = true;
		return 0;
	}
	result->flags[result->count++] = f;
	return 1;
}

void guard_flag(struct guard_ctx *c, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)guard_result_addv(c->out, name, fmt, ap);
	va_end(ap);
}

pcre2_code *guard_compile(struct guard_ctx *c, const char *regex, bool caseless)
{
	pcre2_code *re = regex_text(regex, caseless ? PCRE2_CASELESS : 0);

	if (re == NULL)
		c->failed = true;
	return re;
}

const json_t *guard_fact(const struct guard_ctx *c, const char *ns, const char *key)
{
	const json_t *list = json_object_get(c->in->facts, ns), *e;
	const char *k;
	size_t i;

	json_array_foreach(list, i, e)
	{
		k = json_string_value(json_object_get(e, "key"));
		if (k != NULL && strcasecmp(k, key) == 0)
			return e;
	}
	return NULL;
}

int guard_fact_number(const json_t *fact, const char *field, double *v_r)
{
	const json_t *v = json_object_get(fact, field);

	if (json_is_number(v)) {
		*v_r = json_number_value(v);
		return 1;
	}
	if (json_is_string(v) && parse_double(json_string_value(v), -1e12, 1e12, v_r) == 0)
		return 1;
	return 0;
}

static bool guard_found(const json_t *fact)
{
	return json_is_true(json_object_get(fact, "found"));
}

void guard_sku_near(const struct guard_ctx *c, size_t pos, char *sku, size_t size)
{
	size_t start = pos, end = pos, off, before = SIZE_MAX, after = SIZE_MAX, bb = 0, ba = 0;
	PCRE2_SIZE *ov;

	sku[0] = '\0';
	/* back to the paragraph start: drafts wrap a line item over lines */
	while (start > 0 &&
	       !(c->text[start - 1] == '\n' && start >= 2 && c->text[start - 2] == '\n'))
		start--;
	while (end < c->len && c->text[end] != '\n')
		end++;
	for (off = start; off < end && regex_match(c->sku_re, (PCRE2_SPTR)c->text, end, off, 0,
						   c->md_near, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md_near);
		if (ov[0] <= pos && pos - ov[0] < before) {
			before = pos - ov[0];
			bb = ov[2];
		} else if (ov[0] > pos && ov[0] - pos < after) {
			after = ov[0] - pos;
			ba = ov[2];
		}
	}
	if (before != SIZE_MAX)
		snprintf(sku, size, "HP-%.5s", c->text + bb);
	else if (after != SIZE_MAX)
		snprintf(sku, size, "HP-%.5s", c->text + ba);
}

static bool guard_same_domain(const char *a, const char *b)
{
	const char *da = a != NULL ? strrchr(a, '@') : NULL,
		   *db = b != NULL ? strrchr(b, '@') : NULL;

	return da != NULL && db != NULL && strcasecmp(da, db) == 0;
}

static void guard_check_keys(struct guard_ctx *c)
{
	pcre2_code *sku = guard_compile(c, GUARD_SKU_RE, true);
	pcre2_code *order = guard_compile(c, GUARD_ORDER_RE, true);
	const json_t *fact;
	const char *owner;
	PCRE2_SIZE *ov;
	size_t off;
	char key[16];

	if (sku == NULL || order == NULL)
		goto out;
	for (off = 0; regex_match(sku, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md);
		snprintf(key, sizeof(key), "HP-%.5s", c->text + ov[2]);
		if (guard_fact(c, "inventory", key) == NULL)
			guard_flag(c, "unknown_sku", "%s is not among the looked-up facts", key);
	}
	for (off = 0; regex_match(order, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md);
		snprintf(key, sizeof(key), "SO-%.6s", c->text + ov[2]);
		fact = guard_fact(c, "order", key);
		if (fact == NULL) {
			guard_flag(c, "unknown_order", "%s is not among the looked-up facts", key);
			continue;
		}
		owner = json_string_value(json_object_get(fact, "customer_email"));
		if (guard_found(fact) && owner != NULL &&
		    !(c->in->customer != NULL && guard_same_domain(owner, c->in->customer)) &&
		    !(c->in->reply_to != NULL && guard_same_domain(owner, c->in->reply_to)))
			guard_flag(c, "order_not_senders",
				   "%s belongs to another customer, not the sender", key);
	}
out:
	return; /* C11 wants a statement after a label (clang 14 refuses none) */
}

static void guard_check_tracking(struct guard_ctx *c)
{
	pcre2_code *re = guard_compile(c, GUARD_TRACKING_RE, false);
	const json_t *list = json_object_get(c->in->facts, "order"), *e;
	const char *t;
	PCRE2_SIZE *ov;
	size_t off, i, n;
	bool known;

	if (re == NULL)
		return;
	for (off = 0; regex_match(re, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md);
		n = ov[1] - ov[0];
		known = false;
		json_array_foreach(list, i, e)
		{
			t = json_string_value(json_object_get(e, "tracking_number"));
			known = known || (t != NULL && strlen(t) == n &&
					  strncmp(t, c->text + ov[0], n) == 0);
		}
		if (!known)
			guard_flag(c, "wrong_tracking", "%.*s is no tracking number of the facts",
				   (int)(n < 40 ? n : 40), c->text + ov[0]);
	}
}

bool guard_host_allowed(const char *const *allow, size_t count, const char *host, size_t n)
{
	size_t i, a;

	while (n > 0 && host[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++)
		if ((unsigned char)host[i] >= 0x80)
			return false;
	for (i = 0; i < count; i++) {
		if (allow[i] == NULL || (a = strlen(allow[i])) == 0)
			continue;
		if (n == a && strncasecmp(host, allow[i], n) == 0)
			return true;
		if (n > a && host[n - a - 1] == '.' && strncasecmp(host + n - a, allow[i], a) == 0)
			return true;
	}
	return false;
}

static void guard_check_urls(struct guard_ctx *c)
{
	pcre2_code *re = guard_compile(c, GUARD_URL_RE, true);
	PCRE2_SIZE *ov;
	size_t off, n;

	if (re == NULL)
		return;
	for (off = 0; regex_match(re, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1] > off ? ov[1] : off + 1) {
		ov = pcre2_get_ovector_pointer(c->md);
		n = ov[3] - ov[2];
		if (!guard_host_allowed(c->in->url_allow, c->in->url_allow_count, c->text + ov[2],
					n))
			guard_flag(c, "url_not_allowed", "link to %.*s, not on the allow-list",
				   (int)(n < 80 ? n : 80), c->text + ov[2]);
	}
}

static bool guard_addr_is(const char *want, const char *addr, size_t n)
{
	return want != NULL && strlen(want) == n && strncasecmp(want, addr, n) == 0;
}

bool guard_addr_ours(const char *const *own, size_t count, const char *a, size_t n)
{
	const char *at = memchr(a, '@', n), *o, *lt;
	size_t i, on;

	for (i = 0; i < count; i++) {
		if ((o = own[i]) == NULL)
			continue;
		/* "Support <support@x.example>" */
		if ((lt = strchr(o, '<')) != NULL)
			o = lt + 1;
		on = strcspn(o, ">");
		if (memchr(o, '@', on) != NULL) {
			if (on == n && strncasecmp(o, a, n) == 0)
				return true;
		} else if (at != NULL && on == n - (size_t)(at + 1 - a) &&
			   strncasecmp(o, at + 1, on) == 0) {
			return true;
		}
	}
	return false;
}

static void guard_check_addresses(struct guard_ctx *c)
{
	pcre2_code *re = guard_compile(c, GUARD_EMAIL_RE, false);
	const char *a;
	PCRE2_SIZE *ov;
	size_t off, n;

	if (re == NULL)
		return;
	for (off = 0; regex_match(re, (PCRE2_SPTR)c->text, c->len, off, 0, c->md, NULL) >= 0;
	     off = ov[1]) {
		ov = pcre2_get_ovector_pointer(c->md);
		a = c->text + ov[0];
		n = ov[1] - ov[0];
		if (!guard_addr_is(c->in->customer, a, n) &&
		    !guard_addr_is(c->in->reply_to, a, n) &&
		    !guard_addr_ours(c->in->company, c->in->company_count, a, n))
			guard_flag(c, "foreign_address", "%.*s is neither the customer's nor ours",
				   (int)(n < 80 ? n : 80), a);
	}
}

static void guard_check_phrases(struct guard_ctx *c)
{
	const json_t *p;
	char *f;
	size_t i;

	json_array_foreach(c->in->forbidden_phrases, i, p)
	{
		if (!json_is_string(p) || json_string_length(p) == 0)
			continue;
		f = lang_fold(json_string_value(p));
		if (f == NULL) {
			c->failed = true;
			return;
		}
		if (*f != '\0' && strstr(c->folded, f) != NULL)
			guard_flag(c, "forbidden_phrase", "contains \"%.80s\"",
				   json_string_value(p));
		free(f);
	}
}

static int guard_join(struct guard_ctx *c)
{
	const char *subject = c->in->subject != NULL ? c->in->subject : "";
	const char *body = c->in->body != NULL ? c->in->body : "";
	struct buf b;
	char *raw;

	buf_init(&b, 2 * GUARD_TEXT_MAX + 2);
	if (buf_append(&b, subject, strnlen(subject, GUARD_TEXT_MAX)) < 0 ||
	    buf_append(&b, "\n", 1) < 0 ||
	    buf_append(&b, body, strnlen(body, GUARD_TEXT_MAX)) < 0) {
		buf_free(&b);
		return -1;
	}
	/* every check reads NFKC text without format characters: a fullwidth
	 * "＠" or a zero-width space must not hide an address or a price */
	raw = buf_steal(&b);
	c->text = raw != NULL ? text_norm(raw, TEXT_NORM_MAX) : NULL;
	free(raw);
	if (c->text == NULL)
		return -1;
	c->len = strlen(c->text);
	return 0;
}

int guard_check(const struct guard_input *in, struct guard_result *out)
{
	struct guard_ctx c = {.in = in, .out = out};
	size_t max = in->max_length > 0 ? in->max_length : GUARD_DEFAULT_MAX_LENGTH;
	const char *p, *body = in->body != NULL ? in->body : "";

	memset(out, 0, sizeof(*out));
	for (p = body; *p != '\0' && isspace((unsigned char)*p); p++)
		;
	if (*p == '\0')
		guard_flag(&c, "empty", "the draft has no body");
	if (strnlen(body, max + 1) > max)
		guard_flag(&c, "too_long", "the body is longer than %zu bytes", max);
	if (guard_join(&c) < 0 || (c.folded = lang_fold(c.text)) == NULL ||
	    (c.md = pcre2_match_data_create(8, NULL)) == NULL ||
	    (c.md_near = pcre2_match_data_create(4, NULL)) == NULL ||
	    (c.sku_re = guard_compile(&c, GUARD_SKU_RE, true)) == NULL) {
		c.failed = true;
		goto out;
	}
	guard_check_phrases(&c);
	guard_check_keys(&c);
	guard_check_tracking(&c);
	guard_check_urls(&c);
	guard_check_addresses(&c);
	guard_check_amounts(&c);
	guard_check_stock(&c);
	guard_check_dates(&c);
out:
	if (c.failed)
		guard_flag(&c, "error", "the guardrails could not run (out of memory)");
	pcre2_match_data_free(c.md);
	pcre2_match_data_free(c.md_near);
	free((char *)c.text);
	free(c.folded);
	return c.failed ? -1 : (int)out->count;
}

bool guard_has(const struct guard_result *result, const char *name)
{
	size_t i;

	for (i = 0; i < result->count; i++)
		if (strcmp(result->flags[i].name, name) == 0)
			return true;
	return false;
}

json_t *guard_result_json(const struct guard_result *result)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < result->count; i++) {
		o = json_pack("{s:s,s:s}", "flag", result->flags[i].name, "detail",
			      result->flags[i].detail);
		if (o == NULL || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
