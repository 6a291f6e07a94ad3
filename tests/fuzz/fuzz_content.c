/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/template/answer.h"
#include "agent/template/greeting.h"
#include "agent/guard/guard_content.h"
#include "agent/template/localize.h"
#include "connectors/keys/keys.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_split.h"

/* Issue 17's readers of untrusted text. NUL-separated fields: a draft body,
 * the customer's text (its quantities become the requested ones, its words
 * the tracking-problem check), the customer's language, the draft's
 * language, a display name (greeting) and a date (localised). The facts are
 * fixed. */

static const char fuzz_content_facts[] =
	"{\"inventory\":[{\"key\":\"HP-20115\",\"found\":true,\"qty_on_hand\":1200,"
	"\"unit_price_eur\":3.95},{\"key\":\"HP-10227\",\"found\":true,\"qty_on_hand\":\"0\"},"
	"{\"key\":\"HP-77812\",\"found\":false}],\"order\":[{\"key\":\"SO-204518\",\"found\":"
	"true,\"status\":\"processing\",\"carrier\":\"DHL\",\"tracking_number\":\"JD01\"}],"
	"\"quote\":{\"lines\":[{\"key\":\"HP-20115\",\"quantity\":200}]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keys_kind *sku;
	static json_t *facts;
	struct guard_content_input in = {0};
	struct guard_result out;
	struct key_hit hits[16];
	struct answer_input ain;
	struct error err;
	char name[GREETING_NAME_MAX], date[64];
	const char *f[6];
	json_t *copy_facts;
	char *copy;
	int n;

	if (sku == NULL) {
		facts = json_loads(fuzz_content_facts, 0, NULL);
		if (keys_kind_new("sku", NULL, 0, NULL, &sku, &err) < 0 || facts == NULL)
			abort();
	}
	copy = fuzz_split(data, size, f, 6);
	n = keys_extract(sku, f[1], strlen(f[1]), hits, 16);
	memset(&out, 0, sizeof(out));
	in.body = f[0];
	in.customer_text = f[1];
	in.customer_lang = f[2][0] != '\0' ? f[2] : NULL;
	in.draft_lang = f[3][0] != '\0' ? f[3] : NULL;
	in.category = "stock_inquiry";
	in.facts = facts;
	in.requested = hits;
	in.requested_count = n > 0 ? (size_t)n : 0;
	if (guard_content_check(&in, &out) > (int)GUARD_FLAGS_MAX || out.count > GUARD_FLAGS_MAX)
		abort();
	copy_facts = json_deep_copy(facts);
	ain = (struct answer_input){in.customer_lang, f[1], STOCK_DISCLOSURE_ENOUGH};
	if (copy_facts == NULL || answer_prepare(copy_facts, &ain) < 0)
		abort();
	json_decref(copy_facts);
	if (greeting_name(f[4], name, sizeof(name)) == 1 && strlen(name) >= sizeof(name))
		abort();
	(void)loc_date(in.customer_lang, f[5], date, sizeof(date));
	free(copy);
	return 0;
}
