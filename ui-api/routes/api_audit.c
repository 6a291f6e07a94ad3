/* SPDX-License-Identifier: MIT */
/* GET /audit?since=&limit= (admin). */
#include <stdio.h>
#include <string.h>

#include "daemon/store/store_audit.h"
#include "daemon/lib/util.h"
#include "ui-api/api.h"

#define API_AUDIT_DEFAULT 100
#define API_AUDIT_MAX     1000

/* An RFC 3339 timestamp such as 2026-01-02T03:04:05Z or with +01:00 or
 * fractions: only these characters, a 'T' or space, a bounded length. */
static bool api_timestamp_shape(const char *s)
{
	size_t n = strlen(s);

	return n >= 10 && n <= 40 && s[4] == '-' && s[7] == '-' &&
	       strspn(s, "0123456789-:.TZ+ ") == n;
}

void api_audit_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = {"since", "limit", NULL};
	const char *since = api_query(req, "since"), *limit = api_query(req, "limit");
	const char *since_id = NULL, *since_time = NULL;
	struct store *store;
	json_t *entries = NULL, *last;
	uint64_t v, lim = API_AUDIT_DEFAULT;

	if (api_query_check(req, resp, allowed) < 0)
		return;
	if (limit != NULL &&
	    (parse_u64(limit, UINT64_MAX, &lim) < 0 || lim < 1 || lim > API_AUDIT_MAX)) {
		api_error(resp, 400, "bad_parameter", "limit must be an integer from 1 to %d",
			  API_AUDIT_MAX);
		return;
	}
	if (since != NULL) {
		if (parse_u64(since, INT64_MAX, &v) == 0)
			since_id = since;
		else if (api_timestamp_shape(since))
			since_time = since;
		else {
			api_error(resp, 400, "bad_parameter",
				  "since must be an audit id or an RFC 3339 timestamp");
			return;
		}
	}
	if ((store = api_store(req, resp)) == NULL)
		return;
	if (store_audit_list(store, since_id, since_time, NULL, NULL, (unsigned int)lim, &entries) <
	    0) {
		/* the only input Postgres can refuse here is a malformed date */
		if (since_time != NULL && strstr(store_error(store), "time") != NULL) {
			api_error(resp, 400, "bad_parameter", "since is not a valid timestamp");
			return;
		}
		api_error_store(resp, store);
		return;
	}
	last = json_array_get(entries, json_array_size(entries) - 1);
	api_reply(resp, 200,
		  json_pack("{s:o, s:O?}", "entries", entries, "next_since",
			    json_array_size(entries) == lim ? json_object_get(last, "id") : NULL));
}
