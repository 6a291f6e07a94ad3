/* SPDX-License-Identifier: MIT */
/* agent/guard/guard_content.c (issue 17, item 5): empty sections, promises the
 * facts do not support, the customer's data as the answer, and replies
 * that are not in the customer's language. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/guard_content.h"
#include "daemon/lib/util.h"
#include "harness.h"

static const char content_facts[] =
	"{\"inventory\":["
	"{\"key\":\"HP-20115\",\"found\":true,\"qty_on_hand\":1200,\"unit_price_eur\":3.95},"
	"{\"key\":\"HP-10227\",\"found\":true,\"qty_on_hand\":0,\"unit_price_eur\":6.35},"
	"{\"key\":\"HP-20203\",\"found\":true,\"qty_on_hand\":64,\"unit_price_eur\":28.75},"
	"{\"key\":\"HP-60063\",\"found\":true,\"qty_on_hand\":5,\"discontinued\":true},"
	"{\"key\":\"HP-40035\",\"found\":true},"
	"{\"key\":\"HP-77812\",\"found\":false}],"
	"\"order\":["
	"{\"key\":\"SO-204518\",\"found\":true,\"status\":\"shipped\",\"carrier\":\"DHL Express\","
	"\"tracking_number\":\"JD014600006317750518\",\"ship_date\":\"2025-03-10\"},"
	"{\"key\":\"SO-204536\",\"found\":true,\"status\":\"processing\"}]}";

static const struct key_hit content_requested[] = {
	{"HP-20203", 100, 1.0, 0},
	{"HP-20115", 200, 1.0, 0},
};

struct content_case {
	const char *body;
	const char *customer;   /* the customer's text; NULL: "Hello" */
	const char *lang;       /* customer's language; NULL: none */
	const char *draft_lang; /* NULL: detected */
	const char *flag;       /* expected flag, NULL: none */
	const char *detail_has; /* in its detail */
};

static const struct content_case content_cases[] = {
	/* a heading with nothing under it (the third-party reply) */
	{"Hello,\n\nThank you for your message. Here is the latest on your order:\n\nKind "
	 "regards,\nSupport",
	 NULL, NULL, NULL, "empty_section", "Here is the latest on your order:"},
	{"Hello,\n\nTracking number:\n\nBest regards", NULL, NULL, NULL, "empty_section",
	 "Tracking number:"},
	{"Hello,\n\n## Details\n\n## Next steps\nWe call you.\n", NULL, NULL, NULL, "empty_section",
	 "## Details"},
	{"Hello,\n\nOur records show:", NULL, NULL, NULL, "empty_section", "Our records show:"},
	{"Hello,\n\nOur records show:\n- Order SO-204518: shipped.\n\nKind regards", NULL, NULL,
	 NULL, NULL, NULL},
	/* the Spanish greeting ends in a colon: no heading */
	{"Buenos días:\n\nMuchas gracias por su mensaje.\n\nAtentamente,", NULL, NULL, NULL, NULL,
	 NULL},
	{"Guten Tag,\n\nDas zeigen unsere Unterlagen:\n\nMit freundlichen Grüßen\nX", NULL, NULL,
	 NULL, "empty_section", "Das zeigen unsere Unterlagen:"},
	/* promises against the stock */
	{"Hello,\n\nHP-10227 ships today.", NULL, NULL, NULL, "unsupported_promise",
	 "HP-10227 now, but 0 are on hand"},
	{"Hello,\n\nHP-20115 is in stock and can ship today.", NULL, NULL, NULL, NULL, NULL},
	{"Hello,\n\n- HP-10227 (Elbow)\n  It can ship right away.", NULL, NULL, NULL,
	 "unsupported_promise", "HP-10227"},
	{"Hello,\n\nHP-10227 is not in stock at the moment.", NULL, NULL, NULL, NULL, NULL},
	{"Hello,\n\nHP-10227: currently out of stock, lead time 21 days.", NULL, NULL, NULL, NULL,
	 NULL},
	{"Hello,\n\nHP-20203: all 100 can ship from stock now.", NULL, NULL, NULL,
	 "unsupported_promise", "all 100 of HP-20203 now, but 64 are on hand"},
	{"Hello,\n\nHP-20203: 64 of the 100 can ship from stock now, the rest later.", NULL, NULL,
	 NULL, NULL, NULL},
	{"Hello,\n\nHP-20203: part of the 100 can ship from stock now.", NULL, NULL, NULL, NULL,
	 NULL},
	{"Hello,\n\nHP-20115: all 200 can ship from stock now, at EUR 3.95 per unit.", NULL, NULL,
	 NULL, NULL, NULL},
	{"Hello,\n\nHP-60063 is available now.", NULL, NULL, NULL, "unsupported_promise",
	 "discontinued"},
	{"Hello,\n\nHP-40035 is in stock.", NULL, NULL, NULL, "unsupported_promise",
	 "stock is unknown"},
	{"Hello,\n\nHP-77812 ships tomorrow.", NULL, NULL, NULL, "unsupported_promise",
	 "no known item"},
	{"Guten Tag,\n\nHP-10227 ist sofort lieferbar.", NULL, NULL, NULL, "unsupported_promise",
	 "HP-10227"},
	{"Guten Tag,\n\nHP-10227 ist derzeit nicht vorrätig.", NULL, NULL, NULL, NULL, NULL},
	{"Bonjour,\n\nHP-10227 : en stock, expédié aujourd'hui.", NULL, NULL, NULL,
	 "unsupported_promise", "HP-10227"},
	{"Buenos días:\n\nPodemos enviar HP-10227 hoy mismo.", NULL, NULL, NULL,
	 "unsupported_promise", "HP-10227"},
	/* orders */
	{"Hello,\n\nOrder SO-204536 has shipped.", NULL, NULL, NULL, "unsupported_promise",
	 "SO-204536 has shipped, but its status is processing"},
	{"Hello,\n\nOrder SO-204518 has shipped with DHL Express.", NULL, NULL, NULL, NULL, NULL},
	{"Hello,\n\nOrder SO-204536 has not shipped yet.", NULL, NULL, NULL, NULL, NULL},
	/* the customer's own data as the answer */
	{"Hello,\n\nYour tracking number is JD014600006317750518.\n\nKind regards",
	 "the tracking number JD014600006317750518 doesn't work", NULL, NULL, "echoes_customer",
	 "JD014600006317750518"},
	{"Hello,\n\nOrder SO-204518 left our warehouse on 10 March 2025 with DHL Express.\n"
	 "Tracking number: JD014600006317750518\n\nKind regards",
	 "the tracking number JD014600006317750518 doesn't work", NULL, NULL, NULL, NULL},
	{"Hello,\n\nTracking number: JD014600006317750518\n\nKind regards", "where is SO-204518?",
	 NULL, NULL, NULL, NULL},
	/* the language */
	{"Hello,\n\nThank you for your message. We will send the invoice shortly.\n\nKind regards",
	 NULL, "de", "en", "language_fallback", "no de template"},
	{"Hello,\n\nThank you for your message. We have passed it on and will get back to you "
	 "with the invoice for your order shortly.\n\nKind regards",
	 NULL, "de", NULL, "language_fallback", "reads as en"},
	{"Guten Tag,\n\nvielen Dank für Ihre Nachricht. Wir senden Ihnen die Rechnung in Kürze "
	 "zu.\n\nMit freundlichen Grüßen",
	 NULL, "de", NULL, NULL, NULL},
	{"Guten Tag,\n\nvielen Dank.", NULL, "de", "de", NULL, NULL},
};

