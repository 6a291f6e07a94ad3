#!/bin/bash
# SPDX-License-Identifier: MIT
# What `draftd check-config` and the start of `draftd run` tell an operator
# (issue 12, item 7):
#   - every pattern is compiled: a bad [category] pattern_* regex or a bad
#     connector pattern is an error naming the file, the line, the key and
#     pcre2's message with its offset (exit 1);
#   - secret files (*_file keys, [api] tls_key) that the group or everyone may
#     read are warned about, naming the file and its mode;
#   - a database whose commits are not durable (synchronous_commit = off) is
#     warned about: crash safety needs them.
# Before: an invalid pattern_sku passed check-config (and stopped `draftd
# run` later), and neither warning existed.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_ops) || { not_ok "ops: create database"; exit 0; }
port=$(free_port)
printf 'secret-pw\n' >"$ITMP/mb.pw"
printf 'sk-model\n' >"$ITMP/model.key"
chmod 600 "$ITMP/mb.pw" "$ITMP/model.key"
conf=$ITMP/draftd.conf
# the good config on stdout; a check appends what it breaks
base_conf() {
	write_config "$ITMP/base.conf" database api model_builtin URL="$url" API_PORT="$port" \
		model.api_key_file="$ITMP/model.key" "mailbox support.url=imap://127.0.0.1:1" \
		"mailbox support.user=support" "mailbox support.password_file=$ITMP/mb.pw" \
		"mailbox support.address=support@example.com" && cat "$ITMP/base.conf"
}

# --- patterns
{
	base_conf
	printf '[category stock_inquiry]\nmode = draft\npattern_sku = \\bHP-\\d{5}\\b\npattern_bad = (HP-[0-9]+\n'
	printf '[connector inventory]\ntype = csv\nkey = sku\npath = %s\npattern = (?<x\n' "$SRC/tests/fixtures/pipeline/inventory.csv"
} >"$ITMP/bad-patterns.conf"
line_cat=$(grep -n '^pattern_bad' "$ITMP/bad-patterns.conf" | cut -d: -f1)
line_conn=$(grep -n '^pattern = (?<x' "$ITMP/bad-patterns.conf" | cut -d: -f1)
out=$("$DRAFTD" check-config --config "$ITMP/bad-patterns.conf" 2>&1)
rc=$?
check "an invalid pattern fails check-config (exit $rc)" test $rc = 1
echo "$out" | grep -Eq "bad-patterns.conf:$line_cat: \[category stock_inquiry\] pattern_bad: .*missing closing parenthesis.* at offset 10" &&
	ok "the category pattern's error names file, line, key, pcre2's message and offset" ||
	not_ok "the category pattern's error: $out"
echo "$out" | grep -Eq "bad-patterns.conf:$line_conn: \[connector inventory\] pattern: .*offset 4" &&
	ok "the connector pattern's error names its own line" || not_ok "the connector pattern's error: $out"
echo "$out" | grep -q 'pattern_sku' && not_ok "a good pattern is reported: $out" || ok "the good patterns are not reported"

# --- secret file modes
base_conf >"$conf"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "ops: migrate"; exit 0; }
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
check "private secret files: check-config is ok and silent about them" \
	bash -c "[ $? = 0 ] && ! echo \"\$1\" | grep -q 'readable'" _ "$out"
chmod 644 "$ITMP/mb.pw"
chmod 640 "$ITMP/model.key"
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
rc=$?
check "readable secret files are warnings, not errors (exit $rc)" test $rc = 0
echo "$out" | grep -q "warning: .*password_file: $ITMP/mb.pw is readable by others (mode 0644)" &&
	ok "check-config names the world-readable password file and its mode" || not_ok "world-readable: $out"
echo "$out" | grep -q "warning: .*api_key_file: $ITMP/model.key is readable by its group (mode 0640)" &&
	ok "check-config names the group-readable key file and its mode" || not_ok "group-readable: $out"

