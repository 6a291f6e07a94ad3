/* SPDX-License-Identifier: MIT */
#include "agent/mime/mime_int.h"

#include <ctype.h>
#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/lib/util.h"

/* "name:" with a printable name: the test for the first line of a block. */
static bool looks_like_field(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (unsigned char)p[i] > 32 && (unsigned char)p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < len && p[i] == ':';
}

size_t mime_header_block_end(const char *p, size_t len, size_t *body_r)
{
	const char *nl;
	size_t pos = 0, line_len;

	if (len == 0 || p[0] == '\n' || (len > 1 && p[0] == '\r' && p[1] == '\n')) {
		*body_r = len == 0 ? 0 : (p[0] == '\n' ? 1 : 2);
		return 0;
	}
	if (!looks_like_field(p, len) && !(len > 5 && memcmp(p, "From ", 5) == 0)) {
		*body_r = 0;
		return 0;
	}
	while (pos < len) {
		nl = memchr(p + pos, '\n', len - pos);
		if (nl == NULL)
			break;
		line_len = (size_t)(nl - (p + pos));
		if (line_len == 0 || (line_len == 1 && p[pos] == '\r')) {
			*body_r = (size_t)(nl - p) + 1;
			return pos;
		}
		pos = (size_t)(nl - p) + 1;
	}
	*body_r = len;
	return len;
}

static size_t line_end(const char *p, size_t len, size_t pos)
{
	const char *nl = memchr(p + pos, '\n', len - pos);

	return nl == NULL ? len : (size_t)(nl - p) + 1;
}

int mime_header_next(const char *p, size_t len, size_t *pos, struct mime_hfield *f, bool *malformed)
{
	size_t start, colon, end, name_end;

	while (*pos < len) {
		start = *pos;
		end = line_end(p, len, start);
		*pos = end;
		if (p[start] == ' ' || p[start] == '\t' ||
		    !looks_like_field(p + start, end - start)) {
			/* a stray continuation, an mbox "From " line or junk */
			*malformed = true;
			continue;
		}
		colon = start;
		while (p[colon] != ':')
			colon++;
		name_end = colon;
		while (name_end > start && (p[name_end - 1] == ' ' || p[name_end - 1] == '\t'))
			name_end--;
		while (*pos < len && (p[*pos] == ' ' || p[*pos] == '\t'))
			*pos = line_end(p, len, *pos);
		f->name = p + start;
		f->name_len = name_end - start;
		f->value = p + colon + 1;
		f->value_len = *pos - (colon + 1);
		return 1;
	}
	return 0;
}

static char *trim_in_place(char *s)
{
	size_t len = strlen(s), start = 0;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	while (isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, len - start + 1);
	return s;
}

char *mime_header_unfold(const char *v, size_t len, size_t max)
{
	char *tmp, *out;
	size_t i, o = 0;
	bool plain = true;

	tmp = malloc(len + 1);
	if (tmp == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '\t')
			c = ' ';
		else if (c < 0x20 || c >= 0x7f)
			plain = false;
		tmp[o++] = (char)c;
	}
	/* printable ASCII (most headers) is what mime_text_header_dup() would
	 * make of it, tabs as spaces, cut at max: done in place */
	if (plain) {
		tmp[o < max ? o : max] = '\0';
		return trim_in_place(tmp);
	}
	out = mime_text_header_dup(tmp, o, max);
	free(tmp);
	return out == NULL ? NULL : trim_in_place(out);
}

static int ew_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends encoded word text (its B or Q payload) to b as a Q payload
 * without the NUL bytes it decodes to. Returns 1 when it had any (b then
 * holds the new payload), 0 when not, -1 out of memory. */
