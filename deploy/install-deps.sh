#!/bin/sh
# Installs the Debian 12 packages that draftd's build, tests and demo need.
# Idempotent: does nothing when everything is present. `--check` only reports
# (exit 1 when something is missing, playwright-core for the browser tests
# included). Needs root (or sudo) to install.
# `--fuzz [--check]` adds what `make fuzz` needs.
set -eu

PACKAGES="
build-essential pkg-config clang-format
libetpan-dev libcurl4-gnutls-dev libjansson-dev libpq-dev libmicrohttpd-dev
libpcre2-dev libgnutls28-dev libcunit1-dev
postgresql dovecot-imapd python3 python3-aiosmtpd
chromium valgrind ca-certificates openssl procps curl wrk
"
# isync (mbsync): `make bench`'s IMAP sync baseline for the ingest figure (pgbench comes with postgresql)
PACKAGES="$PACKAGES isync"
# `make fuzz` only (libFuzzer and the sanitizer runtimes): installed with --fuzz.
FUZZ_PACKAGES="clang libclang-rt-14-dev"
# libcurl4-gnutls-dev, not libcurl4-openssl-dev: libetpan-dev conflicts with the
# openssl flavour. postgresql, dovecot-imapd, python3-aiosmtpd and chromium are
# only for the tests and the demo; the daemon itself needs the runtime libraries.
# wrk is for `make bench`.

if [ "${1:-}" = "--fuzz" ]; then
	PACKAGES="$PACKAGES $FUZZ_PACKAGES"
	shift
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

# Node.js may come from elsewhere (e.g. nodesource, which bundles npm): only
# install Debian's when the commands are missing.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

# playwright-core drives the Debian chromium in the browser tests; it brings
# no browser. It is pinned by tests/browser/package-lock.json.
here=$(cd "$(dirname "$0")/.." && pwd)
npm_missing=""
if [ -f "$here/tests/browser/package.json" ] && [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
	npm_missing="playwright-core"
fi

if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ] || echo "missing Debian packages:$missing"
	[ -z "$npm_missing" ] || echo "missing npm packages in tests/browser: $npm_missing (npm ci there)"
	[ -z "$missing$npm_missing" ] || exit 1
	echo "all Debian packages present; tests/browser/node_modules complete"
	exit 0
fi

if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "installing:$missing"
	$SUDO apt-get update -qq
	# The packaged services must not start (or grab ports) on the build machine.
	DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ -n "$npm_missing" ]; then
	echo "installing npm packages in tests/browser: $npm_missing"
	npm_cmd=install
	[ ! -f "$here/tests/browser/package-lock.json" ] || npm_cmd=ci
	# offline, the build and the demo still work: only the browser tests skip
	(cd "$here/tests/browser" && npm "$npm_cmd" --no-audit --no-fund --silent) ||
		echo "npm $npm_cmd failed in tests/browser: the browser tests will be skipped" >&2
fi
exit 0
