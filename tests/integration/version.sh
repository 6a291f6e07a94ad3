#!/bin/bash
# SPDX-License-Identifier: MIT
# draftd version: the version from the newest release tag, the commit, and
# the run-time version of every library it links; deploy/version.sh in a
# scratch repository with and without tags.
set -u
. "$(dirname "$0")/lib/common.sh"
src=${DRAFTD_SRCDIR:-$PWD}

out=$("$DRAFTD" version)
first=$(echo "$out" | head -n 1)
# the tag part (0.2.0 of 0.2.0-3-gabc1234-dirty): commits since the build
# change the rest
want_version=$("$src/deploy/version.sh" version)
want_version=${want_version%%-*}
hash=$(echo "$first" | sed -n 's/^draftd [^ ]* (commit \([0-9a-f]\{12\}\)\(-dirty\)\{0,1\})$/\1/p')
case $first in "draftd $want_version "* | "draftd $want_version-"*) true ;; *) false ;; esac && [ -n "$hash" ] &&
	ok "first line: draftd VERSION (commit HASH): $first" ||
	not_ok "first line '$first', want 'draftd $want_version (commit <12 hex>[-dirty])'"
# the build's commit is this tree's HEAD, or one before it when commits
# were made since the build
if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
	git -C "$src" merge-base --is-ancestor "$hash" HEAD 2>/dev/null &&
		ok "the commit is this tree's ($(git -C "$src" rev-parse --short=12 HEAD) or an ancestor)" ||
		not_ok "commit $hash is not in this tree's history"
fi
[ "$("$DRAFTD" --version | head -n 1)" = "$first" ] && ok "--version says the same" ||
	not_ok "--version differs"

# the run-time versions are the installed packages' upstream versions
upstream() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -E 's/^[0-9]+://; s/-[^-]*$//; s/\+dfsg.*//; s/~.*//'; }
for lib in libetpan libcurl libpq jansson libmicrohttpd pcre2 gnutls; do
	echo "$out" | grep -qE "^$lib [0-9]" && ok "version names $lib" || not_ok "version lacks $lib: $out"
done
v=$(upstream libgnutls30)
[ -z "$v" ] || { echo "$out" | grep -qx "gnutls $v" && ok "gnutls is the loaded $v" || not_ok "gnutls: want $v in $out"; }
v=$(upstream libpq5)
[ -z "$v" ] || { echo "$out" | grep -qx "libpq $v" && ok "libpq is the loaded $v" || not_ok "libpq: want $v in $out"; }
v=$(upstream libcurl3-gnutls)
[ -z "$v" ] || { echo "$out" | grep -q "^libcurl $v (GnuTLS/" && ok "libcurl $v with GnuTLS" || not_ok "libcurl: want $v in $out"; }

# deploy/version.sh in a scratch repository
repo=$ITMP/repo
mkdir -p "$repo/deploy"
cp "$src/deploy/version.sh" "$repo/deploy/"
g() { git -C "$repo" -c user.name=t -c user.email=t@example.com "$@" >/dev/null 2>&1; }
vs() { "$repo/deploy/version.sh" "$@"; }
[ "$(vs version)" = 0.1.0 ] && [ "$(vs commit)" = unknown ] && ok "no git: 0.1.0, commit unknown" ||
	not_ok "no git: $(vs version) $(vs commit)"
g init -q && g add . && g commit -qm one
head=$(git -C "$repo" rev-parse --short=12 HEAD)
[ "$(vs version)" = 0.1.0 ] && [ "$(vs commit)" = "$head" ] && ok "no tag: 0.1.0 and the commit" ||
	not_ok "no tag: $(vs version) $(vs commit) (head $head)"
g tag -a v2.3.4 -m v2.3.4
[ "$(vs version)" = 2.3.4 ] && ok "tag v2.3.4: 2.3.4" || not_ok "tag: $(vs version)"
g tag not-a-release
[ "$(vs version)" = 2.3.4 ] && ok "tags not named vX.Y.Z are ignored" || not_ok "other tag: $(vs version)"
echo x >"$repo/file" && g add file && g commit -qm two
case $(vs version) in 2.3.4-1-g*) ok "a commit after the tag: $(vs version)" ;; *) not_ok "after tag: $(vs version)" ;; esac
echo y >>"$repo/file"
case "$(vs version) $(vs commit)" in *-dirty\ *-dirty) ok "uncommitted changes: -dirty on both" ;;
*) not_ok "dirty: $(vs version) $(vs commit)" ;; esac
g commit -qam three && g tag -a "v9\"x" -m bad
[ "$(vs version)" = 0.1.0 ] && ok "a tag with a quote falls back to 0.1.0 (it goes into C and file names)" ||
	not_ok "quoted tag: $(vs version)"
