/* SPDX-License-Identifier: MIT */
/* smtp_send() against the real aiosmtpd sink: plaintext with tls = off,
 * a refused plaintext fallback with tls = on, a closed port, and a STARTTLS
 * sink (started here with the test CA's server certificate) that works with
 * the CA and fails without it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/mail/mail_compose.h"
#include "daemon/outbox/smtp_send.h"
#include "daemon/lib/util.h"
#include "tests/unit/harness.h"

static char tls_dir[512];
static char tls_port[16];

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Counts the messages in DIR/new that contain needle. */
static int maildir_count(const char *maildir, const char *needle)
{
	char path[1024], *data = NULL;
	struct dirent *de;
	size_t len;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/new", maildir);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/new/%s", maildir, de->d_name);
		if (file_read_all(path, 1 << 20, &data, &len, NULL) == 0 &&
		    strstr(data, needle) != NULL)
			n++;
		free(data);
		data = NULL;
	}
	closedir(d);
	return n;
}

static int smtp_init(void)
{
	const char *svc = env_or_null("DRAFTD_TEST_SVC_DIR");
	const char *tmp = getenv("DRAFTD_TEST_TMP");
	char cmd[2048], path[600], *port = NULL;
	size_t len;

	if (svc == NULL || env_or_null("DRAFTD_TEST_SMTP_PORT") == NULL) {
		fprintf(stderr, "smtp: test services are not running: run through tests/run.sh\n");
		return 1;
	}
	snprintf(tls_dir, sizeof(tls_dir), "%s/smtp-tls.%d", tmp != NULL ? tmp : "/tmp",
		 (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s' && '%s/tests/services/smtp.sh' start '%s' '' --tls '%s/server.pem' "
		 "'%s/server.key' >/dev/null 2>&1",
		 tls_dir, test_src_dir(), tls_dir, svc, svc);
	if (system(cmd) != 0) {
		fprintf(stderr, "smtp: could not start the STARTTLS sink\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/smtp.port", tls_dir);
	if (file_read_all(path, 16, &port, &len, NULL) < 0)
		return 1;
	port[strcspn(port, "\r\n")] = '\0';
	str_copy(tls_port, sizeof(tls_port), port);
	free(port);
	return 0;
}

static int smtp_cleanup(void)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "'%s/tests/services/smtp.sh' stop '%s' >/dev/null 2>&1; rm -rf '%s'",
		 test_src_dir(), tls_dir, tls_dir);
	return system(cmd) == 0 ? 0 : 1;
}

/* Composes a small message whose Message-ID is unique to the case. */
static char *make_message(const char *tag, struct mail_envelope *env)
{
	char msgid[128];
	struct mail_reply r = {
		.from = "support@example.com",
		.to = "Customer <customer@example.org>",
		.subject = "Test",
		.message_id = msgid,
		.body = "Hello\n.\nA line with a lone dot above.\n",
		.date = 1700000000,
	};
	struct buf b;
	struct error err;

	snprintf(msgid, sizeof(msgid), "<smtp-%s-%d@example.com>", tag, (int)getpid());
	buf_init(&b, MAIL_MESSAGE_MAX);
	if (mail_compose(&r, &b, env, &err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

struct send_case {
	const char *tag;
	bool tls_sink;
	bool tls;
	bool ca;
	bool closed_port;
	enum smtp_result want;
	const char *err_part;
};

static const struct send_case send_cases[] = {
	{"plain-off", false, false, false, false, SMTP_SENT, NULL},
	{"plain-on", false, true, false, false, SMTP_TEMPFAIL, "STARTTLS required"},
	{"closed", false, false, false, true, SMTP_TEMPFAIL, "smtp: "},
	{"tls-ca", true, true, true, false, SMTP_SENT, NULL},
	{"tls-noca", true, true, false, false, SMTP_TEMPFAIL, "smtp: "},
	{"tls-off-on-tls-sink", true, false, false, false, SMTP_PERMFAIL, "530"},
};

static void test_send_cases(void)
{
	const char *svc = getenv("DRAFTD_TEST_SVC_DIR");
	char url[128], ca[600], maildir[600], needle[128];
	struct error err;
	struct mail_envelope env;
	size_t i;

	snprintf(ca, sizeof(ca), "%s/ca.pem", svc);
	for (i = 0; i < sizeof(send_cases) / sizeof(send_cases[0]); i++) {
		const struct send_case *c = &send_cases[i];
		char *msg = make_message(c->tag, &env);
		struct smtp_options o = {.url = url,
					 .tls = c->tls,
					 .ca_file = c->ca ? ca : NULL,
					 .connect_timeout = 5,
					 .timeout = 20};
		enum smtp_result r;
		long code = -1;

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		snprintf(url, sizeof(url), "smtp://127.0.0.1:%s",
			 c->closed_port ? "1"
			 : c->tls_sink  ? tls_port
					: getenv("DRAFTD_TEST_SMTP_PORT"));
		snprintf(maildir, sizeof(maildir), "%s/smtp-maildir", c->tls_sink ? tls_dir : svc);
		error_clear(&err);
		r = smtp_send(&o, &env, msg, strlen(msg), &code, &err);
		if (r != c->want)
			fprintf(stderr, "smtp case %s: got %d (%s)\n", c->tag, r, error_msg(&err));
		CU_ASSERT_EQUAL(r, c->want);
		if (c->err_part != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), c->err_part));
		snprintf(needle, sizeof(needle), "<smtp-%s-%d@example.com>", c->tag, (int)getpid());
		/* the sink writes the file before it answers 250 */
		CU_ASSERT_EQUAL(maildir_count(maildir, needle), c->want == SMTP_SENT ? 1 : 0);
		if (c->want == SMTP_SENT)
			CU_ASSERT_EQUAL(code, 250);
		free(msg);
	}
}

static void test_bad_url(void)
{
	struct smtp_options o = {.url = "http://127.0.0.1:1"};
	struct mail_envelope env;
	struct error err;
	char *msg = make_message("bad-url", &env);

	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(smtp_send(&o, &env, msg, strlen(msg), NULL, &err), SMTP_PERMFAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "smtp://"));
	free(msg);
}

