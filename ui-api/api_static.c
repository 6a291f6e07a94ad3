/* SPDX-License-Identifier: MIT */
/* The reviewer web page: static files from [api] web_root (default: the
 * installed copy, else ui-api/web), GET only, no listing, no way out of the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/lib/util.h"
#include "ui-api/api.h"

#define API_STATIC_MAX (8 * 1024 * 1024)

static const struct {
	const char *ext, *type;
} api_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".txt", "text/plain; charset=utf-8"},
	{".woff2", "font/woff2"},
};

/* Only [A-Za-z0-9._-] segments not starting with '.', so no "..", no
 * hidden files, no encoded tricks (MHD has decoded %xx already). */
static bool api_static_path_ok(const char *path)
{
	const char *seg = path;

	if (*path == '\0')
		return false;
	while (*seg != '\0') {
		size_t n = strcspn(seg, "/");

		if (n == 0 || seg[0] == '.' ||
		    strspn(seg,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
			    n)
			return false;
		seg += n;
		if (*seg == '/')
			seg++;
	}
	return true;
}

void api_static_get(struct api_request *req, struct api_response *resp)
{
	char installed[4096];
	const char *root = config_data_dir(req->config->api.web_root, "web", "ui-api/web",
					   installed, sizeof(installed));
	const char *rel = req->path + 1, *dot, *type = NULL;
	char path[4096];
	struct stat st;
	size_t i, len;
	char *data = NULL;
	int fd;

	if (*rel == '\0' || rel[strlen(rel) - 1] == '/')
		rel = "index.html";
	if (!api_static_path_ok(rel)) {
		api_error(resp, 404, "not_found", "no such file");
		return;
	}
	dot = strrchr(rel, '.');
	for (i = 0; dot != NULL && i < ARRAY_SIZE(api_types); i++) {
		if (strcmp(dot, api_types[i].ext) == 0)
			type = api_types[i].type;
	}
	if (type == NULL || snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path)) {
		api_error(resp, 404, "not_found", "no such file");
		return;
	}
	/* O_NOFOLLOW: a symlink planted in the web root cannot point outside */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		api_error(resp, 404, "not_found", "no such file");
		return;
	}
	close(fd);
	if (file_read_all(path, API_STATIC_MAX, &data, &len, NULL) < 0) {
		api_error(resp, 404, "not_found", "no such file");
		return;
	}
	resp->status = 200;
	resp->text = data;
	resp->text_len = len;
	resp->content_type = type;
	resp->static_file = true;
}
