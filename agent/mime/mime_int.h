/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_MIME_INT_H
#define DRAFTD_MIME_INT_H

/* Private to agent/mime/: the pieces mime_parse() is built from. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/mime/mime.h"
#include "daemon/lib/buf.h"

/* mime_text.c: charsets, UTF-8 hygiene, bounded appends. */

/* Encodes cp (<= 0x10FFFF) into out; returns the length (1-4). */
size_t mime_utf8_encode(uint32_t cp, char out[4]);

/* Appends in[len], read in charset (NULL when unlabelled), to out as clean
 * UTF-8: CRLF and CR become LF, NUL and other control characters except TAB
 * and LF are dropped, invalid bytes become U+FFFD, a leading BOM is dropped.
 * Unlabelled or US-ASCII text that is not valid UTF-8 and ISO-8859-1 are read
 * as Windows-1252; a charset iconv does not know too, flagged
 * MIME_FLAG_UNKNOWN_CHARSET. Stops at out->max (cut on a character boundary,
 * MIME_FLAG_TRUNCATED). Returns 0, or -1 when memory ran out. */
int mime_text_to_utf8(const char *charset, const char *in, size_t len, struct buf *out,
		      unsigned *flags) __attribute__((warn_unused_result));

/* True for an unlabelled, US-ASCII or UTF-8 charset: one in which a byte
 * 0x80 on its own is no character. */
bool mime_charset_ascii_or_utf8(const char *charset);

/* An IMAP server cannot send a NUL byte (RFC 3501 forbids it in a literal):
 * Dovecot sends 0x80 in its place. In raw text (no transfer encoding) of an
 * ASCII or UTF-8 part such a lone 0x80 is dropped, as a NUL would be, rather
 * than read as Windows-1252's euro sign; text with other bytes that are not
 * UTF-8 is Windows-1252 and left alone. Works in place; returns the new
 * length. */
size_t mime_text_drop_nul_standins(char *s, size_t len);

/* Returns a heap copy of s[len] as clean single-line UTF-8 (controls become
 * spaces; not valid UTF-8 is read as Windows-1252), at most max bytes, or
 * NULL when memory ran out. */
char *mime_text_header_dup(const char *s, size_t len, size_t max);

/* Appends s[len] to b, cutting on a UTF-8 boundary at b->max and setting
 * MIME_FLAG_TRUNCATED. Returns 0, or -1 when memory ran out. */
int mime_text_append(struct buf *b, const char *s, size_t len, unsigned *flags)
	__attribute__((warn_unused_result));

/* Removes zero-width, bidi-control and Unicode tag characters (and soft
 * hyphens, which are not counted) from b in place; returns how many of the
 * counted kind were removed. */
size_t mime_text_strip_invisible(struct buf *b);

/* Undoes format=flowed (RFC 3676) in b. Returns 0, or -1 out of memory. */
int mime_text_unflow(struct buf *b, bool delsp) __attribute__((warn_unused_result));

/* mime_html.c */

/* Converts UTF-8 HTML to text. visible gets what a reader sees; all gets that
 * plus hidden elements (display:none, visibility:hidden, zero-size font,
 * white on white, ...). Neither gets <head>, <script>, <style> or comments.
 * Sets MIME_FLAG_HIDDEN_TEXT when hidden elements held text and
 * MIME_FLAG_TRUNCATED when a buffer filled up. Returns 0, or -1 out of memory. */
int mime_html_to_text(const char *html, size_t len, struct buf *visible, struct buf *all,
		      unsigned *flags) __attribute__((warn_unused_result));

/* mime_split.c */

/* Splits text into the new text, quoted history (">" lines, "On ... wrote:"
 * attributions, Outlook original-message blocks) and signature ("-- ",
 * mobile footers, disclaimers). All three are heap strings, possibly "".
 * Returns 0, or -1 out of memory (nothing set). */
int mime_split_text(const char *text, char **new_r, char **quoted_r, char **sig_r)
	__attribute__((warn_unused_result));

/* mime_header.c: header blocks. */

/* One raw header field inside a block; value still folded. */
struct mime_hfield {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Finds the end of the header block at p[len]: returns the block's length and
 * sets *body_r to where the body starts (len when there is none). A block that
 * does not start with a "name:" line is empty (all body). */
size_t mime_header_block_end(const char *p, size_t len, size_t *body_r);

/* Iterates the fields of a header block. Returns 1 with *f set, 0 at the end.
 * Lines that are neither a field nor a continuation set *malformed. */
int mime_header_next(const char *p, size_t len, size_t *pos, struct mime_hfield *f,
		     bool *malformed);

/* Unfolds and trims a raw value into a heap string of at most max bytes of
 * clean UTF-8; NULL when memory ran out. */
char *mime_header_unfold(const char *v, size_t len, size_t max);

/* RFC 2047-decodes an unfolded value to UTF-8 (heap); NULL out of memory. */
char *mime_header_decode(const char *value);

/* Fills the message's header fields and headers[] from the block.
 * Returns 0, or -1 out of memory. */
int mime_header_fill(struct mime_message *msg, const char *hdr, size_t len)
	__attribute__((warn_unused_result));

/* mime_part.c: one entity's MIME headers. */

enum mime_cte {
	MIME_CTE_IDENTITY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
};

struct mime_part_info {
	char type[64]; /* "text/plain", lower case */
	char *charset;
	char *boundary;
	char *filename; /* decoded, from Content-Disposition or the name parameter */
	bool flowed, delsp;
	bool disp_attachment, disp_inline;
	enum mime_cte cte;
	bool malformed;
};

/* Reads Content-Type, Content-Transfer-Encoding and Content-Disposition from
 * a header block; default_type applies when Content-Type is absent or broken.
 * Returns 0, or -1 out of memory. Free with mime_part_info_free(). */
int mime_part_info_parse(const char *hdr, size_t len, const char *default_type,
			 struct mime_part_info *pi) __attribute__((warn_unused_result));
void mime_part_info_free(struct mime_part_info *pi);

/* Decodes a transfer encoding; *out_r is a heap copy (free()).
 * Returns 0, or -1 out of memory. */
int mime_part_decode(const char *body, size_t len, enum mime_cte cte, char **out_r,
		     size_t *out_len_r) __attribute__((warn_unused_result));
/* The length mime_part_decode() would give base64 body[len], without
 * decoding it: attachments are sized at ingest, never read. */
size_t mime_part_base64_size(const char *body, size_t len);

#endif