# --- files as the service user: root reads anything, the service may not
# (issue 15: "run as root it reads secret files the service user could not")
chmod 600 "$ITMP/mb.pw" "$ITMP/model.key" "$conf"
out=$("$DRAFTD" check-config --config "$conf" --user nobody 2>&1)
rc=$?
line_pw=$(grep -n '^password_file' "$conf" | cut -d: -f1)
line_key=$(grep -n '^api_key_file' "$conf" | cut -d: -f1)
check "--user nobody: root-only secret files fail check-config (exit $rc)" test $rc = 1
echo "$out" | grep -q "draftd.conf:$line_pw: \[mailbox support\] password_file: '$ITMP/mb.pw' cannot be read by user nobody: Permission denied" &&
	ok "--user names the file, its line, section, key and the kernel's reason" || not_ok "--user password_file: $out"
echo "$out" | grep -q "draftd.conf:$line_key: \[model\] api_key_file: '$ITMP/model.key' cannot be read by user nobody" &&
	ok "--user checks every secret file, not just the first" || not_ok "--user api_key_file: $out"
echo "$out" | grep -q "the config file: '$conf' cannot be read by user nobody" &&
	ok "--user checks the config file itself" || not_ok "--user config file: $out"
echo "$out" | grep -q "templates_dir" && not_ok "--user: a readable directory reported: $out" ||
	ok "--user: readable files and directories are not reported"
chown nobody "$ITMP/mb.pw" "$ITMP/model.key" "$conf"
out=$("$DRAFTD" check-config --config "$conf" --user nobody 2>&1)
check "--user nobody: ok once the service user owns its files" bash -c "[ $? = 0 ]"
chown root "$ITMP/mb.pw" "$ITMP/model.key" "$conf"
chmod 644 "$ITMP/mb.pw" "$conf"
chmod 640 "$ITMP/model.key"
out=$("$DRAFTD" check-config --config "$conf" --user no-such-user-x 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "no-such-user-x: no such user" &&
	ok "--user with an unknown user says so" || not_ok "--user unknown: rc=$rc $out"
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
echo "$out" | grep -q "note: files were opened as root; --user NAME" &&
	ok "run as root without --user, check-config says the files were opened as root" ||
	not_ok "root note: $out"
# a file nobody can read whoever asks: a connector's missing url_file
{
	base_conf
	printf '[connector inv]\ntype = pg\nkey = sku\nurl_file = %s/no-such.url\nquery = SELECT sku FROM t WHERE sku = ANY($1)\n' "$ITMP"
} >"$ITMP/missing-file.conf"
line_uf=$(grep -n '^url_file' "$ITMP/missing-file.conf" | cut -d: -f1)
out=$("$DRAFTD" check-config --config "$ITMP/missing-file.conf" 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "missing-file.conf:$line_uf: \[connector inv\] url_file: '$ITMP/no-such.url' cannot be read by uid 0: No such file or directory" &&
	ok "a connector's missing url_file fails check-config with its line" || not_ok "missing url_file: rc=$rc $out"

# --- durable commits
psql -q -d "$url" -c "ALTER DATABASE draftd_it_ops SET synchronous_commit = off" >/dev/null
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
echo "$out" | grep -q "warning: .*synchronous_commit is off" &&
	ok "check-config warns when the database's commits are not durable" || not_ok "synchronous_commit: $out"
start_bg dpid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 15 grep -qs 'draftd running' "$ITMP/run.log" || not_ok "ops: draftd run starts: $(tail -3 "$ITMP/run.log")"
check "draftd run warns about synchronous_commit at start-up" grep -q 'level=warn.*synchronous_commit is off' "$ITMP/run.log"
check "draftd run warns about the readable secret files at start-up" grep -q "level=warn.*$ITMP/mb.pw is readable by others (mode 0644)" "$ITMP/run.log"
kill -TERM "$dpid"
wait "$dpid" 2>/dev/null
psql -q -d "$url" -c "ALTER DATABASE draftd_it_ops SET synchronous_commit = on" >/dev/null
chmod 600 "$ITMP/mb.pw" "$ITMP/model.key"
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
echo "$out" | grep -q "synchronous_commit" && not_ok "synchronous_commit = on still warned: $out" ||
	ok "synchronous_commit = on: no warning"
exit 0
