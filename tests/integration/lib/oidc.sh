# SPDX-License-Identifier: MIT
# The OpenID Connect test provider on demand; source it after common.sh.
#   oidc_start                 starts it under $ITMP (stopped by itest_cleanup), exports
#                              DRAFTD_TEST_OIDC_* (tests/services/README.md)
#   oidc_flow ARGS...          tests/services/oidc_flow.py against it (issuer, client given)
# Not part of tests/services/all.sh: only the tests that sign in need it.
# shellcheck shell=bash

OIDC_SVC=${DRAFTD_SRCDIR:-.}/tests/services

oidc_start() {
	OIDC_DIR=$ITMP/oidc-svc
	if ! "$OIDC_SVC/oidc.sh" start "$OIDC_DIR" >"$ITMP/oidc-start.log" 2>&1; then
		sed 's/^/#   /' "$ITMP/oidc-start.log"
		return 1
	fi
	ITEST_PIDS+=("$(cat "$OIDC_DIR/oidc.pid")")
	# shellcheck disable=SC1091
	. "$OIDC_DIR/oidc-env.sh"
}

oidc_flow() {
	/usr/bin/python3 "$OIDC_SVC/oidc_flow.py" --issuer "$DRAFTD_TEST_OIDC_ISSUER" \
		--client-id "$DRAFTD_TEST_OIDC_CLIENT_ID" \
		--client-secret-file "$DRAFTD_TEST_OIDC_CLIENT_SECRET_FILE" "$@"
}