static void test_content_cases(void)
{
	json_t *facts = json_loads(content_facts, 0, NULL);
	const struct content_case *c;
	struct guard_content_input in;
	struct guard_result res;
	size_t i, k;
	bool hit;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(facts);
	for (i = 0; i < ARRAY_SIZE(content_cases); i++) {
		c = &content_cases[i];
		memset(&res, 0, sizeof(res));
		memset(&in, 0, sizeof(in));
		in.body = c->body;
		in.customer_text = c->customer != NULL ? c->customer : "Hello";
		in.customer_lang = c->lang;
		in.draft_lang = c->draft_lang;
		in.category = "invoice_copy";
		in.facts = facts;
		in.requested = content_requested;
		in.requested_count = ARRAY_SIZE(content_requested);
		n = guard_content_check(&in, &res);
		CU_ASSERT(n >= 0);
		hit = false;
		for (k = 0; k < res.count; k++) {
			if (c->flag != NULL && strcmp(res.flags[k].name, c->flag) == 0 &&
			    strstr(res.flags[k].detail, c->detail_has) != NULL)
				hit = true;
		}
		if ((c->flag == NULL && res.count != 0) || (c->flag != NULL && !hit)) {
			fprintf(stderr, "\n  case %zu: want %s, got %zu flags:", i,
				c->flag != NULL ? c->flag : "none", res.count);
			for (k = 0; k < res.count; k++)
				fprintf(stderr, " [%s: %s]", res.flags[k].name,
					res.flags[k].detail);
		}
		if (c->flag == NULL) {
			CU_ASSERT_EQUAL(res.count, 0);
		} else {
			CU_ASSERT_TRUE(hit);
		}
	}
	json_decref(facts);
}

static const struct test_case guard_content_cases[] = {
	{"empty sections, promises, echoes, language", test_content_cases},
	{NULL, NULL},
};

TEST_SUITE("guard_content", NULL, NULL, guard_content_cases)
