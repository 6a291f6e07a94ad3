/* SPDX-License-Identifier: MIT */
#include "daemon/promotion/promo.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

double promo_wilson_lower(long k, long n, double z)
{
	double p, z2, centre, spread;

	if (n <= 0)
		return 0;
	if (k < 0)
		k = 0;
	if (k > n)
		k = n;
	p = (double)k / (double)n;
	z2 = z * z;
	centre = p + z2 / (2.0 * n);
	spread = z * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
	/* k = 0 gives a rounding-size negative */
	return centre > spread ? (centre - spread) / (1 + z2 / n) : 0;
}

const char *promo_never_auto_why(const struct promo_counts *c, const struct promo_policy *p)
{
	/* complaints, legal matters and whatever fits no category always need
	 * a person, config or not */
	if (strcmp(p->name, "complaint") == 0 || strcmp(p->name, "legal") == 0 ||
	    strcmp(p->name, "other") == 0)
		return "built in: other, complaint and legal mail always goes to a person";
	if (p->never_auto)
		return "the configuration says never_auto = on";
	if (c->drafted > 0 && c->never_auto_hits * 2 >= c->drafted)
		return "rules forbade automatic replies or required a human for at least half of"
		       " its drafts";
	return NULL;
}

bool promo_never_auto(const struct promo_counts *c, const struct promo_policy *p)
{
	return promo_never_auto_why(c, p) != NULL;
}

bool promo_eligible(const struct promo_counts *c, const struct promo_policy *p, const char **why_r)
{
	*why_r = NULL;
	if (promo_never_auto(c, p))
		*why_r = "never_auto: complaints, legal matters, or rules forbid automatic replies";
	else if (c->reviewed < (long)p->min_samples)
		*why_r = "fewer reviewed drafts than min_samples";
	else if (c->rejected_wrong > 0)
		*why_r = "a reviewer rejected a draft as wrong in the window";
	else if (promo_wilson_lower(c->unchanged, c->reviewed, PROMO_Z) < p->target_rate)
		*why_r = "lower bound of the unchanged rate is under the target";
	return *why_r == NULL;
}

enum promo_action promo_next(const struct promo_counts *c, const struct promo_policy *p,
			     const char **why_r)
{
	long n = c->post_reviewed + c->post_fine + c->post_bad;
	const char *why;

	*why_r = NULL;
	if (strcmp(p->mode, "auto") == 0) {
		if (c->post_bad > 0)
			*why_r = "a post-send sample was marked bad";
		else if (c->post_wrong > 0)
			*why_r = "a reviewer rejected a draft as wrong";
		else if (promo_never_auto(c, p))
			*why_r = "the category is never_auto";
		else if (n >= (long)p->min_samples &&
			 (double)(c->post_unchanged + c->post_fine) / (double)n < p->target_rate)
			*why_r = "the rolling unchanged rate fell under the target";
		return *why_r != NULL ? PROMO_DEMOTE : PROMO_NONE;
	}
	/* only shadow -> auto: draft has no record of what auto would have done */
	if (strcmp(p->mode, "shadow") != 0 || !p->automatic || !promo_eligible(c, p, &why))
		return PROMO_NONE;
	*why_r = "eligible: the lower bound cleared the target";
	return PROMO_PROMOTE;
}

/* Case-insensitive substring search of needle[0..len). */
static bool contains_ci(const char *hay, const char *needle, size_t len)
{
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, len) == 0)
			return true;
	return false;
}

bool promo_reply_demotes(const char *text, const char *words, bool any)
{
	const char *p = words, *end;
	size_t len;

	if (any)
		return true;
	if (text == NULL || words == NULL)
		return false;
	while (*p != '\0') {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len > 0 && contains_ci(text, p, len))
			return true;
		p = end;
	}
	return false;
}
