/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/lib/util.h"
#include "tests/fuzz/fuzz.h"

/* The plain (non-libFuzzer) driver: feeds files to the fuzz harnesses,
 * built with the normal compiler, so `make test` replays every seed corpus
 * and crash regression of tests/fixtures/fuzz/ in seconds.
 *   fuzz_replay TARGET PATH...   (a PATH is a file or a directory of files)
 * Prints one line per target with the count; exits 1 on a bad argument or an
 * unreadable file. A harness that finds a bug aborts (so does this). */

int fuzz_mime_one(const uint8_t *data, size_t size);
int fuzz_config_one(const uint8_t *data, size_t size);
int fuzz_rules_one(const uint8_t *data, size_t size);
int fuzz_draft_output_one(const uint8_t *data, size_t size);
int fuzz_injection_one(const uint8_t *data, size_t size);
int fuzz_guard_one(const uint8_t *data, size_t size);
int fuzz_api_json_one(const uint8_t *data, size_t size);
int fuzz_imap_names_one(const uint8_t *data, size_t size);
int fuzz_content_one(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
} replay_targets[] = {
	{"mime", fuzz_mime_one},           {"config", fuzz_config_one},
	{"rules", fuzz_rules_one},         {"draft_output", fuzz_draft_output_one},
	{"injection", fuzz_injection_one}, {"guard", fuzz_guard_one},
	{"api_json", fuzz_api_json_one},   {"imap_names", fuzz_imap_names_one},
	{"content", fuzz_content_one},
};

#define REPLAY_FILE_MAX (64u * 1024 * 1024)

static int replay_file(int (*one)(const uint8_t *, size_t), const char *path, size_t *count)
{
	struct error read_err;
	char *data = NULL;
	size_t len = 0;

	if (file_read_all(path, REPLAY_FILE_MAX, &data, &len, &read_err) < 0) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path, error_msg(&read_err));
		return -1;
	}
	(void)one((const uint8_t *)data, len);
	free(data);
	(*count)++;
	return 0;
}

static int replay_path(int (*one)(const uint8_t *, size_t), const char *path, size_t *count)
{
	struct dirent **names = NULL;
	struct stat st;
	char sub[4096];
	int i, n, ret = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz_replay: %s: cannot stat\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(one, path, count);
	/* sorted, so a failure names the same file on every run */
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz_replay: %s: cannot list\n", path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			if (replay_path(one, sub, count) < 0)
				ret = -1;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	size_t i, count = 0;
	int a, ret = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: fuzz_replay TARGET PATH...\n");
		return 1;
	}
	for (i = 0; i < sizeof(replay_targets) / sizeof(replay_targets[0]); i++) {
		if (strcmp(replay_targets[i].name, argv[1]) == 0)
			break;
	}
	if (i == sizeof(replay_targets) / sizeof(replay_targets[0])) {
		fprintf(stderr, "fuzz_replay: unknown target '%s'\n", argv[1]);
		return 1;
	}
	for (a = 2; a < argc; a++) {
		if (replay_path(replay_targets[i].one, argv[a], &count) < 0)
			ret = 1;
	}
	printf("%s: %zu inputs replayed\n", argv[1], count);
	return ret;
}
