#!/usr/bin/env bash
# immich-maintd verify, import and restore against the test cluster, on the Immich-like fixture
# with immich_maint installed: every bad input refused (or rolled back) with its exact message
# and the database unchanged; earthdistance restores where plain psql fails; round trips for our
# backups, Immich's gzip, plain .sql and pg_dumpall; psql or the sidecar killed midway; and the
# SQL path SELECT immich_job_wait(immich_restore(..)) through serve.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=restore_it
media="$TEST_TMP/media"; backups="$media/backups"
q() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { q -At -d "$db" -c "$1"; }
maintd() { DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
           DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"; }
# Only as `maintd_bg ... &`: the background subshell becomes the sidecar, so $! is its pid.
maintd_bg() { exec env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
              DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"; }
serve_pid=
restore=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
  [ -n "$restore" ] && kill -9 "$restore" 2>/dev/null
  q -d postgres -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null 2>&1 || true
  q -d postgres -c 'SET client_min_messages = warning' -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS ${db}_plain" -c "DROP DATABASE IF EXISTS ${db}_other" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

# Row counts and a content hash of every table in public, plus immich_maint's schedule.
checksum() {
  q -At -d "$db" -c "SELECT string_agg(format('%s:%s', c.relname,
      (xpath('/row/h/text()', query_to_xml(format('SELECT count(*)||''/''||md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) AS h FROM %I.%I t', n.nspname, c.relname), false, true, '')))[1]), ' ' ORDER BY c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND (n.nspname = 'public' OR (n.nspname = 'immich_maint' AND c.relname = 'schedule'))"
}
# What a failed restore must leave exactly as it was: data, connections allowed, maintenance row.
state() {
  echo "$(checksum)|$(q -At -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname = '$db'")|$(val "SELECT value FROM system_metadata WHERE key = 'maintenance-mode'")"
}

echo "--- an Immich-like database (fixture, scale 1) with immich_maint, and a media folder"
q -d postgres -c "CREATE DATABASE $db"
q -d "$db" < "$ROOT/tests/fixtures/immich_schema.sql"
q -d "$db" -v scale=1 -v seed=1 < "$ROOT/tests/fixtures/generate_data.sql"
q -d "$db" -c "CREATE EXTENSION immich_maint" \
  -c "INSERT INTO system_metadata VALUES ('maintenance-mode', '{\"isMaintenanceMode\": false}')" \
  -c "SELECT immich_schedule('DatabaseBackup', '30 1 * * *')" >/dev/null
assert_contains "$(val "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE pg_get_indexdef(indexrelid) LIKE '%ll_to_earth%'")" "ll_to_earth"
for folder in upload library profile backups thumbs encoded-video; do
  mkdir -p "$media/$folder" && date +%s%3N >"$media/$folder/.immich"
done
chmod -R 755 "$TEST_TMP"

out=$(maintd backup --media "$media" --json)
good=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
gunzip -c "$backups/$good" >"$TEST_TMP/good.sql"
before=$(state)

echo "--- verify: a good backup, as text and JSON"
out=$(maintd verify --media "$media" "$good")
assert_contains "$out" "ok $good: single-database (pg_dump) dump (from PostgreSQL 15."
assert_contains "$out" "member(s)"
out=$(maintd verify --media "$media" "$good" --json)
assert_eq "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kind"], d["format"], d["complete"], d["members"])' <<<"$out")" "database gzip True 1"

echo "--- plain psql fails on this dump (type \"earth\" does not exist); our restore does not"
q -d postgres -c "CREATE DATABASE ${db}_plain"
set +e
err=$(gunzip -c "$backups/$good" | as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -X -q -v ON_ERROR_STOP=1 --single-transaction -d ${db}_plain 2>&1 >/dev/null)
set -e
assert_contains "$err" 'type "earth" does not exist'

