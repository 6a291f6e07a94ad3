#!/bin/bash
# SPDX-License-Identifier: MIT
# The REST API end to end: draftd run against a real Postgres, fixture rows
# inserted with SQL, driven with curl. Auth, listing, claim races, PATCH
# with If-Match, approve idempotency and races, reject, categories, the
# audit chain (and a tampered row), health/metrics, bad input and SQL
# injection strings.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

url=$(db_url_for draftd_it_api)
port=$(free_port)
mport=$(free_port)
base=http://127.0.0.1:$port
conf=$ITMP/draftd.conf
mkdir -p "$ITMP/web"
echo '<!doctype html><title>draftd</title>' >"$ITMP/web/index.html"
echo 'secret' >"$ITMP/outside.txt"
write_config "$conf" database api model_builtin URL="$url" API_PORT="$port" api.max_body=4096 \
	api.threads=4 api.web_root="$ITMP/web" metrics.listen="127.0.0.1:$mport" log.level=info \
	"category stock_inquiry.mode=draft" "category stock_inquiry.threshold=0.85" \
	"category order_status.mode=shadow"

"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "migrate"
sql() { psql -XAtq -d "$url" -c "$1"; }

# fixtures: one mailbox, 6 messages, 6 pending drafts
sql "INSERT INTO mailboxes (name, imap_url, imap_user, address) VALUES ('support', 'imap://x', 'support', 'support@harbor.example')"
for i in 1 2 3 4 5 6; do
	sql "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender, reply_to, subject, text_body, headers)
	     VALUES (1, 1, $i, sha256('m$i'::bytea), 10, 'Ann Buyer <ann@customer.example>', NULL, 'Stock HP-$i', 'Is HP-$i in stock?', '{\"to\":\"support@harbor.example\"}')" >/dev/null
	cat=stock_inquiry
	[ "$i" -gt 4 ] && cat=order_status
	sql "INSERT INTO drafts (message_id, category, confidence, confidence_source, subject, body, recipient, model, facts)
	     VALUES ($i, '$cat', 0.9, 'builtin', 'Re: Stock HP-$i', 'Hello Ann, HP-$i is in stock.', 'ann@customer.example', 'builtin', '{}')" >/dev/null
	sql "INSERT INTO jobs (message_id, state, attempts) VALUES ($i, 'done', 3)" >/dev/null
done

# two messages without a draft in a mailbox of their own (the redraft test
# hands message 4 to a worker, which may leave it for a human too): one for a
# human, one skipped at screening
sql "INSERT INTO mailboxes (name, imap_url, imap_user, address) VALUES ('triage', 'imap://x', 'triage', 'triage@harbor.example')"
sql "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender, subject, text_body, state, pipeline)
     VALUES (2, 1, 7, sha256('m7'::bytea), 10, 'Cy Angry <cy@customer.example>', 'Broken pump again', 'The pump broke twice.', 'human',
     '{\"outcome\": \"human\", \"reason\": \"category is off: a human writes the reply\", \"classification\": {\"category\": \"complaint\"}}')" >/dev/null
sql "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender, subject, text_body, state, screen_reason, is_bulk)
     VALUES (2, 1, 8, sha256('m8'::bytea), 10, 'news@list.example', 'Weekly news', 'news', 'skipped', 'bulk', true)" >/dev/null
sql "UPDATE drafts SET notes = '[\"Do not promise a date.\"]', language = 'en', shadow = '{\"would_auto_send\": false}' WHERE id = 2" >/dev/null

tok() { "$DRAFTD" token create --config "$conf" --name "$1" --role "$2" 2>>"$ITMP/cli.log" | tail -n 1; }
alice=$(tok alice reviewer)
bob=$(tok bob reviewer)
admin=$(tok root admin)
revoked=$(tok mallory reviewer)
case "$alice" in dft_*) ok "token create prints the token on the last line" ;; *) not_ok "token create: '$alice'" ;; esac
"$DRAFTD" token revoke --config "$conf" mallory >/dev/null 2>>"$ITMP/cli.log" && ok "token revoke" || not_ok "token revoke"
out=$(python3 tests/integration/lib/log_check.py logfmt "$ITMP/cli.log" \
	"api token created|token_name=alice|role=reviewer|actor=cli|expires=never" \
	"api token created|token_name=root|role=admin" "api token revoked|token_name=mallory|actor=cli" 2>&1) &&
	ok "token create and revoke are logged by name, never the token: $out" || not_ok "token logs: $out"
n=$(sql "SELECT count(*) FROM api_tokens WHERE token_hash = sha256('$alice'::bytea)")
check "only the token's sha256 is stored" test "$n" = 1

log=$ITMP/run.log
start_bg pid "$log" "$DRAFTD" run --config "$conf"
if ! wait_for 10 curl -sf "$base/healthz" -o /dev/null; then
	not_ok "api start: $(cat "$log")"
	exit 1
fi
ok "draftd run serves /healthz"

# req TOKEN METHOD PATH [BODY] [extra curl args...]: body in $ITMP/out, prints status
req() {
	local t=$1 m=$2 p=$3 b=${4:-}
	shift 3
	[ $# -gt 0 ] && shift
	local a=(-s -o "$ITMP/out" -w '%{http_code}' -X "$m")
	[ -n "$t" ] && a+=(-H "Authorization: Bearer $t")
	[ -n "$b" ] && a+=(-H 'Content-Type: application/json' --data-binary "$b")
	curl "${a[@]}" "$@" "$base$p"
}
# js EXPR: evaluates a python expression over the last body as j
js() { python3 -c "import json,sys; j=json.load(open('$ITMP/out')); print($1)"; }
expect() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: want $2 got $3 $(head -c 300 "$ITMP/out")"; fi
}

