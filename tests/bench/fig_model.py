# SPDX-License-Identifier: MIT
"""Model slots: how close draftd comes to what the model server can answer.

The stand-in (tests/fakes/openai_server.py --slots K --latency-ms L) answers
at most K requests at once, each after L ms, and queues the rest: no client
can get more than K/L answers a second. Each run stores
BENCH_MODEL_MESSAGES messages with `draftd poll --once`, then `draftd run`
(the default worker count, [model] max_in_flight = BENCH_MODEL_IN_FLIGHT)
drafts them through the stand-in; the baseline is a client that keeps 2K
requests outstanding on keep-alive connections, sending as many requests as
draftd's pipelines sent, with the body draftd sent last (a last round that
is not full costs both the same). Both rates are the server's count of
answers over the time from the first answer's start to the last one's end;
draftd's leave out its start-up probe (the one request `draftd run` sends
before its pipelines start, reported in the note with the start-up time).
A second figure counts draftd's PostgreSQL connections when the run has
drained (its pools keep what they opened): target workers + 3 (issue 14).
"""
import http.client
import json
import os
import threading

from benchlib import conf, draftd, proc
from benchlib.mail import mail_set
from benchlib.report import Figure
from benchlib.svc import PY3, BenchError

USER = "model"
DEFAULT_WORKERS = 2  # [agent] workers when not set (deploy/draftd.conf.example)


def server_call(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, body=body,
                  headers={"Content-Type": "application/json"} if body else {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def slots(port):
    return json.loads(server_call(port, "GET", "/_slots")[1])


def rate(rep, skip=0):
    """Answers a second from the start of request `skip` (in the server's
    order) to the last answer's end: skip=1 leaves out draftd's start-up
    probe, the one request it sends before its pipelines start."""
    starts = rep.get("starts") or [rep["first_start"]]
    if rep["served"] <= skip or len(starts) <= skip or rep["last_end"] <= starts[skip]:
        return None
    return (rep["served"] - skip) / (rep["last_end"] - starts[skip])


def saturate(port, n, conns, body):
    """n requests from conns keep-alive connections at once."""
    left = [n]
    lock = threading.Lock()
    errors = []

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            c.request("POST", "/v1/chat/completions", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise BenchError("the stand-in answered %d requests with errors" % len(errors))


def run(ctx):
    s = ctx.sizes
    k, lat, inflight = s.model_slots, s.model_latency_ms, s.model_in_flight
    files = mail_set(ctx, s.model_messages, seed=15, prefix="m")
    ctx.svc.add_users([USER])
    ctx.svc.fill(USER, files)
    ctx.svc.index([USER])
    port_file = os.path.join(ctx.tmp, "model.port")
    server = proc.start([PY3, os.path.join(ctx.src, "tests/fakes/openai_server.py"),
                         "--port", "0", "--port-file", port_file, "--slots", str(k),
                         "--latency-ms", str(lat)], ctx.log("model-server"))
    if not proc.wait_until(lambda: os.path.exists(port_file), 10):
        raise BenchError("the model stand-in did not start (log %s)" % ctx.log("model-server"))
    port = int(open(port_file).read())
    cfg = os.path.join(ctx.tmp, "model.conf")
    conf.write(cfg, ctx, ctx.svc.url, [USER], model=("http://127.0.0.1:%d" % port, inflight))
    got, base, served, startup, conns = [], [], [], [], []
    try:
        for i in range(s.runs):
            ctx.say("model run %d/%d: %d messages through K=%d slots of %d ms"
                    % (i + 1, s.runs, s.model_messages, k, lat))
            url = draftd.fresh_db(ctx, cfg)
            draftd.measured(ctx, "model-poll", ["poll", "--once"], cfg)
            server_call(port, "POST", "/_slots/reset")
            d = draftd.Daemon(ctx, cfg, "model-run")
            try:
                if not d.wait_drained(url, s.model_messages, 60 + s.model_messages * 0.5):
                    raise BenchError("draftd run did not draft %d messages in time"
                                     % s.model_messages)
                # the pools keep what they opened: this is the run's peak
                conns.append(int(ctx.svc.value(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
                    " AND application_name = 'draftd'"
                    % url.rsplit("/", 1)[1].split("?")[0], ctx.svc.admin_url)))
            finally:
                d.stop()
            rep = slots(port)
            with open(os.path.join(ctx.tmp, "model-run-%d.json" % i), "w") as f:
                json.dump(rep, f)
            got.append(rate(rep, skip=1))
            served.append(rep["served"] - 1)
            if len(rep.get("starts", [])) > 1:
                startup.append(rep["starts"][1] - rep["starts"][0])
            body = server_call(port, "GET", "/_last_request")[1]
            server_call(port, "POST", "/_slots/reset")
            # the same number of requests as draftd's pipelines sent: a
            # last round that is not full costs both the same
            saturate(port, max(rep["served"] - 1, 1), 2 * k, body)
            base.append(rate(slots(port)))
    finally:
        proc.stop(server)
    limit = k * 1000.0 / lat
    return [Figure("model slots K=%d, L=%d ms (limit %.0f/s): draftd run" % (k, lat, limit),
                   "answers/s", got, base,
                   "a client keeping %d requests outstanding, same count and body" % (2 * k),
                   ("ratio", ">=", 0.95),
                   note="default workers, max_in_flight = %d; %s model requests per run"
                   " after the start-up probe (from the probe's start to the first pipeline"
                   " request: %s ms); ratio to K/L: %s"
                   % (inflight, "/".join(str(x) for x in served),
                      "/".join("%.0f" % (x * 1000) for x in startup),
                      ", ".join("%.2f" % (x / limit) for x in got if x)),
                   details={"k": k, "latency_ms": lat, "limit_per_s": limit,
                            "served": served, "startup_s": startup}),
            Figure("model slots K=%d: PostgreSQL connections of draftd run" % k, "conns", conns,
                   target=("value", "<=", DEFAULT_WORKERS + 3),
                   note="target: workers (%d) + 3; %d pipelines (workers + 2 x max_in_flight)"
                   % (DEFAULT_WORKERS, DEFAULT_WORKERS + 2 * inflight))]
