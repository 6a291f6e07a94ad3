/* SPDX-License-Identifier: MIT */
/* Which rows of a fetched batch go into messages, and as what: the rules
 * that ON CONFLICT and a staged statement used to apply in PostgreSQL,
 * decided here from one lookup of what the mailbox already holds, so that
 * the batch is written with a plain COPY into messages (no staging table:
 * the raw bytes are written once). Pure: no database; unit-tested as such. */
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_ingest_int.h"

struct sip_key {
	const unsigned char *key; /* 32 bytes */
	size_t row;
};

/* By key, then by row: equal keys end up adjacent, earliest row first. */
static int sip_cmp(const void *a, const void *b)
{
	const struct sip_key *x = a, *y = b;
	int c = memcmp(x->key, y->key, 32);

	return c != 0 ? c : (x->row > y->row) - (x->row < y->row);
}

int store_ingest_plan(const struct store_ingest_msg *const *msgs, size_t count,
		      struct store_ingest_row *rows)
{
	struct sip_key *k = malloc((count > 0 ? count : 1) * sizeof(*k));
	size_t n = 0, i, f = 0;

	if (k == NULL)
		return -1;
	for (i = 0; i < count; i++) {
		rows[i].insert = false;
		rows[i].repeat = false;
		rows[i].dup_of = 0;
		rows[i].first = SIZE_MAX;
		if (msgs[i] != NULL)
			k[n++] = (struct sip_key){msgs[i]->sha256, i};
	}
	/* the same bytes twice in the batch: the first copy only */
	qsort(k, n, sizeof(*k), sip_cmp);
	for (i = 0; i < n; i++) {
		struct store_ingest_row *r = &rows[k[i].row];

		r->repeat = i > 0 && memcmp(k[i - 1].key, k[i].key, 32) == 0;
		r->insert = !r->stored && !r->repeat;
	}
	/* other bytes, the content of an earlier row of the batch: that row's
	 * redelivery when it goes in (else mail of its own, never lost) */
	n = 0;
	for (i = 0; i < count; i++) {
		if (msgs[i] != NULL && msgs[i]->has_content_sha256 && !rows[i].repeat)
			k[n++] = (struct sip_key){msgs[i]->content_sha256, i};
	}
	qsort(k, n, sizeof(*k), sip_cmp);
	for (i = 0; i < n; i++) {
		if (i == 0 || memcmp(k[i - 1].key, k[i].key, 32) != 0)
			f = k[i].row; /* the first of its content */
		else
			rows[k[i].row].first = f;
	}
	for (i = 0; i < count; i++) {
		struct store_ingest_row *r = &rows[i];

		if (!r->insert)
			continue;
		if (r->stored_dup != 0)
			r->dup_of = r->stored_dup;
		else if (r->first != SIZE_MAX && rows[r->first].insert)
			r->dup_of = rows[r->first].id;
	}
	free(k);
	return 0;
}