# auth
expect "no token: 401" 401 "$(req "" GET /api/v1/drafts)"
expect "401 is a JSON error" unauthorized "$(js "j['error']['code']")"
expect "wrong token: 401" 401 "$(req dft_nope GET /api/v1/drafts)"
expect "revoked token: 401" 401 "$(req "$revoked" GET /api/v1/drafts)"
expect "reviewer on admin endpoint: 403" 403 "$(req "$alice" PUT /api/v1/categories/stock_inquiry '{"mode":"auto"}')"
expect "reviewer cannot read the audit log" 403 "$(req "$alice" GET /api/v1/audit)"
expect "refused PUT changed nothing" draft "$(sql "SELECT mode FROM categories WHERE name = 'stock_inquiry'")"
expect "no token on approve: 401" 401 "$(req "" POST /api/v1/drafts/1/approve '{}')"
expect "refused approve changed nothing" pending "$(sql "SELECT status FROM drafts WHERE id = 1")"
expect "healthz needs no token" 200 "$(req "" GET /healthz)"
expect "openapi.yaml needs no token" 200 "$(req "" GET /api/v1/openapi.yaml)"
grep -q '^openapi: 3.1' "$ITMP/out" && ok "openapi document served" || not_ok "openapi body"

# who am I
expect "GET /me" 200 "$(req "$alice" GET /api/v1/me)"
expect "/me names the token and its role" "alice reviewer" "$(js "j['name'], j['role']")"
expect "GET /me as admin" 200 "$(req "$admin" GET /api/v1/me)"
expect "/me for the admin token" "root admin" "$(js "j['name'], j['role']")"
expect "GET /me without a token: 401" 401 "$(req "" GET /api/v1/me)"
expect "GET /me with a revoked token: 401" 401 "$(req "$revoked" GET /api/v1/me)"

# listing
expect "list drafts" 200 "$(req "$alice" GET /api/v1/drafts)"
expect "six drafts, newest first" "6 6" "$(js "len(j['drafts']), j['drafts'][0]['id']")"
expect "list has summary fields" "True" "$(js "all(k in j['drafts'][0] for k in ['status','category','confidence','confidence_source','subject','message_subject','sender','mailbox','created_at','age_seconds','flags','claimed_by','claim_expires','version'])")"
expect "list items carry the original message's subject" "Stock HP-6|Re: Stock HP-6" "$(js "j['drafts'][0]['message_subject'] + '|' + j['drafts'][0]['subject']")"
expect "page 1 of 2" 200 "$(req "$alice" GET '/api/v1/drafts?limit=4&order=oldest')"
expect "oldest first, 4 rows" "[1, 2, 3, 4]" "$(js "[d['id'] for d in j['drafts']]")"
cursor=$(js "j['next_cursor']")
expect "page 2" 200 "$(req "$alice" GET "/api/v1/drafts?limit=4&order=oldest&cursor=$cursor")"
expect "page 2 continues, last page" "[5, 6] None" "$(js "[d['id'] for d in j['drafts']], j['next_cursor']")"
expect "filter by category" 200 "$(req "$alice" GET '/api/v1/drafts?category=order_status')"
expect "category filter" "[6, 5]" "$(js "[d['id'] for d in j['drafts']]")"
expect "filter by q and mailbox" 200 "$(req "$alice" GET '/api/v1/drafts?q=hp-3&mailbox=support&status=pending')"
expect "q filter" "[3]" "$(js "[d['id'] for d in j['drafts']]")"
expect "get one draft" 200 "$(req "$alice" GET /api/v1/drafts/2)"
expect "draft has message and history" "ann@customer.example True" \
	"$(js "j['recipient'], 'text' in j['message'] and isinstance(j['history'], list)")"
expect "draft has notes, shadow and language" "['Do not promise a date.'] False en" \
	"$(js "j['notes'], j['shadow']['would_auto_send'], j['language']")"
expect "get a draft without notes" 200 "$(req "$alice" GET /api/v1/drafts/3)"
expect "no notes is an empty list, no shadow null" "[] None None" "$(js "j['notes'], j['shadow'], j['language']")"
expect "unknown draft: 404" 404 "$(req "$alice" GET /api/v1/drafts/999)"

