#!/usr/bin/env bash
# immich-maintd backup against the test cluster: a real backup that other tools read and that
# restores to equal data, retention, and every failure a user can cause with its exact message
# (old backups intact, no .tmp left).
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=backup_it
media="$TEST_TMP/media"; backups="$media/backups"
psql_db() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 "$@"; }
maintd() { DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
           DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"; }
checksum() {  # row counts and a content hash of every table of a database
  psql_db -d "$1" -c "SELECT string_agg(format('%s:%s', c.relname,
      (xpath('/row/h/text()', query_to_xml(format('SELECT count(*)||''/''||md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) AS h FROM %I t', c.relname), false, true, '')))[1]), ' ' ORDER BY c.relname)
    FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
}

psql_db -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql_db -d $db <<'SQL'
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version, "createdAt") VALUES ('2.4.1', now() - interval '1 day'), ('2.5.0', now());
CREATE TABLE asset (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "originalPath" text, checksum bytea);
INSERT INTO asset ("originalPath", checksum)
  SELECT '/data/upload/' || md5(g::text) || '.jpg', decode(md5(g::text), 'hex') FROM generate_series(1, 20000) g;
CREATE TABLE system_metadata (key text PRIMARY KEY, value jsonb);
SQL
mkdir -p "$backups"; echo 1 >"$backups/.immich"

echo "--- a backup: valid routine name, gzip, readable by other tools, verified"
out=$(maintd backup --media "$media" --json)
name=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
[[ "$name" =~ ^immich-db-backup-[0-9]{8}T[0-9]{6}-v2\.5\.0-pg[0-9.]+\.sql\.gz$ ]] || { echo "bad name $name"; exit 1; }
assert_eq "$(psql_db -d postgres -c "SELECT immich_is_routine_backup_name('$name')" 2>/dev/null || echo t)" t
gzip -t "$backups/$name"
pigz -t "$backups/$name"
python3 -c 'import gzip,sys; d=gzip.open(sys.argv[1]).read(); assert d.rstrip().endswith(b"-- PostgreSQL database dump complete") or b"-- PostgreSQL database dump complete" in d[-300:]' "$backups/$name"
node -e 'const z=require("zlib"),fs=require("fs"); const s=z.gunzipSync(fs.readFileSync(process.argv[1])).toString(); if(!s.includes("-- PostgreSQL database dump complete")) process.exit(1)' "$backups/$name"
assert_eq "$(stat -c %a "$backups/$name")" 600 "backup file mode"
assert_eq "$(ls "$backups" | grep -c '\.tmp$' || true)" 0 ".tmp files left"

echo "--- restores into a fresh database with equal checksums"
before=$(checksum $db)
psql_db -d postgres -c "DROP DATABASE IF EXISTS ${db}_copy" -c "CREATE DATABASE ${db}_copy"
gunzip -c "$backups/$name" | as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -Xq -v ON_ERROR_STOP=1 --single-transaction -d ${db}_copy >/dev/null
assert_eq "$(checksum ${db}_copy)" "$before" "restored checksums"

echo "--- retention keeps the newest N routine backups and never touches uploaded/restore-point"
touch "$backups/immich-db-backup-20200101T000000-v1.0.0-pg14.1.sql.gz" "$backups/immich-db-backup-1600000000000.sql.gz" \
      "$backups/uploaded-mine.sql.gz" "$backups/restore-point-immich-db-backup-20200101T000000-v1.0.0-pg14.1.sql.gz" \
      "$backups/immich-db-backup-20200102T000000-v1.0.0-pg14.1.sql.gz.tmp"
sleep 1  # a new second, so the next backup's name differs
out=$(maintd backup --media "$media" --keep 2 --json)
left=$(ls "$backups" | grep -v '^\.immich$' | sort | tr '\n' ' ')
name2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
assert_eq "$left" "$(printf '%s\n' "$name" "$name2" restore-point-immich-db-backup-20200101T000000-v1.0.0-pg14.1.sql.gz uploaded-mine.sql.gz | sort | tr '\n' ' ')"
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["deleted"]))' <<<"$out")" 3 "deleted count"

fails() {  # expected_status expected_stderr command...
  local want_status=$1 want_err=$2; shift 2
  local before_files; before_files=$(ls -a "$backups" 2>/dev/null | tr '\n' ' ')
  set +e; err=$("$@" 2>&1 >/dev/null); status=$?; set -e
  assert_eq "$status" "$want_status" "exit status of: $*"
  assert_contains "$err" "$want_err"
  [ -d "$backups" ] && assert_eq "$(ls -a "$backups" | tr '\n' ' ')" "$before_files" "backups folder unchanged"
}

echo "--- failures: each with its message, folder unchanged"
fails 10 "ERROR: cannot connect to postgres@127.0.0.1:1/$db" \
  env DB_HOSTNAME=127.0.0.1 DB_PORT=1 DB_DATABASE_NAME=$db "$IMMICH_MAINTD" backup --media "$media"
