#!/bin/bash
# SPDX-License-Identifier: MIT
# deploy/Dockerfile and deploy/compose.yaml on a machine with no container
# engine. Always: the Dockerfile's shape (Debian 12 bases only, packages
# only through install-deps.sh, non-root, HEALTHCHECK on /healthz, every
# COPY source in the context), the compose file against docker-compose's
# schema when it is installed, the image's config accepted by check-config.
# With DRAFTD_TEST_LONG=1 (make test-long), as root and with a network: the
# Dockerfile's instructions carried out in debootstrap roots standing in for
# debian:bookworm(-slim) (tests/integration/lib/dockerfile_build.py), and the
# result run as its USER in private network, mount and PID namespaces: migrate,
# run, the HEALTHCHECK command, SIGTERM.
set -u
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/debroot.sh"
src=${DRAFTD_SRCDIR:-$PWD}
export DRAFTD_SRCDIR=$src
df=$src/deploy/Dockerfile
compose=$src/deploy/compose.yaml

froms=$(awk 'toupper($1) == "FROM" {print $2}' "$df")
bad=$(echo "$froms" | grep -vxE 'debian:(bookworm|bookworm-slim|12|12-slim)')
[ -z "$bad" ] && [ "$(echo "$froms" | wc -l)" -eq 2 ] && [ "$(echo "$froms" | tail -n 1)" = debian:bookworm-slim ] &&
	ok "multi-stage on Debian 12, the runtime on bookworm-slim" || not_ok "FROM lines: $froms"
grep -qE 'curl[^|]*\|[[:space:]]*(ba)?sh|pip[3]? install|npm (install|ci)|wget ' "$df" &&
	not_ok "the Dockerfile fetches something that is not a Debian package" ||
	ok "nothing but Debian packages (install-deps.sh build | runtime, apt-get)"
grep -q 'install-deps.sh build' "$df" && grep -q 'install-deps.sh runtime' "$df" &&
	ok "the package lists are install-deps.sh's build and runtime profiles" || not_ok "install-deps profiles not used"
user=$(awk 'toupper($1) == "USER" {u=$2} END {print u}' "$df")
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] && ok "runs as the non-root user '$user'" || not_ok "USER: '$user'"
hc=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$df" | grep '^HEALTHCHECK')
echo "$hc" | grep -qE 'CMD .*"http://127.0.0.1:8080/healthz"' && grep -qx 'listen = 0.0.0.0:8080' "$src/deploy/container.conf" &&
	grep -q '^EXPOSE 8080$' "$df" && ok "HEALTHCHECK on /healthz at the port the image's config listens on (8080)" ||
	not_ok "healthcheck/port mismatch"
missing=""
while read -r s; do
	[ -e "$src/$s" ] || missing="$missing $s"
