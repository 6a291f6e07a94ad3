# SPDX-License-Identifier: MIT
"""IDLE: from a message's arrival to its pending draft, against the floor.

`draftd run` watches one mailbox with IDLE (builtin backend). For each of
BENCH_IDLE_ARRIVALS arrivals per run (BENCH_RUNS runs), a stock inquiry
with its own Message-ID is APPENDed; the arrival time is the server's OK to
the APPEND. The floor is a bare IDLE client on the same INBOX (imapc.py):
when it is told EXISTS for that message. draftd's time is when the pending
draft's row is inserted (clock_timestamp() in an AFTER INSERT trigger the
bench adds on drafts; the commit follows within a millisecond). The next
arrival waits until both have seen this one.
"""
import os
import re

from benchlib import conf, draftd, imapc, proc
from benchlib.report import Figure, percentile
from benchlib.svc import BenchError, PsqlSession

USER = "idle"
TRIGGER = """
CREATE TABLE bench_draft_times (draft_id bigint, message_id bigint, status text,
    application text, at timestamptz);
CREATE FUNCTION bench_draft_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_draft_times VALUES (NEW.id, NEW.message_id, NEW.status,
        current_setting('application_name'), clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER bench_draft_time AFTER INSERT ON drafts
    FOR EACH ROW EXECUTE FUNCTION bench_draft_time();
"""


def arrival(template, n):
    raw = re.sub(rb"(?im)^message-id:[^\n]*\n", b"", template, count=1)
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    head += b"\nMessage-ID: <idle-%d@bench.example>" % n
    body += b"\nOur reference: IDLE-%d\n" % n
    return (head + b"\n\n" + body).replace(b"\n", b"\r\n")


def run(ctx):
    s = ctx.sizes
    ctx.svc.add_users([USER])
    cfg = os.path.join(ctx.tmp, "idle.conf")
    conf.write(cfg, ctx, ctx.svc.url, [USER], idle=True)
    url = draftd.fresh_db(ctx, cfg)
    ctx.svc.psql(TRIGGER, url)
    with open(os.path.join(ctx.src, "deploy/demo/mail/01-stock-inquiry-en.eml"), "rb") as f:
        template = f.read()
    d = draftd.Daemon(ctx, cfg, "idle-run")
    watcher = appender = db = None
    floor_runs, value_runs = [], []
    floor_p50, value_p50, all_floor, all_value = [], [], [], []
    try:
        # draftd is in IDLE once its mailbox row shows a first poll
        db = PsqlSession(url)
        if not proc.wait_until(lambda: db.query("SELECT count(*) FROM mailboxes WHERE last_poll_at"
                                                " IS NOT NULL")[0][0] == "1", 30, 0.05):
            raise BenchError("draftd did not poll its IDLE mailbox (log %s)" % d.log)
        watcher = imapc.IdleWatcher(ctx.svc.imap_port, USER, "pw")
        watcher.start()
        appender = imapc.Appender(ctx.svc.imap_port, USER, "pw")
        n = watcher.exists
        for r in range(s.runs):
            ctx.say("IDLE run %d/%d: %d arrivals" % (r + 1, s.runs, s.idle_arrivals))
            floor, value = [], []
            for _ in range(s.idle_arrivals):
                n += 1
                t0 = appender.append(arrival(template, n))
                t_seen = watcher.wait_for(n, 30)
                at = None
                mid = "<idle-%d@bench.example>" % n

                def drafted():
                    nonlocal at
                    rows = db.query("SELECT extract(epoch FROM t.at) FROM bench_draft_times t"
                                    " JOIN messages m ON m.id = t.message_id"
                                    " WHERE m.message_id = '%s' AND t.status = 'pending'"
                                    % mid)
                    if rows:
                        at = float(rows[0][0])
                    return at is not None
                if t_seen is None or not proc.wait_until(drafted, 30, 0.01):
                    raise BenchError("arrival %d: %s" % (
                        n, "no EXISTS at the bare client" if t_seen is None
                        else "no pending draft within 30 s (log %s)" % d.log))
                floor.append((t_seen - t0) * 1000.0)
                value.append((at - t0) * 1000.0)
            floor_runs.append(percentile(floor, 99))
            value_runs.append(percentile(value, 99))
            floor_p50.append(percentile(floor, 50))
            value_p50.append(percentile(value, 50))
            all_floor += floor
            all_value += value
    finally:
        for x in (watcher, appender, db):
            if x is not None:
                x.close()
        d.stop()
    k = s.idle_arrivals
    return [
        Figure("IDLE arrival -> pending draft, p99 of %d" % k, "ms", value_runs, floor_runs,
               "a bare IDLE client's p99 to see EXISTS for the same arrivals",
               ("over_baseline", "<=", 50),
               details={"draftd_ms": all_value, "bare_client_ms": all_floor}),
        Figure("IDLE arrival -> pending draft, p50 of %d" % k, "ms", value_p50, floor_p50,
               "the bare IDLE client's p50"),
    ]
