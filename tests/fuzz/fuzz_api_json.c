/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "ui-api/api.h"

/* Bytes as a REST request body, validated against the field table of the
 * draft PATCH/approve handlers (strings with and without a cap, an integer,
 * a boolean, a number). Either an object comes back and the response is
 * untouched, or NULL with a 400 and a JSON error. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct api_field fields[] = {
		{"subject", API_STRING, false, 200}, {"body", API_STRING, true, 20000},
		{"reason", API_STRING, false, 0},    {"version", API_INTEGER, false, 0},
		{"send", API_BOOL, false, 0},        {"threshold", API_NUMBER, false, 0},
		{NULL, API_STRING, false, 0},
	};
	struct api_request req;
	struct api_response resp;
	json_t *obj;
	const char *s;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = "PATCH";
	req.path = "/api/v1/drafts/1";
	req.body = (const char *)data;
	req.body_len = size;
	obj = api_body_object(&req, &resp, fields, false);
	if (obj != NULL) {
		if (resp.status != 0 || resp.json != NULL || !json_is_object(obj))
			abort();
		s = api_field_str(obj, "body");
		if (s != NULL && strlen(s) > 20000)
			abort();
		json_decref(obj);
	} else if (resp.status != 400 || resp.json == NULL) {
		abort();
	}
	json_decref(resp.json);
	free(resp.text);
	return 0;
}
