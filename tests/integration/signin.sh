#!/bin/bash
# SPDX-License-Identifier: MIT
# People and sign-in (issue 16 item 1) over HTTP against a real draftd and
# PostgreSQL: draftd user add|passwd|disable|list, password sign-in with a
# session cookie (HttpOnly, SameSite=Strict), the CSRF token on every
# state-changing request, cross-site posts refused, reviewers kept off admin
# routes, sign-out, expiry, lock-out per account and per address, API tokens
# tied to a person, and audit rows naming the person.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/../services/lib.sh"

url=$(db_url_for draftd_it_signin)
port=$(free_port)
base=http://127.0.0.1:$port
conf=$ITMP/draftd.conf
write_config "$conf" database api URL="$url" API_PORT="$port" api.threads=2 api.token_cache_ttl=1 \
	auth.lockout_failures=3 auth.lockout_address_failures=8
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "migrate"
sql() { psql -XAtq -d "$url" -c "$1"; }
user() { "$DRAFTD" user --config "$conf" "$@"; }

# --- the CLI
out=$(echo 'correct horse battery' | user add rita --role reviewer --name "Rita Review" --password-stdin 2>&1)
[ $? -eq 0 ] && ok "user add rita (password from stdin)" || not_ok "user add rita: $out"
out=$(echo 'staple battery horse' | user add ada --role admin --password-stdin 2>&1)
[ $? -eq 0 ] && ok "user add ada (admin)" || not_ok "user add ada: $out"
out=$(echo 'short' | user add bob --role reviewer --password-stdin 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "shorter than 12" && ok "a short password is refused: $out" ||
	not_ok "short password: $out"
out=$(echo 'another long password' | user add RITA --role reviewer --password-stdin 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "exists already" && ok "RITA is rita: refused" || not_ok "dup: $out"
out=$(user add eve --role boss --no-password 2>&1)
[ $? -eq 2 ] && ok "an unknown role is a usage error" || not_ok "role boss: $out"
out=$(user add eve --role reviewer 2>&1 </dev/null)
[ $? -ne 0 ] && echo "$out" | grep -q "password-stdin" && ok "no terminal, no --password-stdin: says how" ||
	not_ok "no tty: $out"
list=$(user list 2>&1)
echo "$list" | grep -qE '^rita +reviewer +password +active' && echo "$list" | grep -qE '^ada +admin' &&
	ok "user list shows people, roles, sign-in kind and state" || not_ok "user list: $list"
h=$(sql "SELECT password_hash FROM people WHERE login = 'rita'")
case "$h" in '$argon2id$v=19$m=19456,t=2,p=1$'*) ok "stored as an Argon2id PHC string" ;; *) not_ok "hash: $h" ;; esac
a=$(sql "SELECT count(*) FROM audit_log WHERE action = 'person.create' AND actor = 'cli'")
[ "$a" = 2 ] && ok "person.create audited twice (actor cli)" || not_ok "audit person.create: $a"

log=$ITMP/run.log
start_bg pid "$log" "$DRAFTD" run --config "$conf"
wait_for 10 curl -sf "$base/healthz" -o /dev/null || { not_ok "api start: $(cat "$log")"; exit 1; }

# signin JAR LOGIN PASSWORD [extra curl args]: HTTP status; headers in $ITMP/h
signin() {
	local jar=$1 login=$2 pw=$3
	shift 3
	curl -s -o "$ITMP/out" -D "$ITMP/h" -w '%{http_code}' -c "$jar" -b "$jar" \
		-H 'Content-Type: application/json' "$@" \
		--data "{\"login\":\"$login\",\"password\":\"$pw\"}" "$base/api/v1/auth/login"
}
# call JAR METHOD PATH [curl args]: status, body in $ITMP/out
call() {
	local jar=$1 m=$2 p=$3
	shift 3
	curl -s -o "$ITMP/out" -D "$ITMP/h" -w '%{http_code}' -c "$jar" -b "$jar" -X "$m" "$@" "$base/api/v1$p"
}
js() { python3 -c "import json; j=json.load(open('$ITMP/out')); print($1)"; }

info=$(curl -s "$base/api/v1/auth")
[ "$(echo "$info" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["password"], j["oidc"])')" = "True False" ] &&
	ok "GET /auth: password sign-in on, no single sign-on configured" || not_ok "auth info: $info"

