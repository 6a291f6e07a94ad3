/* SPDX-License-Identifier: MIT */
/* UID SEARCH and UID FETCH of the selected folder. */
#include "daemon/imap/imap_fetch.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/imap/imap_private.h"

static int imap_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

long imap_search_new(struct imap_conn *conn, uint32_t last_uid, uint32_t **uids_r)
{
	struct mailimap_set *set;
	struct mailimap_search_key *key;
	clist *result = NULL;
	clistiter *it;
	uint32_t *uids = NULL;
	size_t n = 0;
	long ret = -1;
	int r;

	*uids_r = NULL;
	if (last_uid == UINT32_MAX)
		return 0;
	/* last 0 means "from the start"; 0 as the end means "*" to libetpan */
	set = mailimap_set_new_interval(last_uid + 1, 0);
	key = set != NULL ? mailimap_search_key_new_uid(set) : NULL;
	if (key == NULL) {
		if (set != NULL)
			mailimap_set_free(set);
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		return -1;
	}
	r = mailimap_uid_search(conn->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "UID SEARCH", r);
		goto out;
	}
	uids = malloc(sizeof(*uids) * (clist_count(result) + 1));
	if (uids == NULL) {
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		goto out;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		if (uid > last_uid)
			uids[n++] = uid;
	}
	qsort(uids, n, sizeof(*uids), imap_uid_cmp);
	*uids_r = uids;
	uids = NULL;
	ret = (long)n;
out:
	free(uids);
	if (result != NULL)
		mailimap_search_result_free(result);
	return ret;
}

/* A set of the given UIDs, or NULL. */
static struct mailimap_set *imap_uid_set(const uint32_t *uids, size_t count)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	for (size_t i = 0; set != NULL && i < count; i++) {
		if (mailimap_set_add_single(set, uids[i]) != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
	}
	return set;
}

static ssize_t imap_uid_index(const uint32_t *uids, size_t count, uint32_t uid)
{
	const uint32_t *p = bsearch(&uid, uids, count, sizeof(*uids), imap_uid_cmp);

	return p != NULL ? p - uids : -1;
}

/* Runs UID FETCH of uids with fetch_type (consumed) and hands each returned
 * message's attributes to fn. */
