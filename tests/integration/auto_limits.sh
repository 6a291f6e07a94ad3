#!/bin/bash
# SPDX-License-Identifier: MIT
# Loop and flood limits under concurrency (issue 12, item 5), against real
# Postgres, Dovecot and an SMTP sink: TWO `draftd run` instances with 8
# workers each share one database, every category is in auto, and
#   1. a flood of mails from one sender gets exactly one automatic reply
#      (per-sender limit, [agent] auto_reply_period);
#   2. mails from many senders never get more automatic replies than
#      [agent] auto_hourly_cap;
#   3. mails on one thread from different senders get one reply per thread.
# Batches of 4 (not the default 32) keep 16 workers racing over the flood,
# and put several of one sender's mails in one transaction.
# The flood is FLOOD mails (120 in `make test`, 500 in `make test-long`).
# Before the limits were checked inside the queuing transaction, the flood
# got 2-3 replies and a cap of N sent N+1 or more.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FLOOD=${DRAFTD_FLOOD:-$([ "${DRAFTD_TEST_LONG:-0}" = 1 ] && echo 500 || echo 120)}

cat >"$ITMP/inventory.csv" <<CSV
sku,name,qty_on_hand,unit_price_eur,lead_time_days,discontinued
HP-10214,Straight fitting G1/2 male x 12L JIC steel,340,4.80,5,false
CSV

SINKS=()
cleanup() {
	local s
	for s in "${SINKS[@]}"; do "$SRC/tests/services/smtp.sh" stop "$s" >/dev/null 2>&1; done
	itest_cleanup
}
trap cleanup EXIT

# stock_mail FILE FROM MSGID [REFERENCES]: one stock inquiry
stock_mail() {
	{
		printf 'From: %s\nTo: support@example.com\nSubject: Stock availability HP-10214\n' "$2"
		printf 'Message-ID: %s\nDate: %s\n' "$3" "$(date -R)"
		[ -z "${4:-}" ] || printf 'In-Reply-To: %s\nReferences: %s\n' "$4" "$4"
		printf 'Content-Type: text/plain; charset=utf-8\n\n'
		printf 'Hello,\n\nis HP-10214 in stock? We would need 20 pieces.\n\nRegards\nBuyer\n'
	} >"$1"
}

# scenario NAME CAP: a database, a mailbox user, a sink and the config for
# two instances; sets URL, USER, SINK, CONF1, CONF2.
scenario() {
	local name=$1 cap=$2 i port
	URL=$(db_url_for "draftd_it_limits_$name") || return 1
	USER="limits_${name}_$$"
	"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$USER" pw >/dev/null || return 1
	SINK=$ITMP/sink-$name
	mkdir -p "$SINK"
	"$SRC/tests/services/smtp.sh" start "$SINK" >/dev/null 2>&1 || return 1
	SINKS+=("$SINK")
	for i in 1 2; do
		port=$(free_port)
		write_config "$ITMP/$name-$i.conf" database api smtp_sink model_builtin \
			mailbox_dovecot_starttls connector_csv_inventory URL="$URL" API_PORT="$port" \
			SMTP_PORT="$(cat "$SINK/smtp.port")" USER="$USER" \
			ADDRESS="Support Team <support@example.com>" INVENTORY="$ITMP/inventory.csv" \
			agent.workers=8 agent.batch=4 agent.auto_reply_period=1d agent.auto_hourly_cap="$cap" \
			log.level=info "mailbox support.idle=off" "mailbox support.poll_interval=1" \
			"mailbox support.fetch_batch=200" "connector inventory.cache_ttl=0"
		for c in stock_inquiry order_status quote_request return_request address_change \
			invoice_copy other; do
			printf '[category %s]\nmode = auto\nthreshold = 0\n' "$c" >>"$ITMP/$name-$i.conf"
		done
	done
	CONF1=$ITMP/$name-1.conf
	CONF2=$ITMP/$name-2.conf
	"$DRAFTD" migrate --config "$CONF1" >/dev/null 2>&1
}

sql() { psql -XAtq -d "$URL" -c "$1"; }
sink_count() { find "$SINK/smtp-maildir/new" -type f 2>/dev/null | wc -l; }
# settled N: N messages stored, every job done and no reply left to send
settled() {
	[ "$(sql "SELECT (SELECT count(*) FROM messages) = $1
		AND NOT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))
		AND NOT EXISTS (SELECT 1 FROM outbox WHERE state IN ('pending', 'sending'))")" = t ]
}