# claim race: alice and bob at once, exactly one wins
req "$alice" POST /api/v1/drafts/1/claim "" -o "$ITMP/o1" >"$ITMP/c1" &
p1=$!
req "$bob" POST /api/v1/drafts/1/claim "" -o "$ITMP/o2" >"$ITMP/c2" &
p2=$!
wait "$p1" "$p2"
codes=$(sort <(cat "$ITMP/c1"; echo) <(cat "$ITMP/c2"; echo) | tr -d '\n')
expect "two claims at once: one 200, one 409" "200409" "$codes"
holder=$(sql "SELECT claimed_by FROM drafts WHERE id = 1")
other=$bob
[ "$holder" = bob ] && other=$alice
expect "the loser sees the holder" 409 "$(req "$other" POST /api/v1/drafts/1/claim)"
expect "409 names the holder" "$holder" "$(js "j['error']['detail']['claimed_by']")"
expect "release by a non-holder: 409" 409 "$(req "$other" POST /api/v1/drafts/1/release)"
# status filters while draft 1 is claimed
expect "status=pending" 200 "$(req "$alice" GET '/api/v1/drafts?status=pending&order=oldest')"
expect "pending leaves out the live claim" "[2, 3, 4, 5, 6]" "$(js "[d['id'] for d in j['drafts']]")"
expect "status=claimed" 200 "$(req "$alice" GET '/api/v1/drafts?status=claimed')"
expect "claimed lists the claim and its holder" "[1] $holder" "$(js "[d['id'] for d in j['drafts']], j['drafts'][0]['claimed_by']")"
expect "status=open" 200 "$(req "$alice" GET '/api/v1/drafts?status=open&order=oldest')"
expect "open is pending plus claimed" "[1, 2, 3, 4, 5, 6]" "$(js "[d['id'] for d in j['drafts']]")"
expect "status list" 200 "$(req "$alice" GET '/api/v1/drafts?status=claimed,rejected&order=oldest')"
expect "a status list filters on each" "[1]" "$(js "[d['id'] for d in j['drafts']]")"
expect "status list pending,claimed" 200 "$(req "$alice" GET '/api/v1/drafts?status=pending,claimed&limit=2&order=oldest')"
expect "a status list pages" "[1, 2] True" "$(js "[d['id'] for d in j['drafts']], j['next_cursor'] is not None")"
expect "a bad status in a list: 400" 400 "$(req "$alice" GET '/api/v1/drafts?status=pending,bogus')"
expect "an empty status in a list: 400" 400 "$(req "$alice" GET '/api/v1/drafts?status=pending,')"
expect "an empty status: 400" 400 "$(req "$alice" GET '/api/v1/drafts?status=')"
htok=$alice
[ "$holder" = bob ] && htok=$bob
expect "holder releases" 200 "$(req "$htok" POST /api/v1/drafts/1/release)"

# PATCH
expect "PATCH without If-Match: 428" 428 "$(req "$alice" PATCH /api/v1/drafts/2 '{"body":"x"}')"
v=$(sql "SELECT version FROM drafts WHERE id = 2")
expect "PATCH with the version" 200 "$(req "$alice" PATCH /api/v1/drafts/2 '{"body":"Hello Ann, HP-2 ships today."}' -H "If-Match: \"$v\"")"
expect "PATCH bumps the version" $((v + 1)) "$(js "j['version']")"
expect "the saved text comes back as saved" "Hello Ann, HP-2 ships today." "$(js "j['body']")"
expect "the first save claims the draft for its author" "alice" "$(js "j['claimed_by']")"
expect "another reviewer's save while alice holds it: 409" 409 "$(req "$bob" PATCH /api/v1/drafts/2 '{"body":"y"}' -H "If-Match: $((v + 1))")"
expect "the 409 names the holder" "claimed alice" "$(js "j['error']['code'], j['error']['detail']['claimed_by']")"
expect "stale If-Match: 412" 412 "$(req "$alice" PATCH /api/v1/drafts/2 '{"body":"y"}' -H "If-Match: $v")"
expect "the 412 carries the saved text to show beside the new one" "$((v + 1))|Hello Ann, HP-2 ships today.|alice" \
	"$(js "'|'.join([j['error']['detail']['version'], j['error']['detail']['body'], j['error']['detail']['updated_by']])")"
expect "stale PATCH changed nothing" "Hello Ann, HP-2 ships today." "$(sql "SELECT body FROM drafts WHERE id = 2")"
expect "recipient at the sender's domain is fine" 200 "$(req "$alice" PATCH /api/v1/drafts/2 '{"cc":"orders@customer.example"}' -H "If-Match: $((v + 1))")"
expect "recipient elsewhere: 400" 400 "$(req "$alice" PATCH /api/v1/drafts/2 '{"recipient":"evil@attacker.example"}' -H "If-Match: $((v + 2))")"
expect "recipient policy code" recipient_policy "$(js "j['error']['code']")"
n=$(sql "SELECT count(*) FROM audit_log WHERE action = 'draft.edit' AND object_id = '2' AND after ? 'body' AND before ? 'body'")
expect "edit audited with a diff" 1 "$n"

# approve: idempotency, races
expect "approve" 200 "$(req "$alice" POST /api/v1/drafts/2/approve '{}' -H 'Idempotency-Key: k-2')"
mid=$(js "j['outbox']['message_id']")
case "$mid" in "<"*"@harbor.example>") ok "Message-ID at the mailbox's domain" ;; *) not_ok "message id $mid" ;; esac
expect "approve records the edit distance" "t" "$(sql "SELECT edit_distance > 0 AND reviewer = 'alice' AND final_body IS NOT NULL FROM drafts WHERE id = 2")"
expect "same Idempotency-Key again: 200" 200 "$(req "$alice" POST /api/v1/drafts/2/approve '{}' -H 'Idempotency-Key: k-2')"
expect "same result" "$mid" "$(js "j['outbox']['message_id']")"
expect "approve of an approved draft: 200" 200 "$(req "$bob" POST /api/v1/drafts/2/approve '{"body":"other"}')"
expect "still one outbox row" 1 "$(sql "SELECT count(*) FROM outbox WHERE draft_id = 2")"
apids=()
for i in 1 2 3 4 5 6; do
	req "$([ $((i % 2)) = 0 ] && echo "$alice" || echo "$bob")" POST /api/v1/drafts/3/approve '{}' -o "$ITMP/ao$i" >"$ITMP/a$i" &
	apids+=("$!")
