#!/bin/bash
# SPDX-License-Identifier: MIT
# The sign-in invariants over seeded random sequences of actions
# (tests/model/signin_model.py): sessions live exactly until sign-out,
# expiry, a new password or disabling; the lock-out refuses even the right
# password; the CSRF check holds for every session; never a 5xx.
#   DRAFTD_SIGNIN_SEED=N replays one seed; DRAFTD_TEST_LONG=1 runs longer.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/../services/lib.sh"

url=$(db_url_for draftd_it_signin_model)
port=$(free_port)
base=http://127.0.0.1:$port
conf=$ITMP/draftd.conf
write_config "$conf" database api URL="$url" API_PORT="$port" api.threads=4 \
	auth.lockout_failures=3 auth.lockout_address_failures=100000
"$DRAFTD" migrate --config "$conf" >/dev/null 2>&1 || not_ok "migrate"
tok=$("$DRAFTD" token create --config "$conf" --name model-admin --role admin 2>/dev/null | tail -n 1)
start_bg pid "$ITMP/run.log" "$DRAFTD" run --config "$conf"
wait_for 10 curl -sf "$base/healthz" -o /dev/null || { not_ok "api start: $(cat "$ITMP/run.log")"; exit 1; }

seed=${DRAFTD_SIGNIN_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
steps=150
[ -n "${DRAFTD_TEST_LONG:-}" ] && steps=1500
out=$(/usr/bin/python3 "$here/../model/signin_model.py" --base "$base" --db "$url" --admin-token "$tok" \
	--seed "$seed" --steps "$steps" 2>&1)
if [ $? -eq 0 ]; then
	ok "sign-in model: $out"
else
	not_ok "sign-in model (DRAFTD_SIGNIN_SEED=$seed replays it): $out"
fi
