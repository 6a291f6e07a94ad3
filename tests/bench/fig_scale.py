# SPDX-License-Identifier: MIT
"""`make bench-scale`: BENCH_SCALE_MESSAGES (100,000) messages over
BENCH_SCALE_MAILBOXES (200) mailboxes on one machine.

One `draftd run` (IDLE, builtin backend, default settings) ingests and
drafts them all; sampled every 2 s: VmHWM, threads, connections to draftd's
database, draftd's and PostgreSQL's CPU. Then the review queue's first page
with the resulting queue (filled up to BENCH_API_DRAFTS with copies if the
pipeline made fewer drafts) against pgbench, as in `make bench`.
"""
import os
import time

import fig_api
from benchlib import clone, conf, draftd, proc
from benchlib.mail import mail_set, set_bytes
from benchlib.report import Figure
from benchlib.svc import BenchError

DEFAULT_WORKERS = 2


def run(ctx):
    s = ctx.sizes
    n, boxes = s.scale_messages, s.scale_mailboxes
    files = mail_set(ctx, n, seed=17, prefix="s")
    users = ["s_%03d" % i for i in range(boxes)]
    ctx.say("scale: %d messages (%.0f MB) into %d mailboxes" % (n, set_bytes(files) / 1e6,
                                                               boxes))
    ctx.svc.add_users(users)
    for i, u in enumerate(users):
        ctx.svc.fill(u, files[i::boxes])
    ctx.svc.index(users)
    cfg = os.path.join(ctx.tmp, "scale.conf")
    conf.write(cfg, ctx, ctx.svc.url, users, idle=True)
    url = draftd.fresh_db(ctx, cfg)
    pm = ctx.svc.postmaster_pid()
    pg0 = proc.tree_cpu(pm)
    t0 = time.monotonic()
    d = draftd.Daemon(ctx, cfg, "scale-run")
    samples, stored_at = [], None
    try:
        deadline = t0 + 600 + n * 0.05
        while True:
            time.sleep(2)
            if not d.alive():
                raise BenchError("draftd run died (log %s)" % d.log)
            stored, drafts, left = draftd.counts(ctx, url)
            st = d.status()
            # draftd's own: not autovacuum's workers on its database (the
            # sixth connection of the 2026-12-07 run) nor the bench's psql
            conns = int(ctx.svc.value("SELECT count(*) FROM pg_stat_activity"
                                      " WHERE datname = 'draftd' AND application_name = 'draftd'",
                                      ctx.svc.admin_url))
            samples.append({"t": round(time.monotonic() - t0, 1), "stored": stored,
                            "drafts": drafts, "jobs_left": left, "conns": conns, **st})
            if stored >= n and stored_at is None:
                stored_at = time.monotonic() - t0
            if stored >= n and left == 0:
                break
            if time.monotonic() > deadline:
                raise BenchError("scale: %d of %d stored, %d jobs left after %.0f s"
                                 % (stored, n, left, time.monotonic() - t0))
            if len(samples) % 15 == 0:
                ctx.say("scale: %d stored, %d drafts, %d jobs left" % (stored, drafts, left))
        secs = time.monotonic() - t0
        draftd_cpu = d.cpu()
        pg_cpu = proc.tree_cpu(pm) - pg0
        st = d.status()
    finally:
        d.stop()
    stored, drafts, _ = draftd.counts(ctx, url)
    info = {"messages": n, "mailboxes": boxes, "seconds": secs, "stored_after_s": stored_at,
            "drafts": drafts, "draftd_cpu_s": draftd_cpu, "postgres_cpu_s": pg_cpu,
            "samples": samples}
    ctx.state["scale"] = info
    peak_conns = max(x["conns"] for x in samples)
    figs = [
        Figure("scale: %d msgs, %d mailboxes, ingest + pipeline" % (n, boxes), "msgs/s",
               [n / secs], note="%.0f s in all, every message stored after %.0f s; %d drafts;"
               " CPU draftd %.0f s, PostgreSQL %.0f s"
               % (secs, stored_at or 0, drafts, draftd_cpu or 0, pg_cpu), details=info),
        Figure("scale: VmHWM", "MB", [st.get("VmHWM", 0) / 1024.0], target=("value", "<=", 64)),
        Figure("scale: threads", "threads", [st.get("Threads")]),
        Figure("scale: PostgreSQL connections (peak)", "conns", [peak_conns],
               target=("value", "<=", DEFAULT_WORKERS + 3)),
    ]
    if s.smoke:  # the same code as the api group's, which the smoke run has measured
        return figs
    ctx.say("scale: the API with the queue filled up to %d drafts" % s.api_drafts)
    clone.fill_queue(ctx, url, s.api_drafts)
    return figs + fig_api.measure(ctx, url, cfg, "drafts page, scale queue")
