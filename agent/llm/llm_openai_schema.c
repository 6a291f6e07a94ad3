/* SPDX-License-Identifier: MIT */
#include "agent/llm/llm_openai.h"

/* schemas/model_output.schema.json, compact. The file is the reference
 * (documentation, other tools); this copy is what the daemon sends, so it
 * needs no file at run time. The llm_openai suite checks the two agree. */
static const char openai_schema_text[] = "{\"type\":\"object\",\"properties\":{\"category\":{"
					 "\"type\":\"string\",\"enum\":[]},\"confide"
					 "nce\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
					 "\"subject\":{\"type\":\"string\",\"max"
					 "Length\":200},\"body\":{\"type\":\"string\","
					 "\"maxLength\":8000},\"facts_used\":{\"type\":\"a"
					 "rray\",\"items\":{\"type\":\"string\",\"maxLength\":200},"
					 "\"maxItems\":32},\"needs_human\":{"
					 "\"type\":\"boolean\"},\"needs_human_reason\":{\"type\":"
					 "\"string\",\"maxLength\":500}},\"req"
					 "uired\":[\"category\",\"confidence\",\"subject\","
					 "\"body\",\"facts_used\",\"needs_human\",\"n"
					 "eeds_human_reason\"],\"additionalProperties\":false}";

json_t *openai_schema(const char *const *categories, size_t count)
{
	json_t *schema, *values = NULL;
	size_t i;

	schema = json_loads(openai_schema_text, 0, NULL);
	values = json_array();
	if (schema == NULL || values == NULL)
		goto fail;
	for (i = 0; i < count; i++) {
		if (json_array_append_new(values, json_string(categories[i])) < 0)
			goto fail;
	}
	if (json_object_set(json_object_get(json_object_get(schema, "properties"), "category"),
			    "enum", values) < 0)
		goto fail;
	json_decref(values);
	return schema;
fail:
	json_decref(values);
	json_decref(schema);
	return NULL;
}