done
wait "${apids[@]}"
expect "six concurrent approvals all answer 200" "200200200200200200" "$(cat "$ITMP"/a[1-6])"
expect "six concurrent approvals: one outbox row" 1 "$(sql "SELECT count(*) FROM outbox WHERE draft_id = 3")"
expect "one approve audit row for the race" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'draft.approve' AND object_id = '3'")"

# reject
expect "reject needs a reason" 400 "$(req "$alice" POST /api/v1/drafts/4/reject '{}')"
expect "reject with an unknown category" 400 "$(req "$alice" POST /api/v1/drafts/4/reject '{"reason":"wrong","category":"nope"}')"
expect "reject with corrected category" 200 "$(req "$alice" POST /api/v1/drafts/4/reject '{"reason":"asks about an order","category":"order_status"}')"
expect "reject stored" "rejected|asks about an order|order_status" "$(sql "SELECT status, reject_reason, corrected_category FROM drafts WHERE id = 4")"
expect "approve a rejected draft: 409" 409 "$(req "$alice" POST /api/v1/drafts/4/approve '{}')"

# redraft
expect "ask for a new draft: 202" 202 "$(req "$alice" POST /api/v1/messages/4/draft)"
expect "job re-queued" "queued 0" "$(js "j['job']['state'], j['job']['attempts']")"
expect "redraft audited" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'message.redraft' AND object_id = '4'")"
expect "redraft of an unknown message: 404" 404 "$(req "$alice" POST /api/v1/messages/999/draft)"

# messages without a draft
expect "messages need a token" 401 "$(req "" GET '/api/v1/messages?state=human')"
expect "messages for a human" 200 "$(req "$alice" GET '/api/v1/messages?state=human&mailbox=triage')"
expect "only the human one, with sender, subject, reason, category" \
	"[7]|Cy Angry <cy@customer.example>|Broken pump again|category is off: a human writes the reply|complaint|[]" \
	"$(js "'|'.join(map(str, [[m['id'] for m in j['messages']]] + [j['messages'][0][k] for k in ['sender','subject','reason','category','draft_ids']]))")"
expect "a state list" 200 "$(req "$alice" GET '/api/v1/messages?state=human,skipped&mailbox=triage&order=oldest')"
expect "human and skipped; a screen reason counts as the reason" "[7, 8] bulk" "$(js "[m['id'] for m in j['messages']], j['messages'][1]['reason']")"
expect "messages page 1" 200 "$(req "$alice" GET '/api/v1/messages?limit=5&order=oldest')"
cursor=$(js "j['next_cursor']")
expect "messages with drafts list them" "[1, 2, 3, 4, 5] [1]" "$(js "[m['id'] for m in j['messages']], j['messages'][0]['draft_ids']")"
expect "messages page 2" 200 "$(req "$alice" GET "/api/v1/messages?limit=5&order=oldest&cursor=$cursor")"
expect "messages page 2 continues, last page" "[6, 7, 8] None" "$(js "[m['id'] for m in j['messages']], j['next_cursor']")"
expect "a drafts cursor is not a messages cursor" 400 "$(req "$alice" GET '/api/v1/messages?cursor=c1n5')"
expect "bad state: 400" 400 "$(req "$alice" GET '/api/v1/messages?state=bogus')"
expect "empty state in a list: 400" 400 "$(req "$alice" GET '/api/v1/messages?state=human,')"
expect "unknown parameter on messages: 400" 400 "$(req "$alice" GET '/api/v1/messages?q=x')"
expect "mailbox filter" 200 "$(req "$alice" GET '/api/v1/messages?state=human&mailbox=elsewhere')"
expect "mailbox filter excludes" 0 "$(js "len(j['messages'])")"
expect "one message" 200 "$(req "$alice" GET /api/v1/messages/7)"
expect "the message as text with headers, reason and no drafts" \
	"The pump broke twice.|Cy Angry <cy@customer.example>|Broken pump again|category is off: a human writes the reply|[]|human" \
	"$(js "'|'.join(map(str, [j['text'], j['headers']['from'], j['headers']['subject'], j['reason'], j['drafts'], j['state']]))")"
expect "a drafted message lists its draft" 200 "$(req "$alice" GET /api/v1/messages/2)"
expect "drafts of a message" "[2]" "$(js "[d['id'] for d in j['drafts']]")"
expect "unknown message: 404" 404 "$(req "$alice" GET /api/v1/messages/999)"
expect "bad message id: 404" 404 "$(req "$alice" GET /api/v1/messages/abc)"
expect "ask for a draft of the human message" 202 "$(req "$alice" POST /api/v1/messages/7/draft)"
expect "its pipeline job is queued" "1" "$(sql "SELECT count(*) FROM jobs WHERE message_id = 7 AND stage = 'pipeline'")"
expect "the request is audited" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'message.redraft' AND object_id = '7' AND actor = 'alice'")"

