/* SPDX-License-Identifier: MIT */
/* Folder names and special-use folders on three real servers: the test
 * Dovecot ("/" separator, no prefix), Cyrus with Debian's layout ("INBOX."
 * and ".") and the provider-layout Dovecot ("INBOX.", "Sent Items", no
 * IDLE; logged in with an app password). UTF-8 names go out as modified
 * UTF-7 and come back from LIST decoded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/imap/imap_conn.h"
#include "daemon/imap/imap_list.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

#define UEBERFAELLIG \
	"\xC3\x9C"   \
	"berf\xC3\xA4llig"
#define ELEMENTS "\xC3\x89l\xC3\xA9ments envoy\xC3\xA9s"

struct folder_server {
	const char *name;
	const char *port_env, *script, *dir_env, *user, *pass;
	const char *prefix; /* of every folder but INBOX */
	const char *sent, *junk;
	char url[128];
	bool up;
};

static struct folder_server servers[] = {
	{"dovecot", "DRAFTD_TEST_IMAP_PORT", "dovecot.sh", "DRAFTD_TEST_SVC_DIR", "unitfolders",
	 "pw-folders", "", "Sent", "Junk", "", false},
	{"cyrus", "DRAFTD_TEST_CYRUS_PORT", "cyrus.sh", "DRAFTD_TEST_SVC_DIR", "unitfolders",
	 "pw-folders", "INBOX.", "INBOX.Sent", "INBOX.Junk", "", false},
	{"provider", "DRAFTD_TEST_PROVIDER_IMAP_PORT", "dovecot.sh", "DRAFTD_TEST_PROVIDER_DIR",
	 "unitfolders@provider.example", "app-folders", "INBOX.", "INBOX.Sent Items",
	 "INBOX.Junk Email", "", false},
};

static const char msg[] = "From: c@example.test\r\nTo: s@example.test\r\nSubject: late\r\n"
			  "Message-ID: <late-1@draftd.test>\r\n\r\nwhere is it?\r\n";

/* Accounts and folders made with the services' own scripts, so the set-up
 * does not trust the code under test. */
static int folders_init(void)
{
	const char *eml = test_write_file("folders-msg.eml", msg);

	for (size_t i = 0; i < ARRAY_SIZE(servers); i++) {
		struct folder_server *s = &servers[i];
		const char *port = getenv(s->port_env), *dir = getenv(s->dir_env);
		char cmd[2048];

		if (port == NULL || dir == NULL || eml == NULL)
			continue;
		snprintf(cmd, sizeof(cmd),
			 "S='%s/tests/services/%s'; D='%s'; U='%s'; P='%s'; "
			 "$S adduser \"$D\" \"$U\" \"$P\" >/dev/null && "
			 "$S deliver \"$D\" \"$U\" '%s" UEBERFAELLIG "' '%s' >/dev/null && "
			 "$S mkfolder \"$D\" \"$U\" '%s" ELEMENTS "' >/dev/null && "
			 "$S mkfolder \"$D\" \"$U\" '%s' >/dev/null",
			 test_src_dir(), s->script, dir, s->user, s->pass, s->prefix, eml,
			 s->prefix, s->junk);
		if (system(cmd) != 0) {
			fprintf(stderr, "%s: setting up %s failed\n", s->name, s->user);
			return -1;
		}
		snprintf(s->url, sizeof(s->url), "imap://127.0.0.1:%s", port);
		s->up = true;
	}
	sleep(1); /* passwd-file changes are seen by mtime, 1 s resolution */
	return 0;
}

static struct imap_conn *folders_connect(const struct folder_server *s)
{
	struct mailbox_config mb;
	struct imap_conn *conn = NULL;
	struct error err;

	memset(&mb, 0, sizeof(mb));
	mb.name = (char *)s->name;
	mb.url = (char *)s->url;
	mb.user = (char *)s->user;
	mb.password = (char *)s->pass;
	mb.starttls = true;
	mb.tls_verify = true;
	mb.tls_ca_file = getenv("DRAFTD_TEST_CA_FILE");
	if (imap_connect(&mb, &conn, &err) < 0)
		printf("\n  %s: %s\n", s->name, error_msg(&err));
	return conn;
}

/* Runs fn on a connection to every server that runs; a missing one fails
 * (all.sh starts them all), except Cyrus when its packages were not there. */
static void each_server(void (*fn)(const struct folder_server *s, struct imap_conn *conn))
{
	for (size_t i = 0; i < ARRAY_SIZE(servers); i++) {
		struct imap_conn *conn;

		if (!servers[i].up) {
			printf("\n  %s not running%s", servers[i].name,
			       getenv("DRAFTD_TEST_CYRUS_ERROR") != NULL ? " (see all.sh)" : "");
			CU_FAIL("test server not running");
			continue;
		}
		conn = folders_connect(&servers[i]);
		CU_ASSERT_PTR_NOT_NULL(conn);
		if (conn != NULL)
			fn(&servers[i], conn);
		imap_close(&conn);
	}
}

static const struct imap_folder *find(const struct imap_folder *f, long n, const char *prefix,
				      const char *name)
{
	char full[IMAP_UTF7_NAME_MAX];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	for (long i = 0; i < n; i++) {
		if (strcmp(f[i].name, full) == 0)
			return &f[i];
	}
	printf("\n  no folder \"%s\" in LIST", full);
	return NULL;
}

