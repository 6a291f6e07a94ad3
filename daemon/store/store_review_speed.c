/* SPDX-License-Identifier: MIT */
/* The reviewers' speed (store_review_speed.h): one statement, the gaps
 * between each person's consecutive decisions by a window function. */
#include "daemon/store/store_review_speed.h"

#include <stdio.h>

#include "daemon/store/store_private.h"

#define SPEED_COLUMNS                                                                        \
	"'decisions', count(*), 'timed', count(gap) FILTER (WHERE gap <= $2::int),"          \
	" 'median_seconds_per_decision', round((percentile_cont(0.5) WITHIN GROUP (ORDER BY" \
	" gap) FILTER (WHERE gap <= $2::int))::numeric, 1),"                                 \
	" 'p90_seconds_per_decision', round((percentile_cont(0.9) WITHIN GROUP (ORDER BY"    \
	" gap) FILTER (WHERE gap <= $2::int))::numeric, 1),"                                 \
	" 'active_hours', count(DISTINCT date_trunc('hour', decided_at)),"                   \
	" 'decisions_per_hour', round(count(*)::numeric / greatest(count(DISTINCT"           \
	" date_trunc('hour', decided_at)), 1), 1)"

int store_review_speed(struct store *store, uint32_t window_s, uint32_t break_s, json_t **speed_r)
{
	char window[16], brk[16];
	const char *params[2] = {window, brk};
	PGresult *res;
	json_t *rows = NULL, *overall = NULL, *row;
	int i, ret = -1;

	snprintf(window, sizeof(window), "%u", window_s);
	snprintf(brk, sizeof(brk), "%u", break_s);
	/* the last row (GROUPING = 1) is everyone together */
	res = store_exec(
		store, "review speed",
		"WITH d AS (SELECT reviewer, decided_at, extract(epoch FROM decided_at - lag("
		"  decided_at) OVER (PARTITION BY reviewer ORDER BY decided_at)) AS gap"
		"  FROM drafts WHERE reviewer IS NOT NULL AND reviewer <> 'auto'"
		"  AND decided_at IS NOT NULL"
		"  AND decided_at > now() - make_interval(secs => $1::int))"
		" SELECT json_build_object('reviewer', reviewer, " SPEED_COLUMNS ")::text,"
		" GROUPING(reviewer) FROM d GROUP BY ROLLUP (reviewer)"
		" ORDER BY GROUPING(reviewer), reviewer",
		2, params);
	if (res == NULL)
		return -1;
	rows = json_array();
	for (i = 0; rows != NULL && i < PQntuples(res); i++) {
		row = json_loads(PQgetvalue(res, i, 0), 0, NULL);
		if (row == NULL)
			goto out;
		if (PQgetvalue(res, i, 1)[0] == '1') {
			json_object_del(row, "reviewer");
			json_decref(overall);
			overall = row;
		} else if (json_array_append_new(rows, row) < 0) {
			goto out;
		}
	}
	if (rows == NULL)
		goto out;
	if (overall == NULL) /* no decisions in the window: ROLLUP has no row */
		overall = json_pack("{s:i, s:i, s:n, s:n, s:i, s:i}", "decisions", 0, "timed", 0,
				    "median_seconds_per_decision", "p90_seconds_per_decision",
				    "active_hours", 0, "decisions_per_hour", 0);
	*speed_r = json_pack("{s:i, s:i, s:o, s:o}", "window_seconds", (int)window_s,
			     "break_seconds", (int)break_s, "overall", overall, "reviewers", rows);
	overall = rows = NULL;
	ret = *speed_r != NULL ? 0 : -1;
out:
	if (ret < 0)
		error_set(&store->err, "review speed: out of memory");
	json_decref(rows);
	json_decref(overall);
	PQclear(res);
	return ret;
}