r=$(signin "$ITMP/rj" rita 'wrong password here')
[ "$r" = 401 ] && [ "$(js 'j["error"]["code"]')" = invalid_credentials ] && ok "a wrong password: 401 invalid_credentials" ||
	not_ok "wrong password: $r $(cat "$ITMP/out")"
grep -qi '^set-cookie' "$ITMP/h" && not_ok "a failed sign-in set a cookie" || ok "a failed sign-in sets no cookie"
r=$(signin "$ITMP/rj" nobody 'wrong password here')
m1=$(js 'j["error"]["message"]')
[ "$r" = 401 ] && [ "$m1" = "wrong login or password" ] && ok "an unknown login: the same answer as a wrong password" ||
	not_ok "unknown login: $r $m1"
sql "DELETE FROM auth_failures" >/dev/null

r=$(signin "$ITMP/rj" Rita 'correct horse battery')
[ "$r" = 200 ] && ok "rita signs in (login in another letter case)" || not_ok "sign-in: $r $(cat "$ITMP/out")"
csrf=$(js 'j["csrf_token"]')
cookie=$(grep -i '^set-cookie:' "$ITMP/h" | tr -d '\r')
echo "$cookie" | grep -q 'draftd_session=' && echo "$cookie" | grep -q 'HttpOnly' &&
	echo "$cookie" | grep -q 'SameSite=Strict' && echo "$cookie" | grep -q 'Path=/' &&
	ok "the session cookie is HttpOnly, SameSite=Strict, Path=/" || not_ok "cookie: $cookie"
echo "$cookie" | grep -q 'Secure' && not_ok "Secure without TLS: $cookie" || ok "no Secure flag over plain HTTP"
tok=$(grep draftd_session "$ITMP/rj" | awk '{print $7}')
n=$(sql "SELECT count(*) FROM sessions WHERE id = encode(sha256('$tok'::bytea), 'hex')")
[ "$n" = 1 ] && ok "only the cookie's SHA-256 is stored" || not_ok "session row by hash: $n"
[ "$(sql "SELECT count(*) FROM sessions WHERE id = '$tok'")" = 0 ] || not_ok "the raw token is stored"

r=$(call "$ITMP/rj" GET /me)
[ "$r" = 200 ] && [ "$(js 'j["name"], j["via"], j["role"], j["display_name"], j["csrf_token"] == "'"$csrf"'"')" = "rita session reviewer Rita Review True" ] &&
	ok "GET /me with the cookie: rita, via session, her CSRF token" || not_ok "me: $r $(cat "$ITMP/out")"

# CSRF: a state-changing request with the cookie but no token, a wrong one, or from another site
r=$(call "$ITMP/rj" POST /drafts/1/release)
[ "$r" = 403 ] && [ "$(js 'j["error"]["code"]')" = csrf ] && ok "a POST with the cookie but no X-CSRF-Token: 403 csrf" ||
	not_ok "no csrf: $r $(cat "$ITMP/out")"
r=$(call "$ITMP/rj" POST /drafts/1/release -H "X-CSRF-Token: x${csrf#?}")
[ "$r" = 403 ] && ok "a wrong CSRF token: 403" || not_ok "wrong csrf: $r"
r=$(call "$ITMP/rj" POST /drafts/1/release -H "X-CSRF-Token: $csrf" -H 'Origin: http://evil.example')
[ "$r" = 403 ] && [ "$(js 'j["error"]["code"]')" = cross_site ] && ok "the right token from another Origin: 403 cross_site" ||
	not_ok "origin: $r $(cat "$ITMP/out")"
r=$(call "$ITMP/rj" POST /drafts/1/reject -H 'Origin: http://evil.example' \
	-H 'Content-Type: application/x-www-form-urlencoded' --data 'reason=spam')
[ "$r" = 403 ] && ok "a cross-site form post with the cookie: refused (403)" || not_ok "form post: $r"
r=$(call "$ITMP/rj" POST /drafts/1/release -H "X-CSRF-Token: $csrf" -H "Origin: $base")
[ "$r" = 404 ] && ok "with the token from this origin the request goes through (404: no such draft)" ||
	not_ok "csrf ok: $r $(cat "$ITMP/out")"
r=$(call "$ITMP/rj" POST /drafts/1/release -H "X-CSRF-Token: $csrf" -H 'Origin: https://draftd.example' \
	-H 'X-Forwarded-Host: draftd.example')
