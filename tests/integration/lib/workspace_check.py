#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The REST side of issue 16 items 2-5, against a running draftd that has
processed tests/fixtures/workspace/ (see tests/integration/workspace.sh).

Prints one "ok - ..." / "not ok - ..." line per check. The notes invariant
(a note's text never reaches the SMTP sink nor any model request) and the
assignment invariant (the assignee is the last one set, every change is one
audit row naming who made it) are checked over a seeded random sequence of
notes, assignments, regenerations, edits and approvals; a failing run prints
its seed: WS_SEED=N (and WS_STEPS=M) replays it.

Environment: WS_URL WS_RTOK WS_RTOK2 WS_ATOK WS_DB WS_MAILDIR WS_MODEL_LOG
[WS_SEED WS_STEPS]
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BASE = os.environ["WS_URL"].rstrip("/") + "/api/v1"
TOK = {"ana": os.environ["WS_RTOK"], "ben": os.environ["WS_RTOK2"], "admin": os.environ["WS_ATOK"],
       "cleo": os.environ.get("WS_PTOK", "")}
NAME = {"ana": "ws-ana", "ben": "ws-ben", "admin": "ws-admin"}
DB = os.environ["WS_DB"]
MAILDIR = os.environ["WS_MAILDIR"]
MODEL_LOG = os.environ["WS_MODEL_LOG"]
SEED = int(os.environ.get("WS_SEED") or random.SystemRandom().randrange(1, 1 << 31))
STEPS = int(os.environ.get("WS_STEPS") or 30)
failures = 0


def ok(name):
    print("ok - workspace: " + name, flush=True)


def not_ok(name, why=""):
    global failures
    failures += 1
    why = " ".join(str(why).split())[:400]
    print("not ok - workspace: " + name + (": " + why if why else ""), flush=True)


def check(name, cond, why=""):
    (ok if cond else lambda n: not_ok(n, why))(name)
    return bool(cond)


def call(who, method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + TOK[who])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def sql(q):
    out = subprocess.run(["psql", "-XAtq", "-d", DB, "-c", q], capture_output=True, text=True)
    return out.stdout.strip()


def ids_of(items):
    return {x["id"] for x in items if x.get("type", "message") == "message"}


def wait(fn, secs=60):
    end = time.time() + secs
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(0.3)


# the fixtures' messages by their Message-ID's first label (w01 ... w07)
MSG = {}
for line in sql("SELECT split_part(btrim(message_id, '<>'), '.', 1) || '=' || id FROM messages"
                " WHERE message_id LIKE '%.ws@%'").splitlines():
    k, v = line.split("=")
    MSG[k] = int(v)
if not check("the eight fixtures are stored", len(MSG) == 8, MSG):
    sys.exit(0)


def live_draft(mid):
    s, m = call("admin", "GET", "/messages/%d" % mid)
    return m.get("live_draft_id") if s == 200 else None


# --- item 2: the thread and the customer's other conversations
s, t = call("ana", "GET", "/messages/%d/thread" % MSG["w02"])
if check("GET /messages/{id}/thread answers 200", s == 200, t):
    msgs = [x for x in t["thread"] if x["type"] == "message"]
    check("the thread of a reply holds the mail it answers (In-Reply-To/References) and the one"
          " that lost its headers (subject fallback), oldest first",
          [x["id"] for x in msgs] == [MSG["w01"], MSG["w02"], MSG["w03"]],
          [(x["id"], x["subject"]) for x in msgs])
    check("... and marks the message asked about", [x["current"] for x in msgs] == [False, True, False])
    check("the customer's other conversation is under same_address",
          {x["id"] for x in t["same_address"]} == {MSG["w04"]}, t["same_address"])
    check("a colleague at the same firm is under same_domain",
          {x["id"] for x in t["same_domain"]} == {MSG["w05"], MSG["w08"]} and
          t["domain"] == "hoffmann-maschinenbau.example",
          t["same_domain"])
s, t = call("ana", "GET", "/messages/%d/thread" % MSG["w01"])
check("the first mail's thread finds the later ones (they name it; the third by subject)",
      s == 200 and ids_of(t["thread"]) == {MSG["w01"], MSG["w02"], MSG["w03"]}, t)
s, t = call("ana", "GET", "/messages/%d/thread" % MSG["w04"])
check("another subject is another conversation, the thread of w04 is w04 alone, its history the other three",
      s == 200 and ids_of(t["thread"]) == {MSG["w04"]} and
      {x["id"] for x in t["same_address"]} == {MSG["w01"], MSG["w02"], MSG["w03"]}, t)
s, t = call("ana", "GET", "/messages/%d/thread" % MSG["w06"])
check("a public mail provider's domain lists no strangers (domain_shared, same_domain empty)",
      s == 200 and t["domain_shared"] is True and t["same_domain"] == [] and t["same_address"] == [], t)
s, _ = call("ana", "GET", "/messages/999999/thread")
s2, _ = call("ana", "GET", "/messages/01/thread")
check("thread of no message: 404 (also for a second spelling of an id)", s == 404 and s2 == 404, (s, s2))

# --- item 3: notes
s, e = call("ana", "POST", "/messages/%d/notes" % MSG["w01"], {"body": "  \n "})
check("an empty note is refused (400 naming the field)", s == 400 and "body" in json.dumps(e), e)
s, e = call("ana", "POST", "/messages/%d/notes" % MSG["w01"], {"body": "x" * 10001})
check("a note over 10,000 bytes is refused (400 too_long)", s == 400 and e["error"]["code"] == "too_long", e)
s, e = call("ana", "POST", "/messages/999999/notes", {"body": "hello"})
check("a note on no message: 404", s == 404, e)
s, e = call("ana", "POST", "/messages/%d/notes" % MSG["w01"], {"body": "hi", "to": "x"})
check("a note with an unknown field is refused", s == 400 and e["error"]["code"] == "unknown_field", e)
NOTES = []  # every note text written: none may ever leave the building
first = "NOTE-first-%d: customer is a key account, call before shipping" % SEED
s, n = call("ana", "POST", "/messages/%d/notes" % MSG["w01"], {"body": first})
NOTES.append(first)
check("POST /messages/{id}/notes: 201 with the author", s == 201 and n["author"] == "ws-ana" and n["body"] == first, n)
s, l = call("ben", "GET", "/messages/%d/notes" % MSG["w01"])
check("a colleague reads the note", s == 200 and [x["body"] for x in l["notes"]] == [first], l)
audit = sql("SELECT actor || '|' || (after->>'length') || '|' || (after::text LIKE '%%NOTE-first%%')"
            " FROM audit_log WHERE action = 'message.note' AND object_id = '%d'" % MSG["w01"])
check("a note is audited (who, its length) without its text", audit == "ws-ana|%d|false" % len(first), audit)

# --- item 4: assignment
s, p = call("ana", "GET", "/assignees")
names = {x["name"] for x in p.get("people", [])} if s == 200 else set()
check("GET /assignees lists everyone who can get a message", {"ws-ana", "ws-ben", "ws-admin"} <= names, p)
kinds = {x["name"]: x["kind"] for x in p.get("people", [])} if s == 200 else {}
check("a person is listed as a person, their own token not at all",
      kinds.get("ws-cleo") == "person" and "ws-cleo-cli" not in kinds, kinds)
s, n = call("cleo", "POST", "/messages/%d/notes" % MSG["w04"], {"body": "written with a person's token"})
check("a note written with a person's token names the person", s == 201 and n.get("author") == "ws-cleo", n)
s, a = call("cleo", "POST", "/messages/%d/assign" % MSG["w04"], {"to": "ws-cleo"})
s2, l = call("cleo", "GET", "/messages?assigned=me")
check("a person takes a message and finds it under mine",
      s == 200 and a["assigned_to"] == "ws-cleo" and MSG["w04"] in [x["id"] for x in l.get("messages", [])], (a, l))
call("cleo", "POST", "/messages/%d/assign" % MSG["w04"], {"to": ""})
s, e = call("ana", "POST", "/messages/%d/assign" % MSG["w04"], {"to": "nobody-like-this"})
check("assigning to someone unknown: 400 unknown_person", s == 400 and e["error"]["code"] == "unknown_person", e)
s, a = call("ana", "POST", "/messages/%d/assign" % MSG["w04"], {"to": "ws-ben"})
check("ana hands w04 to ben", s == 200 and a["assigned_to"] == "ws-ben" and a["assigned_by"] == "ws-ana", a)
row = sql("SELECT string_agg(actor || '|' || coalesce(before->>'assigned_to', '-') || '|' ||"
          " coalesce(after->>'assigned_to', '-'), ' ' ORDER BY id) FROM audit_log WHERE action ="
          " 'message.assign' AND object_id = '%d'" % MSG["w04"])
check("every assignment is audited: who, before, after",
      row == "ws-cleo|-|ws-cleo ws-cleo|ws-cleo|- ws-ana|-|ws-ben", row)
s, l = call("ben", "GET", "/messages?assigned=me")
check("ben's \"mine\" lists w04", s == 200 and MSG["w04"] in [x["id"] for x in l["messages"]], l)
s, l = call("ana", "GET", "/messages?assigned=me")
check("ana's \"mine\" does not", s == 200 and MSG["w04"] not in [x["id"] for x in l["messages"]], l)
s, l = call("ana", "GET", "/messages?assigned=none&limit=200")
check("?assigned=none leaves it out", s == 200 and MSG["w04"] not in [x["id"] for x in l["messages"]], l)

# two people take one message at once: exactly one wins, the other is told who
res = {}


def take(who):
    res[who] = call(who, "POST", "/messages/%d/assign" % MSG["w05"], {"to": NAME[who], "expect": ""})


th = [threading.Thread(target=take, args=(w,)) for w in ("ana", "ben")]
for x in th:
    x.start()
for x in th:
    x.join()
codes = sorted(v[0] for v in res.values())
winner = sql("SELECT assigned_to FROM messages WHERE id = %d" % MSG["w05"])
loser = [v for v in res.values() if v[0] == 409]
check("two people taking one message at once: one 200, one 409 naming the winner",
      codes == [200, 409] and loser and loser[0][1]["error"]["detail"]["assigned_to"] == winner, res)
s, e = call("ana", "POST", "/messages/%d/assign" % MSG["w05"], {"to": "ws-ana", "expect": ""})
check("taking a message someone has is refused (409)", s == 409, e)

# --- item 3: snippets
SNIP = ("Guten Tag {{greeting_name}},\n\n"
        "Ihre Sendung {{order.order_id}} ist mit {{order.carrier}} unterwegs, Sendungsnummer {{order.tracking_number}}.\n"
        "Diese Zeile nennt {{order.no_such_fact}} und entfällt.\n")
s, e = call("ana", "POST", "/snippets", {"name": "tracking", "language": "de", "body": SNIP})
check("a reviewer cannot write snippets (403)", s == 403, e)
s, e = call("admin", "POST", "/snippets", {"name": "tracking", "language": "de", "body": "{{#order}} open"})
check("a snippet that is no valid template is refused with the reason (400 bad_template)",
      s == 400 and e["error"]["code"] == "bad_template", e)
s, e = call("admin", "POST", "/snippets", {"name": "Bad Name", "language": "de", "body": "x"})
s2, e2 = call("admin", "POST", "/snippets", {"name": "ok", "language": "deu", "body": "x"})
check("a bad name or language is refused (400)", s == 400 and s2 == 400, (e, e2))
s, sn = call("admin", "POST", "/snippets", {"name": "tracking", "language": "de", "title": "Sendung unterwegs", "body": SNIP})
check("an admin creates a snippet (201)", s == 201 and sn["name"] == "tracking", sn)
s, e = call("admin", "POST", "/snippets", {"name": "tracking", "language": "de", "body": "again"})
check("the same name and language twice: 409", s == 409, e)
s, l = call("ana", "GET", "/snippets?language=de")
check("reviewers list the snippets", s == 200 and [x["name"] for x in l["snippets"]] == ["tracking"], l)
order_draft = sql("SELECT d.id FROM drafts d JOIN messages m ON m.id = d.message_id WHERE d.facts::text"
                  " LIKE '%%SO-305144%%' AND m.id IN (%d, %d, %d) ORDER BY d.id LIMIT 1"
                  % (MSG["w01"], MSG["w02"], MSG["w03"]))
if check("a draft with order SO-305144's facts exists", order_draft != "", order_draft):
    s, r = call("ana", "GET", "/drafts/%s/snippets/%d" % (order_draft, sn["id"]))
    txt = r.get("text", "") if isinstance(r, dict) else ""
    check("a snippet is filled from the draft's facts (carrier, tracking number) and greets by name",
          s == 200 and "DHL Express" in txt and "JD014600007699305144" in txt and "Greta" in txt, r)
    check("... and a line whose fact is unknown is left out, never guessed",
          "entfällt" not in txt and "{{" not in txt, txt)
s, u = call("admin", "PUT", "/snippets/%d" % sn["id"], {"name": "tracking", "language": "de", "body": SNIP + "Danke.\n"})
check("an admin updates a snippet", s == 200 and u["body"].endswith("Danke.\n"), u)
audit = sql("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE object_type = 'snippet'")
check("snippet changes are audited", audit == "snippet.create,snippet.update", audit)
s, tmp = call("admin", "POST", "/snippets", {"name": "tmp", "language": "en", "body": "bye"})
s2, _ = call("admin", "DELETE", "/snippets/%d" % tmp["id"])
s3, _ = call("admin", "DELETE", "/snippets/%d" % tmp["id"])
check("an admin deletes a snippet; a second delete is 404", s2 == 200 and s3 == 404, (s2, s3))

# every lookup of nothing answers alike: 404 not_found naming what is missing
nothing = [("ana", "GET", "/messages/999999/notes", None, "message"),
           ("ana", "POST", "/messages/999999/assign", {"to": ""}, "message"),
           ("ana", "GET", "/drafts/999999/snippets/%d" % sn["id"], None, "draft"),
           ("ana", "GET", "/drafts/%s/snippets/999999" % (order_draft or "1"), None, "snippet"),
           ("admin", "PUT", "/snippets/999999", {"name": "gone", "language": "en", "body": "x"}, "snippet"),
           ("admin", "PATCH", "/people/ws-nobody", {"disabled": False}, "person"),
           ("ana", "POST", "/drafts/999999/delivered", None, "draft")]
got = []
for who, method, path, body, what in nothing:
    s, e = call(who, method, path, body)
    if not (s == 404 and isinstance(e, dict) and e["error"]["code"] == "not_found"
            and e["error"]["message"] == "no such " + what):
        got.append((method, path, s, e))
check("a lookup of no message, draft, snippet or person: 404 'no such ...' (%d routes)" % len(nothing),
      got == [], got)


# --- the seeded random run: notes never leave, assignment is what was set
print("# workspace model: WS_SEED=%d WS_STEPS=%d" % (SEED, STEPS), flush=True)
rng = random.Random(SEED)
people = ["ws-ana", "ws-ben", "ws-admin", ""]
expect_assigned = {v: sql("SELECT coalesce(assigned_to, '') FROM messages WHERE id = %d" % v) for v in MSG.values()}
changes = int(sql("SELECT count(*) FROM audit_log WHERE action = 'message.assign'") or 0)
log = []


def step_note(mid):
    text = "NOTE-%d-%d: internal only, margin is thin on this customer" % (SEED, len(NOTES))
    s, _ = call(rng.choice(["ana", "ben"]), "POST", "/messages/%d/notes" % mid, {"body": text})
    NOTES.append(text)
    return s == 201


def step_assign(mid):
    global changes
    to = rng.choice(people)
    s, a = call(rng.choice(["ana", "ben", "admin"]), "POST", "/messages/%d/assign" % mid, {"to": to})
    if s == 200 and expect_assigned[mid] != to:
        changes += 1
    if s == 200:
        expect_assigned[mid] = to
    return s == 200


def step_regenerate(mid):
    s, _ = call("admin", "POST", "/messages/%d/draft" % mid, {"force": True})
    return s in (202, 409)


def step_approve(mid, edit=None):
    # the browser test (tests/browser/workspace.mjs) answers these itself
    if mid in (MSG["w01"], MSG["w02"], MSG["w03"], MSG["w07"]):
        return True
    d = live_draft(mid)
    if d is None:
        return True
    s, x = call("admin", "GET", "/drafts/%d" % d)
    if s != 200 or x["status"] not in ("pending",):
        return True
    # a reviewer's edit first, sometimes: the reply is not the model's alone
    if edit if edit is not None else rng.random() < 0.5:
        s, x = call("admin", "PATCH", "/drafts/%d" % d, {"body": x["body"] + "\n\nKranzahnrad bestätigt."},
                    {"If-Match": '"%d"' % x["version"]})
        if s != 200:
            return True
    s, _ = call("admin", "POST", "/drafts/%d/approve" % d, {}, {"Idempotency-Key": "k-%d-%d" % (SEED, d)})
    return s in (200, 202, 409)


actions = [step_note, step_note, step_assign, step_assign, step_regenerate, step_approve]
# always: a note, then a fresh draft for the message and its approval
target = MSG["w06"]
step_note(target)
step_regenerate(target)
wait(lambda: live_draft(target) and call("admin", "GET", "/drafts/%d" % live_draft(target))[1].get("status") == "pending", 60)
step_approve(target, edit=True)
good = True
for i in range(STEPS):
    mid = rng.choice(list(MSG.values()))
    fn = rng.choice(actions)
    log.append("%s(%d)" % (fn.__name__, mid))
    good &= fn(mid)
check("every random step got an expected answer", good, log)
wait(lambda: sql("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')") == "0", 60)
wait(lambda: sql("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == "0", 60)
sent = []
for sub in ("new", "cur"):
    d = os.path.join(MAILDIR, sub)
    for f in (os.listdir(d) if os.path.isdir(d) else []):
        sent.append(open(os.path.join(d, f), "rb").read().decode("utf-8", "replace"))
replied = sql("SELECT count(*) FROM messages WHERE status = 'replied'")
check("replies went out in the run (%d in the sink, %s messages replied)" % (len(sent), replied),
      len(sent) >= 1 and int(replied) >= 1, (SEED, log))
model = open(MODEL_LOG, encoding="utf-8", errors="replace").read() if os.path.exists(MODEL_LOG) else ""
check("the model got requests in the run (%d)" % len(model.splitlines()), len(model.splitlines()) >= 1)
# every text is checked by a piece of it no mail or template would hold
leaks = [n for n in NOTES if n.split(":")[0] in "\n".join(sent) or "margin is thin" in "\n".join(sent)
         or "key account, call" in "\n".join(sent)]
check("no note's text reached the SMTP sink (%d notes, seed %d)" % (len(NOTES), SEED), not leaks,
      "WS_SEED=%d leaked: %s" % (SEED, leaks[:3]))
leaks = [n for n in NOTES if n.split(":")[0] in model or "margin is thin" in model or "key account, call" in model]
check("no note's text reached any model request (seed %d)" % SEED, not leaks,
      "WS_SEED=%d leaked: %s" % (SEED, leaks[:3]))
now = {v: sql("SELECT coalesce(assigned_to, '') FROM messages WHERE id = %d" % v) for v in MSG.values()}
check("every message is assigned to whoever was set last (seed %d)" % SEED, now == expect_assigned,
      "WS_SEED=%d %s vs %s" % (SEED, now, expect_assigned))
rows = int(sql("SELECT count(*) FROM audit_log WHERE action = 'message.assign'") or 0)
check("one audit row per change of assignee, none for a no-op (seed %d)" % SEED, rows == changes,
      "WS_SEED=%d %d rows, %d changes" % (SEED, rows, changes))

# --- item 5: search
def search(who="ana", **q):
    qs = urllib.parse.urlencode(q)
    s, r = call(who, "GET", "/search?" + qs)
    return s, r


import urllib.parse  # noqa: E402 (used by search() only)

fixtures = set(MSG.values())
s, r = search(q="SO-305144")
found = {x["id"] for x in r.get("messages", [])} & fixtures if s == 200 else set()
check("search finds an order number exactly (the three mails naming SO-305144)",
      found == {MSG["w01"], MSG["w02"], MSG["w03"]}, r)
lang = sql("SELECT language FROM messages WHERE id = %d" % MSG["w01"])
body = sql("SELECT text_body FROM messages WHERE id = %d" % MSG["w01"])
s, r = search(q="Lieferungen")
found = {x["id"] for x in r.get("messages", [])} & fixtures if s == 200 else set()
check("search finds German mail by an inflected form (Lieferungen finds Lieferung; language %s)" % lang,
      MSG["w01"] in found and "Lieferungen" not in body and MSG["w06"] not in found, r)
s, r = search(q="hoffmann-maschinenbau.example")
found = {x["id"] for x in r.get("messages", [])} & fixtures if s == 200 else set()
check("search by sender domain finds the firm's mail and no one else's",
      found == {MSG[k] for k in ("w01", "w02", "w03", "w04", "w05", "w08")}, r)
s, r = search(q="Abwesenheitsnotiz")
screened = sql("SELECT coalesce(screen_reason, '-') FROM messages WHERE id = %d" % MSG["w08"])
check("search finds mail screened at ingest, which the pipeline never saw (reason %s)" % screened,
      s == 200 and [x["id"] for x in r["messages"]] == [MSG["w08"]] and screened != "-", r)
s, r = search(q="@gmail.com", limit=1)
check("search pages (limit 1 gives a next_cursor)", s == 200 and len(r["messages"]) == 1 and r["next_cursor"], r)
if s == 200 and r.get("next_cursor"):
    s2, r2 = search(q="@gmail.com", limit=1, cursor=r["next_cursor"])
    check("... and the next page is the other gmail mail",
          s2 == 200 and {r["messages"][0]["id"], r2["messages"][0]["id"]} == {MSG["w06"], MSG["w07"]}, r2)
s, r = search(q="Kranzahnrad")
hits = [x for x in r.get("messages", [])] if s == 200 else []
edited = sql("SELECT count(*) FROM drafts WHERE body LIKE '%Kranzahnrad%' AND status IN ('approved', 'sent')")
check("search finds words of our replies (matched_in reply)",
      edited != "0" and MSG["w06"] in [x["id"] for x in hits] and
      all(x["matched_in"] in ("reply", "both") for x in hits), (edited, r))
call("admin", "POST", "/messages/%d/assign" % MSG["w02"], {"to": "ws-ben"})
s, r = search(q="SO-305144", person="ws-ben")
got = {x["id"] for x in r.get("messages", [])} if s == 200 else None
exp = {m for m in (MSG["w01"], MSG["w02"], MSG["w03"])
       if sql("SELECT coalesce(assigned_to, '') FROM messages WHERE id = %d" % m) == "ws-ben"}
check("search filters by person", s == 200 and MSG["w02"] in got and exp <= got, (got, exp))
s, r = search(status="replied")
check("search filters by status", s == 200 and all(x["status"] == "replied" for x in r["messages"]), r)
s, r = search(q="SO-305144", mailbox="no-such-mailbox")
check("search filters by mailbox", s == 200 and r["messages"] == [], r)
s, r = search(q="SO-305144", **{"from": "2099-01-01"})
s2, r2 = search(q="SO-305144", to="2099-12-31")
check("search filters by date (received on or after / before)", s == 200 and r["messages"] == [] and
      s2 == 200 and len(r2["messages"]) >= 3, (r, r2))
cat = sql("SELECT coalesce(pipeline->'classification'->>'category', '') FROM messages WHERE id = %d" % MSG["w05"])
if cat:
    s, r = search(category=cat, q="SO-305108")
    check("search filters by category", s == 200 and MSG["w05"] in [x["id"] for x in r["messages"]], r)
bad = [search(**{"from": "2025-02-30"})[0], search(status="open,bogus")[0], search(q="x", sort="y")[0],
       search(q="x" * 201)[0], search(q="x", order="oldest")[0]]
check("bad search parameters get 400s naming them", bad == [400] * 5, bad)
s, r = search(q="'\"&|!:*()<>")
check("query syntax characters are words, not an error", s == 200, r)
print("# workspace checks done, %d failed" % failures)
