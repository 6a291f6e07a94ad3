/* SPDX-License-Identifier: MIT */
#include "agent/mime/mime_int.h"

#include <ctype.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/lib/util.h"

/* Most parameters kept per entity and RFC 2231 continuations per name:
 * enough for any real mail, small enough that junk cannot pile up. */
#define PARAMS_MAX         64
#define PARAM_VALUE_MAX    1024
#define FILENAME_MAX_BYTES 255

struct params {
	const char *name[PARAMS_MAX];
	const char *value[PARAMS_MAX];
	size_t count;
};

static void params_add(struct params *ps, const char *name, const char *value)
{
	if (ps->count < PARAMS_MAX && name != NULL && value != NULL) {
		ps->name[ps->count] = name;
		ps->value[ps->count] = value;
		ps->count++;
	}
}

static const char *params_find(const struct params *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->count; i++) {
		if (strcasecmp(ps->name[i], name) == 0)
			return ps->value[i];
	}
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int append_pct(struct buf *b, const char *s)
{
	unsigned flags = 0;
	char c;
	int hi, lo;

	for (; *s != '\0'; s++) {
		c = *s;
		if (c == '%' && (hi = hexval((unsigned char)s[1])) >= 0 &&
		    (lo = hexval((unsigned char)s[2])) >= 0) {
			c = (char)(hi * 16 + lo);
			s += 2;
		}
		if (mime_text_append(b, &c, 1, &flags) < 0)
			return -1;
	}
	return 0;
}

/* Takes "charset'lang'" off an RFC 2231 extended value into cs[]. */
static const char *ext_charset(const char *v, char *cs, size_t cs_size)
{
	const char *q1 = strchr(v, '\''), *q2;

	cs[0] = '\0';
	if (q1 == NULL || (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	if ((size_t)(q1 - v) < cs_size) {
		memcpy(cs, v, (size_t)(q1 - v));
		cs[q1 - v] = '\0';
	}
	return q2 + 1;
}

/* The value of parameter name with RFC 2231 (name*, name*0*, name*1, ...)
 * and RFC 2047 (encoded words in quotes, what Outlook sends) decoded, as
 * clean UTF-8 on one line; NULL when absent. *oom set when memory ran out. */
static char *param_decoded(const struct params *ps, const char *name, bool *oom)
{
	char key[80], cs[48] = "";
	const char *v, *plain;
	struct buf raw, out;
	unsigned flags = 0;
	char *result = NULL;
	bool found = false;
	int k, ret = 0;

	buf_init(&raw, PARAM_VALUE_MAX);
	buf_init(&out, PARAM_VALUE_MAX);
	snprintf(key, sizeof(key), "%s*", name);
	if ((v = params_find(ps, key)) != NULL) {
		found = true;
		ret = append_pct(&raw, ext_charset(v, cs, sizeof(cs)));
	}
	for (k = 0; !found && k < PARAMS_MAX && ret == 0; k++) {
		snprintf(key, sizeof(key), "%s*%d*", name, k);
		if ((v = params_find(ps, key)) != NULL) {
			ret = append_pct(&raw, k == 0 ? ext_charset(v, cs, sizeof(cs)) : v);
		} else {
			snprintf(key, sizeof(key), "%s*%d", name, k);
			if ((v = params_find(ps, key)) == NULL)
				break;
			ret = mime_text_append(&raw, v, strlen(v), &flags);
		}
	}
	if (k > 0)
		found = true;
	if (ret == 0 && found) {
		ret = mime_text_to_utf8(cs[0] != '\0' ? cs : NULL, raw.data != NULL ? raw.data : "",
					raw.len, &out, &flags);
		if (ret == 0)
			result = mime_text_header_dup(out.data != NULL ? out.data : "", out.len,
						      FILENAME_MAX_BYTES);
	} else if (ret == 0 && (plain = params_find(ps, name)) != NULL) {
		result = mime_header_decode(plain);
		if (result != NULL && strlen(result) > FILENAME_MAX_BYTES) {
			char *cut =
				mime_text_header_dup(result, strlen(result), FILENAME_MAX_BYTES);

			free(result);
			result = cut;
		}
		found = true;
	}
	if (ret < 0 || (found && result == NULL))
		*oom = true;
	buf_free(&raw);
	buf_free(&out);
	return result;
}

static void type_name(const struct mailmime_type *t, char *out, size_t size)
{
	static const char *const discrete[] = {"",      "text",  "image",
					       "audio", "video", "application"};
	const char *name = "";

	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		int dt = t->tp_data.tp_discrete_type->dt_type;

		if (dt == MAILMIME_DISCRETE_TYPE_EXTENSION)
			name = t->tp_data.tp_discrete_type->dt_extension;
		else if (dt > 0 && dt < (int)ARRAY_SIZE(discrete))
			name = discrete[dt];
	} else if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		int ct = t->tp_data.tp_composite_type->ct_type;

		if (ct == MAILMIME_COMPOSITE_TYPE_MESSAGE)
			name = "message";
		else if (ct == MAILMIME_COMPOSITE_TYPE_MULTIPART)
			name = "multipart";
		else
			name = t->tp_data.tp_composite_type->ct_token;
	}
	str_copy(out, size, name != NULL ? name : "");
}

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int set_content_type(struct mime_part_info *pi, const char *v, struct params *ps,
			    struct mailmime_content **ct_r)
{
	const char *slash = strchr(v, '/'), *semi = strchr(v, ';');
	char type[64];
	size_t idx = 0, n;
	clistiter *it;

