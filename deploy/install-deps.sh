#!/bin/sh
# Installs the Debian 12 packages that draftd's build, tests and demo need.
# Idempotent: does nothing when everything is present. `--check` only reports
# (exit 1 when something is missing). Needs root (or sudo) to install.
# `--fuzz [--check]` adds what `make fuzz` needs.
set -eu

PACKAGES="
build-essential pkg-config clang-format
libetpan-dev libcurl4-gnutls-dev libjansson-dev libpq-dev libmicrohttpd-dev
libpcre2-dev libgnutls28-dev libcunit1-dev
postgresql dovecot-imapd python3 python3-aiosmtpd
chromium valgrind ca-certificates openssl procps curl wrk
"
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

if [ "${1:-}" = "--check" ]; then
	if [ -n "$missing" ]; then
		echo "missing Debian packages:$missing"
		exit 1
	fi
	echo "all Debian packages present"
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

# playwright-core drives the Debian chromium in the browser tests; it brings no browser.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/tests/browser/package.json" ] && [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
	(cd "$here/tests/browser" && npm install --no-audit --no-fund --silent)
fi
exit 0
