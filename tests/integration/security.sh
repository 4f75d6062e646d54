#!/usr/bin/env bash
# Privileges and secrets, against the test cluster:
# - a plain login role (not superuser, not in immich_maint_admin) is refused, with the exact
#   message and SQLSTATE 42501, everything that queues, cancels or waits on runs, changes
#   schedules, restores or prunes, and every direct write to immich_maint's tables; it reads the
#   status view and nothing else of immich_maint; a member of immich_maint_admin may do it all;
# - the database password (DB_PASSWORD, or inside DB_URL) never shows in `ps`, the sidecar's
#   output, the server log, job_run, /metrics or /healthz, nor in connection errors;
# - backups, restore points and the quarantine are owner-only even under umask 000;
# - SECURITY DEFINER functions pin search_path, and objects a plain role plants in public
#   (functions, aggregates, operators, views shadowing what the extension calls) never run
#   when the extension's functions are called by admins, superusers or plain roles, nor when
#   the sidecar works.
# Bugs this test found, now fixed and checked: the database jobs' worker (step_delete & co. have
# public on their search_path), the restore's replay (search_path 'public, pg_catalog') and,
# where public of the postgres database is writable, the restore's pg_terminate_backend ran a
# plain role's objects as superuser; an unparsable DB_URL was echoed, password included.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=security_it
media="$TEST_TMP/media"; backups="$media/backups"
out="$TEST_TMP/out"; mkdir -p "$out"  # everything the sidecar printed, every ps capture
hba="$CLUSTER_DIR/data/pg_hba.conf"
log="$CLUSTER_DIR/server.log"
token="hijacked-$$-$RANDOM"  # what the planted objects say in the server log when they run
secret="Immich-S3cr3t-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
export SECURITY_IT_SECRET=$secret  # for python; never on a command line
pids=()

