#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo` (deploy/demo/run.sh) twice in a row, driven by
# tests/browser/demo.mjs: each run starts its own Postgres, Dovecot, SMTP sink
# and draftd under a temp dir, its page is loaded in headless Chromium with
# the printed token, and SIGINT must stop everything and remove the dir.
set -u
. "$(dirname "$0")/lib/common.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)

if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null 2>&1; then
	ok "make demo test SKIPPED: /usr/bin/chromium or node is missing (deploy/install-deps.sh)"
	exit 0
fi
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
	(cd "$here/tests/browser" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)
fi
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
	ok "make demo test SKIPPED: npm could not install playwright-core (offline?)"
	exit 0
fi
# DRAFTD_BIN is $PWD/$BUILD/draftd (tests/run.sh): the demo takes its dir.
cd "$here/tests/browser" && BUILD=$(dirname "$DRAFTD") timeout 900 node demo.mjs
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "demo.mjs exited with $rc"
