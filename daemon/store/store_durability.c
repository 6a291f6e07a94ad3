/* SPDX-License-Identifier: MIT */
/* Is a commit on disk when the database says so? (store_durability.h) */
#include "daemon/store/store_durability.h"

#include <stdio.h>
#include <string.h>

#include "daemon/store/store_private.h"

int store_durability_check(struct store *store, char *why, size_t why_size)
{
	PGresult *res = store_exec(store, "reading the durability settings",
				   "SELECT current_setting('synchronous_commit'),"
				   " current_setting('fsync')",
				   0, NULL);
	int ret = 1;

	if (res == NULL)
		return -1;
	why[0] = '\0';
	if (strcmp(PQgetvalue(res, 0, 0), "off") == 0) {
		snprintf(why, why_size,
			 "synchronous_commit is off for draftd's database: a PostgreSQL crash can "
			 "lose the last commits (a finished job, the mark that a reply's SMTP "
			 "transaction started), so crash safety is gone; set synchronous_commit = "
			 "on");
		ret = 0;
	} else if (strcmp(PQgetvalue(res, 0, 1), "off") == 0) {
		snprintf(why, why_size,
			 "fsync is off on the database server: a crash of the machine can lose or "
			 "corrupt committed data, so crash safety is gone; set fsync = on");
		ret = 0;
	}
	PQclear(res);
	return ret;
}
