#!/bin/bash
# SPDX-License-Identifier: MIT
# The builtin pipeline's batches (issue 14): a worker takes up to [agent]
# batch jobs at once and stores their results in one transaction.
# 1. Batched: the corpus drained with one worker is stored in a few
#    transactions (the audit rows of one transaction share its now()), not
#    one per message (before: one transaction per message), with every
#    message audited once and the audit chain intact.
# 2. One bad message: a message whose draft the database refuses (a test
#    trigger raises for it) fails alone; the batch falls back to one job at
#    a time and every other message is drafted once.
# 3. kill -9 while a batch is open: nothing of it is stored; after the
#    lease every message is drafted exactly once and audited once.
# 4. The batch's rows, written set-based at its commit, are the rows one job
#    at a time writes (messages, drafts, audit), a superseded draft included.
# 5. A lease lost while a batch is open (another owner took a job): the
#    commit finds it, nothing of the batch is kept, the batch runs again one
#    job at a time and the lost job's message is left to its new owner.
set -u
. "$(dirname "$0")/lib/common.sh"

src=${DRAFTD_SRCDIR:-.}
corpus=$src/../shared/corpus
svc=$DRAFTD_TEST_SVC_DIR

# setup NAME: a fresh database and mailbox holding the whole corpus, ingested;
# sets url and conf
setup() {
	local user=batch$1$$
	url=$(fresh_db "draftd_it_batch_$1") || return 1
	tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$corpus"/mail/*.eml >/dev/null
	conf=$ITMP/batch_$1.conf
	write_config "$conf" database model_builtin mailbox_dovecot "${CONNECTORS:-connectors_csv}" URL="$url" \
		USER="$user" ADDRESS=support@harborparts.example DATA="$corpus/data" BIZ_URL="${BIZ:-}" \
		log.level=warn "mailbox support.idle=off" agent.workers=1 agent.batch=32 \
		agent.job_lease=2 agent.max_attempts=1 "${@:2}"
	"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 &&
		"$DRAFTD" poll --once --config "$conf" >"$ITMP/poll_$1.log" 2>&1
}

# the invariants every part ends with
exactly_once() {
	check "$1: no message has two drafts" test "$(psql_value "$url" "SELECT count(*) FROM
		(SELECT message_id FROM drafts GROUP BY message_id HAVING count(*) > 1) x")" = 0
	check "$1: every message the pipeline finished is audited once" test "$(psql_value "$url" \
		"SELECT count(*) FROM messages m JOIN jobs j ON j.message_id = m.id
		WHERE m.state NOT IN ('new', 'failed') AND
		(SELECT count(*) FROM audit_log a WHERE a.action = 'message.decide'
		 AND a.object_id = m.id::text) <> 1")" = 0
	check "$1: no audit row for a message twice" test "$(psql_value "$url" "SELECT count(*) FROM
		(SELECT object_id FROM audit_log WHERE action = 'message.decide'
		 GROUP BY object_id HAVING count(*) > 1) x")" = 0
	"$DRAFTD" audit verify --config "$conf" >"$ITMP/verify.log" 2>&1 &&
		ok "$1: the audit chain verifies" || not_ok "$1: audit verify: $(tail -3 "$ITMP/verify.log")"
}

# a message closed before the pipeline runs: its draft is kept as superseded
close_one() {
	psql -XAtq -d "$1" -c "UPDATE messages SET closed_at = now(), closed_by = 'test', close_reason = 'test' WHERE id = (SELECT m.id
		FROM messages m JOIN jobs j ON j.message_id = m.id ORDER BY m.message_id LIMIT 1)" \
		>/dev/null
}