# categories
expect "categories seeded from the config" 200 "$(req "$alice" GET /api/v1/categories)"
expect "config values" "0.85 config" "$(js "' '.join(next((str(c['threshold']), c['source']) for c in j['categories'] if c['name'] == 'stock_inquiry'))")"
expect "the built-in categories beside the configured ones" "True builtin False" \
	"$(js "set(['order_status','stock_inquiry','quote_request','complaint','other']) <= set(c['name'] for c in j['categories']), next(c['source'] for c in j['categories'] if c['name'] == 'quote_request'), any(c['name'] == 'none' for c in j['categories'])")"
expect "admin PUT" 200 "$(req "$admin" PUT /api/v1/categories/stock_inquiry '{"mode":"shadow","threshold":0.8}')"
expect "PUT stored" "shadow|0.8|root" "$(sql "SELECT mode, threshold, updated_by FROM categories WHERE name = 'stock_inquiry'")"
expect "PUT bad mode: 400" 400 "$(req "$admin" PUT /api/v1/categories/stock_inquiry '{"mode":"yolo"}')"
expect "PUT threshold out of range: 400" 400 "$(req "$admin" PUT /api/v1/categories/stock_inquiry '{"threshold":1.5}')"
expect "PUT unknown category: 404" 404 "$(req "$admin" PUT /api/v1/categories/nope '{"mode":"off"}')"
n=$(sql "SELECT count(*) FROM audit_log WHERE action = 'category.update' AND before->>'mode' = 'draft' AND after->>'mode' = 'shadow'")
expect "category change audited before/after" 1 "$n"

# stats, mailboxes, audit
expect "stats" 200 "$(req "$alice" GET /api/v1/stats)"
expect "stats per category" "True" "$(js "any(c['category']=='stock_inquiry' and c['rejected']==1 for c in j['categories'])")"
expect "stats per reviewer" "True" "$(js "any(r['reviewer']=='alice' for r in j['reviewers'])")"
expect "mailboxes" 200 "$(req "$alice" GET /api/v1/mailboxes)"
expect "mailbox listed" support "$(js "j['mailboxes'][0]['name']")"
expect "poll now: 202" 202 "$(req "$alice" POST /api/v1/mailboxes/support/poll)"
expect "poll request stored" t "$(sql "SELECT poll_requested_at IS NOT NULL FROM mailboxes WHERE name = 'support'")"
expect "poll unknown mailbox: 404" 404 "$(req "$alice" POST /api/v1/mailboxes/nope/poll)"
expect "admin reads the audit log" 200 "$(req "$admin" GET '/api/v1/audit?limit=2')"
expect "audit paging" 2 "$(js "len(j['entries'])")"
since=$(js "j['next_since']")
expect "audit since" 200 "$(req "$admin" GET "/api/v1/audit?since=$since")"
expect "audit since continues" "True" "$(js "j['entries'][0]['id'] > $since")"

# health, metrics
expect "readyz" 200 "$(req "$alice" GET /readyz)"
expect "no metrics on the API any more" 404 "$(req "$alice" GET /metrics)"
curl -s -o "$ITMP/out" "http://127.0.0.1:$mport/metrics"
grep -q '^draftd_drafts{status="rejected"} 1$' "$ITMP/out" && ok "metrics count drafts" || not_ok "metrics: $(head -c 600 "$ITMP/out")"
grep -q '^draftd_api_requests_total{code="401"} [1-9]' "$ITMP/out" && ok "metrics count requests by code" || not_ok "metrics codes"

# bad input
expect "malformed JSON: 400" 400 "$(req "$alice" POST /api/v1/drafts/5/reject '{"reason":')"
expect "malformed JSON code" bad_json "$(js "j['error']['code']")"
expect "unknown field: 400" 400 "$(req "$alice" POST /api/v1/drafts/5/reject '{"reason":"x","extra":1}')"
expect "wrong type: 400" 400 "$(req "$alice" POST /api/v1/drafts/5/reject '{"reason":42}')"
expect "non-object body: 400" 400 "$(req "$alice" POST /api/v1/drafts/5/reject '[1,2]')"
big=$(head -c 5000 /dev/zero | tr '\0' a)
expect "oversized body: 413" 413 "$(req "$alice" POST /api/v1/drafts/5/reject "{\"reason\":\"$big\"}")"
expect "oversized chunked body: 413" 413 "$(req "$alice" POST /api/v1/drafts/5/reject "{\"reason\":\"$big\"}" -H 'Transfer-Encoding: chunked')"
expect "huge limit: 400" 400 "$(req "$alice" GET '/api/v1/drafts?limit=100000000000000000000')"
expect "limit over 200: 400" 400 "$(req "$alice" GET '/api/v1/drafts?limit=201')"
expect "bad status: 400" 400 "$(req "$alice" GET '/api/v1/drafts?status=bogus')"
expect "bad cursor: 400" 400 "$(req "$alice" GET '/api/v1/drafts?cursor=xyz')"
expect "unknown query parameter: 400" 400 "$(req "$alice" GET '/api/v1/drafts?frob=1')"
expect "non-numeric id: 404" 404 "$(req "$alice" GET /api/v1/drafts/abc)"
expect "negative id: 404" 404 "$(req "$alice" GET /api/v1/drafts/-1)"
expect "unknown route: 404" 404 "$(req "$alice" GET /api/v1/nothing)"
expect "404 is JSON" not_found "$(js "j['error']['code']")"
expect "wrong method: 405" 405 "$(req "$alice" DELETE /api/v1/drafts/1)"
expect "bad If-Match: 400" 400 "$(req "$alice" PATCH /api/v1/drafts/5 '{"body":"x"}' -H 'If-Match: abc')"
expect "still pending after bad input" pending "$(sql "SELECT status FROM drafts WHERE id = 5")"