/* tests/fakes/smtp_server.py in DIR (under the test temp dir) with args;
 * its port in port[]. Returns 0, or -1 when it did not come up. */
static int fake_start(const char *name, const char *args, char *dir, size_t dir_size, char *port,
		      size_t port_size)
{
	const char *tmp = getenv("DRAFTD_TEST_TMP");
	char cmd[8192], path[700], *text = NULL;
	size_t len;
	int i;

	snprintf(dir, dir_size, "%s/fake-%s.%d", tmp != NULL ? tmp : "/tmp", name, (int)getpid());
	snprintf(
		cmd, sizeof(cmd),
		"rm -rf '%s' && mkdir -p '%s' && { /usr/bin/python3 '%s/tests/fakes/smtp_server.py'"
		" --port-file '%s/port' --maildir '%s/maildir' --log '%s/log' %s"
		" </dev/null >'%s/out' 2>&1 & echo $! >'%s/pid'; }",
		dir, dir, test_src_dir(), dir, dir, dir, args, dir, dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/port", dir);
	for (i = 0; i < 100; i++) {
		if (file_read_all(path, 16, &text, &len, NULL) == 0)
			break;
		usleep(100 * 1000);
	}
	if (text == NULL)
		return -1;
	text[strcspn(text, "\r\n")] = '\0';
	str_copy(port, port_size, text);
	free(text);
	return 0;
}

static void fake_stop(const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "kill \"$(cat '%s/pid')\" 2>/dev/null; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "smtp: stopping the fake server in %s failed\n", dir);
}

/* What a server does after the message's data decides the outcome: a lost
 * connection or a late answer after the whole message went out is
 * SMTP_UNCERTAIN (the server stored it), a 4xx or 5xx verdict is not. */
static void test_ambiguous_outcomes(void)
{
	static const struct {
		const char *tag;
		enum smtp_result want;
		int stored;
	} cases[] = {
		{"drop", SMTP_UNCERTAIN, 1},    {"late", SMTP_UNCERTAIN, 1},
		{"tempfail", SMTP_TEMPFAIL, 0}, {"permfail", SMTP_PERMFAIL, 0},
		{"ok", SMTP_SENT, 1},
	};
	char dir[600], port[16], url[64], maildir[700], needle[128];
	struct error err;
	struct mail_envelope env;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(fake_start("ambiguous", "--modes drop,late:4,tempfail,permfail,ok",
					 dir, sizeof(dir), port, sizeof(port)),
			      0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%s", port);
	snprintf(maildir, sizeof(maildir), "%s/maildir", dir);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct smtp_options o = {
			.url = url, .tls = false, .connect_timeout = 5, .timeout = 2};
		char *msg = make_message(cases[i].tag, &env);
		enum smtp_result r;

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		error_clear(&err);
		r = smtp_send(&o, &env, msg, strlen(msg), NULL, &err);
		if (r != cases[i].want)
			fprintf(stderr, "smtp case %s: got %d (%s)\n", cases[i].tag, r,
				error_msg(&err));
		CU_ASSERT_EQUAL(r, cases[i].want);
		if (cases[i].want == SMTP_UNCERTAIN)
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "may have been delivered"));
		snprintf(needle, sizeof(needle), "<smtp-%s-%d@example.com>", cases[i].tag,
			 (int)getpid());
		CU_ASSERT_EQUAL(maildir_count(maildir, needle), cases[i].stored);
		free(msg);
	}
	fake_stop(dir);
}

