/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "connectors/rules/rules.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/utf8.h"
#include "daemon/lib/util.h"

int rules_facts_add(json_t *facts, const char *ns, const struct conn_result *results, size_t count)
{
	json_t *list = json_object_get(facts, ns), *e;
	size_t i;

	if (list == NULL) {
		list = json_array();
		if (list == NULL || json_object_set_new(facts, ns, list) < 0)
			return -1;
	}
	for (i = 0; i < count; i++) {
		e = results[i].fact != NULL ? json_deep_copy(results[i].fact) : json_object();
		if (e == NULL)
			return -1;
		json_object_set_new(e, "key", json_string(results[i].key));
		json_object_set_new(e, "found",
				    results[i].state == CONN_UNKNOWN
					    ? json_null()
					    : json_boolean(results[i].state == CONN_FOUND));
		json_object_set_new(e, "fetched_at",
				    json_integer((json_int_t)results[i].fetched_at));
		json_object_set_new(e, "connector", json_string(results[i].connector));
		if (json_array_append_new(list, e) < 0)
			return -1;
	}
	return 0;
}

/* A price as a number: JSON number or a numeric string (SQL numeric). */
static bool rules_facts_price(const json_t *e, double *v_r)
{
	const json_t *v = json_object_get(e, "unit_price_eur");

	if (json_is_number(v)) {
		*v_r = json_number_value(v);
		return true;
	}
	return json_is_string(v) && parse_double(json_string_value(v), 0, 1e12, v_r) == 0;
}

static const json_t *rules_facts_entry(const json_t *list, const char *key)
{
	const json_t *e;
	const char *k;
	size_t i;

	json_array_foreach(list, i, e)
	{
		k = json_string_value(json_object_get(e, "key"));
		if (k != NULL && strcmp(k, key) == 0)
			return e;
	}
	return NULL;
}

/* cents: sums of binary doubles would show as 466.20000000000005 */
static double rules_facts_cents(double v)
{
	return round(v * 100.0) / 100.0;
}

int rules_facts_add_quote(json_t *facts, const struct key_hit *hits, size_t count)
{
	const json_t *list = json_object_get(facts, "inventory"), *e;
	char why[160] = "";
	json_t *quote = NULL, *lines = json_array(), *line;
	double total = 0, price;
	bool qty;
	size_t i;

	if (lines == NULL)
		return -1;
	if (count == 0)
		snprintf(why, sizeof(why), "no part number found in the mail");
	for (i = 0; i < count; i++) {
		e = rules_facts_entry(list, hits[i].key);
		qty = hits[i].quantity > 0 && hits[i].confidence >= KEYS_QTY_KNOWN;
		line = json_pack("{s:s}", "key", hits[i].key);
		if (line == NULL || json_array_append_new(lines, line) < 0)
			goto fail;
		if (qty) {
			json_object_set_new(line, "quantity", json_real(hits[i].quantity));
			json_object_set_new(line, "confidence", json_real(hits[i].confidence));
		}
		if (e != NULL && json_is_false(json_object_get(e, "found"))) {
			/* not in the catalogue: known, and worth nothing (the
			 * conventions' "over the requested SKUs that exist") */
			json_object_set_new(line, "found", json_false());
			continue;
		}
		if (!qty && why[0] == '\0')
			snprintf(why, sizeof(why), "no quantity found for %s", hits[i].key);
		if (e == NULL || !json_is_true(json_object_get(e, "found"))) {
			if (why[0] == '\0')
				snprintf(why, sizeof(why), "%s could not be looked up",
					 hits[i].key);
			continue;
		}
		if (!rules_facts_price(e, &price)) {
			if (why[0] == '\0')
				snprintf(why, sizeof(why), "no price for %s", hits[i].key);
			continue;
		}
		json_object_set_new(line, "unit_price_eur", json_real(price));
		if (qty) {
			json_object_set_new(line, "line_total_eur",
					    json_real(rules_facts_cents(hits[i].quantity * price)));
			total += hits[i].quantity * price;
		}
	}
	/* a total only when every line is known: a partial sum is no estimate
	 * of the value, and a rule on it must see "unknown" (issue 17) */
	quote = json_pack("{s:o, s:o}", "estimated_total_eur",
			  why[0] == '\0' ? json_real(rules_facts_cents(total)) : json_null(),
			  "lines", lines);
	lines = NULL;
	if (quote == NULL ||
	    (why[0] != '\0' && json_object_set_new(quote, "unknown", json_string(why)) < 0))
		goto fail;
	return json_object_set_new(facts, "quote", quote);
fail:
	json_decref(lines);
	json_decref(quote);
	return -1;
}

char *rules_normalize(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	struct buf out;
	uint32_t cp;
	size_t n;
	char c;

	buf_init(&out, strlen(text) + 1);
	while (*s != '\0') {
		n = utf8_decode_lax(s, 4, &cp); /* stops at the NUL */
		if (cp == 0x00ad || (cp >= 0x200b && cp <= 0x200f) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff ||
		    (cp >= 0xe0000 && cp <= 0xe001f) || cp == 0xe007f) {
			/* format characters hide words from the patterns: drop them */
		} else if (cp >= 0xe0020 && cp <= 0xe007e) {
			c = (char)(cp - 0xe0000); /* tag characters spell ASCII */
			if (buf_append(&out, &c, 1) < 0)
				goto fail;
		} else if (cp >= 0xff01 && cp <= 0xff5e) {
			c = (char)(cp - 0xff01 + 0x21); /* fullwidth ASCII, as NFKC does */
			if (buf_append(&out, &c, 1) < 0)
				goto fail;
		} else if (buf_append(&out, s, n) < 0) {
			goto fail;
		}
		s += n;
	}
	if (out.data == NULL)
		return strdup("");
	return buf_steal(&out);
fail:
	buf_free(&out);
	return NULL;
}
