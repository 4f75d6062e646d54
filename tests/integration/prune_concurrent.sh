#!/usr/bin/env bash
# immich_prune_audit while another session keeps inserting audit rows (two connections): every
# old row goes, every row inserted meanwhile stays, no insert waits on the prune, and no batch
# of the prune is a long transaction.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=prune_concurrent_it
psql_() {
  as_postgres env PGOPTIONS='-c client_min_messages=warning' \
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 "$@"
}
sql() { psql_ -d $db -c "$1"; }
inserter=
cleanup() {
  set +e
  [ -n "$inserter" ] && kill "$inserter" 2>/dev/null
  wait 2>/dev/null
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
}
trap cleanup EXIT
psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql_ -d $db <"$ROOT/tests/fixtures/immich_schema.sql" >/dev/null
sql "CREATE EXTENSION immich_maint"

# 300,000 rows 40..100 days old, 1,000 from today; the inserter's rows carry ownerId marker.
sql "INSERT INTO asset_audit (\"assetId\", \"ownerId\", \"deletedAt\")
       SELECT gen_random_uuid(), gen_random_uuid(), now() - interval '100 days' + g * interval '17 seconds'
       FROM generate_series(1, 300000) g;
     INSERT INTO asset_audit (\"assetId\", \"ownerId\") SELECT gen_random_uuid(), gen_random_uuid()
       FROM generate_series(1, 1000);
     CREATE SCHEMA it;
     CREATE TABLE it.state (started boolean NOT NULL DEFAULT false, stop boolean NOT NULL DEFAULT false,
                            inserts integer, worst interval);
     INSERT INTO it.state DEFAULT VALUES;
     ANALYZE asset_audit"
psql_ -d $db <<'SQL'
-- One audit row per transaction until told to stop (or 120 s), timing each insert.
CREATE PROCEDURE it.insert_until_stopped() LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  longest interval := '0';
  n integer := 0;
  deadline timestamptz := clock_timestamp() + interval '120 seconds';
BEGIN
  UPDATE it.state SET started = true;
  COMMIT;
  WHILE NOT (SELECT stop FROM it.state) AND clock_timestamp() < deadline LOOP
    t := clock_timestamp();
    INSERT INTO public.asset_audit ("assetId", "ownerId") VALUES (gen_random_uuid(), '00000000-0000-4000-8000-00000000feed');
    COMMIT;
    longest := greatest(longest, clock_timestamp() - t);
    n := n + 1;
  END LOOP;
  UPDATE it.state SET inserts = n, worst = longest;
  COMMIT;
END
$$;
SQL

psql_ -d $db -c "CALL it.insert_until_stopped()" >/dev/null &
inserter=$!
for _ in $(seq 1 100); do [ "$(sql "SELECT started FROM it.state")" = t ] && break; sleep 0.1; done
[ "$(sql "SELECT started FROM it.state")" = t ] || { echo "inserter did not start" >&2; exit 1; }

echo "--- prune 300,000 old rows in batches of 2,000 while the other session inserts"
assert_eq "$(sql "SELECT immich_prune_audit('31 days', 2000)")" 300000 "rows pruned"
sql "UPDATE it.state SET stop = true"
wait "$inserter"
inserter=

run="(SELECT * FROM immich_maint.job_run ORDER BY id DESC LIMIT 1) r"
inserts=$(sql "SELECT inserts FROM it.state")
echo "inserts meanwhile: $inserts, longest insert: $(sql "SELECT worst FROM it.state"),"\
     "longest batch: $(sql "SELECT result->'steps'->'asset_audit'->>'maxBatchMs' FROM $run") ms"
assert_eq "$(sql "SELECT count(*) FROM asset_audit WHERE \"deletedAt\" < now() - interval '31 days'")" 0 "old rows left"
assert_eq "$(sql "SELECT count(*) FROM asset_audit WHERE \"ownerId\" = '00000000-0000-4000-8000-00000000feed'")" \
  "$inserts" "inserted rows kept"
assert_eq "$(sql "SELECT count(*) FROM asset_audit WHERE \"ownerId\" <> '00000000-0000-4000-8000-00000000feed'")" \
  1000 "recent rows kept"
assert_eq "$(sql "SELECT count(*) > 10 FROM asset_audit, $run WHERE \"ownerId\" = '00000000-0000-4000-8000-00000000feed'
                  AND \"deletedAt\" BETWEEN r.started_at AND r.finished_at")" t "inserts while the prune ran"
assert_eq "$(sql "SELECT worst < interval '1 second' FROM it.state")" t "no insert waited 1 s"
assert_eq "$(sql "SELECT (result->'steps'->'asset_audit'->>'maxBatchMs')::numeric < 1000
                         AND (result->'steps'->'asset_audit'->>'batches')::int = 150 FROM $run")" t "150 short batches"
echo "prune with concurrent inserts ok"
