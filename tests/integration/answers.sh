#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 17 end to end: Dovecot -> draftd poll -> Postgres -> draftd process
# (builtin backend, CSV connectors and the rules of tests/fixtures/eval), with
# every category in auto mode at threshold 0 so only the per-draft gates
# stand between a draft and an automatic reply. Checks:
# - an HTML-table quote over EUR 5,000 is never sent on its own (issue 17: one
#   was, because the quantities in its cells were not read): routed to a
#   human when its quantities can be read (R05), held back with "R05 could
#   not be evaluated: quote.estimated_total_eur unknown" when they cannot
#   (a table of bare figures) or when none are given;
# - a third party asking about someone else's order gets no details, is told
#   they go to the account holder and offered a forward, and a person sends it;
# - "the tracking number doesn't work" gets the carrier, the ship date and
#   the offer of a person;
# - replies in Spanish and German greet a person by name (every letter kept)
#   and a department neutrally, with dates as the language writes them;
# - check-config lists the facts the rules read and where they come from.
set -u
. "$(dirname "$0")/lib/common.sh"

src=${DRAFTD_SRCDIR:-.}
ev=$src/tests/fixtures/eval
url=$(fresh_db draftd_it_answers) || {
	not_ok "answers: create database"
	exit 0
}
svc=$DRAFTD_TEST_SVC_DIR
user=answers$$
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null
mails=(
	023-html-table-quote-over-limit.eml 028-quote-no-quantities.eml 018-third-party-order.eml
	014-tracking-doesnt-work.eml 016-es-estado-pedido-pendiente.eml
	015-de-wo-bleibt-bestellung.eml
)
for f in "${mails[@]}"; do
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$ev/mail/$f" >/dev/null || not_ok "deliver $f"
done
for f in quote-html-table-de.eml quote-table-unreadable.eml de-tracking-geht-nicht.eml; do
	tests/services/dovecot.sh deliver "$svc" "$user" INBOX "$src/tests/fixtures/answers/$f" >/dev/null
done

conf=$ITMP/answers.conf
write_config "$conf" database model_builtin mailbox_dovecot connectors_csv URL="$url" \
	USER="$user" ADDRESS=support@harborparts.example DATA="$ev/data" \
	agent.rules_file="$ev/data/rules.json" log.level=warn "mailbox support.idle=off"

out=$("$DRAFTD" check-config --config "$conf" 2>&1)
check "check-config accepts the config" test $? -eq 0
echo "$out" | grep -Eq 'R05 +quote.estimated_total_eur +computed: the quantities found in the mail x unit_price_eur from connector inventory' &&
	ok "check-config says where quote.estimated_total_eur comes from" ||
	not_ok "check-config lists the facts: $out"
echo "$out" | grep -Eq 'R09 +order.belongs_to_sender +computed: connector order' &&
	ok "check-config says where order.belongs_to_sender comes from" || not_ok "check-config R09: $out"

"$DRAFTD" migrate --config "$conf" >/dev/null
psql -q -X -d "$url" -c "INSERT INTO categories (name, mode, threshold)
    SELECT unnest(ARRAY['stock_inquiry','order_status','quote_request','return_request',
                        'address_change','invoice_copy','complaint','other']), 'auto', 0" >/dev/null
"$DRAFTD" poll --once --config "$conf" >/dev/null 2>"$ITMP/poll.err" || not_ok "poll: $(tail -3 "$ITMP/poll.err")"
out=$("$DRAFTD" process --once --config "$conf" 2>"$ITMP/process.err")
check "process --once succeeds" test $? -eq 0
echo "# $out"

