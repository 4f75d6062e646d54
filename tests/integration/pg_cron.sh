#!/usr/bin/env bash
# Co-existence with pg_cron (Debian's postgresql-15-cron) preloaded beside immich_maint in a
# cluster of its own: both launchers run, and the README's recipe, a pg_cron job calling
# immich_backup_now(), queues DatabaseBackup runs (trigger manual) that pg_cron records as done.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

dir="$TEST_TMP/cluster" port=$(free_port)
trap 'stop_cluster "$dir"' EXIT
sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -XAtq -v ON_ERROR_STOP=1 -d immich -c "$1"; }
wait_for() {  # wait_for SECONDS WHAT QUERY: until QUERY returns t
  local i
  for ((i = 0; i < $1; i++)); do
    [ "$(sql "$3")" = t ] && return 0
    sleep 1
  done
  printf 'FAILED: waited %s s for %s\n  query: %s\n' "$1" "$2" "$3" >&2
  exit 1
}

# pg_cron 1.4 (Debian 12) runs its jobs through libpq: here over the cluster's socket directory.
PRELOAD='immich_maint,pg_cron' start_cluster "$dir" "$port" cron.database_name=immich "cron.host=$dir"
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -XAtq -d postgres -c "CREATE DATABASE immich"
sql "CREATE EXTENSION immich_maint"
sql "CREATE EXTENSION pg_cron"

echo "--- both launchers run"
wait_for 30 "both launchers" "SELECT count(DISTINCT backend_type) = 2 FROM pg_stat_activity
  WHERE backend_type IN ('pg_cron launcher', 'immich_maint launcher')"

echo "--- the README's recipe, every minute: pg_cron queues backups through immich_backup_now()"
sql "SELECT cron.schedule('immich-backup', '* * * * *', 'SELECT immich_backup_now()')" >/dev/null
wait_for 90 "a DatabaseBackup run queued by pg_cron" "SELECT count(*) > 0 FROM immich_maint.job_run
  WHERE job = 'DatabaseBackup' AND trigger = 'manual' AND requested_by = 'postgres'"
wait_for 30 "pg_cron to record the job as succeeded" "SELECT count(*) > 0 FROM cron.job_run_details
  WHERE command = 'SELECT immich_backup_now()' AND status = 'succeeded'"
assert_eq "$(sql "SELECT launcher_pid IS NOT NULL FROM immich_maint.status LIMIT 1")" t "immich_maint launcher"
sql "SELECT cron.unschedule('immich-backup')" >/dev/null
assert_not_contains "$(cat "$dir/server.log")" "terminated by signal"
echo "all pg_cron checks passed"
