/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "connectors/connector.h"
#include "daemon/lib/buf.h"
#include "daemon/lib/log.h"
#include "daemon/lib/util.h"

/* A CSV export (RFC 4180: comma separated, "..." quoting with "" for a
 * quote, CRLF or LF records, a header row) looked up by one key column.
 * The file is read whole and parsed again whenever its mtime or size
 * changes. A file that does not parse is refused with its line number; while
 * it stays broken every lookup answers "unknown" rather than serving rows
 * that the business has since changed. */

#define CSV_FILE_MAX    (64 * 1024 * 1024)
#define CSV_FIELD_MAX   (64 * 1024)
#define CSV_COLUMNS_MAX 256

static const char *const csv_options[] = {"path", "key_column", NULL};
static const char *const csv_required[] = {"path", NULL};

struct csv_conn {
	char *path;
	char *key_column; /* NULL: the first column */
	json_t *rows;     /* key -> row object */
	struct timespec mtime;
	off_t size;
	bool loaded;
	char error[CONN_ERROR_MAX]; /* why the current file was refused */
};

struct csv_parser {
	const char *p, *end;
	unsigned int line;
	struct buf field;
};

/* Reads one field into parser->field. Returns 1 when the record goes on,
 * 0 at its end, -1 on a quoting error (error filled in). */
static int csv_field(struct csv_parser *cp, struct error *err)
{
	unsigned int start = cp->line;

	buf_reset(&cp->field);
	if (cp->p < cp->end && *cp->p == '"') {
		cp->p++;
		for (;;) {
			if (cp->p == cp->end) {
				error_set(err,
					  "line %u: quoted field not closed before end of file",
					  start);
				return -1;
			}
			if (*cp->p == '"') {
				if (cp->p + 1 < cp->end && cp->p[1] == '"') {
					cp->p++;
				} else {
					cp->p++;
					break;
				}
			}
			if (*cp->p == '\n')
				cp->line++;
			if (buf_append(&cp->field, cp->p, 1) < 0) {
				error_set(err, "line %u: field too long", start);
				return -1;
			}
			cp->p++;
		}
		if (cp->p < cp->end && *cp->p != ',' && *cp->p != '\n' && *cp->p != '\r') {
			error_set(err, "line %u: text after the closing quote of a quoted field",
				  cp->line);
			return -1;
		}
	} else {
		while (cp->p < cp->end && *cp->p != ',' && *cp->p != '\n' && *cp->p != '\r') {
			if (*cp->p == '"') {
				error_set(err, "line %u: quote inside an unquoted field", cp->line);
				return -1;
			}
			if (buf_append(&cp->field, cp->p, 1) < 0) {
				error_set(err, "line %u: field too long", cp->line);
				return -1;
			}
			cp->p++;
		}
	}
	if (cp->p < cp->end && *cp->p == ',') {
		cp->p++;
		return 1;
	}
	if (cp->p < cp->end && *cp->p == '\r')
		cp->p++;
	if (cp->p < cp->end && *cp->p == '\n')
		cp->p++;
	cp->line++;
	return 0;
}

/* Parses text into key -> row. Returns 0 with *rows_r, or -1 with error. */
static int csv_parse(const char *text, size_t len, const char *key_column, json_t **rows_r,
		     struct error *err)
{
	struct csv_parser cp = {text, text + len, 1, {0}};
	char *columns[CSV_COLUMNS_MAX] = {NULL};
	size_t ncols = 0, col, key_idx = 0, i;
	json_t *rows = json_object(), *row = NULL;
	unsigned int line;
	char *key = NULL;
	int rc, ret = -1;

