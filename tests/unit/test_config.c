/* SPDX-License-Identifier: MIT */
/* The config loader: a good file, and each kind of bad file reported with
 * its line number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config/config.h"
#include "daemon/config/config_check.h"
#include "tests/unit/harness.h"

static char good_path[4096];

static void test_good_file(void)
{
	struct config *c = NULL, *extra;
	struct config_errors errors;
	const struct mailbox_config *m;
	const struct category_config *cat;

	snprintf(good_path, sizeof(good_path), "%s/tests/fixtures/config/good.conf",
		 test_src_dir());
	CU_ASSERT_EQUAL_FATAL(config_load(good_path, &c, &errors), 0);
	CU_ASSERT_STRING_EQUAL(c->database.url, "postgresql://draftd@127.0.0.1:5432/draftd");
	CU_ASSERT_EQUAL(c->database.connect_timeout, 5);
	CU_ASSERT_STRING_EQUAL(c->api.listen, "127.0.0.1:8081");
	CU_ASSERT_EQUAL(c->api.max_body, 2 * 1024 * 1024);
	CU_ASSERT_EQUAL(c->model.backend, MODEL_BACKEND_OPENAI);
	CU_ASSERT_EQUAL(c->model.timeout, 120);
	CU_ASSERT_EQUAL(c->model.max_in_flight, 4);
	CU_ASSERT_EQUAL(c->model.max_tokens, 800); /* default */
	CU_ASSERT_FALSE(c->smtp.tls);
	CU_ASSERT_PTR_NULL(c->smtp.tls_ca_file);
	CU_ASSERT_EQUAL(c->smtp.connect_timeout, 30); /* defaults */
	CU_ASSERT_EQUAL(c->smtp.timeout, 120);
	CU_ASSERT_EQUAL(c->smtp.max_attempts, 10);
	CU_ASSERT_EQUAL(c->log.level, LOG_LEVEL_DEBUG);
	CU_ASSERT_EQUAL(c->agent.workers, 3);
	CU_ASSERT_EQUAL(c->limits.max_message_size, 25 * 1024 * 1024);
	CU_ASSERT_EQUAL_FATAL(c->mailboxes_count, 2);
	m = config_mailbox(c, "support");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->password, "s3cret;with#chars");
	CU_ASSERT_EQUAL(m->poll_interval, 300);
	CU_ASSERT_FALSE(m->idle);
	CU_ASSERT_TRUE(m->tls_verify);
	/* issue 18: unset means "find it on the server", not a "Sent" that may not exist */
	CU_ASSERT_PTR_NULL(m->sent_folder);
	CU_ASSERT_EQUAL(m->sent_copy, SENT_COPY_APPEND);
	m = config_mailbox(c, "sales");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_FALSE(m->starttls);
	CU_ASSERT_EQUAL(m->poll_interval, 60);
	CU_ASSERT_EQUAL_FATAL(c->connectors_count, 1);
	CU_ASSERT_STRING_EQUAL(c->connectors[0].type, "csv");
	CU_ASSERT_EQUAL(c->connectors[0].cache_ttl, 30);
	CU_ASSERT_STRING_EQUAL(
		config_kv_get(c->connectors[0].options, c->connectors[0].options_count, "path"),
		"/srv/data/inventory.csv");
	CU_ASSERT_PTR_NULL(
		config_kv_get(c->connectors[0].options, c->connectors[0].options_count, "nope"));
	cat = config_category(c, "stock_inquiry");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
	CU_ASSERT_EQUAL(cat->mode, CATEGORY_MODE_SHADOW);
	CU_ASSERT_DOUBLE_EQUAL(cat->threshold, 0.85, 1e-9);
	CU_ASSERT_EQUAL(cat->min_samples, 40);
	CU_ASSERT_EQUAL(cat->promotion, PROMOTION_AUTOMATIC);
	CU_ASSERT_EQUAL(config_category(c, "complaint")->mode, CATEGORY_MODE_OFF);
	CU_ASSERT_PTR_NULL(config_category(c, "missing"));
	extra = config_ref(c);
	CU_ASSERT_PTR_EQUAL(extra, c);
	config_unref(&extra); /* drops one reference: c stays valid */
	CU_ASSERT_PTR_NULL(extra);
	CU_ASSERT_STRING_EQUAL(c->api.listen, "127.0.0.1:8081");
	config_unref(&c);
	CU_ASSERT_PTR_NULL(c);
}

