/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_TEST_CONN_CORPUS_H
#define DRAFTD_TEST_CONN_CORPUS_H

#include <jansson.h>
#include <stddef.h>

/* A corpus .eml decoded "well enough" for the connector and rules tests:
 * a small test-only MIME reader (multipart, quoted-printable, base64,
 * Latin-1/Windows-1252 to UTF-8, RFC 2047 words, HTML tags dropped). It is
 * not agent/mime/mime.c and does not try to be; it only has to expose the text
 * and headers that key extraction and the rules look at. */

#define CORPUS_HEADERS_MAX 64
#define CORPUS_ATTACH_MAX  8

struct corpus_msg {
	char *file;
	char *header_names[CORPUS_HEADERS_MAX];  /* lower case */
	char *header_values[CORPUS_HEADERS_MAX]; /* unfolded, RFC 2047 decoded */
	size_t headers_count;
	char *from;     /* lower-case addr-spec */
	char *reply_to; /* lower-case addr-spec or NULL */
	char *subject;
	char *message_id;
	char *content_type; /* top-level, lower case */
	char *body;         /* every text part, decoded, tags stripped */
	char *attachments[CORPUS_ATTACH_MAX];
	size_t attachments_count;
};

/* Reads and decodes path. Returns 0 or -1. */
int corpus_msg_read(const char *path, struct corpus_msg *msg);
/* The same from agent/mime/mime.c (mime_parse()): full_text as the body,
 * headers as mime keeps them. Returns 0 or -1. */
int corpus_msg_read_mime(const char *path, struct corpus_msg *msg);
void corpus_msg_free(struct corpus_msg *msg);
/* The first value of header name (lower case), or NULL. */
const char *corpus_msg_header(const struct corpus_msg *msg, const char *name);

/* labels.json of the corpus (new reference), or NULL. */
json_t *corpus_labels(const char *corpus_dir);

#endif