# fails STATUS MESSAGE restore-or-verify-args...: the exact stderr, the exit status, and the
# database, its connection switch and its maintenance row exactly as before; no journal left.
fails() {
  local want_status=$1 want_err=$2; shift 2
  set +e; err=$(maintd "$@" 2>&1 >/dev/null); status=$?; set -e
  assert_eq "$status" "$want_status" "exit status of: $*"
  assert_eq "$err" "$want_err" "stderr of: $*"
  assert_eq "$(state)" "$before" "database state after: $*"
  [ ! -e "$backups/.immich-maintd-restore.json" ] || { echo "FAILED: journal left after: $*" >&2; exit 1; }
}
hint_corrupt="HINT: Do not restore this file; use another backup."

echo "--- corrupt inputs are refused before anything changes"
size=$(stat -c %s "$backups/$good")
cp "$backups/$good" "$backups/flipped-crc.sql.gz"
python3 - "$backups/flipped-crc.sql.gz" <<'EOF'
import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[-8] ^= 0x01; open(p, 'wb').write(b)
EOF
fails 13 "ERROR: corrupt backup flipped-crc.sql.gz: CRC mismatch in member ending at offset $size
DETAIL: $(python3 - "$backups/$good" <<'EOF'
import sys, zlib; d = open(sys.argv[1], 'rb').read(); crc = int.from_bytes(d[-8:-4], 'little')
print(f"The trailer stores CRC32 {crc ^ 1:08x}; the data has {crc:08x}.")
EOF
)
$hint_corrupt" restore --media "$media" --yes flipped-crc.sql.gz
cp "$backups/$good" "$backups/flipped.sql.gz"
python3 - "$backups/flipped.sql.gz" <<'EOF'
import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[len(b) // 2] ^= 0x10; open(p, 'wb').write(b)
EOF
set +e; err=$(maintd restore --media "$media" --yes flipped.sql.gz 2>&1); status=$?; set -e
assert_eq "$status" 13 "flipped bit in the data"
[[ "$err" =~ ^"ERROR: corrupt backup flipped.sql.gz: "("invalid deflate data at offset "|"CRC mismatch in member ending at offset "|"length mismatch in member ending at offset ") ]] \
  || { echo "FAILED: flipped bit: $err" >&2; exit 1; }
assert_eq "$(state)" "$before" "database after a flipped bit"
head -c $((size / 2)) "$backups/$good" >"$backups/truncated.sql.gz"
fails 13 "ERROR: corrupt backup truncated.sql.gz: truncated gzip data at offset $((size / 2))
DETAIL: The file ends before its last gzip member is complete.
$hint_corrupt" restore --media "$media" --yes truncated.sql.gz
head -c 200000 "$TEST_TMP/good.sql" | gzip >"$backups/short-sql.sql.gz"
fails 13 "ERROR: corrupt backup short-sql.sql.gz: the dump is incomplete
DETAIL: It does not end with the line \"-- PostgreSQL database dump complete\": the dump was cut short.
$hint_corrupt" restore --media "$media" --yes short-sql.sql.gz
head -c 5000 /dev/urandom | base64 | gzip >"$backups/garbage.sql.gz"
fails 13 "ERROR: corrupt backup garbage.sql.gz: not a pg_dump or pg_dumpall dump
DETAIL: Its first lines hold no \"-- PostgreSQL database dump\" or \"-- PostgreSQL database cluster dump\" header.
$hint_corrupt" restore --media "$media" --yes garbage.sql.gz
echo 'SELECT 1;' | gzip >"$backups/select1.sql.gz"
fails 13 "ERROR: corrupt backup select1.sql.gz: not a pg_dump or pg_dumpall dump
DETAIL: Its first lines hold no \"-- PostgreSQL database dump\" or \"-- PostgreSQL database cluster dump\" header.
$hint_corrupt" restore --media "$media" --yes select1.sql.gz
: >"$backups/empty.sql.gz"
fails 13 "ERROR: corrupt backup empty.sql.gz: not a gzip file
DETAIL: The file is empty.
$hint_corrupt" restore --media "$media" --yes empty.sql.gz
: >"$backups/empty.sql"
fails 13 "ERROR: corrupt backup empty.sql: the file is empty
$hint_corrupt" restore --media "$media" --yes empty.sql
fails 13 "ERROR: corrupt backup empty.sql: the file is empty
$hint_corrupt" verify --media "$media" empty.sql

echo "--- names: not found, invalid, traversal, a symbolic link out of the folder, no --yes"
fails 8 "ERROR: backup not found: nope.sql.gz
DETAIL: There is no such file in $backups.
HINT: immich-maintd list shows the backups there." restore --media "$media" --yes nope.sql.gz
invalid_detail="DETAIL: Immich accepts only names of letters, digits, '-', '_' and '.' ending in .sql or .sql.gz (^[\\d\\w-.]+\\.sql(?:\\.gz)?\$).
HINT: Give the name of a file in $backups, without a folder."
fails 4 "ERROR: invalid backup name: notes.txt
$invalid_detail" restore --media "$media" --yes notes.txt
cp "$backups/$good" "$media/outside.sql.gz"
fails 4 "ERROR: invalid backup name: ../outside.sql.gz
$invalid_detail" restore --media "$media" --yes ../outside.sql.gz
fails 4 "ERROR: invalid backup name: $backups/$good
$invalid_detail" restore --media "$media" --yes "$backups/$good"
ln -s "$media/outside.sql.gz" "$backups/link-out.sql.gz"
fails 4 "ERROR: backup name leads out of the backups folder: link-out.sql.gz
DETAIL: It is a symbolic link to $media/outside.sql.gz.
HINT: Copy the file into the backups folder, or use import." restore --media "$media" --yes link-out.sql.gz
fails 3 "ERROR: restore needs --yes when not run on a terminal
DETAIL: A restore replaces every table of $db.
HINT: Pass --yes to confirm." restore --media "$media" "$good" </dev/null

echo "--- SQL that fails midway is rolled back, with the dump's line number"
line=$(grep -n '^CREATE TABLE public.asset ' "$TEST_TMP/good.sql" | head -1 | cut -d: -f1)
awk -v at="$line" 'NR == at { print "SELEC broken;" } { print }' "$TEST_TMP/good.sql" | gzip >"$backups/broken.sql.gz"
fails 15 "ERROR: restore failed at line $line of broken.sql.gz: syntax error at or near \"SELEC\"
DETAIL: LINE 1: SELEC broken;
        ^
Nothing was changed: the restore was rolled back and the database is as it was." \
  restore --media "$media" --yes --no-restore-point broken.sql.gz

echo "--- a failing restore point stops the restore before it starts"
fake="$TEST_TMP/fakebin"; mkdir -p "$fake"
ln -sf "$PG_BIN/psql" "$fake/psql"
printf '#!/bin/sh\necho "pg_dump: error: simulated failure" >&2\nexit 1\n' >"$fake/pg_dump"; chmod +x "$fake/pg_dump"
fails 14 "ERROR: restore point failed: pg_dump exited with status 1
DETAIL: pg_dump said: pg_dump: error: simulated failure
Nothing was changed: the restore was rolled back and the database is as it was.
HINT: A database too damaged to dump can be restored with --no-restore-point." \
  restore --media "$media" --yes --pg-bin "$fake" "$good"

echo "--- round trip: change the data, restore our backup, equal checksums; others ended"
q -d "$db" -c "DELETE FROM asset_face" -c "UPDATE asset SET \"isFavorite\" = NOT \"isFavorite\"" \
  -c "SELECT immich_schedule('DatabaseBackup', '0 4 * * *')" >/dev/null
assert_not_contains "$(state)" "$before"
q -d "$db" -c "SELECT pg_sleep(601)" >/dev/null 2>&1 & other=$!
for _ in $(seq 300); do
  [ "$(q -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(601)'")" = 1 ] && break
  sleep 0.1
done
out=$(maintd restore --media "$media" --yes --json "$good")
wait $other 2>/dev/null && { echo "FAILED: the other session was not ended" >&2; exit 1; }
assert_eq "$(state)" "$before" "state after the round trip"
assert_eq "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kind"], d["sessions_ended"], d["search_path_fixes"], d["runs_carried"])' <<<"$out")" "database 1 1 True"
point=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["restore_point"])' <<<"$out")
[[ "$point" =~ ^restore-point-immich-db-backup-[0-9]{8}T[0-9]{6}-v2\.5\.0-pg15\.[0-9]+\.sql\.gz$ ]] || { echo "FAILED: restore point name $point" >&2; exit 1; }
maintd verify --media "$media" "$point" >/dev/null
# taken after maintenance mode was turned on: the restore point holds Immich's row for it
gunzip -c "$backups/$point" | grep -E "^maintenance-mode	\{\"action\": \{\"action\": \"restore_database\", \"restoreBackupFilename\": \"$good\"\}, \"secret\": \"[0-9a-f]{128}\", \"isMaintenanceMode\": true\}$" >/dev/null \
  || { echo "FAILED: no maintenance-mode row in the restore point" >&2; exit 1; }
