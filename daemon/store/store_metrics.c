/* SPDX-License-Identifier: MIT */
/* The operational figures /metrics reads per scrape (store_metrics.h). */
#include "daemon/store/store_metrics.h"

#include "daemon/store/store_review_int.h"

int store_metrics_ops(struct store *store, json_t **result_r)
{
	int r = store_review_one(
		store, "metrics",
		"SELECT json_build_object("
		"'auto_enabled', NOT " STORE_AUTO_OFF_SQL ","
		"'category_modes', (SELECT coalesce(json_object_agg(name, mode), '{}')"
		" FROM categories),"
		"'outbox_queued', (SELECT count(*) FROM outbox"
		" WHERE state IN ('pending', 'sending', 'uncertain')),"
		"'outbox_oldest_queued_age_seconds', (SELECT coalesce(floor(extract(epoch FROM"
		" now() - min(created_at)))::bigint, 0) FROM outbox"
		" WHERE state IN ('pending', 'sending', 'uncertain')))::text",
		0, NULL, result_r);

	return r == 1 ? 0 : -1;
}
