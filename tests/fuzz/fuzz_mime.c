/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/mime/mime.h"
#include "tests/fuzz/fuzz.h"

/* Raw bytes as a mail message, once with the default limits and once with
 * tight ones, so the depth, part-count, header and text caps are crossed
 * often. Every string the parser promises is read back to its end, so a
 * missing terminator or a dangling pointer shows under ASan. */

static size_t fuzz_mime_touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void fuzz_mime_run(const uint8_t *data, size_t size, const struct mime_limits *limits)
{
	struct mime_message *msg = NULL;
	size_t i, n = 0;

	if (mime_parse((const char *)data, size, limits, &msg, NULL) < 0 && msg == NULL)
		return;
	if (msg->text == NULL || msg->quoted == NULL || msg->signature == NULL ||
	    msg->full_text == NULL)
		abort(); /* the header says never NULL once parsed */
	n += fuzz_mime_touch(msg->from_addr) + fuzz_mime_touch(msg->from_name);
	n += fuzz_mime_touch(msg->reply_to) + fuzz_mime_touch(msg->subject);
	n += fuzz_mime_touch(msg->to) + fuzz_mime_touch(msg->cc);
	n += fuzz_mime_touch(msg->message_id) + fuzz_mime_touch(msg->references);
	n += fuzz_mime_touch(msg->return_path) + fuzz_mime_touch(msg->content_type);
	n += fuzz_mime_touch(msg->text) + fuzz_mime_touch(msg->quoted);
	n += fuzz_mime_touch(msg->signature) + fuzz_mime_touch(msg->full_text);
	for (i = 0; i < msg->attachments_count; i++)
		n += fuzz_mime_touch(msg->attachments[i].filename) +
		     fuzz_mime_touch(msg->attachments[i].content_type);
	for (i = 0; i < msg->headers_count; i++)
		n += fuzz_mime_touch(msg->headers[i].name) + fuzz_mime_touch(msg->headers[i].value);
	if (msg->headers_count > MIME_HEADERS_MAX)
		abort();
	n += fuzz_mime_touch(mime_message_header(msg, "x-fuzz"));
	(void)n;
	mime_message_free(&msg);
	if (msg != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits limits;

	mime_limits_default(&limits);
	fuzz_mime_run(data, size, &limits);
	limits.max_message_size = 4096;
	limits.max_depth = 3;
	limits.max_parts = 8;
	limits.max_header_size = 512;
	limits.max_text_size = 256;
	fuzz_mime_run(data, size, &limits);
	return 0;
}
