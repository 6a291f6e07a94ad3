/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/guard/gate.h"
#include "agent/guard/guard.h"
#include "agent/llm/redact.h"
#include "connectors/keys/keys.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_split.h"

/* NUL-separated fields: draft subject, draft body, customer address,
 * Reply-To, the customer's request text (its SKUs and quantities become
 * the requested keys, as in the pipeline). The facts are fixed and hold
 * numbers both as JSON numbers and as strings. The same input goes through
 * the output gates (agent/guard/gate.h) and the few-shot redactor. */

static const char fuzz_guard_facts[] =
	"{\"inventory\":[{\"key\":\"HP-20115\",\"found\":true,\"sku\":\"HP-20115\","
	"\"qty_on_hand\":1200,\"unit_price_eur\":3.95,\"lead_time_days\":3,\"discontinued\":false},"
	"{\"key\":\"HP-20203\",\"found\":true,\"qty_on_hand\":\"64\",\"unit_price_eur\":\"28.75\","
	"\"lead_time_days\":\"7\",\"discontinued\":\"false\"},{\"key\":\"HP-77812\",\"found\":"
	"false}],"
	"\"order\":[{\"key\":\"SO-204518\",\"found\":true,\"customer_email\":\"buyer@cust."
	"example\","
	"\"status\":\"shipped\",\"tracking_number\":\"00340434161094042557\","
	"\"ship_date\":\"2025-03-07\",\"eta\":\"2025-03-11\",\"total_eur\":\"1077.50\"}],"
	"\"quote\":{\"estimated_total_eur\":1077.5}}";

static void fuzz_gate(const char *const f[5], const json_t *facts)
{
	static const char *const own[] = {"support@harborparts.example"};
	static const char *const allow[] = {"harborparts.example"};
	static const char *const phones[] = {"+49 40 555 0100"};
	struct gate_input in = {0};
	struct redact_context ctx = {f[2], f[2], f[3], facts};
	struct guard_result out = {0};
	char *red;
	int r, refused;

	in.subject = f[0];
	in.body = f[1];
	in.customer = f[2];
	in.customer_name = f[3];
	in.customer_text = f[4];
	in.own = own;
	in.own_count = 1;
	in.url_allow = allow;
	in.url_allow_count = 1;
	in.phones = phones;
	in.phones_count = 1;
	in.facts = facts;
	r = gate_check(&in, &out);
	if (r < -1 || out.count > GUARD_FLAGS_MAX)
		abort();
	red = redact_example(f[1], &ctx, &refused);
	/* a redacted example never keeps a digit or an @ */
	if (red != NULL && strpbrk(red, "0123456789@") != NULL)
		abort();
	free(red);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const company[] = {"support@harborparts.example", "harborparts.example"};
	static const char *const allow[] = {"harborparts.example", "dhl.example"};
	static struct keys_kind *sku;
	static json_t *facts, *phrases;
	struct key_hit hits[16];
	struct guard_input in = {0};
	struct guard_result out;
	const char *f[5];
	struct error err;
	char *copy;
	json_t *j;
	int n, r;

	if (sku == NULL) {
		facts = json_loads(fuzz_guard_facts, 0, NULL);
		phrases = json_pack("[s,s]", "guaranteed", "we apologise for any inconvenience");
		if (keys_kind_new("sku", NULL, 0, NULL, &sku, &err) < 0 || facts == NULL ||
		    phrases == NULL)
			abort();
	}
	copy = fuzz_split(data, size, f, 5);
	n = keys_extract(sku, f[4], strlen(f[4]), hits, 16);
	in.subject = f[0];
	in.body = f[1];
	in.customer = f[2];
	in.reply_to = f[3][0] != '\0' ? f[3] : NULL;
	in.company = company;
	in.company_count = 2;
	in.facts = facts;
	in.forbidden_phrases = phrases;
	in.url_allow = allow;
	in.url_allow_count = 2;
	in.requested = hits;
	in.requested_count = n > 0 ? (size_t)n : 0;
	in.request_text = f[4];
	r = guard_check(&in, &out);
	if (r < -1 || out.count > GUARD_FLAGS_MAX || (r >= 0 && (size_t)r != out.count))
		abort();
	j = guard_result_json(&out);
	if (j == NULL)
		abort();
	json_decref(j);
	fuzz_gate(f, facts);
	free(copy);
	return 0;
}
