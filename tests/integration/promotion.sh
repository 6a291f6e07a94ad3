#!/bin/bash
# SPDX-License-Identifier: MIT
# Per-category promotion end to end against real Postgres, Dovecot and an
# SMTP sink: draftd run (builtin backend, a CSV inventory) drafts a stream of
# stock inquiries in shadow mode; a simulated reviewer approves them
# unchanged over the REST API until the Wilson bound crosses the target
# (checked against a table computed here), the category goes shadow -> auto
# by itself, new mail is answered with no human (Auto-Submitted, threading
# headers) and sampled for post-send review at the configured rate. Then:
# a bad sample demotes at once; a customer reply with a listed word demotes;
# complaint stays in review whatever its numbers; the kill switch stops all
# automatic sending (nothing is sent after `draftd auto off` returns); two
# auto-responders facing each other get one automatic reply per thread.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
dc() { doveadm -c "$SVC/dovecot.conf" "$@" </dev/null; }

url=$(fresh_db draftd_it_promotion) || { not_ok "promotion: create database"; exit 0; }
user="promo_it_$$"
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null

sink=$ITMP/sink
mkdir -p "$sink"
"$SRC/tests/services/smtp.sh" start "$sink" >/dev/null 2>&1 || { not_ok "promotion: start sink"; exit 0; }
sink_port=$(cat "$sink/smtp.port")
responder_pid=
cleanup() {
	[ -n "$responder_pid" ] && kill "$responder_pid" 2>/dev/null
	"$SRC/tests/services/smtp.sh" stop "$sink" >/dev/null 2>&1
	itest_cleanup
}
trap cleanup EXIT
port=$(free_port)
base=http://127.0.0.1:$port/api/v1

cat >"$ITMP/inventory.csv" <<CSV
sku,name,qty_on_hand,unit_price_eur,lead_time_days,discontinued
HP-10214,Straight fitting G1/2 male x 12L JIC steel,340,4.80,5,false
HP-10233,Tee fitting 1/4 NPT stainless 316,125,11.90,7,false
CSV

conf=$ITMP/draftd.conf
# approved replies go out at once (send_delay 0): these checks wait for the sink
write_config "$conf" database api smtp_sink model_builtin mailbox_dovecot_tls \
	connector_csv_inventory URL="$url" API_PORT="$port" SMTP_PORT="$sink_port" USER="$user" \
	INVENTORY="$ITMP/inventory.csv" review.send_delay=0 agent.workers=2 \
	agent.promotion_interval=1 agent.auto_reply_period=1d agent.auto_hourly_cap=100 \
	agent.reply_window=1h "agent.reply_demote_words=wrong, not what I asked" log.level=info \
	"mailbox support.poll_interval=1" "connector inventory.cache_ttl=0" \
	"category stock_inquiry.mode=shadow" "category stock_inquiry.threshold=0" \
	"category stock_inquiry.min_samples=8" "category stock_inquiry.target_rate=0.7" \
	"category stock_inquiry.promotion=automatic" "category stock_inquiry.audit_sample_rate=0.5" \
	"category complaint.mode=shadow" "category complaint.threshold=0" \
	"category complaint.min_samples=1" "category complaint.target_rate=0.1" \
	"category complaint.promotion=automatic"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "promotion: migrate"; exit 0; }
tok() { "$DRAFTD" token create --config "$conf" --name "$1" --role "$2" 2>/dev/null | tail -n 1; }
admin=$(tok boss admin)
rev=$(tok rita reviewer)
sql() { psql -XAtq -d "$url" -c "$1"; }
sql_true() { [ "$(sql "$1")" = t ]; }
# api TOKEN METHOD PATH [JSON]: the body on stdout, the status in $ITMP/status
api() {
	curl -s -o "$ITMP/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' ${4:+--data "$4"} "$base$3" >"$ITMP/status"
	cat "$ITMP/body"
}
js() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
cat_field() { # cat_field CATEGORY EXPR(c): from GET /stats
	api "$rev" GET /stats | js "next(($2) for c in j['categories'] if c['category'] == '$1')"
}

