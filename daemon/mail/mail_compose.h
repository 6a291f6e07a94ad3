/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_MAIL_COMPOSE_H
#define DRAFTD_MAIL_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/error.h"

/* Builds the RFC 5322 reply the outbox sends: pure functions over strings,
 * no I/O. Everything that ends up in a header comes from outside (the
 * original mail, the model, a reviewer), so every value is validated or
 * encoded here and a CR or LF can never start a new header. */

#define MAIL_ADDR_MAX       256 /* bytes of one addr-spec, NUL included */
#define MAIL_NAME_MAX       256 /* bytes of one display name, NUL included */
#define MAIL_CC_MAX         10
#define MAIL_REFERENCES_MAX 900 /* bytes of message ids kept in References */
#define MAIL_SUBJECT_MAX    400 /* bytes of subject text kept (UTF-8) */
#define MAIL_MESSAGE_MAX    (4u * 1024 * 1024)
#define MAIL_MSGID_MAX      300 /* bytes of one of our Message-IDs, NUL included */

struct mail_address {
	char name[MAIL_NAME_MAX]; /* display name, may be empty; UTF-8 */
	char addr[MAIL_ADDR_MAX]; /* local@domain, ASCII only */
};

/* What the reply is built from. Strings may be NULL where marked. */
struct mail_reply {
	const char *from;            /* the mailbox's address: "a@b" or "Name <a@b>" */
	const char *from_name;       /* NULL/empty, or the From's display name (UTF-8) instead */
	const char *to;              /* one address: the draft's, else Reply-To, else From */
	const char *to_name;         /* NULL/empty, or a display name (UTF-8) for a bare To */
	const char *cc;              /* NULL/empty, or a comma list of at most MAIL_CC_MAX */
	const char *subject;         /* the draft's subject, else the original's; NULL ok */
	const char *orig_message_id; /* NULL when the original had none */
	const char *orig_references; /* NULL ok */
	const char *message_id;      /* ours, "<...@...>", required */
	const char *body;            /* UTF-8 text, LF or CRLF lines */
	time_t date;
	bool is_auto; /* adds Auto-Submitted: auto-replied */
};

/* The SMTP envelope of a composed reply. */
struct mail_envelope {
	char from[MAIL_ADDR_MAX];
	char rcpt[1 + MAIL_CC_MAX][MAIL_ADDR_MAX];
	size_t rcpt_count;
};

/* Parses exactly one address ("a@b", "Name <a@b>", "\"Last, First\" <a@b>").
 * Refuses CR/LF and control characters, a second address (a comma outside
 * quotes, a second <...>), non-ASCII or malformed addr-specs. Returns 0, or
 * -1 with the reason in err. */
int mail_address_parse(const char *text, struct mail_address *addr_r, struct error *err)
	__attribute__((warn_unused_result));

/* The domain of the address text in any form mail_address_parse() takes
 * ("a@b", "Name <a@b>", "\"Last, First\" <a@b>"), in lower case, into
 * out[size]. Returns 0, or -1 when text holds no valid address or the
 * domain does not fit. */
int mail_address_domain(const char *text, char *out, size_t size)
	__attribute__((warn_unused_result));

/* A new Message-ID for a reply sent from address: "<32 hex random>.<unix
 * time>@domain>", the domain from address (mail_address_domain()), else
 * fallback_domain when it is a plain host name, else "draftd.invalid".
 * Returns 0, or -1 when the random generator failed or out[size] is too
 * small. Thread-safe. */
int mail_message_id_new(const char *address, const char *fallback_domain, char *out, size_t size)
	__attribute__((warn_unused_result));

/* "Re: " plus subject with every leading reply prefix (Re:, RE:, AW:, Sv:,
 * Antw:, Re[2]:, ...) removed, CR/LF/controls turned into spaces, cut at
 * MAIL_SUBJECT_MAX bytes on a UTF-8 boundary. Returns 0, or -1 when out
 * overflowed. */
int mail_reply_subject(const char *subject, struct buf *out) __attribute__((warn_unused_result));

/* Appends the complete message (CRLF lines, quoted-printable UTF-8 body) to
 * out and fills env_r. Returns 0, or -1 with the field and the reason in
 * err ("To: more than one address"; a bad address, bad Message-ID, invalid
 * UTF-8, too large): such a draft can never be sent as it is. */
int mail_compose(const struct mail_reply *reply, struct buf *out, struct mail_envelope *env_r,
		 struct error *err) __attribute__((warn_unused_result));

/* Quoted-printable (RFC 2045) of text with lines normalised to CRLF and
 * encoded lines of at most 76 characters. Returns 0 or -1 on overflow. */
int mail_qp_encode(const char *text, size_t len, struct buf *out)
	__attribute__((warn_unused_result));

#endif
