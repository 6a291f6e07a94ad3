/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config/config.h"
#include "tests/fuzz/fuzz.h"

/* Text as a config file. config_load() reads a path, so the bytes go to an
 * in-memory file (memfd) opened through /proc/self/fd: no disk traffic and
 * nothing to clean up. A load either gives a config or errors, never both. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct config *config = NULL;
	struct config_errors errors;
	char path[64];
	size_t i;
	int r;

	if (fd < 0 && (fd = memfd_create("fuzz.conf", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = config_load(path, &config, &errors);
	if (r == 0) {
		if (config == NULL || errors.count != 0)
			abort();
		for (i = 0; i < config->mailboxes_count; i++)
			(void)config_mailbox(config, config->mailboxes[i].name);
		for (i = 0; i < config->categories_count; i++)
			(void)config_category(config, config->categories[i].name);
		config_unref(&config);
	} else if (config != NULL || errors.count == 0) {
		abort();
	}
	config_errors_free(&errors);
	return 0;
}