/* Each bad file must fail with an error line containing the expected text. */
struct bad_case {
	const char *name;
	const char *text;
	const char *expect;
};

#define DB "[database]\nurl = postgresql://x@127.0.0.1/d\n"
#define MB "[mailbox m]\nurl = imap://127.0.0.1:143\nuser = u\npassword = p\naddress = a@b\n"

static const struct bad_case bad_cases[] = {
	{"unknown key", DB "colour = blue\n", ":3: [database] colour: unknown key"},
	{"unknown key, did you mean", DB "[api]\nlisen = 127.0.0.1:1\n",
	 ":4: [api] lisen: unknown key (did you mean 'listen'?)"},
	{"unknown key, nothing near", DB "[api]\nfavourite_colour = blue\n",
	 ":4: [api] favourite_colour: unknown key"},
	{"unknown section", DB "[databse]\nurl = x\n",
	 ":3: [databse]: unknown section (did you mean [database]?)"},
	{"unknown named section", DB "[mailbx m]\nurl = x\n",
	 ":3: [mailbx m]: unknown section (did you mean [mailbox m]?)"},
	{"wrong type uint", DB "[agent]\nworkers = many\n",
	 ":4: [agent] workers: 'many' is invalid"},
	{"out of range", DB "[agent]\nworkers = 1000\n", "(1..64)"},
	{"negative number", DB "[agent]\nworkers = -1\n", ":4: [agent] workers"},
	{"bad enum", DB "[model]\nbackend = gpt\n", "(one of: builtin, openai)"},
	{"bad bool", DB MB "idle = maybe\n",
	 ":8: [mailbox m] idle: 'maybe' is invalid: expected on or off"},
	{"bad duration", DB MB "poll_interval = 5 minutes\n", ":8: [mailbox m] poll_interval"},
	{"bad double", DB "[category c]\nthreshold = 1.5\n",
	 ":4: [category c] threshold: '1.5' is invalid"},
	{"missing section", "[api]\nlisten = 127.0.0.1:1\n", "missing section [database]"},
	{"missing db url", "[database]\nconnect_timeout = 3\n",
	 ":1: [database] url: missing (set url, url_file or $DRAFTD_DATABASE_URL)"},
	{"missing mailbox key", DB "[mailbox m]\nurl = imap://h\npassword = p\naddress = a@b\n",
	 ":3: [mailbox m] user: missing (a required key)"},
	{"mailbox without password", DB "[mailbox m]\nurl = imap://h\nuser = u\naddress = a@b\n",
	 ":3: [mailbox m] password: missing: needs password, password_file or "
	 "$DRAFTD_MAILBOX_M_PASSWORD"},
	{"bad imap url", DB "[mailbox m]\nurl = http://h\nuser = u\npassword = p\naddress = a\n",
	 ":4: [mailbox m] url: scheme 'http' is not supported: expected imap:// or imaps://"},
	{"unnamed mailbox", DB "[mailbox]\nurl = imap://h\n", "needs a name"},
	{"duplicate mailbox", DB MB MB, "[mailbox m] already defined at line 3"},
	{"duplicate key", DB "[agent]\nworkers = 2\nworkers = 3\n",
	 ":5: [agent] workers: duplicate key (first at line 4)"},
	{"key outside section", "workers = 2\n" DB, ":1: key 'workers' outside of any section"},
	{"no equals", DB "[agent]\nworkers\n", ":4: expected 'key = value'"},
	{"short signature phone", DB "[agent]\nsignature_phones = +49 40 1234567, 12345\n",
	 ":4: [agent] signature_phones: '12345' is no phone number"},
	{"malformed header", DB "[agent\n", ":3: malformed section header"},
	{"openai without url", DB "[model]\nbackend = openai\n",
	 ":4: [model] backend: openai needs base_url"},
	{"missing secret file", DB "[smtp]\nurl = smtp://h\npassword_file = /nonexistent/pw\n",
	 ":5: [smtp] password_file: '/nonexistent/pw': "},
	{"smtp max_attempts 0", DB "[smtp]\nmax_attempts = 0\n", "max_attempts: '0' is invalid"},
	{"smtp timeout 0", DB "[smtp]\ntimeout = 0\n", "timeout: '0' is invalid"},
	{"connector without type", DB "[connector c]\npath = x\n",
	 ":3: [connector c] type: missing (a required key)"},
	{"bad listen", DB "[api]\nlisten = 8080\n", ":4: [api] listen: '8080': expected HOST:PORT"},
	{"listen port out of range", DB "[api]\nlisten = 127.0.0.1:99999\n",
	 ":4: [api] listen: '127.0.0.1:99999': port out of range (1..65535)"},
	{"listen port 0", DB "[api]\nlisten = 127.0.0.1:0\n", "port out of range"},
	{"listen port not a number", DB "[api]\nlisten = localhost:http\n",
	 "[api] listen: 'localhost:http': port is not a number"},
	{"listen bad IPv4", DB "[api]\nlisten = 300.1.1.1:80\n", "not an IPv4 address"},
	{"listen bare IPv6", DB "[api]\nlisten = ::1:80\n", "an IPv6 address needs [ ]"},
	{"listen bad IPv6", DB "[api]\nlisten = [::g]:80\n", "not an IPv6 address inside [ ]"},
	{"listen bad host", DB "[api]\nlisten = my host:80\n", "not a valid host name"},
	{"address not an e-mail",
	 DB "[mailbox m]\nurl = imap://h\nuser = u\npassword = p\naddress = not-an-email\n",
	 ":7: [mailbox m] address: 'not-an-email' is not an e-mail address"},
	{"address with two",
	 DB "[mailbox m]\nurl = imap://h\nuser = u\npassword = p\naddress = a@b.c, d@e.f\n",
	 "[mailbox m] address: 'a@b.c, d@e.f' is not an e-mail address: more than one address"},
	{"mysql database url", "[database]\nurl = mysql://u:secret@h/db\n",
	 ":2: [database] url: scheme 'mysql' is not supported: expected postgresql:// or "
	 "postgres://"},
	{"database url port", "[database]\nurl = postgresql://u@h:99999/db\n",
	 ":2: [database] url: port out of range"},
	{"database url no scheme", "[database]\nurl = just-a-name\n",
	 "[database] url: not a PostgreSQL connection string"},
	{"imap url port",
	 DB
	 "[mailbox m]\nurl = imaps://mail.example.com:0\nuser = u\npassword = p\naddress = a@b\n",
	 ":4: [mailbox m] url: port out of range"},
	{"imap url no host",
	 DB "[mailbox m]\nurl = imap://:143\nuser = u\npassword = p\naddress = a@b\n",
	 "[mailbox m] url: no host"},
	{"smtp url scheme", DB "[smtp]\nurl = http://h\n",
	 ":4: [smtp] url: scheme 'http' is not supported: expected smtp:// or smtps://"},
	{"model url port", DB "[model]\nbase_url = http://127.0.0.1:70000/v1\n",
	 ":4: [model] base_url: port out of range"},
	{"folder not UTF-8", DB MB "folder = Bad\xC3\n",
	 ":8: [mailbox m] folder: not a usable IMAP folder name: not valid UTF-8"},
	{"sent_folder not UTF-8", DB MB "sent_folder = \xC0\x80\n",
	 "[mailbox m] sent_folder: not a usable IMAP folder name"},
	{"empty folder", DB MB "folder =\n", ":8: [mailbox m] folder: must not be empty"},
	{"bad sent_copy", DB MB "sent_copy = both\n",
	 "sent_copy: 'both' is invalid: not one of the allowed values (one of: append, provider, "
	 "off)"},
	{"bad spam pattern", DB "[agent]\nspam_header_pattern = x-spam-(level\n",
	 ":4: [agent] spam_header_pattern: missing closing parenthesis at offset"},
	{"bad mailbox spam pattern", DB MB "spam_header_pattern = [yes\n",
	 ":8: [mailbox m] spam_header_pattern: missing terminating ] "},
};

