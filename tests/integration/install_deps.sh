#!/bin/bash
# SPDX-License-Identifier: MIT
# deploy/install-deps.sh --check counts playwright-core (tests/browser) as a
# dependency: a copy of the script in a scratch tree with the real
# package.json and no node_modules must fail the check, so `make check-deps`
# runs the installer (npm ci). Then the profiles (runtime build demo test
# bench fuzz): what each holds, and that install mode says what it installs.
# Nothing is installed: apt-get is a stand-in.
set -u
. "$(dirname "$0")/lib/common.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)

tree=$ITMP/tree
mkdir -p "$tree/deploy" "$tree/tests/browser"
cp "$src/deploy/install-deps.sh" "$tree/deploy/"
# what the Debian packages alone say (the same on this machine in every case)
base_out=$("$tree/deploy/install-deps.sh" --check 2>&1)
base=$?
echo "# Debian packages: rc=$base"

cp "$src/tests/browser/package.json" "$tree/tests/browser/"
[ ! -f "$src/tests/browser/package-lock.json" ] || cp "$src/tests/browser/package-lock.json" "$tree/tests/browser/"
out=$("$tree/deploy/install-deps.sh" --check 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "playwright-core" &&
	ok "--check fails and names playwright-core when tests/browser/node_modules lacks it" ||
	not_ok "--check without playwright-core: rc=$rc $out"

mkdir -p "$tree/tests/browser/node_modules/playwright-core"
out=$("$tree/deploy/install-deps.sh" --check 2>&1)
rc=$?
[ $rc -eq "$base" ] && ! echo "$out" | grep -q "playwright-core" &&
	ok "--check is satisfied once playwright-core is there (rc=$rc, as without package.json)" ||
	not_ok "--check with playwright-core: rc=$rc (want $base) $out"
echo "$base_out" | grep -q "playwright-core" &&
	not_ok "--check without tests/browser/package.json asks for playwright-core" ||
	ok "no package.json: playwright-core is not asked for"

# Profiles: each job installs what it needs and no more.
ids=$src/deploy/install-deps.sh
list() { "$ids" --list "$@" | tr ' ' '\n' | grep -v '^$' | sort; }
demo=$(list demo)
bad=""
for p in chromium valgrind wrk clang-format npm nodejs libcunit1-dev; do
	echo "$demo" | grep -qx "$p" && bad="$bad $p"
done
[ -z "$bad" ] && ok "the demo profile has no browser, valgrind, wrk, clang-format, npm or CUnit" ||
	not_ok "demo profile has:$bad"
for p in postgresql dovecot-imapd python3-aiosmtpd libetpan-dev libsystemd-dev; do
	echo "$demo" | grep -qx "$p" || bad="$bad $p"
done
[ -z "$bad" ] && ok "the demo profile has the services and the build" || not_ok "demo profile lacks:$bad"
runtime=$(list runtime)
echo "$runtime" | grep -q -- '-dev$\|^build-essential$\|^postgresql$' && not_ok "runtime has build or service packages: $runtime" ||
	ok "the runtime profile has no -dev, compiler or service package"
# every library the binary links comes from a runtime package
missing=""
for lib in $(objdump -p "${DRAFTD_BIN:-$src/build/draftd}" 2>/dev/null | awk '/NEEDED/ {print $2}'); do
	pkg=$(dpkg -S "*/$lib" 2>/dev/null | grep -v -- '-dev\|i386\|amd64-cross\|lib32\|libx32' | head -n 1 | cut -d: -f1)
	case $pkg in libc6 | "") continue ;; esac
	echo "$runtime" | grep -qx "$pkg" || missing="$missing $lib($pkg)"
done
[ -z "$missing" ] && ok "the runtime profile covers every library draftd links" || not_ok "runtime lacks:$missing"
nested=1
for pair in "runtime build" "build demo" "demo bench" "bench test" "build fuzz"; do
	set -- $pair
	[ -z "$(comm -23 <(list "$1") <(list "$2"))" ] || nested=0
done
[ $nested = 1 ] && ok "profiles nest: runtime < build < demo < bench < test; build < fuzz" || not_ok "profiles do not nest"
# make test runs the bench at toy sizes (bench_smoke.sh), so it installs the bench's tools
{ echo "$(list test)" | grep -qx wrk && echo "$(list test)" | grep -qx isync; } &&
	ok "make test installs the bench's tools (wrk, isync) that bench_smoke runs" ||
	not_ok "the test profile lacks wrk or isync, which bench_smoke needs"
unknown=""
for p in $(list test bench fuzz); do
	apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]' || unknown="$unknown $p"
done
[ -z "$unknown" ] && ok "every package of every profile is known to apt" || not_ok "apt does not know:$unknown"
"$ids" nonsense >/dev/null 2>&1
[ $? -eq 2 ] && ok "an unknown profile is a usage error" || not_ok "unknown profile accepted"

# install mode, with dpkg-query saying two demo packages are missing and a
# stand-in apt-get recording what it is asked: the demo says what it
# installs before doing it, and installs only those
fake=$ITMP/fakebin
mkdir -p "$fake"
cat >"$fake/dpkg-query" <<'SH'
#!/bin/sh
for last; do :; done
case $last in dovecot-imapd|python3-aiosmtpd) exit 1 ;; esac
echo "install ok installed"
SH
cat >"$fake/apt-get" <<SH
#!/bin/sh
echo "apt-get \$*" >>"$ITMP/apt.log"
SH
chmod +x "$fake/dpkg-query" "$fake/apt-get"
: >"$ITMP/apt.log"
out=$(PATH=$fake:$PATH "$ids" demo 2>&1)
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "installing for demo: dovecot-imapd python3-aiosmtpd" &&
	ok "demo says what it installs: $(echo "$out" | head -n 1)" || not_ok "demo install: rc=$rc $out"
grep -q "install -y -qq --no-install-recommends dovecot-imapd python3-aiosmtpd$" "$ITMP/apt.log" &&
	ok "and apt-get installs exactly those" || not_ok "apt-get got: $(cat "$ITMP/apt.log")"
out=$(PATH=$fake:$PATH "$ids" demo --check 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "dovecot-imapd python3-aiosmtpd" && ok "demo --check names the missing ones" ||
	not_ok "demo --check: $out"
