# SPDX-License-Identifier: MIT
"""Memory, threads and PostgreSQL connections of `draftd run` with many
mailboxes in IDLE, after BENCH_MEM_MESSAGES messages were ingested and
drafted (builtin backend, default worker count):

  - BENCH_MEM_MAILBOXES (20) mailboxes: VmHWM, threads, connections to
    draftd's database (pg_stat_activity), and the run's throughput;
  - BENCH_MEM_BIG_MAILBOXES (200) mailboxes with the same messages spread
    over them: VmHWM and connections.

One run each (the figures are counts and a high-water mark; the time it
takes is the ingest and pipeline the other figures measure).
"""
import os
import time

from benchlib import conf, draftd
from benchlib.mail import mail_set
from benchlib.report import Figure

DEFAULT_WORKERS = 2  # [agent] workers when not set (deploy/draftd.conf.example)


def one(ctx, files, boxes, tag):
    s = ctx.sizes
    users = ["%s_%03d" % (tag, i) for i in range(boxes)]
    ctx.svc.add_users(users)
    for i, u in enumerate(users):
        ctx.svc.fill(u, files[i::boxes])
    ctx.svc.index(users)
    cfg = os.path.join(ctx.tmp, "%s.conf" % tag)
    conf.write(cfg, ctx, ctx.svc.url, users, idle=True)
    url = draftd.fresh_db(ctx, cfg)
    t0 = time.monotonic()
    d = draftd.Daemon(ctx, cfg, "%s-run" % tag)
    try:
        ok = d.wait_drained(url, len(files), 120 + len(files) * 0.2)
        secs = time.monotonic() - t0
        time.sleep(0.5 if s.smoke else 2)  # every poller back in IDLE
        st = d.status()
        conns = int(ctx.svc.value("SELECT count(*) FROM pg_stat_activity"
                                  " WHERE datname = 'draftd' AND application_name = 'draftd'",
                                  ctx.svc.admin_url))
    finally:
        d.stop()
    stored, drafts, _ = draftd.counts(ctx, url)
    return {"ok": ok, "secs": secs, "hwm_mb": st.get("VmHWM", 0) / 1024.0,
            "rss_mb": st.get("VmRSS", 0) / 1024.0, "anon_mb": st.get("RssAnon", 0) / 1024.0,
            "file_mb": st.get("RssFile", 0) / 1024.0, "threads": st.get("Threads"),
            "conns": conns, "stored": stored, "drafts": drafts}


def run(ctx):
    s = ctx.sizes
    files = mail_set(ctx, s.mem_messages, seed=16, prefix="w")
    n, big = s.mem_mailboxes, s.mem_big_mailboxes
    ctx.say("memory: %d mailboxes in IDLE, %d messages" % (n, len(files)))
    a = one(ctx, files, n, "m%d" % n)
    label = "%d mailboxes, IDLE, after %d msgs" % (n, len(files))
    limit = DEFAULT_WORKERS + 3
    figs = [
        Figure(label + ": VmHWM", "MB", [a["hwm_mb"]], target=("value", "<=", 32),
               details=a),
        # VmHWM counts the pages of shared libraries and code draftd touched
        # (libcrypto, gnutls, libc, krb5 through libpq...) as well as its heap
        # and stacks: how much of the resident set each is, at the end
        Figure("  resident at the end: heap and stacks (RssAnon)", "MB", [a["anon_mb"]]),
        Figure("  resident at the end: libraries and code (RssFile)", "MB", [a["file_mb"]]),
        Figure(label + ": threads", "threads", [a["threads"]]),
        Figure(label + ": PostgreSQL connections", "conns", [a["conns"]],
               target=("value", "<=", limit), note="target: workers (%d) + 3"
               % DEFAULT_WORKERS),
        Figure("draftd run, %d mailboxes: ingest + pipeline" % n, "msgs/s",
               [len(files) / a["secs"]] if a["ok"] else [],
               note="%d stored, %d drafts" % (a["stored"], a["drafts"])),
    ]
    if big:
        ctx.say("memory: %d mailboxes in IDLE, %d messages" % (big, len(files)))
        b = one(ctx, files, big, "m%d" % big)
        label = "%d mailboxes, IDLE, after %d msgs" % (big, len(files))
        figs += [
            Figure(label + ": VmHWM", "MB", [b["hwm_mb"]], target=("value", "<=", 64),
                   details=b),
            Figure(label + ": threads", "threads", [b["threads"]]),
            Figure(label + ": PostgreSQL connections", "conns", [b["conns"]],
                   target=("value", "<=", limit)),
        ]
    return figs
