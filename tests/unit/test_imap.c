/* SPDX-License-Identifier: MIT */
/* imap: URL parsing (table), and the outbox helpers (append, flags added and
 * removed, UID EXPUNGE, search by Message-ID) plus TLS verification against
 * the test Dovecot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/imap/imap_conn.h"
#include "daemon/imap/imap_fetch.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static void test_url_table(void)
{
	static const struct {
		const char *url;
		int ret;
		bool tls;
		const char *host;
		unsigned int port;
	} cases[] = {
		{"imap://mail.example.test", 0, false, "mail.example.test", 143},
		{"imaps://mail.example.test", 0, true, "mail.example.test", 993},
		{"imap://127.0.0.1:1143/", 0, false, "127.0.0.1", 1143},
		{"imaps://[::1]:9993", 0, true, "::1", 9993},
		{"pop3://mail.example.test", -1, false, NULL, 0},
		{"imap://", -1, false, NULL, 0},
		{"imap://host:0", -1, false, NULL, 0},
		{"imap://host:65536", -1, false, NULL, 0},
		{"imap://host:12x", -1, false, NULL, 0},
		{"imap://user@host", -1, false, NULL, 0},
		{"imap://host/INBOX", -1, false, NULL, 0},
		{"imaps://[::1", -1, false, NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_url u;
		struct error why = {0};
		int r = imap_url_parse(cases[i].url, &u, &why);

		if (r != cases[i].ret)
			fprintf(stderr, "url %s: got %d\n", cases[i].url, r);
		CU_ASSERT_EQUAL(r, cases[i].ret);
		if (r == 0 && cases[i].ret == 0) {
			CU_ASSERT_EQUAL(u.tls, cases[i].tls);
			CU_ASSERT_STRING_EQUAL(u.host, cases[i].host);
			CU_ASSERT_EQUAL(u.port, cases[i].port);
		} else if (r < 0) {
			CU_ASSERT(error_msg(&why)[0] != '\0');
		}
	}
}

static char imap_url[128], imaps_url[128];
static bool have_dovecot;

/* One Dovecot user for this suite (tests/services/dovecot.sh adduser). */
static int imap_init(void)
{
	const char *port = getenv("DRAFTD_TEST_IMAP_PORT"),
		   *sport = getenv("DRAFTD_TEST_IMAPS_PORT");
	const char *svc = getenv("DRAFTD_TEST_SVC_DIR");
	char cmd[1024];

	if (port == NULL || sport == NULL || svc == NULL)
		return 0;
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s/mail/unitimap' && "
		 "'%s/tests/services/dovecot.sh' adduser '%s' unitimap pw-unit >/dev/null && "
		 "'%s/tests/services/dovecot.sh' mkfolder '%s' unitimap Sent >/dev/null",
		 svc, test_src_dir(), svc, test_src_dir(), svc);
	sleep(1); /* passwd-file changes are seen by mtime, 1 s resolution */
	if (system(cmd) != 0)
		return -1;
	sleep(1);
	snprintf(imap_url, sizeof(imap_url), "imap://127.0.0.1:%s", port);
	snprintf(imaps_url, sizeof(imaps_url), "imaps://localhost:%s", sport);
	have_dovecot = true;
	return 0;
}

static struct mailbox_config unit_mb(const char *url)
{
	struct mailbox_config mb;

	memset(&mb, 0, sizeof(mb));
	mb.name = (char *)"unit";
	mb.url = (char *)url;
	mb.user = (char *)"unitimap";
	mb.password = (char *)"pw-unit";
	mb.folder = (char *)"INBOX";
	mb.starttls = true;
	mb.tls_verify = true;
	mb.tls_ca_file = getenv("DRAFTD_TEST_CA_FILE");
	return mb;
}

