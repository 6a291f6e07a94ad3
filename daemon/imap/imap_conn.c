/* SPDX-License-Identifier: MIT */
/* IMAP connections: URL, connect, TLS, login, select, and the small commands
 * the outbox sender needs (append, flags, search by Message-ID). */
#include "daemon/imap/imap_private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/imap/imap_tls.h"
#include "daemon/mail/imap_utf7.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

static const char *imap_code_name(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE:
		return "malformed server response";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "connection refused";
	case MAILIMAP_ERROR_MEMORY:
		return "out of memory";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed";
	case MAILIMAP_ERROR_STARTTLS:
		return "STARTTLS refused";
	case MAILIMAP_ERROR_LOGIN:
		return "login refused";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return "server refuses connections";
	default:
		return "command failed";
	}
}

/* Server texts go into logs: keep them printable and on one line. */
static void imap_clean_text(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

void imap_set_error(struct imap_conn *conn, const char *what, int r)
{
	const char *resp = NULL;

	/* The tagged response text only means something after a NO/BAD. */
	if (conn->imap != NULL && r != MAILIMAP_ERROR_STREAM && r != MAILIMAP_ERROR_PARSE &&
	    r != MAILIMAP_ERROR_CONNECTION_REFUSED && r != MAILIMAP_ERROR_SSL)
		resp = conn->imap->imap_response;
	if (resp != NULL && *resp != '\0')
		snprintf(conn->error, sizeof(conn->error), "%s: %s (%s)", what, imap_code_name(r),
			 resp);
	else
		snprintf(conn->error, sizeof(conn->error), "%s: %s", what, imap_code_name(r));
	imap_clean_text(conn->error);
}

void imap_forget_selection(struct imap_conn *conn)
{
	free(conn->selected);
	conn->selected = NULL;
}

static bool has_non_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return true;
	}
	return false;
}

int imap_wire_name(struct imap_conn *conn, const char *what, const char *folder, char *wire,
		   size_t size)
{
	char decoded[IMAP_UTF7_NAME_MAX];
	struct error err;

	/* already encoded: pure ASCII that decodes to something that is not */
	if (imap_utf7_decode(folder, decoded, sizeof(decoded), NULL) == 0 &&
	    strcmp(decoded, folder) != 0 && has_non_ascii(decoded) &&
	    str_copy(wire, size, folder) == 0)
		return 0;
	if (imap_utf7_encode(folder, wire, size, &err) < 0) {
		snprintf(conn->error, sizeof(conn->error), "%s %s: %s", what, folder,
			 error_msg(&err));
		imap_clean_text(conn->error);
		return -1;
	}
	return 0;
}

const char *imap_error(const struct imap_conn *conn)
{
	return conn->error;
}

const char *imap_auth_mechanism(const struct imap_conn *conn)
{
	return conn->auth_mech;
}

int imap_url_parse(const char *url, struct imap_url *url_r, struct error *err)
{
	const char *p, *host, *end;
	size_t hlen;
	uint64_t port = 0;
	char portbuf[8];

	memset(url_r, 0, sizeof(*url_r));
	if (strncmp(url, "imaps://", 8) == 0) {
		url_r->tls = true;
		p = url + 8;
	} else if (strncmp(url, "imap://", 7) == 0) {
		p = url + 7;
	} else {
		error_set(err, "URL must start with imap:// or imaps://");
		return -1;
	}
	if (*p == '[') {
		host = p + 1;
		end = strchr(host, ']');
		if (end == NULL) {
			error_set(err, "unterminated [IPv6] host");
			return -1;
		}
		hlen = (size_t)(end - host);
		p = end + 1;
	} else {
		host = p;
		hlen = strcspn(p, ":/");
		p += hlen;
	}
	if (hlen == 0 || hlen >= sizeof(url_r->host)) {
		error_set(err, "missing or overlong host");
		return -1;
	}
	memcpy(url_r->host, host, hlen);
	url_r->host[hlen] = '\0';
	for (size_t i = 0; i < hlen; i++) {
		if (isspace((unsigned char)host[i]) || host[i] == '@') {
			error_set(err, "invalid host (user names go in 'user')");
			return -1;
		}
	}
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || n >= sizeof(portbuf)) {
			error_set(err, "invalid port");
			return -1;
		}
		memcpy(portbuf, p + 1, n);
		portbuf[n] = '\0';
		if (parse_u64(portbuf, 65535, &port) < 0 || port == 0) {
			error_set(err, "invalid port");
			return -1;
		}
		p += 1 + n;
	}
	if (*p != '\0' && strcmp(p, "/") != 0) {
		error_set(err, "no path allowed after the host: set the folder with 'folder'");
		return -1;
	}
	url_r->port = port != 0 ? (uint16_t)port : (url_r->tls ? 993 : 143);
	return 0;
}