[ "$r" = 404 ] && ok "behind a proxy the Origin is matched against X-Forwarded-Host" || not_ok "proxy origin: $r"
r=$(call "$ITMP/rj" GET /people)
[ "$r" = 403 ] && ok "a reviewer's session cannot reach GET /people (admin)" || not_ok "reviewer /people: $r"
r=$(signin "$ITMP/x" rita 'correct horse battery' -H 'Origin: http://evil.example')
[ "$r" = 403 ] && ok "a sign-in posted from another site is refused" || not_ok "cross-site login: $r"

# admin: the people routes
r=$(signin "$ITMP/aj" ada 'staple battery horse')
acsrf=$(js 'j["csrf_token"]')
r=$(call "$ITMP/aj" GET /people)
[ "$r" = 200 ] && [ "$(js '",".join(p["login"] for p in j["people"])')" = "ada,rita" ] &&
	ok "an admin lists people" || not_ok "admin /people: $r $(cat "$ITMP/out")"
r=$(call "$ITMP/aj" POST /people -H "X-CSRF-Token: $acsrf" -H 'Content-Type: application/json' \
	--data '{"login":"carl","role":"reviewer","display_name":"Carl","password":"carl password 1"}')
[ "$r" = 201 ] && ok "an admin adds carl" || not_ok "POST /people: $r $(cat "$ITMP/out")"
r=$(call "$ITMP/aj" PATCH /people/ada -H "X-CSRF-Token: $acsrf" -H 'Content-Type: application/json' --data '{"disabled":true}')
[ "$r" = 409 ] && ok "an admin cannot disable themselves" || not_ok "self-disable: $r"
a=$(sql "SELECT actor FROM audit_log WHERE action = 'person.create' AND object_id = 'carl'")
[ "$a" = ada ] && ok "the audit row names the admin (ada)" || not_ok "audit actor: $a"

# a token tied to a person acts as them
out=$("$DRAFTD" token create --config "$conf" --name ada-script --role admin --person ada 2>&1)
atok=$(echo "$out" | tail -n 1)
out2=$("$DRAFTD" token create --config "$conf" --name ghost --role admin --person ghost 2>&1)
[ $? -ne 0 ] && echo "$out2" | grep -q "no such person" && ok "token --person for nobody: refused" || not_ok "ghost: $out2"
r=$(curl -s -o "$ITMP/out" -w '%{http_code}' -H "Authorization: Bearer $atok" "$base/api/v1/me")
[ "$r" = 200 ] && [ "$(js 'j["name"], j["via"], j["person_id"] is not None')" = "ada token True" ] &&
	ok "a person's token: /me names the person" || not_ok "person token: $r $(cat "$ITMP/out")"
curl -s -o /dev/null -H "Authorization: Bearer $atok" -H 'Content-Type: application/json' --data '{"enabled":false}' "$base/api/v1/auto"
a=$(sql "SELECT actor FROM audit_log WHERE action LIKE 'auto%' ORDER BY id DESC LIMIT 1")
[ "$a" = ada ] && ok "an action with ada's token is audited as ada" || not_ok "token audit actor: '$a'"
"$DRAFTD" token list --config "$conf" | grep -qE '^ada-script +admin +ada ' && ok "token list names the person" ||
	not_ok "token list: $("$DRAFTD" token list --config "$conf")"
rtok=$("$DRAFTD" token create --config "$conf" --name rita-admin --role admin --person rita 2>/dev/null | tail -n 1)
r=$(curl -s -o "$ITMP/out" -w '%{http_code}' -H "Authorization: Bearer $rtok" "$base/api/v1/people")
[ "$r" = 403 ] && ok "an admin token tied to a reviewer has a reviewer's rights" || not_ok "capped role: $r"

# sign-out, expiry, password change, disabling
r=$(call "$ITMP/rj" POST /auth/logout -H "X-CSRF-Token: $csrf")
grep -i '^set-cookie' "$ITMP/h" | grep -q 'Max-Age=0' && [ "$r" = 200 ] && ok "sign-out clears the cookie" ||
	not_ok "logout: $r $(cat "$ITMP/h")"
