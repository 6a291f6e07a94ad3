#!/bin/bash
# `make bench`: speed and memory of draftd against fixed targets. Starts the
# test services (tests/services/all.sh) in a temp dir and stops them by PID
# on every exit path, then measures
#   - MIME parsing (tests/bench/mime_bench over the corpus, else the demo
#     mailbox, repeated): messages/s, MB/s, peak RSS
#   - ingest: 2,000 generated messages in a Dovecot Maildir, `draftd poll --once`
#   - the pipeline: `draftd process --once` over them (builtin backend, pg
#     connectors on the demo business data, the demo rules), and its peak RSS
#   - `draftd run`: 500 more messages ingested and processed while it runs,
#     then wrk on GET /api/v1/drafts?limit=50 (reviewer token) and /healthz,
#     requests/s and p99 latency, and the daemon's VmHWM afterwards
# and prints a table: figure, measured, target, PASS/FAIL. Exits 1 when a
# target is missed, 2 when the bench itself could not run.
#
# The targets (BENCH_* below, each overridable from the environment) are
# about 1/3 of what a 2-core CI-class machine measured (see the comment on
# each), so a normal machine passes comfortably and a 5-10x regression fails.
#   BUILD=build tests/bench/run.sh
# Environment: BENCH_MESSAGES (2000), BENCH_RUN_MESSAGES (500),
# BENCH_WRK_SECONDS (10), BENCH_CALLGRIND=1 (instructions per parsed message,
# informational, slow).
set -u
cd "$(dirname "$0")/../.."
src=$PWD
BUILD=${BUILD:-build}
case $BUILD in /*) bdir=$BUILD ;; *) bdir=$src/$BUILD ;; esac
DRAFTD=$bdir/draftd
MIME_BENCH=$bdir/tests/mime_bench
N=${BENCH_MESSAGES:-2000}
NRUN=${BENCH_RUN_MESSAGES:-500}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}

# Targets: about 1/3 of what a 2-core VM measured with `make bench`, so a
# normal machine passes and a 5-10x regression fails. Measured (best / on a
# machine loaded by other jobs): mime 18,000 / 3,300-10,000 msg/s and
# 37 / 7-20 MB/s at 9.8 MB RSS; poll 1,160 / 500 msg/s; process 113 / 108
# msg/s at 14 MB; draftd run 185 / 108 msg/s ingested and processed; API
# drafts?limit=50 380 / 340 req/s, p99 75 / 480 ms; /healthz 48,000 / 36,000
# req/s, p99 7 / 12 ms; draftd run VmHWM 17 MB.
T_MIME_MSGS=${BENCH_T_MIME_MSGS:-5000}        # messages/s, at least
T_MIME_MBS=${BENCH_T_MIME_MBS:-10}            # MB/s, at least
T_MIME_RSS=${BENCH_T_MIME_RSS:-32768}         # KiB, at most
T_POLL=${BENCH_T_POLL:-150}                   # messages/s, at least
T_PROCESS=${BENCH_T_PROCESS:-35}              # messages/s, at least
T_PROCESS_RSS=${BENCH_T_PROCESS_RSS:-49152}   # KiB, at most
T_RUN=${BENCH_T_RUN:-35}                      # messages/s ingested+processed by run, at least
T_API_RPS=${BENCH_T_API_RPS:-120}             # requests/s, at least
T_API_P99=${BENCH_T_API_P99:-1000}            # ms, at most
T_HEALTH_RPS=${BENCH_T_HEALTH_RPS:-10000}     # requests/s, at least
T_HEALTH_P99=${BENCH_T_HEALTH_P99:-50}        # ms, at most
T_RUN_HWM=${BENCH_T_RUN_HWM:-65536}           # KiB, at most

for f in "$DRAFTD" "$MIME_BENCH"; do
	[ -x "$f" ] || { echo "bench: $f is missing (make BUILD=$BUILD bench builds it)"; exit 2; }
done
for c in psql doveadm wrk /usr/bin/python3 curl; do
	command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v "$c" >/dev/null 2>&1 || { echo "bench: '$c' is missing: run deploy/install-deps.sh"; exit 2; }
done

tmp=$(mktemp -d /tmp/draftd-bench.XXXXXX)
chmod 755 "$tmp"
svc=$tmp/svc
run_pid=""
cleanup() {
	if [ -n "$run_pid" ]; then
		kill -TERM "$run_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$run_pid" 2>/dev/null
		wait "$run_pid" 2>/dev/null
	fi
	tests/services/all.sh stop "$svc" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rows=()
failed=0
# row NAME VALUE UNIT CMP TARGET: CMP is ge (at least) or le (at most);
# an empty VALUE (not measured) fails.
row() {
	local name=$1 value=$2 unit=$3 cmp=$4 target=$5 res=FAIL sign
	[ "$cmp" = ge ] && sign=">=" || sign="<="
	if [ -n "$value" ] && /usr/bin/python3 -c "import sys; v,t=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if (v>=t if sys.argv[3]=='ge' else v<=t) else 1)" "$value" "$target" "$cmp"; then
		res=PASS
	else
		failed=$((failed + 1))
	fi
	rows+=("$(printf '%-34s %12s %-8s %3s %-10s %s' "$name" "${value:-n/a}" "$unit" "$sign" "$target" "$res")")
}
info() { rows+=("$(printf '%-34s %12s %-8s %s' "$1" "$2" "$3" "(no target)")"); }
# kv FILE KEY: the value of KEY=value in a one-line key=value file
kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1; }
div() { /usr/bin/python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }
say() { echo "bench: $*"; }

# --- MIME parsing ---------------------------------------------------------
mail_dir=${DRAFTD_CORPUS:-$src/../shared/corpus}/mail
[ -d "$mail_dir" ] || mail_dir=$src/deploy/demo/mail
nfiles=$(find "$mail_dir" -maxdepth 1 -name '*.eml' | wc -l)
rounds=$((9000 / (nfiles > 0 ? nfiles : 1)))
say "MIME: $nfiles messages of $mail_dir x $rounds rounds"
# best of three: a busy machine only ever makes a run slower
mime_ok=1
for _ in 1 2 3; do
	"$MIME_BENCH" "$mail_dir" "$rounds" >>"$tmp/mime.all" 2>>"$tmp/mime.err" || mime_ok=0
done
best=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^msgs_per_s=/) { split($i, a, "="); print a[2], NR } }' "$tmp/mime.all" | sort -n -r | head -n 1 | cut -d' ' -f2)
[ -z "$best" ] || sed -n "${best}p" "$tmp/mime.all" >"$tmp/mime.out"
if [ "$mime_ok" = 1 ] && [ -s "$tmp/mime.out" ]; then
	row "mime parse (msgs/s)" "$(kv "$tmp/mime.out" msgs_per_s)" msg/s ge "$T_MIME_MSGS"
	row "mime parse (MB/s)" "$(kv "$tmp/mime.out" mb_per_s)" MB/s ge "$T_MIME_MBS"
	row "mime parse peak RSS" "$(kv "$tmp/mime.out" peak_rss_kb)" KiB le "$T_MIME_RSS"
else
	row "mime parse (msgs/s)" "" msg/s ge "$T_MIME_MSGS"
	cat "$tmp/mime.err"
fi
if [ "${BENCH_CALLGRIND:-}" = 1 ] && command -v valgrind >/dev/null; then
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$MIME_BENCH" "$mail_dir" 2 \
		>/dev/null 2>"$tmp/cg.err"
	ir=$(sed -n 's/^summary: *//p' "$tmp/cg.out" | head -n 1)
	[ -z "$ir" ] || info "mime instructions per message" "$(div "$ir" $((nfiles * 2)))" Ir