static int has_error(const struct config_errors *errors, const char *expect)
{
	size_t i;

	for (i = 0; i < errors->count; i++) {
		if (strstr(errors->lines[i], expect) != NULL)
			return 1;
	}
	return 0;
}

static void test_bad_files(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	const char *path;
	size_t i, e;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		path = test_write_file("bad.conf", bad_cases[i].text);
		CU_ASSERT_PTR_NOT_NULL_FATAL(path);
		CU_ASSERT_EQUAL(config_load(path, &c, &errors), -1);
		CU_ASSERT_PTR_NULL(c);
		if (!has_error(&errors, bad_cases[i].expect)) {
			fprintf(stderr, "\ncase '%s': expected '%s' in:\n", bad_cases[i].name,
				bad_cases[i].expect);
			for (e = 0; e < errors.count; e++)
				fprintf(stderr, "  %s\n", errors.lines[e]);
			CU_FAIL("expected error not reported");
		}
		config_errors_free(&errors);
	}
}

static void test_every_error_reported(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	const char *path;

	path = test_write_file("multi.conf",
			       DB "[agent]\nworkers = x\nmax_attempts = 0\nfoo = 1\n");
	CU_ASSERT_EQUAL(config_load(path, &c, &errors), -1);
	CU_ASSERT_EQUAL(errors.count, 3);
	config_errors_free(&errors);
}

