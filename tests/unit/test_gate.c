/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/gate.h"
#include "agent/text/text_norm.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* The output gates, one table row per draft sentence: the 20 attacks the
 * issue lists (as an obedient model writes them) and their disguises must
 * raise the named flag; what a correct reply says must raise none. */

static json_t *gate_facts;
static const char *const gate_own[] = {"support@harborparts.example"};
static const char *const gate_allow[] = {"harborparts.example", "dhl.example"};
static const char *const gate_phones[] = {"+49 40 555 0100"};

static const char gate_customer_text[] =
	"Hello, where is order #204518? Our yard is at 14 Quay Street, Galway H91 X2Y3.\n"
	"Priya Nair, Coastal Marine, +353 91 555 2233\n";

static int gate_suite_init(void)
{
	gate_facts = json_pack("{s:[], s:[{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f}]}",
			       "inventory", "order", "key", "SO-204518", "found", 1, "order_id",
			       "SO-204518", "customer_email", "priya.n@coastal-marine.example",
			       "status", "shipped", "carrier", "DHL Express", "tracking_number",
			       "JD014600006317750518", "ship_date", "2025-03-10", "eta",
			       "2025-03-17", "total_eur", 1284.60);
	return gate_facts != NULL ? 0 : -1;
}

static int gate_suite_cleanup(void)
{
	json_decref(gate_facts);
	return 0;
}

static const struct {
	const char *body;
	const char *want; /* the flag names, space-separated; "" for none */
} gate_cases[] = {
	/* a correct reply */
	{"Dear Priya Nair,\n\norder SO-204518 shipped on 2025-03-10 with DHL Express, "
	 "tracking JD014600006317750518, ETA 2025-03-17. Write to support@harborparts.example "
	 "or call +49 40 555 0100. Track it at https://www.dhl.example/track?id=1.\n\n"
	 "Kind regards\nHarbor Parts Co.",
	 ""},
	{"Hola Priya, su pedido SO-204518 se envió el 2025-03-10.", ""},
	{"Sehr geehrte Damen und Herren,\n\nIhre Bestellung ist unterwegs.", ""},
	{"We will deliver to 14 Quay Street, Galway H91 X2Y3 as you asked.", ""},
	{"Ship 200 x HP-20115 at EUR 3.95, total EUR 1284.60.", ""},
	/* links and domains in any form */
	{"Claim it at harborparts-refunds.example/claim today.", "link_not_allowed money_promise"},
	{"Visit https://evil.test/pay now.", "link_not_allowed"},
	{"See www.harborparts.example.evil.test for details.", "link_not_allowed"},
	{"Our new portal is harbor-parts.com.", "link_not_allowed"},
	{"Go to xn--harborprts-9db.example to confirm.", "link_not_allowed"},
	{"Go to h\xc9\x91rborparts.example/claim to confirm.", "link_not_allowed"},
	{"Go to h\xd0\xb0rborparts.example/claim to confirm.", "link_not_allowed lookalike_text"},
	{"Go to harborparts\xef\xbc\x8e"
	 "com/claim now.",
	 "link_not_allowed"},
	{"Use p\xd0\xb0ypal please.", "lookalike_text"},
	{"Visit evil\xe2\x80\x8b.test/x please.", "link_not_allowed"},
	/* addresses */
	{"Write to claims@harborparts-claims.example.", "address_not_allowed"},
	{"Write to claims\xef\xbc\xa0harborparts-claims.test.", "address_not_allowed"},
	{"Reply to ops [at] evil-mail (dot) test.", "address_not_allowed"},
	{"Contact priya.n@coastal-marine.example.", ""},
	{"Contact paul.henderson@henderson-cranes.example.", "address_not_allowed"},
	/* phones */
	{"Message us on WhatsApp: +44 7700 900123.", "phone_not_allowed"},
	{"Call 0151-2345 6789 for help.", "phone_not_allowed"},
	{"Call \xef\xbc\x90\xef\xbc\x91\xef\xbc\x95\xef\xbc\x91 2345678.", "phone_not_allowed"},
	/* payment */
	{"Please note our new bank details: IBAN DE44 5001 0517 5407 3249 31.", "payment_details"},
	{"Bitte \xc3\xbc"
	 "berweisen Sie auf DE44500105175407324931.",
	 "payment_details"},
	{"Our BIC: DEUTDEFF500.", "payment_details"},
	{"Envoyez le virement sur le nouveau compte.", "payment_details"},
	/* promises */
	{"We grant you a 50% discount.", "money_promise"},
	{"We grant you a 50\xef\xbc\x85 discount.", "money_promise"},
	{"You will get a full refund.", "money_promise"},
	{"Wir gew\xc3\xa4hren Ihnen einen Rabatt.", "money_promise"},
	{"Le remplacement est gratuit.", "money_promise"},
	{"The parts are free of charge.", "money_promise"},
	/* other currencies */
	{"The price is $ 12.50 per unit.", "amount_not_in_facts"},
	{"That is 99 USD in total.", "amount_not_in_facts"},
	/* personal data */
	{"Dear Gareth Lloyd,\n\nyour order shipped.", "personal_data"},
	{"As we told Mr. Henderson, the crane parts shipped.", "personal_data"},
	{"We sent it to 7 Harbour Road, Cork.", "personal_data"},
	{"Lieferung an Hauptstra\xc3\x9f"
	 "e 12, 20095 Hamburg.",
	 "personal_data"},
	{"Send it to Calle Mayor 5, Madrid.", "personal_data"},
	{"The pumps went to Harbour Street 4, Westport.", "personal_data"},
	{"We ship to Cork T12 X8Y2.", "personal_data"},
	/* dates: only the facts' own */
	{"It shipped on 10 March 2025 and arrives on 2025-03-17.", ""},
	{"Sie kommt am 17.03.2025 an.", ""},
	{"It will arrive by 24 December 2026.", "date_not_in_facts"},
	{"Lieferung bis 24.12.", "date_not_in_facts"},
	{"Entrega el 3 de abril.", "date_not_in_facts"},
	/* a pasted example */
	{"Dear [NAME], order [ORDER_ID] shipped.", "example_copied"},
};

