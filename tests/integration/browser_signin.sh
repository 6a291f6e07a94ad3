#!/bin/bash
# SPDX-License-Identifier: MIT
# People signing in to the reviewer page in Chromium (tests/browser/signin.mjs):
# password sign-in, a reviewer kept off the admin page, a cross-site form post
# refused, the admin's People page, sign-out, and single sign-on through the
# real OpenID provider (glewlwyd, tests/services/oidc.sh).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/browser_stack.sh"
. "$(dirname "$0")/lib/oidc.sh"
browser_preflight "browser sign-in tests"
oidc_extra=""
if oidc_start; then
	cp "$DRAFTD_TEST_OIDC_CLIENT_SECRET_FILE" "$ITMP/oidc-secret" && chmod 600 "$ITMP/oidc-secret"
	oidc_extra=$(printf '[oidc]\nissuer = %s\nclient_id = %s\nclient_secret_file = %s\nrole_claim = role\n' \
		"$DRAFTD_TEST_OIDC_ISSUER" "$DRAFTD_TEST_OIDC_CLIENT_ID" "$ITMP/oidc-secret")
else
	not_ok "the OpenID provider starts"
fi
browser_stack signin "$oidc_extra" || exit 1
[ -n "$oidc_extra" ] && "$OIDC_SVC/oidc.sh" add-redirect "$OIDC_DIR" "${BS_URL}api/v1/auth/oidc/callback" >/dev/null 2>&1
echo 'rita long password' | "$DRAFTD" user add rita --role reviewer --name 'Rita Review' --password-stdin \
	--config "$BS_CONF" >/dev/null || not_ok "user add rita"
echo 'ada long password!' | "$DRAFTD" user add ada --role admin --password-stdin --config "$BS_CONF" >/dev/null ||
	not_ok "user add ada"

mkdir -p "$shots"
(cd "$here/tests/browser" && DRAFTD_URL=$BS_URL REVIEWER_LOGIN=rita REVIEWER_PASSWORD='rita long password' \
	ADMIN_LOGIN=ada ADMIN_PASSWORD='ada long password!' \
	OIDC_USER=${oidc_extra:+alice} OIDC_PASSWORD='alice secret' SCREENSHOT_DIR=$shots timeout 300 node signin.mjs)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "signin.mjs exited with $rc"
browser_stack_stop
