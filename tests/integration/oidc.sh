#!/bin/bash
# SPDX-License-Identifier: MIT
# draftd's ID-token validator (ui-api/auth/oidc_token.c) against the real
# OpenID provider (glewlwyd, tests/services/oidc.sh): alice and ada sign in
# by the code flow with PKCE (tests/services/oidc_flow.py, which checks the
# signature on its own), then the unit suite oidc_live validates each token
# with the provider's JWKS and refuses it for another nonce, client, issuer,
# time or signature. Then the same in headless Chromium through the
# provider's own login page (tests/browser/oidc_signin.mjs). Sign-in is not
# wired into draftd's API yet (issue 16).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib/common.sh"
. "$here/lib/oidc.sh"

UNIT=${DRAFTD_BIN%/draftd}/tests/unit_tests
REDIRECT=http://127.0.0.1/draftd/auth/oidc/callback

if ! oidc_start; then
	not_ok "oidc: the provider starts"
	exit 1
fi
ok "oidc: the provider starts (issuer $DRAFTD_TEST_OIDC_ISSUER)"

# validate DIR ROLE: the oidc_live suite on DIR/id_token, DIR/jwks.json, DIR/nonce.
validate() {
	local d=$1 role=$2
	DRAFTD_TEST_OIDC_TOKEN_FILE=$d/id_token DRAFTD_TEST_OIDC_JWKS_FILE=$d/jwks.json \
		DRAFTD_TEST_OIDC_NONCE_FILE=$d/nonce DRAFTD_TEST_OIDC_EXPECT_ROLE=$role \
		"$UNIT" oidc_live >"$d/unit.log" 2>&1 || { sed 's/^/#   /' "$d/unit.log"; return 1; }
	grep -q '^unit: 2 passed, 0 failed$' "$d/unit.log" && ! grep -q SKIPPED "$d/unit.log" ||
		{ sed 's/^/#   /' "$d/unit.log"; return 1; }
}

# live_check USER PASS ROLE: sign in by HTTP, keep the token, validate it.
live_check() {
	local user=$1 pass=$2 role=$3 d=$ITMP/$1
	mkdir -p "$d"
	oidc_flow --redirect "$REDIRECT" --user "$user" --password "$pass" --expect-role "$role" \
		--id-token-out "$d/id_token" --jwks-out "$d/jwks.json" --nonce-out "$d/nonce" \
		>"$d/flow.log" 2>&1 || { sed 's/^/#   /' "$d/flow.log"; return 1; }
	validate "$d" "$role"
}

check "oidc: alice's ID token from the provider validates in draftd (role reviewer), tampered copies refused" \
	live_check alice 'alice secret' reviewer
check "oidc: ada's ID token validates in draftd (role admin)" live_check ada 'ada secret' admin

if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null 2>&1 ||
	[ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
	ok "oidc browser sign-in SKIPPED: chromium, node or playwright-core missing"
	exit 0
fi
shots=${DRAFTD_SCREENSHOTS:-$root/build/screenshots}
mkdir -p "$shots" "$ITMP/browser"
DRAFTD_SCREENSHOTS=$shots node "$root/tests/browser/oidc_signin.mjs" alice 'alice secret' "$ITMP/browser"
check "oidc: the token from the browser sign-in validates in draftd (role reviewer)" \
	validate "$ITMP/browser" reviewer
