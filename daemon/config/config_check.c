/* SPDX-License-Identifier: MIT */
/* Static checks of values whose mistakes would only show at run time: a
 * listen address out of range, a URL of the wrong scheme or port, an
 * address that is no e-mail address. Pure functions over strings, so the
 * table-driven unit tests call them directly. */
#include "daemon/config/config_check.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/lib/util.h"
#include "daemon/mail/mail_compose.h"

#define CHECK_HOST_MAX 254

/* A DNS name: dot-separated labels of letters, digits and inner hyphens
 * (underscores too, as some internal names carry them). */
static bool check_hostname(const char *h, size_t len)
{
	size_t i = 0, label;

	if (len == 0 || len >= CHECK_HOST_MAX)
		return false;
	while (i < len) {
		label = i;
		while (i < len && (h[i] == '-' || h[i] == '_' || (h[i] >= '0' && h[i] <= '9') ||
				   (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z')))
			i++;
		if (i == label || i - label > 63 || h[label] == '-' || h[i - 1] == '-')
			return false;
		if (i < len && h[i] != '.')
			return false;
		i++; /* the dot (a trailing one is fine: "host.example.") */
	}
	return true;
}

/* host[len] as a listen or URL host: an IPv4 literal, a bracketed IPv6
 * literal, or a DNS name. Digits and dots alone must be a valid IPv4. */
static int check_host(const char *h, size_t len, struct error *err)
{
	char buf[CHECK_HOST_MAX];
	unsigned char addr[16];
	size_t i;
	bool numeric = true;

	if (len == 0) {
		error_set(err, "%s", "no host");
		return -1;
	}
	if (len >= sizeof(buf)) {
		error_set(err, "%s", "host name too long");
		return -1;
	}
	if (h[0] == '[') {
		if (len < 3 || h[len - 1] != ']') {
			error_set(err, "%s", "unbalanced [ ] around an IPv6 address");
			return -1;
		}
		memcpy(buf, h + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, addr) != 1) {
			error_set(err, "%s", "not an IPv6 address inside [ ]");
			return -1;
		}
		return 0;
	}
	memcpy(buf, h, len);
	buf[len] = '\0';
	for (i = 0; i < len && numeric; i++)
		numeric = (h[i] >= '0' && h[i] <= '9') || h[i] == '.';
	if (numeric) {
		if (inet_pton(AF_INET, buf, addr) != 1) {
			error_set(err, "%s", "not an IPv4 address (each part 0..255)");
			return -1;
		}
		return 0;
	}
	if (strchr(buf, ':') != NULL) {
		error_set(err, "%s", "an IPv6 address needs [ ] around it");
		return -1;
	}
	if (!check_hostname(buf, len)) {
		error_set(err, "%s", "not a valid host name");
		return -1;
	}
	return 0;
}

/* A decimal port 1..65535 in p[len]. */
static int check_port(const char *p, size_t len, struct error *err)
{
	char buf[16];
	uint64_t port;

	if (len == 0 || len >= sizeof(buf)) {
		error_set(err, "%s",
			  len == 0 ? "no port after ':'" : "port out of range (1..65535)");
		return -1;
	}
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (parse_u64(buf, UINT64_MAX, &port) < 0) {
		error_set(err, "%s", "port is not a number");
		return -1;
	}
	if (port < 1 || port > 65535) {
		error_set(err, "%s", "port out of range (1..65535)");
		return -1;
	}
	return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port" in s[len]; port_required. */
static int check_authority(const char *s, size_t len, bool port_required, struct error *err)
{
	const char *colon = NULL;
	size_t i, hlen;

	if (len > 0 && s[0] == '[') {
		for (i = 0; i < len && s[i] != ']'; i++)
			;
		if (i == len) {
			error_set(err, "%s", "unbalanced [ ] around an IPv6 address");
			return -1;
		}
		if (i + 1 < len) {
			if (s[i + 1] != ':') {
				error_set(err, "%s", "text after the IPv6 address");
				return -1;
			}
			colon = s + i + 1;
		}
	} else {
		for (i = 0; i < len; i++) {
			if (s[i] != ':')
				continue;
			if (colon != NULL) {
				error_set(err, "%s", "an IPv6 address needs [ ] around it");
				return -1;
			}
			colon = s + i;
		}
	}
	if (colon == NULL && port_required) {
		error_set(err, "%s", "expected HOST:PORT");
		return -1;
	}
	hlen = colon != NULL ? (size_t)(colon - s) : len;
	if (check_host(s, hlen, err) < 0)
		return -1;
	if (colon != NULL)
		return check_port(colon + 1, len - hlen - 1, err);
	return 0;
}

int config_check_listen(const char *value, struct error *err)
{
	return check_authority(value, strlen(value), true, err);
}

/* scheme "://" at the start of url: its length, or 0 when there is none. */
static size_t check_scheme_len(const char *url)
{
	size_t i;

	for (i = 0; url[i] != '\0'; i++) {
		char c = url[i];

		if (c == ':')
			return strncmp(url + i, "://", 3) == 0 && i > 0 ? i : 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

int config_check_url(const char *url, const char *const *schemes, struct error *err)
{
	size_t slen = check_scheme_len(url), i, alen;
	const char *auth, *end, *at;
	char list[128] = "";

	for (i = 0; schemes[i] != NULL; i++) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s://",
			 i > 0 ? " or " : "", schemes[i]);
		if (slen > 0 && strlen(schemes[i]) == slen && strncmp(url, schemes[i], slen) == 0)
			break;
	}
	if (slen == 0) {
		error_set(err, "not a URL: expected %s...", list);
		return -1;
	}
	if (schemes[i] == NULL) {
		/* the scheme only: the rest may carry a password */
		error_set(err, "scheme '%.*s' is not supported: expected %s...",
			  (int)(slen < 32 ? slen : 32), url, list);
		return -1;
	}
	auth = url + slen + 3;
	end = auth + strcspn(auth, "/?#");
	/* user:password@ is not the host */
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at > auth)
		auth = at;
	alen = (size_t)(end - auth);
	return check_authority(auth, alen, false, err);
}

int config_check_database_url(const char *url, struct error *err)
{
	static const char *const schemes[] = {"postgresql", "postgres", NULL};
	size_t slen = check_scheme_len(url);
	const char *auth, *end, *h, *next;

	if (slen == 0) {
		/* libpq's keyword form: "host=... dbname=..." */
		if (strchr(url, '=') != NULL)
			return 0;
		error_set(err, "not a PostgreSQL connection string: expected postgresql://... or "
			       "host=... dbname=...");
		return -1;
	}
	if ((slen != 10 || strncmp(url, "postgresql", 10) != 0) &&
	    (slen != 8 || strncmp(url, "postgres", 8) != 0))
		return config_check_url(url, schemes, err);
	/* hosts may be empty (a Unix socket), percent-encoded paths, or a list
	 * "h1:5432,h2:5433": only the ports are judged */
	auth = url + slen + 3;
	end = auth + strcspn(auth, "/?#");
	for (h = end; h > auth && h[-1] != '@'; h--)
		;
	if (h == auth)
		h = auth;
	for (; h < end; h = next) {
		const char *comma = memchr(h, ',', (size_t)(end - h));
		const char *stop = comma != NULL ? comma : end, *colon = NULL, *p;

		next = comma != NULL ? comma + 1 : end;
		for (p = stop; p > h && p[-1] != ']'; p--) {
			if (p[-1] == ':') {
				colon = p - 1;
				break;
			}
		}
		if (colon != NULL && check_port(colon + 1, (size_t)(stop - colon - 1), err) < 0)
			return -1;
	}
	return 0;
}

int config_check_address(const char *value, struct error *err)
{
	struct mail_address addr;

	return mail_address_parse(value, &addr, err) < 0 ? -1 : 0;
}
