/* SPDX-License-Identifier: MIT */
/* Round-robin assignment (issue 16 item 4): once the pipeline is done with
 * a message that stays open (a draft waits, or it needs a human), a
 * category with assign = round_robin hands it to the next of its
 * assignees. The rotation lives in the database, so every instance and
 * worker takes turns in one order. */
#include "agent/pipeline/round_robin.h"

#include <stdio.h>

#include "daemon/lib/log.h"
#include "daemon/store/store_workspace.h"

void round_robin_after(const struct config *config, struct store *store, long long message_id)
{
	char names[CONFIG_ASSIGNEES_MAX][CONFIG_ASSIGNEE_NAME_MAX + 1], category[256], id[24];
	const char *list[CONFIG_ASSIGNEES_MAX];
	const struct category_config *cat;
	bool any = false;
	size_t i;
	int n, r;

	for (i = 0; i < config->categories_count; i++)
		any |= config->categories[i].assign == ASSIGN_ROUND_ROBIN;
	if (!any)
		return; /* the common case costs no query */
	snprintf(id, sizeof(id), "%lld", message_id);
	r = store_assign_candidate(store, id, category, sizeof(category));
	if (r <= 0) {
		if (r < 0)
			log_error("round robin: %s", store_error(store));
		return;
	}
	cat = config_category(config, category);
	if (cat == NULL || cat->assign != ASSIGN_ROUND_ROBIN)
		return;
	n = config_assignees_split(cat->assignees, names, CONFIG_ASSIGNEES_MAX, NULL);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		list[i] = names[i];
	if (n > 0 && store_assign_round_robin(store, id, category, list, (unsigned int)n) < 0)
		log_error("round robin for %s: %s", category, store_error(store));
}
