#!/bin/bash
# SPDX-License-Identifier: MIT
# draftd run with everything configured (IMAP poller, workers on the openai
# backend against the fake model server, pg connectors on a business
# database of its own, the outbox, the API), the demo mailbox and data
# (deploy/demo: no corpus needed), and one fault after another:
#   - the business database stops mid-run: drafts made meanwhile have their
#     facts unknown and are never automatic; the daemon keeps serving and
#     uses the database again once it is back
#   - the model server answers 500, then hangs: jobs are retried with
#     backoff, then handed to a human; nothing is lost
#   - the SMTP sink is gone: the outbox retries, and sends once it is back
#   - malformed HTTP (garbage request line, 1 MB header, slowloris): 4xx or
#     closed, /healthz keeps answering
#   - a SIGHUP storm of good and bad configs: still serving, the last good
#     config active
set -u
. "$(dirname "$0")/lib/common.sh"
src=${DRAFTD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
svc=$DRAFTD_TEST_SVC_DIR
demo=$src/deploy/demo
PY=/usr/bin/python3
free_port() { (. "$src/tests/services/lib.sh" && free_port); }

url=$(db_url_for draftd_it_fault) || { not_ok "create database"; exit 1; }
user=fault$$
"$src/tests/services/dovecot.sh" adduser "$svc" "$user" pw >/dev/null

# The business database: a Postgres of its own, so stopping it hurts nobody else.
bizport=$(free_port)
biz_start() {
	"$src/tests/services/pg.sh" start "$ITMP/$1" "$bizport" >"$ITMP/$1.log" 2>&1 || return 1
	psql -q -X -d "postgresql://postgres@127.0.0.1:$bizport/business" -v ON_ERROR_STOP=1 \
		>>"$ITMP/$1.log" 2>&1 <<SQL
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand int,
    unit_price_eur numeric, lead_time_days int, discontinued bool);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text,
    carrier text, tracking_number text, ship_date date, eta date, total_eur numeric);
\copy inventory FROM '$demo/data/inventory.csv' WITH (FORMAT csv, HEADER true)
\copy orders FROM '$demo/data/orders.csv' WITH (FORMAT csv, HEADER true)
SQL
}
biz_stop() { "$src/tests/services/pg.sh" stop "$ITMP/$1" >/dev/null 2>&1; }
biz=postgresql://postgres@127.0.0.1:$bizport/business
# the second Postgres and the late SMTP sink are stopped on every exit path
fault_cleanup() {
	biz_stop biz1
	biz_stop biz2
	"$src/tests/services/smtp.sh" stop "$ITMP/sink" >/dev/null 2>&1
	itest_cleanup
}
trap fault_cleanup EXIT
check "a second Postgres holds the business data" biz_start biz1

start_fake_model 20
fport=$FAKE_PORT

# No SMTP sink yet: a port nothing listens on, started later.
smtpport=$(free_port)
apiport=$(free_port)
conf=$ITMP/fault.conf
# mkconf RULES_FILE: the config on stdout. review.send_delay=0: approved
# replies go out at once (these checks wait for the sink).
mkconf() {
	write_config "$ITMP/mkconf.conf" database api model_fake smtp_sink mailbox_dovecot \
		connectors_pg URL="$url" API_PORT="$apiport" FAKE_PORT="$fport" SMTP_PORT="$smtpport" \
		USER="$user" ADDRESS=support@harborparts.example BIZ_URL="$biz" \
		database.connect_timeout=3 api.threads=4 model.timeout=2 model.breaker_failures=100 \
		model.templates_dir="$src/deploy/templates" review.send_delay=0 agent.workers=2 \
		agent.max_attempts=3 agent.retry_delay=1 agent.rules_file="$1" log.level=info \
		"mailbox support.poll_interval=1" "mailbox support.idle=off" \
		"connector inventory.timeout=2000" "connector order.timeout=2000" &&
		cat "$ITMP/mkconf.conf"
}
mkconf "$demo/rules.json" >"$conf"
if ! "$DRAFTD" migrate --config "$conf" >"$ITMP/migrate.log" 2>&1; then
	not_ok "migrate: $(tail -3 "$ITMP/migrate.log")"
	exit 1
fi
# every category automatic at threshold 0: only the per-draft gates (facts,
# guardrails, rules) stand between a draft and an automatic reply
psql -q -X -d "$url" -c "INSERT INTO categories (name, mode, threshold)
    SELECT unnest(ARRAY['stock_inquiry','order_status','quote_request','return_request',
                        'address_change','invoice_copy','complaint','other']), 'auto', 0" >/dev/null

