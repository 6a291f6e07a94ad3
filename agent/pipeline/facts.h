/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_FACTS_H
#define DRAFTD_FACTS_H

#include <jansson.h>
#include <stddef.h>

#include "connectors/keys/keys.h"
#include "daemon/config/config.h"
#include "daemon/lib/error.h"

/* The facts behind a draft: every configured connector extracts the keys of
 * its kind from the message text (SKUs, order ids, ...), looks them up, and
 * the answers are gathered into one JSON object in the shape the rules and
 * guardrails read: {"inventory":[{"key":..,"found":true|false|null,
 * "fetched_at":..,"connector":..,<fields>}], "order":[...], "quote":{...}}.
 * found null means the connector failed: the fact is unknown, never made up.
 * Every connector's namespace is there, an empty list when the mail names
 * no key of its kind; "quote" (connectors/rules/rules.h) is there whenever a
 * connector answers SKUs, its total null unless every line is known. */

struct facts_sources;

/* Opens every [connector NAME] of config. Returns 0 with *sources_r, or -1
 * with the first failing connector named in error. */
int facts_open(const struct config *config, struct facts_sources **sources_r, struct error *err)
	__attribute__((warn_unused_result));
/* Closes the connectors and clears *sources; NULL is fine. */
void facts_close(struct facts_sources **sources);

/* Extracts and looks up the keys mentioned in text. Sets *facts_r (new
 * object) and *keys_r (new object {"sku":["HP-20115",...], ...}). Returns 1
 * when every fact is known, 0 when some connector failed (those keys are
 * found:null), -1 on error (nothing set). Thread-safe. */
int facts_gather(struct facts_sources *sources, const char *text, json_t **facts_r, json_t **keys_r)
	__attribute__((warn_unused_result));

/* Looks the facts stored on a draft up again and lists what changed:
 * [{"source":"inventory","key":"HP-20115","field":"qty_on_hand","was":1200,
 * "now":0}, ...] (new array in *changes_r). Returns 1 when something changed,
 * 0 when nothing did, -1 when a connector failed (the caller cannot
 * confirm the facts; *changes_r names the failure). */
int facts_recheck(struct facts_sources *sources, const json_t *facts, json_t **changes_r)
	__attribute__((warn_unused_result));

/* The SKUs (key kind "sku") text mentions, with the quantities asked for,
 * for the guardrails' line-price check. Returns the number of hits (0 when
 * no connector answers SKUs), or -1. */
int facts_requested(struct facts_sources *sources, const char *text, struct key_hit *hits_r,
		    size_t max);

/* A copy of facts fit to draft a reply to sender with: every order whose
 * customer_email is neither sender nor at sender's domain keeps only its
 * key and {"withheld": "..."} (never another customer's data in a draft;
 * the full facts stay on the draft for the reviewer). New reference or NULL. */
json_t *facts_for_sender(const json_t *facts, const char *sender);

/* The oldest fetched_at among the known facts, or 0 when there are none:
 * the decide step refuses automatic replies on stale facts. */
long long facts_oldest(const json_t *facts);

#endif