fi

# --- services, business data, config ---------------------------------------
say "starting the test services in $svc"
mkdir -p "$svc"
if ! tests/services/all.sh start "$svc" >"$tmp/services.log" 2>&1; then
	cat "$tmp/services.log"
	echo "bench: the test services did not start"
	exit 2
fi
# shellcheck disable=SC1091
. "$svc/env.sh"
PATH=$PATH:/usr/sbin:/sbin
url=$DRAFTD_TEST_DATABASE_URL
biz=$DRAFTD_TEST_BUSINESS_URL
psql -q -X -d "$biz" -v ON_ERROR_STOP=1 >"$tmp/biz.log" 2>&1 <<SQL || { cat "$tmp/biz.log"; exit 2; }
CREATE TABLE inventory (sku text PRIMARY KEY, name text, qty_on_hand int,
    unit_price_eur numeric, lead_time_days int, discontinued bool);
CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, status text,
    carrier text, tracking_number text, ship_date date, eta date, total_eur numeric);
\copy inventory FROM '$src/deploy/demo/data/inventory.csv' WITH (FORMAT csv, HEADER true)
\copy orders FROM '$src/deploy/demo/data/orders.csv' WITH (FORMAT csv, HEADER true)
SQL
user=bench
tests/services/dovecot.sh adduser "$svc" "$user" pw >/dev/null || exit 2
api_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf=$tmp/bench.conf
cat >"$conf" <<CONF
[database]
url = $url
[api]
listen = 127.0.0.1:$api_port
threads = 4
[model]
backend = builtin
templates_dir = $src/deploy/templates
[agent]
workers = 2
rules_file = $src/deploy/demo/rules.json
[log]
level = warn
[mailbox support]
url = imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT
starttls = off
user = $user
password = pw
address = support@harborparts.example
idle = off
poll_interval = 1
fetch_batch = 100
[connector inventory]
type = pg
key = sku
url = $biz
query = SELECT sku, name, qty_on_hand, unit_price_eur, lead_time_days, discontinued FROM inventory WHERE sku = ANY(\$1)
cache_ttl = 30
[connector order]
type = pg
key = order
url = $biz
query = SELECT order_id, customer_email, status, carrier, tracking_number, ship_date::text AS ship_date, eta::text AS eta, total_eur FROM orders WHERE order_id = ANY(\$1)
cache_ttl = 30
CONF
"$DRAFTD" migrate --config "$conf" >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log"; exit 2; }
q() { psql -XAtq -d "$url" -c "$1"; }