# SQL injection strings: refused or stored as text, never executed
inj="x'; DROP TABLE drafts; --"
enc=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$inj")
expect "injection in q" 200 "$(req "$alice" GET "/api/v1/drafts?q=$enc&category=$enc&mailbox=$enc")"
expect "injection in status: 400" 400 "$(req "$alice" GET "/api/v1/drafts?status=$enc")"
expect "injection in cursor: 400" 400 "$(req "$alice" GET "/api/v1/drafts?cursor=$enc")"
expect "injection in id: 404" 404 "$(req "$alice" GET "/api/v1/drafts/1%27%20OR%201=1")"
expect "injection in category name: 404" 404 "$(req "$admin" PUT "/api/v1/categories/$enc" '{"mode":"off"}')"
expect "injection in mailbox name: 404" 404 "$(req "$alice" POST "/api/v1/mailboxes/$enc/poll")"
expect "injection in message state: 400" 400 "$(req "$alice" GET "/api/v1/messages?state=$enc")"
expect "injection in message mailbox" 200 "$(req "$alice" GET "/api/v1/messages?mailbox=$enc")"
expect "injection in audit since: 400" 400 "$(req "$admin" GET "/api/v1/audit?since=$enc")"
body=$(python3 -c 'import json,sys; print(json.dumps({"reason": sys.argv[1]}))' "$inj")
expect "injection in reject reason is stored" 200 "$(req "$alice" POST /api/v1/drafts/5/reject "$body")"
expect "stored as plain text" "$inj" "$(sql "SELECT reject_reason FROM drafts WHERE id = 5")"
v=$(sql "SELECT version FROM drafts WHERE id = 6")
body=$(python3 -c 'import json,sys; print(json.dumps({"subject": sys.argv[1], "body": sys.argv[1]}))' "$inj")
expect "injection in PATCH fields is stored" 200 "$(req "$alice" PATCH /api/v1/drafts/6 "$body" -H "If-Match: $v")"
expect "injection in Idempotency-Key" 200 "$(req "$alice" POST /api/v1/drafts/6/approve '{}' -H "Idempotency-Key: $inj")"
expect "drafts table intact" t "$(sql "SELECT count(*) >= 6 FROM drafts")"
expect "injection in token" 401 "$(req "' OR '1'='1" GET /api/v1/drafts)"

# stats?days=N: daily series. Fixture drafts of a category of their own,
# created and decided on the last three UTC days (and one 40 days ago).
# Inserted only now: the counts checked above must not see them.
sql "INSERT INTO mailboxes (name, imap_url, imap_user, address) VALUES ('series', 'imap://x', 'series', 'series@harbor.example')"
day0="date_trunc('day', now() AT TIME ZONE 'UTC')"
for i in 1 2 3 4 5 6; do
	sql "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender, subject, text_body, state)
	     SELECT id, 1, $i, sha256('series$i'::bytea), 10, 'x@customer.example', 'S$i', 'x', 'drafted' FROM mailboxes WHERE name = 'series'" >/dev/null
done
sdraft() { # UID CREATED STATUS REVIEWER EDIT_DISTANCE DECIDED (SQL expressions, UTC)
	sql "INSERT INTO drafts (message_id, category, subject, body, status, reviewer, edit_distance, created_at, decided_at, reject_reason)
	     SELECT m.id, 'series_fx', 'Re', 'b', '$3', $4, $5, ($2) AT TIME ZONE 'UTC', ($6) AT TIME ZONE 'UTC',
	     CASE WHEN '$3' = 'rejected' THEN 'not what was asked' END
	     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'series' AND m.uid = $1" >/dev/null
}
sdraft 1 "$day0 - interval '2 days' + interval '10 hours'" sent "'carol'" 0 "$day0 - interval '2 days' + interval '10 hours 10 minutes'"
sdraft 2 "$day0 - interval '2 days' + interval '11 hours'" approved "'carol'" 0.4 "$day0 - interval '1 day' + interval '11 hours'"
sdraft 3 "$day0 - interval '1 day'" rejected "'dave'" NULL "$day0 - interval '1 day' + interval '2 minutes'"
sdraft 4 "$day0 - interval '1 day' + interval '1 hour'" auto_sent "'auto'" 0 "$day0 - interval '1 day' + interval '1 hour'"
sdraft 5 "$day0" pending NULL NULL NULL
sdraft 6 "$day0 - interval '40 days'" approved "'carol'" 0 "$day0 - interval '40 days' + interval '1 minute'"
# fx: the category's days; py: the day as a Python dict, by offset from today
fx="next(c['days'] for c in j['series']['categories'] if c['category'] == 'series_fx')"
expect "stats?days=30" 200 "$(req "$alice" GET '/api/v1/stats?days=30')"
expect "the existing fields stay" "True True True" \
	"$(js "isinstance(j['categories'], list), isinstance(j['reviewers'], list), 'unchanged_threshold' in j")"
today=$(date -u +%F)
expect "series: 30 days to today (UTC), overall and per category" "30 30 $today True" \
	"$(js "j['series']['days'], len(j['series']['overall']), j['series']['to'], all(len(c['days']) == 30 for c in j['series']['categories'])")"
