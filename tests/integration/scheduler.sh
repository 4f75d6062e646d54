#!/usr/bin/env bash
# The launcher worker in the test cluster, serving database immich: a '2 seconds' schedule
# produces runs, schedule edits take effect without a restart, database jobs run (here without
# Immich's tables, so with a note), pg_terminate_backend brings it back (cleaning up abandoned runs, no crash), and
# while another session holds lock 42 no backup is scheduled. Schedules are restored at the end.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d immich -c "$1"; }
wait_for() {  # wait_for SECONDS WHAT QUERY: until QUERY returns t
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    [ "$(sql "$3")" = t ] && return 0
    sleep 0.1
  done
  printf 'FAILED: waited %s s for %s\n  query: %s\n' "$1" "$2" "$3" >&2
  exit 1
}
launcher_pid() { sql "SELECT launcher_pid FROM immich_maint.status LIMIT 1"; }
runs() {  # runs JOB TRIGGER: how many this script caused
  sql "SELECT count(*) FROM immich_maint.job_run WHERE id > $base AND job = '$1' AND trigger = '$2'"
}
due_gaps() {  # due_gaps CONDITION: the distinct times between consecutive TagCleanup due times
  sql "SELECT DISTINCT gap FROM (SELECT due_at - lag(due_at) OVER (ORDER BY id) AS gap
       FROM immich_maint.job_run WHERE job = 'TagCleanup' AND trigger = 'schedule' AND $1) g
       WHERE gap IS NOT NULL"
}
log_count() { grep -c "$1" "$CLUSTER_DIR/server.log" || true; }

sql "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS immich_maint"
base=$(sql "SELECT coalesce(max(id), 0) FROM immich_maint.job_run")
sql "COPY (SELECT job, cron, enabled, catch_up FROM immich_maint.schedule) TO STDOUT" >"$TEST_TMP/schedules"
holder=
restore() {
  set +e
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock42-holder'" >/dev/null
  while IFS=$'\t' read -r job cron enabled catch_up; do
    sql "SELECT immich_schedule('$job', '$cron', '$enabled', '$catch_up')" >/dev/null
  done <"$TEST_TMP/schedules"
  sql "UPDATE immich_maint.job_run SET status = 'cancelled', finished_at = now(),
         error = 'cancelled by the scheduler test' WHERE id > $base AND status = 'queued'" >/dev/null
}
trap restore EXIT
sql "UPDATE immich_maint.schedule SET enabled = false"  # the nightly defaults stay out of the way

echo "--- the launcher serves database immich"
wait_for 60 "a launcher serving immich" "SELECT launcher_pid IS NOT NULL FROM immich_maint.status LIMIT 1"
pid=$(launcher_pid)
assert_eq "$(sql "SELECT backend_type FROM pg_stat_activity WHERE pid = $pid")" "immich_maint launcher"

echo "--- a '2 seconds' schedule produces runs, on time; each runs (no tag tables here: a note)"
sql "SELECT immich_schedule('TagCleanup', '2 seconds')" >/dev/null
wait_for 15 "three finished scheduled TagCleanup runs" "SELECT count(*) >= 3 FROM immich_maint.job_run
  WHERE id > $base AND job = 'TagCleanup' AND trigger = 'schedule' AND finished_at IS NOT NULL"
assert_eq "$(sql "SELECT DISTINCT status || ': ' || (result->'notes'->>0) FROM immich_maint.job_run
  WHERE id > $base AND job = 'TagCleanup' AND finished_at IS NOT NULL")" "succeeded: table tag does not exist: skipped"
assert_eq "$(sql "SELECT bool_and(worker LIKE 'postgres:%' AND queued_at - due_at < interval '1 second')
  FROM immich_maint.job_run WHERE id > $base AND job = 'TagCleanup'")" t "worker and lateness under 1 s"
assert_eq "$(due_gaps "id > $base")" "00:00:02" "2 seconds between due times"

echo "--- edits take effect without a restart: disabled, then every second"
sql "SELECT immich_schedule('TagCleanup', '2 seconds', false)" >/dev/null
before=$(runs TagCleanup schedule)
sleep 4
assert_eq "$(runs TagCleanup schedule)" "$before" "runs while disabled"
edited=$(sql "SELECT now()")
sql "SELECT immich_schedule('TagCleanup', '1 second')" >/dev/null
wait_for 10 "three runs a second apart" "SELECT count(*) >= 3 FROM immich_maint.job_run
  WHERE id > $base AND job = 'TagCleanup' AND queued_at > '$edited'"