static void test_missing_file(void)
{
	struct config *c = NULL;
	struct config_errors errors;

	CU_ASSERT_EQUAL(config_load("/nonexistent/draftd.conf", &c, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, "/nonexistent/draftd.conf: cannot read config"));
	config_errors_free(&errors);
}

static void test_long_line(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	char *text = malloc(10000);
	const char *path;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, 'a', 9998);
	memcpy(text, DB "x=", strlen(DB "x="));
	text[9998] = '\n';
	text[9999] = '\0';
	path = test_write_file("long.conf", text);
	CU_ASSERT_EQUAL(config_load(path, &c, &errors), -1);
	CU_ASSERT_TRUE(has_error(&errors, ":3: line too long"));
	config_errors_free(&errors);
	free(text);
}

static void test_env_and_secret_files(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	const char *secret, *path;
	char text[8192];

	secret = test_write_file("smtp.secret", "from-file\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(secret);
	snprintf(text, sizeof(text),
		 "[smtp]\nurl = smtps://h\npassword_file = %s\n"
		 "[mailbox Support-Desk]\nurl = imap://h\nuser = u\naddress = a@b\n",
		 secret);
	path = test_write_file("env.conf", text);
	setenv("DRAFTD_DATABASE_URL", "postgresql://env@127.0.0.1/envdb", 1);
	setenv("DRAFTD_MAILBOX_SUPPORT_DESK_PASSWORD", "from-env", 1);
	CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &errors), 0);
	CU_ASSERT_STRING_EQUAL(c->database.url, "postgresql://env@127.0.0.1/envdb");
	CU_ASSERT_STRING_EQUAL(c->smtp.password, "from-file");
	CU_ASSERT_STRING_EQUAL(c->mailboxes[0].password, "from-env");
	config_unref(&c);
	unsetenv("DRAFTD_DATABASE_URL");
	unsetenv("DRAFTD_MAILBOX_SUPPORT_DESK_PASSWORD");
}

static void test_config_path(void)
{
	unsetenv("DRAFTD_CONFIG");
	CU_ASSERT_STRING_EQUAL(config_path(NULL), CONFIG_DEFAULT_PATH);
	setenv("DRAFTD_CONFIG", "/tmp/x.conf", 1);
	CU_ASSERT_STRING_EQUAL(config_path(NULL), "/tmp/x.conf");
	CU_ASSERT_STRING_EQUAL(config_path("/cli.conf"), "/cli.conf");
	unsetenv("DRAFTD_CONFIG");
}

