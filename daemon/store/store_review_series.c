/* SPDX-License-Identifier: MIT */
/* The daily review figures of GET /stats?days=N: one query over drafts,
 * fanned out to overall / category / reviewer rows and laid on a
 * generate_series of UTC dates so that quiet days come back as zeros. */
#include "daemon/store/store_review_series.h"

#include <stdio.h>

#include "daemon/store/store_review_int.h"

/* d: the drafts created or decided in the period, with their UTC dates and
 * whether a human decided them (as promotion counts them: a reviewer that
 * is not 'auto'). e: each draft once overall, once for its category, and
 * once for its reviewer when a human decided it. c counts creations by
 * creation date, r decisions by decision date; k lists the series (every
 * configured category even when quiet); g is the full grid of series x
 * days, and the reviewers' days leave out what reviewers do not create. */
static const char series_sql[] =
	"WITH b AS (SELECT (now() AT TIME ZONE 'UTC')::date AS last,"
	"  (now() AT TIME ZONE 'UTC')::date - ($1::int - 1) AS first),"
	" days AS (SELECT g::date AS day FROM b,"
	"  generate_series(b.first::timestamp, b.last::timestamp, interval '1 day') g),"
	" d AS (SELECT x.category, x.reviewer, x.status, x.edit_distance,"
	"  (x.created_at AT TIME ZONE 'UTC')::date AS cday,"
	"  (x.decided_at AT TIME ZONE 'UTC')::date AS dday,"
	"  (x.reviewer IS NOT NULL AND x.reviewer <> 'auto' AND x.decided_at IS NOT NULL"
	"   AND x.status IN ('approved', 'sent', 'failed', 'rejected')) AS human,"
	"  extract(epoch FROM x.decided_at - x.created_at)::float8 AS secs"
	"  FROM drafts x, b WHERE (x.created_at >= (b.first::timestamp AT TIME ZONE 'UTC')"
	"  OR x.decided_at >= (b.first::timestamp AT TIME ZONE 'UTC')) AND x.origin = 'model'),"
	" e AS (SELECT s.kind, s.key, d.* FROM d CROSS JOIN LATERAL (VALUES"
	"  ('overall', NULL::text), ('category', d.category), ('reviewer', d.reviewer))"
	"  s(kind, key) WHERE s.kind <> 'reviewer' OR d.human),"
	" c AS (SELECT kind, key, cday AS day, count(*) AS drafts,"
	"  count(*) FILTER (WHERE status = 'auto_sent') AS auto_sent"
	"  FROM e WHERE kind <> 'reviewer' GROUP BY 1, 2, 3),"
	" r AS (SELECT kind, key, dday AS day, count(*) AS reviewed,"
	"  count(*) FILTER (WHERE status <> 'rejected' AND edit_distance <= $2::float8)"
	"   AS approved_unchanged,"
	"  count(*) FILTER (WHERE status <> 'rejected' AND edit_distance > $2::float8)"
	"   AS approved_edited,"
	"  count(*) FILTER (WHERE status = 'rejected') AS rejected,"
	"  avg(edit_distance) FILTER (WHERE status <> 'rejected') AS mean_edit_distance,"
	"  percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median_decision_seconds"
	"  FROM e WHERE human GROUP BY 1, 2, 3),"
	" k AS (SELECT 'overall' AS kind, NULL::text AS key"
	"  UNION SELECT 'category', name FROM categories UNION SELECT kind, key FROM e),"
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
	snprintf(t, sizeof(t), "%.17g", unchanged_threshold);
	/* the query always yields its one row */
	r = store_review_one(store, "stats series", series_sql, 2, params, result_r);
	return r == 1 ? 0 : -1;
}
