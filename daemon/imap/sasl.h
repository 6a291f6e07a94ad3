/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_SASL_H
#define DRAFTD_SASL_H

#include <stddef.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/error.h"

/* SASL for OAuth 2.0 bearer tokens, as Microsoft 365 and Gmail want for IMAP
 * and SMTP: the initial client response of XOAUTH2 (Google's and Microsoft's
 * mechanism) and OAUTHBEARER (RFC 7628), and the JSON error challenge a
 * server answers a refused token with. Pure string building and parsing, no
 * I/O; thread-safe. Tokens are secrets: nothing here logs them and no error
 * text ever contains one. */

/* The most bytes of an access token (Microsoft's are JWTs of 1.5-4 KB). */
#define SASL_TOKEN_MAX 16384
/* The most bytes of a login name. */
#define SASL_USER_MAX 320
/* The most bytes of a server's error challenge, base64 included. */
#define SASL_CHALLENGE_MAX 8192

/* What a client answers an error challenge with before the server's final
 * NO (RFC 7628 3.2.3: a single %x01; base64 as IMAP and SMTP send it). */
#define SASL_OAUTH_ERROR_REPLY_B64 "AQ=="

enum sasl_mech { SASL_XOAUTH2 = 0, SASL_OAUTHBEARER };

struct sasl_oauth {
	enum sasl_mech mech;
	const char *user;  /* the mailbox's login name (authzid) */
	const char *token; /* the access token */
	const char *host;  /* OAUTHBEARER only: the server's name; NULL omits it */
	unsigned int port; /* OAUTHBEARER only: 0 omits it */
};

/* The mechanism's name as servers advertise it ("XOAUTH2", "OAUTHBEARER"). */
const char *sasl_mech_name(enum sasl_mech mech);

/* Appends the initial client response to out: raw when b64 is 0 (what
 * libcurl's CURLOPT_XOAUTH2_BEARER and libetpan build themselves), base64
 * as IMAP AUTHENTICATE and SMTP AUTH send it when b64 is 1:
 *   XOAUTH2      "user=" user ^A "auth=Bearer " token ^A ^A
 *   OAUTHBEARER  "n,a=" saslname "," ^A ["host=" host ^A] ["port=" port ^A]
 *                "auth=Bearer " token ^A ^A   (RFC 7628 3.1; "," and "=" in
 *                the name escaped as "=2C" and "=3D")
 * Returns 0, or -1 with a static reason in err: an empty or overlong
 * user or token, a control character in the user or host, a token outside
 * RFC 6750's b64token characters, or out's ceiling crossed. out is left as
 * it was on failure. */
int sasl_oauth_response(const struct sasl_oauth *auth, int b64, struct buf *out, struct error *err)
	__attribute__((warn_unused_result));

/* The fields of a server's error challenge (RFC 7628 3.2.2; Google's XOAUTH2
 * sends the same object). Values are printable ASCII, cut to the field's
 * size; "" when absent. */
struct sasl_oauth_error {
	char status[64]; /* "invalid_token", "insufficient_scope", Google's "401" */
	char scope[256];
	char openid_configuration[512];
};

/* Parses challenge[len], the base64 text after "+ " (IMAP) or "334 " (SMTP).
 * Returns 0, or -1 with a static reason in err when it is too long, not
 * base64, not a JSON object, or has no string "status". */
int sasl_oauth_error_parse(const char *challenge, size_t len, struct sasl_oauth_error *err_r,
			   struct error *err) __attribute__((warn_unused_result));

/* A one-line explanation of a parsed error for logs and the page, such as
 * "the server refused the access token (invalid_token): it expired or was
 * revoked, fetch a new one" into out[size]. */
void sasl_oauth_error_describe(const struct sasl_oauth_error *err, char *out, size_t size);

#endif
