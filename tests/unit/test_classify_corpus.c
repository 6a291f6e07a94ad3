/* SPDX-License-Identifier: MIT */
#include "test_classify_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "harness.h"
#include "test_conn_corpus.h"

#define CLASSIFY_CORPUS_MAIL_MAX (4 * 1024 * 1024)

static int classify_corpus_parse(const char *dir, struct classify_corpus_mail *mail)
{
	struct mime_limits limits;
	struct error error;
	struct error read_err;
	char path[4096], *raw = NULL;
	size_t len = 0, i;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/mail/%s", dir, mail->file);
	if (file_read_all(path, CLASSIFY_CORPUS_MAIL_MAX, &raw, &len, &read_err) < 0) {
		fprintf(stderr, "corpus: %s: %s\n", path, error_msg(&read_err));
		goto out;
	}
	mime_limits_default(&limits);
	if (mime_parse(raw, len, &limits, &mail->msg, &error) < 0) {
		fprintf(stderr, "corpus: %s: %s\n", path, error_msg(&error));
		goto out;
	}
	mail->attachments_count = mail->msg->attachments_count;
	mail->attachments = calloc(mail->attachments_count + 1, sizeof(*mail->attachments));
	if (mail->attachments == NULL)
		goto out;
	for (i = 0; i < mail->attachments_count; i++) {
		const char *name = mail->msg->attachments[i].filename;
		mail->attachments[i] = name != NULL ? name : "";
	}
	ret = 0;
out:
	free(raw);
	return ret;
}

int classify_corpus_load(struct classify_corpus *corpus)
{
	const char *dir = test_corpus_dir();
	json_t *label;
	size_t i;

	memset(corpus, 0, sizeof(*corpus));
	if (dir == NULL)
		return 0;
	corpus->labels = corpus_labels(dir);
	if (!json_is_array(corpus->labels)) {
		fprintf(stderr, "corpus: %s/labels.json unreadable\n", dir);
		return -1;
	}
	corpus->mails = calloc(json_array_size(corpus->labels) + 1, sizeof(*corpus->mails));
	if (corpus->mails == NULL)
		return -1;
	json_array_foreach(corpus->labels, i, label)
	{
		struct classify_corpus_mail *mail = &corpus->mails[corpus->count];

		mail->label = label;
		mail->file = json_string_value(json_object_get(label, "file"));
		if (mail->file == NULL || classify_corpus_parse(dir, mail) < 0)
			return -1;
		corpus->count++;
	}
	return 1;
}

void classify_corpus_free(struct classify_corpus *corpus)
{
	size_t i;

	for (i = 0; i < corpus->count; i++) {
		mime_message_free(&corpus->mails[i].msg);
		free(corpus->mails[i].attachments);
	}
	free(corpus->mails);
	json_decref(corpus->labels);
	memset(corpus, 0, sizeof(*corpus));
}

const char *classify_corpus_label(const struct classify_corpus_mail *mail, const char *field)
{
	const char *v = json_string_value(json_object_get(mail->label, field));

	return v != NULL ? v : "";
}
