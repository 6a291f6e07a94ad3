#!/bin/bash
# SPDX-License-Identifier: MIT
# The reviewer's work flows in headless Chromium, one tests/browser/flow_*.mjs
# per flow (the editor keeping saved text, the approve keys, the kill switch,
# ...), each against the same real `draftd run` (lib/browser_stack.sh) with
# its own drafts. Screenshots land in $BUILD/screenshots (default build/).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/browser_stack.sh"
here=$(cd "$(dirname "$0")/../.." && pwd)

# the kept queue's invariant over seeded random interleavings (node only;
# make test-long runs many more seeds)
if command -v node >/dev/null; then
	seeds=${QUEUE_KEPT_SEEDS:-$([ "${DRAFTD_TEST_LONG:-}" = 1 ] && echo 20000 || echo 300)}
	QUEUE_KEPT_SEEDS=$seeds node "$here/tests/browser/queue_kept_model.mjs"
	rc=$?
	[ $rc -le 1 ] || not_ok "queue_kept_model.mjs exited with $rc"
fi

browser_preflight "browser flow tests"

# no [category] section: the classifier's categories must exist without one.
# A send delay long enough to click Undo in, a claim short enough that the
# heartbeat (a third of it) shows within the test.
browser_stack flows "$(printf '[review]\nsend_delay = 15\nclaim_ttl = 30\n')" || exit 1

mkdir -p "$shots"
for flow in "$here"/tests/browser/flow_*.mjs; do
	(cd "$here/tests/browser" && DRAFTD_URL=$BS_URL REVIEWER_TOKEN=$BS_RTOK REVIEWER2_TOKEN=$BS_RTOK2 ADMIN_TOKEN=$BS_ATOK \
		DRAFTD_DB=$BS_DB SMTP_MAILDIR=$DRAFTD_TEST_SMTP_MAILDIR SCREENSHOT_DIR=$shots \
		timeout 300 node "$flow")
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "$(basename "$flow") exited with $rc"
done
# last: it approves and undoes drafts (each undo is a new version) that the
# flows above find by sender and count versions of
(cd "$here/tests/browser" && DRAFTD_URL=$BS_URL REVIEWER_TOKEN=$BS_RTOK REVIEWER2_TOKEN=$BS_RTOK2 \
	SCREENSHOT_DIR=$shots timeout 300 node queue_kept.mjs)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "queue_kept.mjs exited with $rc"

browser_stack_stop
