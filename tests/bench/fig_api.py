# SPDX-License-Identifier: MIT
"""The review queue's first page, GET /api/v1/drafts?status=pending&limit=50,
with BENCH_API_DRAFTS drafts, against pgbench running the same SQL.

The pipeline's drafts (fig_ingest) are copied up to the queue size
(benchlib/clone.py). The SQL is caught in PostgreSQL's log while draftd
answers one request (log_statement = all), with its parameters written in,
and pgbench runs it unprepared (-M simple) at the same concurrency as wrk,
for BENCH_API_SECONDS each, BENCH_RUNS times, alternating.
"""
import fig_browser
from benchlib import clone, conf, draftd, load
from benchlib.report import Figure

PATH = "/api/v1/drafts?status=pending&limit=50"


def measure(ctx, url, cfg, label):
    """Figures for the queue in database url (config cfg), label naming it."""
    s = ctx.sizes
    d = draftd.Daemon(ctx, cfg, "api-run")
    base = "http://127.0.0.1:%d" % conf.api_port(cfg)
    figures = []
    try:
        load.wait_http(base + "/healthz")
        tok = draftd.token(ctx, cfg, "bench-api")
        status, body = load.get(base + PATH, tok)
        sql, stmts = load.capture_sql(ctx, lambda: load.get(base + PATH, tok))
        pending = int(ctx.svc.value("SELECT count(*) FROM drafts WHERE status = 'pending'",
                                    url))
        for conns in [int(x) for x in str(s.api_connections).split(",") if x]:
            r = {"rps": [], "p99": [], "tps": [], "pg99": []}
            for i in range(s.runs):
                ctx.say("API %d connections, run %d/%d: wrk, then pgbench (%d s each)"
                        % (conns, i + 1, s.runs, s.api_seconds))
                rps, p99 = load.wrk(ctx, base + PATH, tok, conns, s.api_seconds,
                                    "wrk-%d-%d" % (conns, i))
                r["rps"].append(rps)
                r["p99"].append(p99)
                tps, p = load.pgbench(ctx, url, sql, conns, s.api_seconds,
                                      "pgbench-%d-%d" % (conns, i))
                r["tps"].append(tps)
                r["pg99"].append(p)
            name = "API %s, %d conn" % (label, conns)
            figures += [
                Figure(name + ": req/s", "req/s", r["rps"], r["tps"],
                       "pgbench -M simple, same SQL, %d connections (tps)" % conns,
                       ("ratio", ">=", 1.0)),
                Figure(name + ": p99", "ms", r["p99"], r["pg99"],
                       "pgbench's p99 at %d connections" % conns, ("ratio", "<=", 1.2)),
            ]
        figures += fig_browser.measure(ctx, base, tok)
        figures.append(Figure("API SQL statements per request", "stmts", [stmts],
                              note="GET %s, %d pending drafts, first page %d bytes"
                              % (PATH, pending, len(body)),
                              details={"sql": sql}))
    finally:
        d.stop()
    return figures


def run(ctx):
    url, cfg = ctx.state["ingest_url"], ctx.state["ingest_conf"]
    total = ctx.sizes.api_drafts
    ctx.say("API: filling the queue to %d drafts" % total)
    clone.fill_queue(ctx, url, total)
    return measure(ctx, url, cfg, "drafts page (%s)" % (
        "%dk" % round(total / 1000) if total >= 1000 else total))
