/* The reply's text: body, signature, the quoted original. */
#include "daemon/outbox/outbox_body.h"

#include <string.h>

/* One template line with its placeholders filled; *skip_r when it names
 * {reviewer} and there is none. */
static int signature_line(const char *line, size_t len, const struct mailbox_config *mb,
			  const char *reviewer, struct buf *out, bool *skip_r)
{
	static const char *const names[] = {"{reviewer}", "{display_name}", "{address}"};
	const char *values[] = {reviewer, mb->display_name, mb->address};
	size_t i = 0;

	*skip_r = reviewer == NULL && memmem(line, len, names[0], strlen(names[0])) != NULL;
	if (*skip_r)
		return 0;
	while (i < len) {
		size_t k, n = 0;

		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			n = strlen(names[k]);
			if (len - i >= n && memcmp(line + i, names[k], n) == 0)
				break;
		}
		if (k < sizeof(names) / sizeof(names[0])) {
			if (values[k] != NULL && buf_append_str(out, values[k]) < 0)
				return -1;
			i += n;
		} else {
			if (buf_append(out, line + i, 1) < 0)
				return -1;
			i++;
		}
	}
	return buf_append_str(out, "\n");
}

int outbox_signature(const struct mailbox_config *mb, const char *reviewer, struct buf *out)
{
	const char *t = mb->signature, *p;

	if (t == NULL || t[0] == '\0')
		return 0;
	for (p = t;;) {
		const char *nl = strstr(p, "\\n");
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		bool skip;

		if (signature_line(p, len, mb, reviewer, out, &skip) < 0)
			return -1;
		if (nl == NULL)
			break;
		p = nl + 2;
	}
	return 0;
}

/* Each line of text as "> line" ("> " + a quoted line keeps its ">",
 * as mail clients nest quotes); stops at *budget bytes. */
static int quote_lines(const char *text, size_t *budget, struct buf *out)
{
	const char *p = text;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		size_t trim = len > 0 && p[len - 1] == '\r' ? len - 1 : len;

		if (trim + 3 > *budget)
			return buf_append_str(out, "> [...]\n");
		if (buf_append_str(out, trim == 0 || p[0] == '>' ? ">" : "> ") < 0 ||
		    buf_append(out, p, trim) < 0 || buf_append_str(out, "\n") < 0)
			return -1;
		*budget -= trim + 3;
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static int quote_original(const struct outbox_item *item, struct buf *out)
{
	size_t budget = OUTBOX_QUOTE_MAX;
	const char *name = item->orig_sender_name;

	if ((item->orig_text == NULL || item->orig_text[0] == '\0') &&
	    (item->orig_quoted == NULL || item->orig_quoted[0] == '\0'))
		return 0;
	if (buf_append_str(out, "\n") < 0 ||
	    (item->orig_date != NULL && item->orig_date[0] != '\0' &&
	     buf_printf(out, "On %s, ", item->orig_date) < 0))
		return -1;
	if (name != NULL && item->orig_sender != NULL) {
		if (buf_printf(out, "%s <%s> wrote:\n", name, item->orig_sender) < 0)
			return -1;
	} else if (buf_printf(out, "%s wrote:\n",
			      item->orig_sender != NULL ? item->orig_sender : "the customer") < 0) {
		return -1;
	}
	if (item->orig_text != NULL && quote_lines(item->orig_text, &budget, out) < 0)
		return -1;
	if (item->orig_quoted != NULL && item->orig_quoted[0] != '\0' &&
	    quote_lines(item->orig_quoted, &budget, out) < 0)
		return -1;
	return 0;
}

int outbox_body(const struct outbox_item *item, const struct mailbox_config *mb, struct buf *out)
{
	const char *body = item->body != NULL ? item->body : "";
	size_t len = strlen(body);

	if (buf_append(out, body, len) < 0)
		return -1;
	if ((mb->signature != NULL && mb->signature[0] != '\0') || mb->quote == QUOTE_BOTTOM) {
		/* the body ends with one line break before what follows */
		if (len > 0 && body[len - 1] != '\n' && buf_append_str(out, "\n") < 0)
			return -1;
	}
	if (mb->signature != NULL && mb->signature[0] != '\0' &&
	    (buf_append_str(out, "\n") < 0 ||
	     outbox_signature(mb, item->is_auto ? NULL : item->reviewer, out) < 0))
		return -1;
	if (mb->quote == QUOTE_BOTTOM && quote_original(item, out) < 0)
		return -1;
	return 0;
}