assert_eq "$(val "SELECT cron FROM immich_maint.schedule WHERE job = 'DatabaseBackup'")" "30 1 * * *" "schedule from the dump"

echo "--- the restore point holds the state just before the restore"
maintd restore --media "$media" --yes --no-restore-point "$point" >/dev/null
assert_eq "$(val "SELECT count(*) FROM asset_face")" 0 "asset_face as before the first restore"
maintd restore --media "$media" --yes --no-restore-point "$good" >/dev/null
assert_eq "$(state)" "$before" "state after restoring the good backup again"

echo "--- Immich's own backups: pg_dump | gzip --rsyncable, plain .sql (imported), pg_dumpall | gzip"
immich_name=immich-db-backup-20250729T114018-v2.5.0-pg15.20.sql.gz
as_postgres "$PG_BIN/pg_dump" -h 127.0.0.1 -p "$PGPORT" -U postgres --clean --if-exists $db | gzip --rsyncable >"$backups/$immich_name"
q -d "$db" -c "DELETE FROM tag_asset" >/dev/null
maintd restore --media "$media" --yes --no-restore-point "$immich_name" >/dev/null
assert_eq "$(state)" "$before" "state after Immich's gzip"
gunzip -c "$backups/$immich_name" >"$TEST_TMP/mine.sql"
out=$(maintd import --media "$media" "$TEST_TMP/mine.sql")
assert_eq "$out" "imported $TEST_TMP/mine.sql as $backups/uploaded-mine.sql ($(du -b "$TEST_TMP/mine.sql" | awk '{printf "%.1f MiB", $1/1048576}'), verified)"
set +e; err=$(maintd import --media "$media" "$TEST_TMP/mine.sql" 2>&1); status=$?; set -e
assert_eq "$status:$err" "3:ERROR: backup already exists: uploaded-mine.sql
HINT: Pass --replace to overwrite it." "import twice"
maintd import --media "$media" --replace "$TEST_TMP/mine.sql" >/dev/null
cp "$backups/select1.sql.gz" "$TEST_TMP/select1.sql.gz"
set +e; err=$(maintd import --media "$media" "$TEST_TMP/select1.sql.gz" 2>&1); status=$?; set -e
assert_eq "$status" 13 "import of a bad file"
[ ! -e "$backups/uploaded-select1.sql.gz" ] || { echo "FAILED: a bad import was stored" >&2; exit 1; }
cp "$TEST_TMP/mine.sql" "$TEST_TMP/my dump.sql"
set +e; err=$(maintd import --media "$media" "$TEST_TMP/my dump.sql" 2>&1); status=$?; set -e
assert_eq "$status" 4 "import of an invalid name"
assert_contains "$err" "ERROR: invalid backup name: my dump.sql"
q -d "$db" -c "DELETE FROM tag_asset" >/dev/null
maintd restore --media "$media" --yes --no-restore-point uploaded-mine.sql >/dev/null
assert_eq "$(state)" "$before" "state after a plain .sql"

