/* SPDX-License-Identifier: MIT */
#include "agent/mime/mime_int.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/utf8.h"

#define REPLACEMENT "\xEF\xBF\xBD"

size_t mime_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int mime_text_append(struct buf *b, const char *s, size_t len, unsigned *flags)
{
	size_t room = b->max > b->len ? b->max - b->len : 0;

	if (len > room) {
		*flags |= MIME_FLAG_TRUNCATED;
		len = room;
		/* back off to the start of a character */
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	if (len == 0)
		return 0;
	return buf_append(b, s, len);
}

/* The cleaner keeps a small output chunk and whether the last byte was a CR,
 * so a CRLF split across two input pieces still becomes one LF. */
struct clean {
	struct buf *out;
	unsigned *flags;
	char chunk[4096];
	size_t n;
	bool last_cr;
	bool started; /* a BOM is only dropped at the very start */
};

static int clean_flush(struct clean *c)
{
	int ret = mime_text_append(c->out, c->chunk, c->n, c->flags);

	c->n = 0;
	return ret;
}

static int clean_put(struct clean *c, const char *s, size_t len)
{
	if (c->n + len > sizeof(c->chunk) && clean_flush(c) < 0)
		return -1;
	memcpy(c->chunk + c->n, s, len);
	c->n += len;
	return 0;
}

/* Feeds UTF-8 (possibly invalid) into the cleaner. */
static int clean_feed(struct clean *c, const char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0, n;
	int ret = 0;

	while (i < len && ret == 0) {
		/* a run of printable ASCII (most of any mail) goes as it is, not a
		 * character at a time */
		for (n = 0; i + n < len &&
			    (((unsigned char)s[i + n] >= 0x20 && (unsigned char)s[i + n] < 0x7f) ||
			     s[i + n] == '\t');
		     n++)
			;
		if (n > 0) {
			for (size_t k = 0; k < n && ret == 0; k += sizeof(c->chunk))
				ret = clean_put(c, s + i + k,
						n - k < sizeof(c->chunk) ? n - k
									 : sizeof(c->chunk));
			c->last_cr = false;
			c->started = true;
			i += n;
			continue;
		}
		n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n == 0) {
			ret = clean_put(c, REPLACEMENT, 3);
			i++;
			c->last_cr = false;
			c->started = true;
			continue;
		}
		if (cp == '\n' && c->last_cr) {
			/* already emitted for the CR */
		} else if (cp == '\r' || cp == '\n') {
			ret = clean_put(c, "\n", 1);
		} else if (cp == 0xFEFF && !c->started) {
			/* byte order mark */
		} else if ((cp < 0x20 && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
			/* control characters carry nothing a reader sees */
		} else {
			ret = clean_put(c, s + i, n);
		}
		c->last_cr = cp == '\r';
		c->started = true;
		i += n;
	}
	return ret;
}

static bool charset_in(const char *cs, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcasecmp(cs, *list) == 0)
			return true;
	}
	return false;
}

static const char *const utf8_names[] = {"utf-8", "utf8", NULL};
static const char *const ascii_names[] = {"us-ascii", "ascii", "ansi_x3.4-1968", "646", NULL};
static const char *const latin1_names[] = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1",
					   "latin-1",    "l1",        "cp819",      NULL};

/* iconv gets only plain charset names: "utf-8//IGNORE" and the like from a
 * mail must not switch its behaviour. */
static bool charset_sane(const char *cs)
{
	size_t i;

	for (i = 0; cs[i] != '\0'; i++) {
		if (i >= 40 || !(isalnum((unsigned char)cs[i]) || strchr("._:-", cs[i]) != NULL))
			return false;
	}
	return i > 0;
}

static int convert_iconv(iconv_t cd, struct clean *c, const char *in, size_t len)
{
	char out[4096], *ip = (char *)in, *op;
	size_t il = len, ol, r;
	int ret = 0;

	while (il > 0 && ret == 0) {
		op = out;
		ol = sizeof(out);
		r = iconv(cd, &ip, &il, &op, &ol);
		if (op > out)
			ret = clean_feed(c, out, (size_t)(op - out));
		if (ret < 0 || r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL: replace one byte and go on */
		ret = clean_feed(c, REPLACEMENT, 3);
		ip++;
		il--;
	}
	if (ret == 0) {
		/* flush a stateful encoding's shift state */
		op = out;
		ol = sizeof(out);
		if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1 && op > out)
			ret = clean_feed(c, out, (size_t)(op - out));
	}
	return ret;
}

bool mime_charset_ascii_or_utf8(const char *charset)
{
	return charset == NULL || charset[0] == '\0' || charset_in(charset, ascii_names) ||
	       charset_in(charset, utf8_names);
}

size_t mime_text_drop_nul_standins(char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0, o = 0, n, standins = 0;

	/* only where 0x80 cannot be a character: every other byte must be
	 * UTF-8 (or ASCII); Windows-1252 text keeps its euro signs */
	while (i < len) {
		n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n == 0 && (unsigned char)s[i] != 0x80)
			return len;
		standins += n == 0;
		i += n > 0 ? n : 1;
	}
	if (standins == 0)
		return len;
	for (i = 0; i < len; i += n) {
		n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n == 0) {
			n = 1; /* a lone 0x80: the stand-in, dropped */
			continue;
		}
		memmove(s + o, s + i, n);
		o += n;
	}
	return o;
}

