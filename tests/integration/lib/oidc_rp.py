#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A person's browser signing in to draftd through the OpenID provider, by HTTP
only (issue 16, single sign-on end to end):

  oidc_rp.py --draftd URL --user U --password P [--tamper-state] [--replay]

GET draftd's /api/v1/auth/oidc/start (a redirect to the provider carrying
PKCE S256, state and nonce), the provider's password sign-in and its
authorisation (what its login page does), the redirect back to draftd's
callback with the code, then draftd's session cookie and GET /api/v1/me.
Prints one JSON line: {"callback_status", "location", "me_status", "me",
"cookie"}. --tamper-state changes the state before the callback;
--replay sends the same callback twice and reports the second.
"""
import argparse
import http.cookiejar
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method, url, body=None):
        data, hdrs = None, {}
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=20) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


def fail(step, detail):
    print(json.dumps({"failed": step, "detail": detail}))
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--draftd", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--tamper-state", action="store_true")
    p.add_argument("--replay", action="store_true")
    a = p.parse_args()
    b = Browser()
    st, h, _ = b.request("GET", a.draftd + "/api/v1/auth/oidc/start")
    loc = h.get("Location", "")
    if st not in (302, 303) or not loc:
        fail("start", "HTTP %d %r" % (st, loc))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    for k in ("state", "nonce", "code_challenge", "redirect_uri", "client_id"):
        if k not in q:
            fail("start", "no %s in %r" % (k, loc[:300]))
    if q.get("code_challenge_method") != ["S256"]:
        fail("start", "not S256: %r" % q.get("code_challenge_method"))
    split = urllib.parse.urlsplit(loc)
    provider = "%s://%s" % (split.scheme, split.netloc)
    st, _, text = b.request("POST", provider + "/api/auth/",
                            body={"username": a.user, "password": a.password})
    if st != 200:
        fail("provider sign-in", "HTTP %d %s" % (st, text[:200]))
    st, h, _ = b.request("GET", loc)
    back = h.get("Location", "")
    s2 = urllib.parse.urlsplit(back)
    if st == 302 and s2.path.endswith("/login.html"):
        cb = urllib.parse.parse_qs(s2.query).get("callback_url", [""])[0]
        st, h, _ = b.request("GET", cb + "&g_continue")
        back = h.get("Location", "")
    if not back.startswith(q["redirect_uri"][0] + "?"):
        fail("authorize", "not sent back to draftd: HTTP %d %r" % (st, back[:300]))
    if a.tamper_state:
        bq = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
        # another first character: "x" for a state that starts with "x"
        # left it unchanged (1 run in 64 then signed in)
        state = bq["state"][0]
        bq["state"] = [("y" if state.startswith("x") else "x") + state[1:]]
        back = back.split("?")[0] + "?" + urllib.parse.urlencode({k: v[0] for k, v in bq.items()})
    st, h, _ = b.request("GET", back)
    if a.replay:
        b.jar.clear()
        st, h, _ = b.request("GET", back)
    out = {"callback_status": st, "location": h.get("Location", ""),
           "cookie": h.get("Set-Cookie", "")}
    st, _, text = b.request("GET", a.draftd + "/api/v1/me")
    out["me_status"] = st
    try:
        out["me"] = json.loads(text)
    except ValueError:
        out["me"] = text[:200]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
