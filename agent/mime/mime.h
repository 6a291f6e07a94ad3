/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_MIME_H
#define DRAFTD_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/lib/error.h"

/* MIME to text: turns one raw RFC 5322 message into decoded UTF-8 headers, the
 * text the customer wrote (quoted history and signature split off), a
 * full_text for rule matching and a list of attachments. Built on libetpan's
 * header, content-type and transfer-encoding parsers and iconv; the MIME tree
 * itself is walked here so that depth, part count and sizes are checked before
 * anything is parsed. All functions are thread-safe (no shared state). */

struct mime_limits {
	size_t max_message_size; /* over it only the headers are parsed */
	size_t max_depth;        /* multipart nesting */
	size_t max_parts;        /* MIME entities in the whole tree */
	size_t max_header_size;  /* one header block (message or part) */
	size_t max_text_size;    /* text, quoted, signature and full_text each */
};

/* 25 MiB, depth 20, 500 parts, 64 KiB header block, 64 KiB text. */
void mime_limits_default(struct mime_limits *l);

struct config;
/* The defaults overridden by cfg->limits (a zero field keeps the default). */
void mime_limits_from_config(const struct config *cfg, struct mime_limits *l);

/* Zero-width, bidi or tag characters were stripped, or HTML hid text. */
#define MIME_FLAG_HIDDEN_TEXT (1u << 0)
/* The text body came from HTML only (no text/plain alternative). */
#define MIME_FLAG_HTML_ONLY (1u << 1)
/* A text was cut at max_text_size. */
#define MIME_FLAG_TRUNCATED (1u << 2)
/* Broken structure repaired on a best-effort basis (missing boundary,
 * truncated multipart, header lines without a colon, ...). */
#define MIME_FLAG_MALFORMED (1u << 3)
/* The message is larger than max_message_size: only its headers were read. */
#define MIME_FLAG_OVERSIZED (1u << 4)
/* A charset iconv does not know was read as Windows-1252. */
#define MIME_FLAG_UNKNOWN_CHARSET (1u << 5)
/* A depth, part-count or header-size limit was crossed (mime_parse() -1). */
#define MIME_FLAG_LIMIT (1u << 6)

/* Longest stored header value and the most headers kept for rules. */
#define MIME_HEADER_VALUE_MAX 8192
#define MIME_HEADERS_MAX      256

struct mime_header {
	char *name;  /* lower case */
	char *value; /* unfolded, trimmed, not RFC 2047 decoded, valid UTF-8 */
};

struct mime_attachment {
	char *filename;     /* decoded (RFC 2231/2047) UTF-8, NULL when unnamed */
	char *content_type; /* lower case "type/subtype" */
	size_t size;        /* decoded size in bytes */
};

struct mime_message {
	/* Decoded to UTF-8; NULL when the header is absent. */
	char *from_addr;   /* addr-spec of the first From mailbox */
	char *from_name;   /* its display name */
	char *reply_to;    /* addr-spec of the first Reply-To mailbox */
	char *to, *cc;     /* whole header, RFC 2047 decoded, for display */
	char *subject;     /* decoded, zero-width characters removed */
	char *date_raw;    /* as written */
	char *message_id;  /* as written with <>, whitespace trimmed */
	char *in_reply_to; /* as written */
	char *references;  /* as written, unfolded */
	char *auto_submitted, *precedence, *list_id, *list_unsubscribe;
	char *return_path; /* addr-spec without <>; "" for the null path <> */
	bool has_return_path;
	long long date_epoch; /* UTC seconds, -1 when Date is absent or unparsable */
	char *content_type;   /* top-level "type/subtype", lower case */

	/* Never NULL after mime_parse() returned 0 (possibly ""). */
	char *text;      /* the new text the customer wrote */
	char *quoted;    /* quoted history split off the new text */
	char *signature; /* signature and disclaimer block */
	char *full_text; /* every text part incl. hidden HTML, for rule matching */

	struct mime_attachment *attachments;
	size_t attachments_count;

	unsigned flags; /* MIME_FLAG_* */

	struct mime_header *headers; /* top-level headers in order, bounded */
	size_t headers_count;
	size_t headers_cap; /* allocated slots of headers */
};

/* Parses raw[len] (need not be NUL-terminated, may contain NULs).
 * Returns 0 on success, possibly with MIME_FLAG_MALFORMED and friends set
 * (best effort on broken mail). Returns -1 with the reason in err (may be NULL) when a limit
 * was crossed: *msg_r is then still set, with what was safe to fill (at least
 * the headers, unless the header block itself was too large, then those from
 * its first max_header_size bytes) and MIME_FLAG_OVERSIZED or MIME_FLAG_LIMIT,
 * so the caller can store the message and route it to a human. Returns -1 with
 * *msg_r NULL when memory ran out. Free with mime_message_free(). */
int mime_parse(const char *raw, size_t len, const struct mime_limits *limits,
	       struct mime_message **msg_r, struct error *err) __attribute__((warn_unused_result));

/* Frees the message and sets *msg to NULL; NULL and *NULL are fine. */
void mime_message_free(struct mime_message **msg);

/* The first top-level header called name (case-insensitive), or NULL. */
const char *mime_message_header(const struct mime_message *msg, const char *name);

/* The version of what mime_parse() produces. Ingest stores each message's
 * parse (mime_message_to_json()) with it; the pipeline reads that instead of
 * parsing raw again only when the version and the limits match its own.
 * Bump it with any change to mime_parse()'s output, so rows parsed by an
 * older parser are parsed again from raw. */
#define MIME_PARSED_VERSION 1

/* msg as one compact JSON document (with MIME_PARSED_VERSION and limits, the
 * limits msg was parsed with). Returns a malloc'd string, or NULL when
 * memory ran out or a field is not UTF-8 (then store nothing: the reader
 * parses raw). */
char *mime_message_to_json(const struct mime_message *msg, const struct mime_limits *limits);

/* Reads a document mime_message_to_json() wrote. Returns 1 with *msg_r set
 * (free with mime_message_free()); 0 when the document is of another parser
 * version, other limits or not of that shape (parse raw instead); -1 when
 * memory ran out. Thread-safe. */
int mime_message_from_json(const char *doc, size_t len, const struct mime_limits *limits,
			   struct mime_message **msg_r) __attribute__((warn_unused_result));

/* The rules' view of the headers, {"name":"value",...} in message order:
 * the first header of each name, while names and values (8 bytes more
 * each) fit in max bytes; one whose name or value is not UTF-8 is left
 * out. Byte for byte what jansson's json_dumps(JSON_COMPACT) wrote for the
 * object ingest built before (tests/unit/test_mime_json.c). Returns a
 * malloc'd string, or NULL when memory ran out. */
char *mime_headers_json(const struct mime_message *msg, size_t max);

/* The attachments as [{"filename":..,"content_type":..,"size":n},...]
 * (null for a missing name or type); one with a name or type that is not
 * UTF-8 is left out. As jansson wrote it; malloc'd, NULL out of memory. */
char *mime_attachments_json(const struct mime_message *msg);

#endif
