/* SPDX-License-Identifier: MIT */
/* The OpenAPI document served at /api/v1/openapi.yaml is the one in
 * schemas/ (the binary embeds it) and documents every route. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "tests/unit/harness.h"
#include "ui-api/api.h"

static void test_openapi_embedded_matches_file(void)
{
	char path[1024], *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/schemas/openapi.yaml", test_src_dir());
	CU_ASSERT_EQUAL_FATAL(file_read_all(path, 1024 * 1024, &data, &len, NULL), 0);
	/* a mismatch means api_health.o is stale: touch ui-api/api_health.c */
	CU_ASSERT_STRING_EQUAL(api_openapi_document(), data);
	free(data);
}

static void test_openapi_documents_routes(void)
{
	static const char *const paths[] = {
		"/healthz:",
		"/readyz:",
		"/api/v1/me:",
		"/api/v1/drafts:",
		"/api/v1/drafts/{id}:",
		"/api/v1/drafts/{id}/claim:",
		"/api/v1/drafts/{id}/release:",
		"/api/v1/drafts/{id}/approve:",
		"/api/v1/drafts/{id}/reject:",
		"/api/v1/drafts/{id}/delivered:",
		"/api/v1/drafts/{id}/resend:",
		"/api/v1/drafts/{id}/heartbeat:",
		"/api/v1/drafts/{id}/undo:",
		"/api/v1/messages/{id}/reply:",
		"/api/v1/messages/{id}/close:",
		"/api/v1/messages/{id}/reopen:",
		"/api/v1/backlog:",
		"/api/v1/messages:",
		"/api/v1/messages/{id}:",
		"/api/v1/messages/{id}/draft:",
		"/api/v1/categories:",
		"/api/v1/categories/{name}:",
		"/api/v1/stats:",
		"/api/v1/auto:",
		"/api/v1/samples:",
		"/api/v1/samples/{id}:",
		"/api/v1/mailboxes:",
		"/api/v1/mailboxes/{name}/poll:",
		"/api/v1/audit:",
		"/api/v1/messages/{id}/thread:",
		"/api/v1/messages/{id}/notes:",
		"/api/v1/messages/{id}/assign:",
		"/api/v1/assignees:",
		"/api/v1/snippets:",
		"/api/v1/snippets/{id}:",
		"/api/v1/drafts/{id}/snippets/{snippet_id}:",
		"/api/v1/search:",
		"sessionStorage",
		"/api/v1/auth:",
		"/api/v1/auth/login:",
		"/api/v1/auth/logout:",
		"/api/v1/auth/oidc/start:",
		"/api/v1/auth/oidc/callback:",
		"/api/v1/people:",
		"/api/v1/people/{login}:",
		"draftd_session",
		"openapi: 3.1",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(paths); i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(api_openapi_document(), paths[i]));
}

static const struct test_case api_openapi_cases[] = {
	{"embedded document matches schemas/openapi.yaml", test_openapi_embedded_matches_file},
	{"every route is documented", test_openapi_documents_routes},
	{NULL, NULL},
};
TEST_SUITE("api_openapi", NULL, NULL, api_openapi_cases)