q() { psql_value "$url" "$1"; }
seq_n=0
# deliver TAG DEMO_FILE: a copy of a demo mail with its own Message-ID and
# a subject tag, so each delivery is a new message and easy to find
deliver() {
	seq_n=$((seq_n + 1))
	sed -e "s/^Message-ID: .*/Message-ID: <fault-$1-$$@bench.example>/" \
		-e "0,/^Subject: /s/^Subject: \(.*\)/Subject: [$1] \1/" "$demo/mail/$2" >"$ITMP/$1.eml"
	"$src/tests/services/dovecot.sh" deliver "$svc" "$user" INBOX "$ITMP/$1.eml" >/dev/null
}
# state TAG: the message's state
mstate() { q "SELECT state FROM messages WHERE subject LIKE '[$1]%'"; }
settled() { case $(mstate "$1") in drafted | human | skipped) return 0 ;; esac; return 1; }
healthz() { curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:$apiport/healthz"; }
# draft TAG: decision|status|facts found values (t, f, null) of its draft
draft() {
	q "SELECT d.decision || '|' || d.status || '|' || coalesce((SELECT string_agg(coalesce(e->>'found', 'null'), ',')
	     FROM jsonb_each(d.facts) ns, jsonb_array_elements(CASE WHEN jsonb_typeof(ns.value) = 'array' THEN ns.value ELSE '[]' END) e), '')
	   FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.subject LIKE '[$1]%'"
}

start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
if ! wait_for 20 healthz; then
	not_ok "draftd run starts: $(tail -5 "$ITMP/run.log")"
	exit 1
fi
ok "draftd run serves /healthz"
# A request that starts with a NUL byte: libmicrohttpd reads it as an empty
# line and waits for more, so it is only dropped by the idle timeout
# ([api] connection timeout, 30 s). Sent now, in the background, and judged
# with the other malformed requests below.
"$PY" - "$apiport" >"$ITMP/nul.out" 2>&1 </dev/null <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=45)
s.sendall(b"\x00\xff\xfeHELLO \x01\x02 garbage\r\n\r\n")
t0 = time.time()
try:
    d = s.recv(100)
    got = d.split(b" ", 2)[1].decode("latin-1") if d else "closed"
except socket.timeout:
    got = "open"
except OSError:
    got = "closed"
print("%s %.0f" % (got, time.time() - t0))
PY
ITEST_PIDS+=("$!")
token=$("$DRAFTD" token create --config "$conf" --name fault --role reviewer 2>/dev/null | tail -n 1)
api() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $token" "$@"; }

# --- a normal start: facts found ---------------------------------------------
deliver ok1 01-stock-inquiry-en.eml
deliver ok2 03-order-status-en.eml
wait_for 30 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled ok1 && settled ok2" &&
	ok "two mails drafted with everything up" || not_ok "start: ok1=$(mstate ok1) ok2=$(mstate ok2)"
case $(draft ok1) in *\|*true*) ok "facts found while the business database is up ($(draft ok1))" ;;
*) not_ok "facts while up: $(draft ok1)" ;; esac

# --- the SMTP sink is gone: the approved reply waits in the outbox -------------
did=$(q "SELECT d.id FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.subject LIKE '[ok2]%'")
if [ -n "$did" ] && [ "$(q "SELECT count(*) FROM outbox WHERE draft_id = $did")" = 0 ]; then
	code=$(api -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$apiport/api/v1/drafts/$did/approve")
	[ "$code" = 200 ] || not_ok "approve draft $did: HTTP $code"
fi
wait_for 20 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts >= 1 AND last_error LIKE 'smtp:%' AND next_attempt_at > now()\")\" -ge 1 ]" &&
	ok "SMTP sink gone: the try failed and a retry is scheduled" ||
	not_ok "outbox while the sink is gone: $(q "SELECT string_agg(state || '/' || attempts || '/' || coalesce(last_error, ''), ', ') FROM outbox")"

# --- the business database goes down ---------------------------------------
biz_stop biz1
deliver down1 02-stock-inquiry-de.eml
deliver down2 04-order-status-de.eml
wait_for 30 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled down1 && settled down2" &&
	ok "mail is still processed while the business database is down" ||
	not_ok "down: down1=$(mstate down1) down2=$(mstate down2) $(grep -i connector "$ITMP/run.log" | tail -2)"
for t in down1 down2; do
	d=$(draft $t)
	case $d in
	auto\|* | *\|auto_sent\|*) not_ok "$t: sent automatically with the facts unknown ($d)" ;;
	*\|*null*) ok "$t: facts unknown, waits for a reviewer ($d)" ;;
	"") [ "$(mstate $t)" = human ] && ok "$t: went to a human without a draft" || not_ok "$t: no draft, state $(mstate $t)" ;;
	*) not_ok "$t: facts not marked unknown ($d)" ;;
	esac