done < <(awk 'toupper($1) == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$df")
[ -z "$missing" ] && ok "every COPY source is in the repository" || not_ok "COPY sources missing:$missing"
for p in .git build '**/node_modules'; do
	grep -qxF "$p" "$src/.dockerignore" || missing="$missing $p"
done
[ -z "$missing" ] && ok ".dockerignore keeps .git, build/ and node_modules out of the context" || not_ok ".dockerignore lacks:$missing"

# the image's config: valid with the database URL from the environment (or
# the secret file compose mounts)
out=$(DRAFTD_DATABASE_URL=postgresql://x@db/x "$DRAFTD" check-config --config "$src/deploy/container.conf" 2>&1)
[ $? -eq 0 ] && ok "deploy/container.conf passes check-config" || not_ok "container.conf: $out"
out=$(env -u DRAFTD_DATABASE_URL "$DRAFTD" check-config --config "$src/deploy/container.conf" 2>&1)
echo "$out" | grep -q "\[database\] url_file: '/run/secrets/database_url'" && ok "without the secret it names /run/secrets/database_url" ||
	not_ok "no secret: $out"

if command -v docker-compose >/dev/null; then
	# docker-compose 1.29 (Debian 12) predates the top-level "name:" key
	# (Compose v2): everything else is checked against its schema
	grep -v '^name:' "$compose" >"$src/deploy/.compose-check.yaml"
	out=$(cd "$src/deploy" && docker-compose -f .compose-check.yaml config 2>&1)
	rc=$?
	rm -f "$src/deploy/.compose-check.yaml"
	[ $rc -eq 0 ] && ok "docker-compose config accepts deploy/compose.yaml" || not_ok "compose: $out"
	services=$(cd "$src/deploy" && grep -v '^name:' compose.yaml >.compose-check.yaml &&
		docker-compose -f .compose-check.yaml --profile llm config --services 2>/dev/null | sort | tr '\n' ' '
		rm -f .compose-check.yaml)
	[ "$services" = "draftd llama migrate postgres " ] && ok "services: $services(llama in the llm profile)" ||
		not_ok "services: $services"
else
	ok "# SKIP docker-compose is not installed: deploy/compose.yaml is not checked against a schema"
fi
grep -q '^  llama:' "$compose" && awk '/^  llama:/ {l=1} l && /profiles: \[llm\]/ {ok=1} END {exit !ok}' "$compose" &&
	ok "llama.cpp only with --profile llm" || not_ok "llama profile"
grep -q '"127.0.0.1:8080:8080"' "$compose" && ok "the API is published on the host's loopback only" || not_ok "ports"

if [ "${DRAFTD_TEST_LONG:-}" != 1 ]; then
	ok "# SKIP the Dockerfile is carried out only in make test-long (DRAFTD_TEST_LONG=1: downloads the build packages)"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { ok "# SKIP not root: the Dockerfile is not carried out"; exit 0; }
[ -n "${DRAFTD_TEST_DATABASE_URL:-}" ] || { ok "# SKIP no test services: the Dockerfile is not carried out"; exit 0; }
sockdir=$(cat "$DRAFTD_TEST_SVC_DIR/pg.sock" 2>/dev/null)
[ -n "$sockdir" ] || { ok "# SKIP the test PostgreSQL has no unix socket"; exit 0; }
tarball=$(debroot_tarball bare 2>"$ITMP/debroot.err") || { ok "# SKIP no Debian 12 root: $(cat "$ITMP/debroot.err")"; exit 0; }

out=$ITMP/image
mkdir -p "$out"
if /usr/bin/python3 "$src/tests/integration/lib/dockerfile_build.py" "$df" "$src" "$tarball" "$out" \
	--build-arg VERSION="$("$src/deploy/version.sh")" --build-arg COMMIT="$("$src/deploy/version.sh" commit)" \
	>"$ITMP/build.log" 2>&1; then
	ok "the Dockerfile's instructions run in Debian 12 roots ($(grep -c '^RUN ' "$ITMP/build.log") RUN, $(grep -c '^COPY ' "$ITMP/build.log") COPY)"
else
	not_ok "Dockerfile build: $(tail -n 20 "$ITMP/build.log")"
	exit 1
fi
grep -q '^draftd .* (commit ' "$ITMP/build.log" && ok "the build stage's draftd version: $(grep '^draftd .* (commit ' "$ITMP/build.log")" ||
	not_ok "no version in the build log"
root=$out/root
q() { python3 -c "import json,shlex,sys; j=json.load(open('$out/image.json')); v=$1; print(v if isinstance(v,str) else ' '.join(shlex.quote(x) for x in v))"; }
iuser=$(q "j['user']")
iworkdir=$(q "j['workdir']")
ientry=$(q "j['entrypoint'] + j['cmd']")
ihealth=$(q "j['healthcheck']['cmd']")
ienv=$(q "['%s=%s' % kv for kv in j['env'].items() if kv[0] != 'DEBIAN_FRONTEND']")
[ "$ientry" = "/usr/sbin/draftd run" ] && ok "ENTRYPOINT + CMD: $ientry" || not_ok "entrypoint: $ientry"
[ -z "$(find "$root/usr" -name '*.h' -path '*postgresql*' | head -n 1)" ] && ! chroot "$root" sh -c 'command -v cc' >/dev/null &&
	ok "the runtime image has no compiler or headers" || not_ok "build tools in the runtime image"
size=$(du -sm "$root" | cut -f1)
ok "runtime root: ${size} MB (debootstrap minbase, which keeps docs and locales slim strips)"

db=$(db_url_for draftd_it_container) || not_ok "database"
pgport=$(cat "$DRAFTD_TEST_SVC_DIR/pg.port")
# the container's network is its own: the database comes through its socket
cat >"$ITMP/run-image.sh" <<SH
set -u
ip link set lo up
mkdir -p "$root/run/pgsock" "$root/run/secrets"
mount --bind "$sockdir" "$root/run/pgsock"
echo "postgresql://postgres@/draftd_it_container?host=/run/pgsock&port=$pgport" >"$root/run/secrets/database_url"
chmod 644 "$root/run/secrets/database_url"
as_user() { chroot --userspec=$iuser:$iuser "$root" /usr/bin/env -i -C $iworkdir $ienv HOME=$iworkdir "\$@"; }
as_user /usr/sbin/draftd migrate >"$ITMP/img-migrate.log" 2>&1; echo "migrate=\$?"
# not through the function: \$! must be draftd itself (chroot and env exec)
chroot --userspec=$iuser:$iuser "$root" /usr/bin/env -i -C $iworkdir $ienv HOME=$iworkdir $ientry >"$ITMP/img-run.log" 2>&1 &
pid=\$!
h=1
for i in \$(seq 1 150); do
	as_user $ihealth >/dev/null 2>&1 && { h=0; break; }
	sleep 0.2
done
echo "health=\$h"
as_user id -un
kill -TERM \$pid
wait \$pid
echo "exit=\$?"
SH
res=$(unshare --net --mount --fork --pid --mount-proc="$root/proc" bash "$ITMP/run-image.sh" 2>&1)
echo "$res" | grep -qx 'migrate=0' && ok "the image migrates the database as $iuser" || not_ok "migrate: $res $(cat "$ITMP/img-migrate.log")"
echo "$res" | grep -qx 'health=0' && ok "the HEALTHCHECK command passes against the running image" ||
	not_ok "healthcheck: $res $(tail -n 5 "$ITMP/img-run.log")"
echo "$res" | grep -qx "$iuser" && ok "it runs as $iuser" || not_ok "user: $res"
echo "$res" | grep -qx 'exit=0' && grep -q 'draftd stopped' "$ITMP/img-run.log" && ok "SIGTERM stops it cleanly" ||
	not_ok "stop: $res"
psql -q -d "$DRAFTD_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS draftd_it_container WITH (FORCE)" >/dev/null 2>&1
