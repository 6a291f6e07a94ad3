/* SPDX-License-Identifier: MIT */
#include "connectors/connector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lib/util.h"

json_t *conn_value_guess(const char *text)
{
	uint64_t u;
	double d;
	bool b;

	if (text == NULL || text[0] == '\0')
		return json_null();
	/* "01905515064420", "0049 ...": a leading zero makes a code (tracking
	 * number, phone, postcode), and as a number it would lose the zero */
	if (text[0] == '0' && text[1] >= '0' && text[1] <= '9')
		return json_string(text);
	if (parse_u64(text, INT64_MAX, &u) == 0)
		return json_integer((json_int_t)u);
	if (text[0] == '-' && parse_u64(text + 1, INT64_MAX, &u) == 0)
		return json_integer(-(json_int_t)u);
	/* only plain decimals: "1e3" or "inf" in a CSV is more likely a code */
	if (strspn(text, "-0123456789.") == strlen(text) &&
	    parse_double(text, -1e15, 1e15, &d) == 0)
		return json_real(d);
	if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
		(void)!parse_bool(text, &b);
		return json_boolean(b);
	}
	return json_string(text);
}

/* Coerces one value to type; returns the new value or NULL when it does not fit. */
static json_t *conn_coerce(json_t *v, enum conn_field_type type)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	json_t *g = NULL;
	bool b;

	if (json_is_null(v) || type == CONN_FIELD_ANY)
		return json_incref(v);
	switch (type) {
	case CONN_FIELD_STRING:
		if (json_is_string(v))
			return json_incref(v);
		if (json_is_number(v)) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);

			g = t != NULL ? json_string(t) : NULL;
			free(t);
			return g;
		}
		return NULL;
	case CONN_FIELD_INTEGER:
		if (json_is_integer(v))
			return json_incref(v);
		if (json_is_real(v) && json_real_value(v) == (double)(json_int_t)json_real_value(v))
			return json_integer((json_int_t)json_real_value(v));
		g = s != NULL ? conn_value_guess(s) : NULL;
		if (g != NULL && json_is_integer(g))
			return g;
		break;
	case CONN_FIELD_NUMBER:
		if (json_is_number(v))
			return json_incref(v);
		g = s != NULL ? conn_value_guess(s) : NULL;
		if (g != NULL && json_is_number(g))
			return g;
		break;
	case CONN_FIELD_BOOL:
		if (json_is_boolean(v))
			return json_incref(v);
		if (s != NULL && parse_bool(s, &b) == 0)
			return json_boolean(b);
		break;
	case CONN_FIELD_ANY:
		break;
	}
	json_decref(g);
	return NULL;
}

int conn_fact_check(json_t *fact, const struct conn_field *fields, size_t count, struct error *err)
{
	const char *name;
	json_t *v, *c;
	void *tmp;
	size_t i;

	if (!json_is_object(fact)) {
		error_set(err, "fact is not an object");
		return -1;
	}
	if (count == 0)
		return 0;
	for (i = 0; i < count; i++) {
		v = json_object_get(fact, fields[i].name);
		if (v == NULL) {
			error_set(err, "fact has no field '%s'", fields[i].name);
			return -1;
		}
		c = conn_coerce(v, fields[i].type);
		if (c == NULL) {
			error_set(err, "field '%s' has the wrong type", fields[i].name);
			return -1;
		}
		json_object_set_new(fact, fields[i].name, c);
	}
	json_object_foreach_safe(fact, tmp, name, v)
	{
		for (i = 0; i < count; i++) {
			if (strcmp(fields[i].name, name) == 0)
				break;
		}
		if (i == count)
			json_object_del(fact, name);
	}
	return 0;
}
