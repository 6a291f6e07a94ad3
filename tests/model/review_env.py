# SPDX-License-Identifier: MIT
"""The real world the review model drives (tests/model/review_model.py):
its own database, Dovecot user and SMTP sink on the test services, and
`draftd run` started, killed with SIGKILL and restarted by PID. Everything
here talks to real components over their real protocols: REST, psql,
doveadm and the sink's maildir."""

import csv
import email
import io
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from email import policy


class Env:
    def __init__(self, seed, tmp, srcdir, binary, send_delay=1, claim_ttl=10):
        self.seed = seed
        self.tmp = tmp
        self.src = srcdir
        self.bin = binary
        self.svc = os.environ["DRAFTD_TEST_SVC_DIR"]
        self.user = "model%d_%d" % (seed, os.getpid())
        self.dbname = "draftd_model_%d" % seed
        admin = os.environ["DRAFTD_TEST_DATABASE_URL"]
        self.db = admin.rsplit("/", 1)[0] + "/" + self.dbname
        self.send_delay = send_delay
        self.claim_ttl = claim_ttl
        self.proc = None
        self.runs = 0
        self.sink_dir = os.path.join(tmp, "sink")
        self.maildir = os.path.join(self.sink_dir, "smtp-maildir")
        self.conf = os.path.join(tmp, "draftd.conf")
        self.tokens = {}
        self._psql(admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.dbname)
        self._psql(admin, "CREATE DATABASE %s" % self.dbname)
        self._sh("tests/services/dovecot.sh", "adduser", self.svc, self.user, "pw")
        self._sh("tests/services/dovecot.sh", "mkfolder", self.svc, self.user, "Sent")
        os.makedirs(self.sink_dir, exist_ok=True)
        self._sh("tests/services/smtp.sh", "start", self.sink_dir)
        with open(os.path.join(self.sink_dir, "smtp.port")) as f:
            sink_port = f.read().strip()
        self.api_port = free_port()
        self.base = "http://127.0.0.1:%d" % self.api_port
        with open(os.path.join(srcdir, "tests/fixtures/pipeline/inventory.csv")) as f:
            inventory = f.read()
        with open(os.path.join(tmp, "inventory.csv"), "w") as f:
            f.write(inventory)
        config = CONFIG
        if os.environ.get("REVIEW_MODEL_NO_REVIEW_SECTION") == "1":
            # for a draftd from before [review] existed (showing that the
            # model catches what issue 11 reported)
            config = config.replace("[review]\nsend_delay = %(delay)d\nclaim_ttl = %(ttl)d\n",
                                    "")
        with open(self.conf, "w") as f:
            f.write(config % dict(db=self.db, api=self.api_port, smtp=sink_port,
                                  src=srcdir, imap=os.environ["DRAFTD_TEST_IMAP_PORT"],
                                  user=self.user, tmp=tmp, delay=send_delay,
                                  ttl=claim_ttl))
        self.draftd("migrate")
        for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("root", "admin")):
            out = self.draftd("token", "create", "--name", name, "--role", role)
            self.tokens[name] = out.strip().splitlines()[-1]

    # --- processes -------------------------------------------------------
    def _sh(self, *argv):
        subprocess.run(argv, cwd=self.src, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def draftd(self, *argv):
        return subprocess.run([self.bin] + list(argv) + ["--config", self.conf],
                              check=True, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True).stdout

    def start(self):
        self.runs += 1
        log = open(os.path.join(self.tmp, "run%d.log" % self.runs), "w")
        self.proc = subprocess.Popen([self.bin, "run", "--config", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        with open(os.path.join(self.tmp, "draftd.pid"), "w") as f:
            f.write(str(self.proc.pid))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("draftd run did not start (run%d.log)" % self.runs)

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        subprocess.run(["tests/services/smtp.sh", "stop", self.sink_dir], cwd=self.src,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    # --- mail ------------------------------------------------------------
    def deliver(self, n, kind):
        mid = "<model-%d-%d-%d@customer%d.example>" % (self.seed, os.getpid(), n, n % 7)
        path = os.path.join(self.tmp, "m%d.eml" % n)
        with open(path, "w") as f:
            f.write((NEWSLETTER if kind == "bulk" else QUESTION)
                    % dict(n=n, mid=mid, c=n % 7, qty=n % 50 + 1))
        self._sh("tests/services/dovecot.sh", "deliver", self.svc, self.user, "INBOX", path)
        return mid

    def sink(self):
        """{in_reply_to: [(message_id, body)]} of every message in the sink."""
        out = {}
        new = os.path.join(self.maildir, "new")
        for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            with open(os.path.join(new, name), "rb") as f:
                m = email.message_from_binary_file(f, policy=policy.default)
            body = m.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            out.setdefault(str(m["In-Reply-To"] or "").strip(), []).append(
                (str(m["Message-ID"] or "").strip(), text))
        return out

    # --- database and REST -----------------------------------------------
    def _psql(self, url, sql):
        subprocess.run(["psql", "-XAtq", "-d", url, "-c", sql], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def rows(self, sql):
        """The rows of sql as lists of strings ('' for NULL)."""
        r = subprocess.run(["psql", "-XAq", "-d", self.db, "-c",
                            "COPY (%s) TO STDOUT WITH (FORMAT csv)" % sql],
                           check=True, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        return list(csv.reader(io.StringIO(r.stdout)))

    def has_column(self, table, column):
        return bool(self.rows("SELECT 1 FROM information_schema.columns WHERE"
                              " table_name = '%s' AND column_name = '%s'" % (table, column)))

    def req(self, who, method, path, body=None, headers=None):
        """(status, JSON body or None) of one API call as who."""
        data = json.dumps(body).encode() if body is not None else None
        h = {"Authorization": "Bearer " + self.tokens[who]}
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        r = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method,
                                   headers=h)
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw or b"null")
            except ValueError:
                return e.code, None

    def list_all(self, path, key):
        """Every item of a paginated listing."""
        items, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            p = path + sep + "limit=200" + ("&cursor=" + cursor if cursor else "")
            code, j = self.req("alice", "GET", p)
            if code != 200:
                raise RuntimeError("GET %s: %s %s" % (p, code, j))
            items += j[key]
            cursor = j.get("next_cursor")
            if not cursor:
                return items


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


CONFIG = """[database]
url = %(db)s
[api]
listen = 127.0.0.1:%(api)d
[review]
send_delay = %(delay)d
claim_ttl = %(ttl)d
[smtp]
url = smtp://127.0.0.1:%(smtp)s
tls = off
[model]
templates_dir = %(src)s/deploy/templates
[agent]
# a worker killed mid-job gives its job back quickly
job_lease = 5
retry_delay = 1
[log]
level = info
[mailbox support]
url = imap://127.0.0.1:%(imap)s
starttls = off
user = %(user)s
password = pw
address = support@parts.example
poll_interval = 1
[connector inventory]
type = csv
key = sku
path = %(tmp)s/inventory.csv
cache_ttl = 0
"""

QUESTION = """From: Buyer %(n)d <buyer%(n)d@customer%(c)d.example>
To: support@parts.example
Subject: Stock check HP-20111 (%(n)d)
Date: Mon, 23 Nov 2026 09:01:00 +0000
Message-ID: %(mid)s
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hello,

do you have HP-20111 in stock? We need %(qty)d pieces.

Thanks,
Buyer %(n)d
"""

NEWSLETTER = """From: News <news@list%(c)d.example>
To: support@parts.example
Subject: Weekly news %(n)d
Date: Mon, 23 Nov 2026 09:01:00 +0000
Message-ID: %(mid)s
List-Id: <news.list%(c)d.example>
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

This week's news.
"""
