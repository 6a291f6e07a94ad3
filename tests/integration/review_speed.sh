#!/bin/bash
# SPDX-License-Identifier: MIT
# The reviewers' speed in GET /stats (issue 16 item 6): time per decision
# (the gap since the same person's previous decision, gaps over 15 minutes
# being breaks) and decisions per active hour, per reviewer and overall, over
# [agent] stats_window; automatic sends and decisions outside the window are
# not counted. Decisions placed at known times by SQL.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

url=$(db_url_for draftd_it_review_speed)
port=$(free_port)
base=http://127.0.0.1:$port
conf=$ITMP/draftd.conf
write_config "$conf" database api URL="$url" API_PORT="$port" api.threads=2 || not_ok "write_config"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "migrate"
sql() { psql -XAtq -d "$url" -c "$1"; }
sql "INSERT INTO mailboxes (name, imap_url, imap_user, address) VALUES ('support', 'imap://x', 'support', 'support@harbor.example')"
h0="date_trunc('hour', now()) - interval '2 days'"
n=0
decide() { # REVIEWER OFFSET STATUS
	n=$((n + 1))
	sql "INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, sender, subject, text_body, state)
	     VALUES (1, 1, $n, sha256('m$n'::bytea), 10, 'x@customer.example', 'S$n', 'x', 'drafted')" >/dev/null
	sql "INSERT INTO drafts (message_id, category, subject, body, status, reviewer, created_at, decided_at)
	     SELECT id, 'order_status', 'Re', 'b', '$3', '$1', $h0 - interval '1 hour', $h0 + interval '$2'
	     FROM messages WHERE uid = $n" >/dev/null
}
# rita: gaps 60, 120, 180 s, a break of two hours, then 30 s: timed 60/120/180/30, median 90
decide rita '0 seconds' sent
decide rita '60 seconds' sent
decide rita '180 seconds' rejected
decide rita '360 seconds' sent
decide rita '2 hours' approved
decide rita '2 hours 30 seconds' sent
decide dave '10 minutes' rejected
decide auto '5 minutes' auto_sent
decide rita '-40 days' sent

tok=$("$DRAFTD" token create --config "$conf" --name speed --role reviewer 2>/dev/null | tail -n 1)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 10 curl -sf "$base/healthz" -o /dev/null || { not_ok "api start: $(cat "$ITMP/run.log")"; exit 1; }
curl -s -H "Authorization: Bearer $tok" "$base/api/v1/stats" >"$ITMP/stats.json"
js() { python3 -c "import json; j=json.load(open('$ITMP/stats.json'))['speed']; print($1)"; }

[ "$(js 'j["window_seconds"], j["break_seconds"]')" = "2592000 900" ] &&
	ok "speed is over stats_window (30d) with 15-minute breaks" || not_ok "speed: $(js j)"
r="next(x for x in j['reviewers'] if x['reviewer'] == 'rita')"
[ "$(js "$r['decisions'], $r['timed'], $r['median_seconds_per_decision']")" = "6 4 90.0" ] &&
	ok "rita: 6 decisions in the window, 4 timed, median 90 s (the break and the first are not timed)" ||
	not_ok "rita: $(js "$r")"
[ "$(js "$r['active_hours'], $r['decisions_per_hour']")" = "2 3.0" ] &&
	ok "rita: 2 active hours, 3.0 decisions per hour" || not_ok "rita per hour: $(js "$r")"
d="next(x for x in j['reviewers'] if x['reviewer'] == 'dave')"
[ "$(js "$d['decisions'], $d['timed'], $d['median_seconds_per_decision'], $d['decisions_per_hour']")" = "1 0 None 1.0" ] &&
	ok "dave: one decision, not timed (no previous one), 1.0 per hour" || not_ok "dave: $(js "$d")"
[ "$(js "[x['reviewer'] for x in j['reviewers']]")" = "['dave', 'rita']" ] &&
	ok "automatic sends are not a reviewer" || not_ok "reviewers: $(js "j['reviewers']")"
[ "$(js "j['overall']['decisions'], j['overall']['median_seconds_per_decision'], j['overall']['decisions_per_hour']")" = "7 90.0 3.5" ] &&
	ok "overall: 7 decisions, median 90 s, 3.5 per active hour" || not_ok "overall: $(js "j['overall']")"
