/* Finding (or making) the Sent folder: RFC 6154 special use, then the names
 * mail clients use, then CREATE. */
#include "daemon/imap/imap_sent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/imap/imap_list.h"
#include "daemon/imap/imap_private.h"
#include "daemon/lib/util.h"

/* In order of preference; matched on their own and below "INBOX" + sep. */
static const char *const sent_names[] = {
	"Sent",          "Sent Items",        "Sent Messages",
	"Sent Mail",     "[Gmail]/Sent Mail", "Gesendete Objekte",
	"Gesendet",      "Éléments envoyés",  "Elementos enviados",
	"Posta inviata",
};

const char *imap_sent_how_name(enum imap_sent_how how)
{
	switch (how) {
	case IMAP_SENT_CONFIGURED:
		return "configured";
	case IMAP_SENT_SPECIAL_USE:
		return "flagged \\Sent by the server";
	case IMAP_SENT_COMMON_NAME:
		return "found by its name";
	case IMAP_SENT_CREATED:
		return "created";
	}
	return "unknown";
}

/* name equals want, or "INBOX" sep want; ASCII letters in any case. */
static bool sent_name_matches(const char *name, const char *want, char separator)
{
	if (strcasecmp(name, want) == 0)
		return true;
	return separator != '\0' && strncasecmp(name, "INBOX", 5) == 0 && name[5] == separator &&
	       strcasecmp(name + 6, want) == 0;
}

bool imap_sent_common_name(const char *name, char separator)
{
	for (size_t i = 0; i < ARRAY_SIZE(sent_names); i++) {
		if (sent_name_matches(name, sent_names[i], separator))
			return true;
	}
	return false;
}

/* The configured name as LIST shows it: UTF-8 (an already encoded name,
 * what had to be configured before draftd encoded names, is decoded). */
static void sent_configured_utf8(const char *configured, char *out, size_t size)
{
	char decoded[IMAP_UTF7_NAME_MAX];
	struct error why;

	if (imap_utf7_decode(configured, decoded, sizeof(decoded), &why) == 0 &&
	    str_copy(out, size, decoded) == 0)
		return;
	str_copy(out, size, configured);
}

static bool sent_same_folder(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || (strcasecmp(a, "INBOX") == 0 && strcasecmp(b, "INBOX") == 0);
}

