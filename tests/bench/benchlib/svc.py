# SPDX-License-Identifier: MIT
"""The services the bench measures against: tests/services' PostgreSQL,
Dovecot and SMTP sink in one temp dir (stopped by PID through all.sh stop),
plus a tmpfs for the mbsync baseline's Maildir.
"""
import os
import re
import shutil
import subprocess
import tempfile

from . import proc

PY3 = "/usr/bin/python3"
PGBIN = "/usr/lib/postgresql/15/bin"
os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin:" + PGBIN


class BenchError(Exception):
    """The bench itself could not run (exit 2), as opposed to a missed target."""


def sh(cmd, log=None, check=True, input_bytes=None, env=None):
    """Runs cmd; its output goes to log (appended) or is returned."""
    if log is not None:
        with open(log, "ab") as out:
            r = subprocess.run(cmd, stdout=out, stderr=out, input=input_bytes, env=env)
        out_text = ""
    else:
        r = subprocess.run(cmd, capture_output=True, input=input_bytes, env=env)
        out_text = r.stdout.decode(errors="replace")
    if check and r.returncode != 0:
        tail = ""
        if log is not None and os.path.exists(log):
            with open(log, errors="replace") as f:
                tail = "".join(f.readlines()[-8:])
        else:
            tail = r.stderr.decode(errors="replace")[-2000:]
        raise BenchError("%s exited %d\n%s" % (" ".join(cmd[:4]), r.returncode, tail))
    return out_text


