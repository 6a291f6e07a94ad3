/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_MIGRATIONS_H
#define DRAFTD_MIGRATIONS_H

/* schemas/migrations/NNNN_name.sql, compiled in by schemas/embed-migrations.sh,
 * sorted by version. */
struct migration {
	unsigned int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const unsigned int migrations_count;

#endif
