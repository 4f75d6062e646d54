#!/usr/bin/env bash
# CREATE EXTENSION in a cluster that does not preload immich_maint fails with a clear error
# and a hint, and the server survives it.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

dir="$TEST_TMP/cluster" port=$(free_port)
trap 'stop_cluster "$dir"' EXIT
PRELOAD= start_cluster "$dir" "$port"

out=$(as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -X -v VERBOSITY=verbose \
      -c 'CREATE EXTENSION immich_maint' postgres 2>&1 || true)
assert_contains "$out" 'ERROR:  55000: immich_maint must be loaded via shared_preload_libraries'
assert_contains "$out" 'HINT:  Add immich_maint to shared_preload_libraries in postgresql.conf and restart the server.'
assert_eq "$(as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -XAtc 'SELECT 1' postgres)" "1"
assert_not_contains "$(cat "$dir/server.log")" "terminated by signal"
