#!/bin/bash
# Issue 18: check-config on the secret files of auth = oauth2
# (oauth_client_secret_file, oauth_refresh_token_file): each one missing,
# unreadable by the service user (--user nobody) or readable by the group or
# everyone is reported, naming the mailbox, the key and the file.
set -u
. "$(dirname "$0")/lib/common.sh"

conf() { # conf SECRET_FILE REFRESH_FILE
	cat <<CONF
[database]
url = ${DRAFTD_TEST_DATABASE_URL:-postgresql://127.0.0.1:1/none}
[mailbox m365]
url = imaps://outlook.office365.com
user = support@example.com
address = support@example.com
auth = oauth2
oauth_token_url = https://login.microsoftonline.com/tenant/oauth2/v2.0/token
oauth_client_id = 00000000-0000-0000-0000-000000000001
oauth_client_secret_file = $1
oauth_refresh_token_file = $2
CONF
}
umask 077
printf 'cs-secret\n' >"$ITMP/client.secret"
printf 'rt-refresh\n' >"$ITMP/refresh.token"
umask 022
conf "$ITMP/client.secret" "$ITMP/refresh.token" >"$ITMP/ok.conf"
out=$("$DRAFTD" check-config --config "$ITMP/ok.conf" 2>&1)
rc=$?
check "both files present, 0600: check-config is quiet about them and exits 0" test $rc = 0 -a -z "$(echo "$out" | grep -i 'oauth_')"

for key in oauth_client_secret_file oauth_refresh_token_file; do
	case $key in
	oauth_client_secret_file) c=$(conf "$ITMP/missing.secret" "$ITMP/refresh.token") ;;
	*) c=$(conf "$ITMP/client.secret" "$ITMP/missing.token") ;;
	esac
	echo "$c" >"$ITMP/missing.conf"
	out=$("$DRAFTD" check-config --config "$ITMP/missing.conf" 2>&1)
	rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q "\[mailbox m365\] $key: '$ITMP/missing\.[a-z]*': .*No such file" &&
		ok "$key missing: exit 1, naming the mailbox, the key and the file" || not_ok "$key missing: rc=$rc $out"
done

# the service user cannot read them (root-only files; draftd runs as nobody)
chmod 644 "$ITMP/ok.conf"
out=$("$DRAFTD" check-config --config "$ITMP/ok.conf" --user nobody 2>&1)
rc=$?
for key in oauth_client_secret_file oauth_refresh_token_file; do
	echo "$out" | grep "$key" | grep -q "Permission denied" &&
		ok "--user nobody: $key unreadable by the service user is reported with the kernel's reason" ||
		not_ok "--user nobody, $key: rc=$rc $out"
done
check "... and check-config exits 1 ($rc)" test $rc = 1
chown nobody "$ITMP/client.secret" "$ITMP/refresh.token"
out=$("$DRAFTD" check-config --config "$ITMP/ok.conf" --user nobody 2>&1)
rc=$?
check "--user nobody: ok once the service user owns them" test $rc = 0

# group- or world-readable: a warning naming the file and its mode
chmod 640 "$ITMP/client.secret"
chmod 604 "$ITMP/refresh.token"
out=$("$DRAFTD" check-config --config "$ITMP/ok.conf" 2>&1)
echo "$out" | grep -q "\[mailbox m365\] oauth_client_secret_file: $ITMP/client.secret is readable by its group (mode 0640): chmod 600 it" &&
	ok "a group-readable oauth_client_secret_file is warned about" || not_ok "group-readable: $out"
echo "$out" | grep -q "\[mailbox m365\] oauth_refresh_token_file: $ITMP/refresh.token is readable by others (mode 0604): chmod 600 it" &&
	ok "a world-readable oauth_refresh_token_file is warned about" || not_ok "world-readable: $out"
