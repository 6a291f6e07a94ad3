/* OAuth 2.0 access tokens for IMAP and SMTP logins: fetch, cache, refresh. */
#include "daemon/oauth/oauth_token.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/oauth/oauth_persist.h"
#include "daemon/lib/util.h"

#define OAUTH_CACHE_MAX         256
#define OAUTH_TOKEN_MAX         16384
#define OAUTH_CONNECT_TIMEOUT_S 10
#define OAUTH_TIMEOUT_S         30

/* One mailbox's token. key tells a reloaded config with other credentials
 * apart from the same mailbox unchanged. */
struct oauth_entry {
	char key[1024];
	char *token;      /* NULL: none */
	char *refresh;    /* a rotated refresh token, NULL: the configured one */
	char *configured; /* the configured one refresh was rotated from */
	time_t expires_at;
	time_t refresh_at;   /* a little before expires_at: fetched anew from then */
	bool persist_warned; /* "cannot write the rotated token back" said once */
	bool fetching;       /* a grant is under way: others wait for its token */
	unsigned long gen;   /* tokens stored so far */
};

static pthread_mutex_t oauth_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t oauth_fetched = PTHREAD_COND_INITIALIZER; /* a grant ended */
static struct oauth_entry oauth_cache[OAUTH_CACHE_MAX];
static pthread_once_t oauth_curl_once = PTHREAD_ONCE_INIT;

