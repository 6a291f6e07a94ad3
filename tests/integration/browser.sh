#!/bin/bash
# The reviewer page in headless Chromium (tests/browser/review.mjs) against a
# real `draftd run` that ingested the demo mailbox plus the hostile fixtures
# of tests/browser/fixtures/ from Dovecot, drafted them with the builtin
# backend and facts from a Postgres business database, and sends through the
# SMTP sink. Screenshots land in $BUILD/screenshots (default build/).
set -u
. "$(dirname "$0")/lib/common.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)
SVC=$DRAFTD_TEST_SVC_DIR
shots=${DRAFTD_SCREENSHOTS:-$here/build/screenshots}

if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null 2>&1; then
	ok "browser tests SKIPPED: /usr/bin/chromium or node is missing (deploy/install-deps.sh)"
	exit 0
fi
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
	(cd "$here/tests/browser" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)
fi
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
	ok "browser tests SKIPPED: npm could not install playwright-core (offline?)"
	exit 0
fi

url=$(db_url_for draftd_it_browser) || { not_ok "create database"; exit 1; }
biz=$(db_url_for draftd_it_browser_business) || { not_ok "create business database"; exit 1; }
psql -XqAt -v ON_ERROR_STOP=1 -d "$biz" >/dev/null 2>&1 <<SQL || not_ok "load business data"
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand integer,
    unit_price_eur numeric(10,2), lead_time_days integer, discontinued boolean);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text, carrier text,
    tracking_number text, ship_date date, eta date, total_eur numeric(10,2));
\copy inventory FROM '$here/deploy/demo/data/inventory.csv' WITH (FORMAT csv, HEADER true)
\copy orders FROM '$here/deploy/demo/data/orders.csv' WITH (FORMAT csv, HEADER true)
SQL

"$here/tests/services/dovecot.sh" adduser "$SVC" browser pw-browser >/dev/null
sleep 1.1 # Dovecot notices a changed passwd-file by its mtime (1 s resolution)
"$here/tests/services/dovecot.sh" deliver "$SVC" browser INBOX "$here"/deploy/demo/mail/*.eml \
	"$here"/tests/browser/fixtures/*.eml >/dev/null || not_ok "deliver mail"
n_mail=$(ls "$here"/deploy/demo/mail/*.eml "$here"/tests/browser/fixtures/*.eml | wc -l)

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf=$ITMP/browser.conf
cat >"$conf" <<CONF
[database]
url = $url
[api]
listen = 127.0.0.1:$port
web_root = $here/ui-api/web
[model]
backend = builtin
templates_dir = $here/deploy/templates
# approved replies go out at once: these checks wait for the sink
[review]
send_delay = 0
[smtp]
url = smtp://127.0.0.1:$DRAFTD_TEST_SMTP_PORT
tls = off
[agent]
rules_file = $here/deploy/demo/rules.json
[mailbox browser]
url = imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT
user = browser
password = pw-browser
tls_ca_file = $DRAFTD_TEST_CA_FILE
address = support@harborparts.example
poll_interval = 2
[connector inventory]
type = pg
key = sku
url = $biz
query = SELECT sku, name, qty_on_hand, unit_price_eur, lead_time_days, discontinued FROM inventory WHERE sku = ANY(\$1)
[connector order]
type = pg
key = order
url = $biz
query = SELECT order_id, customer_email, status, carrier, tracking_number, ship_date::text AS ship_date, eta::text AS eta, total_eur FROM orders WHERE order_id = ANY(\$1)
[category stock_inquiry]
mode = draft
[category order_status]
mode = draft
[category other]
mode = draft
# the address change waits for a human: the "Needs a human" list
[category address_change]
mode = off
CONF
"$DRAFTD" migrate --config "$conf" >"$ITMP/migrate.log" 2>&1 || not_ok "migrate: $(cat "$ITMP/migrate.log")"
pid=""
start_bg pid "$ITMP/draftd.log" "$DRAFTD" run --config "$conf"
wait_for 20 curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" || not_ok "draftd API up: $(tail -5 "$ITMP/draftd.log")"
rtok=$("$DRAFTD" token create --config "$conf" --name browser-reviewer --role reviewer 2>/dev/null | tail -n 1)
atok=$("$DRAFTD" token create --config "$conf" --name browser-admin --role admin 2>/dev/null | tail -n 1)
q() { psql_value "$url" "$1"; }
ingested() { [ "$(q "SELECT count(*) FROM messages")" -ge "$n_mail" ]; }
processed() { [ "$(q "SELECT count(*) FROM messages WHERE state IN ('new','processing')")" = 0 ]; }
wait_for 60 ingested && ok "draftd ingested the $n_mail messages" ||
	not_ok "ingest $n_mail messages (got $(q "SELECT count(*) FROM messages"))"
wait_for 90 processed && ok "the pipeline processed every message" ||
	not_ok "pipeline processed every message"

mkdir -p "$shots"
(cd "$here/tests/browser" && DRAFTD_URL="http://127.0.0.1:$port/" REVIEWER_TOKEN=$rtok ADMIN_TOKEN=$atok \
	SMTP_MAILDIR=$DRAFTD_TEST_SMTP_MAILDIR SCREENSHOT_DIR=$shots timeout 300 node review.mjs)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "review.mjs exited with $rc"

kill -TERM "$pid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $pid 2>/dev/null" && ok "draftd stops after the browser session" ||
	not_ok "draftd stops after the browser session"
