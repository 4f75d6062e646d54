#!/usr/bin/env bash
# A disk that silently corrupts a file while it is written (an LD_PRELOAD shim,
# tests/faults/flip_write.c, built here, flips one bit on its way to the file).
#   - A restore whose restore point is corrupted: the restore point is read back before the
#     restore commits, so the restore fails with the exact message, is rolled back (the database
#     as it was, connections allowed, Immich's maintenance-mode row as it was), and leaves no
#     restore point and no .tmp. The same restore without the fault then succeeds and its
#     restore point reads back intact.
#   - A routine backup corrupted the same way: verified while written, then read back and
#     refused (exit 13, exact message); older backups untouched, no .tmp left.
source "$ROOT/tests/faults/common.bash"

db=immich
media="$TEST_TMP/media"; backups="$media/backups"
fault_cluster_start
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d $db <<'SQL'
CREATE EXTENSION immich_maint;
UPDATE immich_maint.schedule SET enabled = false;
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
CREATE TABLE system_metadata (key text PRIMARY KEY, value jsonb);
INSERT INTO system_metadata VALUES ('maintenance-mode', '{"isMaintenanceMode": false}');  -- what a restore leaves
CREATE TABLE asset (id int PRIMARY KEY, "originalPath" text NOT NULL, checksum text NOT NULL);
INSERT INTO asset SELECT g, '/data/upload/' || md5(g::text) || '.jpg', md5((g * 7)::text) FROM generate_series(1, 150000) g;
SQL
mkdir -p "$backups" && echo 1 >"$backups/.immich"
shim="$TEST_TMP/flip_write.so"
cc -shared -fPIC -O2 -Wall -Werror -o "$shim" "$ROOT/tests/faults/flip_write.c" -ldl

echo "--- backup A, then the database changes (state B)"
out=$(maintd backup --media "$media" --json)
a=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
state_a=$(checksum $db)
psql_db -d $db -c "DELETE FROM asset WHERE id % 3 = 0" -c "UPDATE system_metadata SET value = '{\"isMaintenanceMode\": false, \"mark\": \"B\"}'"
state_b=$(checksum $db)
row_b=$(psql_db -d $db -c "SELECT value::text FROM system_metadata WHERE key = 'maintenance-mode'")

echo "--- restore A while the disk flips a bit of the restore point"
set +e
err=$(LD_PRELOAD="$shim" FLIP_PATH_CONTAINING=restore-point- FLIP_AT_BYTE=300000 \
      maintd restore --media "$media" --yes "$a" 2>&1 >/dev/null)
status=$?
set -e
echo "$err"
assert_eq "$status" 13 "exit status of a restore whose restore point is corrupt"
first=$(head -1 <<<"$err")
assert_contains "$first" "ERROR: restore point failed: corrupt backup restore-point-immich-db-backup-"
assert_contains "$first" "-v2.5.0-pg"
assert_contains "$err" "Nothing was changed: the restore was rolled back and the database is as it was."
assert_contains "$err" "HINT: The restore point did not read back intact: check the disk and the file system."
assert_eq "$(checksum $db)" "$state_b" "database after the failed restore (state B)"
assert_eq "$(psql_db -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname = '$db'")" t "connections allowed"
assert_eq "$(psql_db -d $db -c "SELECT value::text FROM system_metadata WHERE key = 'maintenance-mode'")" "$row_b" "maintenance-mode row"
assert_eq "$(ls "$backups" | grep -c '^restore-point-' || true)" 0 "restore points left"
assert_eq "$(ls -a "$backups" | grep -c '\.tmp$' || true)" 0 ".tmp files left"
assert_eq "$(ls "$backups" | grep -c '^immich-db-backup-' || true)" 1 "backups"

echo "--- the same restore without the fault"
maintd restore --media "$media" --yes "$a" >/dev/null
assert_eq "$(checksum $db)" "$state_a" "database after the restore (state A)"
assert_eq "$(ls "$backups" | grep -c '^restore-point-' || true)" 1 "restore points"
all_backups_complete "$backups"
rows=$(zcat "$backups"/restore-point-*.sql.gz | awk '/^COPY public\.asset /{f=1; next} f && /^\\\.$/{f=0} f' | wc -l)
assert_eq "$rows" 100000 "asset rows in the restore point (state B)"

echo "--- a routine backup while the disk flips a bit of it"
before=$(ls -l --time-style=+%s "$backups" | md5sum)
set +e
err=$(LD_PRELOAD="$shim" FLIP_PATH_CONTAINING=immich-db-backup- FLIP_AT_BYTE=300000 \
      maintd backup --media "$media" 2>&1 >/dev/null)
status=$?
set -e
echo "$err"
assert_eq "$status" 13 "exit status of a backup that reads back different"
assert_contains "$(head -1 <<<"$err")" "ERROR: backup differs from what was written: $backups/immich-db-backup-"
assert_contains "$err" "DETAIL: Reading the file back gave other bytes than were verified."
assert_contains "$err" "HINT: Check the disk and the file system."
assert_eq "$(ls -l --time-style=+%s "$backups" | md5sum)" "$before" "backups folder untouched"
assert_eq "$(ls -a "$backups" | grep -c '\.tmp$' || true)" 0 ".tmp files left"

fault_server_log_clean
echo "restore_point_corrupt: all checks passed"
