/* SPDX-License-Identifier: MIT */
/* /healthz, /readyz and the OpenAPI document. */
#include <string.h>

#include "daemon/store/store_sent_folder.h"
#include "ui-api/api.h"

/* schemas/openapi.yaml, linked into the binary so the served document
 * always matches the code it was built with. */
__asm__(".section .rodata\n"
	".global api_openapi_yaml\n"
	".type api_openapi_yaml, @object\n"
	".balign 16\n"
	"api_openapi_yaml:\n"
	".incbin \"schemas/openapi.yaml\"\n"
	".byte 0\n"
	".previous\n");
extern const char api_openapi_yaml[];

const char *api_openapi_document(void)
{
	return api_openapi_yaml;
}

void api_health_live(struct api_request *req, struct api_response *resp)
{
	(void)req;
	api_reply(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void api_health_ready(struct api_request *req, struct api_response *resp)
{
	struct store *store = api_store(req, resp);
	json_t *problems;
	int pending;

	if (store == NULL)
		return;
	pending = store_migrations_pending(store);
	if (pending < 0) {
		api_error(resp, 503, "unavailable", "database unreachable");
		return;
	}
	if (pending > 0) {
		api_error(resp, 503, "migrations_pending",
			  "the database schema is %d migration(s) behind: run draftd migrate",
			  pending);
		return;
	}
	/* a mailbox that cannot send is no reason to take the page away (200),
	 * but it is said here, for monitoring, before replies pile up */
	problems = store_sent_folder_problems(store);
	if (problems == NULL) {
		api_error(resp, 503, "unavailable", "database unreachable");
		return;
	}
	api_reply(resp, 200,
		  json_pack("{s:s, s:b, s:b, s:o}", "status",
			    json_array_size(problems) > 0 ? "degraded" : "ready", "database", 1,
			    "migrations_current", 1, "problems", problems));
}

void api_health_openapi(struct api_request *req, struct api_response *resp)
{
	(void)req;
	resp->status = 200;
	resp->text = (char *)api_openapi_yaml;
	resp->text_len = strlen(api_openapi_yaml);
	resp->text_static = true;
	resp->content_type = "application/yaml; charset=utf-8";
}