psql_as() {  # ROLE DATABASE SQL...: one psql session; errors with their SQLSTATE
  local role=$1 database=$2; shift 2
  local args=() s
  for s in "$@"; do args+=(-c "$s"); done
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U "$role" -d "$database" -XAtq \
    -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "${args[@]}"
}
sql() { psql_as postgres "$db" "$@"; }
refused() {  # ROLE MESSAGE SQL: refused with SQLSTATE 42501 and exactly MESSAGE
  local err
  if err=$(psql_as "$1" "$db" "$3" 2>&1 >/dev/null); then
    echo "FAILED: $1 was allowed: $3" >&2; exit 1
  fi
  assert_eq "$(head -1 <<<"$err")" "ERROR:  42501: $2" "$1: $3"
}
maintd() {  # as postgres over TCP without a password (trust), like the other integration tests
  DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
    DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"
}
# The sidecar as sec_pw, whose password is required: STYLE password (DB_PASSWORD) or url (DB_URL).
# The variables are exported, never passed as arguments (an `env VAR=..` would show in ps).
pw_env() {
  unset DB_URL DB_HOSTNAME DB_PORT DB_USERNAME DB_PASSWORD DB_DATABASE_NAME
  if [ "$1" = url ]; then
    export DB_URL="postgresql://sec_pw:$secret@127.0.0.1:$PGPORT/$db"
  else
    export DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=sec_pw DB_PASSWORD="$secret" DB_DATABASE_NAME=$db
  fi
}
maintd_pw() { (pw_env "$1"; exec "$IMMICH_MAINTD" "${@:2}"); }
# Only as `maintd_pw_bg ... &`: the background subshell becomes the sidecar, so $! is its pid.
maintd_pw_bg() { pw_env "$1"; exec "$IMMICH_MAINTD" "${@:2}"; }
log_lines() { grep -c -F "WARNING:  $token" "$log" || true; }
superuser_of() { sql "SELECT rolsuper FROM pg_roles WHERE rolname = '$1'"; }
wait_until() {  # SECONDS COMMAND...: polls every 0.1 s
  local i; for ((i = 0; i < $1 * 10; i++)); do "${@:2}" && return 0; sleep 0.1; done
  echo "FAILED: timed out waiting for: ${*:2}" >&2; exit 1
}
lock_granted() { [ "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'public.asset'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; }
sleeping() { [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(300)' AND datname = '$db'")" = 1 ]; }
metrics_show_running() { curl -s "http://$addr/metrics" | grep -q '^immich_maint_running 1$'; }
pg_dump_waits() { ps -eo args | grep -v grep | grep -q "^$PG_BIN/pg_dump .*$db"; }

cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -e "$TEST_TMP/hba.bak" ]; then
    cp "$TEST_TMP/hba.bak" "$hba" && psql_as postgres postgres "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
  fi
  psql_as postgres postgres "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null 2>&1 || true
  psql_as postgres postgres "SET client_min_messages = warning" "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    "DROP FUNCTION IF EXISTS public.pg_terminate_backend(integer, integer)" >/dev/null 2>&1 || true
  psql_as postgres postgres "SET client_min_messages = warning" \
    "DO \$\$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sec_plain') THEN
       DROP OWNED BY sec_plain; END IF; END \$\$" \
    "DROP ROLE IF EXISTS sec_plain" "DROP ROLE IF EXISTS sec_admin" "DROP ROLE IF EXISTS sec_pw" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

echo "--- database $db with immich_maint and Immich-like tables; roles sec_plain (login), sec_admin (in immich_maint_admin)"
psql_as postgres postgres "CREATE DATABASE $db" "CREATE ROLE sec_plain LOGIN" \
  "CREATE ROLE sec_admin LOGIN IN ROLE immich_maint_admin" >/dev/null
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION immich_maint;
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
CREATE TABLE system_metadata (key text PRIMARY KEY, value jsonb);
INSERT INTO system_metadata VALUES ('maintenance-mode', '{"isMaintenanceMode": false}'),
  ('MediaLocation', '{"location": "/data"}');
CREATE TABLE "user" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text, "isAdmin" boolean NOT NULL DEFAULT false,
  "profileImagePath" text NOT NULL DEFAULT '', "createdAt" timestamptz NOT NULL DEFAULT now());
INSERT INTO "user" (email, "isAdmin") VALUES ('admin@example.com', true);
CREATE TABLE asset (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "originalPath" text NOT NULL);
INSERT INTO asset ("originalPath") VALUES ('/data/upload/u1/a.jpg');
CREATE TABLE asset_file (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "assetId" uuid, type text, path text NOT NULL);
CREATE TABLE person (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "thumbnailPath" text NOT NULL DEFAULT '');
CREATE TABLE notification (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "userId" uuid, level text, type text,
  title text, description text, data jsonb, "readAt" timestamptz, "createdAt" timestamptz NOT NULL DEFAULT now(),
  "deletedAt" timestamptz);
CREATE TABLE asset_audit (id serial PRIMARY KEY, "assetId" uuid, "deletedAt" timestamptz NOT NULL);
CREATE INDEX asset_audit_deleted_at ON asset_audit ("deletedAt");
INSERT INTO asset_audit ("deletedAt") SELECT now() - interval '100 days' FROM generate_series(1, 10);
SQL
put() { mkdir -p "$(dirname "$media/$1")"; printf '%s' "$2" >"$media/$1"; }
for f in upload library profile backups thumbs encoded-video; do put "$f/.immich" 1700000000000; done
put upload/u1/a.jpg AAAA

# ---------------------------------------------------------------------------------------------
echo "--- privileges: what sec_plain holds on immich_maint's relations: SELECT on the status view, nothing else"
assert_eq "$(sql "SELECT string_agg(c.relname || ':' || p.priv, ' ' ORDER BY c.relname, p.priv)
  FROM pg_class c CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
  WHERE c.relnamespace = 'immich_maint'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
    AND (has_table_privilege('sec_plain', c.oid, p.priv)
         OR (p.priv IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') AND has_any_column_privilege('sec_plain', c.oid, p.priv)))")" \
  "status:SELECT" "sec_plain's privileges on immich_maint tables and views"
assert_eq "$(sql "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'immich_maint'::regnamespace AND c.relkind = 'S'
  AND (has_sequence_privilege('sec_plain', c.oid, 'USAGE') OR has_sequence_privilege('sec_plain', c.oid, 'UPDATE'))")" 0 "sequences"

echo "--- privileges: sec_plain (a real login) is refused, 42501, with the exact message"
run=$(sql "SELECT immich_run_job('StorageCheck')")
sql "SELECT immich_cancel_run($run)" >/dev/null
refused sec_plain "permission denied to queue immich_maint jobs" "SELECT immich_run_job('TagCleanup')"
refused sec_plain "permission denied to queue immich_maint jobs" "SELECT immich_backup_now()"
refused sec_plain "permission denied to wait on immich_maint runs" "SELECT immich_job_wait($run)"
refused sec_plain "permission denied to wait on immich_maint runs" "SELECT immich_job_wait($run, '1 second')"
refused sec_plain "permission denied to cancel immich_maint runs" "SELECT immich_cancel_run($run)"
refused sec_plain "permission denied to change immich_maint schedules" "SELECT immich_schedule('TagCleanup', '0 1 * * *')"
refused sec_plain "permission denied to change immich_maint schedules" "SELECT immich_schedule('DatabaseBackup', '0 2 * * *', false)"
refused sec_plain "permission denied to restore the database" "SELECT immich_restore('immich-db-backup-20250101T000000-v2.5.0-pg15.20.sql.gz')"
refused sec_plain "permission denied to prune audit tables" "SELECT immich_prune_audit()"
refused sec_plain "permission denied to prune audit tables" "SELECT immich_prune_audit('1 day', 10)"
refused sec_plain "permission denied to run immich_maint jobs" "SELECT * FROM immich_maint.run_now('TagCleanup')"
refused sec_plain "permission denied to run immich_maint jobs" "CALL immich_maint.run_database_job($run)"
refused sec_plain "permission denied to run the immich_maint scheduler" "SELECT * FROM immich_maint.run_scheduler_tick(now())"
refused sec_plain "permission denied for function scheduler_tick" "SELECT * FROM immich_maint.scheduler_tick(now(), NULL)"
refused sec_plain "permission denied for function enqueue" "SELECT immich_maint.enqueue('TagCleanup', 'manual', 'sec_plain')"
refused sec_plain "permission denied for function enqueue" "SELECT immich_maint.enqueue('TagCleanup', 'manual', 'sec_plain', '{}')"
refused sec_plain "permission denied for function start_run" "SELECT immich_maint.start_run('TagCleanup', '{}', 'sec_plain')"
refused sec_plain "permission denied for function run_in_worker" "SELECT immich_maint.run_in_worker('TagCleanup', '{}', 'sec_plain')"
echo "--- privileges: direct reads and writes of immich_maint's tables are refused"
refused sec_plain "permission denied for table job_run" \
  "INSERT INTO immich_maint.job_run (job, runner, trigger) VALUES ('DatabaseRestore', 'sidecar', 'manual')"
refused sec_plain "permission denied for table job_run" "UPDATE immich_maint.job_run SET status = 'queued' WHERE id = $run"
refused sec_plain "permission denied for table job_run" "DELETE FROM immich_maint.job_run"
refused sec_plain "permission denied for table job_run" "TRUNCATE immich_maint.job_run"
refused sec_plain "permission denied for table job_run" "SELECT params, result, error FROM immich_maint.job_run"
refused sec_plain "permission denied for table job_run" "SELECT id, status FROM immich_maint.job_run"
refused sec_plain "permission denied for table job_run" "SELECT immich_maint.run_note($run, 'x')"
refused sec_plain "permission denied for table schedule" "INSERT INTO immich_maint.schedule (job, cron) VALUES ('DatabaseRestore', '* * * * *')"
refused sec_plain "permission denied for table schedule" "UPDATE immich_maint.schedule SET enabled = false"
refused sec_plain "permission denied for table schedule" "DELETE FROM immich_maint.schedule"
refused sec_plain "permission denied for table schedule" "SELECT cron, params FROM immich_maint.schedule"
for t in backup_file storage_check file_report file_deletion job; do
  refused sec_plain "permission denied for table $t" "SELECT count(*) FROM immich_maint.$t"
done
refused sec_plain "permission denied for view file_deletion_due" "SELECT count(*) FROM immich_maint.file_deletion_due"
refused sec_plain "permission denied for view storage_check_latest" "SELECT count(*) FROM immich_maint.storage_check_latest"
refused sec_plain "permission denied for table backup_file" "SELECT count(*) FROM immich_backups()"

echo "--- privileges: sec_plain reads the status view (one row per job, no params or results) and may check a schedule"
assert_eq "$(psql_as sec_plain $db "SELECT count(*) FROM immich_maint.status")" "$(sql "SELECT count(*) FROM immich_maint.job")" "status rows"
assert_eq "$(psql_as sec_plain $db "SELECT last_run_id || ' ' || last_status || ' ' || last_error FROM immich_maint.status WHERE job = 'StorageCheck'")" \
  "$run cancelled cancelled by postgres" "the last run as the status view shows it"
assert_eq "$(sql "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'immich_maint.status'::regclass AND attnum > 0")" \
  "job,runner,cron,enabled,catch_up,next_run,last_due,last_run_id,last_trigger,last_status,last_queued,last_finished,last_error,launcher_pid,launcher_since,backup_lock,backup_lock_pid,sidecar_heartbeat" \
  "the status view's columns (no params, result, worker or requested_by)"
assert_eq "$(psql_as sec_plain $db "SELECT count(*) FROM immich_cron_next('0 2 * * *', now(), 3)")" 3 "immich_cron_next for everyone"

echo "--- privileges: sec_admin (login, member of immich_maint_admin) may do all of it"
a=$(psql_as sec_admin $db "SELECT immich_run_job('StorageCheck')")
b=$(psql_as sec_admin $db "SELECT immich_backup_now()")
r=$(psql_as sec_admin $db "SELECT immich_restore('immich-db-backup-20250101T000000-v2.5.0-pg15.20.sql.gz')")
assert_eq "$(psql_as sec_admin $db "SELECT immich_cancel_run($a)" "SELECT immich_cancel_run($b)" "SELECT immich_cancel_run($r)")" \
  "cancelled
cancelled
cancelled" "admin cancels"
assert_eq "$(psql_as sec_admin $db "SELECT immich_job_wait($a, '5 seconds')")" cancelled "admin waits"
assert_eq "$(psql_as sec_admin $db "SELECT string_agg(job || ' ' || requested_by || ' ' || status, ', ' ORDER BY id) FROM immich_maint.job_run WHERE id IN ($a, $b, $r)")" \
  "StorageCheck sec_admin cancelled, DatabaseBackup sec_admin cancelled, DatabaseRestore sec_admin cancelled" "admin reads job_run"
psql_as sec_admin $db "SELECT immich_schedule('TagCleanup', '0 1 * * *')" \
  "UPDATE immich_maint.schedule SET cron = '15 1 * * *', params = '{\"batchSize\": 500}' WHERE job = 'TagCleanup'" >/dev/null
assert_eq "$(sql "SELECT cron || ' ' || params FROM immich_maint.schedule WHERE job = 'TagCleanup'")" '15 1 * * * {"batchSize": 500}' "admin's schedule"
assert_eq "$(psql_as sec_admin $db "SELECT immich_prune_audit()")" 10 "admin prunes"
assert_eq "$(psql_as sec_admin $db "SELECT status FROM immich_maint.run_now('TagCleanup')")" succeeded "admin runs a database job now"
psql_as sec_admin $db "SELECT count(*) FROM immich_maint.run_scheduler_tick(now())" >/dev/null
# immich_backups() reads Immich's public.version_history as the caller: an admin who may not
# read it gets compatibility 'unknown' rather than an error (found by this test)
sql "INSERT INTO immich_maint.backup_file (name, size, modified, kind) VALUES ('immich-db-backup-20250101T000000-v2.5.0-pg15.20.sql.gz', 1, now(), 'routine')" >/dev/null
assert_eq "$(psql_as sec_admin $db "SELECT compat FROM immich_backups()")" unknown "admin without version_history"
sql "GRANT SELECT ON version_history TO sec_admin" >/dev/null
assert_eq "$(psql_as sec_admin $db "SELECT compat FROM immich_backups()")" ok "admin who may read version_history"
sql "DELETE FROM immich_maint.backup_file" >/dev/null
echo "--- privileges: even an admin may not delete runs or rewrite their params (column grants)"
refused sec_admin "permission denied for table job_run" "DELETE FROM immich_maint.job_run WHERE id = $a"
refused sec_admin "permission denied for table job_run" "UPDATE immich_maint.job_run SET params = '{}' WHERE id = $a"
refused sec_admin "permission denied for table schedule" "UPDATE immich_maint.schedule SET next_run = now() WHERE job = 'TagCleanup'"
assert_eq "$(superuser_of sec_plain)$(superuser_of sec_admin)" ff "neither role is a superuser"

# ---------------------------------------------------------------------------------------------
echo "--- permissions: backups and restore points are mode 600 even with umask 000"
chmod 755 "$media" "$backups"
name=$(umask 000 && maintd backup --media "$media" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
assert_eq "$(stat -c %a "$backups/$name")" 600 "backup mode under umask 000"
clean_backup=$name  # taken before anything is planted in public
point=$(umask 000 && maintd restore --media "$media" --yes --json "$name" | python3 -c 'import json,sys; print(json.load(sys.stdin)["restore_point"])')
assert_eq "$(stat -c %a "$backups/$point")" 600 "restore point mode under umask 000"

echo "--- permissions: the quarantine folders are 0700 even with umask 000; nobody else can read what is in them"
put upload/u1/orphan.jpg ORPHAN; chmod 644 "$media/upload/u1/orphan.jpg"
put thumbs/u1/aa/bb/old-thumbnail.webp OLD; chmod 666 "$media/thumbs/u1/aa/bb/old-thumbnail.webp"
chmod -R go+rX "$media"
q=$(umask 000 && maintd scan-orphans --media "$media" --min-age 0 --db-media-prefix /data --quarantine --json \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["quarantine"]["files"] == 2, r; print(r["quarantine"]["folder"])')
assert_eq "$(stat -c %a "$media/.immich_maint-quarantine")" 700 "quarantine root"
assert_eq "$(find "$media/.immich_maint-quarantine" -type d ! -perm 700 | wc -l)" 0 "every quarantine folder 0700"
assert_eq "$(find "$media/.immich_maint-quarantine" -type d | wc -l)" 8 "quarantine folders (root, time, upload/u1, thumbs/u1/aa/bb)"
assert_eq "$(stat -c %a "$media/$q/upload/u1/orphan.jpg") $(stat -c %a "$media/$q/thumbs/u1/aa/bb/old-thumbnail.webp")" \
  "644 666" "files keep their mode (moving them back restores the tree exactly)"
for f in "$q/upload/u1/orphan.jpg" "$q/thumbs/u1/aa/bb/old-thumbnail.webp"; do
  if err=$(runuser -u nobody -- cat "$media/$f" 2>&1); then echo "FAILED: nobody read $f" >&2; exit 1; fi
  assert_contains "$err" "Permission denied"
done
if runuser -u nobody -- ls "$media/.immich_maint-quarantine" >/dev/null 2>&1; then echo "FAILED: nobody listed the quarantine" >&2; exit 1; fi
runuser -u nobody -- cat "$media/upload/u1/a.jpg" >/dev/null  # while the media tree itself is readable

# ---------------------------------------------------------------------------------------------
echo "--- secrets: role sec_pw, password required (scram-sha-256); the server only ever gets its verifier"
verifier=$(python3 - <<'PY'
import base64, hashlib, hmac, os
pw, salt, n = os.environ["SECURITY_IT_SECRET"].encode(), os.urandom(16), 4096
salted = hashlib.pbkdf2_hmac("sha256", pw, salt, n)
client = hmac.new(salted, b"Client Key", "sha256").digest()
b64 = lambda b: base64.b64encode(b).decode()
print(f"SCRAM-SHA-256${n}:{b64(salt)}${b64(hashlib.sha256(client).digest())}:{b64(hmac.new(salted, b'Server Key', 'sha256').digest())}")
PY
)
sql "CREATE ROLE sec_pw LOGIN SUPERUSER PASSWORD '$verifier'" >/dev/null
cp "$hba" "$TEST_TMP/hba.bak"
{ echo "host all sec_pw 127.0.0.1/32 scram-sha-256"; cat "$TEST_TMP/hba.bak"; } >"$hba"
sql "SELECT pg_reload_conf()" >/dev/null
set +e; err=$(PGPASSWORD=wrong as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U sec_pw -d $db -XAtc 'SELECT 1' 2>&1); set -e
assert_contains "$err" 'password authentication failed for user "sec_pw"'
assert_eq "$(PGPASSWORD="$secret" as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U sec_pw -d $db -XAtc 'SELECT current_user')" sec_pw

# ps -eo args, several times, into $out (checked for the secret at the end)
capture_ps() { local i; for i in 1 2 3 4 5; do ps -eo args >"$out/ps-$1-$i.txt"; sleep 0.1; done; }
block_asset() {  # an ACCESS EXCLUSIVE lock on asset: pg_dump waits for it, visible in ps
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d $db \
    -c "BEGIN" -c "LOCK TABLE asset IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
  locker=$!; pids+=($locker)
  wait_until 30 lock_granted
}
unblock_asset() {
  sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(300)' AND datname = '$db'" >/dev/null
  wait "$locker" 2>/dev/null || true
}

for style in password url; do
  echo "--- secrets ($style): a backup whose pg_dump waits on a lock: ps while it runs, its output"
  block_asset
  maintd_pw_bg $style backup --media "$media" >"$out/backup-$style.log" 2>&1 & backup=$!; pids+=($backup)
  wait_until 60 pg_dump_waits
  capture_ps "backup-$style"
  assert_contains "$(cat "$out"/ps-backup-$style-*.txt)" "$IMMICH_MAINTD backup --media $media"
  assert_contains "$(cat "$out"/ps-backup-$style-*.txt)" "$PG_BIN/pg_dump "
  unblock_asset
  wait "$backup"
  assert_contains "$(cat "$out/backup-$style.log")" "backup $backups/immich-db-backup-"

  echo "--- secrets ($style): serve --once runs a queued backup and a failing restore; job_run"
  sql "SELECT immich_backup_now()" "SELECT immich_restore('nope.sql.gz')" >/dev/null
  maintd_pw $style serve --media "$media" --once >"$out/serve-once-$style.log" 2>&1
  assert_contains "$(cat "$out/serve-once-$style.log")" "DatabaseBackup succeeded"
  assert_contains "$(cat "$out/serve-once-$style.log")" "DatabaseRestore failed"
  assert_eq "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE runner = 'sidecar' AND status IN ('queued', 'running')")" 0 "runs left"

  echo "--- secrets ($style): serve --http while a backup runs: ps, /metrics, /healthz; then health"
  addr="127.0.0.1:$(free_port)"
  maintd_pw_bg $style serve --media "$media" --http "$addr" --poll 1 >"$out/serve-http-$style.log" 2>&1 & serve=$!; pids+=($serve)
  wait_until 30 curl -s -o /dev/null "http://$addr/metrics"
  block_asset
  run=$(sql "SELECT immich_backup_now()")
  wait_until 60 pg_dump_waits
  wait_until 30 metrics_show_running
  capture_ps "serve-$style"
  assert_contains "$(cat "$out"/ps-serve-$style-*.txt)" "$IMMICH_MAINTD serve --media $media --http $addr"
  curl -s "http://$addr/metrics" >"$out/metrics-running-$style.txt"
  assert_contains "$(cat "$out/metrics-running-$style.txt")" "immich_maint_run_progress{run_id=\"$run\",job=\"DatabaseBackup\"}"
  unblock_asset
  assert_eq "$(sql "SELECT immich_job_wait($run, '60 seconds')")" succeeded "backup through serve --http"
  curl -s "http://$addr/metrics" >"$out/metrics-$style.txt"
  curl -s "http://$addr/healthz" >"$out/healthz-$style.txt"
  assert_contains "$(cat "$out/healthz-$style.txt")" '"database":true'
  kill -TERM "$serve"; wait "$serve"
  maintd_pw $style health --media "$media" >"$out/health-$style.log" 2>&1 || true  # its verdict is not the point
  assert_contains "$(cat "$out/health-$style.log")" '"database":true'
done

echo "--- secrets: the restore's psql and pg_dump get no password on their command line"
wrap="$TEST_TMP/pgbin"; mkdir -p "$wrap"
for tool in psql pg_dump; do
  printf '#!/bin/sh\nprintf "%%s\\n" "$0 $*" >>%s/args-%s.txt\nexec %s/%s "$@"\n' "$out" "$tool" "$PG_BIN" "$tool" >"$wrap/$tool"
  chmod 755 "$wrap/$tool"
done
latest=$(ls "$backups" | grep '^immich-db-backup-' | sort | tail -1)
for style in password url; do
  maintd_pw $style restore --media "$media" --yes --pg-bin "$wrap" "$latest" >"$out/restore-$style.log" 2>&1
  assert_contains "$(cat "$out/restore-$style.log")" "restored $latest into $db"
  maintd_pw $style backup --media "$media" --pg-bin "$wrap" >"$out/backup-wrapped-$style.log" 2>&1
done
assert_eq "$(wc -l <"$out/args-psql.txt")" 2 "psql started once per restore"
assert_eq "$(wc -l <"$out/args-pg_dump.txt")" 4 "pg_dump started for each restore point and backup"
assert_contains "$(cat "$out/args-psql.txt")" "user='sec_pw'"

echo "--- secrets: failed connections never print the password"
for env in "DB_HOSTNAME=nonexistent.invalid DB_PASSWORD=$secret" "DB_HOSTNAME=127.0.0.1 DB_PORT=1 DB_PASSWORD=$secret" \
           "DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=sec_pw DB_PASSWORD=$secret-wrong DB_DATABASE_NAME=$db" \
           "DB_URL=postgresql://sec_pw:$secret@nonexistent.invalid:$PGPORT/$db" \
           "DB_URL=postgresql://sec_pw:$secret-wrong@127.0.0.1:$PGPORT/$db" \
           "DB_URL=postgresql://sec_pw:$secret@127.0.0.1:notaport/$db"; do
  set +e; err=$(unset DB_URL DB_PASSWORD; export $env; "$IMMICH_MAINTD" backup --media "$media" 2>&1); status=$?; set -e
  assert_eq "$status" 10 "exit status with ${env//$secret/<secret>}"
  assert_contains "$err" "ERROR: cannot connect to "
  assert_not_contains "$err" "$secret"
  echo "$err" >>"$out/connection-errors.log"
done
# A DB_URL libpq cannot parse: libpq quotes the URL (or a piece of it) in its message; the
# quoted parts are hidden.
set +e; err=$(unset DB_PASSWORD; export DB_URL="postgresql://sec_pw:$secret@[::1/$db"; "$IMMICH_MAINTD" backup --media "$media" 2>&1); set -e
assert_contains "$err" "ERROR: DB_URL is not valid"
assert_contains "$err" 'DETAIL: libpq said: end of string reached when looking for matching "(hidden)" in IPv6 host address in URI: "(hidden)".'
assert_not_contains "$err" "$secret"
set +e; err=$(unset DB_PASSWORD; export DB_URL="postgresql://sec_pw:$secret%zz@127.0.0.1/$db"; "$IMMICH_MAINTD" backup --media "$media" 2>&1); set -e
assert_contains "$err" "ERROR: DB_URL is not valid"
assert_not_contains "$err" "$secret"

echo "--- secrets: not in ps, the sidecar's output, the wrappers' argument lists, metrics, healthz, job_run or the server log"
assert_eq "$(ls "$out" | grep -c '^ps-')" 20 "ps captures"
sql "SELECT to_jsonb(r)::text FROM immich_maint.job_run r ORDER BY id" >"$out/job_run.txt"  # params, result, error, worker...
assert_contains "$(cat "$out/job_run.txt")" '"error": "backup not found: nope.sql.gz'
leaks=$(grep -l -F "$secret" "$out"/* || true)
[ -z "$leaks" ] || { echo "FAILED: the password appears in: $leaks" >&2; exit 1; }
assert_eq "$(grep -c -F "$secret" "$log" || true)" 0 "server log"
cp "$TEST_TMP/hba.bak" "$hba" && rm "$TEST_TMP/hba.bak" && sql "SELECT pg_reload_conf()" >/dev/null

# ---------------------------------------------------------------------------------------------
echo "--- search_path: every SECURITY DEFINER function pins it (pg_catalog first, pg_temp last, no public)"
definers=$(sql "SELECT p.oid::regprocedure || '|' || coalesce(array_to_string(p.proconfig, ';'), '<none>')
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'immich_maint') AND p.prosecdef ORDER BY 1")
echo "$definers"
[ -n "$definers" ] || { echo "FAILED: no SECURITY DEFINER function found" >&2; exit 1; }
while IFS='|' read -r fn config; do
  assert_eq "$config" "search_path=pg_catalog, pg_temp" "search_path of $fn"
done <<<"$definers"
# Functions in SQL or PL/pgSQL without a pinned search_path run with the caller's: each must
# qualify what it calls. Pinned here, so a new one is looked at.
assert_eq "$(sql "SELECT string_agg(p.oid::regprocedure::text, ' ' ORDER BY p.oid::regprocedure::text)
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_language l ON l.oid = p.prolang
  WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'immich_maint') AND l.lanname IN ('sql', 'plpgsql')
    AND NOT coalesce(p.proconfig::text LIKE '%search_path=%', false)")" \
  "immich_backup_now() immich_maint.audit_tables() immich_maint.run_database_job(bigint) immich_maint.subject_ready(text,uuid)" \
  "functions without a pinned search_path"
# These put public on their search_path (Immich's audit triggers name their tables unqualified)
# and run as the bootstrap superuser in the database job worker: they call everything
# schema-qualified, and the attack below proves that nothing planted in public runs.
assert_eq "$(sql "SELECT string_agg(p.proname, ' ' ORDER BY p.proname) FROM pg_proc p
  WHERE p.pronamespace = 'immich_maint'::regnamespace AND array_to_string(p.proconfig, ';') LIKE '%public%'")" \
  "key_bound step_delete step_generate_memories step_queue_asset_files" "functions with public on their search_path"

echo "--- search_path: sec_plain plants objects in public that shadow what the extension calls"
# PostgreSQL 15 lets no one but the owner create in public, but the restores above ran Immich's
# schema reset (GRANT ALL ON SCHEMA public TO public), as Immich's own restore does: since then
# any role may create there.
assert_eq "$(sql "SELECT has_schema_privilege('sec_plain', 'public', 'CREATE')")" t "sec_plain may create in public after a restore"
psql_as sec_plain $db >/dev/null "CREATE TABLE public.hijack_log (tag text, by_user text)" \
  "GRANT SELECT, INSERT ON public.hijack_log TO PUBLIC" \
  "CREATE FUNCTION public.evil(tag text) RETURNS void LANGUAGE plpgsql AS \$f\$
   BEGIN
     RAISE WARNING '$token % as %', tag, current_user;
     BEGIN INSERT INTO public.hijack_log VALUES (tag, current_user); EXCEPTION WHEN OTHERS THEN NULL; END;
     BEGIN EXECUTE 'ALTER ROLE sec_plain SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
   END \$f\$" \
  "DO \$d\$ DECLARE f record; BEGIN
   FOR f IN SELECT * FROM (VALUES
     ('now()', 'timestamptz', 'pg_catalog.now()'),
     ('clock_timestamp()', 'timestamptz', 'pg_catalog.clock_timestamp()'),
     ('format(text)', 'text', 'pg_catalog.format(\$1)'),
     ('format(text, text)', 'text', 'pg_catalog.format(\$1, \$2)'),
     ('format(text, text, text)', 'text', 'pg_catalog.format(\$1, \$2, \$3)'),
     ('format(text, bigint)', 'text', 'pg_catalog.format(\$1, \$2)'),
     ('format(text, regclass, text, text)', 'text', 'pg_catalog.format(\$1, \$2, \$3, \$4)'),
     ('concat(text, text)', 'text', 'pg_catalog.concat(\$1, \$2)'),
     ('jsonb_build_object(text, bigint)', 'jsonb', 'pg_catalog.jsonb_build_object(\$1, \$2)'),
     ('jsonb_build_object(text, integer)', 'jsonb', 'pg_catalog.jsonb_build_object(\$1, \$2)'),
     ('jsonb_build_object(text, text)', 'jsonb', 'pg_catalog.jsonb_build_object(\$1, \$2)'),
     ('jsonb_build_object(text, boolean)', 'jsonb', 'pg_catalog.jsonb_build_object(\$1, \$2)'),
     ('jsonb_build_object(text, jsonb)', 'jsonb', 'pg_catalog.jsonb_build_object(\$1, \$2)'),
     ('jsonb_build_array(text)', 'jsonb', 'pg_catalog.jsonb_build_array(\$1)'),
     ('to_regclass(text)', 'regclass', 'pg_catalog.to_regclass(\$1)'),
     ('pg_has_role(name, text, text)', 'boolean', 'pg_catalog.pg_has_role(\$1, \$2, \$3)'),
     ('pg_notify(text, text)', 'void', 'pg_catalog.pg_notify(\$1, \$2)'),
     ('pg_terminate_backend(integer, integer)', 'boolean', 'pg_catalog.pg_terminate_backend(\$1, \$2)'),
     ('pg_try_advisory_lock(integer, integer)', 'boolean', 'pg_catalog.pg_try_advisory_lock(\$1, \$2)'),
     ('current_setting(text)', 'text', 'pg_catalog.current_setting(\$1)'),
     ('cardinality(uuid[])', 'integer', 'pg_catalog.cardinality(\$1)'),
     ('jsonb_typeof(jsonb)', 'text', 'pg_catalog.jsonb_typeof(\$1)'),
     ('lower(text)', 'text', 'pg_catalog.lower(\$1)')) v(sig, ret, body)
   LOOP
     EXECUTE pg_catalog.format('CREATE FUNCTION public.%s RETURNS %s LANGUAGE plpgsql AS \$b\$BEGIN PERFORM public.evil(%L); RETURN %s; END\$b\$',
                               f.sig, f.ret, f.sig, CASE WHEN f.ret = 'void' THEN '' ELSE f.body END);
   END LOOP;
   FOR f IN SELECT * FROM (VALUES
     ('=', 'text', 'text'), ('=', 'bigint', 'bigint'), ('=', 'bigint', 'integer'), ('=', 'integer', 'integer'),
     ('=', 'uuid', 'uuid'), ('=', 'name', 'text'), ('<', 'timestamptz', 'timestamptz'),
     ('<=', 'timestamptz', 'timestamptz'), ('>=', 'timestamptz', 'timestamptz'), ('||', 'text', 'text'),
     ('->>', 'jsonb', 'text'), ('->', 'jsonb', 'text')) v(op, l, r)
   LOOP
     EXECUTE pg_catalog.format('CREATE FUNCTION public.%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS \$b\$BEGIN PERFORM public.evil(%L); RETURN \$1 OPERATOR(pg_catalog.%s) \$2; END\$b\$',
       'evil_op_' || pg_catalog.md5(f.op || f.l || f.r), f.l, f.r,
       CASE f.op WHEN '||' THEN 'text' WHEN '->>' THEN 'text' WHEN '->' THEN 'jsonb' ELSE 'boolean' END,
       f.op || '(' || f.l || ', ' || f.r || ')', f.op);
     EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%s)',
       f.op, f.l, f.r, 'evil_op_' || pg_catalog.md5(f.op || f.l || f.r));
   END LOOP;
   FOR f IN SELECT * FROM (VALUES ('max', 'bigint'), ('min', 'timestamptz'), ('max', 'timestamptz'), ('count', 'bigint')) v(agg, t)
   LOOP
     EXECUTE pg_catalog.format('CREATE FUNCTION public.%I(%s, %s) RETURNS %s LANGUAGE plpgsql AS \$b\$BEGIN PERFORM public.evil(%L); RETURN \$2; END\$b\$',
       'evil_agg_' || f.agg || '_' || f.t, f.t, f.t, f.t, f.agg || '(' || f.t || ')');
     EXECUTE pg_catalog.format('CREATE AGGREGATE public.%s(%s) (SFUNC = public.%I, STYPE = %s)',
       f.agg, f.t, 'evil_agg_' || f.agg || '_' || f.t, f.t);
   END LOOP;
   FOR f IN SELECT * FROM unnest(ARRAY['job_run', 'schedule', 'job', 'backup_file', 'status', 'file_deletion',
                                       'storage_check', 'file_report', 'job_catalog', 'pg_stat_activity', 'pg_roles']) v(name)
   LOOP
     EXECUTE pg_catalog.format('CREATE FUNCTION public.%I() RETURNS integer LANGUAGE plpgsql AS \$b\$BEGIN PERFORM public.evil(%L); RETURN 1; END\$b\$',
       'evil_view_' || f.name, 'view ' || f.name);
     EXECUTE pg_catalog.format('CREATE VIEW public.%I AS SELECT public.%I() AS x', f.name, 'evil_view_' || f.name);
   END LOOP;
   END \$d\$"
assert_eq "$(sql "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proowner = 'sec_plain'::regrole")" 55 \
  "functions planted: evil, 23 shadows, 12 operator functions, 4 aggregates and their 4 state functions, 11 view functions"
# they would run if anything resolved to them: with public ahead of pg_catalog, or with a
# better-matching signature than pg_catalog's variadic "any"
psql_as sec_plain $db "SELECT jsonb_build_object('x', 1::bigint)" >/dev/null 2>&1
psql_as sec_plain $db "SET search_path = public, pg_catalog" "SELECT 'a'::text = 'a'::text" >/dev/null 2>&1
assert_eq "$(sql "SELECT string_agg(tag, ', ' ORDER BY tag) FROM public.hijack_log")" "=(text, text), jsonb_build_object(text, bigint)" "the planted objects work"
sql "TRUNCATE public.hijack_log" >/dev/null
before=$(log_lines)

echo "--- search_path: admin, superuser and plain role call the extension; the planted objects never run"
calls=("SELECT count(*) FROM immich_maint.run_scheduler_tick(now())"
       "SELECT immich_schedule('TagCleanup', '0 3 * * *')"
       "SELECT immich_schedule('DatabaseBackup', '0 2 * * *', true, true)"
       "UPDATE immich_maint.schedule SET cron = '0 4 * * *', enabled = true WHERE job = 'TagCleanup'"
       "SELECT immich_cancel_run(immich_run_job('StorageCheck'))"
       "SELECT immich_job_wait(max(id), '5 seconds') FROM immich_maint.job_run WHERE status = 'cancelled'"
       "SELECT immich_cancel_run(immich_backup_now())"
       "SELECT immich_cancel_run(immich_restore('immich-db-backup-20250101T000000-v2.5.0-pg15.20.sql.gz'))"
       "SELECT count(*) FROM immich_backups()"
       "SELECT count(*) FROM immich_maint.status"
       "SELECT count(*) FROM immich_cron_next('0 2 * * *', now(), 5)"
       "SELECT immich_backup_kind('immich-db-backup-20250101T000000-v2.5.0-pg15.20.sql.gz')"
       "SELECT count(*) FROM immich_maint.file_deletion_due")
for role in sec_admin postgres sec_plain; do
  for c in "${calls[@]}"; do
    if ! psql_as $role $db "$c" >/dev/null 2>"$out/call.err"; then
      # sec_plain is refused (42501) whatever it calls but the status view and the name functions
      [ "$role" = sec_plain ] && grep -q '42501' "$out/call.err" || { echo "FAILED: $role: $c: $(cat "$out/call.err")" >&2; exit 1; }
    fi
  done
done
echo "--- search_path: the sidecar (superuser) runs a backup and a storage check through serve, and a scan"
runs=$(sql "SELECT immich_backup_now()" "SELECT immich_run_job('StorageCheck')" | tr '\n' ',')
maintd serve --media "$media" --once >"$out/serve-planted.log" 2>&1
assert_eq "$(sql "SELECT string_agg(job || ' ' || status, ', ' ORDER BY id) FROM immich_maint.job_run WHERE id IN (${runs%,})")" \
  "DatabaseBackup succeeded, StorageCheck succeeded" "serve's runs"
planted_backup=$(sql "SELECT result->>'name' FROM immich_maint.job_run WHERE id = ${runs%%,*}")
maintd scan-orphans --media "$media" --min-age 0 --db-media-prefix /data >/dev/null
maintd check-storage --media "$media" >/dev/null
assert_eq "$(sql "SELECT count(*) FROM public.hijack_log")" 0 "planted objects run"
assert_eq "$(( $(log_lines) - before ))" 0 "planted objects' warnings in the server log"
assert_eq "$(superuser_of sec_plain)" f "sec_plain is no superuser"

echo "--- the database jobs' worker (superuser, public on its path) runs none of sec_plain's objects"
# immich_maint.step_delete has search_path pg_catalog, public, pg_temp and builds its result with
# jsonb_build_object('deleted', <bigint>): unqualified, public.jsonb_build_object(text, bigint)
# would match better than pg_catalog's VARIADIC "any" (found by this test; now qualified). The
# launcher runs AuditTableCleanup nightly by itself, so no admin action would even be needed.
sql "INSERT INTO asset_audit (\"deletedAt\") SELECT now() - interval '100 days' FROM generate_series(1, 5)" >/dev/null
assert_eq "$(psql_as sec_admin $db "SELECT immich_prune_audit()" 2>/dev/null)" 5 "rows pruned"
assert_eq "$(log_lines)" "$before" "planted objects' warnings after immich_prune_audit"
assert_eq "$(superuser_of sec_plain)" f "sec_plain is no superuser after immich_prune_audit"
before=$(log_lines)

echo "--- a restore of a backup holding sec_plain's objects runs none of them"
# The restore's search_path fix (for earthdistance) once put public before pg_catalog, so the
# dump's own public.= (text, text) won over pg_catalog's in every statement after it (found by
# this test). Now pg_catalog comes first, and our prefix and postlude qualify what they call.
maintd restore --media "$media" --yes --no-restore-point "$planted_backup" >"$out/restore-planted.log" 2>&1
assert_eq "$(log_lines)" "$before" "planted objects' warnings after the restore"
assert_eq "$(superuser_of sec_plain)" f "sec_plain is no superuser after the restore"
before=$(log_lines)

echo "--- where public of the postgres database is writable (PostgreSQL 14's default), the restore runs none of it"
# The restore ends other sessions from the postgres database; it once called
# pg_terminate_backend(pid, 10000) with integer arguments, which public.pg_terminate_backend(
# integer, integer) matches better than pg_catalog's (integer, bigint) (found by this test).
psql_as postgres postgres "GRANT CREATE ON SCHEMA public TO sec_plain" >/dev/null
psql_as sec_plain postgres "CREATE FUNCTION public.pg_terminate_backend(integer, integer) RETURNS boolean LANGUAGE plpgsql AS \$f\$
   BEGIN
     RAISE WARNING '$token pg_terminate_backend(integer, integer) in database postgres as %', current_user;
     BEGIN EXECUTE 'ALTER ROLE sec_plain SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
     RETURN pg_catalog.pg_terminate_backend(\$1, \$2);
   END \$f\$" >/dev/null
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d $db -c "SELECT pg_sleep(300)" >/dev/null 2>&1 & other=$!; pids+=($other)
wait_until 30 sleeping
maintd restore --media "$media" --yes --no-restore-point "$clean_backup" >"$out/restore-clean.log" 2>&1
wait "$other" 2>/dev/null || true
assert_contains "$(cat "$out/restore-clean.log")" "1 other session(s) ended"
assert_eq "$(log_lines)" "$before" "planted pg_terminate_backend's warnings"
assert_eq "$(superuser_of sec_plain)" f "sec_plain is no superuser after a restore that ended a session"
psql_as postgres postgres "DROP FUNCTION public.pg_terminate_backend(integer, integer)" "REVOKE CREATE ON SCHEMA public FROM sec_plain" >/dev/null
echo "all security checks passed"
