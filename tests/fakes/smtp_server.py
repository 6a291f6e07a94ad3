#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An SMTP server for draftd's tests that can fail in the ways real ones do
after a message is in their hands (stdlib only).

It speaks enough ESMTP for a submission client: EHLO/HELO, optional STARTTLS
(--tls-cert/--tls-key; then mail is refused until the client upgraded),
optional AUTH PLAIN/LOGIN (--auth, any credentials accepted), MAIL, RCPT,
DATA with dot-unstuffing, RSET, NOOP, QUIT. Every accepted message is really
stored, in --maildir DIR (DIR/new/), before the server decides how to end
the transaction. What it does then is chosen per connection from --modes
(a comma-separated list, one entry per connection, the last one repeats):

  ok         250 after the final dot
  drop       stores the message, then closes the connection without a reply
  late:N     stores the message, waits N seconds, then answers 250
  tempfail   451 after the final dot (nothing stored)
  permfail   554 after the final dot (nothing stored)

--xoauth2-introspect URL offers AUTH XOAUTH2 (as Microsoft 365 and Gmail do)
and checks each bearer token with the RFC 7662 endpoint URL (the OAuth2
stand-in's /introspect): active, and issued for the user named in the SASL
string, else the XOAUTH2 error challenge and 535; mail is then refused until
the client authenticated. Logged as "AUTH XOAUTH2 ok user=U" or "AUTH XOAUTH2
refused user=U (why)", never the token.

--oauthbearer offers AUTH OAUTHBEARER (RFC 7628) beside XOAUTH2, checked the
same way (the user is the GS2 header's authzid "a="); a refusal is the
RFC 7628 error challenge, answered by the client with ^A, then 535.

--copy-cmd CMD runs CMD (through the shell) with each stored message on its
standard input: a provider that files submitted mail in the Sent folder.
--log FILE gets one line per command received, with AUTH credentials
replaced by "***", so a test can check what a client sent and when.

Usage: smtp_server.py [--port N] --port-file FILE --maildir DIR [--modes ok]
       [--tls-cert PEM --tls-key PEM] [--auth] [--xoauth2-introspect URL [--oauthbearer]]
       [--copy-cmd CMD] [--log FILE]
"""

import argparse
import base64
import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

LINE_MAX = 4096


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        super().__init__(("127.0.0.1", args.port), Handler)
        self.args = args
        self.modes = [m for m in args.modes.split(",") if m] or ["ok"]
        self.lock = threading.Lock()
        self.connections = 0
        self.stored = 0
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)

    def next_mode(self):
        with self.lock:
            mode = self.modes[min(self.connections, len(self.modes) - 1)]
            self.connections += 1
            return mode

    def log(self, text):
        if not self.args.log:
            return
        with self.lock, open(self.args.log, "a", encoding="utf-8") as f:
            f.write(text + "\n")

    def store(self, data):
        box = self.args.maildir
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(box, sub), exist_ok=True)
        with self.lock:
            self.stored += 1
            name = "%d.%d.%d.fake" % (time.time(), os.getpid(), self.stored)
        tmp = os.path.join(box, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(box, "new", name))
        if self.args.copy_cmd:
            subprocess.run(self.args.copy_cmd, shell=True, input=data, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Handler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.tls_on = False

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(LINE_MAX)
        if not line:
            raise ConnectionError("client closed")
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    authed = False

    def xoauth2(self, line):
        parts = line.split(" ")
        mech = parts[1].upper()
        if len(parts) == 2:
            self.send("334 ")
            parts.append(self.readline())
        user, token, why = "", "", None
        try:
            fields = base64.b64decode(parts[2], validate=True).decode().split("\x01")
            for f in fields:
                if f.startswith("user="):
                    user = f[5:]
                elif mech == "OAUTHBEARER" and f.startswith("n,"):
                    for kv in f.split(","):
                        if kv.startswith("a="):
                            user = kv[2:].replace("=2C", ",").replace("=3D", "=")
                elif f.lower().startswith("auth=bearer "):
                    token = f[12:]
        except (ValueError, UnicodeDecodeError):
            why = "malformed SASL string"
        if why is None and not token:
            why = "no bearer token"
        if why is None:
            try:
                req = urllib.request.Request(
                    self.server.args.xoauth2_introspect,
                    data=urllib.parse.urlencode({"token": token}).encode())
                with urllib.request.urlopen(req, timeout=10) as r:
                    info = json.load(r)
                if not info.get("active"):
                    why = "token not active"
                elif info.get("username") != user:
                    why = "token issued for %s" % info.get("username")
            except (OSError, ValueError) as e:
                why = "introspection failed: %s" % e
        if why is None:
            self.authed = True
            self.server.log("AUTH %s ok user=%s" % (mech, user))
            self.send("235 2.7.0 Authentication successful")
            return
        self.server.log("AUTH %s refused user=%s (%s)" % (mech, user, why))
        if mech == "OAUTHBEARER":
            err = json.dumps({"status": "invalid_token", "scope": "https://mail.google.com/"})
        else:
            err = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"})
        self.send("334 " + base64.b64encode(err.encode()).decode())
        self.readline()
        self.send("535 5.7.8 Username and Password not accepted")

    def upgrade(self):
        self.wfile.flush()
        conn = self.server.tls.wrap_socket(self.connection, server_side=True)
        self.connection = self.request = conn
        self.rfile = conn.makefile("rb")
        self.wfile = conn.makefile("wb")
        self.tls_on = True

    def ehlo(self, name):
        caps = ["PIPELINING", "8BITMIME", "SIZE 52428800"]
        if self.server.tls is not None and not self.tls_on:
            caps.append("STARTTLS")
        if self.server.args.xoauth2_introspect and (self.server.tls is None or self.tls_on):
            caps.append("AUTH XOAUTH2" + (" OAUTHBEARER" if self.server.args.oauthbearer else "")
                        + (" PLAIN LOGIN" if self.server.args.auth else ""))
        elif self.server.args.auth and (self.server.tls is None or self.tls_on):
            caps.append("AUTH PLAIN LOGIN")
        lines = ["fake.example Hello " + name] + caps
        for i, text in enumerate(lines):
            self.send(("250-" if i < len(lines) - 1 else "250 ") + text)

    def data(self, mode):
        self.send("354 End data with <CR><LF>.<CR><LF>")
        chunks = []
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw:
                raise ConnectionError("client closed during DATA")
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b".."):
                raw = raw[1:]
            chunks.append(raw)
        message = b"".join(chunks)
        self.server.log("DATA %d bytes (mode %s)" % (len(message), mode))
        if mode == "tempfail":
            self.send("451 4.3.0 try again later")
            return True
        if mode == "permfail":
            self.send("554 5.7.1 rejected")
            return True
        self.server.store(message)
        if mode == "drop":
            self.server.log("DROP after storing")
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False
        if mode.startswith("late:"):
            time.sleep(float(mode.split(":", 1)[1]))
        try:
            self.send("250 2.0.0 Ok: queued")
        except OSError:
            return False
        return True

    def handle(self):
        mode = self.server.next_mode()
        self.server.log("CONNECT (mode %s)" % mode)
        try:
            self.send("220 fake.example ESMTP test server")
            while True:
                line = self.readline()
                verb = line.split(" ", 1)[0].upper()
                shown = line if verb != "AUTH" else " ".join(line.split(" ")[:2]) + " ***"
                self.server.log(shown)
                if verb in ("EHLO", "HELO"):
                    self.ehlo(line[5:].strip() or "client")
                elif verb == "STARTTLS" and self.server.tls is not None and not self.tls_on:
                    self.send("220 2.0.0 Ready to start TLS")
                    self.upgrade()
                elif (verb == "AUTH" and self.server.args.xoauth2_introspect
                      and (line.split(" ")[1:2] == ["XOAUTH2"]
                           or (self.server.args.oauthbearer
                               and line.split(" ")[1:2] == ["OAUTHBEARER"]))):
                    self.xoauth2(line)
                elif verb == "AUTH" and self.server.args.auth:
                    parts = line.split(" ")
                    if len(parts) == 2 and parts[1].upper() == "LOGIN":
                        for prompt in ("VXNlcm5hbWU6", "UGFzc3dvcmQ6"):
                            self.send("334 " + prompt)
                            self.readline()
                            self.server.log("AUTH LOGIN line ***")
                    elif len(parts) == 2:
                        self.send("334 ")
                        self.readline()
                    self.send("235 2.7.0 Authentication successful")
                elif verb in ("MAIL", "RCPT"):
                    if self.server.tls is not None and not self.tls_on:
                        self.send("530 5.7.0 Must issue a STARTTLS command first")
                    elif self.server.args.xoauth2_introspect and not self.authed:
                        self.send("530 5.7.0 Authentication required")
                    else:
                        self.send("250 2.1.0 Ok")
                elif verb == "DATA":
                    if not self.data(mode):
                        return
                elif verb in ("RSET", "NOOP"):
                    self.send("250 2.0.0 Ok")
                elif verb == "QUIT":
                    self.send("221 2.0.0 Bye")
                    return
                else:
                    self.send("502 5.5.2 Error: command not recognized")
        except (ConnectionError, OSError, ssl.SSLError) as e:
            self.server.log("CLOSED (%s)" % e.__class__.__name__)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--modes", default="ok")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--auth", action="store_true")
    p.add_argument("--port", type=int, default=0)  # 0: the kernel picks one
    p.add_argument("--xoauth2-introspect")
    p.add_argument("--oauthbearer", action="store_true")
    p.add_argument("--copy-cmd")
    p.add_argument("--log")
    args = p.parse_args()
    server = Server(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