	buf_init(&cp.field, CSV_FIELD_MAX);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		cp.p += 3; /* a UTF-8 BOM from a spreadsheet export */
	do {
		rc = csv_field(&cp, err);
		if (rc < 0)
			goto out;
		if (ncols == CSV_COLUMNS_MAX) {
			error_set(err, "line 1: more than %d columns", CSV_COLUMNS_MAX);
			goto out;
		}
		columns[ncols++] = str_dup(cp.field.data != NULL ? cp.field.data : "");
	} while (rc == 1);
	if (key_column != NULL) {
		for (key_idx = 0; key_idx < ncols; key_idx++) {
			if (strcmp(columns[key_idx], key_column) == 0)
				break;
		}
		if (key_idx == ncols) {
			error_set(err, "line 1: no column '%s' in the header", key_column);
			goto out;
		}
	}
	while (cp.p < cp.end) {
		line = cp.line;
		if (*cp.p == '\n' || *cp.p == '\r') { /* blank line */
			(void)csv_field(&cp, err);
			continue;
		}
		row = json_object();
		col = 0;
		do {
			rc = csv_field(&cp, err);
			if (rc < 0)
				goto out;
			if (col >= ncols) {
				error_set(err, "line %u: more fields than the header's %zu", line,
					  ncols);
				goto out;
			}
			if (col == key_idx) {
				free(key);
				key = str_dup(cp.field.data != NULL ? cp.field.data : "");
			}
			json_object_set_new(
				row, columns[col++],
				conn_value_guess(cp.field.data != NULL ? cp.field.data : ""));
		} while (rc == 1);
		if (col != ncols) {
			error_set(err, "line %u: %zu fields, the header has %zu", line, col, ncols);
			goto out;
		}
		/* the key stays text even when it looks like a number */
		json_object_set_new(row, columns[key_idx], json_string(key));
		json_object_set_new(rows, key, row);
		row = NULL;
	}
	*rows_r = rows;
	rows = NULL;
	ret = 0;
out:
	for (i = 0; i < ncols; i++)
		free(columns[i]);
	free(key);
	json_decref(row);
	json_decref(rows);
	buf_free(&cp.field);
	return ret;
}

/* Loads the file again when it changed. Returns 0, or -1 with error. */
static int csv_refresh(struct csv_conn *c, struct error *err)
{
	struct error why;
	json_t *rows = NULL;
	char *text = NULL;
	struct stat st;
	size_t len;
	int ret = -1;

	if (stat(c->path, &st) < 0) {
		error_set(err, "%s: %s", c->path, strerror(errno));
		return -1;
	}
	if (c->size == st.st_size && c->mtime.tv_sec == st.st_mtim.tv_sec &&
	    c->mtime.tv_nsec == st.st_mtim.tv_nsec && (c->loaded || c->error[0] != '\0')) {
		if (c->loaded)
			return 0;
		error_set(err, "%s", c->error);
		return -1;
	}
	c->size = st.st_size;
	c->mtime = st.st_mtim;
	c->loaded = false;
	json_decref(c->rows);
	c->rows = NULL;
	if (file_read_all(c->path, CSV_FILE_MAX, &text, &len, &why) < 0) {
		snprintf(c->error, sizeof(c->error), "%s: %s", c->path, error_msg(&why));
		goto out;
	}
	if (csv_parse(text, len, c->key_column, &rows, err) < 0) {
		snprintf(c->error, sizeof(c->error), "%s: %s", c->path, error_msg(err));
		goto out;
	}
	c->rows = rows;
	c->loaded = true;
	c->error[0] = '\0';
	log_info_kv("csv connector loaded", "file=%s rows=%zu", c->path, json_object_size(rows));
	ret = 0;
out:
	if (ret < 0) {
		error_set(err, "%s", c->error);
		log_error_kv("csv connector refused the file", "error=%s", c->error);
	}
	free(text);
	return ret;
}

static void csv_close(void *priv)
{
	struct csv_conn *c = priv;

	if (c == NULL)
		return;
	json_decref(c->rows);
	free(c->path);
	free(c->key_column);
	free(c);
}

static int csv_open(const struct conn_params *params, void **priv_r, struct error *err)
{
	struct csv_conn *c = calloc(1, sizeof(*c));
	unsigned int line = params->config->line;
	struct error refused;

	if (c == NULL)
		return -1;
	c->path = str_dup(conn_option(params->config, "path", &line));
	c->key_column = str_dup(conn_option(params->config, "key_column", NULL));
	/* a broken file is refused at start-up, where someone is watching */
	if (csv_refresh(c, &refused) < 0) {
		error_set(err, "line %u: %s", line, error_msg(&refused));
		csv_close(c);
		return -1;
	}
	*priv_r = c;
	return 0;
}

static int csv_lookup(void *priv, const char *const *keys, size_t count, unsigned int timeout_ms,
		      json_t **facts_r, struct error *err)
{
	struct csv_conn *c = priv;
	json_t *row;
	size_t i;

	(void)timeout_ms;
	if (csv_refresh(c, err) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		row = json_object_get(c->rows, keys[i]);
		facts_r[i] = row != NULL ? json_deep_copy(row) : NULL;
	}
	return 0;
}

const struct connector_ops connector_csv = {
	.name = "csv",
	.options = csv_options,
	.required = csv_required,
	.validate = NULL,
	.open = csv_open,
	.lookup = csv_lookup,
	.close = csv_close,
};