expect "series: continuous dates, oldest first, from..to" "True True" \
	"$(js "__import__('datetime').date.fromisoformat(j['series']['from']) + __import__('datetime').timedelta(days=29) == __import__('datetime').date.fromisoformat(j['series']['to']), [d['day'] for d in j['series']['overall']] == [str(__import__('datetime').date.fromisoformat(j['series']['from']) + __import__('datetime').timedelta(days=k)) for k in range(30)]")"
expect "series: configured categories are listed even when quiet" "True True" \
	"$(js "any(c['category'] == 'stock_inquiry' for c in j['series']['categories']), any(c['category'] == 'series_fx' for c in j['series']['categories'])")"
expect "series: two days ago: 2 drafts, 1 reviewed unchanged, mean 0, median 600 s (within 5%)" "2 0 1 1 0 0 1 0 600" \
	"$(js "' '.join(str($fx[-3][k]) for k in ['drafts','auto_sent','reviewed','approved_unchanged','approved_edited','rejected','unchanged_rate','mean_edit_distance']) + ' ' + str((lambda v, w: w if v is not None and abs(v - w) <= 0.05 * w + 0.5 else v)($fx[-3]['median_decision_seconds'], 600))")"
expect "series: yesterday: 2 drafts (1 auto), an edit and a rejection, median 43260 s (within 5%)" "2 1 2 0 1 1 0 0.4 43260" \
	"$(js "' '.join(str($fx[-2][k]) for k in ['drafts','auto_sent','reviewed','approved_unchanged','approved_edited','rejected','unchanged_rate','mean_edit_distance']) + ' ' + str((lambda v, w: w if v is not None and abs(v - w) <= 0.05 * w + 0.5 else v)($fx[-2]['median_decision_seconds'], 43260))")"
expect "series: today: 1 pending draft, no decisions (nulls)" "1 0 None None None" \
	"$(js "' '.join(str($fx[-1][k]) for k in ['drafts','reviewed','unchanged_rate','mean_edit_distance','median_decision_seconds'])")"
expect "series: a quiet day is zeros and nulls" "0 0 0 0 None None" \
	"$(js "' '.join(str($fx[-4][k]) for k in ['drafts','auto_sent','reviewed','rejected','mean_edit_distance','median_decision_seconds'])")"
expect "series: 40 days ago is outside 30 days" 5 "$(js "sum(d['drafts'] for d in $fx)")"
expect "series: overall two days ago is the fixture's" "2 1 1" \
	"$(js "' '.join(str(j['series']['overall'][-3][k]) for k in ['drafts','reviewed','approved_unchanged'])")"
expect "series per reviewer: carol's days, no drafts key, no 'auto'" "1 1 0 | 1 0 1 86400 | False False" \
	"$(js "(lambda c: '%s %s %s | %s %s %s %s | %s %s' % (c[-3]['reviewed'], c[-3]['approved_unchanged'], c[-3]['approved_edited'], c[-2]['reviewed'], c[-2]['approved_unchanged'], c[-2]['approved_edited'], (lambda v, w: w if v is not None and abs(v - w) <= 0.05 * w + 0.5 else v)(c[-2]['median_decision_seconds'], 86400), 'drafts' in c[-2], any(r['reviewer'] == 'auto' for r in j['series']['reviewers'])))(next(r['days'] for r in j['series']['reviewers'] if r['reviewer'] == 'carol'))")"
expect "series per reviewer: dave rejected one yesterday" "1 1 120" \
	"$(js "(lambda c: '%s %s %s' % (c[-2]['reviewed'], c[-2]['rejected'], (lambda v, w: w if v is not None and abs(v - w) <= 0.05 * w + 0.5 else v)(c[-2]['median_decision_seconds'], 120)))(next(r['days'] for r in j['series']['reviewers'] if r['reviewer'] == 'dave'))")"
expect "stats without days: 30 by default" "30 30" "$(req "$alice" GET /api/v1/stats >/dev/null; js "j['series']['days'], len(j['series']['overall'])")"
expect "stats?days=90" 200 "$(req "$alice" GET '/api/v1/stats?days=90')"
expect "90 days reach the draft of 40 days ago" "90 6 1" \
	"$(js "len(j['series']['overall']), sum(d['drafts'] for d in $fx), $fx[-41]['drafts']")"
expect "stats?days=1" 200 "$(req "$alice" GET '/api/v1/stats?days=1')"
expect "one day is today" "1 $today" "$(js "len(j['series']['overall']), j['series']['overall'][0]['day']")"
expect "stats?days=366" 200 "$(req "$alice" GET '/api/v1/stats?days=366')"
for bad in 0 abc 1000 367 -1 '' 1.5 30x; do
	expect "stats?days=$bad: 400" 400 "$(req "$alice" GET "/api/v1/stats?days=$bad")"
done
expect "the 400 says what days may be" "bad_parameter|days must be an integer from 1 to 366" \
	"$(js "j['error']['code'] + '|' + j['error']['message']")"
