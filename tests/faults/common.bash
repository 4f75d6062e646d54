# Shared by the fault scripts in tests/faults (sourced, not run: scripts/test runs only *.sh).
# Each fault script owns a throwaway cluster, because it restarts or breaks it:
#   source "$ROOT/tests/faults/common.bash"
#   fault_cluster_start [postgres -c settings...]   # sets PGPORT, CLUSTER_DIR; stops it on exit
# then uses psql_db, maintd, checksum, and ends with fault_server_log_clean.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

CLUSTER_DIR="$TEST_TMP/cluster"
FAULT_PIDS=()  # background processes a script starts; killed on exit

fault_cleanup() {
  local pid
  for pid in "${FAULT_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  stop_cluster "$CLUSTER_DIR"
}

fault_cluster_start() {  # [settings...]: initdb + start on a free port, stopped when the script exits
  trap fault_cleanup EXIT
  port=$(free_port)
  start_cluster "$CLUSTER_DIR" "$port" "$@"
  PGPORT=$port
  export PGPORT
}

fault_cluster_restart() {  # MODE (fast|immediate): restart the cluster on the same port and settings
  as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -m "$1" -w -t 60 restart >/dev/null
}

psql_db() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 "$@"; }

maintd() {  # runs the sidecar against database $db with Immich's variables
  DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
    DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"
}

checksum() {  # DB: row counts and a content hash of every table in public
  psql_db -d "$1" -c "SELECT string_agg(format('%s:%s', c.relname,
      (xpath('/row/h/text()', query_to_xml(format('SELECT count(*)||''/''||md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) AS h FROM %I t', c.relname), false, true, '')))[1]), ' ' ORDER BY c.relname)
    FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
}

wait_for() {  # SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds; fails after SECONDS
  local limit=$(( $1 * 10 )) i; shift
  for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.1; done
  echo "timed out waiting for: $*" >&2
  return 1
}

all_backups_complete() {  # BACKUPS_DIR: every final-named *.sql.gz is valid gzip with a complete dump
  local f
  for f in "$1"/*.sql.gz; do
    [ -e "$f" ] || continue
    gzip -t "$f" || { echo "invalid gzip: $f" >&2; return 1; }
    gzip -dc "$f" | tail -c 300 | grep -q -- '-- PostgreSQL database dump complete' \
      || { echo "incomplete dump: $f" >&2; return 1; }
  done
}

fault_server_log_clean() {  # the extension never crashed a backend during the script
  if grep -q 'terminated by signal' "$CLUSTER_DIR/server.log"; then
    grep -B2 -A2 'terminated by signal' "$CLUSTER_DIR/server.log" >&2
    return 1
  fi
}