/* Checks the certificate chain of the TLS stream against the trust store. */
static int imap_conn_verify(struct imap_conn *conn, const struct mailbox_config *mb,
			    const char *host)
{
	carray *chain = mailstream_get_certificate_chain(conn->imap->imap_stream);
	const unsigned char *der[16];
	size_t lens[16], n = 0;
	struct error why;
	int ret = -1;

	if (chain == NULL) {
		snprintf(conn->error, sizeof(conn->error),
			 "TLS: the server presented no certificate chain");
		goto out;
	}
	for (unsigned int i = 0; i < carray_count(chain) && n < ARRAY_SIZE(der); i++) {
		MMAPString *s = carray_get(chain, i);

		der[n] = (const unsigned char *)s->str;
		lens[n++] = s->len;
	}
	if (imap_tls_verify_chain(der, lens, n, host, mb->tls_ca_file, &why) < 0) {
		snprintf(conn->error, sizeof(conn->error),
			 "TLS: %s (set tls_ca_file to trust a private CA, or tls_verify = off)",
			 error_msg(&why));
		goto out;
	}
	ret = 0;
out:
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return ret;
}

int imap_connect(const struct mailbox_config *mb, struct imap_conn **conn_r, struct error *err)
{
	struct imap_conn *conn = NULL;
	struct mailimap_capability_data *caps = NULL;
	struct imap_url url;
	struct error why;
	bool tls;
	int r, ret = -1;

	if (imap_url_parse(mb->url, &url, &why) < 0) {
		error_set(err, "url %s: %s", mb->url, error_msg(&why));
		return -1;
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL || (conn->imap = mailimap_new(0, NULL)) == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	str_copy(conn->name, sizeof(conn->name), mb->name != NULL ? mb->name : "");
	mailimap_set_timeout(conn->imap, IMAP_TIMEOUT_S);
	tls = url.tls || mb->starttls;
	if (tls && !mb->tls_verify)
		log_warn("tls_verify = off: the certificate of %s is NOT checked, anyone on the "
			 "path can read this mailbox",
			 url.host);
	if (url.tls)
		r = mailimap_ssl_connect(conn->imap, url.host, url.port);
	else
		r = mailimap_socket_connect(conn->imap, url.host, url.port);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		char what[300];

		snprintf(what, sizeof(what), "connect to %s:%u", url.host, url.port);
		imap_set_error(conn, what, r);
		goto fail;
	}
	if (!url.tls && mb->starttls) {
		r = mailimap_socket_starttls(conn->imap);
		if (r != MAILIMAP_NO_ERROR) {
			imap_set_error(conn, "STARTTLS (set starttls = off to allow plain text)",
				       r);
			goto fail;
		}
	}
	if (tls && mb->tls_verify && imap_conn_verify(conn, mb, url.host) < 0)
		goto fail;
	if (mb->auth == AUTH_OAUTH2) {
		if (imap_login_oauth2(conn, mb, &url) < 0)
			goto fail;
	} else {
		str_copy(conn->auth_mech, sizeof(conn->auth_mech), "LOGIN");
		r = mailimap_login(conn->imap, mb->user, mb->password != NULL ? mb->password : "");
		if (r != MAILIMAP_NO_ERROR) {
			char what[300];

			snprintf(what, sizeof(what), "LOGIN as %s", mb->user);
			imap_set_error(conn, what, r);
			goto fail;
		}
	}
	/* Capabilities change after login (IDLE may only show up then). */
	r = mailimap_capability(conn->imap, &caps);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "CAPABILITY", r);
		goto fail;
	}
	*conn_r = conn;
	conn = NULL;
	ret = 0;
	goto out;
fail:
	error_set(err, "%s", conn->error);
out:
	if (caps != NULL)
		mailimap_capability_data_free(caps);
	imap_close(&conn);
	return ret;
}

