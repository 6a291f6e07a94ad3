# SPDX-License-Identifier: MIT
"""Two instances against one PostgreSQL splitting one mail stream
(`make bench-scale`, deploy/scaling.md).

BENCH_SPLIT_MESSAGES messages over BENCH_SPLIT_MAILBOXES mailboxes (IDLE,
builtin backend, default settings) are drafted first by one `draftd run`
(the baseline), then, in a fresh database, by two instances started
together with the same mailboxes, each connecting as its own database role
so that triggers the bench adds can say which instance stored each message,
made each draft and finished each job. Checked: every message stored once,
no message with two drafts, no job finished twice.
"""
import os
import time

from benchlib import conf, draftd
from benchlib.mail import mail_set
from benchlib.report import Figure
from benchlib.svc import BenchError

TRIGGERS = """
CREATE TABLE bench_who (tbl text, row_id bigint, message_id bigint, who text,
    at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION bench_who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'messages' THEN
        INSERT INTO bench_who (tbl, row_id, message_id, who)
            VALUES ('messages', NEW.id, NEW.id, session_user);
    ELSIF TG_TABLE_NAME = 'drafts' THEN
        INSERT INTO bench_who (tbl, row_id, message_id, who)
            VALUES ('drafts', NEW.id, NEW.message_id, session_user);
    ELSIF NEW.state = 'done' AND OLD.state <> 'done' THEN
        INSERT INTO bench_who (tbl, row_id, message_id, who)
            VALUES ('jobs', NEW.id, NEW.message_id, session_user);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bench_who AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION bench_who();
CREATE TRIGGER bench_who AFTER INSERT ON drafts FOR EACH ROW EXECUTE FUNCTION bench_who();
CREATE TRIGGER bench_who AFTER UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION bench_who();
"""


def role_url(url, role):
    scheme, rest = url.split("://", 1)
    return "%s://%s@%s" % (scheme, role, rest.split("@", 1)[1])


def drain(ctx, cfgs, url, n):
    t0 = time.monotonic()
    ds = [draftd.Daemon(ctx, c, "split-%d" % i) for i, c in enumerate(cfgs)]
    try:
        ok = all(d.wait_drained(url, n, 120 + n) for d in ds[:1])
        secs = time.monotonic() - t0
    finally:
        for d in ds:
            d.stop()
    if not ok:
        raise BenchError("the split run did not finish %d messages" % n)
    return n / secs


def run(ctx):
    s = ctx.sizes
    n, boxes = s.split_messages, s.split_mailboxes
    files = mail_set(ctx, n, seed=18, prefix="p")
    users = ["p_%d" % i for i in range(boxes)]
    ctx.svc.add_users(users)
    for i, u in enumerate(users):
        ctx.svc.fill(u, files[i::boxes])
    ctx.svc.index(users)
    ctx.svc.psql("DO $$ BEGIN CREATE ROLE draftd_a LOGIN SUPERUSER;"
                 " CREATE ROLE draftd_b LOGIN SUPERUSER;"
                 " EXCEPTION WHEN duplicate_object THEN NULL; END $$;", ctx.svc.admin_url)
    cfgs = []
    for who in ("a", "b"):
        c = os.path.join(ctx.tmp, "split-%s.conf" % who)
        conf.write(c, ctx, role_url(ctx.svc.url, "draftd_" + who), users, idle=True)
        cfgs.append(c)
    ctx.say("split: %d messages over %d mailboxes, one instance" % (n, boxes))
    url = draftd.fresh_db(ctx, cfgs[0])
    one = drain(ctx, cfgs[:1], url, n)
    ctx.say("split: the same %d messages, two instances" % n)
    url = draftd.fresh_db(ctx, cfgs[0])
    ctx.svc.psql(TRIGGERS, url)
    two = drain(ctx, cfgs, url, n)
    q = ctx.svc.value
    stored = int(q("SELECT count(*) FROM messages", url))
    twice = int(q("SELECT count(*) FROM (SELECT 1 FROM messages GROUP BY mailbox_id, message_id"
                  " HAVING count(*) > 1) x", url))
    lost = n - int(q("SELECT count(DISTINCT (mailbox_id, message_id)) FROM messages", url))
    two_drafts = int(q("SELECT count(*) FROM (SELECT 1 FROM drafts GROUP BY message_id"
                       " HAVING count(*) > 1) x", url))
    jobs_twice = int(q("SELECT count(*) FROM (SELECT 1 FROM bench_who WHERE tbl = 'jobs'"
                       " GROUP BY row_id HAVING count(*) > 1) x", url))
    split = {}
    for tbl, who, cnt in ctx.svc.psql("SELECT tbl, who, count(*) FROM bench_who"
                                      " GROUP BY 1, 2 ORDER BY 1, 2", url):
        split.setdefault(tbl, {})[who] = int(cnt)
    drafts = int(q("SELECT count(*) FROM drafts", url))

    def ab(tbl):
        d = split.get(tbl, {})
        return "%d/%d" % (d.get("draftd_a", 0), d.get("draftd_b", 0))
    ctx.state["split"] = {"messages": n, "mailboxes": boxes, "stored": stored,
                          "drafts": drafts, "stored_by": ab("messages"),
                          "drafted_by": ab("drafts"), "jobs_by": ab("jobs"),
                          "one_instance_msgs_s": one, "two_instances_msgs_s": two}
    note = ("stored by instance a/b %s, drafted %s, jobs finished %s; %d stored, %d drafts"
            % (ab("messages"), ab("drafts"), ab("jobs"), stored, drafts))
    return [
        Figure("two instances, %d mails: ingest + pipeline" % n, "msgs/s", [two], [one],
               "one instance, same mails and machine", note=note,
               details=ctx.state["split"]),
        Figure("two instances: messages lost or stored twice", "msgs", [lost + twice],
               target=("value", "<=", 0)),
        Figure("two instances: messages with two drafts", "msgs", [two_drafts],
               target=("value", "<=", 0)),
        Figure("two instances: jobs finished twice", "jobs", [jobs_twice],
               target=("value", "<=", 0)),
    ]
