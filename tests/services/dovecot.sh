#!/bin/bash
# SPDX-License-Identifier: MIT
# Private Dovecot 2.3 (IMAP only, 127.0.0.1) from a config under DIR; no /etc changes.
#   dovecot.sh start DIR [PORT] [IMAPS_PORT] [--provider OAUTH_URL [--mechs LIST] [--no-sasl-ir]]
#        plain IMAP (+STARTTLS) on PORT, IMAPS on IMAPS_PORT. --provider: the layout of a
#        hosted provider instead (see conf_provider below), logins only with OAuth2
#        tokens that OAUTH_URL/introspect (tests/fakes/oauth_server.py) vouches for;
#        --mechs: the OAuth2 SASL mechanisms offered (default "xoauth2 oauthbearer";
#        "xoauth2" alone is what Microsoft 365 offers); --no-sasl-ir: no SASL-IR, so
#        a client must wait for the server's continuation before its response
#   dovecot.sh stop DIR
#   dovecot.sh adduser DIR USER PASS [--no-sent]   (PASS "-": no password, OAuth2 only;
#        --no-sent, provider layout: no Sent folder at all, as some real mailboxes are)
#   dovecot.sh deliver DIR USER FOLDER FILE...  (saved unseen; FOLDER created if needed)
#   dovecot.sh mkfolder DIR USER FOLDER
#   dovecot.sh certs DIR   only the test CA and server certificate (for other servers in DIR)
# Writes DIR/dovecot.conf, DIR/dovecot.pid, DIR/imap.port, DIR/imaps.port, DIR/dovecot.log,
# DIR/users, DIR/mail/USER, and a test CA (DIR/ca.pem) that signed DIR/server.pem/.key
# for localhost and 127.0.0.1, so clients can be tested trusting it or refusing it.
set -eu
. "$(dirname "$0")/lib.sh"

# Mail is owned by one account for every user: nobody when root (dovecot will not
# run users as root), else whoever runs the tests.
mail_owner() {
	if [ "$(id -u)" = 0 ]; then
		echo "nobody nogroup"
	else
		echo "$(id -un) $(id -gn)"
	fi
}

make_certs() {
	local dir=$1
	[ -f "$dir/server.pem" ] && [ -f "$dir/server.key" ] && [ -f "$dir/ca.pem" ] && return 0
	# EC keys: instant to generate, and every TLS stack we use accepts them.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 365 -subj "/CN=draftd test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=localhost" >/dev/null 2>&1
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$dir/server.ext"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 365 -extfile "$dir/server.ext" -out "$dir/server.pem" >/dev/null 2>&1
	rm -f "$dir/server.csr" "$dir/server.ext" "$dir/ca.srl"
	chmod 600 "$dir/server.key" "$dir/ca.key"
}

# The layout of most self-hosted servers: "/" separator, no prefix, Sent and
# Drafts made for every user, password logins.
conf_standard() {
	local dir=$1 user group
	read -r user group <<<"$(mail_owner)"
	cat <<CONF
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$user gid=$group home=$dir/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    auto = subscribe
    special_use = \\Drafts
  }
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Junk {
    special_use = \\Junk
  }
}
CONF
}

# A hosted provider's layout (Microsoft 365 style, as Courier/Exchange-era
# servers present it): everything under "INBOX." with "." as separator,
# special-use folders with the provider's names and no "Sent", no IDLE (the
# capability list is Dovecot's own minus IDLE and NOTIFY), and OAuth2:
# XOAUTH2 and OAUTHBEARER, each token checked with the token server's RFC 7662
# introspection endpoint. A user added with PASS "-" has no password at all
# (a password login is refused); one added with a password has it as an app
# password, as Gmail allows.
conf_provider() {
	local dir=$1 oauth_url=$2 mechs=${DC_MECHS:-xoauth2 oauthbearer} sasl_ir=SASL-IR user group
	[ -z "${DC_NO_SASL_IR:-}" ] || sasl_ir=
	read -r user group <<<"$(mail_owner)"
	cat >"$dir/dovecot-oauth2.conf.ext" <<CONF
introspection_mode = post
introspection_url = $oauth_url/introspect
username_attribute = username
active_attribute = active
active_value = true
CONF
	cat <<CONF
auth_mechanisms = plain login $mechs
passdb {
  driver = oauth2
  mechanisms = $mechs
  args = $dir/dovecot-oauth2.conf.ext
}
# app passwords (Gmail's, or a tenant that still allows basic auth): only
# for users added with one; everybody else can log in with a token only
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$user gid=$group home=$dir/mail/%u allow_all_users=yes
}
imap_capability = IMAP4rev1 $sasl_ir LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ SPECIAL-USE
namespace inbox {
  inbox = yes
  prefix = INBOX.
  separator = .
  # flags only: adduser makes the folders, so a user can have none of them
  mailbox "Sent Items" {
    special_use = \\Sent
  }
  mailbox "Deleted Items" {
    special_use = \\Trash
  }
  mailbox "Junk Email" {
    special_use = \\Junk
  }
  mailbox Drafts {
    special_use = \\Drafts
  }
}
CONF
}

