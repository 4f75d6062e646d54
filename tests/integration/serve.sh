#!/usr/bin/env bash
# immich-maintd serve with the extension: SQL-queued backups run by the sidecar, results and
# the inventory in SQL, failures recorded with Immich's JobFailed notification, and several
# sidecars competing for one queue (each run exactly once, never two backups at once).
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=serve_it
media="$TEST_TMP/media"
mkdir -p "$media/backups"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d $db -c "$1"; }
serve() {  # serve NAME: a sidecar in the background, log in $TEST_TMP/NAME.log
  DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_DATABASE_NAME=$db \
    "$IMMICH_MAINTD" serve --media "$media" --worker "$1" --poll 2 >"$TEST_TMP/$1.log" 2>&1 &
  pids+=($!)
}

as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql "CREATE EXTENSION immich_maint"
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE TABLE "user" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text, "isAdmin" boolean NOT NULL DEFAULT false,
                     "createdAt" timestamptz NOT NULL DEFAULT now());
INSERT INTO "user" (email, "isAdmin") VALUES ('admin@example.com', true), ('user@example.com', false);
CREATE TABLE notification (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "userId" uuid REFERENCES "user" (id),
  level text, type text, title text, description text, data jsonb, "readAt" timestamptz,
  "createdAt" timestamptz NOT NULL DEFAULT now(), "deletedAt" timestamptz);
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
CREATE TABLE asset AS SELECT g AS id, md5(g::text) AS "originalPath" FROM generate_series(1, 5000) g;
SQL

echo "--- SELECT immich_job_wait(immich_backup_now()) with a serving sidecar"
serve sidecar-a
assert_eq "$(sql "SELECT immich_job_wait(immich_backup_now(), '60 seconds')")" succeeded
assert_eq "$(sql "SELECT worker || ' ' || progress || ' ' || (result->>'name' LIKE 'immich-db-backup-%-v2.5.0-pg%.sql.gz') FROM immich_maint.job_run")" "sidecar-a 1 true"
name=$(sql "SELECT result->>'name' FROM immich_maint.job_run")
gzip -t "$media/backups/$name"
assert_eq "$(sql "SELECT name || ' ' || kind || ' ' || immich_version || ' ' || compat FROM immich_backups()")" "$name routine 2.5.0 ok"
assert_contains "$(cat "$TEST_TMP/sidecar-a.log")" "DatabaseBackup succeeded"

echo "--- a failing backup: failed run with the message, Immich's JobFailed notification for the admin"
sql "UPDATE immich_maint.schedule SET params = '{\"keepLastAmount\": 0}' WHERE job = 'DatabaseBackup'"
assert_eq "$(sql "SELECT immich_job_wait(immich_backup_now(), '60 seconds')")" failed
assert_eq "$(sql "SELECT error FROM immich_maint.job_run ORDER BY id DESC LIMIT 1")" \
  "keepLastAmount must be a positive integer, got 0
HINT: Set it with UPDATE immich_maint.schedule SET params = params || '{\"keepLastAmount\": 14}' WHERE job = 'DatabaseBackup'."
assert_eq "$(sql "SELECT u.email || ' | ' || n.level || ' | ' || n.type || ' | ' || n.title || ' | ' || n.description FROM notification n JOIN \"user\" u ON u.id = n.\"userId\"")" \
  "admin@example.com | error | JobFailed | Job Failed | Job DatabaseBackup failed with error: keepLastAmount must be a positive integer, got 0"
assert_eq "$(ls "$media/backups" | grep -c '\.tmp$' || true)" 0 "no .tmp after a failure"
for bad in 2.9 true 4294967297 '"14"'; do  # never read as another number: it decides what is deleted
  sql "UPDATE immich_maint.schedule SET params = '{\"keepLastAmount\": $bad}' WHERE job = 'DatabaseBackup'"
  assert_eq "$(sql "SELECT immich_job_wait(immich_backup_now(), '60 seconds')")" failed "keepLastAmount $bad"
  assert_contains "$(sql "SELECT error FROM immich_maint.job_run ORDER BY id DESC LIMIT 1")" "keepLastAmount must be a positive integer, got $bad"
done
sql "UPDATE immich_maint.schedule SET params = '{\"keepLastAmount\": 100}' WHERE job = 'DatabaseBackup'"

echo "--- four sidecars, eight queued backups: each run once, never two at once"
for w in b c d; do serve sidecar-$w; done
sleep 0.5
ids=$(sql "SELECT immich_backup_now() FROM generate_series(1, 8)")
for id in $ids; do assert_eq "$(sql "SELECT immich_job_wait($id, '120 seconds')")" succeeded "run $id"; done
starts=$(cat "$TEST_TMP"/sidecar-*.log | grep -c ' DatabaseBackup started')
assert_eq "$starts" 14 "runs started across all sidecars (6 earlier + 8)"
assert_eq "$(cat "$TEST_TMP"/sidecar-*.log | grep ' started' | sort | uniq -d | wc -l)" 0 "a run started twice"
assert_eq "$(sql "SELECT count(*) FROM immich_maint.job_run a JOIN immich_maint.job_run b ON a.id < b.id
   AND a.job = 'DatabaseBackup' AND b.job = 'DatabaseBackup' AND a.started_at < b.finished_at AND b.started_at < a.finished_at")" 0 "overlapping backups"
assert_eq "$(ls "$media/backups" | grep -c '^immich-db-backup-.*\.sql\.gz$')" 9 "distinct backup files"
assert_eq "$(sql "SELECT count(*) FROM immich_backups()")" 9 "inventory rows"

echo "--- SIGTERM stops a sidecar cleanly"
kill -TERM "${pids[0]}"
wait "${pids[0]}"; status=$?
assert_eq "$status" 0 "serve exit status after SIGTERM"
echo "all serve checks passed"
