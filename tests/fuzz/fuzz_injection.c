/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "agent/classify/injection.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_split.h"

/* NUL-separated fields: subject, text, full text, two attachment names,
 * sender, Reply-To; the first byte also picks the MIME flags. A scan never
 * reports more reasons than it has room for, and an error is "suspected". */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const own[] = {"support@harborparts.example", "harborparts.example"};
	struct injection_input in = {0};
	struct injection_result out;
	const char *f[7];
	const char *attachments[2];
	json_t *j;
	char *copy;
	int r;

	copy = fuzz_split(data, size, f, 7);
	in.subject = f[0];
	in.text = f[1];
	in.full_text = f[2][0] != '\0' ? f[2] : NULL;
	attachments[0] = f[3];
	attachments[1] = f[4][0] != '\0' ? f[4] : NULL;
	in.attachments = attachments;
	in.attachments_count = 2;
	in.sender = f[5];
	in.reply_to = f[6][0] != '\0' ? f[6] : NULL;
	in.own_addresses = own;
	in.own_count = 2;
	in.mime_flags = size > 0 ? data[0] & 0x7f : 0;
	r = injection_scan(&in, &out);
	if (r < -1 || r > 1 || out.reasons_count > INJECTION_REASONS_MAX ||
	    (r != 0) != out.suspected)
		abort();
	j = injection_reasons_json(&out);
	if (j == NULL || json_array_size(j) != out.reasons_count)
		abort();
	json_decref(j);
	free(copy);
	return 0;
}
