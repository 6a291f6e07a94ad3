/* SPDX-License-Identifier: MIT */
/* The figure guardrails (agent/guard/guard_facts.c) read replies written the way
 * each language writes numbers and dates (agent/template/localize.h): a correct
 * localised reply is clean, a wrong figure in it is still caught. */
#include <stdio.h>
#include <string.h>

#include "agent/guard/guard.h"
#include "daemon/lib/util.h"
#include "harness.h"

static const char locale_facts[] =
	"{\"inventory\":[{\"key\":\"HP-61034\",\"found\":true,\"unit_price_eur\":342.0,"
	"\"qty_on_hand\":1200,\"lead_time_days\":21}],"
	"\"order\":[{\"key\":\"SO-310422\",\"found\":true,\"customer_email\":\"a@b.example\","
	"\"ship_date\":\"2025-03-03\",\"eta\":\"2025-03-05\",\"total_eur\":1240.0}]}";

static void test_locale_figures(void)
{
	static const struct {
		const char *body, *flag; /* flag NULL: clean */
	} t[] = {
		{"La commande SO-310422 a été livrée le 05/03/2025.", NULL},
		{"El pedido SO-310422 se entregó el 05/03/2025.", NULL},
		{"Der Auftrag SO-310422 wurde am 05.03.2025 zugestellt.", NULL},
		{"Order SO-310422 was delivered on 5 March 2025.", NULL},
		{"La commande SO-310422 a été livrée le 06/03/2025.", "wrong_date"},
		{"Montant total : 1\xc2\xa0"
		 "240,00 EUR.",
		 NULL},
		{"Gesamtbetrag 1.240,00 EUR.", NULL},
		{"Total EUR 1,240.00.", NULL},
		{"Montant total : 1\xc2\xa0"
		 "250,00 EUR.",
		 "wrong_price"},
		{"HP-61034 (Distributeur 4/3 CETOP 5 24 VCC) : 342,00 EUR l'unité.", NULL},
		{"HP-61034 : 1\xc2\xa0"
		 "200 en stock.",
		 NULL},
		{"HP-61034 : 1\xc2\xa0"
		 "300 en stock.",
		 "wrong_quantity"},
		{"HP-61034: 1.200 Stück auf Lager, Lieferzeit 21 Tage.", NULL},
	};
	json_t *facts = json_loads(locale_facts, 0, NULL);
	struct guard_input in;
	struct guard_result res;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(facts);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		memset(&in, 0, sizeof(in));
		in.subject = "";
		in.body = t[i].body;
		in.customer = "a@b.example";
		in.facts = facts;
		CU_ASSERT(guard_check(&in, &res) >= 0);
		if ((t[i].flag == NULL) != (res.count == 0) ||
		    (t[i].flag != NULL && !guard_has(&res, t[i].flag)))
			fprintf(stderr, "\n  '%s': %zu flags, first %s: %s\n", t[i].body, res.count,
				res.count > 0 ? res.flags[0].name : "-",
				res.count > 0 ? res.flags[0].detail : "-");
		if (t[i].flag == NULL) {
			CU_ASSERT_EQUAL(res.count, 0);
		} else {
			CU_ASSERT_TRUE(guard_has(&res, t[i].flag));
		}
	}
	json_decref(facts);
}

static const struct test_case guard_locale_cases[] = {
	{"localised dates, amounts and stock figures", test_locale_figures},
	{NULL, NULL},
};

TEST_SUITE("guard_locale", NULL, NULL, guard_locale_cases)