void imap_close(struct imap_conn **conn)
{
	if (*conn == NULL)
		return;
	if ((*conn)->imap != NULL) {
		if ((*conn)->imap->imap_stream != NULL)
			(void)mailimap_logout((*conn)->imap);
		mailimap_free((*conn)->imap);
	}
	free((*conn)->selected);
	free(*conn);
	*conn = NULL;
}

bool imap_has_capability(struct imap_conn *conn, const char *name)
{
	return mailimap_has_extension(conn->imap, (char *)name) != 0;
}

bool imap_has_idle(struct imap_conn *conn)
{
	return mailimap_has_idle(conn->imap) != 0;
}

int imap_select(struct imap_conn *conn, const char *folder, uint32_t *uidvalidity_r,
		uint32_t *uidnext_r)
{
	char what[300], wire[IMAP_UTF7_NAME_MAX];
	int r;

	imap_forget_selection(conn);
	if (imap_wire_name(conn, "IMAP select of folder", folder, wire, sizeof(wire)) < 0)
		return -1;
	r = mailimap_select(conn->imap, wire);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof(what), "IMAP select of folder %s", folder);
		imap_set_error(conn, what, r);
		return -1;
	}
	if (conn->imap->imap_selection_info == NULL) {
		snprintf(conn->error, sizeof(conn->error),
			 "IMAP select of folder %s: no selection data", folder);
		return -1;
	}
	*uidvalidity_r = conn->imap->imap_selection_info->sel_uidvalidity;
	*uidnext_r = conn->imap->imap_selection_info->sel_uidnext;
	if (*uidvalidity_r == 0) {
		snprintf(conn->error, sizeof(conn->error),
			 "IMAP select of folder %s: no UIDVALIDITY", folder);
		return -1;
	}
	conn->selected = strdup(folder);
	return 0;
}

static struct mailimap_flag *imap_flag_new(const char *name, size_t len)
{
	static const struct {
		const char *name;
		struct mailimap_flag *(*make)(void);
	} sys[] = {
		{"\\Seen", mailimap_flag_new_seen},
		{"\\Answered", mailimap_flag_new_answered},
		{"\\Flagged", mailimap_flag_new_flagged},
		{"\\Deleted", mailimap_flag_new_deleted},
		{"\\Draft", mailimap_flag_new_draft},
	};
	char *kw;

	for (size_t i = 0; i < ARRAY_SIZE(sys); i++) {
		if (strlen(sys[i].name) == len && strncasecmp(sys[i].name, name, len) == 0)
			return sys[i].make();
	}
	if (name[0] == '\\')
		return NULL; /* an unknown system flag: refuse rather than guess */
	kw = strndup(name, len);
	return kw != NULL ? mailimap_flag_new_flag_keyword(kw) : NULL;
}

/* Builds a libetpan flag list from "\\Seen \\Answered"; NULL on a bad flag. */
static struct mailimap_flag_list *imap_flag_list(const char *flags)
{
	struct mailimap_flag_list *list = mailimap_flag_list_new_empty();
	const char *p = flags != NULL ? flags : "";

	while (list != NULL && *p != '\0') {
		size_t n;
		struct mailimap_flag *f;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		f = imap_flag_new(p, n);
		if (f == NULL || mailimap_flag_list_add(list, f) != MAILIMAP_NO_ERROR) {
			if (f != NULL)
				mailimap_flag_free(f);
			mailimap_flag_list_free(list);
			return NULL;
		}
		p += n;
	}
	return list;
}

int imap_append(struct imap_conn *conn, const char *folder, const char *data, size_t len,
		const char *flags)
{
	struct mailimap_flag_list *list = NULL;
	char what[300], wire[IMAP_UTF7_NAME_MAX];
	int r;

	if (imap_wire_name(conn, "APPEND to", folder, wire, sizeof(wire)) < 0)
		return -1;
	list = imap_flag_list(flags);
	if (list == NULL) {
		snprintf(conn->error, sizeof(conn->error), "APPEND: invalid flags");
		return -1;
	}
	r = mailimap_append(conn->imap, wire, list, NULL, data, len);
	mailimap_flag_list_free(list);
	if (r != MAILIMAP_NO_ERROR) {
		snprintf(what, sizeof(what), "APPEND to %s", folder);
		imap_set_error(conn, what, r);
		return -1;
	}
	return 0;
}

