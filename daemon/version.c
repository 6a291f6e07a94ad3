/* SPDX-License-Identifier: MIT */
/* The build's version and the run-time versions of the libraries it uses. */
#include "daemon/version.h"

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <libetpan/libetpan_version.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <stdio.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* gen/version.h is rewritten only when the version or commit changes, so
 * this file (alone) is rebuilt exactly then. */
#include "gen/version.h"

const char *version_string(void)
{
	return DRAFTD_VERSION;
}

const char *version_commit(void)
{
	return DRAFTD_COMMIT;
}

static void version_libetpan(char *out, size_t size)
{
	snprintf(out, size, "%d.%d", libetpan_get_version_major(), libetpan_get_version_minor());
}

static void version_curl(char *out, size_t size)
{
	const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);

	if (info->ssl_version != NULL)
		snprintf(out, size, "%s (%s)", info->version, info->ssl_version);
	else
		snprintf(out, size, "%s", info->version);
}

static void version_libpq(char *out, size_t size)
{
	int v = PQlibVersion();

	/* 10 and later: major * 10000 + minor; before: major.minor.patch */
	if (v >= 100000)
		snprintf(out, size, "%d.%d", v / 10000, v % 10000);
	else
		snprintf(out, size, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

static void version_jansson(char *out, size_t size)
{
	snprintf(out, size, "%s", jansson_version_str());
}

static void version_microhttpd(char *out, size_t size)
{
	snprintf(out, size, "%s", MHD_get_version());
}

static void version_pcre2(char *out, size_t size)
{
	char buf[64];

	/* the length it needs comes first, so the buffer is never overrun */
	if (pcre2_config(PCRE2_CONFIG_VERSION, NULL) <= (int)sizeof(buf) &&
	    pcre2_config(PCRE2_CONFIG_VERSION, buf) > 0)
		snprintf(out, size, "%s", buf);
	else
		snprintf(out, size, "unknown");
}

static void version_gnutls(char *out, size_t size)
{
	snprintf(out, size, "%s", gnutls_check_version(NULL));
}

static const struct {
	const char *name;
	void (*fill)(char *out, size_t size);
} version_libs[] = {
	{"libetpan", version_libetpan},
	{"libcurl", version_curl},
	{"libpq", version_libpq},
	{"jansson", version_jansson},
	{"libmicrohttpd", version_microhttpd},
	{"pcre2", version_pcre2},
	{"gnutls", version_gnutls},
};

size_t version_libraries(struct version_library *libs_r, size_t max)
{
	size_t i;

	for (i = 0; i < sizeof(version_libs) / sizeof(version_libs[0]) && i < max; i++) {
		libs_r[i].name = version_libs[i].name;
		version_libs[i].fill(libs_r[i].version, sizeof(libs_r[i].version));
	}
	return i;
}
