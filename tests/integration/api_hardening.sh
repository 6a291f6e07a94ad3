#!/bin/bash
# SPDX-License-Identifier: MIT
# The REST server against hostile clients (issue 12, item 7), over raw
# sockets against `draftd run`:
#   - a request with both Content-Length and Transfer-Encoding, or with two
#     different Content-Length values, is refused with 400 and the connection
#     closed, so nothing smuggled in its body is ever executed;
#   - many idle sockets from one client do not starve another client
#     ([api] max_connections_per_client, default 32), and the limit is
#     configurable;
#   - path ids are strict: 1%00, 01, 1abc, -1 and a number past bigint name
#     no draft (404), and never draft 1.
# Before: the smuggled request was answered, conflicting lengths accepted,
# 520 idle sockets starved everyone, and /api/v1/drafts/1%00 and 01 were
# served as draft 1.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_hardening) || { not_ok "hardening: create database"; exit 0; }
port=$(free_port)
conf=$ITMP/draftd.conf
# write_conf [SECTION.KEY=VALUE...]: the config, with what a check changes
write_conf() {
	write_config "$conf" database api model_builtin URL="$url" API_PORT="$port" \
		api.threads=4 log.level=info "$@"
}
write_conf
tok=$(one_draft_db "$conf" "$url") || { not_ok "hardening: migrate, one draft, a token"; exit 0; }

dpid=
run() {
	start_bg dpid "$ITMP/run-$1.log" "$DRAFTD" run --config "$conf"
	wait_for 15 grep -qs 'draftd running' "$ITMP/run-$1.log"
}
stop() {
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
}
run 1 || { not_ok "hardening: draftd run starts: $(tail -3 "$ITMP/run-1.log")"; exit 0; }

# raw REQUEST_FILE: sends the bytes, prints every status line received and
# "CLOSED" when the server closed the connection (within 5 s)
raw() {
	/usr/bin/python3 - "$port" "$1" <<'PY'
import re, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.settimeout(5)
data = b""
closed = False
deadline = time.time() + 5
while time.time() < deadline:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        closed = True
        break
    data += chunk
for line in re.findall(rb"HTTP/1\.[01] [0-9]{3}[^\r\n]*", data):
    print(line.decode())
print("CLOSED" if closed else "OPEN")
PY
}

# --- smuggling: Content-Length and Transfer-Encoding together
printf 'POST /api/v1/drafts/1/reject HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$tok" "$tok" >"$ITMP/smuggle"
out=$(raw "$ITMP/smuggle")
check "Content-Length with Transfer-Encoding: one 400, then the connection is closed (got: $(echo $out))" \
	test "$(echo $out)" = "HTTP/1.1 400 Bad Request CLOSED"
check "the draft was not touched by it" \
	test "$(psql -XAtq -d "$url" -c "SELECT status FROM drafts WHERE id = 1")" = pending

# --- two different Content-Length values
printf 'POST /api/v1/drafts/1/reject HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 17\r\nContent-Length: 80\r\n\r\n{"reason":"dup"}\n' "$tok" >"$ITMP/dupcl"
out=$(raw "$ITMP/dupcl")
check "two different Content-Length values: 400 and closed (got: $(echo $out))" \
	test "$(echo $out)" = "HTTP/1.1 400 Bad Request CLOSED"
check "the draft was not rejected by it" \
	test "$(psql -XAtq -d "$url" -c "SELECT status FROM drafts WHERE id = 1")" = pending

# --- a Transfer-Encoding other than chunked
printf 'POST /api/v1/drafts/1/reject HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n' "$tok" >"$ITMP/te"
out=$(raw "$ITMP/te")
check "Transfer-Encoding other than chunked: 400 and closed (got: $(echo $out))" \
	test "$(echo $out)" = "HTTP/1.1 400 Bad Request CLOSED"

# --- an ordinary keep-alive request still works
printf 'GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' "$tok" >"$ITMP/twice"
out=$(raw "$ITMP/twice")
check "two pipelined ordinary requests: both answered 200 (got: $(echo $out))" \
	test "$(echo $out)" = "HTTP/1.1 200 OK HTTP/1.1 200 OK OPEN"

# --- strict path ids
bad=
for id in '1%00' '01' '1abc' '-1' '0' '99999999999999999999' '1%00%2f'; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/drafts/$id")
	[ "$code" = 404 ] || bad="$bad $id:$code"
done
check "ids 1%00 01 1abc -1 0 (bigint+1) 1%00%2f name no draft: 404${bad:+ (got$bad)}" test -z "$bad"
check "id 1 is draft 1" test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/drafts/1")" = 200
check "a NUL in a query value is refused, not cut (400)" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/drafts?status=pending%00x")" = 400

# --- 520 idle sockets from one client; a second client (127.0.0.2) is answered
hog() { # hog N PORT: holds N idle connections from 127.0.0.1 until killed; prints how many stayed open
	/usr/bin/python3 - "$1" "$2" "$ITMP/hog.ready" <<'PY'
import socket, sys, time, resource
n, port, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
socks = []
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        socks.append(s)
    except OSError:
        pass
time.sleep(0.5)
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            continue
    except BlockingIOError:
        pass
    except OSError:
        continue
    alive += 1
open(ready, "w").write("%d\n" % alive)
time.sleep(120)
PY
}
second_client() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface 127.0.0.2 "http://127.0.0.1:$port/healthz"
}
rm -f "$ITMP/hog.ready"
start_bg hogpid "$ITMP/hog.log" hog 520 "$port"
wait_for 60 test -s "$ITMP/hog.ready" || not_ok "the idle sockets were opened"
check "520 idle sockets from one client: another client is answered (got $(second_client))" test "$(second_client)" = 200
check "520 idle sockets from one client: at most 32 stay open (got $(cat "$ITMP/hog.ready" 2>/dev/null))" \
	test "$(cat "$ITMP/hog.ready" 2>/dev/null || echo 999)" -le 32
kill "$hogpid" 2>/dev/null
stop

write_conf api.max_connections_per_client=4
run 2 || not_ok "hardening: draftd run restarts"
rm -f "$ITMP/hog.ready"
start_bg hogpid "$ITMP/hog2.log" hog 20 "$port"
wait_for 60 test -s "$ITMP/hog.ready" || not_ok "the idle sockets were opened"
check "max_connections_per_client = 4: 4 of 20 stay open (got $(cat "$ITMP/hog.ready" 2>/dev/null))" \
	test "$(cat "$ITMP/hog.ready" 2>/dev/null)" = 4
check "max_connections_per_client = 4: another client is answered" test "$(second_client)" = 200
kill "$hogpid" 2>/dev/null
stop
exit 0
