/* SPDX-License-Identifier: MIT */
/* systemd credentials: a *_file value without a '/' names a file in
 * $CREDENTIALS_DIRECTORY (LoadCredential= in the unit). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/config/config.h"
#include "daemon/lib/credential.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static char saved_dir[PATH_MAX];
static int had_dir;

static int credential_init(void)
{
	const char *d = getenv("CREDENTIALS_DIRECTORY");

	had_dir = d != NULL;
	if (d != NULL)
		str_copy(saved_dir, sizeof(saved_dir), d);
	return 0;
}

static int credential_cleanup(void)
{
	if (had_dir)
		setenv("CREDENTIALS_DIRECTORY", saved_dir, 1);
	else
		unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

static void test_paths(void)
{
	static const struct {
		const char *dir; /* $CREDENTIALS_DIRECTORY, NULL: unset */
		const char *value;
		int ret;
		const char *want; /* the path, or a word of the error */
	} cases[] = {
		{NULL, "/etc/draftd/secrets/smtp.pw", 0, "/etc/draftd/secrets/smtp.pw"},
		{"/run/credentials/draftd.service", "/etc/draftd/secrets/smtp.pw", 0,
		 "/etc/draftd/secrets/smtp.pw"},
		{"/run/credentials/draftd.service", "smtp.pw", 0,
		 "/run/credentials/draftd.service/smtp.pw"},
		{"/run/credentials/draftd.service", "secrets/smtp.pw", 0, "secrets/smtp.pw"},
		{NULL, "smtp.pw", -1, "$CREDENTIALS_DIRECTORY"},
		{"", "smtp.pw", -1, "$CREDENTIALS_DIRECTORY"},
		{"/run/credentials/x", "..", -1, "credential name"},
		{"/run/credentials/x", ".", -1, "credential name"},
		{"/run/credentials/x", "", -1, "empty"},
		{NULL, "", -1, "empty"},
	};
	char path[256];
	struct error why;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].dir != NULL)
			setenv("CREDENTIALS_DIRECTORY", cases[i].dir, 1);
		else
			unsetenv("CREDENTIALS_DIRECTORY");
		error_clear(&why);
		path[0] = '\0';
		CU_ASSERT_EQUAL(credential_path(cases[i].value, path, sizeof(path), &why),
				cases[i].ret);
		if (cases[i].ret == 0) {
			CU_ASSERT_STRING_EQUAL(path, cases[i].want);
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&why), cases[i].want));
		}
	}
}

static void test_too_long(void)
{
	char path[32], name[300];
	struct error why = {0};

	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/draftd.service", 1);
	CU_ASSERT_EQUAL(credential_path("smtp.pw", path, sizeof(path), &why), -1);
	CU_ASSERT(error_msg(&why)[0] != '\0');
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CU_ASSERT_EQUAL(credential_path(name, path, sizeof(path), &why), -1);
	CU_ASSERT_EQUAL(credential_path("/a/very/long/path/that/does/not/fit/here", path,
					sizeof(path), &why),
			-1);
}

/* The secrets every *_file key reads come out of the credentials directory. */
static void test_secret_from_credential(void)
{
	const char *tmp = getenv("DRAFTD_TEST_TMP"), *path;
	struct error why;
	char dir[PATH_MAX], conf[1024];
	struct config *config = NULL;
	struct config_errors errors;
	char *secret = NULL;

	snprintf(dir, sizeof(dir), "%s/creds", tmp != NULL ? tmp : "/tmp");
	mkdir(dir, 0700);
	CU_ASSERT_PTR_NOT_NULL_FATAL(test_write_file("creds/smtp.pw", "from-credential\n"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(
		test_write_file("creds/db.url", "postgresql://draftd:pw@db/draftd\n"));
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	CU_ASSERT_EQUAL_FATAL(secret_read_file("smtp.pw", &secret, &why), 0);
	CU_ASSERT_STRING_EQUAL(secret, "from-credential");
	secret_free(&secret);
	CU_ASSERT_EQUAL(secret_read_file("missing.pw", &secret, &why), -1);

	unsetenv("DRAFTD_SMTP_PASSWORD");
	unsetenv("DRAFTD_DATABASE_URL");
	snprintf(conf, sizeof(conf),
		 "[database]\nurl_file = db.url\n[smtp]\nurl = smtps://h\n"
		 "password_file = smtp.pw\n");
	path = test_write_file("cred.conf", conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL_FATAL(config_load(path, &config, &errors), 0);
	CU_ASSERT_STRING_EQUAL(config->smtp.password, "from-credential");
	CU_ASSERT_STRING_EQUAL(config->database.url, "postgresql://draftd:pw@db/draftd");
	config_unref(&config);

	/* outside systemd the same file says what is missing */
	unsetenv("CREDENTIALS_DIRECTORY");
	CU_ASSERT_EQUAL_FATAL(config_load(path, &config, &errors), -1);
	CU_ASSERT_EQUAL_FATAL(errors.count, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(errors.lines[0], "url_file: 'db.url'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errors.lines[1], "password_file: 'smtp.pw'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(errors.lines[1], "$CREDENTIALS_DIRECTORY"));
	config_errors_free(&errors);
}

static const struct test_case credential_cases[] = {
	{"a value without '/' is a credential in $CREDENTIALS_DIRECTORY", test_paths},
	{"names and paths that do not fit are refused", test_too_long},
	{"secret files and config keys read credentials", test_secret_from_credential},
	{NULL, NULL},
};

TEST_SUITE("credential", credential_init, credential_cleanup, credential_cases)
