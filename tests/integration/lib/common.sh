# SPDX-License-Identifier: MIT
# Helpers for tests/integration/*.sh; source it. Each check prints one
# "ok - NAME" or "not ok - NAME" line, which tests/run.sh counts.
# shellcheck shell=bash

DRAFTD=${DRAFTD_BIN:-build/draftd}
ITMP=$(mktemp -d "${DRAFTD_TEST_TMP:-/tmp}/it.XXXXXX")
chmod 755 "$ITMP"
ITEST_PIDS=()

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# check NAME CMD...: ok when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# wait_for TIMEOUT_S CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $deadline ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# start_bg PIDVAR LOG CMD...: runs CMD in the background with stdio redirected
# (so no caller pipe stays open) and remembers its PID for itest_cleanup.
start_bg() {
	local var=$1 log=$2
	shift 2
	"$@" </dev/null >"$log" 2>&1 &
	printf -v "$var" '%s' "$!"
	ITEST_PIDS+=("$!")
}

itest_cleanup() {
	local pid
	for pid in "${ITEST_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -rf "$ITMP"
}
trap itest_cleanup EXIT

# db_url_for NAME: a fresh database on the test server, its URL on stdout.
db_url_for() {
	psql -q -d "$DRAFTD_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1" >/dev/null 2>&1 || return 1
	echo "${DRAFTD_TEST_DATABASE_URL%/*}/$1"
}

# psql_value URL SQL: one value.
psql_value() {
	psql -XAtq -d "$1" -c "$2"
}

# start_fake_model HANG_SECONDS [OPTION...]: the OpenAI-protocol stand-in
# (tests/fakes/openai_server.py, given the OPTIONs too, e.g. --log-requests
# FILE) on a free loopback port; sets FAKE_PORT and FAKE_PID (itest_cleanup
# stops it in any case).
start_fake_model() {
	start_bg FAKE_PID "$ITMP/fake.log" /usr/bin/python3 "${DRAFTD_SRCDIR:-.}/tests/fakes/openai_server.py" \
		--port 0 --port-file "$ITMP/fake.port" --hang-seconds "$1" "${@:2}"
	wait_for 10 test -s "$ITMP/fake.port" || { not_ok "fake model server starts"; return 1; }
	FAKE_PORT=$(cat "$ITMP/fake.port")
}

# fake_model_mode MODE: how the stand-in answers from now on (valid, hang, flat, ...).
fake_model_mode() {
	curl -fs -o /dev/null --max-time 5 -H 'Content-Type: application/json' \
		-d "{\"mode\":\"$1\"}" "http://127.0.0.1:$FAKE_PORT/_control"
}

# fresh_db NAME: a new, empty database for this test (dropped first if a
# previous run left it); its URL on stdout.
fresh_db() {
	db_url_for "$1"
}

# write_config OUT FRAGMENT... [NAME=VALUE...] [SECTION.KEY=VALUE...]: the
# config from tests/fixtures/config/FRAGMENT.conf.in, placeholders filled in,
# with the test's own settings (tests/integration/lib/write_config.py).
write_config() {
	/usr/bin/python3 "${DRAFTD_SRCDIR:-.}/tests/integration/lib/write_config.py" "$@"
}

# start_draftd PIDVAR LOG CONF [ENV=VALUE...]: `draftd run` in the background
# (stopped by itest_cleanup), waiting until it says it is running; 1 when it
# does not within 20 s.
start_draftd() {
	local var=$1 log=$2 conf=$3
	shift 3
	start_bg "$var" "$log" env "$@" "$DRAFTD" run --config "$conf"
	wait_for 20 grep -q 'draftd running' "$log"
}

# one_draft_db CONF URL: the API tests' start: migrates CONF's database (at
# URL), stores one pending draft (id 1, message "hello" of mailbox
# "support") and prints a reviewer token for rita; 1 when a step fails.
one_draft_db() {
	"$DRAFTD" migrate --config "$1" >/dev/null 2>&1 || return 1
	psql -XAtq -d "$2" -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || return 1
INSERT INTO mailboxes (name, imap_url, imap_user) VALUES ('support', 'imap://x', 'x');
WITH m AS (INSERT INTO messages (mailbox_id, uidvalidity, uid, sha256, raw_size, subject, state)
           SELECT id, 1, 1, sha256('1'::bytea), 10, 'hello', 'drafted' FROM mailboxes RETURNING id)
INSERT INTO drafts (message_id, category, subject, body) SELECT id, 'other', 'Re: hello', 'hi' FROM m;
SQL
	"$DRAFTD" token create --config "$1" --name rita --role reviewer 2>/dev/null | tail -n 1
}

# approved_reply_rows URL MAILBOX UIDVALIDITY UID ORIG_ID REPLY_ID: the rows
# the review API leaves for an approved reply, in database URL, for the
# existing mailbox row MAILBOX: the original (Message-ID ORIG_ID, at UID of
# UIDVALIDITY in the server's INBOX), an approved draft for it and the
# outbox row that sends it as REPLY_ID.
approved_reply_rows() {
	psql -XAtq -d "$1" -v ON_ERROR_STOP=1 -v name="$2" -v uv="$3" -v uid="$4" \
		-v mid="$5" -v our="$6" <<'SQL' >/dev/null
WITH m AS (
  INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sha256, sender, subject, raw_size, state)
  SELECT id, :uv, :uid, :'mid', sha256(convert_to(:'mid', 'UTF8')), 'Buyer <buyer@example.test>',
         'where is it', 100, 'drafted' FROM mailboxes WHERE name = :'name' RETURNING id),
d AS (
  INSERT INTO drafts (message_id, category, subject, body, status)
  SELECT id, 'order_status', '', E'Hello,\n\nSO-204518 left on Monday.\n', 'approved' FROM m RETURNING id)
INSERT INTO outbox (draft_id, message_id) SELECT id, :'our' FROM d;
SQL
}
