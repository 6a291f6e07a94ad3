# SPDX-License-Identifier: MIT
# A Debian 12 root file system for the packaging tests, made once with
# debootstrap (minbase + systemd + draftd's run-time libraries) and cached as
# a tarball under /var/cache/draftd-test: tests extract a fresh copy each run.
# shellcheck shell=bash

DEBROOT_CACHE=${DRAFTD_DEBROOT_CACHE:-/var/cache/draftd-test}

# the packages of the root: what a booted system needs, and draftd's libraries
debroot_packages() {
	{
		echo systemd systemd-sysv dbus procps
		"${DRAFTD_SRCDIR:-.}/deploy/install-deps.sh" --list runtime
	} | tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ',' | sed 's/,$//'
}

debroot_mirror() {
	local uri
	uri=$(sed -n 's/^URIs: *\(http[^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 ~ /^http/ && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
	echo "${uri:-http://deb.debian.org/debian}"
}

# debroot_tarball [bare]: prints the cached tarball's path, making it first
# when missing (about a minute with a network). "bare" is minbase alone (the
# stand-in for debian:bookworm-slim); without it, the booting root with
# draftd's libraries. Returns 1 with the reason on stderr when it cannot.
debroot_tarball() {
	local pkgs="" key tar tmp
	[ "${1:-}" = bare ] || pkgs=$(debroot_packages)
	key=$(echo "bookworm $pkgs" | sha256sum | cut -c1-12)
	tar=$DEBROOT_CACHE/debroot-bookworm-$key.tar
	if [ -s "$tar" ]; then
		echo "$tar"
		return 0
	fi
	command -v debootstrap >/dev/null || { echo "debootstrap is not installed" >&2; return 1; }
	mkdir -p "$DEBROOT_CACHE" || { echo "cannot create $DEBROOT_CACHE" >&2; return 1; }
	tmp=$(mktemp -d "$DEBROOT_CACHE/debroot.XXXXXX") || return 1
	echo "# making a Debian 12 root once: debootstrap --variant=minbase ${pkgs:+--include=$pkgs}" >&2
	if ! debootstrap --variant=minbase ${pkgs:+--include="$pkgs"} bookworm "$tmp/root" "$(debroot_mirror)" \
		>"$tmp/debootstrap.log" 2>&1; then
		echo "debootstrap failed (no network?): $(tail -n 3 "$tmp/debootstrap.log" | tr '\n' ' ')" >&2
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	# another run may have made it meanwhile: the rename is atomic either way
	tar -C "$tmp/root" -cf "$tmp/root.tar" . && mv "$tmp/root.tar" "$tar"
	rm -rf "$tmp"
	[ -s "$tar" ] || return 1
	echo "$tar"
}