# what the pipeline stored, without ids and clock times (a fact's fetched_at
# included), as one digest
stored() {
	psql_value "$1" "SELECT count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM
		(SELECT concat_ws(':', m.message_id, m.state, m.status, m.pipeline, m.language,
		 m.human_reason, (SELECT string_agg(concat_ws(',', d.category, d.confidence,
		 d.confidence_source, d.subject, d.body, d.recipient, d.model, d.prompt_version,
		 regexp_replace(d.facts::text, '\"fetched_at\": [0-9]+', '', 'g'), d.rule_hits, d.guardrail_flags, d.decision_reasons, d.notes, d.shadow,
		 d.decision, d.status, d.language, d.reviewer, d.decided_at IS NULL,
		 d.superseded_at IS NULL, d.superseded_by, d.search_tsv), ';')
		 FROM drafts d WHERE d.message_id = m.id),
		 (SELECT string_agg(concat_ws(',', a.after - 'draft_id', a.after ? 'draft_id'), ';')
		 FROM audit_log a WHERE a.object_id = m.id::text AND a.action = 'message.decide'))
		 AS x FROM messages m) y"
}

# 1. batched
setup plain || {
	not_ok "batch: setup"
	exit 0
}
close_one "$url"
n=$(psql_value "$url" "SELECT count(*) FROM jobs")
"$DRAFTD" process --once --config "$conf" >"$ITMP/process1.log" 2>&1
check "batched: every job done ($n)" test "$(psql_value "$url" \
	"SELECT count(*) FROM jobs WHERE state = 'done'")" = "$n"
txns=$(psql_value "$url" "SELECT count(DISTINCT at) FROM audit_log WHERE action = 'message.decide'")
check "batched: $n messages stored in a few transactions (got $txns, at most 4)" test "$txns" -le 4
exactly_once batched
batched_url=$url

# 4. the batch stores what one job at a time stores: the same corpus with
#    [agent] batch = 1 (each result written as it is made), row for row
setup single agent.batch=1 || {
	not_ok "single: setup"
	exit 0
}
close_one "$url"
"$DRAFTD" process --once --config "$conf" >"$ITMP/process_single.log" 2>&1
check "single: the closed message's draft is superseded" test "$(psql_value "$url" \
	"SELECT count(*) FROM drafts WHERE status = 'superseded'")" = 1
a=$(stored "$batched_url")
b=$(stored "$url")
check "batched and one at a time store the same rows ($a, $b)" test "$a" = "$b"

# 2. one bad message: its draft is refused by the database
setup poison || {
	not_ok "poison: setup"
	exit 0
}
bad=$(psql_value "$url" "SELECT min(id) + 3 FROM messages WHERE state = 'new'")
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.message_id = $bad THEN
		RAISE EXCEPTION 'poisoned message %', NEW.message_id;
	END IF;
	RETURN NEW;
END \$\$;
CREATE TRIGGER test_poison BEFORE INSERT ON drafts FOR EACH ROW EXECUTE FUNCTION test_poison();
SQL
drafted=$(psql_value "$url" "SELECT count(*) FROM jobs")
"$DRAFTD" process --once --config "$conf" >"$ITMP/process2.log" 2>&1
check "poison: the bad message's job is dead" test "$(psql_value "$url" \
	"SELECT state FROM jobs WHERE message_id = $bad")" = dead
check "poison: the bad message is marked failed, for a human" test "$(psql_value "$url" \
	"SELECT state FROM messages WHERE id = $bad")" = failed
grep -q "poisoned message $bad" "$ITMP/process2.log" &&
	ok "poison: the error names the database's refusal" ||
	not_ok "poison: error: $(tail -3 "$ITMP/process2.log")"
check "poison: every other job is done" test "$(psql_value "$url" \
	"SELECT count(*) FROM jobs WHERE state = 'done'")" = "$((drafted - 1))"
check "poison: no other job failed an attempt" test "$(psql_value "$url" \
	"SELECT count(*) FROM jobs WHERE message_id <> $bad AND last_error IS NOT NULL")" = 0
exactly_once poison

# 3. kill -9 inside an open batch: each draft insert sleeps, so the batch of
#    32 is open for seconds when draftd dies
setup crash || {
	not_ok "crash: setup"
	exit 0
}
n=$(psql_value "$url" "SELECT count(*) FROM jobs")
psql -XAtq -d "$url" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_sleep(0.3);
	RETURN NEW;
