/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "agent/mime/mime.h"
#include "daemon/lib/util.h"

/* MIME parse throughput for `make bench`: loads every *.eml of DIR into
 * memory, then parses the whole set ROUNDS times with the default limits.
 *   mime_bench DIR ROUNDS
 * Prints one line of key=value figures (messages, bytes, seconds, msgs_per_s,
 * mb_per_s, peak_rss_kb) for tests/bench/run.sh; exits 1 when a file cannot
 * be read or a message fails to parse (a benchmark of errors is no benchmark). */

#define BENCH_FILE_MAX (32u * 1024 * 1024)

struct bench_mail {
	char *data;
	size_t len;
};

static int bench_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

static int bench_load(const char *dir, struct bench_mail **mails_r, size_t *count_r)
{
	struct dirent **names = NULL;
	struct bench_mail *mails = NULL;
	struct error read_err;
	char path[4096];
	size_t count = 0;
	int i, n, ret = -1;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "mime_bench: %s: cannot list\n", dir);
		return -1;
	}
	mails = calloc((size_t)n + 1, sizeof(*mails));
	if (mails == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (!bench_has_suffix(names[i]->d_name, ".eml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (file_read_all(path, BENCH_FILE_MAX, &mails[count].data, &mails[count].len,
				  &read_err) < 0) {
			fprintf(stderr, "mime_bench: %s: %s\n", path, error_msg(&read_err));
			goto out;
		}
		count++;
	}
	if (count == 0) {
		fprintf(stderr, "mime_bench: no .eml file in %s\n", dir);
		goto out;
	}
	*mails_r = mails;
	*count_r = count;
	mails = NULL;
	ret = 0;
out:
	if (mails != NULL) {
		while (count > 0)
			free(mails[--count].data);
		free(mails);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	struct bench_mail *mails = NULL;
	struct mime_message *msg = NULL;
	struct mime_limits limits;
	struct rusage ru;
	struct error error;
	uint64_t rounds = 0, r, start, elapsed;
	size_t count = 0, i, bytes = 0, parsed = 0;
	double secs;
	int ret = 1;

	if (argc != 3 || parse_u64(argv[2], 1000000, &rounds) < 0 || rounds == 0) {
		fprintf(stderr, "usage: mime_bench DIR ROUNDS\n");
		return 1;
	}
	if (bench_load(argv[1], &mails, &count) < 0)
		return 1;
	mime_limits_default(&limits);
	start = time_mono_ms();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < count; i++) {
			if (mime_parse(mails[i].data, mails[i].len, &limits, &msg, &error) < 0 &&
			    msg == NULL) {
				fprintf(stderr, "mime_bench: message %zu: %s\n", i,
					error_msg(&error));
				goto out;
			}
			mime_message_free(&msg);
			bytes += mails[i].len;
			parsed++;
		}
	}
	elapsed = time_mono_ms() - start;
	secs = elapsed > 0 ? (double)elapsed / 1000.0 : 0.001;
	getrusage(RUSAGE_SELF, &ru);
	printf("messages=%zu bytes=%zu seconds=%.3f msgs_per_s=%.0f mb_per_s=%.2f "
	       "peak_rss_kb=%ld\n",
	       parsed, bytes, secs, (double)parsed / secs, (double)bytes / secs / 1e6,
	       ru.ru_maxrss);
	ret = 0;
out:
	for (i = 0; i < count; i++)
		free(mails[i].data);
	free(mails);
	return ret;
}
