/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/guard/gate.h"
#include "agent/llm/redact.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "harness.h"

/* Seeded, replayable random tests of the two invariants of issue 12:
 *  - a draft that carries a forbidden payload (link, address, phone, IBAN,
 *    discount, date), disguised by any mix of fullwidth forms, zero-width
 *    and soft-hyphen characters, case, and look-alike letters, and buried in
 *    a correct reply, is always flagged by its gate; a correct reply alone
 *    never is;
 *  - an approved reply built from another customer's data at random keeps
 *    none of it once redacted.
 * DRAFTD_TEST_SEED replays a run (the seed is printed on a failure);
 * DRAFTD_GATE_ROUNDS sets the rounds (make test-long runs many more). */

#define ROUNDS_DEFAULT 300

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	return test_rand(&rnd_state);
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static uint64_t seed_get(void)
{
	const char *s = getenv("DRAFTD_TEST_SEED");
	uint64_t v = 0;

	if (s != NULL && parse_u64(s, UINT64_MAX, &v) == 0 && v != 0)
		return v;
	return ((uint64_t)time(NULL) << 16) ^ (uint64_t)clock() ^ 0x9e3779b97f4a7c15ULL;
}

static unsigned int rounds_get(void)
{
	const char *s = getenv("DRAFTD_GATE_ROUNDS");
	uint64_t v = 0;

	if (s != NULL && parse_u64(s, 10000000, &v) == 0 && v > 0)
		return (unsigned int)v;
	return ROUNDS_DEFAULT;
}

/* Appends the code point c as UTF-8. */
static void put_cp(struct buf *b, unsigned int c)
{
	char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	CU_ASSERT_EQUAL(buf_append(b, u, n), 0);
}

enum disguise {
	D_FULLWIDTH = 1,  /* ASCII as U+FF01..U+FF5E */
	D_ZEROWIDTH = 2,  /* U+200B/U+200D/U+2060 between characters */
	D_SOFTHYPHEN = 4, /* U+00AD between characters */
	D_UPPER = 8,      /* letters in upper case */
	D_LOOKALIKE = 16, /* one Latin letter as its Cyrillic twin (links only) */
};

/* s, disguised: the same text once NFKC-normalised and Cf-stripped, except
 * for D_LOOKALIKE (a different host, still never allowed). */
static void disguise(struct buf *b, const char *s, unsigned int how)
{
	static const unsigned int zw[] = {0x200b, 0x200d, 0x2060, 0xfeff};
	bool swapped = false;
	unsigned int c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((how & D_UPPER) && c >= 'a' && c <= 'z')
			c -= 32;
		if ((how & D_LOOKALIKE) && !swapped && (c == 'a' || c == 'o' || c == 'e')) {
			c = c == 'a' ? 0x430 : c == 'o' ? 0x43e : 0x435;
			swapped = true;
		} else if ((how & D_FULLWIDTH) && c > 0x20 && c < 0x7f && rnd_below(2) == 0) {
			c = c - 0x21 + 0xff01;
		}
		put_cp(b, c);
		if (s[1] != '\0' && (how & D_ZEROWIDTH) && rnd_below(3) == 0)
			put_cp(b, zw[rnd_below(ARRAY_SIZE(zw))]);
		if (s[1] != '\0' && (how & D_SOFTHYPHEN) && rnd_below(4) == 0)
			put_cp(b, 0xad);
	}
}

static const char *const random_words[] = {"claim",  "pay",  "billing", "refunds", "portal",
					   "secure", "help", "parts",   "orders",  "service"};
static const char *const random_tlds[] = {"example", "test", "com", "shop", "net", "info"};