expect "stats with an unknown parameter: 400" 400 "$(req "$alice" GET '/api/v1/stats?day=3')"
expect "injection in days: 400" 400 "$(req "$alice" GET "/api/v1/stats?days=$enc")"
out=$("$DRAFTD" stats --config "$conf" --days 3 2>&1)
d2=$(date -u -d '2 days ago' +%F)
# (the median from the rollups' histogram: 600 s within 5%)
echo "$out" | grep -Eq "^$d2 +2 +0 +1 +1 +0 +0 +1\.00 +0\.000 +(5[7-9][0-9]|6[0-2][0-9]|630)$" && [ "$(echo "$out" | grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2} ')" = 3 ] &&
	ok "draftd stats --days 3 prints the overall daily table" || not_ok "stats --days 3: $out"
"$DRAFTD" stats --config "$conf" --days 0 >/dev/null 2>&1
expect "draftd stats --days 0 is a usage error" 2 "$?"

# static files
expect "web page served" 200 "$(req "" GET /)"
h=$(curl -s -D - -o /dev/null "$base/index.html")
echo "$h" | grep -qi "content-security-policy: default-src 'self'" && echo "$h" | grep -qi 'x-content-type-options: nosniff' &&
	echo "$h" | grep -qi 'referrer-policy: no-referrer' && ok "static page security headers" || not_ok "headers: $h"
# the handler's time for the page's Resource Timing (perf.mjs, make bench)
h=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $alice" "$base/api/v1/drafts?limit=1")
echo "$h" | grep -Eqi '^server-timing: app;dur=[0-9]+\.[0-9]{3}' && ok "API answers carry Server-Timing: app;dur=MS" ||
	not_ok "Server-Timing: $h"
# and of it the wait for a database connection and the time one was held
# (a request without the database has neither)
echo "$h" | grep -Eqi '^server-timing: app;dur=[0-9]+\.[0-9]{3}, pool;dur=[0-9]+\.[0-9]{3}, db;dur=[0-9]+\.[0-9]{3}' &&
	curl -s -D - -o /dev/null "$base/healthz" | grep -Eqi '^server-timing: app;dur=[0-9]+\.[0-9]{3}.$' &&
	ok "Server-Timing splits a database request's time: pool;dur (waiting for a connection), db;dur (holding it)" ||
	not_ok "Server-Timing pool/db: $h"
expect "no traversal" 404 "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$base/../outside.txt")"
expect "no encoded traversal" 404 "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$base/%2e%2e/outside.txt")"

check "server still serving" curl -sf "$base/healthz" -o /dev/null

# audit chain
out=$("$DRAFTD" audit verify --config "$conf" 2>&1)
check "audit verify: chain intact" test $? -eq 0
bad=$(sql "SELECT id FROM audit_log WHERE action = 'draft.reject' ORDER BY id LIMIT 1")
sql "UPDATE audit_log SET after = jsonb_set(after, '{reason}', '\"tampered\"') WHERE id = $bad" >/dev/null
out=$("$DRAFTD" audit verify --config "$conf" 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "row $bad:" && ok "audit verify names the tampered row" ||
	not_ok "tampered: rc=$rc $out"

kill -TERM "$pid"
wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" && ok "draftd stops on SIGTERM" || not_ok "stop"

# issue 15: every line of the run is strict logfmt with README's keys and no
# field inside msg; every request and every decision is there
out=$(python3 tests/integration/lib/log_check.py logfmt "$log" \
	"request|method=GET|path=/api/v1/me|status=200|actor=root|client=127.0.0.1" \
	"request|method=GET|path=/healthz|status=200|actor=-" \
	"request|method=POST|path=/api/v1/drafts/4/reject|status=400|actor=alice" \
	"request|method=PUT|path=/api/v1/categories/stock_inquiry|status=403|actor=alice" \
	"draft rejected|draft_id=4|actor=alice|reason=asks about an order|category=order_status" \
	"category changed|category=stock_inquiry|actor=root|mode=shadow|promotion=unchanged" \
	"draft approved|actor=alice" 2>&1) &&
	ok "the run's log: $out, strict logfmt, every request and decision" || not_ok "run log: $out"
grep -q "$alice\|$admin" "$log" && not_ok "a token is in the log" || ok "no token in the log"

# TLS with the test CA's server certificate
if [ -f "${DRAFTD_TEST_SVC_DIR:-}/server.pem" ]; then
	tport=$(free_port)
	sed -e "s/^listen = 127.0.0.1:$port\$/listen = 127.0.0.1:$tport/" "$conf" >"$ITMP/tls.conf"
	sed -i "/^\[api\]/a tls_cert = $DRAFTD_TEST_SVC_DIR/server.pem\ntls_key = $DRAFTD_TEST_SVC_DIR/server.key" "$ITMP/tls.conf"
	start_bg tpid "$ITMP/tls.log" "$DRAFTD" run --config "$ITMP/tls.conf"
	if wait_for 10 curl -sf --cacert "$DRAFTD_TEST_SVC_DIR/ca.pem" --resolve "localhost:$tport:127.0.0.1" \
		"https://localhost:$tport/healthz" -o /dev/null; then
		ok "TLS: healthz over https with the configured certificate"
	else
		not_ok "TLS: $(cat "$ITMP/tls.log")"
	fi
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$DRAFTD_TEST_SVC_DIR/ca.pem" \
		--resolve "localhost:$tport:127.0.0.1" -H "Authorization: Bearer $alice" "https://localhost:$tport/api/v1/drafts")
	expect "TLS: authenticated request" 200 "$code"
	kill -TERM "$tpid"
	wait_for 10 bash -c "! kill -0 $tpid 2>/dev/null" || not_ok "TLS server stop"
fi