static void test_outbox_helpers(void)
{
	static const char msg[] = "From: s@example.test\r\nTo: c@example.test\r\nSubject: re\r\n"
				  "Message-ID: <sent-1@draftd.test>\r\n\r\nthanks\r\n";
	struct mailbox_config mb;
	struct imap_conn *conn = NULL;
	uint32_t uid = 0, uv, next;
	struct error err;

	if (!have_dovecot) {
		printf("SKIPPED: no test Dovecot ($DRAFTD_TEST_IMAP_PORT unset)\n");
		return;
	}
	mb = unit_mb(imap_url);
	CU_ASSERT_EQUAL_FATAL(imap_connect(&mb, &conn, &err), 0);
	CU_ASSERT_EQUAL(imap_find_message_id(conn, "Sent", "<sent-1@draftd.test>", &uid), 0);
	CU_ASSERT_EQUAL(imap_append(conn, "Sent", msg, strlen(msg), "\\Seen"), 0);
	CU_ASSERT_EQUAL(imap_append(conn, "Sent", msg, strlen(msg), "\\Bogus"), -1);
	CU_ASSERT_EQUAL(imap_append(conn, "NoSuchFolder", msg, strlen(msg), NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(imap_error(conn), "NoSuchFolder"));
	CU_ASSERT_EQUAL(imap_find_message_id(conn, "Sent", "<sent-1@draftd.test>", &uid), 1);
	CU_ASSERT_NOT_EQUAL(uid, 0);
	CU_ASSERT_EQUAL(imap_find_message_id(conn, "Sent", "<other@draftd.test>", NULL), 0);
	CU_ASSERT_EQUAL(imap_add_flags(conn, "Sent", uid, "\\Answered"), 0);
	CU_ASSERT_EQUAL(imap_select(conn, "Sent", &uv, &next), 0);
	CU_ASSERT_NOT_EQUAL(uv, 0);
	CU_ASSERT_EQUAL(next, uid + 1);
	{
		uint32_t *uids = NULL;
		struct imap_msg m;
		long n = imap_search_new(conn, 0, &uids);

		CU_ASSERT_EQUAL(n, 1);
		/* asking above the highest UID: servers answer n:* with it, we filter */
		free(uids);
		uids = NULL;
		CU_ASSERT_EQUAL(imap_search_new(conn, uid, &uids), 0);
		free(uids);
		CU_ASSERT_EQUAL_FATAL(imap_fetch_messages(conn, &uid, 1, false, 1 << 20, &m), 0);
		CU_ASSERT_EQUAL(m.len, strlen(msg));
		CU_ASSERT_EQUAL(memcmp(m.data, msg, m.len), 0);
		imap_msgs_free(&m, 1);
		CU_ASSERT_EQUAL(imap_fetch_messages(conn, &uid, 1, false, 10, &m), -1);
		imap_msgs_free(&m, 1);
	}
	imap_close(&conn);
	CU_ASSERT_PTR_NULL(conn);
}

/* What Dovecot itself says about a message of unitimap: its flags, or
 * "gone" (doveadm fetch, so the check does not trust the code under test). */
static void dove_flags(const char *folder, const char *message_id, char *out, size_t size)
{
	char cmd[1024], line[512];
	FILE *f;

	snprintf(out, size, "gone");
	snprintf(cmd, sizeof(cmd),
		 "PATH=$PATH:/usr/sbin doveadm -c '%s/dovecot.conf' fetch -u unitimap flags"
		 " mailbox %s header message-id '%s' 2>/dev/null",
		 getenv("DRAFTD_TEST_SVC_DIR"), folder, message_id);
	f = popen(cmd, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "flags:", 6) == 0) {
			line[strcspn(line, "\n")] = '\0';
			str_copy(out, size, line[6] == ' ' ? line + 7 : line + 6);
		}
	}
	pclose(f);
}

