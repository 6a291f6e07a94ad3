#!/bin/sh
# SPDX-License-Identifier: MIT
# make deb: builds the Debian package from a copy of the source tree (what
# git tracks, plus new files it does not ignore), so the build never writes
# into the working tree. The package version follows deploy/version.sh
# (0.2.0-3-gabc1234 becomes 0.2.0+3.gabc1234, a valid native version).
#   deploy/build-deb.sh OUTDIR     -> OUTDIR/draftd_VERSION_ARCH.deb
set -eu
out=${1:?usage: deploy/build-deb.sh OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
case $out in /*) ;; *) out=$here/$out ;; esac

command -v dpkg-buildpackage >/dev/null 2>&1 && command -v dh >/dev/null 2>&1 || {
	echo "build-deb: dpkg-buildpackage and debhelper are missing (deploy/install-deps.sh test)" >&2
	exit 2
}
version=$("$here/deploy/version.sh" version)
commit=$("$here/deploy/version.sh" commit)
debversion=$(echo "$version" | sed 's/-/+/; s/-/./g')

rm -rf "$out/src"
mkdir -p "$out/src/draftd"
src=$out/src/draftd
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$here" && git ls-files -co --exclude-standard -z | xargs -0 -r sh -c '
		for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh | xargs -0 -r cp --parents -t "$src")
else
	(cd "$here" && tar --exclude=./build --exclude=./tests/browser/node_modules -cf - .) | (cd "$src" && tar -xf -)
fi
# the top changelog entry carries the version being built
sed -i "1s/^draftd ([^)]*)/draftd ($debversion)/" "$src/debian/changelog"

echo "build-deb: draftd $debversion (commit $commit) in $src"
(cd "$src" && DRAFTD_VERSION=$version DRAFTD_COMMIT=$commit dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
mv "$out"/src/draftd_*.deb "$out"/src/draftd_*.changes "$out"/src/draftd_*.buildinfo "$out"/ 2>/dev/null || true
mv "$out"/src/draftd-dbgsym_*.deb "$out"/ 2>/dev/null || true
ls "$out"/draftd_"$debversion"_*.deb