static void test_example_config_loads(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	char path[4096];
	size_t i;

	/* The documented example must stay valid: secrets come from the env there. */
	snprintf(path, sizeof(path), "%s/deploy/draftd.conf.example", test_src_dir());
	setenv("DRAFTD_MAILBOX_SUPPORT_PASSWORD", "x", 1);
	if (config_load(path, &c, &errors) < 0) {
		for (i = 0; i < errors.count; i++)
			fprintf(stderr, "  %s\n", errors.lines[i]);
		config_errors_free(&errors);
		CU_FAIL("deploy/draftd.conf.example does not load");
	}
	config_unref(&c);
	unsetenv("DRAFTD_MAILBOX_SUPPORT_PASSWORD");
}

/* config_free() once read the mailboxes' passwords after freeing the
 * mailboxes array (found by tests/fuzz/fuzz_config.c on good.conf). A plain
 * run may not notice a use after free: `make valgrind` and
 * `make SANITIZE=address test` do, on this case. */
static void test_free_mailboxes_with_secrets(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	const char *secret, *path;
	char text[8192];

	secret = test_write_file("mb.secret", "from-file\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(secret);
	snprintf(text, sizeof(text),
		 DB "[mailbox a]\nurl = imap://h\nuser = u\npassword = pa\naddress = a@b\n"
		    "[mailbox b]\nurl = imap://h\nuser = u\npassword_file = %s\naddress = b@b\n"
		    "[mailbox c]\nurl = imaps://h\nuser = u\npassword = pc\naddress = c@b\n",
		 secret);
	path = test_write_file("mb.conf", text);
	CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &errors), 0);
	CU_ASSERT_EQUAL(c->mailboxes_count, 3);
	CU_ASSERT_STRING_EQUAL(c->mailboxes[1].password, "from-file");
	config_unref(&c);
	CU_ASSERT_PTR_NULL(c);
}

/* Values the checks must accept: every form an operator writes. */
static void test_good_values(void)
{
	static const char *const listens[] = {"127.0.0.1:8080", "0.0.0.0:1",
					      "[::1]:65535",    "[::]:9464",
					      "localhost:80",   "draftd.example.com.:443",
					      "my_host:8080",   NULL};
	static const char *const imap[] = {"imap", "imaps", NULL};
	static const char *const urls[] = {"imap://h", "imaps://mail.example.com:993",
					   "imap://user:p%40ss@[2001:db8::1]:143/INBOX",
					   "imaps://10.0.0.1", NULL};
	static const char *const dbs[] = {
		"postgresql://draftd@127.0.0.1:5432/draftd", "postgres://u:pw@h/db?sslmode=require",
		"postgresql:///draftd?host=/run/postgresql", "postgresql://h1:5432,h2:5433/db",
		"host=/run/postgresql dbname=draftd",        NULL};
	static const char *const addrs[] = {"a@b", "support@example.com",
					    "\"Support, Example\" <support@example.com>",
					    "Support <support@example.com>", NULL};
	struct error err;
	size_t i;

	for (i = 0; listens[i] != NULL; i++) {
		if (config_check_listen(listens[i], &err) < 0) {
			fprintf(stderr, "\nlisten '%s' refused: %s\n", listens[i], error_msg(&err));
			CU_FAIL("good listen refused");
		}
	}
	for (i = 0; urls[i] != NULL; i++) {
		if (config_check_url(urls[i], imap, &err) < 0) {
			fprintf(stderr, "\nurl '%s' refused: %s\n", urls[i], error_msg(&err));
			CU_FAIL("good url refused");
		}
	}
	for (i = 0; dbs[i] != NULL; i++) {
		if (config_check_database_url(dbs[i], &err) < 0) {
			fprintf(stderr, "\ndatabase url '%s' refused: %s\n", dbs[i],
				error_msg(&err));
			CU_FAIL("good database url refused");
		}
	}
	for (i = 0; addrs[i] != NULL; i++)
		CU_ASSERT_EQUAL(config_check_address(addrs[i], &err), 0);
	/* a refused URL never echoes what follows the scheme (a password) */
	CU_ASSERT_EQUAL(config_check_database_url("mysql://u:hunter2@h/db", &err), -1);
	CU_ASSERT_PTR_NULL(strstr(error_msg(&err), "hunter2"));
}

