# SPDX-License-Identifier: MIT
"""Ingest and pipeline, side by side with their baselines, BENCH_RUNS times:

  1. mbsync (isync) pulls the INBOX into a fresh Maildir on tmpfs: the
     baseline, what it costs to move the mail off the IMAP server at all;
  2. `draftd poll --once` stores the same INBOX in a fresh database;
  3. PostgreSQL COPY of the very rows draftd stored into a table of the same
     shape, its indexes included (information: the cost of writing them at
     all), and into a bare table of the same columns without any index (the
     floor: writing the bytes);
  4. `draftd process --once` drafts the first BENCH_PIPELINE_MESSAGES of
     them (the other jobs are deferred a month: 10,000 would take three
     times as long as `make bench` may on a 2-core machine shared with other
     work; BENCH_PIPELINE_MESSAGES=10000 runs all) with the builtin backend,
     the demo's pg connectors and rules: drafts/s, and the CPU per draft of
     draftd (its rusage) and of PostgreSQL (every process of the cluster,
     from /proc), plus pg_stat_statements' statements, planning and
     execution per message.
"""
import os

from benchlib import conf, draftd, proc
from benchlib.mail import mail_set, set_bytes
from benchlib.report import Figure
from benchlib.svc import BenchError, sh

USER = "bench"


