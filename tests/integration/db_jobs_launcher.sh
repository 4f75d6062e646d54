#!/usr/bin/env bash
# In-database jobs through the launcher (database immich): a queued AuditTableCleanup runs in its
# job worker in batches and succeeds with its counts; bad schedule params fail the run with the
# message; a table this Immich version lacks is a note, not a failure. Leaves immich as it was.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d immich -c "$1"; }
run_job() {  # run_job JOB: queue it for the launcher and wait; prints the run id
  local id
  id=$(sql "SELECT immich_run_job('$1')")
  sql "SELECT immich_job_wait($id, '60 seconds')" >/dev/null
  echo "$id"
}

sql "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS immich_maint"
params=$(sql "SELECT params FROM immich_maint.schedule WHERE job = 'AuditTableCleanup'")
cleanup() {
  set +e
  sql "UPDATE immich_maint.schedule SET params = '$params' WHERE job = 'AuditTableCleanup'" >/dev/null
  sql "DROP TABLE IF EXISTS public.asset_audit" >/dev/null
}
trap cleanup EXIT
[ "$(sql "SELECT to_regclass('public.asset_audit') IS NULL")" = t ] || { echo "immich already has asset_audit" >&2; exit 1; }

echo "--- a queued AuditTableCleanup: 20,000 old rows pruned in batches by the launcher's worker"
sql "CREATE TABLE public.asset_audit (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \"assetId\" uuid,
       \"deletedAt\" timestamptz NOT NULL DEFAULT clock_timestamp());
     CREATE INDEX ON public.asset_audit (\"deletedAt\");
     INSERT INTO public.asset_audit (\"deletedAt\")
       SELECT now() - interval '40 days' + g * interval '1 second' FROM generate_series(1, 20000) g;
     INSERT INTO public.asset_audit (\"deletedAt\") SELECT now() FROM generate_series(1, 5)"
sql "UPDATE immich_maint.schedule SET params = params || '{\"batchSize\": 3000}' WHERE job = 'AuditTableCleanup'"
id=$(run_job AuditTableCleanup)
assert_eq "$(sql "SELECT status || ' ' || (worker LIKE 'postgres:%') || ' ' || progress FROM immich_maint.job_run WHERE id = $id")" \
  "succeeded true 1"
assert_eq "$(sql "SELECT result->'steps'->'asset_audit'->>'deleted' || ' in ' || (result->'steps'->'asset_audit'->>'batches')
                  FROM immich_maint.job_run WHERE id = $id")" "20000 in 7"
assert_eq "$(sql "SELECT count(*) FROM public.asset_audit")" 5 "rows kept"
assert_contains "$(sql "SELECT result->'notes' FROM immich_maint.job_run WHERE id = $id")" \
  "table album_audit does not exist: skipped"

echo "--- bad params from the schedule fail the run with the message"
sql "UPDATE immich_maint.schedule SET params = params || '{\"batchSize\": \"lots\"}' WHERE job = 'AuditTableCleanup'"
id=$(run_job AuditTableCleanup)
assert_eq "$(sql "SELECT status || ': ' || error FROM immich_maint.job_run WHERE id = $id")" \
  'failed: parameter batchSize must be a whole number, at least 1, not "lots"'

echo "--- every database job runs; tables this database lacks are notes"
for job in AuditLogCleanup SessionCleanup TagCleanup PersonCleanup MemoryCleanup MemoryGenerate \
           NotificationsCleanup UserDeleteCheck AssetDeleteCheck; do
  id=$(run_job $job)
  assert_eq "$(sql "SELECT status || ' ' || (result->'notes'->>0 LIKE 'table % does not exist: skipped')
                    FROM immich_maint.job_run WHERE id = $id")" "succeeded true" "$job"
done
assert_not_contains "$(cat "$CLUSTER_DIR/server.log")" "terminated by signal"
echo "db jobs through the launcher ok"