/* config_key_line(): where a key was set, the section's line for a named
 * section's default, 0 for a default of a singleton. */
static void test_key_lines(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	const char *path;

	path = test_write_file("lines.conf", DB "[api]\nthreads = 2\n" MB "idle = off\n");
	CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &errors), 0);
	CU_ASSERT_EQUAL(config_key_line(c, "database", NULL, "url"), 2);
	CU_ASSERT_EQUAL(config_key_line(c, "api", NULL, "threads"), 4);
	CU_ASSERT_EQUAL(config_key_line(c, "api", NULL, "listen"), 0);
	CU_ASSERT_EQUAL(config_key_line(c, "mailbox", "m", "idle"), 10);
	CU_ASSERT_EQUAL(config_key_line(c, "mailbox", "m", "folder"), 5);
	CU_ASSERT_EQUAL(config_key_line(c, "mailbox", "nope", "folder"), 0);
	CU_ASSERT_EQUAL(config_key_line(c, "nope", NULL, "x"), 0);
	config_unref(&c);
}

/* [api] threads: unset, one database connection per online CPU (at least
 * 2, so that one slow request never holds every request up); set, as set. */
static void test_api_threads(void)
{
	struct config *c = NULL;
	struct config_errors errors;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int want = cpus < 2 ? 2 : cpus > 64 ? 64 : (unsigned int)cpus;

	CU_ASSERT_EQUAL(config_api_threads(), want);
	CU_ASSERT_EQUAL_FATAL(config_load(test_write_file("t0.conf", DB MB), &c, &errors), 0);
	CU_ASSERT_EQUAL(c->api.threads, want);
	CU_ASSERT(c->api.threads >= 2);
	config_unref(&c);
	CU_ASSERT_EQUAL_FATAL(
		config_load(test_write_file("t5.conf", DB "[api]\nthreads = 5\n" MB), &c, &errors),
		0);
	CU_ASSERT_EQUAL(c->api.threads, 5);
	config_unref(&c);
	CU_ASSERT_EQUAL_FATAL(
		config_load(test_write_file("t1.conf", DB "[api]\nthreads = 1\n" MB), &c, &errors),
		0);
	CU_ASSERT_EQUAL(c->api.threads, 1);
	config_unref(&c);
}

/* "did you mean": a typo gets the near name, another word gets nothing. */
static void test_suggest(void)
{
	static const char *const names[] = {"listen", "threads", "max_body", "tls_cert", NULL};

	CU_ASSERT_STRING_EQUAL(config_suggest_strv("lisen", names), "listen");
	CU_ASSERT_STRING_EQUAL(config_suggest_strv("thread", names), "threads");
	CU_ASSERT_STRING_EQUAL(config_suggest_strv("max-body", names), "max_body");
	CU_ASSERT_STRING_EQUAL(config_suggest_strv("tls_crt", names), "tls_cert");
	CU_ASSERT_PTR_NULL(config_suggest_strv("colour", names));
	CU_ASSERT_PTR_NULL(config_suggest_strv("", names));
}

static const struct test_case config_cases[] = {
	{"accepts every good form of listen, URL and address", test_good_values},
	{"knows the line of each key", test_key_lines},
	{"[api] threads: one per CPU unless set", test_api_threads},
	{"suggests the near name for a typo", test_suggest},
	{"loads a good file with every section", test_good_file},
	{"reports each kind of bad file with its line", test_bad_files},
	{"reports every error, not just the first", test_every_error_reported},
	{"reports a missing file", test_missing_file},
	{"refuses an overlong line", test_long_line},
	{"takes secrets from env and files", test_env_and_secret_files},
	{"finds the config path", test_config_path},
	{"the example config loads", test_example_config_loads},
	{"frees mailboxes with their secrets", test_free_mailboxes_with_secrets},
	{NULL, NULL},
};

TEST_SUITE("config", NULL, NULL, config_cases)