# run_two NAME N: both instances on the same database until N messages settled
run_two() {
	local name=$1 n=$2 p1 p2
	start_bg p1 "$ITMP/$name-1.log" "$DRAFTD" run --config "$CONF1"
	start_bg p2 "$ITMP/$name-2.log" "$DRAFTD" run --config "$CONF2"
	if ! wait_for 240 settled "$n"; then
		not_ok "$name: $n messages processed by two instances: $(sql "SELECT state, count(*) FROM jobs GROUP BY 1") $(tail -3 "$ITMP/$name-1.log")"
	fi
	kill -TERM "$p1" "$p2" 2>/dev/null
	wait "$p1" "$p2" 2>/dev/null
}

# --- 1. a flood from one sender: one automatic reply
if scenario flood 0; then
	files=()
	for n in $(seq "$FLOOD"); do
		stock_mail "$ITMP/flood-$n.eml" "Flood Sender <flood-$$@buyer.example>" "<flood-$n-$$@buyer.example>"
		files+=("$ITMP/flood-$n.eml")
	done
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$USER" INBOX "${files[@]}" >/dev/null
	# Stored and queued before either instance starts: the instance whose
	# poller stores a batch wakes its own workers at once (issue 14), which
	# could leave the other instance nothing to race for; queued up front,
	# both instances' workers draw from the same queue from their first tick.
	"$DRAFTD" poll --once --config "$CONF1" >/dev/null 2>&1 || not_ok "flood: poll --once"
	run_two flood "$FLOOD"
	check "flood of $FLOOD mails from one sender, 2 instances x 8 workers: exactly one automatic reply in the sink (got $(sink_count))" \
		test "$(sink_count)" = 1
	check "flood: exactly one automatic outbox row (got $(sql "SELECT count(*) FROM outbox WHERE is_auto"))" \
		test "$(sql "SELECT count(*) FROM outbox WHERE is_auto")" = 1
	check "flood: every other draft waits for a reviewer, naming the sender limit" \
		test "$(sql "SELECT count(*) FROM drafts WHERE status = 'pending' AND decision_reasons ? 'sender reached the automatic reply limit'")" = $((FLOOD - 1))
	check "flood: both instances drafted part of it" \
		bash -c "grep -q 'pipeline finished.* outcome=drafted' '$ITMP/flood-1.log' && grep -q 'pipeline finished.* outcome=drafted' '$ITMP/flood-2.log'"
else
	not_ok "flood: set up the scenario"
fi

# --- 2. many senders: never more than the hourly cap
CAP=5
SENDERS=$((FLOOD / 4))
if scenario cap "$CAP"; then
	files=()
	for n in $(seq "$SENDERS"); do
		stock_mail "$ITMP/cap-$n.eml" "Buyer $n <cap-$n-$$@buyer.example>" "<cap-$n-$$@buyer.example>"
		files+=("$ITMP/cap-$n.eml")
	done
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$USER" INBOX "${files[@]}" >/dev/null
	run_two cap "$SENDERS"
	check "$SENDERS senders with auto_hourly_cap = $CAP: exactly $CAP automatic replies (got $(sink_count))" \
		test "$(sink_count)" = "$CAP"
	check "cap: the others wait for a reviewer, naming the cap" \
		test "$(sql "SELECT count(*) FROM drafts WHERE status = 'pending' AND decision_reasons ? 'the hourly cap on automatic replies is reached'")" = $((SENDERS - CAP))
else
	not_ok "cap: set up the scenario"
fi

# --- 3. one thread, many senders: one automatic reply on the thread
if scenario thread 0; then
	files=()
	for n in $(seq $((FLOOD / 4))); do
		stock_mail "$ITMP/thread-$n.eml" "Colleague $n <t-$n-$$@buyer.example>" "<thread-$n-$$@buyer.example>" \
			"<thread-root-$$@buyer.example>"
		files+=("$ITMP/thread-$n.eml")
	done
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$USER" INBOX "${files[@]}" >/dev/null
	run_two thread $((FLOOD / 4))
	check "$((FLOOD / 4)) senders on one thread: exactly one automatic reply (got $(sink_count))" \
		test "$(sink_count)" = 1
else
	not_ok "thread: set up the scenario"
fi
exit 0
