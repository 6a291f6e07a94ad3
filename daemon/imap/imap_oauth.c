/* SPDX-License-Identifier: MIT */
/* OAuth 2.0 logins on IMAP: AUTHENTICATE OAUTHBEARER (RFC 7628, the
 * standard, offered by Gmail and Dovecot) or XOAUTH2 (what Microsoft 365
 * offers), with a refused token fetched anew and tried once more. */
#include "daemon/imap/imap_private.h"

#include <stdio.h>
#include <string.h>

#include "daemon/imap/sasl.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/util.h"
#include "daemon/oauth/oauth_token.h"

/* What one AUTHENTICATE came to. */
enum imap_sasl_outcome {
	IMAP_SASL_OK = 0,
	IMAP_SASL_REFUSED = 1, /* a tagged NO: the token, try a fresh one */
	IMAP_SASL_BROKEN = -1, /* the connection or the exchange broke */
};

static int imap_write(struct imap_conn *conn, const char *s, size_t len)
{
	return mailstream_write(conn->imap->imap_stream, s, len) == (ssize_t)len ? 0 : -1;
}

/* The base64 text of a continuation line "+ xxx\r\n" into out (bounded). */
static size_t imap_continuation_text(const char *line, char *out, size_t size)
{
	size_t n;

	line += 1;
	line += strspn(line, " ");
	n = strcspn(line, "\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, line, n);
	out[n] = '\0';
	return n;
}

/* Sends the command line; the SASL-IR form carries resp on it, else resp is
 * sent after the server's empty continuation. Then an error challenge, if
 * one comes, is summed up in refusal ("invalid_token; scope mail") and
 * answered with the ^A dummy response (RFC 7628 3.2.3), and the tagged
 * answer is read. */
static enum imap_sasl_outcome imap_oauthbearer_exchange(struct imap_conn *conn,
							const struct buf *resp, char *refusal,
							size_t rsize)
{
	static const char cmd[] = "AUTHENTICATE OAUTHBEARER";
	struct mailimap_response *response = NULL;
	mailstream *s = conn->imap->imap_stream;
	bool sasl_ir = mailimap_has_extension(conn->imap, "SASL-IR") != 0;
	enum imap_sasl_outcome ret = IMAP_SASL_BROKEN;
	char *line;
	int r;

	/* libetpan's own logger must never see the token */
	mailstream_set_privacy(s, 0);
	r = mailimap_send_current_tag(conn->imap);
	if (r != MAILIMAP_NO_ERROR || imap_write(conn, cmd, sizeof(cmd) - 1) < 0 ||
	    (sasl_ir &&
	     (imap_write(conn, " ", 1) < 0 || imap_write(conn, resp->data, resp->len) < 0)) ||
	    imap_write(conn, "\r\n", 2) < 0 || mailstream_flush(s) < 0)
		goto broken;
	line = mailimap_read_line(conn->imap);
	if (line != NULL && !sasl_ir && line[0] == '+') {
		if (imap_write(conn, resp->data, resp->len) < 0 ||
		    imap_write(conn, "\r\n", 2) < 0 || mailstream_flush(s) < 0)
			goto broken;
		line = mailimap_read_line(conn->imap);
	}
	mailstream_set_privacy(s, 1);
	if (line != NULL && line[0] == '+') {
		char text[SASL_CHALLENGE_MAX + 1];
		struct sasl_oauth_error e;
		struct error why;
		size_t n = imap_continuation_text(line, text, sizeof(text));

		if (sasl_oauth_error_parse(text, n, &e, &why) == 0)
			snprintf(refusal, rsize, "%.60s%s%.160s", e.status,
				 e.scope[0] != '\0' ? "; scope " : "", e.scope);
		else
			snprintf(refusal, rsize, "%s", error_msg(&why));
		if (imap_write(conn, SASL_OAUTH_ERROR_REPLY_B64 "\r\n",
			       sizeof(SASL_OAUTH_ERROR_REPLY_B64 "\r\n") - 1) < 0 ||
		    mailstream_flush(s) < 0)
			goto broken;
		line = mailimap_read_line(conn->imap);
	}
	if (line == NULL)
		goto broken;
	r = mailimap_parse_response(conn->imap, &response);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "AUTHENTICATE OAUTHBEARER", r);
		goto out;
	}
	if (response->rsp_resp_done->rsp_type != MAILIMAP_RESP_DONE_TYPE_TAGGED) {
		imap_set_error(conn, "AUTHENTICATE OAUTHBEARER (the server said BYE)",
			       MAILIMAP_ERROR_LOGIN);
		goto out;
	}
	if (response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type ==
	    MAILIMAP_RESP_COND_STATE_OK) {
		conn->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		ret = IMAP_SASL_OK;
	} else {
		ret = IMAP_SASL_REFUSED;
	}
	goto out;
broken:
	mailstream_set_privacy(s, 1);
	imap_set_error(conn, "AUTHENTICATE OAUTHBEARER", MAILIMAP_ERROR_STREAM);