class Services:
    def __init__(self, src, tmp):
        self.src = src
        self.tmp = tmp
        self.dir = os.path.join(tmp, "svc")
        self.tmpfs = None
        self._tmpfs_mounted = False
        self.env = {}
        self.users = set()

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        log = os.path.join(self.tmp, "services.log")
        sh([os.path.join(self.src, "tests/services/all.sh"), "start", self.dir], log=log)
        with open(os.path.join(self.dir, "env.sh")) as f:
            for line in f:
                m = re.match(r"export (\w+)=(.*)$", line.strip())
                if m:
                    self.env[m.group(1)] = m.group(2).strip("'\"")
        self.url = self.env["DRAFTD_TEST_DATABASE_URL"]
        self.biz_url = self.env["DRAFTD_TEST_BUSINESS_URL"]
        self.admin_url = self.url.rsplit("/", 1)[0] + "/postgres"
        self.imap_port = int(self.env["DRAFTD_TEST_IMAP_PORT"])
        self.dovecot_conf = os.path.join(self.dir, "dovecot.conf")

    def stop(self):
        subprocess.run([os.path.join(self.src, "tests/services/all.sh"), "stop", self.dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self._tmpfs_mounted:
            subprocess.run(["umount", self.tmpfs], stderr=subprocess.DEVNULL)
            self._tmpfs_mounted = False
        if self.tmpfs and os.path.isdir(self.tmpfs):
            shutil.rmtree(self.tmpfs, ignore_errors=True)

    def postmaster_pid(self):
        with open(os.path.join(self.dir, "pg.pid")) as f:
            return int(f.read().split()[0])

    # --- PostgreSQL ---------------------------------------------------------

    def psql(self, sql, url=None):
        """Rows (lists of strings) of the last statement of sql."""
        out = sh(["psql", "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url or self.url,
                  "-f", "-"], input_bytes=sql.encode())
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def value(self, sql, url=None):
        rows = self.psql(sql, url)
        return rows[0][0] if rows and rows[0] else None

    def pg_settings(self, settings):
        """Settings appended to the cluster's postgresql.conf (ALTER SYSTEM
        refuses an extension's settings before the extension is loaded),
        then a restart (pg.sh restart: by PID)."""
        with open(os.path.join(self.dir, "pg/data/postgresql.conf"), "a") as f:
            f.write("# added by tests/bench\n")
            f.write("".join("%s = '%s'\n" % kv for kv in settings.items()))
        sh([os.path.join(self.src, "tests/services/pg.sh"), "restart", self.dir],
           log=os.path.join(self.tmp, "services.log"))
        self.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;", self.admin_url)

    def reset_db(self, name="draftd"):
        """An empty database NAME (dropped with its connections first)."""
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE);\nCREATE DATABASE %s;\n"
                  % (name, name), self.admin_url)
        return self.url.rsplit("/", 1)[0] + "/" + name

    def load_business(self):
        data = os.path.join(self.src, "deploy/demo/data")
        self.psql("""
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand int,
    unit_price_eur numeric, lead_time_days int, discontinued bool);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text,
    carrier text, tracking_number text, ship_date date, eta date, total_eur numeric);
\\copy inventory FROM '%s/inventory.csv' WITH (FORMAT csv, HEADER true)
\\copy orders FROM '%s/orders.csv' WITH (FORMAT csv, HEADER true)
""" % (data, data), self.biz_url)

    # --- Dovecot ------------------------------------------------------------

    def mail_owner(self):
        return ("nobody", "nogroup") if os.getuid() == 0 else (None, None)

    def add_users(self, names, password="pw"):
        """Mail accounts, written to the passwd-file at once (dovecot.sh
        adduser per user takes a doveadm round trip each: too slow for 200)."""
        users_file = os.path.join(self.dir, "users")
        with open(users_file) as f:
            lines = [ln for ln in f.read().splitlines() if ln.split(":", 1)[0] not in names]
        lines += ["%s:{PLAIN}%s" % (n, password) for n in names]
        with open(users_file + ".new", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(users_file + ".new", 0o644)
        os.rename(users_file + ".new", users_file)
        for n in names:
            for sub in ("new", "cur", "tmp"):
                os.makedirs(self.maildir(n, sub), exist_ok=True)
            self._chown(os.path.join(self.dir, "mail", n))
        self.users.update(names)
        # the auth process re-reads the file on its next lookup: wait until it has
        proc.wait_until(lambda: subprocess.run(
            ["doveadm", "-c", self.dovecot_conf, "user", names[-1]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0, 10)

    def maildir(self, user, sub=""):
        return os.path.join(self.dir, "mail", user, "Maildir", sub)

    def _chown(self, path):
        user, group = self.mail_owner()
        if user:
            shutil.chown(path, user, group)
            for root, dirs, files in os.walk(path):
                for x in dirs + files:
                    shutil.chown(os.path.join(root, x), user, group)

    def fill(self, user, files):
        """Copies message files into user's INBOX (Maildir new/)."""
        new = self.maildir(user, "new")
        for path in files:
            shutil.copyfile(path, os.path.join(new, os.path.basename(path)))
        self._chown(self.maildir(user))

    def index(self, users):
        """Has Dovecot index the INBOXes now, so that no measured client pays
        for the first scan; returns the message counts."""
        lst = os.path.join(self.tmp, "users.lst")
        with open(lst, "w") as f:
            f.write("\n".join(users) + "\n")
        out = sh(["doveadm", "-c", self.dovecot_conf, "-f", "tab", "mailbox", "status",
                  "-F", lst, "messages", "INBOX"])
        return out

    # --- tmpfs for mbsync ---------------------------------------------------

    def tmpfs_dir(self, size_mb):
        """A fresh directory on tmpfs: a mount under the temp dir when we may
        mount (root), else one under /dev/shm."""
        if self.tmpfs is None:
            path = os.path.join(self.tmp, "tmpfs")
            os.makedirs(path, exist_ok=True)
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % size_mb, "tmpfs",
                                path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                self._tmpfs_mounted = True
            else:
                os.rmdir(path)
                path = tempfile.mkdtemp(prefix="draftd-bench.", dir="/dev/shm")
            self.tmpfs = path
        return tempfile.mkdtemp(dir=self.tmpfs)


class PsqlSession:
    """One psql connection kept open for many small queries (polling without
    a process start per query)."""

    MARK = "__bench_done__"

    def __init__(self, url):
        self.p = subprocess.Popen(["psql", "-XAtq", "-F", "\t", "-d", url],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def query(self, sql):
        self.p.stdin.write(sql.strip().rstrip(";") + ";\n\\echo " + self.MARK + "\n")
        self.p.stdin.flush()
        rows = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise BenchError("psql session ended")
            line = line.rstrip("\n")
            if line == self.MARK:
                return rows
            rows.append(line.split("\t"))

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
