#!/bin/bash
# SPDX-License-Identifier: MIT
# The reviewer page in headless Chromium (tests/browser/review.mjs) against a
# real `draftd run` that ingested the demo mailbox plus the hostile fixtures
# of tests/browser/fixtures/ from Dovecot, drafted them with the builtin
# backend and facts from a Postgres business database, and sends through the
# SMTP sink (lib/browser_stack.sh). Screenshots land in $BUILD/screenshots
# (default build/).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/browser_stack.sh"
browser_preflight "browser tests"

browser_stack browser "$(cat <<CONF
# approved replies go out at once: these checks wait for the sink
[review]
send_delay = 0
[category stock_inquiry]
mode = draft
[category order_status]
mode = draft
[category other]
mode = draft
# the address change waits for a human: the "Needs a human" list
[category address_change]
mode = off
CONF
)" || exit 1

mkdir -p "$shots"
(cd "$here/tests/browser" && DRAFTD_URL=$BS_URL REVIEWER_TOKEN=$BS_RTOK ADMIN_TOKEN=$BS_ATOK \
	SMTP_MAILDIR=$DRAFTD_TEST_SMTP_MAILDIR SCREENSHOT_DIR=$shots timeout 300 node review.mjs)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "review.mjs exited with $rc"

browser_stack_stop
