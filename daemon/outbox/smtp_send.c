/* SPDX-License-Identifier: MIT */
#include "daemon/outbox/smtp_send.h"

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/imap/imap_tls.h"
#include "daemon/lib/util.h"

#define SMTP_CHAIN_MAX 16
/* With a bearer token: OAUTHBEARER (RFC 7628) when the server offers it,
 * else XOAUTH2 (Microsoft 365); never a password mechanism with an empty
 * password, which curl would otherwise pick before them. */
#define SMTP_OAUTH_MECHS "AUTH=OAUTHBEARER;AUTH=XOAUTH2"

/* The message as curl reads it. pos is how far it got: curl sends the
 * final "." only after the last byte was handed over, and a server may take
 * a message only after that "." (RFC 5321 4.1.1.4), so pos < len means it
 * cannot have been accepted. */
struct smtp_reader {
	const char *data;
	size_t len;
	size_t pos;
};

static pthread_once_t smtp_curl_once = PTHREAD_ONCE_INIT;

static void smtp_curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t smtp_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct smtp_reader *r = userdata;
	size_t n = size * nmemb;

	if (n > r->len - r->pos)
		n = r->len - r->pos;
	memcpy(ptr, r->data + r->pos, n);
	r->pos += n;
	return n;
}

static bool smtp_url_is_smtps(const char *url)
{
	return strncasecmp(url, "smtps://", 8) == 0;
}

/* Turns curl's outcome into one line: a refused STARTTLS is said plainly,
 * since "Requested SSL level failed" does not tell an operator what to do. */
static enum smtp_result smtp_classify(CURLcode rc, long code, const char *curl_err,
				      struct error *err)
{
	const char *detail = curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc);

	if (rc == CURLE_USE_SSL_FAILED) {
		error_set(err,
			  "smtp: STARTTLS required but the server did not offer it (%s); "
			  "refusing to send in plaintext",
			  detail);
		return SMTP_TEMPFAIL;
	}
	if (code >= 400 && code <= 599)
		error_set(err, "smtp: server replied %ld: %s", code, detail);
	else if (code > 0)
		error_set(err, "smtp: after reply %ld: %s", code, detail);
	else
		error_set(err, "smtp: %s", detail);
	return code >= 500 && code <= 599 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}

static bool smtp_uses_tls(const struct smtp_options *opts)
{
	return opts->tls || smtp_url_is_smtps(opts->url);
}

/* The options the probe and the submission share. */
static void smtp_setopt_common(CURL *curl, const struct smtp_options *opts, char *curl_err)
{
	curl_easy_setopt(curl, CURLOPT_URL, opts->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
			 (long)(opts->connect_timeout > 0 ? opts->connect_timeout : 30));
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)(opts->timeout > 0 ? opts->timeout : 120));
	/* smtps:// is TLS anyway; on smtp:// ALL makes a missing STARTTLS fatal */
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 smtp_uses_tls(opts) ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (opts->ca_file != NULL && opts->ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file);
}

/* The login, when a user is configured: a bearer token (OAUTHBEARER, else
 * XOAUTH2) or the password. The TLS probe below sends none: credentials go
 * only to a server whose certificate passed. */
static void smtp_setopt_login(CURL *curl, const struct smtp_options *opts)
{
	if (opts->user != NULL && opts->user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, opts->user);
		if (opts->bearer != NULL) {
			curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, opts->bearer);
			curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, SMTP_OAUTH_MECHS);
		} else {
			curl_easy_setopt(curl, CURLOPT_PASSWORD,
					 opts->password != NULL ? opts->password : "");
		}
	}
}

/* The key purpose of the server's certificate. curl with gnutls checks the
 * chain and the host name but not the extended key usage, and offers no
 * CURLOPT_SSL_CTX_FUNCTION for gnutls; so the chain of the live session is
 * taken (CURLINFO_TLS_SSL_PTR) and verified again with the purpose set. */
struct smtp_tls_check {
	CURL *curl;
	const struct smtp_options *opts;
	char host[256];
	char why[400];
};

/* Returns 0 when the session's certificate is for a TLS server (or TLS is
 * off), -1 with the reason in c->why. */