done
check "never auto: no outbox row for the drafts made while it was down" test \
	"$(q "SELECT count(*) FROM outbox o JOIN drafts d ON d.id = o.draft_id JOIN messages m ON m.id = d.message_id WHERE m.subject LIKE '[down%'")" = 0
check "the API keeps serving /healthz" healthz
check "the API keeps serving the drafts list" test "$(api "http://127.0.0.1:$apiport/api/v1/drafts?limit=50")" = 200

# --- ... and comes back (a fresh instance on the same port) -----------------
check "the business database is back" biz_start biz2
deliver back1 01-stock-inquiry-en.eml
wait_for 30 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled back1" || true
case $(draft back1) in *\|*null*) not_ok "after recovery facts still unknown: $(draft back1)" ;;
*\|*true*) ok "the connector uses the database again once it is back ($(draft back1))" ;;
*) not_ok "after recovery: state=$(mstate back1) draft=$(draft back1)" ;; esac

# --- the model server fails ----------------------------------------------------
fake_model_mode http500
deliver m500 05-quote-request.eml
wait_for 40 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled m500" || true
check "model 500s: retried, then handed to a human (state $(mstate m500))" test "$(mstate m500)" = human
n=$(q "SELECT max(j.attempts) FROM jobs j JOIN messages m ON m.id = j.message_id WHERE m.subject LIKE '[m500]%'")
check "model 500s: the job took 3 attempts with backoff (took ${n:-none})" test "${n:-0}" = 3
fake_model_mode hang
deliver mhang 06-return-request.eml
wait_for 60 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled mhang" || true
check "model hangs: timed out, retried, then handed to a human (state $(mstate mhang))" test "$(mstate mhang)" = human
check "the API answered while the model hung" healthz
fake_model_mode valid
deliver mback 01-stock-inquiry-en.eml
wait_for 30 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled mback" || true
check "the model is used again once it answers (state $(mstate mback))" test "$(mstate mback)" = drafted

# --- malformed HTTP --------------------------------------------------------------
"$PY" - "$apiport" >"$ITMP/http.out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])

