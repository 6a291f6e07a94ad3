# SPDX-License-Identifier: MIT
"""draftd configurations for the bench: the demo's business data behind pg
connectors, the demo rules, and one [mailbox] section per test account."""
import os
import socket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write(path, ctx, db_url, mailboxes, idle=False, model=None, workers=None,
          api_port=None, extra=""):
    """mailboxes: account names (the [mailbox] name is the account's);
    model: None (builtin) or (base_url, max_in_flight); workers: None keeps
    draftd's default. Returns the API port."""
    src, svc = ctx.src, ctx.svc
    api_port = api_port or free_port()
    out = ["[database]", "url = %s" % db_url,
           # wrk's 64 connections come from one address: no per-client cap
           "[api]", "listen = 127.0.0.1:%d" % api_port, "max_connections_per_client = 0",
           "[model]", "templates_dir = %s/deploy/templates" % src]
    if model:
        out += ["backend = openai", "base_url = %s" % model[0], "model = bench",
                "max_in_flight = %d" % model[1], "timeout = 120"]
    out += ["[agent]", "rules_file = %s/deploy/demo/rules.json" % src]
    if workers:
        out.append("workers = %d" % workers)
    # BENCH_LOG_LEVEL=debug: the poller's per-pass times (fetch, prepare, store, waits)
    out += ["[log]", "level = %s" % os.environ.get("BENCH_LOG_LEVEL", "warn")]
    for name in mailboxes:
        out += ["[mailbox %s]" % name,
                "url = imap://127.0.0.1:%d" % svc.imap_port,
                "starttls = off", "user = %s" % name, "password = pw",
                "address = support@harborparts.example",
                "idle = %s" % ("on" if idle else "off"),
                # polled when started, then only when IDLE wakes it or ever so rarely
                "poll_interval = %d" % (3600 if not idle else 600)]
    for name, key, query in (
            ("inventory", "sku", "SELECT sku, name, qty_on_hand, unit_price_eur, lead_time_days,"
             " discontinued FROM inventory WHERE sku = ANY($1)"),
            ("order", "order", "SELECT order_id, customer_email, status, carrier, tracking_number,"
             " ship_date::text AS ship_date, eta::text AS eta, total_eur FROM orders"
             " WHERE order_id = ANY($1)")):
        out += ["[connector %s]" % name, "type = pg", "key = %s" % key,
                "url = %s" % svc.biz_url, "query = %s" % query, "cache_ttl = 30"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n" + extra)
    return api_port


def api_port(path):
    """The port of the [api] listen line of a config written by write()."""
    with open(path) as f:
        for line in f:
            if line.startswith("listen = 127.0.0.1:"):
                return int(line.rsplit(":", 1)[1])
    raise ValueError("no [api] listen in %s" % path)
