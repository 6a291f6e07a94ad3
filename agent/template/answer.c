/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent/template/answer.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/lang.h"
#include "daemon/lib/util.h"
#include "daemon/lib/regex.h"

/* "The tracking number doesn't work" in the four languages, on folded text
 * (lower case, no accents, ASCII apostrophes). The subject and the verb may
 * stand a few words apart: "the tracking no. you sent me is not valid". */
#define ANSWER_GAP "\\W+(?:\\w+\\W+){0,12}?"
static const char answer_tracking_re[] =
	"(?:tracking|track(?:ing)?[ -]?(?:number|no|code|link|id)|parcel number|consignment number"
	"|sendungsnummer|sendungsverfolgung|trackingnummer|tracking-nummer|paketnummer"
	"|numero de seguimiento|seguimiento|numero de suivi|suivi)" ANSWER_GAP
	"(?:(?:doesn'?t|does not|don'?t|do not|isn'?t|is not|won'?t|will not|can'?t|cannot"
	"|still not|not)\\W+(?:\\w+\\W+){0,2}?(?:work|working|valid|recogni[sz]ed|found|show"
	"|showing|exist|load|track|come up|update)|invalid|not found|no results|no information"
	"|shows nothing|error|unknown"
	"|(?:funktioniert|geht|klappt)\\W+(?:\\w+\\W+){0,4}?nicht|ungultig|nichts? gefunden"
	"|nicht auffindbar|zeigt nichts|nicht weiter"
	"|keine (?:daten|informationen|ergebnisse|sendung)|falsch|unbekannt"
	"|no funciona|no es valido|no aparece|no existe|no sale|no da|invalido|no encuentra"
	"|ne (?:fonctionne|marche)\\W+(?:\\w+\\W+){0,2}?pas|n'est pas valide|invalide"
	"|introuvable|inconnu"
	"|n'existe pas|ne donne rien|aucun resultat)"
	"|(?:invalid|unknown|wrong|broken|ungultige|falsche)\\W+(?:tracking|sendungsnummer)"
	"|(?:can'?t|cannot|unable to|not able to) track";

const char *answer_disclosure_name(enum stock_disclosure disclosure)
{
	switch (disclosure) {
	case STOCK_DISCLOSURE_EXACT:
		return "exact";
	case STOCK_DISCLOSURE_NONE:
		return "none";
	case STOCK_DISCLOSURE_ENOUGH:
		break;
	}
	return "enough";
}

int answer_tracking_problem(const char *text)
{
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	char *folded = NULL;
	int ret = -1;

	if (text == NULL || *text == '\0')
		return 0;
	folded = lang_fold(text);
	re = regex_text(answer_tracking_re, PCRE2_CASELESS);
	if (folded == NULL || re == NULL)
		goto out;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md == NULL)
		goto out;
	ret = regex_match(re, (PCRE2_SPTR)folded, strlen(folded), 0, 0, md, NULL) >= 0 ? 1 : 0;
out:
	pcre2_match_data_free(md);
	free(folded);
	return ret;
}

/* A field as a number: a JSON number or a numeric string (SQL numeric). */
static bool answer_number(const json_t *o, const char *field, double *v_r)
{
	const json_t *v = json_object_get(o, field);

	if (json_is_number(v)) {
		*v_r = json_number_value(v);
		return true;
	}
	return json_is_string(v) && parse_double(json_string_value(v), -1e12, 1e12, v_r) == 0;
}

static bool answer_true(const json_t *o, const char *field)
{
	const json_t *v = json_object_get(o, field);

	return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

/* The known quantity asked for key (quote.lines), or 0. */
static double answer_requested(const json_t *facts, const char *key)
{
	const json_t *lines = json_object_get(json_object_get(facts, "quote"), "lines"), *l;
	size_t i;
	double q;

	json_array_foreach(lines, i, l)
	{
		if (json_is_string(json_object_get(l, "key")) &&
		    strcmp(json_string_value(json_object_get(l, "key")), key) == 0 &&
		    answer_number(l, "quantity", &q) && q > 0)
			return q;
	}
	return 0;
}

static int answer_set(json_t *o, const char *field, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, field, v);
}