echo "--- a cluster dump (Immich <= 2.4): only this database restored; others and roles untouched"
q -d postgres -c "CREATE DATABASE ${db}_other" -c "CREATE ROLE restore_it_keep LOGIN PASSWORD 'keep'" >/dev/null 2>&1 || true
q -d ${db}_other -c "CREATE TABLE sentinel (x int); INSERT INTO sentinel VALUES (1)"
cluster_name=immich-db-backup-20250101T020000-v2.4.1-pg15.20.sql.gz
as_postgres "$PG_BIN/pg_dumpall" -h 127.0.0.1 -p "$PGPORT" -U postgres --clean --if-exists | gzip >"$backups/$cluster_name"
q -d ${db}_other -c "INSERT INTO sentinel VALUES (2)"
q -d postgres -c "ALTER ROLE restore_it_keep PASSWORD 'changed'"
hash_before=$(q -At -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'restore_it_keep'")
q -d "$db" -c "DELETE FROM tag_asset" >/dev/null
out=$(maintd restore --media "$media" --yes --no-restore-point "$cluster_name")
assert_contains "$out" "restored $cluster_name into $db (cluster dump"
assert_contains "$out" "not restored (another database in the cluster dump): ${db}_other"
assert_eq "$(state)" "$before" "state after the cluster dump"
assert_eq "$(q -At -d ${db}_other -c 'SELECT count(*) FROM sentinel')" 2 "other database untouched"
assert_eq "$(q -At -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'restore_it_keep'")" "$hash_before" "existing role untouched"
q -d postgres -c "DROP ROLE restore_it_keep" >/dev/null