write_conf() {
	local dir=$1 port=$2 imaps_port=$3 oauth_url=${4:-} user group login_user
	read -r user group <<<"$(mail_owner)"
	login_user=nobody
	[ "$(id -u)" = 0 ] || login_user=$user
	cat >"$dir/dovecot.conf" <<CONF
# Generated by tests/services/dovecot.sh for a throwaway test server.
protocols = imap
listen = 127.0.0.1
base_dir = $dir/dovecot/run
state_dir = $dir/dovecot/state
log_path = $dir/dovecot.log
auth_verbose = yes
# Tests try wrong passwords: no failure delay, and no per-IP auth penalty (anvil's
# anvil-auth-penalty listener is off below), which would slow every later login.
auth_failure_delay = 0
default_login_user = $login_user
default_internal_user = $login_user
default_internal_group = $group
first_valid_uid = 1
first_valid_gid = 1

ssl = yes
ssl_cert = <$dir/server.pem
ssl_key = <$dir/server.key
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
mail_fsync = never
$(if [ -n "$oauth_url" ]; then conf_provider "$dir" "$oauth_url"; else conf_standard "$dir"; fi)

service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
CONF
}

dc_start() {
	local dir=$1 port=${2:-} imaps_port=${3:-} oauth_url=${4:-} user group
	dir=$(abs_dir "$dir")
	[ -n "$port" ] || port=$(free_port)
	[ -n "$imaps_port" ] || imaps_port=$(free_port)
	[ "$port" != "$imaps_port" ] || die "IMAP and IMAPS ports must differ"
	# Dovecot's unix sockets live in base_dir; their paths must fit in 107 bytes.
	[ ${#dir} -le 70 ] || die "DIR path too long for dovecot's sockets (max 70 chars): $dir"
	read -r user group <<<"$(mail_owner)"
	mkdir -p "$dir/dovecot" "$dir/mail"
	chmod 755 "$dir"  # the mail owner must reach DIR/mail
	[ "$(id -u)" != 0 ] || chown "$user:$group" "$dir/mail"
	[ -f "$dir/users" ] || : >"$dir/users"
	chmod 644 "$dir/users"
	make_certs "$dir"
	write_conf "$dir" "$port" "$imaps_port" "$oauth_url"
	if [ -n "$oauth_url" ]; then echo provider >"$dir/layout"; else rm -f "$dir/layout"; fi
	: >>"$dir/dovecot.log"
	dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.log" 2>&1 ||
		{ log_tail "$dir/dovecot.log"; die "dovecot did not start"; }
	local _
	for _ in $(seq 50); do
		[ -s "$dir/dovecot/run/master.pid" ] && break
		sleep 0.1
	done
	[ -s "$dir/dovecot/run/master.pid" ] && cat "$dir/dovecot/run/master.pid" >"$dir/dovecot.pid"
	if ! wait_port 127.0.0.1 "$port" 10 || ! wait_port 127.0.0.1 "$imaps_port" 10; then
		dc_stop "$dir"
		log_tail "$dir/dovecot.log"
		die "dovecot not listening on $port/$imaps_port"
	fi
	echo "$port" >"$dir/imap.port"
	echo "$imaps_port" >"$dir/imaps.port"
}

dc_stop() {
	local dir=$1
	[ -d "$dir" ] || return 0
	local kids pid _
	# The master takes its children down on TERM, but may exit before they do:
	# note them first, so that nothing is left behind when stop returns.
	kids=
	[ ! -f "$dir/dovecot.pid" ] || kids=$(pgrep -P "$(cat "$dir/dovecot.pid")" || true)
	stop_pid "$dir/dovecot.pid"
	for pid in $kids; do
		for _ in $(seq 50); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		! pid_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
	done
}

dc_adduser() {
	local dir=$1 u=$2 pass=$3 no_sent=${4:-} user group f
	case $u$pass in *:* | *"
"*) die "user and password may not hold ':' or newlines" ;; esac
	read -r user group <<<"$(mail_owner)"
	# Replace any earlier line for the user; passwd-file is re-read when it changes.
	{
		grep -v "^$u:" "$dir/users" || true
		[ "$pass" = - ] || echo "$u:{PLAIN}$pass"
	} >"$dir/users.new"
	mv "$dir/users.new" "$dir/users"
	chmod 644 "$dir/users"
	mkdir -p "$dir/mail/$u"
	[ "$(id -u)" != 0 ] || chown "$user:$group" "$dir/mail/$u"
	# The auth process notices the new file on its next lookup, but a lookup
	# racing the rename can still answer "no such user" for a while: wait
	# until the user is visible, so a deliver right after never fails.
	if [ -S "$dir/run/auth-userdb" ] || [ -f "$dir/dovecot.pid" ]; then
		local i
		for i in $(seq 50); do
			doveadm -c "$dir/dovecot.conf" user "$u" >/dev/null 2>&1 </dev/null && break
			sleep 0.1
		done
		[ "$i" -lt 50 ] || die "user $u is not visible to dovecot after 5 s"
	fi
	# The provider layout makes its folders per user, so one can lack Sent.
	if [ -f "$dir/layout" ]; then
		for f in "Sent Items" "Deleted Items" "Junk Email" Drafts; do
			[ "$f" != "Sent Items" ] || [ "$no_sent" != --no-sent ] || continue
			dc_mkfolder "$dir" "$u" "INBOX.$f"
			doveadm -c "$dir/dovecot.conf" mailbox subscribe -u "$u" "INBOX.$f" </dev/null
		done
	fi
}

dc_mkfolder() {
	local dir=$1 u=$2 folder=$3 out
	[ "$folder" = INBOX ] && return 0
	# doveadm runs as the userdb uid, so files get the same owner as the server's.
	if ! out=$(doveadm -c "$dir/dovecot.conf" mailbox create -u "$u" "$folder" 2>&1 </dev/null); then
		case $out in *"already exists"*) return 0 ;; esac
		echo "$out" >&2
		die "cannot create folder $folder for $u"
	fi
}

dc_deliver() {
	local dir=$1 u=$2 folder=$3 f
	shift 3
	dc_mkfolder "$dir" "$u" "$folder"
	for f in "$@"; do
		# save (not LDA) keeps the message unseen and skips sieve/quota.
		doveadm -c "$dir/dovecot.conf" save -u "$u" -m "$folder" <"$f" ||
			die "cannot deliver $f to $u/$folder"
	done
}

cmd=${1:-}
[ $# -ge 2 ] || cmd=usage
case $cmd in
start)
	shift
	args=()
	oauth=
	while [ $# -gt 0 ]; do
		case $1 in
		--provider) [ $# -ge 2 ] || die "--provider needs OAUTH_URL"; oauth=$2; shift 2 ;;
		--mechs) [ $# -ge 2 ] || die "--mechs needs a list"; export DC_MECHS=$2; shift 2 ;;
		--no-sasl-ir) export DC_NO_SASL_IR=1; shift ;;
		*) args+=("$1"); shift ;;
		esac
	done
	dc_start "${args[0]}" "${args[1]:-}" "${args[2]:-}" "$oauth"
	;;
certs) make_certs "$(abs_dir "$2")" ;;
stop) dc_stop "$2" ;;
adduser)
	[ $# -eq 4 ] || { [ $# -eq 5 ] && [ "$5" = --no-sent ]; } ||
		die "usage: dovecot.sh adduser DIR USER PASS [--no-sent]"
	dc_adduser "$2" "$3" "$4" "${5:-}"
	;;
mkfolder) [ $# -eq 4 ] || die "usage: dovecot.sh mkfolder DIR USER FOLDER"; dc_mkfolder "$2" "$3" "$4" ;;
deliver) [ $# -ge 5 ] || die "usage: dovecot.sh deliver DIR USER FOLDER FILE..."; dc_deliver "$2" "$3" "$4" "${@:5}" ;;
*) die "usage: dovecot.sh start DIR [PORT] [IMAPS_PORT] [--provider OAUTH_URL] | stop DIR | adduser DIR USER PASS [--no-sent] | certs DIR | deliver DIR USER FOLDER FILE... | mkfolder DIR USER FOLDER" ;;
esac