/* The folders flagged \Sent, for an error text: "A", "B" or "none". */
static void sent_flagged_list(const struct imap_folder *folders, long n, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (long i = 0; i < n && o + 1 < size; i++) {
		int w;

		if (!(folders[i].flags & IMAP_FOLDER_SENT))
			continue;
		w = snprintf(out + o, size - o, "%s\"%s\"", o > 0 ? ", " : "", folders[i].name);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (out[0] == '\0')
		str_copy(out, size, "none");
}

/* The personal namespace's prefix ("INBOX." on Cyrus and many hosted
 * servers, "" on most others) into prefix[size]. */
static void sent_personal_prefix(struct imap_conn *conn, char *prefix, size_t size)
{
	struct mailimap_namespace_data *ns = NULL;
	struct mailimap_namespace_info *info;

	prefix[0] = '\0';
	if (mailimap_has_namespace(conn->imap) == 0 ||
	    mailimap_namespace(conn->imap, &ns) != MAILIMAP_NO_ERROR || ns == NULL)
		goto out;
	if (ns->ns_personal == NULL || ns->ns_personal->ns_data_list == NULL ||
	    clist_begin(ns->ns_personal->ns_data_list) == NULL)
		goto out;
	info = clist_content(clist_begin(ns->ns_personal->ns_data_list));
	if (info != NULL && info->ns_prefix != NULL && strlen(info->ns_prefix) < 64)
		str_copy(prefix, size, info->ns_prefix);
out:
	if (ns != NULL)
		mailimap_namespace_data_free(ns);
}

/* CREATE name, with (USE (\Sent)) where the server offers it; then
 * SUBSCRIBE so mail clients show it. Returns 0 or -1 (conn's error). */
static int sent_create(struct imap_conn *conn, const char *name, bool *flagged_r)
{
	char wire[IMAP_UTF7_NAME_MAX], cmd[IMAP_UTF7_NAME_MAX * 2 + 64];
	size_t o;
	int r;

	*flagged_r = false;
	if (imap_wire_name(conn, "CREATE", name, wire, sizeof(wire)) < 0)
		return -1;
	if (mailimap_has_extension(conn->imap, "CREATE-SPECIAL-USE") != 0) {
		/* a quoted string: the wire name is printable ASCII */
		o = (size_t)snprintf(cmd, sizeof(cmd), "CREATE \"");
		for (const char *p = wire; *p != '\0' && o + 32 < sizeof(cmd); p++) {
			if (*p == '"' || *p == '\\')
				cmd[o++] = '\\';
			cmd[o++] = *p;
		}
		snprintf(cmd + o, sizeof(cmd) - o, "\" (USE (\\Sent))");
		r = mailimap_custom_command(conn->imap, cmd);
		if (r == MAILIMAP_NO_ERROR) {
			*flagged_r = true;
			goto subscribe;
		}
	}
	r = mailimap_create(conn->imap, wire);
	if (r != MAILIMAP_NO_ERROR) {
		char what[IMAP_UTF7_NAME_MAX + 64];

		snprintf(what, sizeof(what), "CREATE %s", name);
		imap_set_error(conn, what, r);
		return -1;
	}
subscribe:
	(void)mailimap_subscribe(conn->imap, wire); /* only for mail clients */
	return 0;
}

/* Picks from the listing: configured, \Sent, then a common name. */
static int sent_pick(const struct imap_folder *folders, long n, const char *want,
		     struct imap_sent *sent_r)
{
	if (want[0] != '\0') {
		for (long i = 0; i < n; i++) {
			if (!(folders[i].flags & IMAP_FOLDER_NOSELECT) &&
			    sent_same_folder(folders[i].name, want)) {
				sent_r->how = IMAP_SENT_CONFIGURED;
				return str_copy(sent_r->name, sizeof(sent_r->name), want) == 0;
			}
		}
		return 0;
	}
	for (long i = 0; i < n; i++) {
		if ((folders[i].flags & (IMAP_FOLDER_SENT | IMAP_FOLDER_NOSELECT)) ==
		    IMAP_FOLDER_SENT) {
			sent_r->how = IMAP_SENT_SPECIAL_USE;
			return str_copy(sent_r->name, sizeof(sent_r->name), folders[i].name) == 0;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(sent_names); k++) {
		for (long i = 0; i < n; i++) {
			if (!(folders[i].flags & IMAP_FOLDER_NOSELECT) &&
			    sent_name_matches(folders[i].name, sent_names[k],
					      folders[i].separator)) {
				sent_r->how = IMAP_SENT_COMMON_NAME;
				return str_copy(sent_r->name, sizeof(sent_r->name),
						folders[i].name) == 0;
			}
		}
	}
	return 0;
}

int imap_sent_find(struct imap_conn *conn, const char *configured, bool create,
		   struct imap_sent *sent_r)
{
	struct imap_folder *folders = NULL;
	char want[IMAP_UTF7_NAME_MAX], prefix[64], flagged[512], name[IMAP_UTF7_NAME_MAX];
	long n;
	int ret = -1;

	memset(sent_r, 0, sizeof(*sent_r));
	want[0] = '\0';
	if (configured != NULL && configured[0] != '\0')
		sent_configured_utf8(configured, want, sizeof(want));
	n = imap_list(conn, "*", &folders);
	if (n < 0)
		goto out;
	if (sent_pick(folders, n, want, sent_r) == 1) {
		ret = 1;
		goto out;
	}
	if (want[0] != '\0') {
		sent_flagged_list(folders, n, flagged, sizeof(flagged));
		snprintf(conn->error, sizeof(conn->error),
			 "sent_folder = %s does not exist on the server (folders flagged \\Sent: "
			 "%s): create it, or leave sent_folder unset so draftd finds or makes one",
			 configured, flagged);
		goto out;
	}
	if (!create) {
		ret = 0;
		goto out;
	}
	sent_personal_prefix(conn, prefix, sizeof(prefix));
	snprintf(name, sizeof(name), "%sSent", prefix);
	if (sent_create(conn, name, &sent_r->flagged) < 0) {
		char why[sizeof(conn->error)];

		str_copy(why, sizeof(why), conn->error);
		snprintf(conn->error, sizeof(conn->error),
			 "the server has no Sent folder and creating one failed (%.300s): create a "
			 "Sent folder, or set sent_folder to one that exists",
			 why);
		goto out;
	}
	str_copy(sent_r->name, sizeof(sent_r->name), name);
	sent_r->how = IMAP_SENT_CREATED;
	ret = 1;
out:
	free(folders);
	return ret;
}