# A dump that sleeps after the schema reset, so psql or the sidecar can be killed mid-restore.
line=$(grep -n '^CREATE TABLE public.asset ' "$TEST_TMP/good.sql" | head -1 | cut -d: -f1)
awk -v at="$line" 'NR == at { print "SELECT pg_sleep(600);" } { print }' "$TEST_TMP/good.sql" | gzip >"$backups/sleepy.sql.gz"
wait_for_sleep() {
  for _ in $(seq 300); do
    [ "$(q -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600);'")" = 1 ] && return 0
    sleep 0.1
  done
  echo "FAILED: the restore never reached its pg_sleep" >&2; exit 1
}

echo "--- while restoring: maintenance on, new connections refused; then psql killed: rolled back"
maintd_bg restore --media "$media" --yes --no-restore-point sleepy.sql.gz >"$TEST_TMP/killed.out" 2>&1 & restore=$!
wait_for_sleep
assert_contains "$(q -At -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname = '$db'")" f
set +e; err=$(q -At -d "$db" -c "SELECT 1" 2>&1); set -e
assert_contains "$err" "database \"$db\" is not currently accepting connections"
assert_contains "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$backups/.immich-maintd-restore.json")" restore
pkill -9 -f "application_name='immich-maintd-restore-psql-$restore'" || { echo "FAILED: no psql to kill" >&2; exit 1; }
set +e; wait $restore; status=$?; set -e
assert_eq "$status" 15 "exit status after psql was killed"
assert_eq "$(cat "$TEST_TMP/killed.out")" "ERROR: restore failed: psql was killed by signal 9
DETAIL: Nothing was changed: the restore was rolled back and the database is as it was." "message after psql was killed"
assert_eq "$(state)" "$before" "state after psql was killed"

echo "--- the sidecar killed mid-restore: the next start (serve) rolls back and undoes the rest"
maintd_bg restore --media "$media" --yes --no-restore-point sleepy.sql.gz >/dev/null 2>&1 & restore=$!
wait_for_sleep
kill -9 $restore; wait $restore 2>/dev/null || true
assert_eq "$(q -At -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname = '$db'")" f "connections still refused after the crash"
out=$(maintd serve --media "$media" --once 2>&1)
assert_contains "$out" "recovered from an interrupted restore of sleepy.sql.gz into $db"
assert_contains "$out" "phase restore): new connections allowed again, maintenance mode put back as it was"
assert_eq "$(state)" "$before" "state after the sidecar was killed"
[ ! -e "$backups/.immich-maintd-restore.json" ] || { echo "FAILED: journal left after recovery" >&2; exit 1; }