static void gate_run(const char *body, struct guard_result *res)
{
	struct gate_input in;

	memset(&in, 0, sizeof(in));
	memset(res, 0, sizeof(*res));
	in.subject = "Re: order SO-204518";
	in.body = body;
	in.customer = "priya.n@coastal-marine.example";
	in.customer_name = "Priya Nair";
	in.customer_text = gate_customer_text;
	in.own = gate_own;
	in.own_count = 1;
	in.url_allow = gate_allow;
	in.url_allow_count = 2;
	in.phones = gate_phones;
	in.phones_count = 1;
	in.facts = gate_facts;
	CU_ASSERT_TRUE(gate_check(&in, res) >= 0);
}

static void test_gate_table(void)
{
	struct guard_result res;
	char got[512], want[512];
	size_t i, k, used;
	bool dup;

	for (i = 0; i < ARRAY_SIZE(gate_cases); i++) {
		gate_run(gate_cases[i].body, &res);
		got[0] = '\0';
		used = 0;
		/* the distinct flag names, in table order */
		for (k = 0; k < gate_table_count; k++) {
			dup = false;
			for (size_t j = 0; j < res.count && !dup; j++)
				dup = strcmp(res.flags[j].name, gate_table[k].name) == 0;
			if (dup)
				used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s",
							 used > 0 ? " " : "", gate_table[k].name);
		}
		str_copy(want, sizeof(want), gate_cases[i].want);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "\ngate case %zu \"%.60s\": flags \"%s\", want \"%s\"\n", i,
				gate_cases[i].body, got, want);
			for (k = 0; k < res.count; k++)
				fprintf(stderr, "  %s: %s\n", res.flags[k].name,
					res.flags[k].detail);
		}
		CU_ASSERT_STRING_EQUAL(got, want);
	}
}

/* The distinct flag names res holds, space-separated, in table order. */
static void gate_names(const struct guard_result *res, char *got, size_t size)
{
	size_t k, used = 0;
	bool dup;

	got[0] = '\0';
	for (k = 0; k < gate_table_count; k++) {
		dup = false;
		for (size_t j = 0; j < res->count && !dup; j++)
			dup = strcmp(res->flags[j].name, gate_table[k].name) == 0;
		if (dup && used < size)
			used += (size_t)snprintf(got + used, size - used, "%s%s",
						 used > 0 ? " " : "", gate_table[k].name);
	}
}

/* Built-in drafts of the demo mailbox that the gates held for a reviewer
 * with nothing wrong in them: the customer's own subject read as a phone
 * number, a subject's last number and the salutation below it read as a
 * postcode and town, and the operator's template wording ("15% restocking
 * fee", "the account holder") read as a money promise and payment details.
 * Each also runs without the template's text, or with a sentence the
 * template does not hold: the gate must still fire there. */
static const struct {
	const char *subject, *body, *customer_text, *trusted;
	const char *want;
} gate_demo_cases[] = {
	{"Anfrage Verf\xc3\xbc"
	 "gbarkeit Art.-Nr. 22108 / 23219",
	 "Sehr geehrte Damen und Herren,\n\nvielen Dank f\xc3\xbcr Ihre Anfrage.",
	 "Anfrage Verf\xc3\xbcgbarkeit Art.-Nr. 22108 / 23219\nbitte teilen Sie uns mit", NULL, ""},
	/* the same digits written by the draft, not the customer's subject */
	{"Re: stock", "Rufen Sie 22108 / 23219 an.", "Anfrage 22108 / 23219", NULL,
	 "phone_not_allowed"},
	{"Consulta de disponibilidad ref. 27600",
	 "Buenos d\xc3\xad"
	 "as, Sofia Ibarra:\n\nMuchas gracias por su consulta.",
	 "Consulta de disponibilidad ref. 27600\nSofia Ibarra", NULL, ""},
	{"Re: Return", "Returns of parts that are not defective carry a 15% restocking fee.", "",
	 "Returns ... carry a 15% restocking fee. A colleague will check", ""},
	{"Re: Return", "Returns of parts that are not defective carry a 15% restocking fee.", "",
	 NULL, "money_promise"},
	{"Re: Return", "We grant you a 50% discount.", "", "carry a 15% restocking fee",
	 "money_promise"},
	{"Re: Tracking", "We can only share order details with the account holder.", "",
	 "we can only share order details with the account holder. If you like", ""},
	{"Re: Tracking", "Please send the new bank details to the account holder.", "",
	 "we can only share order details with the account holder.", "payment_details"},
};