# one row per message: subject, outbox rows, rules outcome, notes, body
row() {
	psql -XAtq -d "$url" -v subj="$1" <<'SQL'
SELECT json_build_object('outbox', (SELECT count(*) FROM outbox o JOIN drafts d ON d.id = o.draft_id
                                     WHERE d.message_id = m.id),
       'rules', m.pipeline->'rules'->>'outcome',
       'notes', (SELECT d.notes FROM drafts d WHERE d.message_id = m.id ORDER BY d.id DESC LIMIT 1),
       'flags', (SELECT d.guardrail_flags FROM drafts d WHERE d.message_id = m.id ORDER BY d.id DESC LIMIT 1),
       'body', (SELECT d.body FROM drafts d WHERE d.message_id = m.id ORDER BY d.id DESC LIMIT 1),
       'decision', (SELECT d.decision FROM drafts d WHERE d.message_id = m.id ORDER BY d.id DESC LIMIT 1))
FROM messages m WHERE m.subject = :'subj' LIMIT 1;
SQL
}
field() { /usr/bin/python3 -c 'import json,sys; v=json.loads(sys.stdin.read() or "{}").get(sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$1"; }

# the issue's mail: quantities only in the cells of an HTML table (4 x 1,120 +
# 3 x 342 = EUR 5,506), once sent automatically as a EUR 1,462 quote
r=$(row "Anfrage Angebot Kühler und Ventile")
check "HTML-table quote over EUR 5,000 (German, header 'Menge'): not sent" test "$(echo "$r" | field outbox)" = 0
check "HTML-table quote over EUR 5,000 (German): a rule requires a human (R05)" test "$(echo "$r" | field rules)" = require_human
b=$(echo "$r" | field body)
echo "$b" | grep -q "4 x 1.120,00 EUR = 4.480,00 EUR" && echo "$b" | grep -q "Summe zu Listenpreisen: 5.506,00 EUR" &&
	ok "HTML-table quote: the German draft has the quantities from the cells and the total" || not_ok "German quote body: $b"

r=$(row "RFQ 2025-114 hydraulic units")
check "HTML-table quote over EUR 5,000 (read from the table): not sent" test "$(echo "$r" | field outbox)" = 0
check "HTML-table quote over EUR 5,000: a rule requires a human (R05)" test "$(echo "$r" | field rules)" = require_human

r=$(row "Quote request press line")
check "quote table of bare figures: not sent" test "$(echo "$r" | field outbox)" = 0
echo "$r" | field notes | grep -q "R05 could not be evaluated: quote.estimated_total_eur unknown" &&
	ok "quote table of bare figures: the reviewer reads 'R05 could not be evaluated: quote.estimated_total_eur unknown'" ||
	not_ok "unreadable quote notes: $r"

r=$(row "Quote request - cylinder and power pack")
check "quote without quantities: not sent" test "$(echo "$r" | field outbox)" = 0
echo "$r" | field notes | grep -q "R05 could not be evaluated: quote.estimated_total_eur unknown (no quantity found for HP-81007)" &&
	ok "quote without quantities: the note names the missing quantity" || not_ok "no-quantity notes: $r"

r=$(row "Delivery for Kingsley Marine")
b=$(echo "$r" | field body)
check "third party: not sent" test "$(echo "$r" | field outbox)" = 0
echo "$b" | grep -q "we can only share order details with the account holder" &&
	echo "$b" | grep -q "we will forward your message" &&
	ok "third party: told details go to the account holder, offered a forward" || not_ok "third party body: $b"
if echo "$b" | grep -Eq "Here is the latest|JD014600007731310425|DHL"; then
	not_ok "third party: no heading without content and none of the owner's data: $b"
else
	ok "third party: no empty heading and none of the owner's data"
fi

r=$(row "Re: Your order SO-310415 has shipped")
b=$(echo "$r" | field body)
echo "$b" | grep -q "left our warehouse on 10 March 2025 with UPS" &&
	echo "$b" | grep -q "a colleague will contact UPS for you" &&
	ok "tracking number does not work: carrier, ship date and the offer of a person" ||
	not_ok "tracking reply: $b"

r=$(row "Nummer geht nicht")
b=$(echo "$r" | field body)
echo "$b" | grep -q "am 10.03.2025 mit DHL verlassen" && echo "$b" | grep -q "wendet sich ein Kollege" &&
	ok "German tracking problem: German reply, German date, offer of a person" || not_ok "German tracking reply: $b"

r=$(row "Estado del pedido SO-310420")
b=$(echo "$r" | field body)
case "$b" in
"Buenos días, Sofía Martínez:"*) ok "Spanish reply greets Sofía Martínez, every letter kept" ;;
*) not_ok "Spanish greeting: $b" ;;
esac

r=$(row "Wo bleibt unsere Bestellung 310418?")
b=$(echo "$r" | field body)
case "$b" in
"Sehr geehrte Damen und Herren,"*) ok "a department's display name gets the neutral German greeting" ;;
*) not_ok "German greeting: $b" ;;
esac
