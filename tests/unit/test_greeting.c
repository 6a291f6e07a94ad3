/* SPDX-License-Identifier: MIT */
/* agent/template/greeting.c and agent/template/localize.c: whom a reply greets by name, and
 * numbers and dates as each language writes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/template/greeting.h"
#include "agent/template/localize.h"
#include "agent/mime/mime.h"
#include "daemon/lib/util.h"
#include "harness.h"

static void test_names(void)
{
	static const struct {
		const char *display, *want; /* want NULL: no person */
	} t[] = {
		{"Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez",
		 "Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez"},
		{"Mart\xc3\xad"
		 "nez, Sof\xc3\xad"
		 "a",
		 "Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez"},
		{"SOF\xc3\x8d"
		 "A MART\xc3\x8d"
		 "NEZ",
		 "Sof\xc3\xad"
		 "a Mart\xc3\xad"
		 "nez"},
		{"Hoffmann Maschinenbau - Einkauf", NULL},
		{"Greta Hoffmann | Hoffmann Hydraulik GmbH", "Greta Hoffmann"},
		{"Hans M\xc3\xbcller (Einkauf)", "Hans M\xc3\xbcller"},
		{"Dr. Anna Schmidt", "Dr. Anna Schmidt"},
		{"Ms Keller", "Ms Keller"},
		{"Jean-Pierre O'Neil", "Jean-Pierre O'Neil"},
		{"Mar\xc3\xad"
		 "a de la Cruz",
		 "Mar\xc3\xad"
		 "a de la Cruz"},
		{"\"Becker, Tom\"", "Tom Becker"},
		{"Accounts Payable", NULL},
		{"ACME GmbH", NULL},
		{"Northfield Farms Ltd", NULL},
		{"Service Achats", NULL},
		{"Compras Hidr\xc3\xa1ulica Sur SL", NULL},
		{"Kundenservice", NULL},
		{"Festo", NULL},
		{"info@x.example", NULL},
		{"Team 4", NULL},
		{"purchasing", NULL},
		{"tom becker", NULL},
		{"", NULL},
		{NULL, NULL},
	};
	char out[GREETING_NAME_MAX];
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		r = greeting_name(t[i].display, out, sizeof(out));
		if (r != (t[i].want != NULL) || (t[i].want != NULL && strcmp(out, t[i].want) != 0))
			fprintf(stderr, "\n  '%s': got %d '%s'\n",
				t[i].display != NULL ? t[i].display : "(null)", r, out);
		CU_ASSERT_EQUAL(r, t[i].want != NULL);
		CU_ASSERT_STRING_EQUAL(out, t[i].want != NULL ? t[i].want : "");
	}
}

/* The name as the MIME module decodes it (RFC 2047 in Latin-1, raw UTF-8):
 * no letter lost on the way to the greeting. */
static void test_names_from_mail(void)
{
	static const char *const froms[] = {
		"From: =?iso-8859-1?Q?Sof=EDa_Mart=EDnez?= <sofia@hidraulica.example>",
		"From: =?UTF-8?B?U29mw61hIE1hcnTDrW5leg==?= <sofia@hidraulica.example>",
		"From: \"Sof\xc3\xad"
		"a Mart\xc3\xad"
		"nez\" <sofia@hidraulica.example>",
	};
	struct mime_limits l;
	struct mime_message *m;
	char raw[512], out[GREETING_NAME_MAX];
	size_t i;

	mime_limits_default(&l);
	for (i = 0; i < ARRAY_SIZE(froms); i++) {
		snprintf(raw, sizeof(raw),
			 "%s\r\nTo: support@harborparts.example\r\nSubject: hola\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n\r\nHola\r\n",
			 froms[i]);
		m = NULL;
		CU_ASSERT_EQUAL_FATAL(mime_parse(raw, strlen(raw), &l, &m, NULL), 0);
		CU_ASSERT_EQUAL(greeting_name(m->from_name, out, sizeof(out)), 1);
		CU_ASSERT_STRING_EQUAL(out, "Sof\xc3\xad"
					    "a Mart\xc3\xad"
					    "nez");
		mime_message_free(&m);
	}
}

static void test_localize(void)
{
	static const struct {
		const char *lang;
		char kind; /* n number, m money, d date */
		double v;
		const char *iso, *want;
	} t[] = {
		{"en", 'n', 1234.5, NULL, "1,234.5"},
		{"de", 'n', 1200, NULL, "1.200"},
		{"fr", 'n', 1200, NULL,
		 "1\xc2\xa0"
		 "200"},
		{"es", 'n', 1.5, NULL, "1,5"},
		{"en", 'm', 1234.5, NULL, "EUR 1,234.50"},
		{"de", 'm', 1234.5, NULL, "1.234,50 EUR"},
		{"fr", 'm', 1234.5, NULL,
		 "1\xc2\xa0"
		 "234,50 EUR"},
		{"es", 'm', 3.95, NULL, "3,95 EUR"},
		{"en", 'm', 1000000, NULL, "EUR 1,000,000.00"},
		{"de", 'd', 0, "2025-03-11", "11.03.2025"},
		{"fr", 'd', 0, "2025-03-11", "11/03/2025"},
		{"es", 'd', 0, "2025-03-11", "11/03/2025"},
		{"en", 'd', 0, "2025-03-11", "11 March 2025"},
		{"it", 'd', 0, "2025-03-11T10:00:00Z", "11 March 2025"},
		{"de", 'd', 0, "2025-02-30", ""},
		{"de", 'd', 0, "11.03.2025", ""},
	};
	char out[64];
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (t[i].kind == 'n')
			r = loc_number(t[i].lang, t[i].v, -1, out, sizeof(out));
		else if (t[i].kind == 'm')
			r = loc_money(t[i].lang, t[i].v, out, sizeof(out));
		else
			r = loc_date(t[i].lang, t[i].iso, out, sizeof(out));
		CU_ASSERT_EQUAL(r, t[i].want[0] != '\0' ? 0 : -1);
		if (strcmp(out, t[i].want) != 0)
			fprintf(stderr, "\n  %s %c: got '%s' want '%s'\n", t[i].lang, t[i].kind,
				out, t[i].want);
		CU_ASSERT_STRING_EQUAL(out, t[i].want);
	}
	CU_ASSERT_EQUAL(loc_money("de", 1e16, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(loc_number("de", 123456789, 0, out, 4), -1);
}

static const struct test_case greeting_cases[] = {
	{"a person's name or not", test_names},
	{"names decoded from mail keep every letter", test_names_from_mail},
	{"numbers, amounts and dates per language", test_localize},
	{NULL, NULL},
};

TEST_SUITE("greeting", NULL, NULL, greeting_cases)
