#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages one job needs, and only those:
#
#   deploy/install-deps.sh [PROFILE...] [--check | --list]
#
#   runtime  what the draftd binary needs to run (the container image, a host)
#   build    runtime + compiler, headers and pkg-config (make)
#   demo     build + the throwaway services of `make demo` (no browser,
#            valgrind, wrk, clang-format or npm)
#   test     demo + bench + what `make test` runs: lint, CUnit, valgrind, the
#            browser tests (Chromium, Node, playwright-core from npm), the
#            packaging tests (debhelper, debootstrap, systemd-nspawn, mandoc);
#            bench's tools because tests/integration/bench_smoke.sh runs the
#            bench at toy sizes
#   bench    demo + wrk and isync (`make bench`)
#   fuzz     build + clang and its sanitizer runtimes (`make fuzz`)
#
# With no PROFILE: test. Idempotent: installs what is missing and says what
# before it does. --check only reports (exit 1 when something is missing);
# --list prints the packages. Needs root (or sudo) to install. `--fuzz` is
# the old spelling of "test fuzz".
#
# Adding a package: put it under the one profile that needs it, one per line,
# with a comment saying why.
set -eu

runtime_pkgs="
libetpan20        # IMAP and MIME
libcurl3-gnutls   # SMTP, HTTP connectors, the model server (GnuTLS flavour: libetpan-dev conflicts with the OpenSSL one)
libjansson4       # JSON
libpq5            # PostgreSQL
libmicrohttpd12   # the REST API and web page
libpcre2-8-0      # patterns in keys, rules, guardrails
libgnutls30       # TLS and IMAP certificate checks
libsystemd0       # sd_notify: Type=notify readiness and the watchdog
libunistring2     # NFKC normalisation for the output gates (agent/text/text_norm.c)
libargon2-1       # Argon2id password hashing (ui-api/auth/)
ca-certificates   # the system trust store for IMAP, SMTP and HTTPS
"
build_pkgs="
build-essential pkg-config
libetpan-dev libcurl4-gnutls-dev libjansson-dev libpq-dev libmicrohttpd-dev
libpcre2-dev libgnutls28-dev
libsystemd-dev    # sd-daemon.h
libunistring-dev  # uninorm.h, unictype.h (no .pc file: linked as -lunistring)
libargon2-dev     # argon2.h
"
demo_pkgs="
postgresql        # draftd's database and the demo business database
dovecot-imapd     # the demo mailbox
python3 python3-aiosmtpd  # the SMTP sink
openssl           # the test services' certificates
procps curl       # the scripts wait on processes and URLs
"
test_pkgs="
clang-format      # make lint
libcunit1-dev     # the unit tests
valgrind          # make valgrind
chromium          # the browser tests (driven by playwright-core from npm)
debhelper dpkg-dev fakeroot  # tests/integration/deb.sh builds the package
debootstrap       # ... installs it into a Debian 12 root
systemd systemd-container  # ... boots that root (systemd-nspawn); systemd-analyze checks the unit
mandoc            # lints the man pages
lintian           # checks the package
prometheus        # promtool checks and unit-tests deploy/prometheus/draftd-alerts.yml (tests/integration/metrics.sh)
docker-compose    # checks deploy/compose.yaml against the compose schema (no engine needed)
glewlwyd sqlite3  # the OpenID Connect provider of tests/services/oidc.sh (data in SQLite)
libsasl2-modules  # SASL PLAIN/LOGIN for the test Cyrus (fetched with apt-get download, unpacked with dpkg -x, never installed: it conflicts with dovecot-imapd)
"
bench_pkgs="
wrk               # make bench: API and /healthz load
isync             # make bench: mbsync, the IMAP sync baseline of the ingest figure (pgbench comes with postgresql)
"
fuzz_pkgs="
clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes
"

# packages of one profile (its own and what it builds on), comments dropped
profile_pkgs() {
	case $1 in
	runtime) echo "$runtime_pkgs" ;;
	build) profile_pkgs runtime; echo "$build_pkgs" ;;
	demo) profile_pkgs build; echo "$demo_pkgs" ;;
	test) profile_pkgs bench; echo "$test_pkgs" ;;
	bench) profile_pkgs demo; echo "$bench_pkgs" ;;
	fuzz) profile_pkgs build; echo "$fuzz_pkgs" ;;
	*) return 1 ;;
	esac | sed 's/#.*//'
}

mode=install
profiles=""
for a in "$@"; do
	case $a in
	--check) mode=check ;;
	--list) mode=list ;;
	--fuzz) profiles="$profiles test fuzz" ;;
	runtime | build | demo | test | bench | fuzz) profiles="$profiles $a" ;;
	-h | --help)
		awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"
		exit 0
		;;
	*)
		echo "install-deps: unknown profile or option '$a' (runtime build demo test bench fuzz, --check, --list)" >&2
		exit 2
		;;
	esac
done
[ -n "$profiles" ] || profiles="test"

packages=""
for p in $profiles; do
	packages="$packages $(profile_pkgs "$p")"
done
packages=$(echo $packages | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
if [ "$mode" = list ]; then
	echo "$packages"
	exit 0
fi

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

# The browser tests (test profile only) drive Chromium with playwright-core,
# pinned by tests/browser/package-lock.json; it brings no browser. Node.js may
# come from elsewhere (e.g. nodesource, which bundles npm): Debian's is only
# installed when the commands are missing.
here=$(cd "$(dirname "$0")/.." && pwd)
npm_missing=""
case " $profiles " in
*" test "*)
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	if [ -f "$here/tests/browser/package.json" ] &&
		[ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
		npm_missing="playwright-core"
	fi
	;;
esac

if [ "$mode" = check ]; then
	[ -z "$missing" ] || echo "missing Debian packages for$profiles:$missing"
	[ -z "$npm_missing" ] || echo "missing npm packages in tests/browser: $npm_missing (npm ci there)"
	[ -z "$missing$npm_missing" ] || exit 1
	echo "all Debian packages for$profiles present"
	exit 0
fi

if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "install-deps: installing for$profiles:$missing"
	$SUDO apt-get update -qq
	# The packaged services must not start (or grab ports) on the build machine.
	DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

if [ -n "$npm_missing" ]; then
	echo "install-deps: installing npm packages in tests/browser: $npm_missing"
	npm_cmd=install
	[ ! -f "$here/tests/browser/package-lock.json" ] || npm_cmd=ci
	# offline, the build and the demo still work: only the browser tests skip
	(cd "$here/tests/browser" && npm "$npm_cmd" --no-audit --no-fund --silent) ||
		echo "npm $npm_cmd failed in tests/browser: the browser tests will be skipped" >&2
fi
exit 0
