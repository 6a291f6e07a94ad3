/* smtp_send() against the real aiosmtpd sink: plaintext with tls = off,
 * a refused plaintext fallback with tls = on, a closed port, and a STARTTLS
 * sink (started here with the test CA's server certificate) that works with
 * the CA and fails without it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/mail_compose.h"
#include "daemon/smtp_send.h"
#include "daemon/util.h"
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
	const char *err;
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
		if (file_read_all(path, 1 << 20, &data, &len, &err) == 0 &&
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
	const char *err;
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
	if (file_read_all(path, 16, &port, &len, &err) < 0)
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
	const char *err;

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
	char url[128], ca[600], maildir[600], errbuf[512], needle[128];
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
		errbuf[0] = '\0';
		r = smtp_send(&o, &env, msg, strlen(msg), &code, errbuf, sizeof(errbuf));
		if (r != c->want)
			fprintf(stderr, "smtp case %s: got %d (%s)\n", c->tag, r, errbuf);
		CU_ASSERT_EQUAL(r, c->want);
		if (c->err_part != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, c->err_part));
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
	char errbuf[256], *msg = make_message("bad-url", &env);

	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(smtp_send(&o, &env, msg, strlen(msg), NULL, errbuf, sizeof(errbuf)),
			SMTP_PERMFAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "smtp://"));
	free(msg);
}

static const struct test_case smtp_cases[] = {
	{"plaintext, refused fallback, STARTTLS with and without the CA", test_send_cases},
	{"a non-SMTP url is refused", test_bad_url},
	{NULL, NULL},
};

TEST_SUITE("smtp", smtp_init, smtp_cleanup, smtp_cases)