static void test_gate_demo(void)
{
	struct guard_result res;
	struct gate_input in;
	char got[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gate_demo_cases); i++) {
		memset(&in, 0, sizeof(in));
		memset(&res, 0, sizeof(res));
		in.subject = gate_demo_cases[i].subject;
		in.body = gate_demo_cases[i].body;
		in.customer = "einkauf@hoffmann-maschinenbau.example";
		in.customer_text = gate_demo_cases[i].customer_text;
		in.trusted = gate_demo_cases[i].trusted;
		in.facts = gate_facts;
		CU_ASSERT_TRUE(gate_check(&in, &res) >= 0);
		gate_names(&res, got, sizeof(got));
		if (strcmp(got, gate_demo_cases[i].want) != 0) {
			fprintf(stderr, "\ngate demo case %zu: flags \"%s\", want \"%s\"\n", i, got,
				gate_demo_cases[i].want);
			for (size_t k = 0; k < res.count; k++)
				fprintf(stderr, "  %s: %s\n", res.flags[k].name,
					res.flags[k].detail);
		}
		CU_ASSERT_STRING_EQUAL(got, gate_demo_cases[i].want);
	}
}

/* The normaliser: fullwidth forms fold, format characters go, invalid
 * bytes become U+FFFD, and mixed scripts are seen. */
static void test_gate_norm(void)
{
	char *s = text_norm("a\xef\xbc\xa0"
			    "b\xe2\x80\x8b"
			    "c\xc2\xad"
			    "d\xef\xac\x81\xff",
			    100);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "a@bcdfi\xef\xbf\xbd");
	free(s);
	CU_ASSERT_TRUE(text_mixed_script("p\xd0\xb0ypal", 7));
	CU_ASSERT_FALSE(text_mixed_script("Stra\xc3\x9f"
					  "e",
					  7));
	CU_ASSERT_FALSE(text_mixed_script("\xd0\xbf\xd1\x80\xd0\xb8", 6));
}

/* The ASCII fast path (a copy) answers what the full NFKC path answers:
 * each random ASCII string (every byte 1-127, the max cut anywhere) is
 * normalised alone (fast path) and with a non-ASCII "\u00e9" appended
 * (full path), which adds exactly that character. Seeded: a failure
 * prints the seed and the string. */
static void test_gate_norm_ascii(void)
{
	unsigned int seed = 14;
	char in[300], with[310], want[310];

	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 200), max = (size_t)(rand_r(&seed) % 250);
		char *fast, *full;

		for (size_t i = 0; i < len; i++)
			in[i] = (char)(1 + rand_r(&seed) % 127);
		in[len] = '\0';
		snprintf(with, sizeof(with), "%.*s\xc3\xa9", (int)(max < len ? max : len), in);
		fast = text_norm(in, max);
		full = text_norm(with, sizeof(with));
		CU_ASSERT_PTR_NOT_NULL_FATAL(fast);
		CU_ASSERT_PTR_NOT_NULL_FATAL(full);
		snprintf(want, sizeof(want), "%s\xc3\xa9", fast);
		if (strcmp(want, full) != 0) {
			fprintf(stderr,
				"\ntext_norm ASCII fast path differs (seed 14, round %d): %s\n",
				round, in);
			CU_FAIL("ASCII fast path");
			round = 2000;
		}
		free(fast);
		free(full);
	}
}

/* deploy/SECURITY.md lists every gate of the code's table by name. */
static void test_gate_docs(void)
{
	char path[4096], *doc = NULL, needle[64];
	size_t len, i;

	snprintf(path, sizeof(path), "%s/deploy/SECURITY.md", test_src_dir());
	CU_ASSERT_EQUAL_FATAL(file_read_all(path, 1 << 20, &doc, &len, NULL), 0);
	for (i = 0; i < gate_table_count; i++) {
		snprintf(needle, sizeof(needle), "`%s`", gate_table[i].name);
		if (strstr(doc, needle) == NULL)
			fprintf(stderr, "\ndeploy/SECURITY.md does not name the gate %s\n", needle);
		CU_ASSERT_PTR_NOT_NULL(strstr(doc, needle));
	}
	free(doc);
}

static const struct test_case gate_cases_list[] = {
	{"every attack of the table raises its flag, clean replies none", test_gate_table},
	{"NFKC without format characters; mixed scripts", test_gate_norm},
	{"NFKC: the ASCII fast path answers as the full path", test_gate_norm_ascii},
	{"deploy/SECURITY.md names every gate", test_gate_docs},
	{"the demo's clean drafts raise nothing; the same words elsewhere do", test_gate_demo},
	{NULL, NULL},
};
TEST_SUITE("gate", gate_suite_init, gate_suite_cleanup, gate_cases_list)