static void oauth_curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void oauth_wipe(char **s)
{
	if (*s == NULL)
		return;
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

static void oauth_key(const struct mailbox_config *mb, char *key, size_t size)
{
	snprintf(key, size, "%s\n%s\n%s\n%s", mb->name != NULL ? mb->name : "",
		 mb->oauth_token_url != NULL ? mb->oauth_token_url : "",
		 mb->oauth_client_id != NULL ? mb->oauth_client_id : "",
		 mb->user != NULL ? mb->user : "");
}

/* The entry for key, or a free (or the oldest) slot made ready for it.
 * Called with the lock held. */
static struct oauth_entry *oauth_slot(const char *key)
{
	struct oauth_entry *free_slot = NULL;

	for (size_t i = 0; i < OAUTH_CACHE_MAX; i++) {
		if (strcmp(oauth_cache[i].key, key) == 0)
			return &oauth_cache[i];
		if (free_slot == NULL && oauth_cache[i].key[0] == '\0')
			free_slot = &oauth_cache[i];
	}
	if (free_slot == NULL)
		free_slot = &oauth_cache[0]; /* more mailboxes than slots: refetch */
	oauth_wipe(&free_slot->token);
	oauth_wipe(&free_slot->refresh);
	oauth_wipe(&free_slot->configured);
	str_copy(free_slot->key, sizeof(free_slot->key), key);
	free_slot->expires_at = 0;
	free_slot->persist_warned = false;
	free_slot->fetching = false;
	return free_slot;
}

void oauth_token_forget(const struct mailbox_config *mb)
{
	char key[1024];

	oauth_key(mb, key, sizeof(key));
	pthread_mutex_lock(&oauth_lock);
	for (size_t i = 0; i < OAUTH_CACHE_MAX; i++) {
		if (strcmp(oauth_cache[i].key, key) == 0) {
			oauth_wipe(&oauth_cache[i].token);
			oauth_cache[i].expires_at = 0;
		}
	}
	pthread_mutex_unlock(&oauth_lock);
}

void oauth_token_forget_all(void)
{
	pthread_mutex_lock(&oauth_lock);
	for (size_t i = 0; i < OAUTH_CACHE_MAX; i++) {
		oauth_wipe(&oauth_cache[i].token);
		oauth_wipe(&oauth_cache[i].refresh);
		oauth_wipe(&oauth_cache[i].configured);
		oauth_cache[i].key[0] = '\0';
		oauth_cache[i].expires_at = 0;
	}
	pthread_mutex_unlock(&oauth_lock);
}

/* Appends "&name=value" (form-encoded) to out at *pos. */
static int oauth_form_add(char *out, size_t size, size_t *pos, const char *name, const char *value)
{
	char *enc = curl_easy_escape(NULL, value, 0);
	int n, ret = -1;

	if (enc == NULL)
		return -1;
	n = snprintf(out + *pos, size - *pos, "%s%s=%s", *pos > 0 ? "&" : "", name, enc);
	if (n > 0 && (size_t)n < size - *pos) {
		*pos += (size_t)n;
		ret = 0;
	}
	explicit_bzero(enc, strlen(enc));
	curl_free(enc);
	return ret;
}

int oauth_token_request_body(const struct mailbox_config *mb, const char *refresh_token, char *out,
			     size_t size, struct error *err)
{
	const char *refresh = refresh_token != NULL ? refresh_token : mb->oauth_refresh_token;
	size_t pos = 0;
	int bad = 0;

	pthread_once(&oauth_curl_once, oauth_curl_init);
	if (size > 0)
		out[0] = '\0';
	if (mb->oauth_client_id == NULL || mb->oauth_client_id[0] == '\0') {
		error_set(err, "oauth_client_id is not set");
		return -1;
	}
	if (refresh != NULL && refresh[0] != '\0') {
		bad |= oauth_form_add(out, size, &pos, "grant_type", "refresh_token");
		bad |= oauth_form_add(out, size, &pos, "refresh_token", refresh);
	} else if (mb->oauth_client_secret != NULL && mb->oauth_client_secret[0] != '\0') {
		bad |= oauth_form_add(out, size, &pos, "grant_type", "client_credentials");
	} else {
		error_set(err,
			  "neither oauth_refresh_token_file nor oauth_client_secret_file gives "
			  "a grant");
		return -1;
	}
	bad |= oauth_form_add(out, size, &pos, "client_id", mb->oauth_client_id);
	if (mb->oauth_client_secret != NULL && mb->oauth_client_secret[0] != '\0')
		bad |= oauth_form_add(out, size, &pos, "client_secret", mb->oauth_client_secret);
	if (mb->oauth_scope != NULL && mb->oauth_scope[0] != '\0')
		bad |= oauth_form_add(out, size, &pos, "scope", mb->oauth_scope);
	if (bad != 0) {
		explicit_bzero(out, size);
		error_set(err, "the token request is too long");
		return -1;
	}
	return 0;
}

/* What an endpoint's error code means for the person reading the log. */
static const char *oauth_error_advice(const char *code)
{
	if (strcmp(code, "invalid_grant") == 0)
		return "the refresh token was revoked or has expired: get a new one and put it "
		       "into oauth_refresh_token_file (deploy/oauth2.md), then reload";
	if (strcmp(code, "invalid_client") == 0 || strcmp(code, "unauthorized_client") == 0)
		return "check oauth_client_id and oauth_client_secret_file";
	if (strcmp(code, "invalid_scope") == 0)
		return "check oauth_scope";
	return "see deploy/oauth2.md";
}

/* Printable ASCII of s, bounded, for an error line. */
static void oauth_printable(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < size; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[o] = '\0';
}

int oauth_token_parse(long status, const char *body, size_t len, char *token, size_t size,
		      unsigned long *expires_in_r, char *refresh, size_t refresh_size,
		      struct error *err)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *at = NULL, *rt = NULL, *code = NULL, *desc = NULL;
	json_t *exp = NULL;
	char shown_code[64], shown_desc[200];
	int ret = -1;

	token[0] = '\0';
	refresh[0] = '\0';
	*expires_in_r = 3600;
	if (root != NULL && json_is_object(root)) {
		at = json_string_value(json_object_get(root, "access_token"));
		rt = json_string_value(json_object_get(root, "refresh_token"));
		code = json_string_value(json_object_get(root, "error"));
		desc = json_string_value(json_object_get(root, "error_description"));
		exp = json_object_get(root, "expires_in");
	}
	if (status != 200 || at == NULL) {
		if (code != NULL) {
			oauth_printable(shown_code, sizeof(shown_code), code);
			oauth_printable(shown_desc, sizeof(shown_desc), desc);
			error_set(err, "the token endpoint refused (HTTP %ld, %s%s%s): %s", status,
				  shown_code, shown_desc[0] != '\0' ? ": " : "", shown_desc,
				  oauth_error_advice(code));
			if (status >= 500 && err != NULL)
				err->retryable = true;
		} else if (status != 200) {
			if (status >= 500 || status == 429)
				error_set_retryable(err, "the token endpoint answered HTTP %ld",
						    status);
			else
				error_set(err, "the token endpoint answered HTTP %ld", status);
		} else {
			error_set_retryable(
				err,
				"the token endpoint's answer is not JSON with an access_token");
		}
		goto out;
	}
	if (at[0] == '\0' || str_copy(token, size, at) < 0) {
		error_set(err, "the token endpoint's access_token is empty or too long");
		goto out;
	}
	for (const char *p = at; *p != '\0'; p++) {
		/* RFC 6750 b64token: no spaces or controls to smuggle into SASL */
		if (*p <= 0x20 || *p >= 0x7f) {
			explicit_bzero(token, size);
			error_set(err, "the token endpoint's access_token has characters a bearer "
				       "token cannot have");
			goto out;
		}
	}
	if (json_is_integer(exp) && json_integer_value(exp) > 0)
		*expires_in_r = (unsigned long)json_integer_value(exp);
	else if (json_is_string(exp)) { /* some endpoints send "3599" */
		uint64_t v;

		if (parse_u64(json_string_value(exp), 10 * 365 * 86400UL, &v) == 0 && v > 0)
			*expires_in_r = (unsigned long)v;
	}
	if (rt != NULL && rt[0] != '\0' && str_copy(refresh, refresh_size, rt) < 0)
		refresh[0] = '\0';
	ret = 0;
out:
	json_decref(root);
	return ret;
}

