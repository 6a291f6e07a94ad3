/* OAuth2 token requests and answers (daemon/oauth/oauth_token.c): the form
 * body of each grant, and what a token endpoint's answers become. The live
 * half (fetch, cache, refresh) runs against the token stand-in in
 * tests/integration/oauth2.sh. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/oauth/oauth_persist.h"
#include "daemon/oauth/oauth_token.h"
#include "harness.h"

static void test_request_bodies(void)
{
	struct mailbox_config mb;
	char body[1024];
	struct error err = {0};

	memset(&mb, 0, sizeof(mb));
	mb.oauth_client_id = "draftd";
	mb.oauth_client_secret = "s&3 =";
	mb.oauth_refresh_token = "rt-1";
	mb.oauth_scope = "https://mail.google.com/ offline_access";
	CU_ASSERT_EQUAL(oauth_token_request_body(&mb, NULL, body, sizeof(body), &err), 0);
	CU_ASSERT_STRING_EQUAL(body, "grant_type=refresh_token&refresh_token=rt-1&client_id=draftd"
				     "&client_secret=s%263%20%3D"
				     "&scope=https%3A%2F%2Fmail.google.com%2F%20offline_access");
	/* a rotated refresh token wins over the configured one */
	CU_ASSERT_EQUAL(oauth_token_request_body(&mb, "rt-2", body, sizeof(body), &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "refresh_token=rt-2&"));
	/* no refresh token: app-only access */
	mb.oauth_refresh_token = NULL;
	mb.oauth_scope = NULL;
	CU_ASSERT_EQUAL(oauth_token_request_body(&mb, NULL, body, sizeof(body), &err), 0);
	CU_ASSERT_STRING_EQUAL(
		body, "grant_type=client_credentials&client_id=draftd&client_secret=s%263%20%3D");
	mb.oauth_client_secret = NULL;
	CU_ASSERT_EQUAL(oauth_token_request_body(&mb, NULL, body, sizeof(body), &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "neither"));
	mb.oauth_refresh_token = "rt";
	CU_ASSERT_EQUAL(oauth_token_request_body(&mb, NULL, body, 20, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "too long"));
}

static void test_answers(void)
{
	static const struct {
		long status;
		const char *body;
		int ret;
		const char *token_or_error;
		unsigned long expires_in;
	} cases[] = {
		{200, "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"expires_in\":3599}",
		 0, "at-1", 3599},
		{200, "{\"access_token\":\"at-2\",\"expires_in\":\"120\"}", 0, "at-2", 120},
		{200, "{\"access_token\":\"at-3\"}", 0, "at-3", 3600},
		{400,
		 "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70000: revoked\"}", -1,
		 "refresh token was revoked or has expired: get a new one", 0},
		{401, "{\"error\":\"invalid_client\"}", -1, "check oauth_client_id", 0},
		{500, "<html>oops</html>", -1, "answered HTTP 500", 0},
		{200, "{\"access_token\": \"tru", -1, "not JSON with an access_token", 0},
		{200, "{\"access_token\":\"a b\\u0001\"}", -1, "characters a bearer token cannot",
		 0},
		{200, "{\"access_token\":\"\"}", -1, "empty or too long", 0},
	};
	char token[256], refresh[256];
	struct error err;
	unsigned long exp;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = oauth_token_parse(cases[i].status, cases[i].body, strlen(cases[i].body),
					  token, sizeof(token), &exp, refresh, sizeof(refresh),
					  &err);

		CU_ASSERT_EQUAL(r, cases[i].ret);
		if (r == 0) {
			CU_ASSERT_STRING_EQUAL(token, cases[i].token_or_error);
			CU_ASSERT_EQUAL(exp, cases[i].expires_in);
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), cases[i].token_or_error));
		}
	}
	/* a rotated refresh token is handed back; the error text never holds a token */
	CU_ASSERT_EQUAL(oauth_token_parse(200, "{\"access_token\":\"x\",\"refresh_token\":\"r2\"}",
					  41, token, sizeof(token), &exp, refresh, sizeof(refresh),
					  &err),
			0);
	CU_ASSERT_STRING_EQUAL(refresh, "r2");
	/* a token too long for the buffer is refused, not cut */
	CU_ASSERT_EQUAL(oauth_token_parse(200, "{\"access_token\":\"0123456789\"}", 29, token, 8,
					  &exp, refresh, sizeof(refresh), &err),
			-1);
}

/* Entries of path other than "." and "..". */
static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A rotated refresh token replaces the file's whole content, 0600, and no
 * temporary file stays behind; a path that cannot be written is an error
 * naming it, without the token. */
static void test_persist(void)
{
	char dir[] = "/tmp/draftd-oauth-XXXXXX", path[256], buf[64];
	struct error err;
	struct stat st;
	FILE *f;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/refresh.token", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("rt-old-and-longer-than-the-new-one\n", f);
	fclose(f);
	chmod(path, 0644);
	CU_ASSERT_EQUAL(oauth_refresh_persist(path, "rt-new", &err), 0);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "rt-new\n");
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	/* only the token file in the directory */
	CU_ASSERT_EQUAL(dir_entries(dir), 1);
	/* a directory that is not there: an error naming the file */
	snprintf(path, sizeof(path), "%s/nowhere/refresh.token", dir);
	CU_ASSERT_EQUAL(oauth_refresh_persist(path, "rt-secret", &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), path));
	CU_ASSERT_PTR_NULL(strstr(error_msg(&err), "rt-secret"));
	snprintf(path, sizeof(path), "%s/refresh.token", dir);
	unlink(path);
	rmdir(dir);
}

static const struct test_case oauth_cases[] = {
	{"token requests: refresh and client-credentials grants, form-encoded",
	 test_request_bodies},
	{"token answers: tokens, lifetimes, refusals in words", test_answers},
	{"rotated refresh tokens: written back atomically, 0600", test_persist},
	{NULL, NULL},
};
TEST_SUITE("oauth", NULL, NULL, oauth_cases)
