#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package end to end: dpkg-buildpackage builds it (make deb),
# lintian finds nothing, dpkg installs it into a fresh Debian 12 root (made
# once with debootstrap, cached under /var/cache/draftd-test), the maintainer
# scripts make the draftd user and its directories, and dpkg --purge leaves
# the root as it found it but for the user (Debian keeps system users).
# Then the root is booted with systemd-nspawn and the service started under
# systemd: Type=notify readiness, a secret read through LoadCredential= from
# a root-only file, IMAP polling and the API from inside the sandbox, reload,
# the watchdog, the live security score, stop.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/debroot.sh"
src=${DRAFTD_SRCDIR:-$PWD}
export DRAFTD_SRCDIR=$src

skip() {
	ok "# SKIP $*"
	exit 0
}
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	skip "debhelper/dpkg-dev not installed (deploy/install-deps.sh test installs them): the package is not built"

if "$src/deploy/build-deb.sh" "$ITMP/deb" >"$ITMP/build-deb.out" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the package ($(grep -o 'draftd [^ ]*' "$ITMP/build-deb.out" | head -n 1))"
else
	not_ok "build-deb: $(tail -n 20 "$ITMP/build-deb.out")"
	exit 1
fi
deb=$(ls "$ITMP"/deb/draftd_*_*.deb | head -n 1)
if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$deb" >"$ITMP/lintian.log" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && ok "lintian: no error or warning" || not_ok "lintian (rc $rc): $(grep -v 'root privileges' "$ITMP/lintian.log")"
fi
dpkg-deb -I "$deb" | grep -q '^ Depends:.*libetpan20.*libsystemd0' && ok "Depends has the shared libraries (shlibs)" ||
	not_ok "Depends: $(dpkg-deb -I "$deb" | grep Depends)"
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/sbin/draftd ./lib/systemd/system/draftd.service ./usr/lib/sysusers.d/draftd.conf \
	./usr/lib/tmpfiles.d/draftd.conf ./etc/draftd/draftd.conf ./usr/share/man/man8/draftd.8.gz \
	./usr/share/man/man5/draftd.conf.5.gz ./usr/share/doc/draftd/copyright ./usr/share/draftd/web/index.html; do
	echo "$files" | grep -qx "$f" || missing="${missing:-} $f"
done
[ -z "${missing:-}" ] && ok "the package holds the binary, unit, sysusers/tmpfiles entries, config, man pages" ||
	not_ok "package lacks:$missing"

[ "$(id -u)" -eq 0 ] || skip "not root: the package is built but not installed into a Debian root"
tarball=$(debroot_tarball 2>"$ITMP/debroot.err") ||
	skip "no Debian 12 root: $(cat "$ITMP/debroot.err")"
root=$ITMP/root
mkdir -p "$root"
tar -C "$root" -xf "$tarball" || { not_ok "extract $tarball"; exit 1; }
listing() { (cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run -o -path ./tmp \) -prune -o -print | sort); }
listing >"$ITMP/before.list"
cp "$deb" "$root/tmp/draftd.deb"
# as dpkg runs on a real system: with /proc (systemd-tmpfiles needs it), in
# private mount and PID namespaces that vanish with the command
in_root() { unshare --mount --fork --pid --mount-proc="$root/proc" chroot "$root" "$@"; }

if in_root dpkg -i /tmp/draftd.deb >"$ITMP/dpkg-i.log" 2>&1; then
	ok "dpkg -i into a fresh Debian 12 root"
else
	not_ok "dpkg -i: $(tail -n 15 "$ITMP/dpkg-i.log")"
	exit 1
