#!/bin/bash
# SPDX-License-Identifier: MIT
# make install into a DESTDIR: the tree, modes, the paths filled in for
# PREFIX (the unit, the man pages, sysusers.d and tmpfiles.d), the draftd
# user and its directories made from those entries (systemd-sysusers and
# systemd-tmpfiles --root), the unit checked by systemd-analyze (verify, and
# security --offline at most 2.0), the man pages by mandoc (or groff), and
# make uninstall. Uses the build under test: the same PREFIX, nothing rebuilt.
set -u
. "$(dirname "$0")/lib/common.sh"
src=${DRAFTD_SRCDIR:-$PWD}
bin=${DRAFTD_BIN:-$src/build/draftd}
build=$(dirname "$bin")
build=${build#"$src"/}
cd "$src" || exit 1
m() { make -s --no-print-directory BUILD="$build" "$@"; }

dest=$ITMP/dest
if m install DESTDIR="$dest" >"$ITMP/install.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	not_ok "make install: $(tail -5 "$ITMP/install.log")"
	exit 1
fi
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unitdir=${unitdir:-/usr/local/lib/systemd/system}
sysusers=$(pkg-config --variable=sysusersdir systemd 2>/dev/null)
sysusers=${sysusers:-/usr/local/lib/sysusers.d}
tmpfiles=$(pkg-config --variable=tmpfilesdir systemd 2>/dev/null)
tmpfiles=${tmpfiles:-/usr/local/lib/tmpfiles.d}

# path mode
want="usr/local/sbin/draftd 755
etc/draftd 750
etc/draftd/secrets 750
etc/draftd/draftd.conf 640
${unitdir#/}/draftd.service 644
${sysusers#/}/draftd.conf 644
${tmpfiles#/}/draftd.conf 644
usr/local/share/man/man8/draftd.8 644
usr/local/share/man/man5/draftd.conf.5 644
usr/local/share/doc/draftd/README.md 644
usr/local/share/doc/draftd/LICENSE 644
usr/local/share/doc/draftd/examples/draftd.conf.example 644
usr/local/share/doc/draftd/examples/rules.json 644
usr/local/share/doc/draftd/examples/rules.schema.json 644
usr/local/share/draftd/web/index.html 644
usr/local/share/draftd/templates/stock_inquiry.en.txt 644"
bad=""
while read -r path mode; do
	got=$(stat -c %a "$dest/$path" 2>/dev/null) || got=missing
	[ "$got" = "$mode" ] || bad="$bad $path=$got(want $mode)"
done <<<"$want"
[ -z "$bad" ] && ok "installed tree and modes" || not_ok "tree:$bad"
[ ! -e "$dest/usr/local/share/draftd/draftd.service" ] && [ ! -e "$dest/usr/local/bin/draftd" ] &&
	ok "no unit under share/draftd, no binary under bin" || not_ok "old locations still used"
cmp -s "$dest/etc/draftd/draftd.conf" "$src/deploy/draftd.conf.example" && ok "the example is the first config" ||
	not_ok "installed config differs from the example"
left=$(grep -rlI '@[A-Z]*DIR@' "$dest" 2>/dev/null)
[ -z "$left" ] && ok "no @DIR@ placeholder left in any installed file" || not_ok "placeholders in: $left"

unit=$dest$unitdir/draftd.service
grep -qx 'ExecStart=/usr/local/sbin/draftd run' "$unit" && grep -qx 'ExecStartPre=/usr/local/sbin/draftd migrate' "$unit" &&
	grep -qx 'Environment=DRAFTD_CONFIG=/etc/draftd/draftd.conf' "$unit" &&
	grep -qx 'LoadCredential=secrets:/etc/draftd/secrets' "$unit" &&
	ok "the unit runs PREFIX/sbin/draftd with /etc/draftd" || not_ok "unit paths: $(grep -E 'Exec|Environment|LoadCred' "$unit")"
grep -qx 'Documentation=man:draftd(8) man:draftd.conf(5)' "$unit" && ok "Documentation= names the installed man pages" ||
	not_ok "Documentation: $(grep Documentation "$unit")"
grep -qx 'Type=notify' "$unit" && grep -qx 'User=draftd' "$unit" && grep -q '^WatchdogSec=' "$unit" &&
	ok "Type=notify, User=draftd, a watchdog" || not_ok "unit type/user"
for d in 'ProtectSystem=strict' 'PrivateTmp=yes' 'CapabilityBoundingSet=' 'NoNewPrivileges=yes' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'SystemCallFilter=@system-service' \
	'MemoryDenyWriteExecute=yes'; do
	grep -qxF "$d" "$unit" || bad="$bad $d"
done
[ -z "$bad" ] && ok "the unit has the hardening the issue asks for" || not_ok "missing:$bad"
grep -q "$src/build\|$ITMP" "$dest$sysusers/draftd.conf" "$dest$tmpfiles/draftd.conf" "$unit" &&
	not_ok "build paths leaked into the installed files" || ok "no build path in the installed files"
grep -aq '/usr/local/share/draftd' "$dest/usr/local/sbin/draftd" && grep -aq '/etc/draftd/draftd.conf' "$dest/usr/local/sbin/draftd" &&
	ok "the binary looks for its data under PREFIX/share/draftd and its config in /etc/draftd" ||
	not_ok "compiled-in paths"

# the user and its directories, made from the installed entries
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$dest/etc"
	systemd-sysusers --root="$dest" >"$ITMP/sysusers.log" 2>&1
	line=$(grep '^draftd:' "$dest/etc/passwd" 2>/dev/null)
	home=$(echo "$line" | cut -d: -f6)
	shell=$(echo "$line" | cut -d: -f7)
	uid=$(echo "$line" | cut -d: -f3)
	[ -n "$line" ] && [ "$home" = /var/lib/draftd ] && [ "$uid" -lt 1000 ] && case $shell in */nologin) true ;; *) false ;; esac &&
		ok "sysusers.d makes a system user draftd (uid $uid, home /var/lib/draftd, no login)" ||
		not_ok "sysusers: '$line' $(cat "$ITMP/sysusers.log")"
	grep -q '^draftd:' "$dest/etc/group" && ok "and its group" || not_ok "no draftd group"
	systemd-tmpfiles --root="$dest" --create >"$ITMP/tmpfiles.log" 2>&1
	gid=$(grep '^draftd:' "$dest/etc/group" | cut -d: -f3)
	[ "$(stat -c '%a %u %g' "$dest/var/lib/draftd" 2>/dev/null)" = "750 $uid $gid" ] &&
		[ "$(stat -c '%a %u %g' "$dest/etc/draftd" 2>/dev/null)" = "750 0 $gid" ] &&
		[ "$(stat -c '%a %u %g' "$dest/etc/draftd/secrets" 2>/dev/null)" = "750 0 $gid" ] &&
		ok "tmpfiles.d: /var/lib/draftd draftd's, /etc/draftd and secrets root:draftd 0750" ||
		not_ok "tmpfiles: $(stat -c '%n %a %u %g' "$dest/var/lib/draftd" "$dest/etc/draftd" "$dest/etc/draftd/secrets" 2>&1) $(cat "$ITMP/tmpfiles.log")"
else
	ok "# SKIP systemd-sysusers/systemd-tmpfiles not installed: user and directories not checked"
fi

# systemd-analyze on the installed unit
if command -v systemd-analyze >/dev/null; then
	# verify wants the binary where ExecStart= says: the same unit with the
	# DESTDIR's sbin; man pages from the DESTDIR
	m BUILD="$ITMP/gen" "$ITMP/gen/draftd.service" SBINDIR="$dest/usr/local/sbin" >/dev/null 2>&1
	if MANPATH=$dest/usr/local/share/man systemd-analyze verify "$ITMP/gen/draftd.service" >"$ITMP/verify.log" 2>&1 &&
		[ ! -s "$ITMP/verify.log" ]; then
		ok "systemd-analyze verify: no complaint"
	else
		not_ok "systemd-analyze verify: $(cat "$ITMP/verify.log")"
	fi
	out=$(systemd-analyze security --offline=true "$unit" 2>&1)
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for draftd.service: \([0-9.]*\).*/\1/p')
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
		ok "systemd-analyze security --offline: $score (at most 2.0)"
	else
		not_ok "security exposure '$score': $(echo "$out" | grep '✗')"
	fi
	systemd-analyze security --offline=true --threshold=20 "$unit" >/dev/null 2>&1 &&
		ok "security --threshold=20 passes" || not_ok "security --threshold=20 fails"
else
	ok "# SKIP systemd-analyze not installed: the unit is not verified"
fi

# the man pages
for page in man8/draftd.8 man5/draftd.conf.5; do
	f=$dest/usr/local/share/man/$page
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -Wwarning "$f" 2>&1 | grep -v 'mandoc.db')
	else
		out=$(groff -mdoc -ww -z "$f" 2>&1)
	fi
	[ -z "$out" ] && ok "$page lints clean" || not_ok "$page: $out"
done
page=$(MANWIDTH=100 man -l "$dest/usr/local/share/man/man8/draftd.8" 2>/dev/null || mandoc -Tascii "$dest/usr/local/share/man/man8/draftd.8" 2>/dev/null)
missing=""
for c in $("$bin" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
	echo "$page" | grep -qE "^ {5}$c\b" || missing="$missing $c"
done
[ -z "$missing" ] && ok "draftd(8) documents every command of draftd --help" || not_ok "draftd(8) lacks:$missing"
conf5=$dest/usr/local/share/man/man5/draftd.conf.5
missing=""
for k in '\[database\]' '\[mailbox NAME\]' '\[connector NAME\]' '\[category NAME\]' \
	'"url = postgresql' '"url_file = ' '"listen = 127.0.0.1:8080"' '"unchanged_threshold = 0.05"' '"fetch_batch = 250"'; do
	grep -q "$k" "$conf5" || missing="$missing $k"
done
[ -z "$missing" ] && ok "draftd.conf(5) lists the sections and keys of the example" || not_ok "draftd.conf(5) lacks:$missing"
n5=$(grep -c '^\.It Li "' "$conf5")
nex=$(grep -cE '^;?[a-z_][a-z0-9_.]* *=' "$src/deploy/draftd.conf.example")
[ "$n5" -gt 60 ] && ok "draftd.conf(5) has $n5 key entries (the example has $nex key lines)" || not_ok "only $n5 keys in draftd.conf(5)"

# another PREFIX and SYSCONFDIR: every generated file follows
m BUILD="$ITMP/opt" PREFIX=/opt/draftd SYSCONFDIR=/etc/opt/draftd "$ITMP/opt/draftd.service" \
	"$ITMP/opt/draftd.sysusers" "$ITMP/opt/draftd.tmpfiles" "$ITMP/opt/man/draftd.8" "$ITMP/opt/man/draftd.conf.5" >/dev/null 2>&1
grep -qx 'ExecStart=/opt/draftd/sbin/draftd run' "$ITMP/opt/draftd.service" &&
	grep -qx 'Environment=DRAFTD_CONFIG=/etc/opt/draftd/draftd/draftd.conf' "$ITMP/opt/draftd.service" &&
	grep -q '/etc/opt/draftd/draftd/secrets' "$ITMP/opt/draftd.tmpfiles" &&
	grep -q '^\.It Pa /opt/draftd/share/doc/draftd/examples/' "$ITMP/opt/man/draftd.8" &&
	grep -q '^\.Pa /etc/opt/draftd/draftd/draftd.conf' "$ITMP/opt/man/draftd.conf.5" &&
	ok "PREFIX=/opt/draftd SYSCONFDIR=/etc/opt/draftd: unit, tmpfiles and man pages follow" ||
	not_ok "other prefix: $(grep -E 'Exec|Environment' "$ITMP/opt/draftd.service")"

# an operator's config survives a second install
echo "# edited by the operator" >>"$dest/etc/draftd/draftd.conf"
m install DESTDIR="$dest" >/dev/null 2>&1
grep -q "edited by the operator" "$dest/etc/draftd/draftd.conf" && ok "make install keeps an existing config" ||
	not_ok "make install overwrote the config"

m uninstall DESTDIR="$dest" >"$ITMP/uninstall.log" 2>&1
left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
case "$left" in
*usr/*|*lib/systemd*) not_ok "make uninstall left: $left" ;;
*./etc/draftd/draftd.conf*) ok "make uninstall removes everything but /etc/draftd and the user ($left)" ;;
*) not_ok "make uninstall removed the config: $left" ;;
esac