static void test_flags_expunge(void)
{
	static const char a[] = "From: s@example.test\r\nSubject: a\r\n"
				"Message-ID: <exp-a@draftd.test>\r\n\r\na\r\n";
	static const char b[] = "From: s@example.test\r\nSubject: b\r\n"
				"Message-ID: <exp-b@draftd.test>\r\n\r\nb\r\n";
	struct mailbox_config mb;
	struct imap_conn *conn = NULL;
	uint32_t ua = 0, ub = 0;
	struct error err;
	char flags[256];

	if (!have_dovecot) {
		printf("SKIPPED: no test Dovecot\n");
		return;
	}
	mb = unit_mb(imap_url);
	CU_ASSERT_EQUAL_FATAL(imap_connect(&mb, &conn, &err), 0);
	CU_ASSERT_EQUAL_FATAL(imap_append(conn, "Sent", a, strlen(a), "\\Seen"), 0);
	CU_ASSERT_EQUAL_FATAL(imap_append(conn, "Sent", b, strlen(b), "\\Seen"), 0);
	CU_ASSERT_EQUAL_FATAL(imap_find_message_id(conn, "Sent", "<exp-a@draftd.test>", &ua), 1);
	CU_ASSERT_EQUAL_FATAL(imap_find_message_id(conn, "Sent", "<exp-b@draftd.test>", &ub), 1);

	CU_ASSERT_EQUAL(imap_add_flags(conn, "Sent", ua, "\\Answered \\Flagged"), 0);
	dove_flags("Sent", "<exp-a@draftd.test>", flags, sizeof(flags));
	CU_ASSERT_STRING_EQUAL(flags, "\\Answered \\Flagged \\Seen");
	CU_ASSERT_EQUAL(imap_remove_flags(conn, "Sent", ua, "\\Flagged"), 0);
	dove_flags("Sent", "<exp-a@draftd.test>", flags, sizeof(flags));
	CU_ASSERT_STRING_EQUAL(flags, "\\Answered \\Seen");
	CU_ASSERT_EQUAL(imap_remove_flags(conn, "Sent", ua, "\\Answered \\Seen"), 0);
	dove_flags("Sent", "<exp-a@draftd.test>", flags, sizeof(flags));
	CU_ASSERT_STRING_EQUAL(flags, "");
	CU_ASSERT_EQUAL(imap_remove_flags(conn, "Sent", ua, "\\Bogus"), -1);
	CU_ASSERT_EQUAL(imap_remove_flags(conn, "NoSuchFolder", ua, "\\Seen"), -1);

	/* b is someone else's \Deleted message: expunging a must leave it */
	CU_ASSERT_EQUAL(imap_add_flags(conn, "Sent", ub, "\\Deleted"), 0);
	CU_ASSERT_EQUAL(imap_expunge_uid(conn, "Sent", ua), 1);
	CU_ASSERT_EQUAL(imap_find_message_id(conn, "Sent", "<exp-a@draftd.test>", NULL), 0);
	dove_flags("Sent", "<exp-a@draftd.test>", flags, sizeof(flags));
	CU_ASSERT_STRING_EQUAL(flags, "gone");
	dove_flags("Sent", "<exp-b@draftd.test>", flags, sizeof(flags));
	CU_ASSERT_STRING_EQUAL(flags, "\\Deleted \\Seen");
	/* an expunged UID again: nothing matches, nothing else goes */
	CU_ASSERT_EQUAL(imap_expunge_uid(conn, "Sent", ua), 1);
	dove_flags("Sent", "<exp-b@draftd.test>", flags, sizeof(flags));
	CU_ASSERT_STRING_EQUAL(flags, "\\Deleted \\Seen");
	CU_ASSERT_EQUAL(imap_expunge_uid(conn, "NoSuchFolder", ua), -1);
	imap_close(&conn);
}

