/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/guard/gate_int.h"
#include "agent/text/text_norm.h"

/* Links, domains, look-alike words and e-mail addresses in a draft. */

/* scheme://[user@]host */
#define GATE_URL_RE "\\b[a-z][a-z0-9+.-]{1,15}://(?:[^\\s/@?#]*@)?([^\\s/:?#<>\"'()\\[\\]]+)"
/* a domain-shaped token not inside an address or another word; group 1 */
#define GATE_DOMAIN_RE                                                                 \
	"(?<![\\w@.-])((?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,62}[\\p{L}\\p{N}])?\\.)+" \
	"(?:xn--[a-z0-9-]{1,59}|\\p{L}{2,63}))(?![\\p{L}\\p{N}-]|\\.[\\p{L}\\p{N}])(/?)"
#define GATE_EMAIL_RE "[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+"
/* "name [at] domain [dot] tld", "name (at) domain.tld": group 1 name, 2 domain */
#define GATE_EMAIL_AT_RE                                                                         \
	"([\\p{L}\\p{N}._%+-]+)[ \\t]*[\\[(][ \\t]*at[ \\t]*[\\])][ \\t]*([\\p{L}\\p{N}-]+(?:[ " \
	"\\t]*"                                                                                  \
	"(?:\\.|[\\[(][ \\t]*dot[ \\t]*[\\])])[ \\t]*[\\p{L}\\p{N}-]+)+)"
#define GATE_WORD_RE "[\\p{L}\\p{M}]{2,}"

/* Top-level domains a bare "name.tld" is read as a domain with, even
 * without a path: the common ones, those phishing favours, and the
 * reserved names of examples and tests. */
static const char *const gate_tlds[] = {
	"com",   "net",  "org",     "info",   "biz",     "io",      "co",        "me",    "app",
	"dev",   "shop", "store",   "online", "site",    "website", "xyz",       "top",   "club",
	"live",  "pro",  "link",    "click",  "email",   "support", "help",      "page",  "tech",
	"cloud", "pay",  "money",   "bank",   "finance", "claims",  "deals",     "sale",  "eu",
	"uk",    "de",   "at",      "ch",     "fr",      "es",      "it",        "nl",    "be",
	"pl",    "cz",   "dk",      "se",     "no",      "fi",      "pt",        "ie",    "us",
	"ca",    "au",   "ru",      "cn",     "in",      "jp",      "br",        "mx",    "ar",
	"tk",    "ml",   "ga",      "cf",     "gq",      "ly",      "to",        "cc",    "tv",
	"ws",    "su",   "example", "test",   "invalid", "local",   "localhost", "onion", "gov",
	"edu",   "int",  "mobi",    "name",   "asia",    "today",   "world",
};

static void gate_host(struct gate_ctx *c, const char *host, size_t n)
{
	if (!guard_host_allowed(c->in->url_allow, c->in->url_allow_count, host, n))
		gate_flag(c, "%.*s is not on the link allow-list", (int)(n < 80 ? n : 80), host);
}

static void gate_url_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)s;
	(void)e;
	gate_host(c, c->text + g1s, g1e - g1s);
}

static bool gate_known_tld(const char *tld, size_t n)
{
	size_t i;

	if (n > 4 && strncasecmp(tld, "xn--", 4) == 0)
		return true;
	for (i = 0; i < sizeof(gate_tlds) / sizeof(gate_tlds[0]); i++)
		if (strlen(gate_tlds[i]) == n && strncasecmp(gate_tlds[i], tld, n) == 0)
			return true;
	return false;
}

static void gate_domain_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	const char *host = c->text + g1s, *dot;
	size_t n = g1e - g1s, i;
	bool domain = e > g1e; /* followed by a path */

	(void)s;
	dot = memrchr(host, '.', n);
	if (dot == NULL)
		return;
	domain = domain || gate_known_tld(dot + 1, n - (size_t)(dot + 1 - host));
	for (i = 0; i < n && !domain; i++)
		domain = (unsigned char)host[i] >= 0x80 ||
			 (i + 4 <= n && (i == 0 || host[i - 1] == '.') &&
			  strncasecmp(host + i, "xn--", 4) == 0);
	/* "www.x" after a scheme was already seen as a URL: same flag text */
	if (domain)
		gate_host(c, host, n);
}

void gate_links(struct gate_ctx *c)
{
	pcre2_code *url = gate_compile(c, GATE_URL_RE, true);
	pcre2_code *dom = gate_compile(c, GATE_DOMAIN_RE, true);

	gate_each(c, url, false, gate_url_hit);
	gate_each(c, dom, false, gate_domain_hit);
}

static void gate_word_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)g1s;
	(void)g1e;
	if (text_mixed_script(c->text + s, e - s))
		gate_flag(c, "\"%.*s\" mixes letters of different scripts",
			  (int)(e - s < 60 ? e - s : 60), c->text + s);
}

void gate_lookalike(struct gate_ctx *c)
{
	pcre2_code *re = gate_compile(c, GATE_WORD_RE, false);

	gate_each(c, re, false, gate_word_hit);
}

static bool gate_addr_is(const char *want, const char *a, size_t n)
{
	return want != NULL && strlen(want) == n && strncasecmp(want, a, n) == 0;
}

/* addr[n] is the customer's or one of ours (an entry without @ is a domain). */
static bool gate_addr_allowed(const struct gate_input *in, const char *a, size_t n)
{
	return gate_addr_is(in->customer, a, n) || guard_addr_ours(in->own, in->own_count, a, n);
}

static void gate_email_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	const char *a = c->text + s;
	size_t n = e - s;

	(void)g1s;
	(void)g1e;
	while (n > 0 && (a[n - 1] == '.' || a[n - 1] == '-'))
		n--;
	if (!gate_addr_allowed(c->in, a, n))
		gate_flag(c, "%.*s is neither the customer's address nor the mailbox's",
			  (int)(n < 80 ? n : 80), a);
}

static void gate_email_at_hit(struct gate_ctx *c, size_t s, size_t e, size_t g1s, size_t g1e)
{
	(void)g1s;
	(void)g1e;
	gate_flag(c, "\"%.*s\" spells out an e-mail address", (int)(e - s < 80 ? e - s : 80),
		  c->text + s);
}

void gate_addresses(struct gate_ctx *c)
{
	pcre2_code *re = gate_compile(c, GATE_EMAIL_RE, false);
	pcre2_code *at = gate_compile(c, GATE_EMAIL_AT_RE, true);

	gate_each(c, re, false, gate_email_hit);
	gate_each(c, at, false, gate_email_at_hit);
}