static int smtp_tls_purpose(struct smtp_tls_check *c)
{
	const unsigned char *der[SMTP_CHAIN_MAX];
	size_t lens[SMTP_CHAIN_MAX];
	struct curl_tlssessioninfo *info = NULL;
	const gnutls_datum_t *chain;
	unsigned int n = 0, i;
	struct error why;

	if (!smtp_uses_tls(c->opts))
		return 0;
	if (curl_easy_getinfo(c->curl, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == NULL ||
	    info->backend != CURLSSLBACKEND_GNUTLS || info->internals == NULL) {
		snprintf(c->why, sizeof(c->why),
			 "smtp: TLS: the server's certificate cannot be inspected");
		return -1;
	}
	chain = gnutls_certificate_get_peers((gnutls_session_t)info->internals, &n);
	for (i = 0; chain != NULL && i < n && i < SMTP_CHAIN_MAX; i++) {
		der[i] = chain[i].data;
		lens[i] = chain[i].size;
	}
	if (imap_tls_verify_chain(der, lens, i, c->host, c->opts->ca_file, &why) < 0) {
		snprintf(c->why, sizeof(c->why), "smtp: TLS: %s", error_msg(&why));
		return -1;
	}
	return 0;
}

/* CURLOPT_PREREQFUNCTION: the connection (and TLS) is up, MAIL FROM and the
 * message have not been sent. */
static int smtp_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
		       int local_port)
{
	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	return smtp_tls_purpose(clientp) == 0 ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/* The URL's host as a certificate names it (no IPv6 brackets). */
static int smtp_url_host(const char *url, char *host, size_t size)
{
	CURLU *u = curl_url();
	char *h = NULL;
	size_t len;
	int ret = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	len = strlen(h);
	if (len >= 2 && h[0] == '[' && h[len - 1] == ']')
		snprintf(host, size, "%.*s", (int)(len - 2), h + 1);
	else
		str_copy(host, size, h);
	ret = 0;
out:
	curl_free(h);
	curl_url_cleanup(u);
	return ret;
}

/* CURLOPT_PREREQFUNCTION of the probe: checks, then stops either way. */
static int smtp_probe_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
			     int local_port)
{
	struct smtp_tls_check *c = clientp;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (smtp_tls_purpose(c) == 0)
		str_copy(c->why, sizeof(c->why), "ok");
	return CURL_PREREQFUNC_ABORT;
}

/* SMTP AUTH is part of curl's connect phase, before any callback of the
 * submission runs (and CURLOPT_CONNECT_ONLY stops before STARTTLS). So with
 * credentials a first connection goes through EHLO and STARTTLS without
 * them, its certificate is checked before MAIL FROM and the transaction is
 * abandoned there; the password goes only to a server that passed. The
 * submission's own connection is checked again before MAIL FROM. Returns 0,
 * or -1 with err set. */
static int smtp_tls_probe(const struct smtp_options *opts, struct smtp_tls_check *c,
			  struct error *err)
{
	static const char nobody[] = "<>";
	struct curl_slist rcpt = {(char *)nobody, NULL};
	char curl_err[CURL_ERROR_SIZE];
	CURL *curl = curl_easy_init();
	CURLcode rc;
	int ret = -1;

	curl_err[0] = '\0';
	c->why[0] = '\0';
	if (curl == NULL) {
		error_set(err, "smtp: out of memory");
		return -1;
	}
	smtp_setopt_common(curl, opts, curl_err);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, nobody);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, &rcpt);
	curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, smtp_probe_prereq);
	curl_easy_setopt(curl, CURLOPT_PREREQDATA, c);
	c->curl = curl;
	rc = curl_easy_perform(curl);
	if (rc == CURLE_ABORTED_BY_CALLBACK && strcmp(c->why, "ok") == 0)
		ret = 0;
	else if (rc == CURLE_ABORTED_BY_CALLBACK && c->why[0] != '\0')
		error_set(err, "%s", c->why);
	else
		(void)smtp_classify(rc, 0, curl_err, err);
	c->curl = NULL;
	c->why[0] = '\0';
	curl_easy_cleanup(curl);
	return ret;
}