static int imap_uid_fetch(struct imap_conn *conn, const uint32_t *uids, size_t count,
			  struct mailimap_fetch_type *type,
			  int (*fn)(struct imap_conn *conn, uint32_t uid,
				    struct mailimap_msg_att_static *st, void *ctx),
			  void *ctx)
{
	struct mailimap_set *set = imap_uid_set(uids, count);
	clist *result = NULL;
	int r, ret = -1;

	if (set == NULL || type == NULL) {
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		goto out;
	}
	r = mailimap_uid_fetch(conn->imap, set, type, &result);
	if (r != MAILIMAP_NO_ERROR) {
		imap_set_error(conn, "UID FETCH", r);
		goto out;
	}
	for (clistiter *m = clist_begin(result); m != NULL; m = clist_next(m)) {
		struct mailimap_msg_att *att = clist_content(m);
		uint32_t uid = 0;

		/* The UID may come after the body: find it first. */
		for (clistiter *i = clist_begin(att->att_list); i != NULL; i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				uid = item->att_data.att_static->att_data.att_uid;
		}
		if (uid == 0)
			continue; /* an unsolicited FETCH (flag change): not ours */
		for (clistiter *i = clist_begin(att->att_list); i != NULL; i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (fn(conn, uid, item->att_data.att_static, ctx) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	if (result != NULL)
		mailimap_fetch_list_free(result);
	if (set != NULL)
		mailimap_set_free(set);
	if (type != NULL)
		mailimap_fetch_type_free(type);
	return ret;
}

struct imap_sizes_ctx {
	const uint32_t *uids;
	size_t count;
	uint32_t *sizes;
};

static int imap_size_item(struct imap_conn *conn, uint32_t uid, struct mailimap_msg_att_static *st,
			  void *ctx)
{
	struct imap_sizes_ctx *c = ctx;
	ssize_t i;

	(void)conn;
	if (st->att_type != MAILIMAP_MSG_ATT_RFC822_SIZE)
		return 0;
	i = imap_uid_index(c->uids, c->count, uid);
	if (i >= 0)
		c->sizes[i] = st->att_data.att_rfc822_size;
	return 0;
}

int imap_fetch_sizes(struct imap_conn *conn, const uint32_t *uids, size_t count, uint32_t *sizes_r)
{
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	struct imap_sizes_ctx c = {uids, count, sizes_r};

	memset(sizes_r, 0, sizeof(*sizes_r) * count);
	if (type != NULL) {
		struct mailimap_fetch_att *a = mailimap_fetch_att_new_uid();
		struct mailimap_fetch_att *b = mailimap_fetch_att_new_rfc822_size();

		if (mailimap_fetch_type_new_fetch_att_list_add(type, a) != MAILIMAP_NO_ERROR ||
		    mailimap_fetch_type_new_fetch_att_list_add(type, b) != MAILIMAP_NO_ERROR) {
			mailimap_fetch_type_free(type);
			type = NULL;
		}
	}
	return imap_uid_fetch(conn, uids, count, type, imap_size_item, &c);
}

struct imap_msgs_ctx {
	const uint32_t *uids;
	size_t count;
	size_t max_len;
	struct imap_msg *msgs;
};

static int imap_body_item(struct imap_conn *conn, uint32_t uid, struct mailimap_msg_att_static *st,
			  void *ctx)
{
	struct imap_msgs_ctx *c = ctx;
	struct imap_msg *m;
	ssize_t i = imap_uid_index(c->uids, c->count, uid);

	if (i < 0)
		return 0;
	m = &c->msgs[i];
	if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
		m->size = st->att_data.att_rfc822_size;
		return 0;
	}
	if (st->att_type != MAILIMAP_MSG_ATT_BODY_SECTION || st->att_data.att_body_section == NULL)
		return 0;
	if (m->data != NULL)
		return 0; /* a second copy of the same section: keep the first */
	if (st->att_data.att_body_section->sec_length > c->max_len) {
		snprintf(conn->error, sizeof(conn->error),
			 "UID FETCH: the server sent %zu bytes for UID %u, more than the %zu "
			 "allowed",
			 st->att_data.att_body_section->sec_length, uid, c->max_len);
		return -1;
	}
	m->len = st->att_data.att_body_section->sec_length;
	m->data = malloc(m->len + 1);
	if (m->data == NULL) {
		snprintf(conn->error, sizeof(conn->error), "out of memory");
		return -1;
	}
	if (m->len > 0)
		memcpy(m->data, st->att_data.att_body_section->sec_body_part, m->len);
	m->data[m->len] = '\0';
	return 0;
}

int imap_fetch_messages(struct imap_conn *conn, const uint32_t *uids, size_t count,
			bool header_only, size_t max_len, struct imap_msg *msgs_r)
{
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	struct imap_msgs_ctx c = {uids, count, max_len, msgs_r};

	memset(msgs_r, 0, sizeof(*msgs_r) * count);
	for (size_t i = 0; i < count; i++) {
		msgs_r[i].uid = uids[i];
		msgs_r[i].header_only = header_only;
	}
	if (type != NULL) {
		struct mailimap_section *sec =
			header_only ? mailimap_section_new_header() : mailimap_section_new(NULL);
		struct mailimap_fetch_att *body =
			sec != NULL ? mailimap_fetch_att_new_body_peek_section(sec) : NULL;
		struct mailimap_fetch_att *uid = mailimap_fetch_att_new_uid();
		struct mailimap_fetch_att *size = mailimap_fetch_att_new_rfc822_size();

		if (sec != NULL && body == NULL)
			mailimap_section_free(sec);
		if (body == NULL || uid == NULL || size == NULL ||
		    mailimap_fetch_type_new_fetch_att_list_add(type, uid) != MAILIMAP_NO_ERROR ||
		    mailimap_fetch_type_new_fetch_att_list_add(type, size) != MAILIMAP_NO_ERROR ||
		    mailimap_fetch_type_new_fetch_att_list_add(type, body) != MAILIMAP_NO_ERROR) {
			mailimap_fetch_type_free(type);
			type = NULL;
		}
	}
	return imap_uid_fetch(conn, uids, count, type, imap_body_item, &c);
}

void imap_msgs_free(struct imap_msg *msgs, size_t count)
{
	for (size_t i = 0; msgs != NULL && i < count; i++) {
		free(msgs[i].data);
		msgs[i].data = NULL;
	}
}
