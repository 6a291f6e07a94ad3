#!/bin/bash
# SPDX-License-Identifier: MIT
# A reply that cannot be sent, seen in headless Chromium
# (tests/browser/outbox_failed.mjs): draftd's [smtp] url is a loopback port
# nobody listens on, max_attempts = 1 and no send delay, so an approved
# reply fails at once; the page must say so in words.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/browser_stack.sh"
browser_preflight "failed-send browser test"
# a port that was free a moment ago: connections to it are refused
dead=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BS_SMTP="url = smtp://127.0.0.1:$dead
tls = off
max_attempts = 1
connect_timeout = 5"
browser_stack deadsmtp "$(printf '[review]\nsend_delay = 0\n')" || exit 1

mkdir -p "$shots"
# a second mailbox whose Sent folder cannot be found or made (what the
# outbox records): the queue page must say so
psql -XAtq -d "$BS_DB" -c "INSERT INTO mailboxes (name, imap_url, imap_user, sent_error)
	VALUES ('nosent', 'imap://x', 'x', 'the server has no Sent folder and creating one failed (CREATE Sent: command failed (Permission denied)): create a Sent folder, or set sent_folder to one that exists')" >/dev/null ||
	not_ok "a mailbox row with a Sent folder problem"
# once the page shows the failure, the script starts a mail server on the
# dead port (the cause fixed) and sends the reply again from the page
(cd "$here/tests/browser" && DRAFTD_URL=$BS_URL REVIEWER_TOKEN=$BS_RTOK SCREENSHOT_DIR=$shots \
	DEAD_SMTP_PORT=$dead SINK_SCRIPT=$here/tests/fakes/smtp_server.py SINK_DIR=$ITMP/sink \
	timeout 300 node outbox_failed.mjs)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || not_ok "outbox_failed.mjs exited with $rc"

browser_stack_stop