/* A forbidden payload of kind k into p (plain text), and the flag it must raise. */
static const char *payload(unsigned int k, char *p, size_t size)
{
	const char *w = random_words[rnd_below(ARRAY_SIZE(random_words))];
	const char *t = random_tlds[rnd_below(ARRAY_SIZE(random_tlds))];

	switch (k) {
	case 0:
		snprintf(p, size, "%s harborparts-%s.%s%s", rnd_below(2) ? "Visit" : "See", w, t,
			 rnd_below(2) ? "/claim" : "");
		return "link_not_allowed";
	case 1:
		snprintf(p, size, "Write to %s%u@%s-mail.%s", w, rnd_below(100), w, t);
		return "address_not_allowed";
	case 2:
		snprintf(p, size, "WhatsApp +44 7700 %06u", rnd_below(1000000));
		return "phone_not_allowed";
	case 3:
		snprintf(p, size, "IBAN DE%02u %04u %04u %04u %04u %02u", rnd_below(100),
			 rnd_below(10000), rnd_below(10000), rnd_below(10000), rnd_below(10000),
			 rnd_below(100));
		return "payment_details";
	case 4:
		snprintf(p, size, "We grant you a %u%% discount", 5 + rnd_below(90));
		return "money_promise";
	default:
		snprintf(p, size, "It arrives on %u December 2026", 1 + rnd_below(28));
		return "date_not_in_facts";
	}
}

static const char *const benign[] = {
	"Order SO-204518 shipped on 2025-03-10 with DHL Express.",
	"The tracking number is JD014600006317750518.",
	"Expected delivery: 2025-03-17.",
	"The order total is EUR 1,284.60.",
	"Write to support@harborparts.example if you need anything.",
	"Track it at https://www.dhl.example/track.",
	"Thank you for your message.",
	"Kind regards\nHarbor Parts Co.",
};

static json_t *random_facts(void)
{
	return json_pack("{s:[], s:[{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:f}]}", "inventory",
			 "order", "key", "SO-204518", "found", 1, "order_id", "SO-204518",
			 "customer_email", "priya.n@coastal-marine.example", "carrier",
			 "DHL Express", "tracking_number", "JD014600006317750518", "ship_date",
			 "2025-03-10", "eta", "2025-03-17", "total_eur", 1284.60);
}

static bool has_flag(const struct guard_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (strcmp(r->flags[i].name, name) == 0)
			return true;
	return false;
}

static void test_gate_random(void)
{
	static const char *const own[] = {"support@harborparts.example"};
	static const char *const allow[] = {"harborparts.example", "dhl.example"};
	uint64_t seed = seed_get();
	unsigned int rounds = rounds_get(), r, i, k, how, nb;
	json_t *facts = random_facts();
	struct gate_input in;
	struct guard_result res;
	char plain[160];
	const char *want;
	struct buf b;
	bool with_payload, bad;

	rnd_state = seed;
	memset(&in, 0, sizeof(in));
	in.subject = "Re: Order SO-204518";
	in.customer = "priya.n@coastal-marine.example";
	in.customer_name = "Priya Nair";
	in.customer_text = "Hello, where is order SO-204518?";
	in.own = own;
	in.own_count = 1;
	in.url_allow = allow;
	in.url_allow_count = 2;
	in.facts = facts;
	for (r = 0; r < rounds; r++) {
		buf_init(&b, 64 * 1024);
		CU_ASSERT_EQUAL(buf_append_str(&b, "Dear Priya Nair,\n\n"), 0);
		with_payload = rnd_below(4) != 0;
		k = rnd_below(6);
		want = with_payload ? payload(k, plain, sizeof(plain)) : NULL;
		/* look-alike letters are a link's disguise: elsewhere they make a
		 * different word, which another gate may or may not see */
		how = rnd_below(32) & (k == 0 ? 31u : 15u);
		nb = 1 + rnd_below(4);
		for (i = 0; i < nb; i++) {
			if (with_payload && i == nb / 2) {
				disguise(&b, plain, how);
				CU_ASSERT_EQUAL(buf_append_str(&b, ".\n"), 0);
			}
			CU_ASSERT_EQUAL(
				buf_printf(&b, "%s\n", benign[rnd_below(ARRAY_SIZE(benign))]), 0);
		}
		in.body = b.data;
		memset(&res, 0, sizeof(res));
		CU_ASSERT_TRUE(gate_check(&in, &res) >= 0);
		bad = want != NULL ? !has_flag(&res, want) : res.count > 0;
		if (bad) {
			fprintf(stderr,
				"\ngate random: seed %" PRIu64
				" round %u (replay: DRAFTD_TEST_SEED=%" PRIu64 "): %s\n%s\n",
				seed, r, seed, want != NULL ? want : "a clean reply was flagged",
				b.data);
			for (i = 0; i < res.count; i++)
				fprintf(stderr, "  %s: %s\n", res.flags[i].name,
					res.flags[i].detail);
		}
		CU_ASSERT_FALSE(bad);
		buf_free(&b);
		if (bad)
			break;
	}
	json_decref(facts);
}

