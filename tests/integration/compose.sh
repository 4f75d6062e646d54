#!/usr/bin/env bash
# The deployment files, checked without a Docker engine: docker-compose parses the compose
# file with Immich's example .env; every service, variable, build context, Dockerfile and file
# they name exists; and the sidecar runs a backup with exactly the compose file's environment
# (host, port and media folder rewritten to the test cluster).
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

work="$TEST_TMP/deploy"
mkdir -p "$work"
cp -r "$ROOT/deploy" "$ROOT/scripts" "$ROOT/control" "$work/"   # what the build contexts need
cp "$work/deploy/example.env" "$work/deploy/.env"

echo "--- docker-compose accepts the file with Immich's .env"
(cd "$work/deploy" && docker-compose -f docker-compose.yml config) >"$work/config.yml"

echo "--- services, variables, build files, health checks, restart policies"
/usr/bin/python3 - "$work" <<'PY'
import os, re, sys, yaml
work = sys.argv[1]
deploy = os.path.join(work, "deploy")
raw = open(os.path.join(deploy, "docker-compose.yml")).read()
env = dict(l.split("=", 1) for l in open(os.path.join(deploy, "example.env")).read().splitlines()
           if l and not l.startswith("#"))
for name, default in re.findall(r"(?<!\$)\$\{([A-Z_]+)(:-[^}]*)?\}", raw):  # $$ escapes
    assert name in env or default, f"compose uses ${{{name}}}, which example.env does not define"
compose = yaml.safe_load(raw)
services = compose["services"]
assert set(services) == {"database", "immich-maint"}, services.keys()
for name, svc in services.items():
    assert svc.get("restart") == "always", f"{name}: restart policy"
    assert "test" in svc.get("healthcheck", {}), f"{name}: health check"
    build = svc["build"]
    context = os.path.normpath(os.path.join(deploy, build["context"]))
    dockerfile = os.path.join(context, build["dockerfile"])
    assert os.path.isfile(dockerfile), f"{name}: {dockerfile} missing"
    text = open(dockerfile).read()
    assert "scripts/build" in text, f"{dockerfile} does not build with scripts/build"
sidecar = services["immich-maint"]
assert sidecar["environment"]["DB_HOSTNAME"] == "database"
assert "${UPLOAD_LOCATION}:/data" in sidecar["volumes"]
assert sidecar["command"][0] == "serve"
assert "immich_maint" in services["database"]["command"]
snippet = yaml.safe_load(open(os.path.join(deploy, "compose-snippet.yml")).read())
assert snippet["immich-maint"]["command"] == sidecar["command"]
print("compose structure ok")
PY

echo "--- the sidecar runs a backup with the compose environment"
/usr/bin/python3 - "$work/config.yml" >"$work/sidecar.env" <<'PY'
import sys, yaml
for key, value in yaml.safe_load(open(sys.argv[1]))["services"]["immich-maint"]["environment"].items():
    print(f"{key}={value}")
PY
media="$work/media"; mkdir -p "$media"
sed -i -e "s|^DB_HOSTNAME=.*|DB_HOSTNAME=127.0.0.1|" -e "s|^IMMICH_MEDIA_LOCATION=.*|IMMICH_MEDIA_LOCATION=$media|" "$work/sidecar.env"
echo "DB_PORT=$PGPORT" >>"$work/sidecar.env"
assert_contains "$(cat "$work/sidecar.env")" "DB_DATABASE_NAME=immich"
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d immich -c "CREATE EXTENSION IF NOT EXISTS immich_maint"
env -i PATH="$PATH" $(cat "$work/sidecar.env") "$IMMICH_MAINTD" serve --poll 1 >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
status=$(as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d immich -c "SELECT immich_job_wait(immich_backup_now(), '60 seconds')")
assert_eq "$status" succeeded
ls "$media/backups" | grep -q '^immich-db-backup-.*\.sql\.gz$'
env -i PATH="$PATH" $(cat "$work/sidecar.env") "$IMMICH_MAINTD" health >/dev/null
echo "all compose checks passed"
