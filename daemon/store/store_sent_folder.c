/* The Sent folder a mailbox's outbox found, or why there is none
 * (mailboxes.sent_*): shown by /readyz and the page. */
#include "daemon/store/store_sent_folder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store/store_private.h"

int store_sent_folder_note(struct store *store, const char *mailbox, const char *folder,
			   const char *how, const char *error)
{
	/* changed: the old values are compared before the update applies */
	static const char sql[] =
		"WITH old AS (SELECT id, sent_folder, sent_how, sent_error FROM mailboxes"
		" WHERE name = $1 FOR UPDATE)"
		" UPDATE mailboxes m SET sent_folder = coalesce($2, m.sent_folder),"
		" sent_how = coalesce($3, m.sent_how), sent_error = $4, sent_checked_at = now()"
		" FROM old WHERE m.id = old.id"
		" RETURNING (old.sent_folder, old.sent_how, old.sent_error)"
		" IS DISTINCT FROM (m.sent_folder, m.sent_how, m.sent_error)";
	const char *params[4] = {mailbox, folder, how, error};
	PGresult *res;
	int ret;

	res = store_exec(store, "recording the Sent folder", sql, 4, params);
	if (res == NULL)
		return -1;
	/* no row yet (the poller makes it): a change worth saying */
	ret = PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

json_t *store_sent_folder_problems(struct store *store)
{
	PGresult *res;
	json_t *list = NULL;

	res = store_exec(store, "reading Sent folder problems",
			 "SELECT name, sent_error FROM mailboxes WHERE sent_error IS NOT NULL"
			 " ORDER BY name",
			 0, NULL);
	if (res == NULL)
		return NULL;
	list = json_array();
	for (int i = 0; list != NULL && i < PQntuples(res); i++) {
		json_t *o = json_pack("{s:s, s:s}", "mailbox", PQgetvalue(res, i, 0), "problem",
				      PQgetvalue(res, i, 1));

		if (o == NULL || json_array_append_new(list, o) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	PQclear(res);
	return list;
}
