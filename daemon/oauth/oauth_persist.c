/* SPDX-License-Identifier: MIT */
/* Rotated refresh tokens written back to their file, atomically. */
#include "daemon/oauth/oauth_persist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/lib/util.h"

#define PERSIST_PATH_MAX 4096

/* write(2) until all of data is out. */
static int persist_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int oauth_refresh_persist(const char *path, const char *token, struct error *err)
{
	char dir[PERSIST_PATH_MAX], tmp[PERSIST_PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd = -1, dfd = -1, ret = -1;
	bool have_old;

	tmp[0] = '\0';
	if (slash == NULL)
		str_copy(dir, sizeof(dir), ".");
	else if (slash == path)
		str_copy(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir,
			     slash != NULL ? slash + 1 : path) >= sizeof(tmp)) {
		error_set(err, "%s: the path is too long", path);
		tmp[0] = '\0';
		goto out;
	}
	have_old = stat(path, &st) == 0;
	if (have_old && access(path, W_OK) < 0) {
		error_set(err, "%s is not writable (%s)", path, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		error_set(err, "cannot write next to %s: %s", path, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	/* root rewriting a file of the service user keeps it theirs */
	if (have_old && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) < 0) {
		error_set(err, "cannot give %s its owner back: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || persist_write_all(fd, token, strlen(token)) < 0 ||
	    persist_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		error_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_set(err, "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	/* the rename itself survives a power cut only once the directory is synced */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return ret;
}
