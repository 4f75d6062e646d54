#!/usr/bin/env bash
# /healthz and /metrics of `immich-maintd serve --http`, checked with curl: healthy after a
# backup, 503 with reasons for a stale backup and for a database that is down, and metrics that
# Prometheus's own text parser accepts.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=http_it
media="$TEST_TMP/media"; mkdir -p "$media/backups"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d $db -c "$1"; }
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "http://$1/metrics" && return 0; sleep 0.1; done; return 1; }

as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql "CREATE EXTENSION immich_maint"
addr="127.0.0.1:$(free_port)"
DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_DATABASE_NAME=$db "$IMMICH_MAINTD" serve --media "$media" --http "$addr" --poll 1 >"$TEST_TMP/serve.log" 2>&1 &
pids+=($!)
wait_http "$addr"

echo "--- no backup yet: 503"
assert_eq "$(curl -s -o "$TEST_TMP/h.json" -w '%{http_code}' "http://$addr/healthz")" 503
assert_eq "$(cat "$TEST_TMP/h.json")" '{"database":true,"reasons":["no successful backup yet"],"status":"unhealthy"}'

echo "--- after a backup: 200"
assert_eq "$(sql "SELECT immich_job_wait(immich_backup_now(), '60 seconds')")" succeeded
assert_eq "$(curl -s -o "$TEST_TMP/h.json" -w '%{http_code}' "http://$addr/healthz")" 200
assert_contains "$(cat "$TEST_TMP/h.json")" '"status":"ok"'

echo "--- metrics parse with Prometheus's parser and say what happened"
curl -sf "http://$addr/metrics" >"$TEST_TMP/metrics.txt"
/usr/bin/python3 - "$TEST_TMP/metrics.txt" <<'PY'  # Debian's python3 has python3-prometheus-client
import sys
from prometheus_client.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
assert samples[("immich_maint_up", ())] == 1
assert samples[("immich_maint_database_up", ())] == 1
assert samples[("immich_maint_runs", (("job", "DatabaseBackup"), ("status", "succeeded")))] == 1
assert samples[("immich_maint_last_backup_size_bytes", ())] > 0
assert samples[("immich_maint_backup_failures_total", ())] == 0
print("metrics ok:", len(samples), "samples")
PY

echo "--- a run in progress: /metrics and /healthz show it (from the sidecar's memory)"
sql "CREATE TABLE blocker (x int)"
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d $db \
  -c "BEGIN; LOCK TABLE blocker IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
locker=$!; pids+=($locker)
for _ in $(seq 100); do [ "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'blocker'::regclass AND granted")" = 1 ] && break; sleep 0.1; done
run=$(sql "SELECT immich_backup_now()")  # its pg_dump waits for the lock
for _ in $(seq 200); do curl -s "http://$addr/metrics" | grep -q '^immich_maint_running 1$' && break; sleep 0.1; done
metrics=$(curl -s "http://$addr/metrics")
assert_contains "$metrics" "immich_maint_run_progress{run_id=\"$run\",job=\"DatabaseBackup\"} "
assert_contains "$metrics" "immich_maint_run_started_timestamp_seconds{run_id=\"$run\",job=\"DatabaseBackup\"} "
assert_contains "$(curl -s "http://$addr/healthz")" "\"running\":{\"job\":\"DatabaseBackup\",\"progress\":"
sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
wait $locker 2>/dev/null || true
assert_eq "$(sql "SELECT immich_job_wait($run, '60 seconds')")" succeeded
curl -s "http://$addr/metrics" | grep -qx 'immich_maint_running 0' || { echo "FAILED: immich_maint_running is not 0 after the run"; exit 1; }

echo "--- a stale backup: 503 with its age"
sql "UPDATE immich_maint.job_run SET started_at = now() - interval '3 days 10 minutes', finished_at = now() - interval '3 days 10 minutes'"
assert_eq "$(curl -s -o "$TEST_TMP/h.json" -w '%{http_code}' "http://$addr/healthz")" 503
assert_contains "$(cat "$TEST_TMP/h.json")" '"reasons":["newest successful backup is 72 h old (limit 26 h)"]'

echo "--- the database down: 503, and the endpoints still answer"
addr2="127.0.0.1:$(free_port)"
DB_HOSTNAME=127.0.0.1 DB_PORT=1 DB_DATABASE_NAME=$db "$IMMICH_MAINTD" serve --media "$media" --http "$addr2" >"$TEST_TMP/serve2.log" 2>&1 &
pids+=($!)
wait_http "$addr2"
assert_eq "$(curl -s -o "$TEST_TMP/h2.json" -w '%{http_code}' "http://$addr2/healthz")" 503
assert_contains "$(cat "$TEST_TMP/h2.json")" '"reasons":["database unreachable: cannot connect to postgres@127.0.0.1:1/http_it"]'
assert_contains "$(curl -s "http://$addr2/metrics")" "immich_maint_database_up 0"

echo "--- health (the container check) while a restore keeps the database closed"
health() { DB_HOSTNAME=127.0.0.1 DB_PORT=1 DB_DATABASE_NAME=$db "$IMMICH_MAINTD" health --media "$media"; }
set +e; out=$(health); status=$?; set -e
assert_eq "$status" 1 "health with the database down"
assert_eq "$out" '{"database":false,"reasons":["database unreachable: cannot connect to postgres@127.0.0.1:1/http_it"],"status":"unhealthy"}'
sleep 300 & restorer=$!; pids+=($restorer)   # stands in for the restoring sidecar's process
journal() {  # PID: the journal a restore writes in the backups folder
  printf '{"database":"%s","backup":"x.sql.gz","run_id":7,"pid":%s,"host":"%s","started":"2026-01-01T00:00:00Z","phase":"restore","connections_blocked":true,"maintenance_set":false,"maintenance_before":null}\n' \
    "$db" "$1" "$(hostname)" >"$media/backups/.immich-maintd-restore.json"
}
journal $restorer
assert_eq "$(health)" '{"database":false,"reasons":[],"running":{"job":"DatabaseRestore","progress":0.0,"run_id":7},"status":"ok"}'
kill $restorer; wait $restorer 2>/dev/null || true
set +e; out=$(health); status=$?; set -e   # the restorer is gone: a leftover journal proves nothing
assert_eq "$status" 1 "health after the restoring process died"
rm "$media/backups/.immich-maintd-restore.json"

echo "--- a bad address is refused"
set +e; err=$("$IMMICH_MAINTD" serve --http nonsense 2>&1); status=$?; set -e
assert_eq "$status" 3
assert_contains "$err" "ERROR: invalid --http address: nonsense"
echo "all http checks passed"