fi
pw=$(in_root getent passwd draftd)
case $pw in draftd:x:*:*:*:/var/lib/draftd:*/nologin) ok "postinst made the system user: $pw" ;; *) not_ok "draftd user: '$pw'" ;; esac
perm() { in_root stat -c '%a %U %G' "$1" 2>&1; }
[ "$(perm /etc/draftd)" = "750 root draftd" ] && [ "$(perm /etc/draftd/secrets)" = "750 root draftd" ] &&
	[ "$(perm /etc/draftd/draftd.conf)" = "640 root draftd" ] && [ "$(perm /var/lib/draftd)" = "750 draftd draftd" ] &&
	ok "/etc/draftd, secrets, draftd.conf root:draftd; /var/lib/draftd draftd's" ||
	not_ok "perms: /etc/draftd $(perm /etc/draftd), secrets $(perm /etc/draftd/secrets), conf $(perm /etc/draftd/draftd.conf), state $(perm /var/lib/draftd)"
v=$(in_root draftd version 2>&1 | head -n 1)
case $v in "draftd "*" (commit "*) ok "the installed binary runs: $v" ;; *) not_ok "draftd version in the root: $v" ;; esac
in_root grep -q '^ExecStart=/usr/sbin/draftd run$' /lib/systemd/system/draftd.service && ok "the unit runs /usr/sbin/draftd" ||
	not_ok "unit ExecStart: $(in_root grep Exec /lib/systemd/system/draftd.service)"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/draftd.service" ] &&
	ok "not enabled on install (it needs its database and mailboxes first)" || not_ok "enabled on install"
out=$(in_root systemd-analyze verify --man=no /lib/systemd/system/draftd.service 2>&1)
[ -z "$out" ] && ok "systemd-analyze verify in the root: no complaint" || not_ok "verify in the root: $out"
in_root man -w draftd >/dev/null 2>&1 || [ -e "$root/usr/share/man/man8/draftd.8.gz" ] && ok "man page in place" || not_ok "no man page"

# a second install of the same package keeps an edited config and its group
echo "# edited" >>"$root/etc/draftd/draftd.conf"
in_root dpkg -i /tmp/draftd.deb >"$ITMP/dpkg-i2.log" 2>&1
grep -q '^# edited' "$root/etc/draftd/draftd.conf" && [ "$(perm /etc/draftd/draftd.conf)" = "640 root draftd" ] &&
	ok "reinstalling keeps the edited config, root:draftd 0640" || not_ok "reinstall: $(perm /etc/draftd/draftd.conf) $(tail -3 "$ITMP/dpkg-i2.log")"

. "$src/tests/integration/lib/deb_boot.sh"
deb_boot
deb_boot_stop
rm -f "$root/etc/draftd/test-ca.pem"

in_root dpkg --purge draftd >"$ITMP/purge.log" 2>&1 && ok "dpkg --purge draftd" || not_ok "purge: $(tail -5 "$ITMP/purge.log")"
grep -qi 'warning' "$ITMP/purge.log" && not_ok "purge warned: $(grep -i warning "$ITMP/purge.log")" || ok "purge gives no warning"
rm -f "$root/tmp/draftd.deb"
listing >"$ITMP/after.list"
# what may differ: the user (kept), dpkg's and systemd's own bookkeeping
extra=$(comm -13 "$ITMP/before.list" "$ITMP/after.list" |
	grep -vE '^\./etc/(passwd|group|shadow|gshadow|subuid|subgid)-?$|^\./etc/\.pwd\.lock$|^\./var/lib/dpkg/|^\./var/log/|^\./var/cache/debconf/|^\./var/lib/systemd/|^\./etc/machine-id$|^\./var/lib/dbus/|^\./var/tmp/systemd-private-')
gone=$(comm -23 "$ITMP/before.list" "$ITMP/after.list" | grep -vE '^\./var/lib/dpkg/|^\./var/log/')
[ -z "$extra" ] && [ -z "$gone" ] && ok "after purge the root is as before, but for the draftd user and dpkg's records" ||
	not_ok "purge left: $extra; removed: $gone"
in_root getent passwd draftd >/dev/null && ok "the draftd user stays after purge (Debian keeps system users)" ||
	not_ok "user removed"