enum smtp_result smtp_send(const struct smtp_options *opts, const struct mail_envelope *env,
			   const char *data, size_t len, long *code_r, struct error *err)
{
	struct smtp_tls_check check;
	struct smtp_reader reader = {data, len, 0};
	struct curl_slist *rcpt = NULL, *item;
	char from[MAIL_ADDR_MAX + 2], rcpt_buf[MAIL_ADDR_MAX + 2], curl_err[CURL_ERROR_SIZE];
	enum smtp_result ret = SMTP_TEMPFAIL;
	CURL *curl = NULL;
	CURLcode rc;
	long code = 0;
	size_t i;

	curl_err[0] = '\0';
	if (code_r != NULL)
		*code_r = 0;
	if (opts->url == NULL ||
	    (strncasecmp(opts->url, "smtp://", 7) != 0 && !smtp_url_is_smtps(opts->url))) {
		error_set(err, "smtp: url must be smtp:// or smtps://");
		return SMTP_PERMFAIL;
	}
	if (env->rcpt_count == 0) {
		error_set(err, "smtp: no recipient");
		return SMTP_PERMFAIL;
	}
	pthread_once(&smtp_curl_once, smtp_curl_init);
	memset(&check, 0, sizeof(check));
	check.opts = opts;
	if (smtp_uses_tls(opts) && smtp_url_host(opts->url, check.host, sizeof(check.host)) < 0) {
		error_set(err, "smtp: the url has no host");
		return SMTP_PERMFAIL;
	}
	if (smtp_uses_tls(opts) && opts->user != NULL && opts->user[0] != '\0' &&
	    smtp_tls_probe(opts, &check, err) < 0)
		return SMTP_TEMPFAIL;
	curl = curl_easy_init();
	if (curl == NULL) {
		error_set(err, "smtp: out of memory");
		goto out;
	}
	/* angle brackets: curl passes the value to MAIL FROM / RCPT TO as is */
	snprintf(from, sizeof(from), "<%s>", env->from);
	for (i = 0; i < env->rcpt_count; i++) {
		snprintf(rcpt_buf, sizeof(rcpt_buf), "<%s>", env->rcpt[i]);
		item = curl_slist_append(rcpt, rcpt_buf);
		if (item == NULL) {
			error_set(err, "smtp: out of memory");
			goto out;
		}
		rcpt = item;
	}
	smtp_setopt_common(curl, opts, curl_err);
	check.curl = curl;
	curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, smtp_prereq);
	curl_easy_setopt(curl, CURLOPT_PREREQDATA, &check);
	smtp_setopt_login(curl, opts);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &reader);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code_r != NULL)
		*code_r = code;
	if (rc == CURLE_OK) {
		ret = SMTP_SENT;
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && check.why[0] != '\0') {
		error_set(err, "%s", check.why);
		goto out;
	}
	ret = smtp_classify(rc, code, curl_err, err);
	/* Why not curl's own error code alone: a lost connection and a timeout
	 * look the same before and after DATA. What tells them apart is whether
	 * the whole message went to curl (see struct smtp_reader) and whether
	 * the last reply is still DATA's 354, not a final 4xx/5xx verdict on
	 * the message (curl keeps the latest code in CURLINFO_RESPONSE_CODE). */
	if (len > 0 && reader.pos == len && !(code >= 400 && code <= 599)) {
		char detail[256];

		snprintf(detail, sizeof(detail), "%s", error_msg(err));
		error_set(err, "%s; the whole message had been sent, so it may have been delivered",
			  detail);
		ret = SMTP_UNCERTAIN;
	}
out:
	curl_slist_free_all(rcpt);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}

int smtp_check(const struct smtp_options *opts, struct error *err)
{
	char curl_err[CURL_ERROR_SIZE];
	long code = 0;
	CURL *curl = NULL;
	CURLcode rc;
	int ret = -1;

	curl_err[0] = '\0';
	if (opts->url == NULL ||
	    (strncasecmp(opts->url, "smtp://", 7) != 0 && !smtp_url_is_smtps(opts->url))) {
		error_set(err, "url must be smtp:// or smtps://");
		return -1;
	}
	pthread_once(&smtp_curl_once, smtp_curl_init);
	curl = curl_easy_init();
	if (curl == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	smtp_setopt_common(curl, opts, curl_err);
	/* for SMTP the connect phase is EHLO, STARTTLS and AUTH: then it stops */
	curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
	smtp_setopt_login(curl, opts);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		(void)smtp_classify(rc, code, curl_err, err);
		goto out;
	}
	ret = 0;
out:
	curl_easy_cleanup(curl);
	return ret;
}