static int imap_ensure_selected(struct imap_conn *conn, const char *folder)
{
	uint32_t v, n;

	if (conn->selected != NULL && strcmp(conn->selected, folder) == 0)
		return 0;
	return imap_select(conn, folder, &v, &n);
}

/* UID STORE +FLAGS.SILENT (add) or -FLAGS.SILENT on one message. */
static int imap_store_flags(struct imap_conn *conn, const char *folder, uint32_t uid,
			    const char *flags, bool add)
{
	struct mailimap_flag_list *list;
	struct mailimap_store_att_flags *att = NULL;
	struct mailimap_set *set = NULL;
	int r, ret = -1;

	if (imap_ensure_selected(conn, folder) < 0)
		return -1;
	list = imap_flag_list(flags);
	if (list == NULL) {
		snprintf(conn->error, sizeof(conn->error), "STORE: invalid flags");
		return -1;
	}
	att = add ? mailimap_store_att_flags_new_add_flags_silent(list)
		  : mailimap_store_att_flags_new_remove_flags_silent(list);
	set = mailimap_set_new_single(uid);
	if (att == NULL || set == NULL) {
		if (att == NULL)
			mailimap_flag_list_free(list);
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		goto out;
	}
	r = mailimap_uid_store(conn->imap, set, att);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "UID STORE", r);
		goto out;
	}
	ret = 0;
out:
	if (att != NULL)
		mailimap_store_att_flags_free(att);
	if (set != NULL)
		mailimap_set_free(set);
	return ret;
}

int imap_add_flags(struct imap_conn *conn, const char *folder, uint32_t uid, const char *flags)
{
	return imap_store_flags(conn, folder, uid, flags, true);
}

int imap_remove_flags(struct imap_conn *conn, const char *folder, uint32_t uid, const char *flags)
{
	return imap_store_flags(conn, folder, uid, flags, false);
}

int imap_expunge_uid(struct imap_conn *conn, const char *folder, uint32_t uid)
{
	struct mailimap_set *set = NULL;
	int r, ret = -1;

	if (imap_store_flags(conn, folder, uid, "\\Deleted", true) < 0)
		return -1;
	/* a plain EXPUNGE would also remove whatever else someone flagged
	 * \Deleted in this folder: without UIDPLUS the message stays flagged */
	if (mailimap_has_extension(conn->imap, "UIDPLUS") == 0)
		return 0;
	set = mailimap_set_new_single(uid);
	if (set == NULL) {
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		return -1;
	}
	r = mailimap_uid_expunge(conn->imap, set);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "UID EXPUNGE", r);
		goto out;
	}
	ret = 1;
out:
	mailimap_set_free(set);
	return ret;
}

/* UID SEARCH HEADER Message-ID in folder: the first UID and how many. */
static int imap_search_message_id(struct imap_conn *conn, const char *folder,
				  const char *message_id, uint32_t *uid_r, size_t *count_r)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	char *name = NULL, *value = NULL;
	int r, ret = -1;

	if (imap_ensure_selected(conn, folder) < 0)
		return -1;
	name = strdup("Message-ID");
	value = strdup(message_id);
	key = name != NULL && value != NULL ? mailimap_search_key_new_header(name, value) : NULL;
	if (key == NULL) {
		free(name);
		free(value);
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		return -1;
	}
	r = mailimap_uid_search(conn->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "UID SEARCH HEADER Message-ID", r);
		goto out;
	}
	ret = 0;
	*count_r = result != NULL ? (size_t)clist_count(result) : 0;
	if (result != NULL && clist_begin(result) != NULL) {
		if (uid_r != NULL)
			*uid_r = *(uint32_t *)clist_content(clist_begin(result));
		ret = 1;
	}
out:
	if (result != NULL)
		mailimap_search_result_free(result);
	return ret;
}

int imap_find_message_id(struct imap_conn *conn, const char *folder, const char *message_id,
			 uint32_t *uid_r)
{
	size_t count = 0;

	return imap_search_message_id(conn, folder, message_id, uid_r, &count);
}

long imap_count_message_id(struct imap_conn *conn, const char *folder, const char *message_id)
{
	size_t count = 0;

	if (imap_search_message_id(conn, folder, message_id, NULL, &count) < 0)
		return -1;
	return (long)count;
}