# mail KIND N [EXTRA-HEADERS]: delivers one mail into INBOX
mail() {
	local f=$ITMP/mail-$1-$2.eml subject body from="Buyer $2 <b$2-$$@buyer.example>"
	case $1 in
	stock)
		subject="Stock availability HP-10214"
		body="Hello,\n\nis HP-10214 in stock? We would need 20 pieces.\n\nRegards\nBuyer $2"
		;;
	complaint)
		subject="Complaint: damaged delivery"
		body="Hello,\n\nI want to complain: the delivery arrived damaged and the parts are broken. This is unacceptable.\n\nBuyer $2"
		;;
	esac
	{
		printf 'From: %s\nTo: support@example.com\nSubject: %s\n' "$from" "$subject"
		printf 'Message-ID: <%s-%s-%s@buyer.example>\nDate: %s\n' "$1" "$2" "$$" "$(date -R)"
		[ $# -gt 2 ] && printf '%s\n' "$3"
		printf 'Content-Type: text/plain; charset=utf-8\n\n'
		printf "$body\n"
	} >"$f"
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$f" >/dev/null
}
msgid() { echo "<$1-$2-$$@buyer.example>"; }
draft_of() { sql "SELECT d.id FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.message_id = '$(msgid "$1" "$2")'"; }
has_draft() { [ -n "$(draft_of "$1" "$2")" ]; }
mode_of() { sql "SELECT mode FROM categories WHERE name = '$1'"; }
mode_is() { [ "$(mode_of "$1")" = "$2" ]; }
in_sink_to() { grep -l "^To: .*$1" "$sink"/smtp-maildir/new/* 2>/dev/null | wc -l; }
sink_count() { ls "$sink"/smtp-maildir/new 2>/dev/null | wc -l; }

dpid=
start_bg dpid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 15 grep -qs 'draftd running' "$ITMP/run.log" || { not_ok "promotion: draftd run starts: $(tail -5 "$ITMP/run.log")"; exit 0; }
ok "draftd run starts"

# --- 1. shadow mode records what auto would have done
for n in 1 2 3 4 5 6 7 8 9 10; do mail stock "$n"; done
if wait_for 60 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM drafts WHERE category = 'stock_inquiry'\") -ge 10 ]"; then
	ok "ten stock inquiries drafted"
else
	not_ok "ten stock inquiries drafted: $(sql "SELECT count(*), string_agg(DISTINCT coalesce(category, '-'), ',') FROM drafts") $(tail -3 "$ITMP/run.log")"
fi
check "shadow: every draft records would_auto = true" test "$(sql "SELECT count(*) FROM drafts WHERE category = 'stock_inquiry' AND (shadow->>'would_auto')::boolean")" = 10
check "shadow: nothing was sent automatically" test "$(sql "SELECT count(*) FROM outbox WHERE is_auto")" = 0
[ "$(sql "SELECT count(*) FROM drafts WHERE category = 'stock_inquiry' AND (shadow->>'would_auto')::boolean")" = 10 ] ||
	echo "# reasons: $(sql "SELECT decision_reasons FROM drafts WHERE category = 'stock_inquiry' LIMIT 1")"

# --- 2. the simulated reviewer approves unchanged, one by one
# Expected lower bounds, independently: n / (n + 1.96^2) for n of n unchanged.
expect_lower() { /usr/bin/python3 -c "n=$1; print('%.6f' % (n / (n + 1.96 ** 2)))"; }
early=
for n in 1 2 3 4 5 6 7 8 9; do
	id=$(draft_of stock "$n")
	api "$rev" POST "/drafts/$id/approve" '{}' >/dev/null
	[ "$(cat "$ITMP/status")" = 200 ] || not_ok "approve draft $id: $(cat "$ITMP/status") $(cat "$ITMP/body")"
	got=$(cat_field stock_inquiry "'%.6f %s %s' % (c['unchanged_lower_bound'], c['eligible'], c['window']['reviewed'])")
	want="$(expect_lower "$n") $([ "$n" -ge 9 ] && echo True || echo False) $n"
	if [ "$got" != "$want" ]; then
		not_ok "after $n approvals: got '$got', want '$want'"
		early=bad
	fi
	if [ "$n" -lt 9 ] && ! mode_is stock_inquiry shadow; then early=promoted; fi
done
check "lower bound and eligibility follow the independent table (eligible exactly at 9 of 9)" test -z "$early"
if wait_for 10 mode_is stock_inquiry auto; then ok "promotion = automatic: shadow -> auto"; else not_ok "promoted: mode=$(mode_of stock_inquiry)"; fi
check "promotion audited with its evidence" sql_true "SELECT count(*) = 1 FROM audit_log WHERE action = 'category.promote' AND object_id = 'stock_inquiry' AND actor = 'promotion' AND (after->'evidence'->>'reviewed')::int = 9"
check "draftd stats shows the category auto and eligible" bash -c "\"$DRAFTD\" stats --config \"$conf\" | grep -Eq '^stock_inquiry +auto +9 +9 +0 +0 +0 +0.7008 +0.70 +8 +yes'"

# --- 3. promoted: new mail is answered with no human, and sampled at 0.5
for n in 11 12 13 14 15 16; do mail stock "$n"; done
auto_sent() { sql "SELECT count(*) FROM drafts WHERE status = 'auto_sent' AND reviewer = 'auto'"; }
if wait_for 60 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM drafts WHERE status = 'auto_sent'\") -ge 6 ]"; then
	ok "six new inquiries answered automatically"
else
	not_ok "answered automatically: $(auto_sent) $(sql "SELECT decision_reasons FROM drafts ORDER BY id DESC LIMIT 1")"
fi
bad=
for n in 11 12 13 14 15 16; do
	f=$(grep -l "^In-Reply-To: $(msgid stock "$n")" "$sink"/smtp-maildir/new/* 2>/dev/null | head -1)
	if [ -z "$f" ]; then bad="$bad no-reply-$n"; continue; fi
	grep -q '^Auto-Submitted: auto-replied' "$f" || bad="$bad auto-submitted-$n"
	grep -q "^References: .*$(msgid stock "$n")" "$f" || bad="$bad references-$n"
	grep -q "^To: .*b$n-$$@buyer.example" "$f" || bad="$bad to-$n"
	grep '^Subject: ' "$f" | grep -qF "$(sql "SELECT subject FROM drafts WHERE id = $(draft_of stock "$n")")" ||
		bad="$bad subject-$n($(grep '^Subject: ' "$f"))"
done
check "each went out with Auto-Submitted, In-Reply-To, References, To, Subject${bad:+ ($bad)}" test -z "$bad"
ids=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM drafts WHERE status = 'auto_sent'")
want=$(/usr/bin/python3 -c "
from math import sqrt
phi = (sqrt(5) - 1) / 2
print(','.join(str(i) for i in [$ids] if (i * phi) % 1 < 0.5))")
got=$(api "$rev" GET /samples | js "','.join(str(s['id']) for s in sorted(j['samples'], key=lambda s: s['id']))")
check "post-send samples at rate 0.5 are exactly the drafts the hash picks ($got of $ids)" test -n "$got" -a "$got" = "$want"

# --- 4. one sample marked bad: back to draft at once, audited
first=${got%%,*}
api "$rev" POST "/samples/$first" '{"verdict":"bad","note":"wrong quantity promised"}' >/dev/null
check "bad verdict accepted" test "$(cat "$ITMP/status")" = 200
check "category is draft right after the bad verdict" mode_is stock_inquiry draft
check "demotion audited with the reason" sql_true "SELECT count(*) = 1 FROM audit_log WHERE action = 'category.demote' AND object_id = 'stock_inquiry' AND after->>'reason' = 'a post-send sample was marked bad'"
api "$rev" POST "/samples/$first" '{"verdict":"fine"}' >/dev/null
check "a judged sample cannot be judged again (409)" test "$(cat "$ITMP/status")" = 409
check "stats show the bad sample and the demotion" test "$(cat_field stock_inquiry "'%s %s %s' % (c['samples']['bad'], c['mode'], c['demote_reason'])")" = "1 draft a post-send sample was marked bad"

# --- 5. a customer reply on an automatically answered thread
api "$admin" PUT /categories/stock_inquiry '{"mode":"auto"}' >/dev/null
check "admin promotes by hand" mode_is stock_inquiry auto
our() { sql "SELECT o.message_id FROM outbox o JOIN drafts d ON d.id = o.draft_id JOIN messages m ON m.id = d.message_id WHERE m.message_id = '$(msgid stock "$1")'"; }
reply() { # reply N TEXT: buyer N answers our automatic reply
	local f=$ITMP/reply-$1.eml o
	o=$(our "$1")
	printf 'From: Buyer %s <b%s-%s@buyer.example>\nTo: support@example.com\nSubject: Re: Stock availability HP-10214\nMessage-ID: <reply-%s-%s@buyer.example>\nIn-Reply-To: %s\nReferences: %s %s\nDate: %s\n\n%s\n' \
		"$1" "$1" "$$" "$1" "$$" "$o" "$(msgid stock "$1")" "$o" "$(date -R)" "$2" >"$f"
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$f" >/dev/null
}
looked_at() { sql_true "SELECT count(*) = 1 FROM auto_thread_replies r JOIN messages m ON m.id = r.message_id WHERE m.message_id = '<reply-$1-$$@buyer.example>'"; }
reply 12 "Thanks, that helps."
wait_for 20 looked_at 12 && ok "a thankful reply is looked at" || not_ok "reply 12 looked at"
check "... and does not demote" mode_is stock_inquiry auto
reply 13 "Sorry, this is not what I asked."
if wait_for 20 mode_is stock_inquiry draft; then ok "a reply with a listed word demotes"; else not_ok "reply demotes: $(mode_of stock_inquiry)"; fi
check "reply demotion audited" sql_true "SELECT count(*) = 1 FROM audit_log WHERE action = 'category.demote' AND after->>'reason' LIKE 'the customer answered%' AND (after->'evidence'->>'auto_draft_id')::bigint = $(draft_of stock 13)"
check "the customer's replies were not answered automatically" test "$(sql "SELECT count(*) FROM outbox o JOIN drafts d ON d.id = o.draft_id JOIN messages m ON m.id = d.message_id WHERE o.is_auto AND m.message_id LIKE '<reply-%'")" = 0

# --- 6. complaint stays in review whatever its numbers
mail complaint 1
mail complaint 2
wait_for 30 has_draft complaint 2 || not_ok "complaints drafted: $(sql "SELECT m.pipeline->'classification' FROM messages m WHERE m.message_id = '$(msgid complaint 2)'")"
for n in 1 2; do
	id=$(draft_of complaint "$n")
	[ -n "$id" ] && api "$rev" POST "/drafts/$id/approve" '{}' >/dev/null
done
sleep 2
check "complaint: never_auto and not eligible in /stats" test "$(cat_field complaint "'%s %s' % (c['never_auto'], c['eligible'])")" = "True False"
check "complaint stays in shadow under promotion = automatic" mode_is complaint shadow
api "$admin" PUT /categories/complaint '{"mode":"auto"}' >/dev/null
check "complaint cannot be set to auto even by an admin (409)" test "$(cat "$ITMP/status")" = 409

# --- 7. the kill switch: nothing is sent after `draftd auto off` returns
api "$admin" PUT /categories/stock_inquiry '{"mode":"auto"}' >/dev/null
before=$(sink_count)
for n in 21 22 23 24 25 26 27 28; do mail stock "$n"; done
wait_for 30 bash -c "[ \$(ls '$sink/smtp-maildir/new' | wc -l) -gt $before ]" || not_ok "kill switch: no automatic reply started"
out=$("$DRAFTD" auto off --config "$conf")
after=$(sink_count)
t_off=$(sql "SELECT now()")
echo "# $out (sink $before -> $after)"
sleep 4
check "no automatic reply reached the sink after auto off returned" test "$(sink_count)" = "$after"
check "no outbox row sent after auto off returned" test "$(sql "SELECT count(*) FROM outbox WHERE is_auto AND sent_at > '$t_off'")" = 0
wait_for 20 bash -c "[ \$(psql -XAtq -d '$url' -c \"SELECT count(*) FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.message_id LIKE '<stock-2_-$$@%' AND d.status IN ('auto_sent', 'pending')\") = 8 ]"
check "the rest wait for review as pending drafts" test "$(sql "SELECT count(*) FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.message_id LIKE '<stock-2_-$$@%' AND d.status = 'pending'")" = "$((8 - (after - before)))"
check "no automatic reply queued while off" test "$(sql "SELECT count(*) FROM outbox WHERE is_auto AND state <> 'sent'")" = 0
check "draftd auto status says off" bash -c "\"$DRAFTD\" auto status --config \"$conf\" | grep -q 'are off'"
check "GET /auto says off" test "$(api "$rev" GET /auto | js "j['enabled']")" = False
check "auto off audited" sql_true "SELECT count(*) = 1 FROM audit_log WHERE action = 'auto.off' AND actor = 'cli'"
api "$rev" POST /auto '{"enabled":true}' >/dev/null
check "a reviewer cannot switch it (403)" test "$(cat "$ITMP/status")" = 403
api "$admin" POST /auto '{"enabled":true}' >/dev/null
check "an admin switches it on again" test "$(cat "$ITMP/status") $(api "$rev" GET /auto | js "j['enabled']")" = "200 True"

# --- 8. two auto-responders facing each other
bot="bot-$$@responder.example"
cat >"$ITMP/responder.py" <<'PY'
import email, os, subprocess, sys, time
new, bot, dovecot, svc, user, tmp = sys.argv[1:]
seen, n, end = set(), 0, time.time() + 14
while time.time() < end:
    for name in sorted(os.listdir(new)):
        if name in seen:
            continue
        seen.add(name)
        m = email.message_from_binary_file(open(os.path.join(new, name), 'rb'))
        if bot not in str(m['To']):
            continue
        n += 1
        f = os.path.join(tmp, 'bot-%d.eml' % n)
        open(f, 'w').write('From: Bot <%s>\nTo: support@example.com\nSubject: Re: %s\n'
                           'Message-ID: <bot-%d-%s>\nIn-Reply-To: %s\nReferences: %s %s\n\n'
                           'Is HP-10214 in stock? We would need 20 pieces.\n'
                           % (bot, m['Subject'], n, bot, m['Message-ID'],
                              m.get('References', ''), m['Message-ID']))
        subprocess.run([dovecot, 'deliver', svc, user, 'INBOX', f], check=True)
        print('replied', n, flush=True)
    time.sleep(0.2)
PY
/usr/bin/python3 "$ITMP/responder.py" "$sink/smtp-maildir/new" "$bot" "$SRC/tests/services/dovecot.sh" \
	"$SVC" "$user" "$ITMP" </dev/null >"$ITMP/responder.log" 2>&1 &
responder_pid=$!
f=$ITMP/bot-0.eml
printf 'From: Bot <%s>\nTo: support@example.com\nSubject: Stock availability HP-10214\nMessage-ID: <bot-0-%s>\nDate: %s\n\nIs HP-10214 in stock? We would need 20 pieces.\n' "$bot" "$bot" "$(date -R)" >"$f"
"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$f" >/dev/null
wait "$responder_pid"
responder_pid=
echo "# responder: $(grep -c replied "$ITMP/responder.log") repl(y/ies) $(grep -v replied "$ITMP/responder.log" | head -3)"
check "the responder got exactly one automatic reply" test "$(in_sink_to "$bot")" = 1
check "the responder answered and its reply was drafted for review" sql_true "SELECT count(*) >= 1 FROM drafts d JOIN messages m ON m.id = d.message_id WHERE m.message_id LIKE '<bot-1-%' AND d.status = 'pending' AND d.decision_reasons ? 'this thread already had an automatic reply'"

kill -TERM "$dpid" 2>/dev/null
wait_for 15 bash -c "! kill -0 $dpid 2>/dev/null" && ok "draftd stops" || not_ok "draftd stops"
grep -q 'level=error' "$ITMP/run.log" && not_ok "errors in the log: $(grep 'level=error' "$ITMP/run.log" | head -3)" || ok "no errors in the log"
