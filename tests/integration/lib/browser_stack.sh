# SPDX-License-Identifier: MIT
# The stack the browser tests drive: a fresh draftd database and business
# database, a Dovecot user holding the demo mailbox plus the hostile fixtures
# of tests/browser/fixtures/, and a `draftd run` (builtin model, pg
# connectors, the demo rules) that has ingested and processed all of it.
# Source after lib/common.sh.
#   browser_stack NAME [EXTRA_CONFIG]
# sets BS_URL (the page), BS_DB, BS_CONF, BS_PID, BS_RTOK, BS_RTOK2, BS_ATOK, BS_LOG;
# EXTRA_CONFIG is appended to the config (more sections); BS_SMTP (default the
# test sink) is the [smtp] section's body. Prints ok/not ok.
# shellcheck shell=bash

# browser_tools_ready: 0 when Chromium, node and playwright-core are there
# (installs playwright-core from the lock file when it is missing).
browser_tools_ready() {
	local here=$1
	[ -x /usr/bin/chromium ] && command -v node >/dev/null 2>&1 || return 1
	if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
		(cd "$here/tests/browser" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)
	fi
	[ -d "$here/tests/browser/node_modules/playwright-core" ]
}

# browser_preflight WHAT: the browser scripts' start: sets here (the source
# tree) and shots (where screenshots go: DRAFTD_SCREENSHOTS, default
# build/screenshots); when the tools are missing, one "ok - WHAT SKIPPED"
# line and the script exits 0.
browser_preflight() {
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	shots=${DRAFTD_SCREENSHOTS:-$here/build/screenshots}
	if ! browser_tools_ready "$here"; then
		ok "$1 SKIPPED: /usr/bin/chromium, node or playwright-core is missing (deploy/install-deps.sh)"
		exit 0
	fi
}

browser_stack() {
	local name=$1 extra=${2:-} here svc biz n_mail port line key value smtp
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
	svc=$DRAFTD_TEST_SVC_DIR
	BS_DB=$(db_url_for "draftd_it_$name") || { not_ok "create database"; return 1; }
	biz=$(db_url_for "draftd_it_${name}_business") || { not_ok "create business database"; return 1; }
	psql -XqAt -v ON_ERROR_STOP=1 -d "$biz" >/dev/null 2>&1 <<SQL || not_ok "load business data"
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand integer,
    unit_price_eur numeric(10,2), lead_time_days integer, discontinued boolean);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text, carrier text,
    tracking_number text, ship_date date, eta date, total_eur numeric(10,2));
\copy inventory FROM '$here/deploy/demo/data/inventory.csv' WITH (FORMAT csv, HEADER true)
\copy orders FROM '$here/deploy/demo/data/orders.csv' WITH (FORMAT csv, HEADER true)
SQL

	"$here/tests/services/dovecot.sh" adduser "$svc" "$name" "pw-$name" >/dev/null
	sleep 1.1 # Dovecot notices a changed passwd-file by its mtime (1 s resolution)
	"$here/tests/services/dovecot.sh" deliver "$svc" "$name" INBOX "$here"/deploy/demo/mail/*.eml \
		"$here"/tests/browser/fixtures/*.eml >/dev/null || not_ok "deliver mail"
	n_mail=$(ls "$here"/deploy/demo/mail/*.eml "$here"/tests/browser/fixtures/*.eml | wc -l)

	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	BS_URL="http://127.0.0.1:$port/"
	BS_CONF=$ITMP/$name.conf
	BS_LOG=$ITMP/$name-draftd.log
	# BS_SMTP's "key = value" lines replace the sink's [smtp] keys
	smtp=()
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		key=${line%%=*} value=${line#*=}
		smtp+=("smtp.${key% }=${value# }")
	done <<<"${BS_SMTP:-}"
	# cache_ttl = 60 (the default): the fragment's uncached lookups are for
	# the connector tests, the page is driven as deployed
	DRAFTD_SRCDIR=$here write_config "$BS_CONF" database api model_builtin smtp_sink connectors_pg \
		URL="$BS_DB" API_PORT="$port" SMTP_PORT="$DRAFTD_TEST_SMTP_PORT" BIZ_URL="$biz" \
		"api.web_root=$here/ui-api/web" "agent.rules_file=$here/deploy/demo/rules.json" \
		"connector inventory.cache_ttl=60" "connector order.cache_ttl=60" \
		"mailbox $name.url=imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT" "mailbox $name.user=$name" \
		"mailbox $name.password=pw-$name" "mailbox $name.tls_ca_file=$DRAFTD_TEST_CA_FILE" \
		"mailbox $name.address=support@harborparts.example" "mailbox $name.poll_interval=2" \
		"${smtp[@]}" || { not_ok "write_config"; return 1; }
	[ -z "$extra" ] || printf '%s\n' "$extra" >>"$BS_CONF"
	"$DRAFTD" migrate --config "$BS_CONF" >"$ITMP/$name-migrate.log" 2>&1 ||
		{ not_ok "migrate: $(cat "$ITMP/$name-migrate.log")"; return 1; }
	BS_PID=""
	start_bg BS_PID "$BS_LOG" "$DRAFTD" run --config "$BS_CONF"
	wait_for 20 curl -fs -o /dev/null "${BS_URL}healthz" ||
		{ not_ok "draftd API up: $(tail -5 "$BS_LOG")"; return 1; }
	BS_RTOK=$("$DRAFTD" token create --config "$BS_CONF" --name "$name-reviewer" --role reviewer 2>/dev/null | tail -n 1)
	BS_ATOK=$("$DRAFTD" token create --config "$BS_CONF" --name "$name-admin" --role admin 2>/dev/null | tail -n 1)
	# a second reviewer: two people on one draft
	BS_RTOK2=$("$DRAFTD" token create --config "$BS_CONF" --name "$name-reviewer2" --role reviewer 2>/dev/null | tail -n 1)
	_bs_ingested() { [ "$(psql_value "$BS_DB" "SELECT count(*) FROM messages")" -ge "$n_mail" ]; }
	_bs_processed() {
		[ "$(psql_value "$BS_DB" "SELECT count(*) FROM messages WHERE state IN ('new','processing')")" = 0 ]
	}
	wait_for 60 _bs_ingested && ok "draftd ingested the $n_mail messages" ||
		not_ok "ingest $n_mail messages (got $(psql_value "$BS_DB" "SELECT count(*) FROM messages"))"
	wait_for 90 _bs_processed && ok "the pipeline processed every message" ||
		not_ok "pipeline processed every message"
}

# browser_stack_stop: SIGTERM to the draftd browser_stack started, then a check.
browser_stack_stop() {
	kill -TERM "$BS_PID" 2>/dev/null
	wait_for 15 bash -c "! kill -0 $BS_PID 2>/dev/null" && ok "draftd stops after the browser session" ||
		not_ok "draftd stops after the browser session"
}
