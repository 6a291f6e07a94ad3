#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Model-based test of issue 11's invariant: every customer message ends
in exactly one outcome and the reviewer never loses work.

A seeded random sequence of actions (new mail, approve, approve twice,
reject, reject with a category, regenerate, edit and save, claim, release,
heartbeat, take-over, compose, follow-up, close, reopen, undo, kill -9 of
draftd and restart) runs against real Postgres, Dovecot, the SMTP sink and
`draftd run` (tests/model/review_env.py). A model follows what each answer
said; after every restart and at the end, once the outbox and the pipeline
are idle, it checks: every message that is not skipped is open, replied
exactly once (counted in the sink by In-Reply-To, plus the follow-ups that
were sent) or closed with a reason; an open message sits in a list a person
looks at; no message has two live drafts or two replies; no saved edit is
missing from the text that was sent. Some answers must be what the model
says (approving a superseded draft is never 200, a second reply is 409).

    review_model.py --seed N [--steps 300] --tmp DIR
exits 0, or 1 after printing the violation, the seed and how to replay it.
"""

import argparse
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from review_env import Env  # noqa: E402

REVIEWERS = ("alice", "bob")
CATEGORIES = ("order_status", "quote_request", "stock_inquiry", "other")
REASONS = ("no reply needed", "answered by phone", "spam", "duplicate of a call")


class Violation(Exception):
    pass


class Msg:
    def __init__(self, n, mid, kind):
        self.n, self.mid, self.kind = n, mid, kind
        self.db = None          # messages.id once ingested
        self.closed = False
        self.reopened = False
        self.reply = None       # the draft approved as the reply, not undone
        self.follow = set()     # follow-up drafts approved, not undone

    def expected_replies(self):
        return (1 if self.reply is not None else 0) + len(self.follow)


class Model:
    def __init__(self, env, rng, log):
        self.env, self.rng, self.log = env, rng, log
        self.msgs = {}          # n -> Msg
        self.by_db = {}         # messages.id -> Msg
        self.drafts = {}        # draft id -> {"msg", "state", "tokens"}
        self.claims = {}        # draft id -> (who, time)
        self.token = 0
        self.ambiguous = set()  # replies a crash left unknown (logged "recovered")
        self.has_status = env.has_column("messages", "status")

    # --- what the database holds now --------------------------------------
    def refresh(self):
        for db, mid in self.env.rows("SELECT id, message_id FROM messages"):
            for m in self.msgs.values():
                if m.mid == mid and m.db is None:
                    m.db = int(db)
                    self.by_db[m.db] = m
        snap = {}
        for did, mdb, status, version, holder, held in self.env.rows(
                "SELECT id, message_id, status, version, claimed_by,"
                " coalesce(claim_expires > now(), false) FROM drafts"):
            did = int(did)
            snap[did] = dict(msg=self.by_db.get(int(mdb)), status=status,
                             version=version, holder=holder if held == "t" else "")
            if did not in self.drafts:
                state = "live" if status in ("pending", "claimed") else status
                self.drafts[did] = dict(msg=self.by_db.get(int(mdb)), state=state,
                                        tokens=[])
            elif self.drafts[did]["msg"] is None:
                # its message was stored between the two queries above
                self.drafts[did]["msg"] = self.by_db.get(int(mdb))
            elif self.drafts[did]["state"] in ("superseded", "rejected") and \
                    status in ("pending", "claimed"):
                raise Violation("draft %d should be %s but is still %s (a second live"
                                " draft for message %s)" % (did, self.drafts[did]["state"],
                                                            status, mdb))
        return snap

    def pick(self, snap, states):
        ids = [d for d, s in snap.items() if s["status"] in states and s["msg"] is not None]
        return self.rng.choice(sorted(ids)) if ids else None

    def next_token(self, what):
        self.token += 1
        return "[%s-%d-%d]" % (what, self.env.seed, self.token)

    def who(self):
        return self.rng.choice(REVIEWERS)

    def supersede_live(self, m):
        for did, d in self.drafts.items():
            if d["msg"] is m and d["state"] == "live":
                d["state"] = "superseded"
                self.claims.pop(did, None)

    # --- actions ------------------------------------------------------------
    def a_new_mail(self, snap):
        n = len(self.msgs) + 1
        kind = "bulk" if self.rng.random() < 0.15 else "question"
        self.msgs[n] = Msg(n, self.env.deliver(n, kind), kind)
        return "mail %d (%s)" % (n, kind)

    def _approve(self, did, who, body=None):
        d = self.drafts[did]
        payload = {}
        if body is not None:
            payload["body"] = body
        code, j = self.env.req(who, "POST", "/drafts/%d/approve" % did, payload)
        if d["state"] in ("superseded", "rejected") and code == 200:
            raise Violation("approving %s draft %d answered 200" % (d["state"], did))
        if d["state"] == "approved" and code != 200:
            raise Violation("approving approved draft %d again answered %s" % (did, code))
        if code == 200 and d["state"] == "live":
            m = d["msg"]
            d["state"] = "approved"
            self.claims.pop(did, None)
            if j.get("kind") == "follow_up":
                m.follow.add(did)
            else:
                if m.reply is not None:
                    raise Violation("message %d got a second reply: drafts %d and %d"
                                    % (m.db, m.reply, did))
                m.reply = did
        return code

    def a_approve(self, snap):
        did = self.pick(snap, ("pending", "claimed"))
        if did is None:
            return None
        body = None
        if self.rng.random() < 0.3:
            code, j = self.env.req("alice", "GET", "/drafts/%d" % did)
            if code == 200:
                tok = self.next_token("final")
                body = j["body"] + "\n" + tok
        code = self._approve(did, self.who(), body)
        if code == 200 and body is not None:
            self.drafts[did]["tokens"].append(tok)
        return "approve %d: %s" % (did, code)

    def a_approve_twice(self, snap):
        did = self.pick(snap, ("pending", "claimed"))
        if did is None:
            return None
        first = self._approve(did, self.who())
        second = self._approve(did, self.who())
        if first == 200 and second != 200:
            raise Violation("approve twice: %s then %s" % (first, second))
        return "approve twice %d: %s %s" % (did, first, second)

    def a_stale_approve(self, snap):
        old = [d for d, x in self.drafts.items() if x["state"] in ("superseded", "rejected")]
        if not old:
            return None
        did = self.rng.choice(sorted(old))
        return "approve old %d: %s" % (did, self._approve(did, self.who()))

    def a_reject(self, snap, with_category):
        did = self.pick(snap, ("pending", "claimed"))
        if did is None:
            return None
        body = {"reason": "wrong: %s" % self.next_token("why")}
        if with_category:
            body["category"] = self.rng.choice(CATEGORIES)
        code, _ = self.env.req(self.who(), "POST", "/drafts/%d/reject" % did, body)
        if code == 200:
            self.drafts[did]["state"] = "rejected"
            self.claims.pop(did, None)
        return "reject %d %s: %s" % (did, body.get("category", ""), code)

    def a_regenerate(self, snap):
        m = self.pick_msg()
        if m is None:
            return None
        body = {"force": True} if self.rng.random() < 0.5 else None
        code, _ = self.env.req(self.who(), "POST", "/messages/%d/draft" % m.db, body)
        if code == 202:
            self.supersede_live(m)
        return "regenerate %d%s: %s" % (m.db, " force" if body else "", code)

    def a_edit(self, snap):
        did = self.pick(snap, ("pending", "claimed"))
        if did is None:
            return None
        who = self.who()
        code, j = self.env.req(who, "GET", "/drafts/%d" % did)
        if code != 200:
            return "edit %d: GET %s" % (did, code)
        tok = self.next_token("edit")
        code, _ = self.env.req(who, "PATCH", "/drafts/%d" % did,
                               {"body": j["body"] + "\n" + tok},
                               {"If-Match": str(j["version"])})
        held = self.claims.get(did)
        if held and held[0] != who and time.time() - held[1] < self.env.claim_ttl / 2 \
                and code == 200:
            raise Violation("%s saved draft %d while %s held it" % (who, did, held[0]))
        if code == 200:
            self.drafts[did]["tokens"].append(tok)
            self.claims[did] = (who, time.time())
        return "edit %d by %s: %s" % (did, who, code)

    def a_claim(self, snap):
        did = self.pick(snap, ("pending", "claimed"))
        if did is None:
            return None
        who = self.who()
        action = self.rng.choice(("claim", "release", "heartbeat", "take_over"))
        if action == "take_over":
            code, _ = self.env.req(who, "POST", "/drafts/%d/claim" % did, {"take_over": True})
            if code != 403:
                raise Violation("a reviewer's take-over answered %s" % code)
            who = "root"
            code, _ = self.env.req(who, "POST", "/drafts/%d/claim" % did, {"take_over": True})
        else:
            code, _ = self.env.req(who, "POST", "/drafts/%d/%s" % (did, action))
        if code == 200:
            if action == "release":
                self.claims.pop(did, None)
            else:
                self.claims[did] = (who, time.time())
        return "%s %d by %s: %s" % (action, did, who, code)

    def pick_msg(self, follow_up=False):
        ms = [m for m in self.msgs.values() if m.db is not None]
        if follow_up:
            ms = [m for m in ms if m.reply is not None]
        return self.rng.choice(ms) if ms else None

    def a_compose(self, snap, follow_up):
        m = self.pick_msg(follow_up)
        if m is None:
            return None
        tok = self.next_token("compose")
        body = {"body": "Hello,\n\nwritten by a person %s\n\nKind regards" % tok}
        if follow_up:
            body["follow_up"] = True
        code, j = self.env.req(self.who(), "POST", "/messages/%d/reply" % m.db, body)
        if not follow_up and m.reply is not None and code == 200:
            raise Violation("a second reply to message %d was accepted" % m.db)
        if m.closed and code == 200:
            raise Violation("a reply to closed message %d was accepted" % m.db)
        if code == 200:
            self.supersede_live(m)
            did = j["id"]
            self.drafts[did] = dict(msg=m, state="approved", tokens=[tok])
            if follow_up:
                m.follow.add(did)
            else:
                m.reply = did
        return "%s %d: %s" % ("follow-up" if follow_up else "compose", m.db, code)

    def a_close(self, snap):
        m = self.pick_msg()
        if m is None:
            return None
        code, _ = self.env.req(self.who(), "POST", "/messages/%d/close" % m.db,
                               {"reason": self.rng.choice(REASONS)})
        if code == 200 and (m.reply is not None or m.closed):
            raise Violation("closing message %d (replied or closed) answered 200" % m.db)
        if code == 200:
            m.closed = True
            self.supersede_live(m)
        return "close %d: %s" % (m.db, code)

    def a_reopen(self, snap):
        ms = [m for m in self.msgs.values() if m.db is not None and
              (m.closed or (m.kind == "bulk" and not m.reopened))]
        if not ms:
            return None
        m = self.rng.choice(ms)
        code, _ = self.env.req(self.who(), "POST", "/messages/%d/reopen" % m.db)
        if code == 200:
            m.closed = False
            m.reopened = True
        return "reopen %d: %s" % (m.db, code)

    def a_undo(self, snap, did=None):
        if did is None:
            did = self.pick(snap, ("approved",))
        if did is None:
            return None
        d = self.drafts[did]
        who = self.who()
        code, _ = self.env.req(who, "POST", "/drafts/%d/undo" % did)
        if code == 200:
            if d["state"] != "approved":
                raise Violation("undo of %s draft %d answered 200" % (d["state"], did))
            d["state"] = "live"
            self.claims[did] = (who, time.time())
            m = d["msg"]
            if m.reply == did:
                m.reply = None
            m.follow.discard(did)
        return "undo %d: %s" % (did, code)

    def a_approve_undo(self, snap):
        did = self.pick(snap, ("pending", "claimed"))
        if did is None:
            return None
        if self._approve(did, "alice") != 200:
            return "approve+undo %d: not approved" % did
        return "approve+undo " + self.a_undo(snap, did)

    def a_wait(self, snap):
        t = self.rng.uniform(0.2, 1.5)
        time.sleep(t)
        return "wait %.1fs" % t


# action name -> (weight, how)
ACTIONS = {
    "new_mail": (10, lambda md, s: md.a_new_mail(s)),
    "approve": (12, lambda md, s: md.a_approve(s)),
    "approve_twice": (4, lambda md, s: md.a_approve_twice(s)),
    "approve_old": (3, lambda md, s: md.a_stale_approve(s)),
    "reject": (5, lambda md, s: md.a_reject(s, False)),
    "reject_category": (5, lambda md, s: md.a_reject(s, True)),
    "regenerate": (6, lambda md, s: md.a_regenerate(s)),
    "edit": (12, lambda md, s: md.a_edit(s)),
    "claim": (7, lambda md, s: md.a_claim(s)),
    "compose": (5, lambda md, s: md.a_compose(s, False)),
    "follow_up": (3, lambda md, s: md.a_compose(s, True)),
    "close": (4, lambda md, s: md.a_close(s)),
    "reopen": (2, lambda md, s: md.a_reopen(s)),
    "undo": (4, lambda md, s: md.a_undo(s)),
    "approve_undo": (4, lambda md, s: md.a_approve_undo(s)),
    "wait": (5, lambda md, s: md.a_wait(s)),
    "kill9": (2, None),
}


def run(seed, steps, tmp, src, binary):
    started = time.time()
    rng = random.Random(seed)
    env = Env(seed, tmp, src, binary)
    trail = []
    model = Model(env, rng, trail)
    names = sorted(ACTIONS)
    weights = [ACTIONS[n][0] for n in names]
    restarts = 0
    from review_check import Unsettled, check, settle
    try:
        env.start()
        for _ in range(3):
            model.a_new_mail({})
        for step in range(steps):
            name = rng.choices(names, weights)[0]
            snap = model.refresh()
            if name == "kill9":
                env.kill9()
                env.start()
                restarts += 1
                settle(env, model)
                check(env, model, Violation)
                what = "kill -9 and restart %d: checked" % restarts
            else:
                what = ACTIONS[name][1](model, snap)
            if what is not None:
                trail.append("%3d %s" % (step, what))
            time.sleep(0.02)
        settle(env, model)
        check(env, model, Violation)
        print("seed %d: %d steps, %d mails, %d restarts, %d replies in the sink, %d sends a"
              " crash left unknown (recorded as recovered), %d uncertain replies answered"
              " by a person, %.0f s: invariants hold"
              % (seed, steps, len(model.msgs), restarts,
                 sum(len(v) for v in env.sink().values()), len(model.ambiguous),
                 getattr(model, "uncertain_answered", 0), time.time() - started))
        return 0
    except Exception as e:  # a violation, or the harness itself: both fail the seed
        kind = "VIOLATION" if isinstance(e, (Violation, Unsettled)) else "ERROR"
        print("%s (seed %d): %s: %s" % (kind, seed, type(e).__name__, e))
        print("last actions:\n  " + "\n  ".join(trail[-25:]))
        print("replay: REVIEW_MODEL_SEEDS=%d REVIEW_MODEL_STEPS=%d bash"
              " tests/integration/review_model.sh   (with the test services' env.sh sourced,"
              " see tests/run.sh)" % (seed, steps))
        return 1
    finally:
        env.stop()


def main():
    # stopped from outside: still stop draftd and the sink (finally in run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--src", default=os.environ.get("DRAFTD_SRCDIR", os.getcwd()))
    ap.add_argument("--bin", default=os.environ.get("DRAFTD_BIN", "build/draftd"))
    a = ap.parse_args()
    sys.exit(run(a.seed, a.steps, a.tmp, a.src, os.path.abspath(a.bin)))


if __name__ == "__main__":
    main()