def exchange(payload, wait=5.0, source=None):
    """Sends payload, returns the status code answered, or 'closed'."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait,
                                 source_address=(source, 0) if source else None)
    try:
        try:
            s.sendall(payload)
        except OSError:
            pass  # the server may close while we still send
        data = b""
        while b"\r\n" not in data:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                return "timeout"
            except OSError:
                return "closed"
            if not chunk:
                return "closed" if not data else data[:40].decode("latin-1")
            data += chunk
        return data.split(b" ", 2)[1].decode("latin-1")
    finally:
        s.close()

def healthz(source=None):
    return exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    source=source)

def verdict(name, got):
    good = got == "closed" or (len(got) == 3 and got.startswith("4"))
    print("%s - %s (%s)" % ("ok" if good else "not ok", name, got))

verdict("garbage request line: 4xx or closed", exchange(b"HELLO \x01\x02 garbage\r\n\r\n"))
verdict("request line without a version: 4xx or closed", exchange(b"GET\r\n\r\n"))
verdict("1 MB header: 4xx or closed",
        exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n", 15))
verdict("1 MB of header lines: 4xx or closed",
        exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 131072 + b"\r\n", 15))
verdict("bad Content-Length: 4xx or closed",
        exchange(b"POST /api/v1/drafts/1/approve HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"))
h = healthz()
print("%s - /healthz answers after the malformed requests (%s)" % ("ok" if h == "200" else "not ok", h))

# slowloris: 30 connections each sending a partial request, a byte at a time
slow = []
for _ in range(30):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    slow.append(s)
deadline = time.time() + 6
answered = True
while time.time() < deadline:
    for s in slow:
        try:
            s.sendall(b"X")
        except OSError:
            pass
    # answered at all within exchange()'s 5 s: starved is the failure, slow
    # on a loaded machine is not (no timed assertions in make test). The
    # probe comes from another address, as another client would: the slow
    # ones, the NUL-byte client and connections the server has not reaped
    # yet all count against 127.0.0.1's max_connections_per_client (32),
    # so a probe from 127.0.0.1 itself may rightly be closed at once
    h = healthz("127.0.0.2")
    if h != "200":
        answered = False
        print("#   /healthz gave %s" % h)
    time.sleep(1)
print("%s - /healthz answers while 30 slow clients hold connections" % ("ok" if answered else "not ok"))
for s in slow:
    s.close()
PY
cat "$ITMP/http.out"
wait_for 40 test -s "$ITMP/nul.out"
read -r got secs <"$ITMP/nul.out"
case $got in 4??) ok "request starting with a NUL byte: $got" ;;
closed) ok "request starting with a NUL byte: closed after ${secs}s (the idle timeout)" ;;
*) not_ok "request starting with a NUL byte: $(cat "$ITMP/nul.out")" ;; esac
check "draftd survived the malformed requests" kill -0 "$pid"

# --- SIGHUP storm --------------------------------------------------------------
# The good configs alternate between the demo rules and the demo rules plus
# a marker rule; the last good one has the marker. The bad ones do not load.
"$PY" - "$demo/rules.json" "$ITMP/rules-marker.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["rules"].append({"id": "STORM", "name": "storm-marker",
                     "when": {"subject_matches": "\\[storm\\]"},
                     "then": [{"action": "require_human", "reason": "storm marker rule"}]})
json.dump(doc, open(sys.argv[2], "w"))
PY
hups_before=$(grep -c 'config reloaded' "$ITMP/run.log")
fails_before=$(grep -c 'reload failed' "$ITMP/run.log")
for i in 1 2 3 4 5 6 7 8 9 10; do
	case $i in
	9) mkconf "$ITMP/rules-marker.json" >"$conf.new" ;;
	*[13579]) mkconf "$demo/rules.json" >"$conf.new" ;;
	*) { mkconf "$demo/rules.json"; printf '[agent]\nworkers = many\n[bogus\n'; } >"$conf.new" ;;
	esac
	mv "$conf.new" "$conf"
	kill -HUP "$pid"
	sleep 0.3
done
wait_for 10 bash -c "[ \$(grep -c 'config reloaded' '$ITMP/run.log') -ge $((hups_before + 5)) ] && [ \$(grep -c 'reload failed' '$ITMP/run.log') -ge $((fails_before + 5)) ]" &&
	ok "SIGHUP storm: 5 reloads taken, 5 bad configs refused" ||
	not_ok "SIGHUP storm: $(($(grep -c 'config reloaded' "$ITMP/run.log") - hups_before)) reloaded, $(($(grep -c 'reload failed' "$ITMP/run.log") - fails_before)) refused"
check "still running after the storm" kill -0 "$pid"
check "still serving /healthz after the storm" healthz
check "still serving the drafts list after the storm" test "$(api "http://127.0.0.1:$apiport/api/v1/drafts?limit=5")" = 200
deliver storm 01-stock-inquiry-en.eml
wait_for 30 bash -c "$(declare -f q mstate settled psql_value); url='$url'; settled storm" || true
r=$(q "SELECT coalesce(d.rule_hits::text, m.pipeline::text) FROM messages m LEFT JOIN drafts d ON d.message_id = m.id WHERE m.subject LIKE '[storm]%'")
case $r in *STORM*) ok "the last good config is active (its marker rule fired)" ;;
*) not_ok "last good config: state $(mstate storm), rules $(echo "$r" | head -c 300)" ;; esac

# --- the SMTP sink comes back --------------------------------------------------
"$src/tests/services/smtp.sh" start "$ITMP/sink" "$smtpport" >"$ITMP/sink.log" 2>&1 ||
	not_ok "the SMTP sink restarts: $(tail -3 "$ITMP/sink.log")"
if wait_for 45 bash -c "[ \"\$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM outbox WHERE state = 'sent'\")\" -ge 1 ]"; then
	ok "the outbox sends once the sink is back"
else
	not_ok "outbox after the sink is back: $(q "SELECT string_agg(state || '/' || attempts || '/' || coalesce(last_error, ''), ', ') FROM outbox")"
fi
check "the sink got the reply once" test "$(find "$ITMP/sink/smtp-maildir/new" -type f 2>/dev/null | wc -l)" -ge 1

# --- nothing lost ----------------------------------------------------------------
check "every delivered mail is stored ($seq_n)" test "$(q "SELECT count(*) FROM messages")" = "$seq_n"
check "no message left in the pipeline, none failed" test \
	"$(q "SELECT count(*) FROM messages WHERE state NOT IN ('drafted', 'human', 'skipped')")" = 0
check "no job dead or left queued" test "$(q "SELECT count(*) FROM jobs WHERE state <> 'done'")" = 0

kill -TERM "$pid"
wait "$pid"
check "draftd stops cleanly after all that" test $? -eq 0
kill -TERM "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
exit 0 # the checks above tell; not the fake server's exit status