echo "--- the sidecar killed while the restore point is written: the next restore recovers first"
# A pg_dump that connects as the restore's pg_dump would, then sleeps.
cat >"$fake/pg_dump" <<EOF
#!/bin/sh
for a; do case \$a in --dbname=*) conn=\${a#--dbname=} ;; esac; done
exec "$PG_BIN/psql" "\$conn" -Xqc 'SELECT pg_sleep(600);'
EOF
maintd_bg restore --media "$media" --yes --pg-bin "$fake" "$good" >/dev/null 2>&1 & restore=$!
wait_for_sleep
assert_eq "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["phase"], j["maintenance_set"], j["connections_blocked"])' "$backups/.immich-maintd-restore.json")" "restore-point True True" "journal"
kill -9 $restore; wait $restore 2>/dev/null || true; restore=
out=$(maintd restore --media "$media" --yes --no-restore-point "$good" 2>&1)
assert_contains "$out" "recovered from an interrupted restore of $good into $db"
assert_contains "$out" "phase restore-point): new connections allowed again, maintenance mode put back as it was"
assert_contains "$out" "restored $good into $db"
assert_eq "$(state)" "$before" "state after the sidecar was killed during the restore point"

echo "--- SQL: immich_restore through serve; the caller waits; the run row survives the restore"
maintd_bg serve --media "$media" --poll 1 >"$TEST_TMP/serve.log" 2>&1 & serve_pid=$!
earlier=$(val "SELECT immich_run_job('StorageCheck')")
q -d "$db" -c "DELETE FROM tag_asset" >/dev/null
run_status=$(q -At -d "$db" -c "SELECT immich_job_wait(immich_restore('$good'), '120 seconds')")
assert_eq "$run_status" succeeded "immich_job_wait(immich_restore(..))"
assert_eq "$(state)" "$before" "state after the SQL restore"
run=$(val "SELECT max(id) FROM immich_maint.job_run WHERE job = 'DatabaseRestore'")
assert_eq "$(val "SELECT status, params->>'name', result->>'name', progress FROM immich_maint.job_run WHERE id = $run")" "succeeded|$good|$good|1"
assert_eq "$(val "SELECT count(*) FROM immich_maint.job_run WHERE id = $earlier")" 1 "earlier runs kept"
next=$(val "SELECT immich_run_job('StorageCheck')")
[ "$next" -gt "$run" ] || { echo "FAILED: run ids restart after a restore ($next <= $run)" >&2; exit 1; }
run_status=$(q -At -d "$db" -c "SELECT immich_job_wait(immich_restore('broken.sql.gz'), '120 seconds')")
assert_eq "$run_status" failed "a failing SQL restore"
assert_contains "$(val "SELECT error FROM immich_maint.job_run WHERE job = 'DatabaseRestore' ORDER BY id DESC LIMIT 1")" \
  "restore failed at line $(grep -n '^CREATE TABLE public.asset ' "$TEST_TMP/good.sql" | head -1 | cut -d: -f1) of broken.sql.gz: syntax error"
# Immich's admin is told, as for a failed backup; nothing else changed.
notice="Job DatabaseRestore failed with error: restore failed at line $(grep -n '^CREATE TABLE public.asset ' "$TEST_TMP/good.sql" | head -1 | cut -d: -f1) of broken.sql.gz: syntax error at or near \"SELEC\""
assert_eq "$(val "DELETE FROM notification WHERE description LIKE 'Job DatabaseRestore %' RETURNING description")" "$notice" "the admin's notification"
assert_eq "$(state)" "$before" "state after a failing SQL restore"
kill $serve_pid; wait $serve_pid 2>/dev/null || true; serve_pid=

echo "--- SQL: names and privileges are checked when queueing"
set +e; err=$(q -d "$db" -c "SELECT immich_restore('../x.sql.gz')" 2>&1); set -e
assert_contains "$err" "ERROR:  invalid backup name: ../x.sql.gz"
q -d "$db" -c "DROP ROLE IF EXISTS restore_plain" -c "CREATE ROLE restore_plain" >/dev/null
set +e; err=$(q -d "$db" -c "SET ROLE restore_plain" -c "SELECT immich_restore('$good')" 2>&1); set -e
assert_contains "$err" "ERROR:  permission denied to restore the database"
q -d "$db" -c "DROP ROLE restore_plain" >/dev/null
echo "all restore checks passed"
