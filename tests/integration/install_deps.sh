#!/bin/bash
# deploy/install-deps.sh --check counts playwright-core (tests/browser) as a
# dependency: a copy of the script in a scratch tree with the real
# package.json and no node_modules must fail the check, so `make check-deps`
# runs the installer (npm ci). Only --check runs here: nothing is installed.
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
