#!/bin/bash
# SPDX-License-Identifier: MIT
# draftd run under a service manager (Type=notify): READY=1 once every
# service has started, RELOADING=1 with MONOTONIC_USEC and READY=1 again
# around a SIGHUP (also when the new config fails), WATCHDOG=1 pings while
# $WATCHDOG_USEC asks for them, STOPPING=1 on SIGTERM. The service manager's
# socket is a unix datagram socket read by tests/integration/lib/notify_sink.py.
# Without $NOTIFY_SOCKET, or with one nobody listens on, draftd runs as ever.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"
src=${DRAFTD_SRCDIR:-$PWD}

url=$(db_url_for draftd_it_notify)
port=$(free_port)
conf=$ITMP/draftd.conf
write_config "$conf" database api URL="$url" API_PORT="$port" api.threads=2
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "migrate"

sock=$ITMP/notify.sock
msgs=$ITMP/notify.log
: >"$msgs"
start_bg sink "$ITMP/sink.log" /usr/bin/python3 "$src/tests/integration/lib/notify_sink.py" "$sock" "$msgs"
wait_for 10 test -S "$sock" || { not_ok "notify sink starts: $(cat "$ITMP/sink.log")"; exit 1; }
got() { grep -c -- "$1" "$msgs"; }

# the watchdog asks for a ping every 0.6 s: draftd pings at half that
log=$ITMP/run.log
start_bg pid "$log" env NOTIFY_SOCKET="$sock" WATCHDOG_USEC=600000 \
	bash -c 'export WATCHDOG_PID=$$; exec "$@"' _ "$DRAFTD" run --config "$conf"
if wait_for 20 grep -q 'READY=1' "$msgs"; then
	ok "READY=1 sent"
else
	not_ok "no READY=1: $(cat "$msgs") $(tail -5 "$log")"
fi
# READY means serving: the API answers at once, without a retry
curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/healthz" && ok "the API serves when READY=1 arrives" ||
	not_ok "READY=1 before the API served"
grep 'READY=1' "$msgs" | head -n 1 | grep -q 'STATUS=' && ok "READY=1 carries a STATUS= line" ||
	not_ok "READY without STATUS: $(cat "$msgs")"
grep -q 'MAINPID\|ERRNO' "$msgs" && not_ok "unexpected fields: $(cat "$msgs")" || ok "no MAINPID/ERRNO noise"
wait_for 20 bash -c "[ \$(grep -c 'WATCHDOG=1' '$msgs') -ge 3 ]" && ok "WATCHDOG=1 pings keep coming" ||
	not_ok "watchdog pings: $(got WATCHDOG=1)"

kill -HUP "$pid"
wait_for 20 bash -c "grep -q 'RELOADING=1' '$msgs' && [ \$(grep -c 'READY=1' '$msgs') -ge 2 ]" &&
	ok "SIGHUP: RELOADING=1 then READY=1" || not_ok "reload messages: $(cat "$msgs")"
line=$(grep 'RELOADING=1' "$msgs" | head -n 1)
recv=${line%%$'\t'*}
mono=$(echo "$line" | tr '|' '\n' | sed -n 's/^MONOTONIC_USEC=//p')
# sent before it was received, on the same clock, not long before
[ -n "$mono" ] && [ "$mono" -le "$recv" ] && [ $((recv - mono)) -lt 60000000 ] &&
	ok "RELOADING=1 carries MONOTONIC_USEC on CLOCK_MONOTONIC ($mono <= $recv)" ||
	not_ok "MONOTONIC_USEC: '$mono' received at $recv"
awk -F'\t' '/RELOADING=1/ {r=NR} /READY=1/ && r && NR>r {ok=1} END {exit !ok}' "$msgs" &&
	ok "READY=1 follows RELOADING=1" || not_ok "order: $(cat "$msgs")"

# a config that fails to load: still READY again, the status says so
cp "$conf" "$ITMP/good.conf"
printf '[nope]\n' >>"$conf"
kill -HUP "$pid"
wait_for 20 bash -c "[ \$(grep -c 'RELOADING=1' '$msgs') -ge 2 ] && [ \$(grep -c 'READY=1' '$msgs') -ge 3 ]" &&
	ok "a failed reload ends in READY=1 too (the old config runs on)" || not_ok "failed reload: $(cat "$msgs")"
grep 'READY=1' "$msgs" | tail -n 1 | grep -qi 'STATUS=.*reload failed' && ok "STATUS says the reload failed" ||
	not_ok "status after failed reload: $(grep READY=1 "$msgs" | tail -n 1)"
cp "$ITMP/good.conf" "$conf"

kill -TERM "$pid"
wait "$pid" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || not_ok "exit $rc"
grep -q 'STOPPING=1' "$msgs" && ok "STOPPING=1 sent" || not_ok "no STOPPING=1: $(cat "$msgs")"
awk '/STOPPING=1/ {s=1} s && /WATCHDOG=1|READY=1/ {bad=1} END {exit bad}' "$msgs" &&
	ok "nothing but STOPPING after STOPPING" || not_ok "after STOPPING: $(cat "$msgs")"

# no watchdog asked: no pings
: >"$msgs"
start_bg pid "$log" env NOTIFY_SOCKET="$sock" "$DRAFTD" run --config "$conf"
wait_for 20 grep -q 'READY=1' "$msgs" && ok "READY=1 without a watchdog" || not_ok "no READY: $(tail -3 "$log")"
sleep 1
[ "$(got WATCHDOG=1)" = 0 ] && ok "no WATCHDOG=1 when \$WATCHDOG_USEC is unset" || not_ok "pings without a watchdog"
kill -TERM "$pid"
wait "$pid" 2>/dev/null

# nobody listening, or no socket at all: runs as ever
for env in "NOTIFY_SOCKET=$ITMP/nobody.sock" "DRAFTD_UNUSED=1"; do
	start_bg pid "$log" env "$env" "$DRAFTD" run --config "$conf"
	if wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
		rc=$?
		[ $rc -eq 0 ] && ok "with $env: serves and stops cleanly" || not_ok "with $env: exit $rc"
	else
		not_ok "with $env: never served: $(tail -3 "$log")"
	fi
done
kill -TERM "$sink"
wait "$sink" 2>/dev/null