static int ew_without_nul(char enc, const char *text, size_t len, struct buf *b)
{
	char *bytes = NULL;
	size_t n = 0, i;
	bool nul = false;
	int ret = -1;

	if (enc == 'B' || enc == 'b') {
		if (mime_part_decode(text, len, MIME_CTE_BASE64, &bytes, &n) < 0)
			return -1;
		nul = memchr(bytes, '\0', n) != NULL;
		for (i = 0; nul && i < n; i++)
			if (bytes[i] != '\0' &&
			    buf_printf(b, "=%02X", (unsigned int)(unsigned char)bytes[i]) < 0)
				goto out;
	} else {
		for (i = 0; i < len; i++) {
			if (text[i] == '=' && i + 2 < len && ew_hex(text[i + 1]) == 0 &&
			    ew_hex(text[i + 2]) == 0) {
				nul = true;
				i += 2;
			} else if (buf_append(b, text + i, 1) < 0) {
				goto out;
			}
		}
	}
	ret = nul ? 1 : 0;
out:
	free(bytes);
	return ret;
}

/* value with NUL bytes taken out of its encoded words, or NULL when it has
 * none (or memory ran out: *oom). libetpan decodes an encoded word into a C
 * string, so a NUL in one (=00, or in base64) cut the rest of the header off:
 * "=?utf-8?Q?hel=00lo?=" was "hel". */