out:
	if (response != NULL)
		mailimap_response_free(response);
	return ret;
}

/* One AUTHENTICATE with token in mech. */
static enum imap_sasl_outcome imap_oauth_once(struct imap_conn *conn,
					      const struct mailbox_config *mb,
					      const struct imap_url *url, enum sasl_mech mech,
					      const char *token, char *refusal, size_t rsize)
{
	struct sasl_oauth a = {mech, mb->user, token, url->host, url->port};
	enum imap_sasl_outcome ret = IMAP_SASL_BROKEN;
	struct error why;
	struct buf resp;
	int r;

	refusal[0] = '\0';
	if (mech == SASL_XOAUTH2) {
		r = mailimap_oauth2_authenticate(conn->imap, mb->user, token);
		if (r == MAILIMAP_NO_ERROR)
			return IMAP_SASL_OK;
		if (conn->imap->imap_stream == NULL || r == MAILIMAP_ERROR_STREAM ||
		    r == MAILIMAP_ERROR_PARSE) {
			imap_set_error(conn, "AUTHENTICATE XOAUTH2", r);
			return IMAP_SASL_BROKEN;
		}
		return IMAP_SASL_REFUSED;
	}
	buf_init(&resp, SASL_TOKEN_MAX * 2);
	if (sasl_oauth_response(&a, 1, &resp, &why) < 0) {
		snprintf(conn->error, sizeof(conn->error), "AUTHENTICATE OAUTHBEARER as %s: %s",
			 mb->user, error_msg(&why));
		goto out;
	}
	ret = imap_oauthbearer_exchange(conn, &resp, refusal, rsize);
out:
	if (resp.data != NULL)
		explicit_bzero(resp.data, resp.cap);
	buf_free(&resp);
	return ret;
}

/* The mechanism to use: OAUTHBEARER when offered (RFC 7628), else XOAUTH2.
 * Returns 0, or -1 when the server offers neither. */
static int imap_oauth_mech(struct imap_conn *conn, enum sasl_mech *mech_r)
{
	for (int asked = 0; asked < 2; asked++) {
		if (mailimap_has_authentication(conn->imap, "OAUTHBEARER") != 0) {
			*mech_r = SASL_OAUTHBEARER;
			return 0;
		}
		if (mailimap_has_authentication(conn->imap, "XOAUTH2") != 0) {
			*mech_r = SASL_XOAUTH2;
			return 0;
		}
		if (asked == 0) {
			struct mailimap_capability_data *caps = NULL;

			/* some servers list AUTH= only when asked */
			if (mailimap_capability(conn->imap, &caps) == MAILIMAP_NO_ERROR &&
			    caps != NULL)
				mailimap_capability_data_free(caps);
		}
	}
	return -1;
}

int imap_login_oauth2(struct imap_conn *conn, const struct mailbox_config *mb,
		      const struct imap_url *url)
{
	char token[OAUTH_TOKEN_BUF], why[400], refusal[300];
	struct error err;
	enum imap_sasl_outcome got = IMAP_SASL_BROKEN;
	enum sasl_mech mech = SASL_XOAUTH2;
	int ret = -1;

	refusal[0] = '\0';
	if (imap_oauth_mech(conn, &mech) < 0) {
		snprintf(conn->error, sizeof(conn->error),
			 "auth = oauth2, but the server offers neither AUTH=OAUTHBEARER nor "
			 "AUTH=XOAUTH2");
		goto out;
	}
	str_copy(conn->auth_mech, sizeof(conn->auth_mech), sasl_mech_name(mech));
	for (int attempt = 0; attempt < 2; attempt++) {
		if (oauth_token_get(mb, attempt > 0, token, sizeof(token), &err) < 0) {
			snprintf(conn->error, sizeof(conn->error), "%s", error_msg(&err));
			goto out;
		}
		got = imap_oauth_once(conn, mb, url, mech, token, refusal, sizeof(refusal));
		explicit_bzero(token, sizeof(token));
		if (got != IMAP_SASL_REFUSED)
			break;
		/* expired early or revoked: forget it, the next get fetches */
		oauth_token_forget(mb);
	}
	if (got == IMAP_SASL_OK) {
		ret = 0;
		goto out;
	}
	if (got == IMAP_SASL_REFUSED) {
		/* the last token was a fresh one: not an expiry, the account or scope */
		snprintf(why, sizeof(why),
			 "AUTHENTICATE %s as %s: the server refused a freshly fetched access "
			 "token%s%s%s (check that user is the account the token is for, and "
			 "oauth_scope)",
			 sasl_mech_name(mech), mb->user, refusal[0] != '\0' ? " (" : "", refusal,
			 refusal[0] != '\0' ? ")" : "");
		imap_set_error(conn, why, MAILIMAP_ERROR_LOGIN);
	}
out:
	explicit_bzero(token, sizeof(token));
	return ret;
}