static void list_one(const struct folder_server *s, struct imap_conn *conn)
{
	struct imap_folder *f = NULL;
	const struct imap_folder *x;
	long n = imap_list(conn, "*", &f);

	CU_ASSERT(n > 0);
	CU_ASSERT_PTR_NOT_NULL(find(f, n, s->prefix, UEBERFAELLIG));
	CU_ASSERT_PTR_NOT_NULL(find(f, n, s->prefix, ELEMENTS));
	x = find(f, n, "", s->sent);
	CU_ASSERT(x != NULL && (x->flags & IMAP_FOLDER_SENT));
	x = find(f, n, "", s->junk);
	CU_ASSERT(x != NULL && (x->flags & IMAP_FOLDER_JUNK));
	x = find(f, n, "", "INBOX");
	CU_ASSERT(x != NULL && x->flags == 0);
	if (x != NULL)
		CU_ASSERT_EQUAL(x->separator, s->prefix[0] != '\0' ? '.' : '/');
	free(f);
	/* a pattern in UTF-8 is encoded too */
	n = imap_list(conn, UEBERFAELLIG, &f);
	if (s->prefix[0] == '\0')
		CU_ASSERT_EQUAL(n, 1);
	free(f);
}

static void test_list(void)
{
	each_server(list_one);
}

static void utf8_one(const struct folder_server *s, struct imap_conn *conn)
{
	char ueber[200], elements[200], encoded[200];
	uint32_t uv = 0, next = 0, uid = 0;

	snprintf(ueber, sizeof(ueber), "%s%s", s->prefix, UEBERFAELLIG);
	snprintf(elements, sizeof(elements), "%s%s", s->prefix, ELEMENTS);
	snprintf(encoded, sizeof(encoded), "%s&ANw-berf&AOQ-llig", s->prefix);
	CU_ASSERT_EQUAL(imap_select(conn, ueber, &uv, &next), 0);
	CU_ASSERT(next >= 2); /* the message delivered there (once per run) */
	CU_ASSERT_EQUAL(imap_find_message_id(conn, ueber, "<late-1@draftd.test>", &uid), 1);
	/* a name configured already encoded, as it had to be before, still works */
	CU_ASSERT_EQUAL(imap_select(conn, encoded, &uv, &next), 0);
	CU_ASSERT_EQUAL(imap_append(conn, elements, msg, strlen(msg), "\\Seen"), 0);
	CU_ASSERT_EQUAL(imap_find_message_id(conn, elements, "<late-1@draftd.test>", &uid), 1);
	/* invalid UTF-8 never reaches the server, and the error says why */
	CU_ASSERT_EQUAL(imap_select(conn, "Bad\xC3", &uv, &next), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(imap_error(conn), "not valid UTF-8"));
	CU_ASSERT_EQUAL(imap_append(conn, "Bad\xC3", msg, strlen(msg), NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(imap_error(conn), "not valid UTF-8"));
	/* the connection is still good after a refused name */
	CU_ASSERT_EQUAL(imap_select(conn, "INBOX", &uv, &next), 0);
}

static void test_utf8_names(void)
{
	each_server(utf8_one);
}

static void junk_one(const struct folder_server *s, struct imap_conn *conn)
{
	char ueber[200];

	snprintf(ueber, sizeof(ueber), "%s%s", s->prefix, UEBERFAELLIG);
	CU_ASSERT_EQUAL(imap_folder_is_junk(conn, s->junk), 1);
	CU_ASSERT_EQUAL(imap_folder_is_junk(conn, "INBOX"), 0);
	CU_ASSERT_EQUAL(imap_folder_is_junk(conn, "inbox"), 0);
	CU_ASSERT_EQUAL(imap_folder_is_junk(conn, ueber), 0);
	CU_ASSERT_EQUAL(imap_folder_is_junk(conn, s->sent), 0);
	CU_ASSERT_EQUAL(imap_folder_is_junk(conn, "NoSuchFolder"), 0);
}

static void test_junk(void)
{
	each_server(junk_one);
}

/* For servers without SPECIAL-USE: the names mail clients give Junk. */
static void test_junk_names(void)
{
	static const struct {
		const char *name;
		char sep;
		bool junk;
	} cases[] = {
		{"Junk", '/', true},
		{"INBOX.Junk", '.', true},
		{"INBOX.Spam", '.', true},
		{"[Gmail]/Spam", '/', true},
		{"INBOX/Junk E-mail", '/', true},
		{"Junk-E-Mail", '.', true},
		{"INBOX.Junk Email", '.', true},
		{"Bulk Mail", '/', true},
		{"INBOX", '.', false},
		{"INBOX.Junk.Reviewed", '.', false},
		{"Junkyard", '/', false},
		{"Spam reports from customers", '/', false},
		{"INBOX.Junk", '\0', false}, /* flat server: the whole name counts */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(imap_folder_name_is_junk(cases[i].name, cases[i].sep),
				cases[i].junk);
}

static const struct test_case imap_folders_cases[] = {
	{"LIST decodes names and reports \\Sent and \\Junk (3 servers)", test_list},
	{"UTF-8 names selected, appended to, found; bad UTF-8 refused (3 servers)",
	 test_utf8_names},
	{"the Junk folder is recognised (3 servers)", test_junk},
	{"junk folder names for servers without SPECIAL-USE", test_junk_names},
	{NULL, NULL},
};
TEST_SUITE("imap_folders", folders_init, NULL, imap_folders_cases)
