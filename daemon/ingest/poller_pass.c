/* One pass over one mailbox: lease, select, UIDVALIDITY, fetch, store. */
#include "daemon/ingest/poller.h"

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

/* The most bytes of message bodies fetched in one UID FETCH (one message may
 * exceed it on its own, up to max_message_size). */
#define POLLER_BATCH_BYTES (32u * 1024 * 1024)
/* The most a header block fetched for an oversized message may be. */
#define POLLER_HEADER_MAX (16u * 1024 * 1024)

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

int poller_db_get(struct poller_mailbox *pm, char *err, size_t errsize)
{
	if (pm->pool == NULL)
		return 0;
	return store_pool_get(pm->pool, &pm->store, err, errsize);
}

void poller_db_put(struct poller_mailbox *pm)
{
	if (pm->pool != NULL)
		store_pool_put(pm->pool, &pm->store);
}

void poller_mailbox_finish(struct poller_mailbox *pm)
{
	char err[300];

	if (pm->id != 0 && poller_db_get(pm, err, sizeof(err)) == 0) {
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

static int poller_lease(struct poller_mailbox *pm, char *err, size_t errsize)
{
	char holder[160];
	int r;

	r = store_ingest_lease_take(pm->store, pm->id, pm->owner, pm->lease_ttl, NULL, holder,
				    sizeof(holder));
	if (r == 0 && poller_holder_dead(pm, holder)) {
		log_warn("taking over the lease of %s, which no longer runs", holder);
		r = store_ingest_lease_take(pm->store, pm->id, pm->owner, pm->lease_ttl, holder,
					    holder, sizeof(holder));
	}
	if (r < 0)
		snprintf(err, errsize, "%s", store_error(pm->store));
	else if (r == 0)
		snprintf(err, errsize, "mailbox is leased by %s", holder);
	return r;
}

/* Merges the two fetches of a batch into msgs in UID order. */
static size_t poller_merge(struct imap_msg *full, size_t nfull, struct imap_msg *head, size_t nhead,
			   struct imap_msg **out)
{
	size_t a = 0, b = 0, n = 0;

	while (a < nfull || b < nhead) {
		if (b >= nhead || (a < nfull && full[a].uid < head[b].uid))
			out[n++] = &full[a++];
		else
			out[n++] = &head[b++];
	}
	return n;
}

/* Messages stored with a pipeline job: neither screened nor redeliveries. */
static unsigned int poller_jobs(const struct store_ingest_counts *c)
{
	return c->stored - c->screened - c->duplicates;
}

/* Fetches uids[count] (already sized) and stores them with the checkpoint,
 * then renews the lease. Returns 0, or -1 (also when the lease is lost). */
static int poller_batch(struct poller_mailbox *pm, uint32_t uidvalidity, const uint32_t *uids,
			const uint32_t *sizes, size_t count, const struct mime_limits *limits,
			char *err, size_t errsize)
{
	uint32_t *fu = NULL, *hu = NULL;
	struct imap_msg *full = NULL, *head = NULL, **order = NULL;
	struct ingest_msg *msgs = NULL;
	const struct store_ingest_msg **rows = NULL;
	struct store_ingest_counts before;
	size_t nf = 0, nh = 0, n, i;
	bool slot = false;
	int r, ret = -1;

	fu = calloc(count, sizeof(*fu));
	hu = calloc(count, sizeof(*hu));
	full = calloc(count, sizeof(*full));
	head = calloc(count, sizeof(*head));
	order = calloc(count, sizeof(*order));
	msgs = calloc(count, sizeof(*msgs));
	rows = calloc(count, sizeof(*rows));
	if (fu == NULL || hu == NULL || full == NULL || head == NULL || order == NULL ||
	    msgs == NULL || rows == NULL) {
		snprintf(err, errsize, "out of memory");
		goto out;
	}
	if (pm->batch_slots != NULL) {
		while (sem_wait(pm->batch_slots) < 0)
			; /* EINTR: wait on */
		slot = true;
	}
	for (i = 0; i < count; i++) {
		if (sizes[i] == 0)
			continue; /* expunged meanwhile */
		if (sizes[i] > limits->max_message_size)
			hu[nh++] = uids[i];
		else
			fu[nf++] = uids[i];
	}
	if ((nf > 0 &&
	     imap_fetch_messages(pm->conn, fu, nf, false, limits->max_message_size, full) < 0) ||
	    (nh > 0 && imap_fetch_messages(pm->conn, hu, nh, true, POLLER_HEADER_MAX, head) < 0)) {
		snprintf(err, errsize, "%s", imap_error(pm->conn));
		goto out;
	}
	n = poller_merge(full, nf, head, nh, order);
	for (i = 0; i < n; i++) {
		const char *why;

		if (order[i]->data == NULL)
			continue;
		pm->counts.fetched++;
		log_ctx_setf("uid", "%u", order[i]->uid);
		if (ingest_prepare(order[i], limits, &msgs[i], &why) < 0) {
			snprintf(err, errsize, "UID %u: %s", order[i]->uid, why);
			log_ctx_set("uid", NULL);
			goto out;
		}
		rows[i] = &msgs[i].row;
		if (msgs[i].row.is_oversized)
			log_warn(
				"message of %u bytes is over max_message_size: headers only, for a "
				"human",
				order[i]->size);
		if (msgs[i].mime->flags & MIME_FLAG_MALFORMED)
			log_info("malformed MIME, stored best effort");
		log_ctx_set("uid", NULL);
	}
	before = pm->counts.store;
	if (poller_db_get(pm, err, errsize) < 0)
		goto out;
	if (store_ingest_batch(pm->store, pm->id, pm->owner, uidvalidity, rows, n, uids[count - 1],
			       &pm->counts.store) < 0) {
		snprintf(err, errsize, "%s", store_error(pm->store));
		poller_db_put(pm);
		goto out;
	}
	/* a long first fetch must not outlive the lease */
	r = poller_lease(pm, err, errsize);
	poller_db_put(pm);
	if (r != 1)
		goto out;
	if (pm->queued != NULL && poller_jobs(&pm->counts.store) > poller_jobs(&before))
		pm->queued(pm->stop_ctx);
	ret = 0;
out:
	for (i = 0; msgs != NULL && i < count; i++)
		ingest_msg_clear(&msgs[i]);
	imap_msgs_free(full, nf);
	imap_msgs_free(head, nh);
	free(fu);
	free(hu);
	free(full);
	free(head);
	free(order);
	free(msgs);
	free(rows);
	if (slot)
		sem_post(pm->batch_slots);
	return ret;
}

/* Fetches and stores every UID in uids[count], in batches bounded by count
 * (fetch_batch) and bytes. */
static int poller_fetch_all(struct poller_mailbox *pm, uint32_t uidvalidity, const uint32_t *uids,
			    size_t count, char *err, size_t errsize)
{
	struct mime_limits limits;
	unsigned int batch = pm->mb->fetch_batch > 0 ? pm->mb->fetch_batch : 50;
	uint32_t *sizes = NULL;
	size_t i = 0;
	int ret = -1;

	mime_limits_from_config(pm->config, &limits);
	sizes = calloc(batch, sizeof(*sizes));
	if (sizes == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	while (i < count) {
		size_t chunk = count - i < batch ? count - i : batch, k;
		uint64_t bytes = 0;

		if (pm->stop != NULL && pm->stop(pm->stop_ctx)) {
			ret = 0;
			goto out;
		}
		if (imap_fetch_sizes(pm->conn, uids + i, chunk, sizes) < 0) {
			snprintf(err, errsize, "%s", imap_error(pm->conn));
			goto out;
		}
		for (k = 0; k < chunk; k++) {
			uint32_t s = sizes[k] > limits.max_message_size ? 0 : sizes[k];

			if (k > 0 && bytes + s > POLLER_BATCH_BYTES)
				break;
			bytes += s;
		}
		if (poller_batch(pm, uidvalidity, uids + i, sizes, k, &limits, err, errsize) < 0)
			goto out;
		i += k;
	}
	ret = 0;
out:
	free(sizes);
	return ret;
}

/* The mailbox row and its lease: 1 held, 0 another instance's (named in
 * err), -1 error. */
static int poller_pass_lease(struct poller_mailbox *pm, char *err, size_t errsize)
{
	int r = -1;

	if (poller_db_get(pm, err, errsize) < 0)
		return -1;
	if (pm->id == 0 && store_ingest_mailbox(pm->store, pm->mb, &pm->id) < 0)
		snprintf(err, errsize, "%s", store_error(pm->store));
	else
		r = poller_lease(pm, err, errsize);
	poller_db_put(pm);
	return r;
}

/* The stored checkpoint, restarted at UID 0 when the server's UIDVALIDITY
 * changed. Returns 0 with *last_uid_r, or -1. */
static int poller_pass_checkpoint(struct poller_mailbox *pm, const char *folder,
				  uint32_t uidvalidity, uint32_t *last_uid_r, char *err,
				  size_t errsize)
{
	uint32_t stored_uv;
	int ret = -1;

	if (poller_db_get(pm, err, errsize) < 0)
		return -1;
	if (store_ingest_checkpoint(pm->store, pm->id, &stored_uv, last_uid_r) < 0) {
		snprintf(err, errsize, "%s", store_error(pm->store));
		goto out;
	}
	if (stored_uv != 0 && stored_uv != uidvalidity) {
		log_warn("UIDVALIDITY of %s changed from %u to %u: refetching, already stored "
			 "messages are matched by sha256",
			 folder, stored_uv, uidvalidity);
		if (store_ingest_uidvalidity_reset(pm->store, pm->id, pm->owner, stored_uv,
						   uidvalidity) < 0) {
			snprintf(err, errsize, "%s", store_error(pm->store));
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
	char err[300];

	if (poller_db_get(pm, err, sizeof(err)) < 0)
		return;
	if (store_ensure(pm->store) == 0)
		(void)store_ingest_poll_result(pm->store, pm->id, error);
	poller_db_put(pm);
}

int poller_pass(struct poller_mailbox *pm, char *err, size_t errsize)
{
	const char *folder = pm->mb->folder != NULL ? pm->mb->folder : "INBOX";
	uint32_t uidvalidity, uidnext, last_uid, *uids = NULL;
	long n;
	int r, ret = -1;

	r = poller_pass_lease(pm, err, errsize);
	if (r <= 0) {
		imap_close(&pm->conn);
		return r;
	}
	if (pm->conn == NULL) {
		if (imap_connect(pm->mb, &pm->conn, err, errsize) < 0)
			goto fail;
		/* once per connection: mail the mail system judged spam is never read */
		r = imap_folder_is_junk(pm->conn, folder);
		if (r != 0) {
			if (r > 0)
				snprintf(
					err, errsize,
					"folder %s is the Junk folder: draftd never reads mail the "
					"mail system judged spam; set folder to the inbox",
					folder);
			else
				snprintf(err, errsize, "%s", imap_error(pm->conn));
			goto fail;
		}
	}
	if (imap_select(pm->conn, folder, &uidvalidity, &uidnext) < 0) {
		snprintf(err, errsize, "%s", imap_error(pm->conn));
		goto fail;
	}
	if (poller_pass_checkpoint(pm, folder, uidvalidity, &last_uid, err, errsize) < 0)
		goto fail;
	/* UIDNEXT says whether anything is new without a SEARCH */
	if (uidnext == 0 || uidnext > last_uid + 1) {
		n = imap_search_new(pm->conn, last_uid, &uids);
		if (n < 0) {
			snprintf(err, errsize, "%s", imap_error(pm->conn));
			goto fail;
		}
		if (n > 0)
			log_debug("%ld new messages above UID %u", n, last_uid);
		if (n > 0 && poller_fetch_all(pm, uidvalidity, uids, (size_t)n, err, errsize) < 0)
			goto fail;
	}
	poller_pass_result(pm, NULL);
	ret = 1;
	goto out;
fail:
	imap_close(&pm->conn);
	poller_pass_result(pm, err);
out:
	free(uids);
	return ret;
}
