#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks the corpus run of tests/integration/pipeline.sh against labels.json.

Reads the JSON dump of messages/drafts/outbox (argv[1]), labels.json
(argv[2]) and the data CSVs (argv[3], argv[4]); prints one "ok - ..." or
"not ok - ..." line per check and the per-category accuracy table.
Messages map to corpus files by UID: the files were delivered in name order.
"""
import csv
import json
import sys
from collections import defaultdict

rows = json.load(open(sys.argv[1]))
labels = json.load(open(sys.argv[2]))
inventory = {r["sku"]: r for r in csv.DictReader(open(sys.argv[3]))}
orders = {r["order_id"]: r for r in csv.DictReader(open(sys.argv[4]))}
by_uid = {r["uid"]: r for r in rows}
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok - " if cond else "not ok - ") + name + ("" if cond or not detail else ": " + detail))


def predicted(r):
    p = r.get("pipeline") or {}
    if r["screen_reason"] or r["is_duplicate"]:
        return "none"
    if p.get("category_set_by_rule"):
        return p["category_set_by_rule"]
    c = (p.get("classification") or {}).get("category")
    return c or "none"


check("one message stored per corpus file", len(rows) == len(labels),
      "%d messages for %d files" % (len(rows), len(labels)))

per_cat = defaultdict(lambda: [0, 0])
wrong = []
skip_bad, human_bad, auto_bad, inj_bad, fact_bad, body_bad = [], [], [], [], [], []
leak_bad = []


def domain(address):
    return (address or "").rsplit("@", 1)[-1].lower()
for i, lab in enumerate(sorted(labels, key=lambda l: l["file"]), start=1):
    r = by_uid.get(i)
    f = lab["file"]
    if r is None:
        wrong.append(f + ": not stored")
        continue
    pred = predicted(r)
    if r["is_duplicate"]:
        # a redelivery is never classified: it is skipped as a duplicate
        print("#   %s: duplicate of an earlier message, not classified" % f)
        pred = None
    if pred is not None:
        per_cat[lab["category"]][1] += 1
    if pred == lab["category"]:
        per_cat[lab["category"]][0] += 1
    elif pred is not None:
        wrong.append("%s: %s, expected %s" % (f, pred, lab["category"]))
    drafts = r["drafts"] or []
    outbox = r["outbox"] or []
    if lab["action"] == "skip":
        if r["state"] != "skipped" or drafts:
            skip_bad.append("%s: state %s, %d drafts" % (f, r["state"], len(drafts)))
    if lab["action"] == "require_human":
        rules = (r.get("pipeline") or {}).get("rules") or {}
        if r["state"] == "skipped" or rules.get("outcome") != "require_human":
            human_bad.append("%s: state %s, rules outcome %s" % (f, r["state"], rules.get("outcome")))
    if lab["never_auto"] and outbox:
        auto_bad.append(f)
    if lab["injection"]:
        for d in drafts:
            flags = [x.get("flag") for x in d["guardrail_flags"]]
            if (d["recipient"] or "").lower() != (r["sender"] or "").lower() or \
                    "suspected_injection" not in flags or outbox:
                inj_bad.append("%s: to %s, flags %s, outbox %d" % (f, d["recipient"], flags, len(outbox)))
    for d in drafts:
        facts = d["facts"] or {}
        for e in facts.get("inventory", []):
            if e.get("found") is True:
                want = inventory.get(e["key"])
                if want is None or float(want["unit_price_eur"]) != float(e.get("unit_price_eur")) or \
                        int(want["qty_on_hand"]) != int(e.get("qty_on_hand")):
                    fact_bad.append("%s: %s" % (f, e["key"]))
            elif e.get("found") is False and e["key"] in inventory:
                fact_bad.append("%s: %s said missing" % (f, e["key"]))
        for e in facts.get("order", []):
            if e.get("found") is True:
                want = orders.get(e["key"])
                if want is None or want["status"] != e.get("status") or \
                        (want["tracking_number"] or None) != e.get("tracking_number"):
                    fact_bad.append("%s: %s" % (f, e["key"]))
        # never another customer's data: their orders' tracking numbers and totals
        for e in facts.get("order", []):
            if e.get("found") is True and domain(e.get("customer_email")) != domain(r["sender"]):
                for secret in (e.get("tracking_number"), e.get("carrier")):
                    if secret and secret in (d.get("body") or ""):
                        leak_bad.append("%s: %s of %s" % (f, secret, e["key"]))
        flags = [x.get("flag") for x in d["guardrail_flags"]]
        bad = [x for x in flags if x.startswith("wrong_") or x.startswith("unknown_")]
        if bad:
            body_bad.append("%s: %s" % (f, bad))

print("# category accuracy (builtin classifier):")
total_ok = total = 0
for cat in sorted(per_cat):
    ok, n = per_cat[cat]
    total_ok += ok
    total += n
    print("#   %-15s %2d/%-2d" % (cat, ok, n))
print("#   %-15s %2d/%-2d (%.0f%%)" % ("overall", total_ok, total, 100.0 * total_ok / max(total, 1)))
for w in wrong:
    print("#   misclassified " + w)
check("category accuracy at least 90%% (%d/%d)" % (total_ok, total), total_ok >= 0.9 * total)
check("every labelled skip is skipped without a draft", not skip_bad, "; ".join(skip_bad))
check("every require_human message is routed to a human", not human_bad, "; ".join(human_bad))
check("no never_auto message was answered automatically", not auto_bad, ", ".join(auto_bad))
check("injection mails drafted only to their sender, flagged, never auto", not inj_bad, "; ".join(inj_bad))
check("every fact on a draft equals the data files", not fact_bad, "; ".join(fact_bad))
check("no builtin draft states a wrong or unknown figure", not body_bad, "; ".join(body_bad))
check("no draft carries another customer's order data", not leak_bad, "; ".join(leak_bad))
n_auto = sum(1 for r in rows if r["outbox"])
print("# %d messages answered automatically (every category in auto for this test)" % n_auto)
sys.exit(0 if all(results) else 1)
