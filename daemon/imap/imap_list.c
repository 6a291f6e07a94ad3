/* SPDX-License-Identifier: MIT */
/* LIST with special-use attributes; modified UTF-7 names decoded. */
#include "daemon/imap/imap_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/imap/imap_private.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

static const struct {
	const char *attr;
	unsigned int flag;
} folder_attrs[] = {
	{"Noselect", IMAP_FOLDER_NOSELECT}, {"NonExistent", IMAP_FOLDER_NOSELECT},
	{"Sent", IMAP_FOLDER_SENT},         {"Junk", IMAP_FOLDER_JUNK},
	{"Spam", IMAP_FOLDER_JUNK}, /* XLIST, before RFC 6154 */
	{"Trash", IMAP_FOLDER_TRASH},       {"Drafts", IMAP_FOLDER_DRAFTS},
	{"Archive", IMAP_FOLDER_ARCHIVE},   {"All", IMAP_FOLDER_ALL},
};

/* The flag of one attribute ("\\Junk" or, as libetpan hands it over, "Junk"). */
static unsigned int folder_attr_flag(const char *attr)
{
	if (attr == NULL)
		return 0;
	if (*attr == '\\')
		attr++;
	for (size_t i = 0; i < ARRAY_SIZE(folder_attrs); i++) {
		if (strcasecmp(attr, folder_attrs[i].attr) == 0)
			return folder_attrs[i].flag;
	}
	return 0;
}

static unsigned int folder_flags(const struct mailimap_mbx_list_flags *f)
{
	unsigned int flags = 0;
	clistiter *it;

	if (f == NULL)
		return 0;
	if (f->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    f->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		flags |= IMAP_FOLDER_NOSELECT;
	for (it = f->mbf_oflags != NULL ? clist_begin(f->mbf_oflags) : NULL; it != NULL;
	     it = clist_next(it)) {
		const struct mailimap_mbx_list_oflag *of = clist_content(it);

		if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT)
			flags |= folder_attr_flag(of->of_flag_ext);
	}
	return flags;
}

/* The server's text for a log line: printable ASCII, bounded. */
static void printable_copy(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < size; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[o] = '\0';
}

long imap_list(struct imap_conn *conn, const char *pattern, struct imap_folder **folders_r)
{
	char wire[IMAP_UTF7_NAME_MAX];
	struct imap_folder *folders = NULL;
	clist *result = NULL;
	clistiter *it;
	long n = 0, ret = -1;
	int r;

	*folders_r = NULL;
	if (imap_wire_name(conn, "LIST", pattern, wire, sizeof(wire)) < 0)
		return -1;
	r = mailimap_list(conn->imap, "", wire, &result);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "LIST", r);
		goto out;
	}
	if (result != NULL && clist_count(result) > IMAP_LIST_MAX) {
		snprintf(conn->error, sizeof(conn->error), "LIST: more than %d folders",
			 IMAP_LIST_MAX);
		goto out;
	}
	folders =
		calloc(result != NULL && clist_count(result) > 0 ? (size_t)clist_count(result) : 1,
		       sizeof(*folders));
	if (folders == NULL) {
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		goto out;
	}
	for (it = result != NULL ? clist_begin(result) : NULL; it != NULL; it = clist_next(it)) {
		const struct mailimap_mailbox_list *mb = clist_content(it);
		struct error err;

		if (mb->mb_name == NULL)
			continue;
		if (imap_utf7_decode(mb->mb_name, folders[n].name, sizeof(folders[n].name), &err) <
		    0) {
			char shown[80];

			printable_copy(shown, sizeof(shown), mb->mb_name);
			log_warn("LIST: skipping folder \"%s\": %s", shown, error_msg(&err));
			continue;
		}
		folders[n].separator = mb->mb_delimiter;
		folders[n].flags = folder_flags(mb->mb_flag);
		n++;
	}
	*folders_r = folders;
	folders = NULL;
	ret = n;
out:
	free(folders);
	if (result != NULL)
		mailimap_list_result_free(result);
	return ret;
}

bool imap_folder_name_is_junk(const char *folder, char separator)
{
	static const char *const names[] = {"junk",        "spam",        "junk email",
					    "junk e-mail", "junk-e-mail", "bulk mail"};
	const char *leaf = separator != '\0' ? strrchr(folder, separator) : NULL;

	leaf = leaf != NULL ? leaf + 1 : folder;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcasecmp(leaf, names[i]) == 0)
			return true;
	}
	return false;
}

int imap_folder_is_junk(struct imap_conn *conn, const char *folder)
{
	struct imap_folder *folders = NULL;
	bool special_use = mailimap_has_extension(conn->imap, "SPECIAL-USE") != 0 ||
			   mailimap_has_extension(conn->imap, "XLIST") != 0;
	long n;
	int ret = 0;

	n = imap_list(conn, folder, &folders);
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		if (strcmp(folders[i].name, folder) != 0 &&
		    !(strcasecmp(folder, "INBOX") == 0 &&
		      strcasecmp(folders[i].name, "INBOX") == 0))
			continue;
		if ((folders[i].flags & IMAP_FOLDER_JUNK) ||
		    (!special_use && imap_folder_name_is_junk(folder, folders[i].separator)))
			ret = 1;
	}
	free(folders);
	return ret;
}