	if (slash == NULL || (semi != NULL && semi < slash) ||
	    mailmime_content_parse(v, strlen(v), &idx, ct_r) != MAILIMF_NO_ERROR)
		return -1;
	type_name((*ct_r)->ct_type, type, sizeof(type));
	if (type[0] == '\0' || (*ct_r)->ct_subtype == NULL)
		return -1;
	n = strlen(type);
	if (n + 1 + strlen((*ct_r)->ct_subtype) >= sizeof(pi->type))
		return -1;
	memcpy(pi->type, type, n);
	pi->type[n] = '/';
	str_copy(pi->type + n + 1, sizeof(pi->type) - n - 1, (*ct_r)->ct_subtype);
	lower(pi->type);
	for (it = clist_begin((*ct_r)->ct_parameters); it != NULL; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		params_add(ps, p->pa_name, p->pa_value);
	}
	return 0;
}

static void set_disposition(struct mime_part_info *pi, const char *v, struct params *ps,
			    struct mailmime_disposition **d_r)
{
	size_t idx = 0;
	clistiter *it;

	if (mailmime_disposition_parse(v, strlen(v), &idx, d_r) != MAILIMF_NO_ERROR) {
		*d_r = NULL;
		pi->disp_attachment = strncasecmp(v, "attachment", 10) == 0;
		pi->disp_inline = strncasecmp(v, "inline", 6) == 0;
		return;
	}
	pi->disp_attachment = (*d_r)->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	pi->disp_inline = (*d_r)->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_INLINE;
	for (it = clist_begin((*d_r)->dsp_parms); it != NULL; it = clist_next(it)) {
		struct mailmime_disposition_parm *p = clist_content(it);

		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
			params_add(ps, "filename", p->pa_data.pa_filename);
		else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER)
			params_add(ps, p->pa_data.pa_parameter->pa_name,
				   p->pa_data.pa_parameter->pa_value);
	}
}

static enum mime_cte parse_cte(const char *v, bool *malformed)
{
	if (strcasecmp(v, "base64") == 0)
		return MIME_CTE_BASE64;
	if (strcasecmp(v, "quoted-printable") == 0)
		return MIME_CTE_QP;
	if (strcasecmp(v, "7bit") != 0 && strcasecmp(v, "8bit") != 0 &&
	    strcasecmp(v, "binary") != 0)
		*malformed = true;
	return MIME_CTE_IDENTITY;
}

int mime_part_info_parse(const char *hdr, size_t len, const char *default_type,
			 struct mime_part_info *pi)
{
	struct mailmime_content *ct = NULL;
	struct mailmime_disposition *disp = NULL;
	struct params ps = {.count = 0};
	struct mime_hfield f;
	char *ct_v = NULL, *cte_v = NULL, *disp_v = NULL, **slot, *v;
	const char *fmt, *delsp;
	size_t pos = 0;
	bool oom = false;
	int ret = -1;

