# SPDX-License-Identifier: MIT
"""Running draftd's subcommands and daemon for the bench."""
import os

from . import proc
from .svc import BenchError, sh


def migrate(ctx, conf):
    sh([ctx.draftd, "migrate", "--config", conf], log=ctx.log("migrate"))


def fresh_db(ctx, conf, name="draftd"):
    """An empty, migrated draftd database; returns its URL."""
    url = ctx.svc.reset_db(name)
    migrate(ctx, conf)
    return url


def token(ctx, conf, name="bench"):
    out = sh([ctx.draftd, "token", "create", "--config", conf, "--name", name,
              "--role", "reviewer"])
    return out.strip().splitlines()[-1]


def measured(ctx, what, args, conf):
    """Runs `draftd ARGS --config CONF` to its end; its wall time and CPU, and
    the CPU PostgreSQL spent meanwhile (every server process of the cluster)."""
    pm = ctx.svc.postmaster_pid()
    # the bench's own psql sessions end first: a backend still exiting at
    # the start would be counted twice (alive now, reaped later)
    before = proc.pg_quiet(pm)
    pg0 = proc.tree_cpu(pm)
    m = proc.run_measured([ctx.draftd] + args + ["--config", conf], ctx.log(what))
    proc.pg_settled(pm, before)
    m["pg_cpu"] = proc.tree_cpu(pm) - pg0
    if m["rc"] != 0:
        raise BenchError("draftd %s exited %d (log %s)" % (" ".join(args), m["rc"],
                                                          ctx.log(what)))
    return m


def counts(ctx, url):
    """messages, drafts, jobs still queued or running."""
    row = ctx.svc.psql("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM drafts),"
                       " (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running'))",
                       url)[0]
    return int(row[0]), int(row[1]), int(row[2])


class Daemon:
    """`draftd run` in the background, stopped by its PID."""

    def __init__(self, ctx, conf, what="run", env=None):
        self.ctx = ctx
        self.log = ctx.log(what)
        e = dict(os.environ)
        e.update(env or {})
        self.p = proc.start([ctx.draftd, "run", "--config", conf], self.log, env=e)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def status(self):
        return proc.status(self.pid)

    def cpu(self):
        return proc.cpu_seconds(self.pid)

    def stop(self):
        rc = proc.stop(self.p)
        return rc

    def wait_drained(self, url, messages, timeout):
        """Until `messages` are stored and no job is left; False on timeout or
        when the daemon died."""
        def done():
            if not self.alive():
                return True
            n, _, left = counts(self.ctx, url)
            return n >= messages and left == 0
        ok = proc.wait_until(done, timeout, 0.25)
        if not self.alive():
            raise BenchError("draftd run died (log %s)" % self.log)
        return ok