static void test_tls(void)
{
	struct mailbox_config mb;
	struct imap_conn *conn = NULL;
	struct error err;

	if (!have_dovecot) {
		printf("SKIPPED: no test Dovecot\n");
		return;
	}
	mb = unit_mb(imaps_url);
	CU_ASSERT_EQUAL(imap_connect(&mb, &conn, &err), 0);
	imap_close(&conn);
	mb.tls_ca_file = NULL;
	CU_ASSERT_EQUAL(imap_connect(&mb, &conn, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "not trusted"));
	mb.tls_verify = false;
	CU_ASSERT_EQUAL(imap_connect(&mb, &conn, &err), 0);
	imap_close(&conn);
	mb = unit_mb(imap_url);
	mb.password = (char *)"wrong-pw-123";
	CU_ASSERT_EQUAL(imap_connect(&mb, &conn, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "LOGIN as unitimap"));
	CU_ASSERT_PTR_NULL(strstr(error_msg(&err), "wrong-pw-123"));
}

/* A second Dovecot whose IMAPS certificate comes from the trusted test CA but
 * whose extended key usage is codeSigning only: the client must refuse it
 * after the handshake, before LOGIN (Dovecot then logs no auth attempt). */
static void test_tls_wrong_key_usage(void)
{
	const char *tmp = getenv("DRAFTD_TEST_TMP");
	struct mailbox_config mb;
	struct imap_conn *conn = NULL;
	char dir[256], cmd[2048], url[128], ca[300], path[300], *text = NULL;
	struct error err;
	size_t len;

	if (!have_dovecot) {
		printf("SKIPPED: no test Dovecot\n");
		return;
	}
	/* dovecot's socket paths must stay short */
	snprintf(dir, sizeof(dir), "%s/eku%d", tmp != NULL ? tmp : "/tmp", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd),
		 "'%s/tests/fakes/make_cert.sh' '%s' codeSigning &&"
		 " '%s/tests/services/dovecot.sh' start '%s' >/dev/null 2>&1 &&"
		 " '%s/tests/services/dovecot.sh' adduser '%s' ekuuser pw-eku >/dev/null",
		 test_src_dir(), dir, test_src_dir(), dir, test_src_dir(), dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/imaps.port", dir);
	CU_ASSERT_EQUAL_FATAL(file_read_all(path, 16, &text, &len, NULL), 0);
	text[strcspn(text, "\r\n")] = '\0';
	snprintf(url, sizeof(url), "imaps://localhost:%s", text);
	free(text);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	mb = unit_mb(url);
	mb.user = (char *)"ekuuser";
	mb.password = (char *)"pw-eku";
	mb.tls_ca_file = ca;
	CU_ASSERT_EQUAL(imap_connect(&mb, &conn, &err), -1);
	if (strstr(error_msg(&err), "serverAuth") == NULL)
		fprintf(stderr, "imap eku: %s\n", error_msg(&err));
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "serverAuth"));
	imap_close(&conn);
	/* the password never went out: Dovecot saw no login at all */
	snprintf(cmd, sizeof(cmd),
		 "sleep 0.5; grep -q 'no auth attempts' '%s/dovecot.log' &&"
		 " ! grep -Eq 'auth failed|Login: user=|[1-9] attempts' '%s/dovecot.log'",
		 dir, dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "'%s/tests/services/dovecot.sh' stop '%s'; rm -rf '%s'",
		 test_src_dir(), dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "imap eku: stopping the second dovecot failed\n");
}

static const struct test_case imap_cases[] = {
	{"URL parsing", test_url_table},
	{"append, flags, find by Message-ID, search, fetch", test_outbox_helpers},
	{"remove flags; UID EXPUNGE of one message leaves other \\Deleted ones",
	 test_flags_expunge},
	{"TLS: CA, unknown CA, verify off; wrong password", test_tls},
	{"TLS: a trusted certificate for code signing only is refused before LOGIN",
	 test_tls_wrong_key_usage},
	{NULL, NULL},
};
TEST_SUITE("imap", imap_init, NULL, imap_cases)