def mbsync(ctx, n):
    near = ctx.svc.tmpfs_dir(max(256, 3 * n // 100 + 256))
    rc = os.path.join(ctx.tmp, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("""IMAPAccount bench
Host 127.0.0.1
Port %d
User %s
Pass pw
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path %s/
Inbox %s/INBOX

Channel bench
Far :far:INBOX
Near :near:INBOX
Sync Pull
Create Near
SyncState *
""" % (ctx.svc.imap_port, USER, near, near))
    m = proc.run_measured(["mbsync", "-c", rc, "-q", "bench"], ctx.log("mbsync"))
    got = sum(len(os.listdir(os.path.join(near, "INBOX", sub))) for sub in ("cur", "new"))
    sh(["rm", "-rf", near])
    if m["rc"] != 0 or got != n:
        raise BenchError("mbsync exited %d with %d of %d messages (log %s)"
                         % (m["rc"], got, n, ctx.log("mbsync")))
    return m["seconds"]


def copy_rows(ctx, url, dump, like="INCLUDING ALL"):
    """Seconds for psql's \\copy of the stored messages rows into an empty
    table LIKE messages (by default its indexes, checks, storage and
    compression included; no triggers), in COPY's binary format (the text
    format spends a third more on bytea's hex escapes)."""
    ctx.svc.psql("DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy"
                 " (LIKE messages %s);" % like, url)
    if not os.path.exists(dump):
        ctx.svc.psql("\\copy messages TO '%s' WITH (FORMAT binary)" % dump, url)
    m = proc.run_measured(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                           "\\copy bench_copy FROM '%s' WITH (FORMAT binary)" % dump],
                          ctx.log("copy"))
    ctx.svc.psql("DROP TABLE bench_copy;", url)
    if m["rc"] != 0:
        raise BenchError("COPY failed (log %s)" % ctx.log("copy"))
    return m["seconds"]


def statements(ctx, url):
    """pg_stat_statements over draftd's database since the last reset:
    statements, planning ms, execution ms."""
    row = ctx.svc.psql(
        "SELECT coalesce(sum(calls), 0), coalesce(sum(total_plan_time), 0),"
        " coalesce(sum(total_exec_time), 0) FROM pg_stat_statements"
        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'draftd')",
        ctx.svc.admin_url)[0]
    return int(row[0]), float(row[1]), float(row[2])


def top_statements(ctx, per):
    """The 10 statements that took the most execution time since the last
    reset: [query head, calls per message, exec ms per message], so a run
    says where PostgreSQL's time went (per: the messages processed)."""
    rows = ctx.svc.psql(
        "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 100), calls, total_exec_time"
        " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
        " WHERE datname = 'draftd') ORDER BY total_exec_time DESC LIMIT 10",
        ctx.svc.admin_url)
    return [[q, round(int(c) / per, 3), round(float(t) / per, 4)] for q, c, t in rows]


def run(ctx):
    s = ctx.sizes
    n = s.messages
    pick = min(s.pipeline_messages, n)
    files = mail_set(ctx, n)
    ctx.svc.add_users([USER])
    ctx.svc.fill(USER, files)
    ctx.svc.index([USER])
    cfg = os.path.join(ctx.tmp, "ingest.conf")
    conf.write(cfg, ctx, ctx.svc.url, [USER])
    dump = os.path.join(ctx.tmp, "messages.copy")
    r = {k: [] for k in ("mbsync", "poll", "copy", "bare", "poll_cpu", "poll_cpu_d", "poll_cpu_pg", "drafts_s", "msgs_s",
                         "cpu_d", "cpu_pg", "cpu_all", "stmts", "plan", "exec", "rss",
                         "top")}
    drafted = skipped = 0
    for i in range(s.runs):
        ctx.say("ingest run %d/%d: mbsync, then draftd poll --once, COPY, process --once"
                % (i + 1, s.runs))
        url = draftd.fresh_db(ctx, cfg)
        r["mbsync"].append(mbsync(ctx, n))
        m = draftd.measured(ctx, "poll", ["poll", "--once"], cfg)
        stored, _, queued = draftd.counts(ctx, url)
        if stored != n:
            raise BenchError("poll --once stored %d of %d messages" % (stored, n))
        r["poll"].append(m["seconds"])
        r["poll_cpu"].append((m["cpu"] + m["pg_cpu"]) * 1000.0 / n)
        r["poll_cpu_d"].append(m["cpu"] * 1000.0 / n)
        r["poll_cpu_pg"].append(m["pg_cpu"] * 1000.0 / n)
        r["copy"].append(copy_rows(ctx, url, dump))
        r["bare"].append(copy_rows(ctx, url, dump, "INCLUDING STORAGE INCLUDING COMPRESSION"
                                   " INCLUDING GENERATED"))
        if pick < n:
            ctx.svc.psql("UPDATE jobs SET next_attempt_at = now() + interval '30 days'"
                         " WHERE message_id NOT IN (SELECT id FROM messages ORDER BY id"
                         " LIMIT %d)" % pick, url)
        deferred = queued - int(ctx.svc.value(
            "SELECT count(*) FROM jobs WHERE state = 'queued' AND next_attempt_at <= now()", url))
        queued -= deferred
        ctx.svc.psql("SELECT pg_stat_statements_reset();", ctx.svc.admin_url)
        m = draftd.measured(ctx, "process", ["process", "--once"], cfg)
        stmts, plan, execute = statements(ctx, url)
        _, drafts, left = draftd.counts(ctx, url)
        if left != deferred or drafts == 0:
            raise BenchError("process --once left %d of %d jobs and made %d drafts"
                             % (left - deferred, queued, drafts))
        drafted = drafts
        skipped = int(ctx.svc.value("SELECT count(*) FROM (SELECT state FROM messages"
                                    " ORDER BY id LIMIT %d) x WHERE state = 'skipped'" % pick,
                                    url))
        ctx.say("  mbsync %.2f s, poll %.2f s, COPY %.2f s (bare %.2f s), %d drafts in %.1f s"
                % (r["mbsync"][-1], r["poll"][-1], r["copy"][-1], r["bare"][-1], drafts,
                   m["seconds"]))
        r["drafts_s"].append(drafts / m["seconds"])
        r["msgs_s"].append(queued / m["seconds"])
        r["cpu_d"].append(m["cpu"] * 1000.0 / drafts)
        r["cpu_pg"].append(m["pg_cpu"] * 1000.0 / drafts)
        r["cpu_all"].append((m["cpu"] + m["pg_cpu"]) * 1000.0 / drafts)
        r["stmts"].append(stmts / queued)
        r["plan"].append(plan / queued)
        r["exec"].append(execute / queued)
        r["top"].append(top_statements(ctx, queued))
        r["rss"].append(m["maxrss_kb"] / 1024.0)
    mb = set_bytes(files) / 1e6
    what = "%d messages, %.1f MB, %s" % (n, mb, ctx.mail_info.get("b", ""))
    ctx.state["ingest_url"] = url
    ctx.state["ingest_conf"] = cfg
    return [
        Figure("ingest %d msgs: poll --once" % n, "s", r["poll"], r["mbsync"],
               "mbsync, same folder to a tmpfs Maildir", ("ratio", "<=", 1.5),
               details={"mail": what}),
        Figure("ingest vs PostgreSQL COPY of the same rows", "s", r["poll"], r["copy"],
               "psql \\copy (binary) of draftd's messages rows into a table LIKE messages"),
        Figure("ingest vs COPY into a bare table (no index)", "s", r["poll"], r["bare"],
               "the same \\copy into a table of the same columns without indexes"),
        Figure("ingest CPU per message, draftd + PostgreSQL", "ms", r["poll_cpu"],
               details={"draftd_ms": r["poll_cpu_d"], "postgres_ms": r["poll_cpu_pg"]}),
        Figure("  of which draftd (ingest)", "ms", r["poll_cpu_d"]),
        Figure("  of which PostgreSQL (ingest)", "ms", r["poll_cpu_pg"]),
        Figure("pipeline process --once", "drafts/s", r["drafts_s"],
               target=("value", ">=", 1000),
               note="%d drafts of %d messages (%d skipped), builtin backend, pg connectors"
               % (drafted, pick, skipped) + ("" if pick == n else
                                               " (the first %d of the %d ingested)" % (pick, n)),
               details={"messages_per_s": r["msgs_s"], "peak_rss_mb": r["rss"]}),
        Figure("pipeline CPU per draft, draftd + PostgreSQL", "ms", r["cpu_all"],
               target=("value", "<=", 1.0),
               details={"draftd_ms": r["cpu_d"], "postgres_ms": r["cpu_pg"]}),
        Figure("  of which draftd", "ms", r["cpu_d"]),
        Figure("  of which PostgreSQL", "ms", r["cpu_pg"]),
        Figure("pipeline SQL statements per message", "stmts", r["stmts"],
               details={"plan_ms_per_message": r["plan"], "exec_ms_per_message": r["exec"],
                        "top_statements_per_message": r["top"]}),
        Figure("pipeline SQL planning per message", "ms", r["plan"], r["exec"],
               "execution time of the same statements (pg_stat_statements)"),
    ]
