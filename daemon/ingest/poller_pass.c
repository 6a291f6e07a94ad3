/* SPDX-License-Identifier: MIT */
/* One pass over one mailbox: lease, select, UIDVALIDITY, fetch, store. */
#include "daemon/ingest/poller_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/mime/mime.h"
#include "daemon/imap/imap_fetch.h"
#include "daemon/imap/imap_list.h"
#include "daemon/ingest/ingest.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

void poller_mailbox_init(struct poller_mailbox *pm, const struct config *config,
			 const struct mailbox_config *mb, struct store *store)
{
	char host[100];

	memset(pm, 0, sizeof(*pm));
	pm->config = config;
	pm->mb = mb;
	pm->store = store;
	if (gethostname(host, sizeof(host)) < 0)
		str_copy(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(pm->owner, sizeof(pm->owner), "%s:%ld", host, (long)getpid());
	pm->lease_ttl = 2 * mb->poll_interval + 60;
}

int poller_db_get(struct poller_mailbox *pm, struct error *err)
{
	if (pm->pool == NULL)
		return 0;
	return store_pool_get(pm->pool, &pm->store, err) < 0 ? -1 : 0;
}

void poller_db_put(struct poller_mailbox *pm)
{
	if (pm->pool != NULL)
		store_pool_put(pm->pool, &pm->store);
}

void poller_mailbox_finish(struct poller_mailbox *pm)
{
	struct error err;

	if (pm->id != 0 && poller_db_get(pm, &err) == 0) {
		if (pm->store != NULL && store_ensure(pm->store) == 0)
			(void)store_ingest_lease_release(pm->store, pm->id, pm->owner);
		poller_db_put(pm);
	}
	imap_close(&pm->conn);
}

/* A lease held by a process of this host that no longer exists (a crash, a
 * kill -9) is free at once instead of at its expiry. */
static bool poller_holder_dead(const struct poller_mailbox *pm, const char *holder)
{
	const char *mine = strrchr(pm->owner, ':'), *theirs = strrchr(holder, ':');
	uint64_t pid;

	if (mine == NULL || theirs == NULL || mine - pm->owner != theirs - holder ||
	    strncmp(pm->owner, holder, (size_t)(mine - pm->owner)) != 0)
		return false;
	if (parse_u64(theirs + 1, INT32_MAX, &pid) < 0 || pid == 0 || (pid_t)pid == getpid())
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int poller_lease(struct poller_mailbox *pm, struct store *st, struct error *err)
{
	char holder[160];
	int r;

	r = store_ingest_lease_take(st, pm->id, pm->owner, pm->lease_ttl, NULL, holder,
				    sizeof(holder));
	if (r == 0 && poller_holder_dead(pm, holder)) {
		log_warn("taking over the lease of %s, which no longer runs", holder);
		r = store_ingest_lease_take(st, pm->id, pm->owner, pm->lease_ttl, holder, holder,
					    sizeof(holder));
	}
	if (r < 0)
		error_set(err, "%s", store_error(st));
	else if (r == 0)
		error_set(err, "mailbox is leased by %s", holder);
	return r;
}

/* The mailbox row, its lease and its stored checkpoint (UIDVALIDITY and
 * last UID), read with one borrowed connection: only this poller moves the
 * checkpoint while it holds the lease, so reading it before the SELECT
 * reads what it would read after it, one round trip sooner after an IDLE
 * wake. Returns 1 held (checkpoint filled), 0 another instance's (named in
 * err), -1 error. */
static int poller_pass_lease(struct poller_mailbox *pm, uint32_t *stored_uv_r, uint32_t *last_uid_r,
			     struct error *err)
{
	int r = -1;

	if (poller_db_get(pm, err) < 0)
		return -1;
	if (pm->id == 0 && store_ingest_mailbox(pm->store, pm->mb, &pm->id) < 0)
		error_set(err, "%s", store_error(pm->store));
	else
		r = poller_lease(pm, pm->store, err);
	if (r == 1 && store_ingest_checkpoint(pm->store, pm->id, stored_uv_r, last_uid_r) < 0) {
		error_set(err, "%s", store_error(pm->store));
		r = -1;
	}
	poller_db_put(pm);
	return r;
}

/* The checkpoint read with the lease, restarted at UID 0 when the server's
 * UIDVALIDITY changed. Returns 0 with *last_uid_r, or -1. */
static int poller_pass_checkpoint(struct poller_mailbox *pm, const char *folder,
				  uint32_t uidvalidity, uint32_t stored_uv, uint32_t *last_uid_r,
				  struct error *err)
{
	int ret = -1;

	if (stored_uv != 0 && stored_uv != uidvalidity) {
		if (poller_db_get(pm, err) < 0)
			return -1;
		log_warn("UIDVALIDITY of %s changed from %u to %u: refetching, already stored "
			 "messages are matched by sha256",
			 folder, stored_uv, uidvalidity);
		if (store_ingest_uidvalidity_reset(pm->store, pm->id, pm->owner, stored_uv,
						   uidvalidity) < 0) {
			error_set(err, "%s", store_error(pm->store));
			goto out;
		}
		*last_uid_r = 0;
	}
	ret = 0;
out:
	poller_db_put(pm);
	return ret;
}

/* Records the pass's outcome on the mailbox row (error NULL: success),
 * best effort: the database may be what failed. */
static void poller_pass_result(struct poller_mailbox *pm, const char *error)
{
	struct error err;

	if (poller_db_get(pm, &err) < 0)
		return;
	if (store_ensure(pm->store) == 0)
		(void)store_ingest_poll_result(pm->store, pm->id, error);
	poller_db_put(pm);
}

int poller_pass(struct poller_mailbox *pm, struct error *err)
{
	const char *folder = pm->mb->folder != NULL ? pm->mb->folder : "INBOX";
	uint32_t uidvalidity, uidnext, stored_uv = 0, last_uid = 0, *uids = NULL;
	long n;
	int r, ret = -1;

	r = poller_pass_lease(pm, &stored_uv, &last_uid, err);
	if (r <= 0) {
		imap_close(&pm->conn);
		return r;
	}
	if (pm->conn == NULL) {
		if (imap_connect(pm->mb, &pm->conn, err) < 0)
			goto fail;
		/* once per connection: mail the mail system judged spam is never read */
		r = imap_folder_is_junk(pm->conn, folder);
		if (r != 0) {
			if (r > 0)
				error_set(
					err,
					"folder %s is the Junk folder: draftd never reads mail the "
					"mail system judged spam; set folder to the inbox",
					folder);
			else
				error_set(err, "%s", imap_error(pm->conn));
			goto fail;
		}
	}
	if (imap_select(pm->conn, folder, &uidvalidity, &uidnext) < 0) {
		error_set(err, "%s", imap_error(pm->conn));
		goto fail;
	}
	if (poller_pass_checkpoint(pm, folder, uidvalidity, stored_uv, &last_uid, err) < 0)
		goto fail;
	/* UIDNEXT says whether anything is new without a SEARCH */
	if (uidnext == 0 || uidnext > last_uid + 1) {
		n = imap_search_new(pm->conn, last_uid, &uids);
		if (n < 0) {
			error_set(err, "%s", imap_error(pm->conn));
			goto fail;
		}
		if (n > 0)
			log_debug("%ld new messages above UID %u", n, last_uid);
		if (n > 0 &&
		    poller_fetch_all_apart(pm, uidvalidity, last_uid, uids, (size_t)n, err) < 0)
			goto fail;
	}
	poller_pass_result(pm, NULL);
	ret = 1;
	goto out;
fail:
	imap_close(&pm->conn);
	poller_pass_result(pm, error_msg(err));
out:
	free(uids);
	return ret;
}
