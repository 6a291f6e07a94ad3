#!/bin/bash
# SPDX-License-Identifier: MIT
# Built-in never-auto (issue 12): with the example configuration
# (deploy/draftd.conf.example: builtin backend, no rules file), the
# order_status category in auto at threshold 0, mail whose reply could reach
# someone else is drafted for a person, never answered automatically: a
# Reply-To in another domain, a Reply-To to a colleague, a From that fails
# DMARC at the receiving server (the topmost Authentication-Results). A
# forged failing header below the server's own passing one changes nothing,
# and a plain question is still answered automatically.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

SVC=$DRAFTD_TEST_SVC_DIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
url=$(db_url_for draftd_it_never_auto) || { not_ok "never-auto: create database"; exit 0; }
user=neverauto$$
"$SRC/tests/services/dovecot.sh" adduser "$SVC" "$user" pw >/dev/null

conf=$ITMP/draftd.conf
/usr/bin/python3 - "$SRC/deploy/draftd.conf.example" "$conf" <<PY
import configparser, sys
c = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"), strict=False)
c.read(sys.argv[1])
c["database"]["url"] = "$url"
c["api"]["listen"] = "127.0.0.1:$(free_port)"
c["model"]["templates_dir"] = "$SRC/deploy/templates"
c["log"]["level"] = "warn"
mb = c["mailbox support"]
mb.update({"url": "imap://127.0.0.1:$DRAFTD_TEST_IMAP_PORT", "user": "$user", "password": "pw",
           "address": "support@harborparts.example", "starttls": "off", "idle": "off"})
del mb["password_file"]
c.remove_section("connector inventory")
c["connector order"] = {"type": "csv", "key": "order", "key_column": "order_id",
                        "path": "$SRC/tests/fixtures/injection/orders.csv",
                        "fields": "order_id:string, customer_email:string, status:string, "
                                  "carrier:string, tracking_number:string, ship_date:string, "
                                  "eta:string, total_eur:number"}
c["category order_status"] = {"mode": "auto", "threshold": "0"}
assert "rules_file" not in c["agent"]
c.write(open(sys.argv[2], "w"))
PY
"$DRAFTD" check-config --config "$conf" >/dev/null 2>"$ITMP/check.err" &&
	ok "never-auto: the example config (no rules file) loads" ||
	not_ok "never-auto: check-config: $(head -3 "$ITMP/check.err")"
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || { not_ok "never-auto: migrate"; exit 0; }

# mail NAME FROM ORDER [HEADER...]
mail() {
	local name=$1 from=$2 order=$3
	shift 3
	{
		[ $# -eq 0 ] || printf '%s\r\n' "$@"
		printf 'From: %s\r\nTo: support@harborparts.example\r\nSubject: Order %s\r\n' "$from" "$order"
		printf 'Date: Mon, 16 Mar 2026 10:00:00 +0000\r\nMessage-ID: <never-%s-%s@test>\r\n' "$name" "$$"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n'
		printf 'Hello,\r\n\r\ncould you send me the tracking number of order %s?\r\n\r\nThanks\r\n' "$order"
	} >"$ITMP/$name.eml"
	"$SRC/tests/services/dovecot.sh" deliver "$SVC" "$user" INBOX "$ITMP/$name.eml" >/dev/null
}
mail reply-to-elsewhere "Priya Nair <priya.n@coastal-marine.example>" SO-204518 \
	"Reply-To: priya.nair@coastal-marine-logistics.test"
mail reply-to-colleague "Klaus Meier <k.meier@meier-baumaschinen.test>" SO-204519 \
	"Reply-To: einkauf@meier-baumaschinen.test"
mail dmarc-fail "Javier Ortega <javier.ortega@talleres-ortega.example>" SO-204520 \
	"Authentication-Results: mx.harborparts.example; spf=fail smtp.mailfrom=talleres-ortega.example; dmarc=fail header.from=talleres-ortega.example" \
	"Received: from mx.talleres-ortega.example by mx.harborparts.example; Mon, 16 Mar 2026 10:00:00 +0000"
mail forged-below "Lena Weiss <l.weiss@weiss-foerdertechnik.example>" SO-204524 \
	"Authentication-Results: mx.harborparts.example; spf=pass smtp.mailfrom=weiss-foerdertechnik.example; dmarc=pass header.from=weiss-foerdertechnik.example" \
	"Authentication-Results: mx.harborparts.example; dmarc=fail"
mail plain "Dana Brooks <d.brooks@brooks-hydraulics.example>" SO-204531

"$DRAFTD" poll --once --config "$conf" >/dev/null 2>"$ITMP/poll.err" || not_ok "never-auto: poll: $(tail -3 "$ITMP/poll.err")"
"$DRAFTD" process --once --config "$conf" >/dev/null 2>"$ITMP/process.err" ||
	not_ok "never-auto: process: $(tail -3 "$ITMP/process.err")"
# decision|flags|outbox rows, for one mail
row() {
	psql_value "$url" "SELECT coalesce(d.decision, '-') || '|' ||
	    coalesce((SELECT string_agg(f->>'flag', ',' ORDER BY f->>'flag') FROM jsonb_array_elements(d.guardrail_flags) f), '') || '|' ||
	    (SELECT count(*) FROM outbox o WHERE o.draft_id = d.id)
	  FROM messages m LEFT JOIN drafts d ON d.message_id = m.id
	 WHERE m.message_id = '<never-$1-$$@test>'"
}
expect() {
	local name=$1 want=$2 r
	r=$(row "$name")
	case $r in $want) ok "never-auto: $name ($r)" ;; *) not_ok "never-auto: $name: $r, want $want" ;; esac
}
expect reply-to-elsewhere 'pending|*reply_to_elsewhere*|0'
expect reply-to-colleague 'pending|*recipient_not_sender*|0'
expect dmarc-fail 'pending|*sender_auth_failed*|0'
expect forged-below 'auto||1'
expect plain 'auto||1'