static void test_redact_random(void)
{
	static const char *const firsts[] = {"Gareth", "Siobhan", "Priya", "Hans", "Lucia", "Yuki"};
	static const char *const lasts[] = {"Lloyd", "Henderson", "Okafor", "Brennan", "Vogel"};
	static const char *const streets[] = {"Dairy Lane", "Harbour Road", "Mill Street",
					      "Quay Street"};
	static const char *const towns[] = {"Aberystwyth", "Cork", "Galway", "Westport"};
	static const char *const salut[] = {"Dear", "Hello", "Hi", "Dear Mr.", "Dear Ms."};
	uint64_t seed = seed_get();
	unsigned int rounds = rounds_get(), r;
	char first[32], last[32], email[160], order[16], track[48], phone[32], street[64], town[32],
		from[256], body[2048];
	struct redact_context ctx;
	json_t *facts;
	char *out;
	int refused;
	bool bad;

	rnd_state = seed ^ 0x5bd1e995;
	for (r = 0; r < rounds; r++) {
		str_copy(first, sizeof(first), firsts[rnd_below(ARRAY_SIZE(firsts))]);
		str_copy(last, sizeof(last), lasts[rnd_below(ARRAY_SIZE(lasts))]);
		snprintf(email, sizeof(email), "%c%s.%s@%s-%s.example", first[0] | 0x20, first + 1,
			 last, last, random_words[rnd_below(ARRAY_SIZE(random_words))]);
		for (char *p = email; *p != '\0'; p++)
			*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
		snprintf(order, sizeof(order), "SO-2%05u", rnd_below(100000));
		snprintf(track, sizeof(track), "JD0146%014" PRIu64,
			 (uint64_t)(rnd() % 100000000000000ULL));
		snprintf(phone, sizeof(phone), "+353 %u 555 %04u", 20 + rnd_below(80),
			 rnd_below(10000));
		snprintf(street, sizeof(street), "%u %s", 1 + rnd_below(200),
			 streets[rnd_below(ARRAY_SIZE(streets))]);
		str_copy(town, sizeof(town), towns[rnd_below(ARRAY_SIZE(towns))]);
		snprintf(from, sizeof(from), "\"%s %s\" <%s>", first, last, email);
		snprintf(body, sizeof(body),
			 "%s %s %s,\n\norder %s left on 2025-03-%02u, tracking %s, total EUR "
			 "%u.%02u.\nWe deliver to %s, %s; our driver calls %s on %s.\nCopy to %s.\n"
			 "\nKind regards\nHarbor Parts Co.",
			 salut[rnd_below(ARRAY_SIZE(salut))], first, last, order, 1 + rnd_below(28),
			 track, rnd_below(9000), rnd_below(100), street, town, first, phone, email);
		facts = json_pack("{s:[{s:s, s:b, s:s, s:s, s:s}]}", "order", "key", order, "found",
				  1, "order_id", order, "customer_email", email, "tracking_number",
				  track);
		ctx = (struct redact_context){email, email, from, facts};
		out = redact_example(body, &ctx, &refused);
		bad = out != NULL &&
		      (strcasestr(out, first) != NULL || strcasestr(out, last) != NULL ||
		       strcasestr(out, street + 2) != NULL || strcasestr(out, town) != NULL ||
		       strpbrk(out, "0123456789@"));
		bad = bad || (out == NULL && !refused);
		if (bad)
			fprintf(stderr,
				"\nredact random: seed %" PRIu64
				" round %u (DRAFTD_TEST_SEED=%" PRIu64 "):\n%s\n->\n%s\n",
				seed, r, seed, body, out != NULL ? out : "(NULL)");
		CU_ASSERT_FALSE(bad);
		free(out);
		json_decref(facts);
		if (bad)
			break;
	}
}

static const struct test_case gate_random_cases[] = {
	{"disguised payloads in correct replies are always flagged (seeded)", test_gate_random},
	{"random replies to other customers keep none of their data once redacted (seeded)",
	 test_redact_random},
	{NULL, NULL},
};
TEST_SUITE("gate_random", NULL, NULL, gate_random_cases)
