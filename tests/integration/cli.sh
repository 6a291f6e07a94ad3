#!/bin/bash
# SPDX-License-Identifier: MIT
# The draftd binary's subcommands against a real Postgres: check-config,
# migrate (twice), run with SIGHUP reloads and a clean SIGTERM/SIGINT stop,
# and the one-line failures for a bad config or an unreachable database.
set -u
. "$(dirname "$0")/lib/common.sh"

url=$(db_url_for draftd_it_cli)
conf=$ITMP/draftd.conf
# the good file from fragments; the broken ones below are written out, as
# what the config parser is given is what they test
write_config "$conf" database api URL="$url" API_PORT="$(. tests/services/lib.sh && free_port)" \
	log.level=debug

for c in run migrate check-config version; do
	check "draftd $c --help" bash -c "\"$DRAFTD\" $c --help >/dev/null"
done

out=$("$DRAFTD" check-config --config "$conf" 2>&1)
check "check-config accepts a good file" test $? -eq 0
echo "$out" | grep -q ": ok" && ok "check-config says ok" || not_ok "check-config says ok"

printf '[database]\nurl = %s\n[agent]\nworkers = lots\n[nope]\n' "$url" >"$ITMP/bad.conf"
out=$("$DRAFTD" check-config --config "$ITMP/bad.conf" 2>&1)
rc=$?
check "check-config exits 1 on a bad file" test $rc -eq 1
echo "$out" | grep -q "bad.conf:4: \[agent\] workers: 'lots' is invalid" && ok "check-config names file and line" ||
	not_ok "check-config names file and line: $out"
echo "$out" | grep -q "bad.conf:5: \[nope\]: unknown section" && ok "check-config reports every error" ||
	not_ok "check-config reports every error: $out"

out=$(DRAFTD_CONFIG=$ITMP/missing.conf "$DRAFTD" check-config 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "missing.conf: cannot read config" &&
	ok "missing config named via \$DRAFTD_CONFIG" || not_ok "missing config: rc=$rc $out"

out=$("$DRAFTD" migrate --config "$conf" 2>&1)
check "migrate applies the schema" test $? -eq 0
echo "$out" | grep -qE "migrations: [1-9][0-9]* applied" && ok "migrate reports what it applied" || not_ok "migrate output: $out"
out=$("$DRAFTD" migrate --config "$conf" 2>&1)
echo "$out" | grep -q "migrations: 0 applied" && ok "second migrate is a no-op" || not_ok "second migrate: $out"
n=$(psql_value "$url" "SELECT count(*) FROM schema_migrations")
check "schema_migrations has one row per migration" test "$n" -ge 1

printf '[database]\nurl = postgresql://u:topsecret@127.0.0.1:1/x\nconnect_timeout = 2\n' >"$ITMP/nodb.conf"
out=$("$DRAFTD" migrate --config "$ITMP/nodb.conf" 2>&1)
rc=$?
lines=$(echo "$out" | wc -l)
[ $rc -eq 1 ] && [ "$lines" -eq 1 ] && echo "$out" | grep -q "127.0.0.1:1" &&
	! echo "$out" | grep -q topsecret && ok "unreachable database: one line naming the host, exit 1" ||
	not_ok "unreachable database: rc=$rc $out"
out=$("$DRAFTD" run --config "$ITMP/nodb.conf" 2>&1)
check "run exits 1 when the database is unreachable" test $? -eq 1

url2=$(db_url_for draftd_it_cli_empty)
printf '[database]\nurl = %s\n' "$url2" >"$ITMP/empty.conf"
out=$("$DRAFTD" run --config "$ITMP/empty.conf" 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "run 'draftd migrate'" && ok "run refuses an unmigrated database" ||
	not_ok "run on unmigrated db: rc=$rc $out"

check "unknown subcommand exits 2" bash -c "\"$DRAFTD\" frobnicate >/dev/null 2>&1; test \$? -eq 2"

# run: start, SIGHUP with a broken config keeps the old one, a good one is
# swapped in, SIGTERM stops it cleanly.
log=$ITMP/run.log
start_bg pid "$log" "$DRAFTD" run --config "$conf"
wait_for 10 grep -q 'draftd running' "$log" && ok "run starts" || not_ok "run starts: $(cat "$log")"
cp "$conf" "$ITMP/good.conf"
echo "bogus line" >>"$conf"
kill -HUP "$pid"
wait_for 5 grep -q 'reload failed, keeping the running config' "$log" &&
	ok "SIGHUP with a broken config keeps the old one" || not_ok "bad reload: $(cat "$log")"
grep -q 'draftd.conf:7: expected' "$log" && ok "reload error names the line" || not_ok "reload error line"
check "daemon still alive after a failed reload" kill -0 "$pid"
cp "$ITMP/good.conf" "$conf"
kill -HUP "$pid"
wait_for 5 grep -q 'msg="config reloaded"' "$log" && ok "SIGHUP with a good config reloads" ||
	not_ok "good reload: $(cat "$log")"
kill -TERM "$pid"
wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" && ok "SIGTERM stops the daemon" || not_ok "SIGTERM stop"
wait "$pid"
check "exit status 0 after SIGTERM" test $? -eq 0
grep -q 'msg="draftd stopped"' "$log" && ok "logs its stop" || not_ok "logs its stop"
grep -qE '^ts=[0-9T:.-]+Z level=(info|debug|warn|error) ' "$log" && ok "logfmt lines" || not_ok "logfmt lines"

# empty the log first: the old run's "draftd running" must not let SIGINT
# reach the shell's forked child before it is draftd (its EXIT trap would
# remove $ITMP)
: >"$log"
start_bg pid "$log" "$DRAFTD" run --config "$conf"
wait_for 10 grep -q 'draftd running' "$log"
kill -INT "$pid"
wait "$pid"
check "SIGINT stops the daemon with status 0" test $? -eq 0

# A rules file that turns bad is refused at SIGHUP: the running rules stay.
cp deploy/demo/rules.json "$ITMP/rules.json"
printf '[agent]\nrules_file = %s\n' "$ITMP/rules.json" >>"$conf"
check "check-config accepts the rules file" bash -c "\"$DRAFTD\" check-config --config \"$conf\" >/dev/null 2>&1"
# as above: the last run's "draftd running" must not let SIGHUP reach the
# forked child before it is draftd (a loaded machine showed "Hangup")
: >"$log"
start_bg pid "$log" "$DRAFTD" run --config "$conf"
wait_for 10 grep -q 'draftd running' "$log" || not_ok "run with rules starts: $(tail -3 "$log")"
printf '{"rules": [{"id": "BAD1", "name": "x", "when": {"fact": "order.total_eur", "op": "=>", "value": 1}, "actions": [{"type": "skip"}]}]}\n' >"$ITMP/rules.json"
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
echo "$out" | grep -q "BAD1" && ok "check-config names the broken rule" || not_ok "check-config on bad rules: $out"
kill -HUP "$pid"
wait_for 5 grep -q 'keeping the running pipeline' "$log" && ok "SIGHUP with a broken rules file keeps the running rules" ||
	not_ok "rules reload: $(tail -3 "$log")"
grep 'keeping the running pipeline' "$log" | grep -q 'BAD1' && ok "the reload error names the rule" || not_ok "rule id in the reload error"
check "daemon alive after the refused rules" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