r=$(curl -s -o "$ITMP/out" -w '%{http_code}' -b "draftd_session=$tok" "$base/api/v1/me")
[ "$r" = 401 ] && ok "the old cookie is refused after sign-out" || not_ok "after logout: $r"
signin "$ITMP/rj" rita 'correct horse battery' >/dev/null
sql "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL AND person_id = (SELECT id FROM people WHERE login = 'rita')" >/dev/null
r=$(call "$ITMP/rj" GET /me)
[ "$r" = 401 ] && [ "$(js 'j["error"]["code"]')" = session_expired ] && ok "an expired session: 401 session_expired" ||
	not_ok "expired: $r $(cat "$ITMP/out")"
signin "$ITMP/rj" rita 'correct horse battery' >/dev/null
echo 'a new long password' | user passwd rita --password-stdin >/dev/null 2>&1
r=$(call "$ITMP/rj" GET /me)
[ "$r" = 401 ] && ok "a password change ends the person's sessions" || not_ok "after passwd: $r"
r=$(signin "$ITMP/rj" rita 'a new long password')
[ "$r" = 200 ] && ok "the new password signs in" || not_ok "new password: $r"
user disable rita >/dev/null 2>&1
r=$(call "$ITMP/rj" GET /me)
[ "$r" = 401 ] && ok "disabling ends the sessions" || not_ok "after disable: $r"
# the API keeps a token's lookup for [api] token_cache_ttl (1 s here): a
# person disabled by another process is refused at the latest that long after
tok_refused() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $rtok" "$base/api/v1/me")" = 401 ]; }
wait_for 5 tok_refused && ok "disabling stops the person's API tokens (within token_cache_ttl)" ||
	not_ok "disabled token: $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $rtok" "$base/api/v1/me")"
r=$(signin "$ITMP/rj" rita 'a new long password')
[ "$r" = 403 ] && [ "$(js 'j["error"]["code"]')" = account_disabled ] && ok "a disabled person's right password: 403 account_disabled" ||
	not_ok "disabled sign-in: $r $(cat "$ITMP/out")"
user enable rita >/dev/null 2>&1

# lock-out: 3 failures lock the account (even against the right password), others unaffected
for i in 1 2 3; do signin "$ITMP/lj" rita "wrong $i wrong wrong" >/dev/null; done
r=$(signin "$ITMP/lj" rita 'a new long password')
ra=$(grep -i '^retry-after' "$ITMP/h" | tr -d '\r' | awk '{print $2}')
[ "$r" = 429 ] && [ "$(js 'j["error"]["code"]')" = locked ] && [ "${ra:-0}" -gt 0 ] &&
	ok "3 failures lock rita: the right password gets 429 with Retry-After $ra" || not_ok "lockout: $r $(cat "$ITMP/out")"
r=$(signin "$ITMP/cj" carl 'carl password 1')
[ "$r" = 200 ] && ok "another account from the same address still signs in" || not_ok "carl: $r"
for i in 1 2 3 4 5; do signin "$ITMP/lj" "nobody$i" 'wrong wrong wrong' >/dev/null; done
r=$(signin "$ITMP/cj" carl 'carl password 1')
[ "$r" = 429 ] && echo "$(js 'j["error"]["message"]')" | grep -q address && ok "8 failures from one address lock the address" ||
	not_ok "address lockout: $r $(cat "$ITMP/out")"
grep -q "failed sign-in for 'rita'" "$log" && ok "failed sign-ins are logged (for fail2ban)" || not_ok "no failure log line"
grep -q 'wrong 1 wrong' "$log" && not_ok "a password reached the log" || ok "no password in the log"
sql "UPDATE auth_failures SET locked_until = now() - interval '1 second'" >/dev/null
r=$(signin "$ITMP/lj" rita 'a new long password')
[ "$r" = 200 ] && ok "after the lock ends the right password works" || not_ok "after lock: $r"

n=$(sql "SELECT count(*) FROM audit_log WHERE action = 'person.signin' AND actor = object_id")
[ "$n" -ge 5 ] && ok "every sign-in is an audit row naming the person ($n)" || not_ok "signin audit: $n"
n=$(sql "SELECT count(*) FROM audit_log WHERE action = 'person.signout' AND actor = 'rita'")
[ "$n" = 1 ] && ok "the sign-out is audited as rita" || not_ok "signout audit: $n"
out=$("$DRAFTD" audit verify --config "$conf" 2>&1)
[ $? -eq 0 ] && ok "the audit chain verifies" || not_ok "audit verify: $out"
