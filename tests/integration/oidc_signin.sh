#!/bin/bash
# SPDX-License-Identifier: MIT
# Single sign-on end to end (issue 16): draftd configured with [oidc] against
# the real OpenID provider (glewlwyd, tests/services/oidc.sh). alice (role
# claim reviewer) and ada (admin) sign in through draftd's /auth/oidc/start
# and callback (discovery, PKCE S256, state, nonce, code exchange, ID token
# checked against the provider's JWKS), are added as people with the claimed
# role and get a session; a tampered state, a replayed callback, a person
# without a draftd role, a disabled person and a wrong client secret are
# refused, each back on the page with a reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/oidc.sh"
. "$here/../services/lib.sh"

if ! oidc_start; then
	not_ok "oidc sign-in: the provider starts"
	exit 1
fi
url=$(db_url_for draftd_it_oidc_signin)
port=$(free_port)
base=http://127.0.0.1:$port
redirect=$base/api/v1/auth/oidc/callback
"$OIDC_SVC/oidc.sh" add-redirect "$OIDC_DIR" "$redirect" >/dev/null 2>&1 || not_ok "add-redirect"
"$OIDC_SVC/oidc.sh" adduser "$OIDC_DIR" nora 'nora secret' >/dev/null 2>&1 || not_ok "adduser nora"
conf=$ITMP/draftd.conf
cp "$DRAFTD_TEST_OIDC_CLIENT_SECRET_FILE" "$ITMP/secret" && chmod 600 "$ITMP/secret"
write_config "$conf" database api URL="$url" API_PORT="$port" api.threads=2 \
	oidc.issuer="$DRAFTD_TEST_OIDC_ISSUER" oidc.client_id="$DRAFTD_TEST_OIDC_CLIENT_ID" \
	oidc.client_secret_file="$ITMP/secret" oidc.role_claim=role
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "migrate"
out=$("$DRAFTD" check-config --config "$conf" 2>&1)
[ $? -eq 0 ] && ok "check-config accepts the [oidc] section" || not_ok "check-config: $out"
sql() { psql -XAtq -d "$url" -c "$1"; }
log=$ITMP/run.log
start_bg pid "$log" "$DRAFTD" run --config "$conf"
wait_for 10 curl -sf "$base/healthz" -o /dev/null || { not_ok "api start: $(cat "$log")"; exit 1; }
rp() { /usr/bin/python3 "$here/lib/oidc_rp.py" --draftd "$base" "$@"; }
field() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); print($2)" "$1"; }

info=$(curl -s "$base/api/v1/auth")
[ "$(field "$info" 'j["oidc"]')" = True ] && ok "GET /auth offers single sign-on" || not_ok "auth: $info"

out=$(rp --user alice --password 'alice secret')
[ "$(field "$out" 'j.get("me_status"), j["me"].get("name"), j["me"].get("role"), j["me"].get("via")')" = \
	"200 alice@example.org reviewer session" ] 2>/dev/null &&
	ok "alice signs in through the provider: a reviewer session" || not_ok "alice: $out"
loc=$(field "$out" 'j.get("location")')
[ "$loc" = / ] && ok "the callback sends the browser back to the page" || not_ok "callback location: $loc"
field "$out" 'j.get("cookie")' | grep -q 'HttpOnly; SameSite=Strict' && ok "the SSO session cookie is HttpOnly, SameSite=Strict" ||
	not_ok "cookie: $out"
row=$(sql "SELECT role, oidc_issuer IS NOT NULL, password_hash IS NULL FROM people WHERE login LIKE 'alice%'")
[ "$row" = "reviewer|t|t" ] && ok "alice was added as a person (reviewer, no password, bound to the issuer)" ||
	not_ok "alice row: $row"
out=$(rp --user ada --password 'ada secret')
[ "$(field "$out" 'j.get("me_status"), j["me"].get("role")')" = "200 admin" ] 2>/dev/null &&
	ok "ada signs in: an admin session from the role claim" || not_ok "ada: $out"
out=$(rp --user alice --password 'alice secret')
n=$(sql "SELECT count(*) FROM people WHERE oidc_subject IS NOT NULL")
[ "$n" = 2 ] && ok "a second sign-in finds alice again (no new person)" || not_ok "people: $n"
n=$(sql "SELECT count(*) FROM audit_log WHERE action = 'person.signin' AND after->>'via' = 'oidc'")
[ "$n" = 3 ] && ok "each SSO sign-in is audited naming the person" || not_ok "audit: $n"

out=$(rp --user alice --password 'alice secret' --tamper-state)
[ "$(field "$out" 'j.get("location"), j.get("me_status")')" = "/?signin_error=expired 401" ] &&
	ok "a tampered state is refused (no session)" || not_ok "tamper: $out"
out=$(rp --user alice --password 'alice secret' --replay)
[ "$(field "$out" 'j.get("location"), j.get("me_status")')" = "/?signin_error=expired 401" ] &&
	ok "a replayed callback is refused (state used once)" || not_ok "replay: $out"
out=$(rp --user nora --password 'nora secret')
[ "$(field "$out" 'j.get("location"), j.get("me_status")')" = "/?signin_error=no_role 401" ] &&
	ok "a person without a draftd role claim is refused" || not_ok "nora: $out"
sql "UPDATE people SET disabled_at = now() WHERE login LIKE 'ada%'" >/dev/null
out=$(rp --user ada --password 'ada secret')
[ "$(field "$out" 'j.get("location"), j.get("me_status")')" = "/?signin_error=account_disabled 401" ] &&
	ok "a disabled person cannot sign in through the provider" || not_ok "disabled ada: $out"
grep -q "single sign-on refused (no_role)" "$log" && ok "refusals are logged with the reason" || not_ok "log: $(tail -5 "$log")"

# a wrong client secret: the code exchange fails, the person is told
echo wrong >"$ITMP/secret"
kill -HUP "$pid" 2>/dev/null
sleep 1
out=$(rp --user alice --password 'alice secret')
[ "$(field "$out" 'j.get("location"), j.get("me_status")')" = "/?signin_error=token_refused 401" ] &&
	ok "a wrong client secret (after reload): token_refused" || not_ok "wrong secret: $out"
