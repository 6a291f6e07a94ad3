# SPDX-License-Identifier: MIT
"""HTTP and SQL load: wrk against draftd's API, pgbench running the SQL the
API runs, and catching that SQL (with its parameters) in PostgreSQL's log."""
import glob
import os
import re
import time
import urllib.request

from . import proc
from .report import percentile
from .svc import BenchError, sh


def wait_http(url, timeout=30):
    def up():
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False
    if not proc.wait_until(up, timeout, 0.2):
        raise BenchError("%s does not answer 200" % url)


def get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def wrk(ctx, url, token, conns, seconds, what):
    """requests/s and p99 (ms) of `wrk --latency`, or (None, None) when a
    request failed (non-2xx or a socket error)."""
    lua = os.path.join(ctx.tmp, "auth.lua")
    with open(lua, "w") as f:
        f.write('wrk.headers["Authorization"] = "Bearer %s"\n' % token)
    log = ctx.log(what)
    threads = min(2, conns)
    sh(["timeout", str(seconds + 60), "wrk", "-t%d" % threads, "-c%d" % conns,
        "-d%ds" % seconds, "--timeout", "10s", "--latency", "-s", lua, url], log=log, check=False)
    with open(log) as f:
        text = f.read().rsplit("Running ", 1)[-1]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    if not rps or not p99 or errors:
        ctx.say("wrk: %d failed requests or no figures (log %s)" % (errors, log))
        return None, None
    return float(rps.group(1)), float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[
        p99.group(2)]


def pgbench(ctx, db_url, sql, conns, seconds, what):
    """tps and p99 (ms, from the per-transaction log) of pgbench running sql
    unprepared (-M simple) on conns connections."""
    script = os.path.join(ctx.tmp, "api.sql")
    with open(script, "w") as f:
        f.write(sql.strip().rstrip(";") + ";\n")
    logdir = os.path.join(ctx.tmp, "pgbench-" + what)
    os.makedirs(logdir, exist_ok=True)
    log = ctx.log(what)
    out = sh(["pgbench", "-n", "-M", "simple", "-c", str(conns), "-j", str(min(2, conns)),
              "-T", str(seconds), "-f", script, "-l", "--log-prefix",
              os.path.join(logdir, "tx"), db_url])
    with open(log, "a") as f:
        f.write(out)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    lat = []
    for path in glob.glob(os.path.join(logdir, "tx*")):
        with open(path) as f:
            lat += [int(line.split()[2]) / 1000.0 for line in f if line.strip()]
        os.unlink(path)
    if not tps or not lat:
        raise BenchError("pgbench gave no figures (log %s)" % log)
    return float(tps.group(1)), percentile(lat, 99)


PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL):  (.*)$")


def capture_sql(ctx, request):
    """Runs request() with log_statement = all and returns (sql, statements):
    the statement that reads the drafts list with its parameters written in
    as literals (for pgbench -M simple), and how many statements the same
    connection ran for the request."""
    svc = ctx.svc
    log = os.path.join(svc.dir, "pg.log")
    start = os.path.getsize(log)
    svc.psql("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();", svc.admin_url)
    time.sleep(0.5)
    try:
        request()
    finally:
        svc.psql("ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf();", svc.admin_url)
    with open(log, errors="replace") as f:
        f.seek(start)
        lines = f.read().splitlines()
    entries = []  # (pid, kind, text)
    for line in lines:
        m = LINE.match(line)
        if m:
            entries.append([int(m.group(1)), m.group(2), m.group(3)])
        elif entries and line.startswith("\t"):
            entries[-1][2] += " " + line.strip()
    sql = pid = None
    for i, (p, kind, text) in enumerate(entries):
        # the queue's listing by status (FROM its per-status ranges) or the
        # general one (FROM drafts d): both join the draft's message so
        if kind == "LOG" and "json_agg(p.j" in text and \
                "JOIN messages m ON m.id = d.message_id" in text and "execute" in text:
            sql, pid = text.split(": ", 1)[1], p
            params = {}
            if i + 1 < len(entries) and entries[i + 1][1] == "DETAIL":
                params = dict(PARAM.findall(entries[i + 1][2]))
            for n in sorted(params, key=int, reverse=True):
                sql = sql.replace("$" + n, params[n])
            break
    if sql is None:
        raise BenchError("the drafts list's SQL did not show in %s" % log)
    # a new connection's SET TIME ZONE is session setup, not the request's
    stmts = sum(1 for p, kind, text in entries if p == pid and kind == "LOG" and (
        text.startswith("execute") or (text.startswith("statement:")
                                       and not text.startswith("statement: SET "))))
    return sql, stmts
