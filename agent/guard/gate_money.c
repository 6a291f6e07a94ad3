/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/guard/gate_int.h"
#include "daemon/lib/util.h"

/* Payment details, money promises and foreign-currency amounts in a draft.
 * The word lists run on the lower-case normalised text, en/de/es/fr. */

#define GATE_IBAN_RE                                                      \
	"(?<![\\p{L}\\p{N}])([a-z]{2}\\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ " \
	"]?[a-z0-9]{1,4})?)(?![\\p{L}\\p{N}])"
#define GATE_BIC_RE \
	"\\b(?:bic|swift)(?:[ -]?code)?\\s*[:#]?\\s*([a-z]{6}[a-z0-9]{2}(?:[a-z0-9]{3})?)\\b"

static const char gate_payment_re[] =
	"\\b(?:bank\\s+(?:details|account|information|info|data|transfer|connection)|"
	"account\\s+(?:number|details|holder)|iban|sort\\s+code|routing\\s+number|"
	"wire\\s+(?:transfer|the|us|it|your|payment|money|funds)|wired|"
	"transfer\\s+(?:the\\s+)?(?:amount|money|payment|funds|sum)|"
	"(?:new|updated|changed|different)\\s+(?:bank|account|payment\\s+details|iban)|"
	"paypal|western\\s+union|moneygram|bitcoin|crypto\\w*|gift\\s+cards?|"
	"bankverbindung|bankdaten|kontonummer|kontoverbindung|konto(?:inhaber)?\\b|"
	"uberweis\\w*|überweis\\w*|neue[nrs]?\\s+(?:bank|konto|iban)|"
	"datos\\s+bancarios|cuenta\\s+(?:bancaria|corriente)|n[uú]mero\\s+de\\s+cuenta|"
	"transferencia|nuev[oa]s?\\s+(?:datos\\s+bancarios|cuenta|iban)|"
	"coordonn[ée]es\\s+bancaires|compte\\s+bancaire|num[ée]ro\\s+de\\s+compte|"
	"\\brib\\b|virement|nouvel(?:le)?s?\\s+(?:coordonn[ée]es|compte|iban))";

/* Money promises: the alternatives of one pattern, run as its parts
 * (gate_each_alt(): several times faster than their union). */
const struct gate_alt gate_promise_alts[] = {
	{"\\d+(?:[.,]\\d+)?\\s?%", NULL, false},
	{"\\bper\\s?cent\\b", NULL, false},
	{"\\bprozent\\b", NULL, false},
	{"\\bpor\\s+ciento\\b", NULL, false},
	{"\\bpour\\s?cent\\b", NULL, false},
	{"\\b(?:discount\\w*|rebate\\w*|refund\\w*|reimburs\\w*|credit\\s+note|store\\s+credit|"
	 "credit\\s+(?:you|your\\s+account)|vouchers?|coupons?|promo\\s+code|free\\s+of\\s+charge|"
	 "for\\s+free|free\\s+(?:shipping|delivery|replacement|of\\s+cost)|"
	 "at\\s+no\\s+(?:extra\\s+|additional\\s+)?(?:cost|charge)|waive\\w*|compensat\\w*|"
	 "goodwill|cash\\s?back|price\\s+match\\w*|money\\s+back|"
	 "rabatt\\w*|nachlass|preisnachlass|skonto|gutschrift\\w*|erstatt\\w*|"
	 "r[uü]ckerstatt\\w*|gutschein\\w*|kostenlos\\w*|gratis|umsonst|entsch[aä]dig\\w*|"
	 "kulanz\\w*|descuento\\w*|reembols\\w*|abono\\w*|nota\\s+de\\s+cr[eé]dito|"
	 "gratuit\\w*|sin\\s+coste?|cup[oó]n\\w*|compensaci[oó]n|bonificaci[oó]n|"
	 "remise\\w*|r[ée]duction\\w*|rabais|rembours\\w*|\\bavoir\\b|bon\\s+d'achat|"
	 "d[ée]dommag\\w*|geste\\s+commercial)\\b",
	 NULL, false},
};
const size_t gate_promise_alts_count = ARRAY_SIZE(gate_promise_alts);

/* "$ 12.50", "USD 12", "12 GBP", "£5", "CHF 40", "12 dollars" */
#define GATE_CUR                                                                  \
	"(?:\\$|usd|us\\$|£|gbp|chf|¥|jpy|cny|sek|nok|dkk|pln|czk|huf|aud|cad|" \
	"₹|inr|rub|₽|btc|dollars?|pounds?|francs?|yen)"
/* The currency first (the number is group 1), or the number first (no
 * group: the hit reads it from the match's start) */
const struct gate_alt gate_amount_alts[] = {
	{GATE_CUR "\\s?(\\d[\\d.,' ]*\\d|\\d)", NULL, false},
	{"(?<![\\d.,])(?:\\d[\\d.,']*\\d|\\d)\\s?" GATE_CUR "(?![\\p{L}])", NULL, false},
};
const size_t gate_amount_alts_count = ARRAY_SIZE(gate_amount_alts);

static void gate_iban_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	const char *t = c->text + g1s;
	size_t n = g1e - g1s, i, alnum = 0, digits = 0;

	(void)s;
	(void)e;
	for (i = 0; i < n; i++) {
		if (t[i] != ' ')
			alnum++;
		if (t[i] >= '0' && t[i] <= '9')
			digits++;
	}
	/* IBANs are 15..34 characters and mostly digits; a tracking number of
	 * the facts has the shape too */
	if (alnum < 15 || alnum > 34 || digits < 8 || gate_in_facts(c, t, n))
		return;
	gate_flag(c, "%.*s looks like a bank account number (IBAN)", (int)(n < 50 ? n : 50), t);
}

static void gate_bic_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)s;
	(void)e;
	gate_flag(c, "a bank code (BIC) %.*s", (int)(g1e - g1s), c->text + g1s);
}

static void gate_word_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)g1s;
	(void)g1e;
	if (gate_trusted(c, c->text + s, e - s))
		return;
	gate_flag(c, "\"%.*s\"", (int)(e - s < 60 ? e - s : 60), c->text + s);
}

void gate_payment(struct gate_ctx *c)
{
	pcre2_code *iban = gate_compile(c, GATE_IBAN_RE, true);
	pcre2_code *bic = gate_compile(c, GATE_BIC_RE, true);
	pcre2_code *words = gate_compile(c, gate_payment_re, true);

	gate_each(c, iban, false, gate_iban_hit);
	gate_each(c, bic, false, gate_bic_hit);
	gate_each(c, words, true, gate_word_hit);
}

void gate_promise(struct gate_ctx *c)
{
	gate_each_alt(c, gate_promise_alts, gate_promise_alts_count, true, true, gate_word_hit);
}

static void gate_amount_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	const char *num;
	size_t n;

	if (g1s != PCRE2_UNSET && g1e > g1s) {
		num = c->text + g1s;
		n = g1e - g1s;
	} else {
		/* the second alternative: the number comes first */
		num = c->text + s;
		n = strspn(num, "0123456789.,'");
	}
	if (n > 0 && gate_in_facts(c, num, n))
		return;
	gate_flag(c, "%.*s is an amount the facts do not hold", (int)(e - s < 60 ? e - s : 60),
		  c->text + s);
}

void gate_amounts(struct gate_ctx *c)
{
	gate_each_alt(c, gate_amount_alts, gate_amount_alts_count, true, false, gate_amount_hit);
}
