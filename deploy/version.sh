#!/bin/sh
# SPDX-License-Identifier: MIT
# The version and commit a build of draftd reports (`draftd version`, the
# package, the image). Run in the source tree:
#   deploy/version.sh version   the newest tag vX.Y.Z reachable from HEAD, as
#                               git describe gives it without the "v" (0.2.0,
#                               or 0.2.0-3-gabc1234 three commits later, with
#                               -dirty for uncommitted changes); FALLBACK when
#                               there is no such tag or no git
#   deploy/version.sh commit    the abbreviated commit (-dirty likewise), or
#                               "unknown" outside a git checkout
# Builds without git (a release tarball, a container context without .git)
# pass VERSION= and COMMIT= to make instead.
set -u
FALLBACK=0.1.0

cd "$(dirname "$0")/.." || exit 1
case "${1:-version}" in
version)
	v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null) || v=""
	# only characters that are safe in a C string, a file name and a
	# Debian version
	case "$v" in
	*[!A-Za-z0-9.+~_-]*) echo "$FALLBACK" ;;
	v[0-9]*) echo "${v#v}" ;;
	*) echo "$FALLBACK" ;;
	esac
	;;
commit)
	c=$(git describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null) || c=""
	echo "${c:-unknown}"
	;;
*)
	echo "usage: deploy/version.sh version|commit" >&2
	exit 2
	;;
esac
