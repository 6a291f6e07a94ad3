/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_PROMOTION_H
#define DRAFTD_PROMOTION_H

#include <stdbool.h>

/* The arithmetic of promotion and demotion (DESIGN.md step 10), pure so it
 * is tested table by table: the Wilson score bound, eligibility, what the
 * promotion service does next for a category, which automatic replies are
 * sampled, and whether a customer's reply demotes. The counts come from
 * daemon/store/store_promotion.c; the service in daemon/promotion/promotion.c acts. */

#define PROMO_Z 1.96 /* 95% two-sided */

/* One category's evidence over the stats window. */
struct promo_counts {
	long drafted;         /* drafts made */
	long reviewed;        /* decided by a human: approved or rejected */
	long unchanged;       /* approved with edit distance <= the threshold */
	long edited;          /* approved with more changes */
	long rejected;        /* rejected, any reason */
	long rejected_wrong;  /* rejected as wrong: a corrected category, or a reason
			       * starting with "wrong" (store_promotion.c) */
	long never_auto_hits; /* drafts a never_auto / require_human rule fired for */
	/* since the category last became auto (zero while it is not) */
	long post_reviewed, post_unchanged, post_wrong;
	long post_fine, post_bad; /* post-send sample verdicts */
};

/* The category's row and config. */
struct promo_policy {
	const char *name;
	const char *mode; /* off | draft | shadow | auto */
	unsigned int min_samples;
	double target_rate;
	bool automatic;  /* promotion = automatic */
	bool never_auto; /* the config's never_auto key */
};

/* The Wilson score interval's lower bound of k successes in n trials at
 * normal quantile z: (p + z²/2n - z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
 * 0 when n is 0. */
double promo_wilson_lower(long k, long n, double z);

/* True when the category can never be promoted: the config says so, it is
 * other, complaint or legal (out of the box, whatever the config says), or a
 * never_auto/require_human rule fired for at least half of its drafts in
 * the window. */
bool promo_never_auto(const struct promo_counts *c, const struct promo_policy *p);
/* Why promo_never_auto() is true (static text), or NULL when it is not. */
const char *promo_never_auto_why(const struct promo_counts *c, const struct promo_policy *p);

/* True when the category's evidence clears the bar: at least min_samples
 * reviewed, Wilson lower bound of unchanged/reviewed >= target_rate, no
 * rejection as wrong in the window, and not never_auto. *why_r (static)
 * names the first reason it is not. */
bool promo_eligible(const struct promo_counts *c, const struct promo_policy *p, const char **why_r);

enum promo_action { PROMO_NONE = 0, PROMO_PROMOTE, PROMO_DEMOTE };

/* What the promotion service does for a category now: promote a shadow
 * category that is eligible under promotion = automatic (never from draft),
 * demote an auto category when a post-send sample was marked bad, a reviewer
 * rejected one of its drafts as wrong, it is never_auto, or its rolling
 * unchanged rate since promotion ((unchanged + fine) / (reviewed + sampled
 * verdicts), once there are min_samples of them) fell under target_rate.
 * *why_r (static) says why. */
enum promo_action promo_next(const struct promo_counts *c, const struct promo_policy *p,
			     const char **why_r);

/* True when a customer's reply text on an automatically answered thread
 * demotes the category: any reply when any, else one containing one of the
 * comma-separated words (case-insensitive; blank entries ignored). */
bool promo_reply_demotes(const char *text, const char *words, bool any);

#endif