int mime_text_to_utf8(const char *charset, const char *in, size_t len, struct buf *out,
		      unsigned *flags)
{
	struct clean c = {.out = out, .flags = flags};
	const char *cs = charset != NULL ? charset : "";
	iconv_t cd = (iconv_t)-1;
	int ret;

	if (*cs == '\0' || charset_in(cs, ascii_names)) {
		cs = utf8_valid(in, len) ? "utf-8" : "WINDOWS-1252";
	} else if (charset_in(cs, latin1_names)) {
		/* what every mail client does: the C1 range is cp1252 in practice */
		cs = "WINDOWS-1252";
	} else if (!charset_sane(cs)) {
		cs = NULL;
	}
	if (cs != NULL && charset_in(cs, utf8_names)) {
		ret = clean_feed(&c, in, len);
		goto out;
	}
	if (cs != NULL)
		cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1) {
		*flags |= MIME_FLAG_UNKNOWN_CHARSET;
		if (utf8_valid(in, len)) {
			ret = clean_feed(&c, in, len);
			goto out;
		}
		cd = iconv_open("UTF-8", "WINDOWS-1252");
		if (cd == (iconv_t)-1) {
			ret = clean_feed(&c, in, len);
			goto out;
		}
	}
	ret = convert_iconv(cd, &c, in, len);
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	if (ret == 0)
		ret = clean_flush(&c);
	return ret;
}

char *mime_text_header_dup(const char *s, size_t len, size_t max)
{
	struct buf b;
	unsigned flags = 0;
	char *copy = NULL;
	size_t i;
	int r;

	buf_init(&b, max);
	/* raw header bytes have no charset and no transfer encoding */
	if (memchr(s, 0x80, len) != NULL) {
		copy = malloc(len + 1);
		if (copy == NULL)
			return NULL;
		memcpy(copy, s, len);
		len = mime_text_drop_nul_standins(copy, len);
		s = copy;
	}
	r = mime_text_to_utf8(NULL, s, len, &b, &flags);
	free(copy);
	if (r < 0) {
		buf_free(&b);
		return NULL;
	}
	for (i = 0; i < b.len; i++) {
		if (b.data[i] == '\n' || b.data[i] == '\t')
			b.data[i] = ' ';
	}
	return buf_steal(&b);
}

static bool invisible_counted(uint32_t cp)
{
	return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF ||
	       (cp >= 0xE0000 && cp <= 0xE007F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t mime_text_strip_invisible(struct buf *b)
{
	size_t i = 0, o = 0, n, count = 0;
	uint32_t cp;

	if (b->data == NULL)
		return 0;
	while (i < b->len) {
		/* ASCII is never invisible: kept without a decode or a call */
		if ((unsigned char)b->data[i] < 0x80) {
			b->data[o++] = b->data[i++];
			continue;
		}
		n = utf8_decode((const unsigned char *)b->data + i, b->len - i, &cp);
		if (n == 0)
			n = 1, cp = 0xFFFD;
		if (invisible_counted(cp)) {
			count++;
		} else if (cp != 0x00AD) {
			if (o != i)
				memmove(b->data + o, b->data + i, n);
			o += n;
		}
		i += n;
	}
	b->len = o;
	b->data[o] = '\0';
	return count;
}

/* One line of a format=flowed text: its quote depth and content. */
static void flowed_line(const char *l, size_t len, size_t *depth_r, const char **c_r,
			size_t *clen_r)
{
	size_t d = 0;

	while (d < len && l[d] == '>')
		d++;
	*depth_r = d;
	l += d;
	len -= d;
	if (len > 0 && l[0] == ' ') /* space-stuffing */
		l++, len--;
	*c_r = l;
	*clen_r = len;
}

int mime_text_unflow(struct buf *b, bool delsp)
{
	struct buf out;
	const char *p, *end, *nl, *c;
	size_t depth, clen, q, prev_depth = 0;
	bool prev_flowed = false, first = true, flowed, sig;
	unsigned flags = 0;
	int ret = 0;

	if (b->data == NULL)
		return 0;
	buf_init(&out, b->max);
	p = b->data;
	end = b->data + b->len;
	while (p < end && ret == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		flowed_line(p, (size_t)(nl - p), &depth, &c, &clen);
		sig = clen == 3 && memcmp(c, "-- ", 3) == 0;
		flowed = !sig && clen > 0 && c[clen - 1] == ' ';
		if (!(prev_flowed && depth == prev_depth)) {
			if (!first)
				ret = mime_text_append(&out, "\n", 1, &flags);
			for (q = 0; q < depth && ret == 0; q++)
				ret = mime_text_append(&out, ">", 1, &flags);
			if (depth > 0 && ret == 0)
				ret = mime_text_append(&out, " ", 1, &flags);
		}
		if (flowed && delsp)
			clen--;
		if (ret == 0)
			ret = mime_text_append(&out, c, clen, &flags);
		prev_flowed = flowed;
		prev_depth = depth;
		first = false;
		p = nl + 1;
	}
	if (ret == 0 && b->len > 0 && b->data[b->len - 1] == '\n')
		ret = mime_text_append(&out, "\n", 1, &flags);
	if (ret < 0) {
		buf_free(&out);
		return -1;
	}
	buf_free(b);
	*b = out;
	return 0;
}
