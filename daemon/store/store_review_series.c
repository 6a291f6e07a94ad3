/* SPDX-License-Identifier: MIT */
/* The daily review figures of GET /stats?days=N: one query over the rollups,
 * fanned out to overall / category / reviewer rows and laid on a
 * generate_series of UTC dates so that quiet days come back as zeros. */
#include "daemon/store/store_review_series.h"

#include <stdio.h>

#include "daemon/store/store_review_int.h"

/* From the day rows of draft_rollup (schemas/migrations/0175), a few per
 * day, category and person whatever the number of drafts. e: each rollup
 * row once overall, once for its category and, for a person's decision
 * row, once for that person. c counts creations by creation day (the
 * creation rows, reviewer IS NULL), r people's decisions by decision day;
 * $2 is the number of edit-distance histogram elements at or under the
 * unchanged threshold (each row's head is summed: no histogram is added
 * up), the median decision time is read from the summed decision-time
 * histogram (within 5%). k lists the series (every configured category
 * even when quiet); g is the full grid of series x days, and the
 * reviewers' days leave out what reviewers do not create. */
static const char series_sql[] =
	"WITH b AS (SELECT (now() AT TIME ZONE 'UTC')::date AS last,"
	"  (now() AT TIME ZONE 'UTC')::date - ($1::int - 1) AS first),"
	" days AS (SELECT g::date AS day FROM b,"
	"  generate_series(b.first::timestamp, b.last::timestamp, interval '1 day') g),"
	" e AS (SELECT s.kind, s.key, x.* FROM draft_rollup x CROSS JOIN b CROSS JOIN LATERAL"
	"  (VALUES ('overall', NULL::text), ('category', x.category), ('reviewer', x.reviewer))"
	"  s(kind, key) WHERE x.day BETWEEN b.first AND b.last"
	"  AND (s.kind <> 'reviewer' OR x.reviewer IS NOT NULL)),"
	" c AS (SELECT kind, key, day, sum(drafted)::bigint AS drafts,"
	"  sum(auto_sent)::bigint AS auto_sent FROM e WHERE reviewer IS NULL"
	"  GROUP BY 1, 2, 3 HAVING sum(drafted) <> 0),"
	" h AS (SELECT kind, key, day, sum(reviewed)::bigint AS reviewed,"
	"  sum(rejected)::bigint AS rejected, sum(appr_edit_n)::bigint AS appr_n,"
	"  sum(appr_edit_sum) AS appr_sum,"
	"  sum(draft_rollup_hist_head(edit_hist, $2::int))::bigint AS approved_unchanged,"
	"  draft_rollup_hist_sum(secs_hist) AS sh FROM e WHERE reviewer IS NOT NULL"
	"  GROUP BY 1, 2, 3 HAVING sum(reviewed) <> 0),"
	" r AS (SELECT kind, key, day, reviewed, rejected, approved_unchanged,"
	"  appr_n - approved_unchanged AS approved_edited,"
	"  (appr_sum / nullif(appr_n, 0))::float8 AS mean_edit_distance,"
	"  draft_rollup_secs_quantile(sh, 0.5) AS median_decision_seconds FROM h),"
	" k AS (SELECT 'overall' AS kind, NULL::text AS key"
	"  UNION SELECT 'category', name FROM categories"
	"  UNION SELECT kind, key FROM c UNION SELECT kind, key FROM r),"
	" g AS (SELECT k.kind, k.key, days.day, jsonb_build_object("
	"  'day', to_char(days.day, 'YYYY-MM-DD'), 'drafts', coalesce(c.drafts, 0),"
	"  'auto_sent', coalesce(c.auto_sent, 0), 'reviewed', coalesce(r.reviewed, 0),"
	"  'approved_unchanged', coalesce(r.approved_unchanged, 0),"
	"  'approved_edited', coalesce(r.approved_edited, 0),"
	"  'rejected', coalesce(r.rejected, 0),"
	"  'unchanged_rate', r.approved_unchanged::float8 / nullif(r.reviewed, 0),"
	"  'mean_edit_distance', r.mean_edit_distance,"
	"  'median_decision_seconds', r.median_decision_seconds)"
	"  - CASE WHEN k.kind = 'reviewer' THEN ARRAY['drafts', 'auto_sent']"
	"   ELSE ARRAY[]::text[] END AS j"
	"  FROM k CROSS JOIN days"
	"  LEFT JOIN c ON c.kind = k.kind AND c.key IS NOT DISTINCT FROM k.key AND c.day = days.day"
	"  LEFT JOIN r ON r.kind = k.kind AND r.key IS NOT DISTINCT FROM k.key"
	"   AND r.day = days.day),"
	" s AS (SELECT kind, key, json_agg(j ORDER BY day) AS days FROM g GROUP BY kind, key)"
	" SELECT json_build_object('days', $1::int, 'from', to_char(b.first, 'YYYY-MM-DD'),"
	"  'to', to_char(b.last, 'YYYY-MM-DD'),"
	"  'overall', (SELECT days FROM s WHERE kind = 'overall'),"
	"  'categories', coalesce((SELECT json_agg(json_build_object('category', key, 'days', days)"
	"   ORDER BY key NULLS LAST) FROM s WHERE kind = 'category'), '[]'::json),"
	"  'reviewers', coalesce((SELECT json_agg(json_build_object('reviewer', key, 'days', days)"
	"   ORDER BY key) FROM s WHERE kind = 'reviewer'), '[]'::json))::text FROM b";

unsigned int store_rollup_unchanged_elems(double t)
{
	/* the 1e-6 keeps 0.05 (a hair under 5 hundredths as a double) at 5 */
	if (!(t >= 0))
		return 1;
	if (t > 1.01)
		t = 1.01;
	return (unsigned int)(t * 100.0 + 1e-6) + 1;
}

int store_review_series(struct store *store, unsigned int days, double unchanged_threshold,
			json_t **result_r)
{
	char n[16], t[32];
	const char *params[2] = {n, t};
	int r;

	if (days < 1)
		days = 1;
	if (days > REVIEW_SERIES_MAX_DAYS)
		days = REVIEW_SERIES_MAX_DAYS;
	snprintf(n, sizeof(n), "%u", days);
	snprintf(t, sizeof(t), "%u", store_rollup_unchanged_elems(unchanged_threshold));
	/* the query always yields its one row */
	r = store_review_one(store, "stats series", series_sql, 2, params, result_r);
	return r == 1 ? 0 : -1;
}