static size_t oauth_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;

	return buf_append(b, ptr, n) < 0 ? 0 : n;
}

/* One grant at the token endpoint. */
static int oauth_fetch(const struct mailbox_config *mb, const char *refresh_token, char *token,
		       size_t size, unsigned long *expires_in_r, char *new_refresh,
		       size_t refresh_size, struct error *err)
{
	char body[OAUTH_TOKEN_MAX + 4096], curl_err[CURL_ERROR_SIZE];
	struct curl_slist *headers = NULL;
	CURL *curl = NULL;
	struct buf reply;
	long status = 0;
	CURLcode rc;
	int ret = -1;

	buf_init(&reply, OAUTH_REPLY_MAX);
	curl_err[0] = '\0';
	if (oauth_token_request_body(mb, refresh_token, body, sizeof(body), err) < 0) {
		error_prefix(err, "OAuth2");
		goto out;
	}
	curl = curl_easy_init();
	headers = curl_slist_append(NULL, "Accept: application/json");
	if (curl == NULL || headers == NULL) {
		error_set_retryable(err, "OAuth2: out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, mb->oauth_token_url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, oauth_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)OAUTH_CONNECT_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)OAUTH_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "draftd");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		char shown[CURL_ERROR_SIZE];

		oauth_printable(shown, sizeof(shown),
				curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
		error_set_retryable(err, "OAuth2: the token endpoint %s cannot be reached: %s",
				    mb->oauth_token_url, shown);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (oauth_token_parse(status, reply.data != NULL ? reply.data : "", reply.len, token, size,
			      expires_in_r, new_refresh, refresh_size, err) < 0) {
		error_prefix(err, "OAuth2");
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(body, sizeof(body));
	if (reply.data != NULL)
		explicit_bzero(reply.data, reply.len);
	buf_free(&reply);
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}

/* The entry for key, or NULL. Called with the lock held. */
static struct oauth_entry *oauth_find(const char *key)
{
	for (size_t i = 0; i < OAUTH_CACHE_MAX; i++) {
		if (strcmp(oauth_cache[i].key, key) == 0)
			return &oauth_cache[i];
	}
	return NULL;
}

/* The endpoint answered a new refresh token (Microsoft's may, on every
 * grant, revoking the one used): written back to oauth_refresh_token_file
 * so that a restart does not present the old one. When the file cannot be
 * written the new token lives in memory only, said once per mailbox. */
static void oauth_rotated(const struct mailbox_config *mb, const char *key, const char *used,
			  const char *rotated)
{
	struct error err;
	bool warn = false;

	if (mb->oauth_refresh_token_file == NULL || (used != NULL && strcmp(used, rotated) == 0))
		return;
	if (oauth_refresh_persist(mb->oauth_refresh_token_file, rotated, &err) == 0) {
		log_info("OAuth2: the token endpoint rotated the refresh token of mailbox %s: "
			 "written to %s",
			 mb->name, mb->oauth_refresh_token_file);
		return;
	}
	pthread_mutex_lock(&oauth_lock);
	for (size_t i = 0; i < OAUTH_CACHE_MAX; i++) {
		if (strcmp(oauth_cache[i].key, key) == 0 && !oauth_cache[i].persist_warned) {
			oauth_cache[i].persist_warned = true;
			warn = true;
		}
	}
	pthread_mutex_unlock(&oauth_lock);
	if (warn)
		log_warn(
			"OAuth2: the token endpoint rotated the refresh token of mailbox %s, but "
			"it cannot be written back to oauth_refresh_token_file: %s. It is kept in "
			"memory only: after a restart the old token in the file is used and may be "
			"refused. Make the file and its directory writable by the service user "
			"(deploy/oauth2.md)",
			mb->name, error_msg(&err));
}

/* Stores a new token (and a rotated refresh token) in key's entry. Called
 * with the lock held. */
static void oauth_store(const struct mailbox_config *mb, const char *key, const char *token,
			unsigned long expires_in, const char *rotated, time_t now)
{
	struct oauth_entry *e = oauth_find(key);

	if (e == NULL)
		e = oauth_slot(key);
	oauth_wipe(&e->token);
	e->token = strdup(token);
	e->expires_at = now + (time_t)expires_in;
	/* a minute early, or a tenth of a short lifetime */
	e->refresh_at = e->expires_at - (time_t)(expires_in > 10 * OAUTH_EXPIRY_MARGIN_S
							 ? OAUTH_EXPIRY_MARGIN_S
							 : expires_in / 10);
	if (rotated[0] != '\0') {
		oauth_wipe(&e->refresh);
		oauth_wipe(&e->configured);
		e->refresh = strdup(rotated);
		e->configured =
			strdup(mb->oauth_refresh_token != NULL ? mb->oauth_refresh_token : "");
	}
	e->gen++;
}

int oauth_token_get(const struct mailbox_config *mb, bool force, char *token, size_t size,
		    struct error *err)
{
	char key[1024], rotated[OAUTH_TOKEN_MAX];
	char *refresh = NULL;
	unsigned long expires_in = 0, seen;
	struct oauth_entry *e;
	time_t now;
	int ret = -1;

	pthread_once(&oauth_curl_once, oauth_curl_init);
	rotated[0] = '\0';
	oauth_key(mb, key, sizeof(key));
	pthread_mutex_lock(&oauth_lock);
	e = oauth_find(key);
	seen = e != NULL ? e->gen : 0;
	/* One grant at a time per mailbox (the poller and the outbox share
	 * it): a refresh token the endpoint rotates is revoked by the first
	 * grant, so a second one in parallel would be refused. Whoever waited
	 * takes the token the grant brought. */
	while ((e = oauth_find(key)) != NULL && e->fetching)
		pthread_cond_wait(&oauth_fetched, &oauth_lock);
	now = time(NULL);
	/* force: the caller's token was refused; one fetched since is good */
	if (e != NULL && e->token != NULL && now < e->refresh_at && (!force || e->gen != seen) &&
	    str_copy(token, size, e->token) == 0) {
		pthread_mutex_unlock(&oauth_lock);
		ret = 0;
		goto out;
	}
	e = oauth_slot(key);
	oauth_wipe(&e->token);
	e->expires_at = 0;
	e->fetching = true;
	/* a token put into the file since (and reloaded) beats the rotated
	 * one: an administrator replaced a revoked chain */
	if (e->refresh != NULL &&
	    strcmp(e->configured != NULL ? e->configured : "",
		   mb->oauth_refresh_token != NULL ? mb->oauth_refresh_token : "") != 0) {
		oauth_wipe(&e->refresh);
		oauth_wipe(&e->configured);
	}
	if (e->refresh != NULL)
		refresh = strdup(e->refresh);
	pthread_mutex_unlock(&oauth_lock);

	token[0] = '\0';
	if (oauth_fetch(mb, refresh, token, size, &expires_in, rotated, sizeof(rotated), err) ==
	    0) {
		log_info("OAuth2: new access token for %s, valid for %lu s", mb->user, expires_in);
		pthread_mutex_lock(&oauth_lock);
		oauth_store(mb, key, token, expires_in, rotated, now);
		pthread_mutex_unlock(&oauth_lock);
		/* still "fetching": the next grant waits until the file has it */
		if (rotated[0] != '\0')
			oauth_rotated(mb, key, refresh != NULL ? refresh : mb->oauth_refresh_token,
				      rotated);
		ret = 0;
	}
	pthread_mutex_lock(&oauth_lock);
	e = oauth_find(key);
	if (e != NULL)
		e->fetching = false;
	pthread_cond_broadcast(&oauth_fetched);
	pthread_mutex_unlock(&oauth_lock);
out:
	explicit_bzero(rotated, sizeof(rotated));
	oauth_wipe(&refresh);
	return ret;
}