static char *ew_strip_nul(const char *value, bool *oom)
{
	const char *p = value, *q1, *q2, *end;
	struct buf b, word;
	bool changed = false;
	int r;

	buf_init(&b, MIME_HEADER_VALUE_MAX * 2);
	buf_init(&word, MIME_HEADER_VALUE_MAX * 2);
	*oom = false;
	while ((q1 = strstr(p, "=?")) != NULL) {
		/* =?charset?E?text?= */
		q2 = strchr(q1 + 2, '?');
		if (q2 == NULL || q2[1] == '\0' || q2[2] != '?' ||
		    (end = strstr(q2 + 3, "?=")) == NULL) {
			if (buf_append(&b, p, (size_t)(q1 + 2 - p)) < 0)
				goto fail;
			p = q1 + 2;
			continue;
		}
		buf_reset(&word);
		r = ew_without_nul(q2[1], q2 + 3, (size_t)(end - (q2 + 3)), &word);
		if (r < 0)
			goto fail;
		if (r == 0) {
			if (buf_append(&b, p, (size_t)(end + 2 - p)) < 0)
				goto fail;
		} else if (buf_append(&b, p, (size_t)(q2 + 1 - p)) < 0 ||
			   buf_printf(&b, "Q?%.*s?=", (int)word.len,
				      word.data != NULL ? word.data : "") < 0) {
			goto fail;
		} else {
			changed = true;
		}
		p = end + 2;
	}
	buf_free(&word);
	if (!changed || buf_append_str(&b, p) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
fail:
	*oom = true;
	buf_free(&word);
	buf_free(&b);
	return NULL;
}

char *mime_header_decode(const char *value)
{
	char *r = NULL, *out, *clean;
	size_t idx = 0;
	bool oom;
	int rc;

	if (strstr(value, "=?") == NULL)
		return str_dup(value);
	clean = ew_strip_nul(value, &oom);
	if (oom)
		return NULL;
	if (clean != NULL)
		value = clean;
	rc = mailmime_encoded_phrase_parse("utf-8", value, strlen(value), &idx, "utf-8", &r);
	if (rc != MAILIMF_NO_ERROR || r == NULL) {
		out = str_dup(value);
		free(clean);
		return out;
	}
	free(clean);
	/* the decoded bytes are outside data again: clean them up */
	out = mime_text_header_dup(r, strlen(r), MIME_HEADER_VALUE_MAX);
	free(r);
	return out == NULL ? NULL : trim_in_place(out);
}

/* Strips zero-width characters from a decoded header, flagging them. */
static void strip_header(char **s, unsigned *flags)
{
	struct buf b;

	if (*s == NULL)
		return;
	buf_init(&b, MIME_HEADER_VALUE_MAX);
	b.data = *s;
	b.len = strlen(*s);
	b.cap = b.len + 1;
	if (mime_text_strip_invisible(&b) > 0)
		*flags |= MIME_FLAG_HIDDEN_TEXT;
	*s = b.data;
}

static struct mailimf_mailbox *first_mailbox(const char *v, struct mailimf_mailbox_list **mbl_r,
					     struct mailimf_address_list **adl_r)
{
	struct mailimf_address *a;
	struct mailimf_group *g;
	size_t idx = 0;

	if (mailimf_mailbox_list_parse(v, strlen(v), &idx, mbl_r) == MAILIMF_NO_ERROR &&
	    !clist_isempty((*mbl_r)->mb_list))
		return clist_content(clist_begin((*mbl_r)->mb_list));
	idx = 0;
	if (mailimf_address_list_parse(v, strlen(v), &idx, adl_r) != MAILIMF_NO_ERROR ||
	    clist_isempty((*adl_r)->ad_list))
		return NULL;
	a = clist_content(clist_begin((*adl_r)->ad_list));
	if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
		return a->ad_data.ad_mailbox;
	g = a->ad_data.ad_group;
	if (g->grp_mb_list == NULL || clist_isempty(g->grp_mb_list->mb_list))
		return NULL;
	return clist_content(clist_begin(g->grp_mb_list->mb_list));
}

/* Fallback for what libetpan refuses: the text in the last <...>, else the
 * first word holding an '@'. */
static char *addr_fallback(const char *v)
{
	const char *lt = strrchr(v, '<'), *gt, *s, *e;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return mime_text_header_dup(lt + 1, (size_t)(gt - lt - 1), 998);
	for (s = v; *s != '\0'; s = e) {
		while (*s == ' ' || *s == ',')
			s++;
		e = s;
		while (*e != '\0' && *e != ' ' && *e != ',')
			e++;
		if (memchr(s, '@', (size_t)(e - s)) != NULL)
			return mime_text_header_dup(s, (size_t)(e - s), 998);
	}
	return NULL;
}

/* Sets *addr_r and (when name_r) *name_r from an address header. */
static int parse_address(const char *v, char **addr_r, char **name_r)
{
	struct mailimf_mailbox_list *mbl = NULL;
	struct mailimf_address_list *adl = NULL;
	struct mailimf_mailbox *mb;
	int ret = 0;

	mb = first_mailbox(v, &mbl, &adl);
	if (mb != NULL && mb->mb_addr_spec != NULL) {
		*addr_r = mime_text_header_dup(mb->mb_addr_spec, strlen(mb->mb_addr_spec), 998);
		if (*addr_r == NULL)
			ret = -1;
		if (name_r != NULL && mb->mb_display_name != NULL && ret == 0) {
			*name_r = mime_header_decode(mb->mb_display_name);
			if (*name_r == NULL)
				ret = -1;
		}
	} else {
		*addr_r = addr_fallback(v);
	}
	if (mbl != NULL)
		mailimf_mailbox_list_free(mbl);
	if (adl != NULL)
		mailimf_address_list_free(adl);
	return ret;
}

static long long parse_date(const char *v)
{
	struct mailimf_date_time *dt = NULL;
	struct tm tm;
	size_t idx = 0;
	long long epoch = -1;
	int zone;

	if (mailimf_date_time_parse(v, strlen(v), &idx, &dt) != MAILIMF_NO_ERROR)
		return -1;
	zone = dt->dt_zone;
	if (dt->dt_year < 1970 || dt->dt_year > 9999 || dt->dt_month < 1 || dt->dt_month > 12 ||
	    dt->dt_day < 1 || dt->dt_day > 31 || dt->dt_hour < 0 || dt->dt_hour > 23 ||
	    dt->dt_min < 0 || dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60 || zone > 1400 ||
	    zone < -1400 || abs(zone % 100) > 59)
		goto out;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	epoch = (long long)timegm(&tm) - ((zone / 100) * 3600LL + (zone % 100) * 60LL);
out:
	mailimf_date_time_free(dt);
	return epoch;
}

static char *return_path_addr(const char *v)
{
	const char *lt = strchr(v, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		char *s = mime_text_header_dup(lt + 1, (size_t)(gt - lt - 1), 998);

		return s == NULL ? NULL : trim_in_place(s);
	}
	return str_dup(v);
}

/* Room for most mail's headers at once; the list doubles up to its bound.
 * Not the bound itself: ingest holds a batch of parsed messages in memory
 * and MIME_HEADERS_MAX slots (4 KB) each were most of their parse trees. */
#define MIME_HEADERS_FIRST 32

/* Returns 0, 1 when the list is full (the caller keeps ownership), -1 OOM. */
static int add_header(struct mime_message *msg, char *name, char *value)
{
	if (msg->headers_count >= MIME_HEADERS_MAX)
		return 1;
	if (msg->headers_count >= msg->headers_cap) {
		size_t cap = msg->headers_cap == 0 ? MIME_HEADERS_FIRST : msg->headers_cap * 2;
		struct mime_header *h;

		if (cap > MIME_HEADERS_MAX)
			cap = MIME_HEADERS_MAX;
		h = realloc(msg->headers, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		msg->headers = h;
		msg->headers_cap = cap;
	}
	msg->headers[msg->headers_count].name = name;
	msg->headers[msg->headers_count].value = value;
	msg->headers_count++;
	return 0;
}

/* Stores the typed field named name from its unfolded value. */
static int fill_field(struct mime_message *m, const char *name, const char *v)
{
	static const struct {
		const char *name;
		size_t off;
		bool decode;
	} simple[] = {
		{"to", offsetof(struct mime_message, to), true},
		{"cc", offsetof(struct mime_message, cc), true},
		{"subject", offsetof(struct mime_message, subject), true},
		{"date", offsetof(struct mime_message, date_raw), false},
		{"message-id", offsetof(struct mime_message, message_id), false},
		{"in-reply-to", offsetof(struct mime_message, in_reply_to), false},
		{"references", offsetof(struct mime_message, references), false},
		{"auto-submitted", offsetof(struct mime_message, auto_submitted), false},
		{"precedence", offsetof(struct mime_message, precedence), false},
		{"list-id", offsetof(struct mime_message, list_id), true},
		{"list-unsubscribe", offsetof(struct mime_message, list_unsubscribe), false},
	};
	char **slot;
	size_t i;

	if (strcmp(name, "from") == 0 && m->from_addr == NULL && m->from_name == NULL)
		return parse_address(v, &m->from_addr, &m->from_name);
	if (strcmp(name, "reply-to") == 0 && m->reply_to == NULL)
		return parse_address(v, &m->reply_to, NULL);
	if (strcmp(name, "return-path") == 0 && !m->has_return_path) {
		m->has_return_path = true;
		m->return_path = return_path_addr(v);
		return m->return_path == NULL ? -1 : 0;
	}
	for (i = 0; i < ARRAY_SIZE(simple); i++) {
		if (strcmp(name, simple[i].name) != 0)
			continue;
		slot = (char **)((char *)m + simple[i].off);
		if (*slot != NULL)
			return 0; /* the first one counts */
		*slot = simple[i].decode ? mime_header_decode(v) : str_dup(v);
		return *slot == NULL ? -1 : 0;
	}
	return 0;
}

int mime_header_fill(struct mime_message *msg, const char *hdr, size_t len)
{
	struct mime_hfield f;
	size_t pos = 0, i;
	bool malformed = false;
	char *name = NULL, *value = NULL;
	int ret = 0, r;

	while (ret == 0 && mime_header_next(hdr, len, &pos, &f, &malformed) == 1) {
		if (f.name_len > 128) {
			malformed = true;
			continue;
		}
		name = malloc(f.name_len + 1);
		value = mime_header_unfold(f.value, f.value_len, MIME_HEADER_VALUE_MAX);
		if (name == NULL || value == NULL) {
			ret = -1;
			break;
		}
		for (i = 0; i < f.name_len; i++)
			name[i] = (char)tolower((unsigned char)f.name[i]);
		name[f.name_len] = '\0';
		ret = fill_field(msg, name, value);
		if (ret < 0)
			break;
		r = add_header(msg, name, value);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 1) {
			free(name);
			free(value);
		}
		name = value = NULL;
	}
	free(name);
	free(value);
	if (ret == 0 && msg->date_raw != NULL)
		msg->date_epoch = parse_date(msg->date_raw);
	if (ret == 0) {
		strip_header(&msg->subject, &msg->flags);
		strip_header(&msg->from_name, &msg->flags);
	}
	if (malformed)
		msg->flags |= MIME_FLAG_MALFORMED;
	return ret;
}