# gen N PREFIX: N messages from the demo mailbox written into new/ (fast),
# then indexed by Dovecot (as tests/integration/ingest.sh does).
gen() {
	local dir=$svc/mail/$user/Maildir
	doveadm -c "$svc/dovecot.conf" mailbox status -u "$user" messages INBOX >/dev/null 2>&1
	mkdir -p "$dir/new" "$dir/cur" "$dir/tmp"
	/usr/bin/python3 tests/bench/genmail.py "$dir/new" "$1" "$2" "$src"/deploy/demo/mail/*.eml
	[ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$svc/mail/$user"
	doveadm -c "$svc/dovecot.conf" mailbox status -u "$user" messages INBOX 2>/dev/null
}

# --- ingest -----------------------------------------------------------------
say "ingest: $N generated messages, draftd poll --once"
gen "$N" b1 >/dev/null
/usr/bin/python3 tests/bench/measure.py "$tmp/poll.m" "$DRAFTD" poll --once --config "$conf" \
	>"$tmp/poll.out" 2>"$tmp/poll.err"
stored=$(q "SELECT count(*) FROM messages")
if [ "$(kv "$tmp/poll.m" rc)" = 0 ] && [ "$stored" = "$N" ]; then
	row "ingest poll --once (msgs/s)" "$(div "$N" "$(kv "$tmp/poll.m" seconds)")" msg/s ge "$T_POLL"
else
	row "ingest poll --once (msgs/s)" "" msg/s ge "$T_POLL"
	echo "bench: poll stored $stored of $N: $(tail -3 "$tmp/poll.err")"
fi

# --- pipeline ---------------------------------------------------------------
jobs=$(q "SELECT count(*) FROM jobs WHERE state = 'queued'")
say "pipeline: draftd process --once over $jobs queued jobs"
/usr/bin/python3 tests/bench/measure.py "$tmp/process.m" "$DRAFTD" process --once --config "$conf" \
	>"$tmp/process.out" 2>"$tmp/process.err"
left=$(q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")
if [ "$(kv "$tmp/process.m" rc)" = 0 ] && [ "$left" = 0 ] && [ "$jobs" -gt 0 ]; then
	row "pipeline process --once (msgs/s)" "$(div "$jobs" "$(kv "$tmp/process.m" seconds)")" msg/s ge "$T_PROCESS"
	row "pipeline process --once peak RSS" "$(kv "$tmp/process.m" maxrss_kb)" KiB le "$T_PROCESS_RSS"
else
	row "pipeline process --once (msgs/s)" "" msg/s ge "$T_PROCESS"
	echo "bench: process left $left jobs: $(tail -3 "$tmp/process.err")"
fi
info "  drafts / skipped / human" "$(q "SELECT count(*) FROM drafts")/$(q "SELECT count(*) FROM messages WHERE state = 'skipped'")/$(q "SELECT count(*) FROM messages WHERE state = 'human'")" rows

# --- draftd run: ingest + process, then the API -------------------------------
say "draftd run: $NRUN more messages ingested and processed while it runs"
gen "$NRUN" b2 >/dev/null
total=$((N + NRUN))
start_ms=$(date +%s%3N)
"$DRAFTD" run --config "$conf" </dev/null >"$tmp/run.log" 2>&1 &
run_pid=$!
done_all() {
	[ "$(q "SELECT count(*) FROM messages")" = "$total" ] &&
		[ "$(q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")" = 0 ]
}
deadline=$((SECONDS + 120))
until done_all || [ $SECONDS -ge $deadline ] || ! kill -0 "$run_pid" 2>/dev/null; do sleep 0.2; done
if done_all; then
	secs=$(/usr/bin/python3 -c "import sys; print((int(sys.argv[1]) - int(sys.argv[2])) / 1000)" "$(date +%s%3N)" "$start_ms")
	row "run: ingest+pipeline (msgs/s)" "$(div "$NRUN" "$secs")" msg/s ge "$T_RUN"
else
	row "run: ingest+pipeline (msgs/s)" "" msg/s ge "$T_RUN"
	echo "bench: draftd run did not finish $NRUN messages: $(tail -3 "$tmp/run.log")"
fi

token=$("$DRAFTD" token create --config "$conf" --name bench --role reviewer 2>"$tmp/token.err" | tail -n 1)
curl -fs -o /dev/null --max-time 5 -H "Authorization: Bearer $token" \
	"http://127.0.0.1:$api_port/api/v1/drafts?limit=50" || echo "bench: the drafts list does not answer 200"
cat >"$tmp/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
# wrk_figures OUT: "RPS P99_MS ERRORS" from wrk --latency output
wrk_figures() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", t, re.M)
err = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
sock = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", t)
ms = None
if p99:
    ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
n_err = (int(err.group(1)) if err else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
print(rps.group(1) if rps else "", "%.2f" % ms if ms is not None else "", n_err)
PY
}
for ep in drafts healthz; do
	if [ $ep = drafts ]; then
		path="/api/v1/drafts?limit=50"
		script=(-s "$tmp/auth.lua")
	else
		path=/healthz
		script=()
	fi
	say "wrk ${WRK_SECONDS}s on $path"
	timeout $((WRK_SECONDS + 30)) wrk -t2 -c8 -d"${WRK_SECONDS}s" --timeout 5s --latency "${script[@]}" \
		"http://127.0.0.1:$api_port$path" >"$tmp/wrk-$ep.out" 2>&1
	read -r rps p99 errs <<<"$(wrk_figures "$tmp/wrk-$ep.out")"
	if [ "${errs:-1}" != 0 ]; then
		echo "bench: $errs failed requests on $path"
		rps=""
	fi
	if [ $ep = drafts ]; then
		row "API GET drafts?limit=50 (req/s)" "$rps" req/s ge "$T_API_RPS"
		row "API GET drafts?limit=50 p99" "$p99" ms le "$T_API_P99"
	else
		row "API GET /healthz (req/s)" "$rps" req/s ge "$T_HEALTH_RPS"
		row "API GET /healthz p99" "$p99" ms le "$T_HEALTH_P99"
	fi
done

hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$run_pid/status" 2>/dev/null)
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$run_pid/status" 2>/dev/null)
row "draftd run VmHWM after all this" "$hwm" KiB le "$T_RUN_HWM"
info "  draftd run VmRSS now" "${rss:-n/a}" KiB

echo
printf '%-34s %12s %-8s %3s %-10s %s\n' figure measured unit "" target result
printf '%s\n' "${rows[@]}"
echo
if [ "$failed" -gt 0 ]; then
	echo "bench: $failed target(s) missed"
	exit 1
fi
echo "bench: every target met"
