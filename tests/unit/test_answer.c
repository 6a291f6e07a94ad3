/* SPDX-License-Identifier: MIT */
/* agent/template/answer.c: what a reply must answer, before it is drafted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template/answer.h"
#include "daemon/lib/util.h"
#include "harness.h"

static void test_tracking_problem(void)
{
	static const struct {
		const char *text;
		int want;
	} t[] = {
		{"Hi, the tracking number you gave me doesn't work.", 1},
		{"tracking no. JD0146 is not valid on the DHL site", 1},
		{"Your tracking link does not show anything", 1},
		{"I can't track my parcel", 1},
		{"invalid tracking number?", 1},
		{"Die Sendungsnummer funktioniert leider nicht.", 1},
		{"Sendungsverfolgung zeigt nichts an", 1},
		{"El n\xc3\xba"
		 "mero de seguimiento no funciona",
		 1},
		{"el seguimiento no aparece en la web", 1},
		{"Le num\xc3\xa9"
		 "ro de suivi ne fonctionne toujours pas",
		 1},
		{"num\xc3\xa9"
		 "ro de suivi introuvable",
		 1},
		{"tracking for SO-204539 pls", 0},
		{"Please send me the tracking number.", 0},
		{"Bitte senden Sie mir die Sendungsnummer.", 0},
		{"where is my order?", 0},
		{"", 0},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (answer_tracking_problem(t[i].text) != t[i].want)
			fprintf(stderr, "\n  '%s': want %d\n", t[i].text, t[i].want);
		CU_ASSERT_EQUAL(answer_tracking_problem(t[i].text), t[i].want);
	}
	CU_ASSERT_EQUAL(answer_tracking_problem(NULL), 0);
}

static const char answer_facts[] =
	"{\"inventory\":["
	"{\"key\":\"HP-1\",\"found\":true,\"qty_on_hand\":1200,\"unit_price_eur\":3.95},"
	"{\"key\":\"HP-2\",\"found\":true,\"qty_on_hand\":\"64\",\"unit_price_eur\":\"28.75\"},"
	"{\"key\":\"HP-3\",\"found\":true,\"qty_on_hand\":0,\"name\":\"Elbow\",\"name_es\":"
	"\"Codo\"},"
	"{\"key\":\"HP-4\",\"found\":true,\"qty_on_hand\":5,\"discontinued\":\"true\"},"
	"{\"key\":\"HP-5\",\"found\":true},"
	"{\"key\":\"HP-6\",\"found\":false},"
	"{\"key\":\"HP-7\",\"found\":null},"
	"{\"key\":\"HP-8\",\"found\":true,\"qty_on_hand\":3}],"
	"\"quote\":{\"lines\":[{\"key\":\"HP-1\",\"quantity\":200},"
	"{\"key\":\"HP-2\",\"quantity\":100},{\"key\":\"HP-3\",\"quantity\":1.5}]}}";

static const char *answer_field(const json_t *facts, size_t i, const char *field)
{
	const json_t *v =
		json_object_get(json_array_get(json_object_get(facts, "inventory"), i), field);
	static char buf[64];

	if (v == NULL)
		return "-";
	if (json_is_string(v))
		return json_string_value(v);
	snprintf(buf, sizeof(buf), "%g", json_number_value(v));
	return buf;
}

static void test_prepare(void)
{
	static const struct {
		enum stock_disclosure d;
		size_t item;
		const char *field, *want;
	} t[] = {
		{STOCK_DISCLOSURE_ENOUGH, 0, "availability", "all"},
		{STOCK_DISCLOSURE_ENOUGH, 0, "requested_qty", "200"},
		{STOCK_DISCLOSURE_ENOUGH, 0, "line_total_eur", "790"},
		{STOCK_DISCLOSURE_ENOUGH, 0, "qty_on_hand", "-"},
		{STOCK_DISCLOSURE_EXACT, 0, "qty_on_hand", "1200"},
		{STOCK_DISCLOSURE_ENOUGH, 1, "availability", "partial"},
		{STOCK_DISCLOSURE_ENOUGH, 1, "ship_now_qty", "64"},
		{STOCK_DISCLOSURE_ENOUGH, 1, "later_qty", "36"},
		{STOCK_DISCLOSURE_NONE, 1, "ship_now_qty", "-"},
		{STOCK_DISCLOSURE_NONE, 1, "availability", "partial"},
		{STOCK_DISCLOSURE_ENOUGH, 2, "availability", "none"},
		{STOCK_DISCLOSURE_ENOUGH, 2, "requested_qty", "1.5"},
		{STOCK_DISCLOSURE_ENOUGH, 2, "name", "Codo"},
		{STOCK_DISCLOSURE_ENOUGH, 3, "availability", "discontinued"},
		{STOCK_DISCLOSURE_ENOUGH, 4, "availability", "-"},
		{STOCK_DISCLOSURE_ENOUGH, 5, "availability", "-"},
		{STOCK_DISCLOSURE_ENOUGH, 6, "availability", "-"},
		{STOCK_DISCLOSURE_ENOUGH, 7, "availability", "in_stock"},
	};
	struct answer_input in = {"es", "hola", STOCK_DISCLOSURE_ENOUGH};
	json_t *facts;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		facts = json_loads(answer_facts, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(facts);
		in.disclosure = t[i].d;
		CU_ASSERT_EQUAL_FATAL(answer_prepare(facts, &in), 0);
		if (strcmp(answer_field(facts, t[i].item, t[i].field), t[i].want) != 0)
			fprintf(stderr, "\n  item %zu %s: got %s want %s\n", t[i].item, t[i].field,
				answer_field(facts, t[i].item, t[i].field), t[i].want);
		CU_ASSERT_STRING_EQUAL(answer_field(facts, t[i].item, t[i].field), t[i].want);
		CU_ASSERT_STRING_EQUAL(
			json_string_value(json_object_get(facts, "stock_disclosure")),
			answer_disclosure_name(t[i].d));
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(facts, "language")), "es");
		CU_ASSERT_TRUE(json_is_false(
			json_object_get(json_object_get(facts, "request"), "tracking_problem")));
		json_decref(facts);
	}
}

static const struct test_case answer_cases[] = {
	{"the tracking number does not work, in four languages", test_tracking_problem},
	{"availability, quantities and disclosure per item", test_prepare},
	{NULL, NULL},
};

TEST_SUITE("answer", NULL, NULL, answer_cases)