assert_eq "$(due_gaps "id > $base AND queued_at > '$edited'")" "00:00:01" "1 second between due times"
assert_eq "$(launcher_pid)" "$pid" "launcher pid (no restart)"
sql "SELECT immich_schedule('TagCleanup', '1 second', false)" >/dev/null

echo "--- a queued database job runs in its worker"
id=$(sql "SELECT immich_run_job('TagCleanup')")
assert_eq "$(sql "SELECT immich_job_wait($id, '10 seconds')")" succeeded
assert_eq "$(sql "SELECT trigger || ' | ' || (result->'notes'->>0) FROM immich_maint.job_run WHERE id = $id")" \
  "manual | table tag does not exist: skipped"

echo "--- pg_terminate_backend: it comes back, failing runs abandoned meanwhile"
sql "SELECT pg_terminate_backend($pid)" >/dev/null
wait_for 5 "the old launcher to exit" "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid)"
orphan=$(sql "INSERT INTO immich_maint.job_run (job, runner, trigger, status, started_at, worker)
  VALUES ('SessionCleanup', 'database', 'manual', 'running', now() - interval '1 hour', 'postgres:999999')
  RETURNING id")
silent=$(sql "INSERT INTO immich_maint.job_run (job, runner, trigger, status, started_at, heartbeat_at, worker)
  VALUES ('StorageCheck', 'sidecar', 'manual', 'running', now() - interval '10 minutes',
          now() - interval '5 minutes', 'sidecar-gone') RETURNING id")
wait_for 15 "a new launcher" "SELECT coalesce(launcher_pid <> $pid, false) FROM immich_maint.status LIMIT 1"
wait_for 5 "the orphaned run failed" "SELECT status = 'failed' AND error = 'launcher restarted'
  FROM immich_maint.job_run WHERE id = $orphan"
wait_for 5 "the silent sidecar run failed" "SELECT status = 'failed' AND error = 'sidecar stopped responding'
  FROM immich_maint.job_run WHERE id = $silent"
assert_contains "$(cat "$CLUSTER_DIR/server.log")" "[$pid] LOG:  immich_maint launcher shutting down"
assert_not_contains "$(cat "$CLUSTER_DIR/server.log")" "terminated by signal"

echo "--- lock 42 held by another session: no scheduled backups; said once, and in the status"
pid=$(launcher_pid)
as_postgres env PGAPPNAME=lock42-holder "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d immich \
  -c "SELECT pg_advisory_lock(42)" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
holder=$!
wait_for 5 "the holder to wait for the lock" "SELECT EXISTS (SELECT FROM pg_stat_activity
  WHERE application_name = 'lock42-holder' AND wait_event_type = 'Lock')"
said=$(log_count "another session holds advisory lock 42")
sql "SELECT pg_terminate_backend($pid)" >/dev/null   # the launcher lets go; the holder takes it
wait_for 15 "the new launcher to see the lock taken" "SELECT launcher_pid IS NOT NULL AND launcher_pid <> $pid
  AND backup_lock = 'other' FROM immich_maint.status LIMIT 1"
holder_pid=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'lock42-holder'")
assert_eq "$(sql "SELECT DISTINCT backup_lock_pid FROM immich_maint.status")" "$holder_pid" "lock holder in status"
sql "SELECT immich_schedule('DatabaseBackup', '1 second')" >/dev/null
sleep 4
assert_eq "$(runs DatabaseBackup schedule)" 0 "scheduled backups while Immich holds the lock"
assert_eq "$(( $(log_count "another session holds advisory lock 42") - said ))" 1 "log lines about the lock"
sql "SELECT pg_terminate_backend($holder_pid)" >/dev/null
wait_for 10 "the launcher to take the lock" "SELECT backup_lock = 'launcher' FROM immich_maint.status LIMIT 1"
wait_for 10 "a scheduled backup" "SELECT count(*) > 0 FROM immich_maint.job_run
  WHERE id > $base AND job = 'DatabaseBackup' AND trigger = 'schedule'"
assert_contains "$(cat "$CLUSTER_DIR/server.log")" "took advisory lock 42; scheduling DatabaseBackup"
sql "SELECT immich_schedule('DatabaseBackup', '1 second', false)" >/dev/null
assert_not_contains "$(cat "$CLUSTER_DIR/server.log")" "terminated by signal"
echo "all scheduler checks passed"