/* Counts lines of the fake server's log in dir that start with prefix. */
static int log_lines(const char *dir, const char *prefix)
{
	char path[700], *data = NULL, *line;
	size_t len;
	int n = 0;

	snprintf(path, sizeof(path), "%s/log", dir);
	if (file_read_all(path, 1 << 20, &data, &len, NULL) < 0)
		return 0;
	for (line = data; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	}
	free(data);
	return n;
}

/* A STARTTLS server whose certificate the trusted test CA issued for code
 * signing only: refused right after the handshake, before AUTH (the
 * password) and before MAIL (the message); the same server with a serverAuth
 * certificate works. */
static void test_tls_wrong_key_usage(void)
{
	static const struct {
		const char *tag, *eku;
		bool credentials;
		enum smtp_result want;
		int auth, mail;
	} cases[] = {
		{"eku-code-auth", "codeSigning", true, SMTP_TEMPFAIL, 0, 0},
		{"eku-code-noauth", "codeSigning", false, SMTP_TEMPFAIL, 0, 0},
		{"eku-server-auth", "serverAuth", true, SMTP_SENT, 1, 1},
		{"eku-none-auth", "none", true, SMTP_SENT, 1, 1},
	};
	char dir[600], cert[700], ca[800], args[2048], cmd[2048], port[16], url[64];
	struct error err;
	struct mail_envelope env;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct smtp_options o = {.url = url,
					 .tls = true,
					 .ca_file = ca,
					 .user = cases[i].credentials ? "support" : NULL,
					 .password = "s3cret",
					 .connect_timeout = 5,
					 .timeout = 10};
		char *msg = make_message(cases[i].tag, &env);
		enum smtp_result r;

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		snprintf(cert, sizeof(cert), "%s/cert-%s.%d", getenv("DRAFTD_TEST_TMP"),
			 cases[i].tag, (int)getpid());
		snprintf(cmd, sizeof(cmd), "'%s/tests/fakes/make_cert.sh' '%s' %s", test_src_dir(),
			 cert, cases[i].eku);
		CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
		snprintf(args, sizeof(args),
			 "--tls-cert '%s/server.pem' --tls-key '%s/server.key' %s", cert, cert,
			 cases[i].credentials ? "--auth" : "");
		CU_ASSERT_EQUAL_FATAL(
			fake_start(cases[i].tag, args, dir, sizeof(dir), port, sizeof(port)), 0);
		snprintf(ca, sizeof(ca), "%s/ca.pem", cert);
		snprintf(url, sizeof(url), "smtp://localhost:%s", port);
		error_clear(&err);
		r = smtp_send(&o, &env, msg, strlen(msg), NULL, &err);
		if (r != cases[i].want)
			fprintf(stderr, "smtp case %s: got %d (%s)\n", cases[i].tag, r,
				error_msg(&err));
		CU_ASSERT_EQUAL(r, cases[i].want);
		if (cases[i].want != SMTP_SENT)
			CU_ASSERT_PTR_NOT_NULL(strstr(error_msg(&err), "serverAuth"));
		CU_ASSERT_EQUAL(log_lines(dir, "AUTH ") > 0, cases[i].auth > 0);
		CU_ASSERT_EQUAL(log_lines(dir, "MAIL ") > 0, cases[i].mail > 0);
		fake_stop(dir);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cert);
		if (system(cmd) != 0)
			fprintf(stderr, "smtp: removing %s failed\n", cert);
		free(msg);
	}
}

static const struct test_case smtp_cases[] = {
	{"plaintext, refused fallback, STARTTLS with and without the CA", test_send_cases},
	{"a non-SMTP url is refused", test_bad_url},
	{"lost connection or late answer after the data: uncertain; 4xx/5xx: not",
	 test_ambiguous_outcomes},
	{"TLS: a trusted certificate for code signing only gets no password, no mail",
	 test_tls_wrong_key_usage},
	{NULL, NULL},
};

TEST_SUITE("smtp", smtp_init, smtp_cleanup, smtp_cases)