END $$;
CREATE TRIGGER test_slow BEFORE INSERT ON drafts FOR EACH ROW EXECUTE FUNCTION test_slow();
SQL
start_bg pid "$ITMP/process3.log" "$DRAFTD" process --once --config "$conf"
in_batch() {
	[ "$(psql_value "$url" "SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active'
		AND query LIKE 'INSERT INTO drafts%'")" -ge 1 ]
}
wait_for 30 in_batch && ok "crash: a batch is storing drafts" || not_ok "crash: no batch seen"
sleep 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "crash: nothing of the open batch was stored" test "$(psql_value "$url" \
	"SELECT count(*) FROM drafts")" = 0
check "crash: its jobs are still running under the dead lease" test "$(psql_value "$url" \
	"SELECT count(*) FROM jobs WHERE state = 'running'")" -ge 2
psql -XAtq -d "$url" -c "DROP TRIGGER test_slow ON drafts" >/dev/null
# the dead process's backend ends its statement and rolls back; the leases
# (2 s) run out
sleep 3
done_all() {
	"$DRAFTD" process --once --config "$conf" >>"$ITMP/process4.log" 2>&1
	[ "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state = 'done'")" = "$n" ]
}
wait_for 30 done_all && ok "crash: every job is done after the restart" ||
	not_ok "crash: jobs: $(psql_value "$url" "SELECT string_agg(state, ' ') FROM jobs")"
check "crash: every message with a job is drafted, skipped or for a human" test "$(psql_value \
	"$url" "SELECT count(*) FROM messages m JOIN jobs j ON j.message_id = m.id
	WHERE m.state IN ('new', 'failed')")" = 0
exactly_once crash

# 5. a job taken over while its batch is open: the order lookups are slow
#    (an empty business database whose order query sleeps), so the batch of 32
#    stays open for seconds; meanwhile another owner takes one of its jobs
BIZ=$(fresh_db draftd_it_batch_biz)
psql -q -X -d "$BIZ" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand int,
    unit_price_eur numeric, lead_time_days int, discontinued bool);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text,
    carrier text, tracking_number text, ship_date date, eta date, total_eur numeric);
CREATE FUNCTION slow_orders(keys text[]) RETURNS SETOF orders LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_sleep(0.3);
	RETURN QUERY SELECT * FROM orders WHERE order_id = ANY(keys);
END $$;
SQL
BIZ=$BIZ CONNECTORS=connectors_pg setup lost agent.job_lease=60 \
	"connector order.query=SELECT order_id, customer_email, status, carrier, tracking_number, ship_date::text AS ship_date, eta::text AS eta, total_eur FROM slow_orders(\$1)" || {
	not_ok "lost: setup"
	exit 0
}
n=$(psql_value "$url" "SELECT count(*) FROM jobs")
start_bg pid "$ITMP/process5.log" "$DRAFTD" process --once --config "$conf"
batch_open() {
	[ "$(psql_value "$url" "SELECT count(*) FROM jobs WHERE state = 'running'")" -ge 2 ]
}
wait_for 30 batch_open && ok "lost: a batch is open" || not_ok "lost: no batch seen"
stolen=$(psql_value "$url" "UPDATE jobs SET locked_by = 'another-owner'
	WHERE id = (SELECT max(id) FROM jobs WHERE state = 'running') RETURNING message_id")
wait "$pid"
check "lost: the run ends cleanly" test $? = 0
check "lost: the commit noticed the lost lease" grep -q "lease was lost" "$ITMP/process5.log"
check "lost: the taken job is still its new owner's" test "$(psql_value "$url" \
	"SELECT state || ' ' || locked_by FROM jobs WHERE message_id = $stolen")" = \
	"running another-owner"
check "lost: nothing stored for its message" test "$(psql_value "$url" "SELECT
	(SELECT count(*) FROM drafts WHERE message_id = $stolen) + (SELECT count(*) FROM audit_log
	 WHERE action = 'message.decide' AND object_id = '$stolen')")" = 0
check "lost: every other job is done" test "$(psql_value "$url" \
	"SELECT count(*) FROM jobs WHERE state = 'done'")" = $((n - 1))
exactly_once lost