fails 11 "ERROR: pg_dump for PostgreSQL 15 not found: /nonexistent/pg_dump" maintd backup --media "$media" --pg-bin /nonexistent
fails 2 "ERROR: --keep: Value 0 not in range 1 to 1000000" maintd backup --media "$media" --keep 0
fails 3 "ERROR: unknown compressor: bzip2" maintd backup --media "$media" --compressor bzip2
fails 8 "ERROR: media location does not exist: $TEST_TMP/nowhere" maintd backup --media "$TEST_TMP/nowhere"

echo "--- wrong password"
psql_db -d postgres -c "DROP ROLE IF EXISTS pwuser" -c "CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD 'right'"
hba="$CLUSTER_DIR/data/pg_hba.conf"
cp "$hba" "$TEST_TMP/hba.bak"
{ echo "host all pwuser 127.0.0.1/32 scram-sha-256"; cat "$TEST_TMP/hba.bak"; } >"$hba"
psql_db -d postgres -c "SELECT pg_reload_conf()" >/dev/null
fails 10 'password authentication failed for user "pwuser"' \
  env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=pwuser DB_PASSWORD=wrong DB_DATABASE_NAME=$db "$IMMICH_MAINTD" backup --media "$media"
out=$(env DB_URL="postgresql://pwuser:right@127.0.0.1:$PGPORT/$db" "$IMMICH_MAINTD" backup --media "$media" --keep 3 2>&1)
assert_contains "$out" "backup $backups/immich-db-backup-"
cp "$TEST_TMP/hba.bak" "$hba"; psql_db -d postgres -c "SELECT pg_reload_conf()" >/dev/null

echo "--- unmounted backups folder (Immich saw it mounted; the marker is gone)"
psql_db -d $db -c "INSERT INTO system_metadata VALUES ('system-flags', '{\"mountChecks\": {\"backups\": true}}')"
rm "$backups/.immich"
fails 18 "ERROR: the backups folder is not mounted: $backups/.immich is missing" maintd backup --media "$media"
echo 1 >"$backups/.immich"

echo "--- unwritable folder (as an unprivileged user)"
chmod 755 "$TEST_TMP" "$media"; chmod 755 "$backups"
fails 12 "ERROR: cannot write to $backups: Permission denied" runuser -u nobody -- env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_DATABASE_NAME=$db "$IMMICH_MAINTD" backup --media "$media"

echo "--- pg_dump fails: its message is reported, no .tmp left"
fake="$TEST_TMP/fakebin"; mkdir -p "$fake"
printf '#!/bin/sh\necho "-- partial"\necho "pg_dump: error: simulated failure" >&2\nexit 1\n' >"$fake/pg_dump"; chmod +x "$fake/pg_dump"
fails 14 $'ERROR: pg_dump exited with status 1\nDETAIL: pg_dump said: pg_dump: error: simulated failure' maintd backup --media "$media" --pg-bin "$fake"

echo "--- a stalled pg_dump is killed"
printf '#!/bin/sh\necho "-- partial"\nexec sleep 600\n' >"$fake/pg_dump"
fails 14 "ERROR: pg_dump stalled (no output) and was killed" maintd backup --media "$media" --pg-bin "$fake" --stall-timeout 1

echo "--- a real pg_dump blocked by a lock stalls; it and its server backend are ended"
psql_db -d $db -c "BEGIN; LOCK TABLE asset IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 & locker=$!
sleep 0.5
fails 14 "ERROR: pg_dump stalled (no output) and was killed" maintd backup --media "$media" --stall-timeout 2
assert_eq "$(psql_db -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'immich-maintd-dump-%'")" 0 "dump backends left"
psql_db -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait $locker 2>/dev/null || true

echo "--- kill -9 of the sidecar mid-backup leaves only a .tmp, removed by the next backup"
printf '#!/bin/sh\necho "-- partial"\nexec sleep 600\n' >"$fake/pg_dump"
env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_DATABASE_NAME=$db "$IMMICH_MAINTD" backup --media "$media" --pg-bin "$fake" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do ls "$backups" | grep -q '\.tmp$' && break; sleep 0.1; done
kill -9 $pid; wait $pid 2>/dev/null || true
pkill -f "$fake/pg_dump" || true; pkill -f "sleep 600" || true
assert_eq "$(ls "$backups" | grep -c '\.sql\.gz\.tmp$')" 1 "one .tmp after kill -9"
sleep 1
maintd backup --media "$media" --keep 5 >/dev/null
assert_eq "$(ls "$backups" | grep -c '\.tmp$' || true)" 0 ".tmp removed by the next backup"
for f in "$backups"/*.sql.gz; do gzip -t "$f" 2>/dev/null || [ ! -s "$f" ] || { echo "invalid $f"; exit 1; }; done
echo "all backup checks passed"
