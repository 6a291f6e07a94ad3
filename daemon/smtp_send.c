#include "daemon/smtp_send.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
static enum smtp_result smtp_classify(CURLcode rc, long code, const char *curl_err, char *errbuf,
				      size_t errsize)
{
	const char *detail = curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc);

	if (rc == CURLE_USE_SSL_FAILED) {
		snprintf(errbuf, errsize,
			 "smtp: STARTTLS required but the server did not offer it (%s); "
			 "refusing to send in plaintext",
			 detail);
		return SMTP_TEMPFAIL;
	}
	if (code >= 400 && code <= 599)
		snprintf(errbuf, errsize, "smtp: server replied %ld: %s", code, detail);
	else if (code > 0)
		snprintf(errbuf, errsize, "smtp: after reply %ld: %s", code, detail);
	else
		snprintf(errbuf, errsize, "smtp: %s", detail);
	return code >= 500 && code <= 599 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}

enum smtp_result smtp_send(const struct smtp_options *opts, const struct mail_envelope *env,
			   const char *data, size_t len, long *code_r, char *errbuf, size_t errsize)
{
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
		snprintf(errbuf, errsize, "smtp: url must be smtp:// or smtps://");
		return SMTP_PERMFAIL;
	}
	if (env->rcpt_count == 0) {
		snprintf(errbuf, errsize, "smtp: no recipient");
		return SMTP_PERMFAIL;
	}
	pthread_once(&smtp_curl_once, smtp_curl_init);
	curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(errbuf, errsize, "smtp: out of memory");
		goto out;
	}
	/* angle brackets: curl passes the value to MAIL FROM / RCPT TO as is */
	snprintf(from, sizeof(from), "<%s>", env->from);
	for (i = 0; i < env->rcpt_count; i++) {
		snprintf(rcpt_buf, sizeof(rcpt_buf), "<%s>", env->rcpt[i]);
		item = curl_slist_append(rcpt, rcpt_buf);
		if (item == NULL) {
			snprintf(errbuf, errsize, "smtp: out of memory");
			goto out;
		}
		rcpt = item;
	}
	curl_easy_setopt(curl, CURLOPT_URL, opts->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
			 (long)(opts->connect_timeout > 0 ? opts->connect_timeout : 30));
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)(opts->timeout > 0 ? opts->timeout : 120));
	/* smtps:// is TLS anyway; on smtp:// ALL makes a missing STARTTLS fatal */
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 opts->tls || smtp_url_is_smtps(opts->url) ? (long)CURLUSESSL_ALL
								   : (long)CURLUSESSL_NONE);
	if (opts->ca_file != NULL && opts->ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file);
	if (opts->user != NULL && opts->user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, opts->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD,
				 opts->password != NULL ? opts->password : "");
	}
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
	ret = smtp_classify(rc, code, curl_err, errbuf, errsize);
	/* Why not curl's own error code alone: a lost connection and a timeout
	 * look the same before and after DATA. What tells them apart is whether
	 * the whole message went to curl (see struct smtp_reader) and whether
	 * the last reply is still DATA's 354, not a final 4xx/5xx verdict on
	 * the message (curl keeps the latest code in CURLINFO_RESPONSE_CODE). */
	if (len > 0 && reader.pos == len && !(code >= 400 && code <= 599)) {
		char detail[256];

		snprintf(detail, sizeof(detail), "%s", errbuf);
		snprintf(errbuf, errsize,
			 "%s; the whole message had been sent, so it may have been delivered",
			 detail);
		ret = SMTP_UNCERTAIN;
	}
out:
	curl_slist_free_all(rcpt);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}
