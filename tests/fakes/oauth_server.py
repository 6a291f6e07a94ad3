#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An OAuth 2.0 authorization server stand-in for draftd's tests (stdlib only).

It plays the part of Microsoft's or Google's token endpoint for a mail
server that accepts OAuth2 (the provider-layout Dovecot's oauth2 passdb asks
it whether a token is good) and for draftd, which fetches access tokens:

  POST /token        RFC 6749: grant_type=refresh_token (section 6) and
                     grant_type=client_credentials (section 4.4); the client
                     authenticates with HTTP Basic or client_id/client_secret
                     in the form. Answers {"access_token","token_type":"Bearer",
                     "expires_in","scope"} or a 400/401 {"error": ...} object.
  POST /introspect   RFC 7662 (what Dovecot's passdb oauth2 calls with
                     introspection_mode = post): form token=... ->
                     {"active": true, "username", "email", "exp", "scope",
                     "client_id"} or {"active": false}
  GET  /userinfo     Authorization: Bearer TOKEN -> 200 {"sub","email",
                     "username"} or 401 with WWW-Authenticate (OpenID userinfo)
  POST /revoke       RFC 7009: form token=... (a refresh or access token)

Access tokens live --expires-in seconds (default 3600, changeable at run
time) and are opaque random strings. Every grant and every refusal is logged
to stdout, one line each ("grant grant_type=refresh_token client_id=...
user=... expires_in=..."), so tests can count refreshes; tokens are never
logged, only their first 4 characters.

Test control (JSON in, JSON out):
  POST /_control/client   {"client_id","client_secret","user"}: register a client;
                          client_credentials tokens are issued for its "user"
  POST /_control/refresh_token {"client_id","user"} -> {"refresh_token"}
                          (what an administrator's one-time consent would give)
  POST /_control/revoke   {"refresh_token"}: revoke it (as a user or admin would)
  POST /_control/expires_in {"seconds": N}: lifetime of tokens issued from now on
  POST /_control/expire   {}: every access token issued so far expires now
  POST /_control/expire_at_introspect {"client": NAME}: every access token
                          issued so far expires when /introspect?client=NAME
                          is next called (once): a token revoked between the
                          IMAP login and the SMTP submission, when the SMTP
                          server introspects with ?client=smtp
  POST /_control/revoke_client {"client_id"}: revoke every refresh token of
                          the client (an administrator ending all its sessions)
  POST /_control/rotate   {"on": true|false}: every refresh_token grant
                          answers a new refresh token and revokes the one used
                          (what Microsoft's endpoint may do)
  POST /_control/mode     {"mode": "ok" | "http500" | "invalid_json" | "hang"}:
                          how /token answers from now on
  GET  /_control/grants   -> {"grants": [{"grant_type","client_id","user","time"}],
                              "refused": N}

Usage: oauth_server.py [--port N | --port 0 --port-file FILE] [--expires-in S]
                       [--hang-seconds S]
"""

import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = {"ok", "http500", "invalid_json", "hang"}


class State:
    def __init__(self, expires_in, hang_seconds):
        self.lock = threading.Lock()
        self.clients = {}  # client_id -> {"secret", "user"}
        self.refresh = {}  # refresh token -> {"client_id", "user", "revoked"}
        self.access = {}  # access token -> {"client_id", "user", "exp", "scope"}
        self.grants = []
        self.refused = 0
        self.expires_in = expires_in
        self.hang_seconds = hang_seconds
        self.mode = "ok"
        self.expire_at = set()  # introspection clients that expire tokens on their next call
        self.rotate = False


def new_token(prefix):
    # RFC 6750 b64token characters only
    return prefix + secrets.token_urlsafe(24)


def log(line):
    print(time.strftime("%H:%M:%S ") + line, flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "draftd-oauth-stand-in"

    def log_message(self, fmt, *args):
        pass  # one line per grant is what the log is for

    @property
    def state(self):
        return self.server.state

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_json(self, code, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        raw = self.body().decode("utf-8", "replace")
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def bearer(self):
        h = self.headers.get("Authorization", "")
        return h[7:].strip() if h[:7].lower() == "bearer " else None

    def client_auth(self, form):
        """(client_id, secret) from Basic auth or the form."""
        h = self.headers.get("Authorization", "")
        if h[:6].lower() == "basic ":
            try:
                cid, _, sec = base64.b64decode(h[6:]).decode().partition(":")
                return urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(sec)
            except (ValueError, UnicodeDecodeError):
                return None, None
        return form.get("client_id"), form.get("client_secret")

    def refuse(self, code, error, why, grant_type):
        with self.state.lock:
            self.state.refused += 1
        log("refused grant_type=%s error=%s reason=%s" % (grant_type, error, why))
        extra = {"WWW-Authenticate": 'Basic realm="token"'} if code == 401 else None
        self.send_json(code, {"error": error, "error_description": why}, extra)

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control(path[len("/_control/"):])
        if path == "/token":
            return self.token()
        if path == "/introspect":
            return self.introspect()
        if path == "/revoke":
            return self.revoke()
        self.send_json(404, {"error": "not_found"})

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/userinfo":
            return self.userinfo()
        if path == "/_control/grants":
            with self.state.lock:
                return self.send_json(200, {"grants": list(self.state.grants),
                                            "refused": self.state.refused})
        self.send_json(404, {"error": "not_found"})

    def token(self):
        st = self.state
        form = self.form()
        gt = form.get("grant_type", "")
        with st.lock:
            mode = st.mode
        if mode == "hang":
            time.sleep(st.hang_seconds)
        if mode == "http500":
            return self.refuse(500, "server_error", "mode http500", gt)
        if mode == "invalid_json":
            data = b'{"access_token": "tru'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        cid, secret = self.client_auth(form)
        with st.lock:
            client = st.clients.get(cid or "")
            if client is None or not secrets.compare_digest(client["secret"], secret or ""):
                bad_client = True
            else:
                bad_client = False
                user = client["user"]
                if gt == "refresh_token":
                    rt = st.refresh.get(form.get("refresh_token", ""))
                    if rt is None or rt["client_id"] != cid:
                        why = "unknown refresh token"
                    elif rt["revoked"]:
                        why = "refresh token revoked"
                    else:
                        why = None
                        user = rt["user"]
                elif gt == "client_credentials":
                    why = None
                else:
                    why = "unsupported"
        if bad_client:
            return self.refuse(401, "invalid_client", "unknown client or wrong secret", gt)
        if why == "unsupported":
            return self.refuse(400, "unsupported_grant_type", "grant_type %r" % gt, gt)
        if why is not None:
            return self.refuse(400, "invalid_grant", why, gt)
        scope = form.get("scope", "")
        tok = new_token("at-")
        answer = {"access_token": tok, "token_type": "Bearer", "scope": scope}
        with st.lock:
            exp = time.time() + st.expires_in
            st.access[tok] = {"client_id": cid, "user": user, "exp": exp, "scope": scope}
            st.grants.append({"grant_type": gt, "client_id": cid, "user": user,
                              "time": time.time()})
            expires_in = st.expires_in
            if gt == "refresh_token" and st.rotate:
                used = form.get("refresh_token", "")
                st.refresh[used]["revoked"] = True
                rt = new_token("rt-")
                st.refresh[rt] = {"client_id": cid, "user": user, "revoked": False}
                answer["refresh_token"] = rt
        answer["expires_in"] = expires_in
        log("grant grant_type=%s client_id=%s user=%s token=%s... expires_in=%d%s"
            % (gt, cid, user, tok[:7], expires_in,
               " refresh_token rotated" if "refresh_token" in answer else ""))
        self.send_json(200, answer)

    def lookup(self, tok):
        with self.state.lock:
            a = self.state.access.get(tok or "")
            if a is None or a["exp"] <= time.time():
                return None
            return dict(a)

    def introspect(self):
        form = self.form()
        client = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("client", [""])[0]
        with self.state.lock:
            if client and client in self.state.expire_at:
                self.state.expire_at.discard(client)
                for a in self.state.access.values():
                    a["exp"] = 0
                log("expired every access token at introspection by %s" % client)
        a = self.lookup(form.get("token"))
        if a is None:
            log("introspect active=false")
            return self.send_json(200, {"active": False})
        log("introspect active=true user=%s" % a["user"])
        self.send_json(200, {"active": True, "username": a["user"], "email": a["user"],
                             "exp": int(a["exp"]), "scope": a["scope"],
                             "client_id": a["client_id"], "token_type": "Bearer"})

    def userinfo(self):
        a = self.lookup(self.bearer())
        if a is None:
            log("userinfo invalid_token")
            return self.send_json(401, {"error": "invalid_token"},
                                  {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        self.send_json(200, {"sub": a["user"], "email": a["user"], "username": a["user"]})

    def revoke(self):
        form = self.form()
        tok = form.get("token", "")
        with self.state.lock:
            if tok in self.state.refresh:
                self.state.refresh[tok]["revoked"] = True
            self.state.access.pop(tok, None)
        log("revoke token=%s..." % tok[:7])
        self.send_json(200, {})

    def control(self, what):
        st = self.state
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            return self.send_json(400, {"error": "invalid JSON"})
        with st.lock:
            if what == "client":
                st.clients[req["client_id"]] = {"secret": req["client_secret"],
                                                "user": req.get("user", req["client_id"])}
                return self.send_json(200, {})
            if what == "refresh_token":
                rt = new_token("rt-")
                st.refresh[rt] = {"client_id": req["client_id"], "user": req["user"],
                                  "revoked": False}
                return self.send_json(200, {"refresh_token": rt})
            if what == "revoke":
                if req.get("refresh_token") in st.refresh:
                    st.refresh[req["refresh_token"]]["revoked"] = True
                    return self.send_json(200, {})
                return self.send_json(404, {"error": "no such refresh token"})
            if what == "expires_in":
                st.expires_in = int(req["seconds"])
                return self.send_json(200, {})
            if what == "expire":
                for a in st.access.values():
                    a["exp"] = 0
                return self.send_json(200, {})
            if what == "expire_at_introspect":
                st.expire_at.add(req["client"])
                return self.send_json(200, {})
            if what == "revoke_client":
                for r in st.refresh.values():
                    if r["client_id"] == req["client_id"]:
                        r["revoked"] = True
                return self.send_json(200, {})
            if what == "rotate":
                st.rotate = bool(req.get("on"))
                return self.send_json(200, {})
            if what == "mode":
                if req.get("mode") not in MODES:
                    return self.send_json(400, {"error": "modes: %s" % sorted(MODES)})
                st.mode = req["mode"]
                return self.send_json(200, {})
        self.send_json(404, {"error": "unknown control %s" % what})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--hang-seconds", type=float, default=30)
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(a.expires_in, a.hang_seconds)
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(a.port_file + ".tmp", a.port_file)
    log("listening on 127.0.0.1:%d" % port)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
