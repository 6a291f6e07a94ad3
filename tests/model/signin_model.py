#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The sign-in invariants over random sequences of actions (issue 16), seeded
and replayable, against a running draftd (tests/integration/signin_model.sh):

  signin_model.py --base URL --db URL --admin-token TOKEN --seed N --steps N

A model of people (password, enabled, failed sign-ins, locked) and sessions
(whose person, live) is kept beside the real thing; each step does one
random action and checks draftd's answer against the model:
  sign in with the right or a wrong password (200 / 401 / 403 disabled / 429 locked),
  a request with a session (200 while live, 401 after), a state-changing
  request without the CSRF token (403 whatever the session), sign-out, a new
  password or disabling by an admin (ends every session of the person),
  enabling, a session expiring, a lock running out.
Invariants: a session works exactly while the model says it is live; a lock
refuses even the right password; the right password clears the failures;
never a 5xx. A mismatch prints the seed and the step and exits 1.
"""
import argparse
import http.cookiejar
import json
import random
import subprocess
import sys
import urllib.error
import urllib.request

LOCK_AFTER = 3  # [auth] lockout_failures of the test's config


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"} if data else {}
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"null")
            except ValueError:
                return e.code, None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--admin-token", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--steps", type=int, default=120)
    a = p.parse_args()
    rnd = random.Random(a.seed)
    admin = Client(a.base)
    auth = {"Authorization": "Bearer " + a.admin_token}

    def sql(q):
        subprocess.run(["psql", "-XAtq", "-d", a.db, "-c", q], check=True,
                       stdout=subprocess.DEVNULL)

    people = {}
    for i in range(3):
        login = "m%d" % i
        pw = "model password %d-0" % i
        st, _ = admin.call("POST", "/api/v1/people",
                           {"login": login, "role": "reviewer", "password": pw}, auth)
        if st != 201:
            fail(a.seed, 0, "add %s: HTTP %d" % (login, st))
        people[login] = {"pw": pw, "enabled": True, "failures": 0, "locked": False, "gen": 0}
    sessions = []  # [client, login, live]
    counts = {}

    def check(step, what, got, want):
        counts[what] = counts.get(what, 0) + 1
        if got >= 500 or got != want:
            fail(a.seed, step, "%s: got HTTP %d, the model wants %d" % (what, got, want))

    def end_sessions(login):
        for s in sessions:
            if s[1] == login:
                s[2] = False

    for step in range(1, a.steps + 1):
        act = rnd.choice(["signin"] * 3 + ["wrong"] * 2 + ["request"] * 5 +
                         ["nocsrf", "signout", "passwd", "disable", "enable", "enable",
                          "expire", "unlock"])
        login = rnd.choice(sorted(people))
        m = people[login]
        if act in ("signin", "wrong"):
            c = Client(a.base)
            pw = m["pw"] if act == "signin" else "not it %d" % step
            st, body = c.call("POST", "/api/v1/auth/login", {"login": login, "password": pw})
            if m["locked"]:
                want = 429
            elif act == "wrong":
                want = 401
                m["failures"] += 1
                if m["failures"] >= LOCK_AFTER:
                    m["locked"] = True
            elif not m["enabled"]:
                want = 403
            else:
                want = 200
                m["failures"] = 0
            check(step, act + " " + ("locked" if m["locked"] and want == 429 else str(want)), st, want)
            if st == 200:
                c.csrf = body["csrf_token"]
                sessions.append([c, login, True])
        elif act == "request" and sessions:
            # mostly a live one: the ended ones pile up
            live = [x for x in sessions if x[2]]
            s = rnd.choice(live) if live and rnd.random() < 0.7 else rnd.choice(sessions)
            st, _ = s[0].call("GET", "/api/v1/me")
            check(step, "request " + ("live" if s[2] else "ended"), st, 200 if s[2] else 401)
            if s[2] and rnd.random() < 0.5:
                # a state-changing request with the token passes the CSRF check
                st, _ = s[0].call("POST", "/api/v1/drafts/999999/release",
                                  headers={"X-CSRF-Token": s[0].csrf})
                check(step, "post with token", st, 404)
        elif act == "nocsrf" and sessions:
            s = rnd.choice(sessions)
            st, _ = s[0].call("POST", "/api/v1/drafts/999999/release")
            check(step, "post without token", st, 403 if s[2] else 401)
        elif act == "signout" and sessions:
            s = rnd.choice(sessions)
            st, _ = s[0].call("POST", "/api/v1/auth/logout", headers={"X-CSRF-Token": s[0].csrf})
            check(step, "signout", st, 200 if s[2] else 401)
            s[2] = False
        elif act == "passwd":
            m["gen"] += 1
            m["pw"] = "model password %s-%d" % (login[1:], m["gen"])
            st, _ = admin.call("PATCH", "/api/v1/people/" + login, {"password": m["pw"]}, auth)
            check(step, "passwd", st, 200)
            end_sessions(login)
        elif act in ("disable", "enable"):
            st, _ = admin.call("PATCH", "/api/v1/people/" + login,
                               {"disabled": act == "disable"}, auth)
            check(step, act, st, 200)
            if act == "disable":
                end_sessions(login)
            m["enabled"] = act == "enable"
        elif act == "expire" and sessions:
            s = rnd.choice(sessions)
            if s[2]:
                tok = next(c.value for c in s[0].jar if c.name == "draftd_session")
                sql("UPDATE sessions SET expires_at = now() - interval '1 second'"
                    " WHERE id = encode(sha256('%s'::bytea), 'hex')" % tok)
                s[2] = False
        elif act == "unlock" and m["locked"]:
            sql("UPDATE auth_failures SET locked_until = now() - interval '1 second'"
                " WHERE key = 'login:%s'" % login)
            m["locked"] = False
            m["failures"] = 0
    print("seed %d: %d steps ok (%s)" % (a.seed, a.steps,
          ", ".join("%s %d" % kv for kv in sorted(counts.items()))))


def fail(seed, step, why):
    print("FAILED seed %d step %d: %s (replay: --seed %d)" % (seed, step, why, seed))
    sys.exit(1)


if __name__ == "__main__":
    main()