	memset(pi, 0, sizeof(*pi));
	while (mime_header_next(hdr, len, &pos, &f, &pi->malformed) == 1) {
		if (f.name_len == 12 && strncasecmp(f.name, "content-type", 12) == 0)
			slot = &ct_v;
		else if (f.name_len == 25 &&
			 strncasecmp(f.name, "content-transfer-encoding", 25) == 0)
			slot = &cte_v;
		else if (f.name_len == 19 && strncasecmp(f.name, "content-disposition", 19) == 0)
			slot = &disp_v;
		else
			continue;
		if (*slot != NULL)
			continue;
		*slot = mime_header_unfold(f.value, f.value_len, MIME_HEADER_VALUE_MAX);
		if (*slot == NULL)
			goto out;
	}
	if (ct_v == NULL || set_content_type(pi, ct_v, &ps, &ct) < 0) {
		if (ct_v != NULL)
			pi->malformed = true;
		str_copy(pi->type, sizeof(pi->type), default_type);
	}
	if (cte_v != NULL)
		pi->cte = parse_cte(cte_v, &pi->malformed);
	if (disp_v != NULL)
		set_disposition(pi, disp_v, &ps, &disp);
	if ((v = (char *)params_find(&ps, "charset")) != NULL && (pi->charset = str_dup(v)) == NULL)
		goto out;
	if ((v = (char *)params_find(&ps, "boundary")) != NULL &&
	    (pi->boundary = str_dup(v)) == NULL)
		goto out;
	fmt = params_find(&ps, "format");
	delsp = params_find(&ps, "delsp");
	pi->flowed = fmt != NULL && strcasecmp(fmt, "flowed") == 0;
	pi->delsp = delsp != NULL && strcasecmp(delsp, "yes") == 0;
	pi->filename = param_decoded(&ps, "filename", &oom);
	if (pi->filename == NULL && !oom)
		pi->filename = param_decoded(&ps, "name", &oom);
	ret = oom ? -1 : 0;
out:
	if (ct != NULL)
		mailmime_content_free(ct);
	if (disp != NULL)
		mailmime_disposition_free(disp);
	free(ct_v);
	free(cte_v);
	free(disp_v);
	if (ret < 0)
		mime_part_info_free(pi);
	return ret;
}

void mime_part_info_free(struct mime_part_info *pi)
{
	free(pi->charset);
	free(pi->boundary);
	free(pi->filename);
	pi->charset = pi->boundary = pi->filename = NULL;
}

/* NUL bytes after an encoded body: libetpan's quoted-printable decoder
 * reads the two bytes after a '=' even when the '=' ends the body (found by
 * tests/fuzz/fuzz_mime.c), so it decodes a padded copy, never the caller's
 * buffer. */
#define MIME_DECODE_PAD 4

/* 1 for the base64 alphabet: the symbols the decoder keeps. */
static const unsigned char mime_b64_symbol[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
	['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
	['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

size_t mime_part_base64_size(const char *body, size_t len)
{
	const unsigned char *p = (const unsigned char *)body;
	size_t n0 = 0, n1 = 0, n2 = 0, n3 = 0, i = 0;

	/* the decoder skips everything outside the alphabet, '=' included,
	 * and turns a last group of 2 or 3 symbols into 1 or 2 bytes; a table
	 * and four sums, where the comparisons were an eighth of ingest's CPU */
	for (; i + 4 <= len; i += 4) {
		n0 += mime_b64_symbol[p[i]];
		n1 += mime_b64_symbol[p[i + 1]];
		n2 += mime_b64_symbol[p[i + 2]];
		n3 += mime_b64_symbol[p[i + 3]];
	}
	for (; i < len; i++)
		n0 += mime_b64_symbol[p[i]];
	n0 += n1 + n2 + n3;
	return n0 / 4 * 3 + (n0 % 4 == 0 ? 0 : n0 % 4 == 3 ? 2 : 1);
}

int mime_part_decode(const char *body, size_t len, enum mime_cte cte, char **out_r,
		     size_t *out_len_r)
{
	char *r = NULL, *copy, *padded = NULL;
	size_t idx = 0, rlen = 0;
	int mech = cte == MIME_CTE_BASE64 ? MAILMIME_MECHANISM_BASE64
					  : MAILMIME_MECHANISM_QUOTED_PRINTABLE;

	if (cte != MIME_CTE_IDENTITY) {
		padded = calloc(1, len + MIME_DECODE_PAD);
		if (padded == NULL) {
			*out_r = NULL;
			*out_len_r = 0;
			return -1;
		}
		if (len > 0)
			memcpy(padded, body, len);
		if (mailmime_part_parse(padded, len, &idx, mech, &r, &rlen) == MAILIMF_NO_ERROR) {
			body = r;
			len = rlen;
		}
	}
	copy = malloc(len + 1);
	if (copy != NULL) {
		if (len > 0)
			memcpy(copy, body, len);
		copy[len] = '\0';
	}
	if (r != NULL)
		mailmime_decoded_part_free(r);
	free(padded);
	*out_r = copy;
	*out_len_r = len;
	return copy == NULL ? -1 : 0;
}
