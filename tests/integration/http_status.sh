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

echo "--- a bad address is refused"
set +e; err=$("$IMMICH_MAINTD" serve --http nonsense 2>&1); status=$?; set -e
assert_eq "$status" 3
assert_contains "$err" "ERROR: invalid --http address: nonsense"
echo "all http checks passed"
