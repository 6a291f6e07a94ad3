#!/bin/bash
# SPDX-License-Identifier: MIT
# The agent end to end on the shared corpus: Dovecot -> draftd poll ->
# Postgres -> draftd process (builtin backend, pg connectors on a business
# database loaded from the corpus CSVs, the corpus rules) -> drafts, checked
# against labels.json. Every category is put in auto mode with threshold 0 so
# that only the per-draft gates stand between a draft and an automatic reply.
set -u
. "$(dirname "$0")/lib/common.sh"

corpus=${DRAFTD_CORPUS:-$DRAFTD_SRCDIR/../shared/corpus}
if [ ! -d "$corpus/mail" ]; then
	echo "ok - pipeline corpus acceptance # SKIP: $corpus is absent"
	exit 0
fi

url=$(fresh_db draftd_it_pipeline)
biz=$(fresh_db draftd_it_pipeline_biz)
psql -q -X -d "$biz" -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand int,
    unit_price_eur numeric, lead_time_days int, discontinued bool);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text,
    carrier text, tracking_number text, ship_date date, eta date, total_eur numeric);
\copy inventory FROM '$corpus/data/inventory.csv' WITH (FORMAT csv, HEADER true)
\copy orders FROM '$corpus/data/orders.csv' WITH (FORMAT csv, HEADER true)
SQL
check "business database loaded" test "$(psql_value "$biz" "SELECT count(*) FROM inventory")" -gt 0

svc=$DRAFTD_TEST_SVC_DIR
user=pipeline$$
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
# one by one, in name order: UID n is the n-th file
for f in $(ls "$corpus"/mail/*.eml | sort); do
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$f" >/dev/null || not_ok "deliver $f"
done

conf=$ITMP/pipeline.conf
write_config "$conf" database model_builtin mailbox_dovecot connectors_pg URL="$url" \
	USER="$user" ADDRESS=support@harborparts.example BIZ_URL="$biz" \
	agent.rules_file="$corpus/data/rules.json" log.level=warn "mailbox support.idle=off"

check "check-config accepts the pipeline config" bash -c "\"$DRAFTD\" check-config --config \"$conf\" >/dev/null"
"$DRAFTD" migrate --config "$conf" >/dev/null
psql -q -X -d "$url" -c "INSERT INTO categories (name, mode, threshold)
    SELECT unnest(ARRAY['stock_inquiry','order_status','quote_request','return_request',
                        'address_change','invoice_copy','complaint','other']), 'auto', 0" >/dev/null

out=$("$DRAFTD" poll --once --config "$conf" 2>"$ITMP/poll.err")
check "poll --once succeeds" test $? -eq 0
echo "# $out"
start=$SECONDS
out=$("$DRAFTD" process --once --config "$conf" 2>"$ITMP/process.err")
rc=$?
echo "# $out ($((SECONDS - start)) s)"
[ $rc -eq 0 ] && ok "process --once succeeds" || not_ok "process --once: $(tail -5 "$ITMP/process.err")"
check "no job left queued or dead" test "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state <> 'done'")" -eq 0

psql -XAtq -d "$url" >"$ITMP/rows.json" <<'SQL'
SELECT coalesce(json_agg(x ORDER BY x.uid), '[]') FROM (
  SELECT m.uid, m.state, m.sender, m.screen_reason, m.is_duplicate, m.pipeline,
    (SELECT json_agg(json_build_object('category', d.category, 'recipient', d.recipient, 'body', d.body,
        'guardrail_flags', d.guardrail_flags, 'facts', d.facts, 'status', d.status,
        'decision', d.decision)) FROM drafts d WHERE d.message_id = m.id) AS drafts,
    (SELECT json_agg(o.message_id) FROM outbox o JOIN drafts d ON d.id = o.draft_id
       WHERE d.message_id = m.id) AS outbox
  FROM messages m) x;
SQL
/usr/bin/python3 tests/integration/lib/pipeline_check.py "$ITMP/rows.json" "$corpus/labels.json" \
	"$corpus/data/inventory.csv" "$corpus/data/orders.csv"

out=$("$DRAFTD" process --once --config "$conf" 2>&1)
echo "$out" | grep -q "processed 0" && ok "a second process run finds nothing to do" || not_ok "second run: $out"
n=$(psql_value "$url" "SELECT count(*) FROM (SELECT message_id FROM drafts GROUP BY message_id HAVING count(*) > 1) x")
check "at most one draft per message" test "$n" -eq 0