/* Whole quantities stay integers in the reply ("200", not "200.00"). */
static json_t *answer_qty(double q)
{
	return q == floor(q) && fabs(q) < 1e15 ? json_integer((json_int_t)q) : json_real(q);
}

/* A language code: 2 or 3 lower-case letters ("de"); anything else is none. */
static bool answer_lang_ok(const char *lang)
{
	size_t n = lang != NULL ? strspn(lang, "abcdefghijklmnopqrstuvwxyz") : 0;

	return n >= 2 && n <= 3 && lang[n] == '\0';
}

/* One inventory item: whether the quantity asked can ship now, partly, or
 * only after the lead time, disclosing the stock figure as configured. */
static int answer_item(json_t *facts, json_t *item, const struct answer_input *in)
{
	const json_t *found = json_object_get(item, "found");
	const char *key = json_string_value(json_object_get(item, "key"));
	const char *state;
	char name_field[16];
	const json_t *local;
	double have, q, price;
	int rc = 0;

	/* facts from elsewhere (a test, an HTTP connector) may name the item
	 * only by "sku" and leave "found" out: there, it was found */
	if (key == NULL)
		key = json_string_value(json_object_get(item, "sku"));
	if ((found != NULL && !json_is_true(found)) || key == NULL)
		return 0;
	snprintf(name_field, sizeof(name_field), "name_%s",
		 answer_lang_ok(in->language) ? in->language : "-");
	local = json_object_get(item, name_field);
	if (json_is_string(local) && json_string_length(local) > 0)
		rc |= answer_set(item, "name", json_incref((json_t *)local));
	q = answer_requested(facts, key);
	if (q > 0) {
		rc |= answer_set(item, "requested_qty", answer_qty(q));
		if (answer_number(item, "unit_price_eur", &price))
			rc |= answer_set(item, "line_total_eur",
					 json_real(round(q * price * 100.0) / 100.0));
	}
	if (answer_true(item, "discontinued")) {
		state = "discontinued";
	} else if (!answer_number(item, "qty_on_hand", &have)) {
		state = NULL; /* nothing is said about stock nobody knows */
	} else if (q > 0) {
		state = have >= q ? "all" : have > 0 ? "partial" : "none";
		if (have > 0 && have < q && in->disclosure != STOCK_DISCLOSURE_NONE) {
			rc |= answer_set(item, "ship_now_qty", answer_qty(have));
			rc |= answer_set(item, "later_qty", answer_qty(q - have));
		}
	} else {
		state = have > 0 ? "in_stock" : "out_of_stock";
	}
	if (state != NULL)
		rc |= answer_set(item, "availability", json_string(state));
	if (in->disclosure != STOCK_DISCLOSURE_EXACT)
		json_object_del(item, "qty_on_hand");
	return rc < 0 ? -1 : 0;
}

int answer_prepare(json_t *facts, const struct answer_input *in)
{
	json_t *inv = json_object_get(facts, "inventory"), *item, *request;
	size_t i;
	int t, rc = 0;

	if (!json_is_object(facts))
		return -1;
	json_array_foreach(inv, i, item)
	{
		if (json_is_object(item) && answer_item(facts, item, in) < 0)
			return -1;
	}
	t = answer_tracking_problem(in->text);
	if (t < 0)
		return -1;
	request = json_pack("{s:b}", "tracking_problem", t);
	rc |= answer_set(facts, "request", request);
	rc |= answer_set(facts, "stock_disclosure",
			 json_string(answer_disclosure_name(in->disclosure)));
	if (answer_lang_ok(in->language))
		rc |= answer_set(facts, "language", json_string(in->language));
	return rc < 0 ? -1 : 0;
}
