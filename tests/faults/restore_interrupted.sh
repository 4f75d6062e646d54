#!/usr/bin/env bash
# A restore interrupted at random points, again and again (every other round with a restore
# point, which is read back while the restore runs): kill -9 of the sidecar, kill -9 of
# its psql (which it feeds the dump through stdin), or pg_terminate_backend of psql's server
# session, each at a time drawn with a seeded RANDOM over the length of one full restore. After
# each, whatever the product documents as the way back (the sidecar's own rollback, or the next
# `serve` start for a dead sidecar) leaves the database exactly as before the restore: same
# data, connections allowed, Immich's maintenance-mode row as it was, no journal, no session or
# process left. Only a restore that had committed may leave the backup's content instead (it
# then finished: exit 0, or the sidecar died after its COMMIT). A sidecar that dies between
# psql's COMMIT and its journal's phase `done` is pinned as it behaves today (NOTE lines): the
# recovery cannot tell the restore committed and writes the pre-restore maintenance-mode row into
# the restored database. Finally a full restore succeeds and the database equals the backup.
source "$ROOT/tests/faults/common.bash"

db=immich
media="$TEST_TMP/media"; backups="$media/backups"
journal="$backups/.immich-maintd-restore.json"
seed=${RESTORE_INTERRUPTED_SEED:-$(( $(date +%s%N) % 32768 ))}
rounds=${RESTORE_INTERRUPTED_ROUNDS:-10}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Only as `maintd_bg ... &`: the background subshell becomes the sidecar, so $! is its pid.
maintd_bg() { exec env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
              DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"; }
allowconn() { psql_db -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname = '$db'"; }
no_sessions_left() {  # no session of a restore, recovery, serve or psql of ours is connected
  [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'immich-maintd-%'")" = 0 ]
}
no_session() { [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'")" = 0 ]; }
gone() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) || return 0; [[ "$s" == Z* ]]; }  # exited (a zombie counts)

echo "--- seed $seed (RESTORE_INTERRUPTED_SEED=$seed replays the same interruption times), $rounds rounds"
RANDOM=$seed

echo "--- a cluster, database $db with immich_maint, Immich-like tables (a restore of a few seconds)"
fault_cluster_start
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d $db <<'SQL'
CREATE EXTENSION immich_maint;
UPDATE immich_maint.schedule SET enabled = false;  -- nothing queued behind the test's back
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
CREATE TABLE system_metadata (key text PRIMARY KEY, value jsonb);
INSERT INTO system_metadata VALUES ('maintenance-mode', '{"isMaintenanceMode": false}');
CREATE TABLE "user" (id int PRIMARY KEY, email text NOT NULL UNIQUE);
INSERT INTO "user" SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 100) g;
CREATE TABLE asset (id int PRIMARY KEY, "ownerId" int NOT NULL REFERENCES "user" (id), "originalPath" text NOT NULL,
  checksum bytea NOT NULL, "createdAt" timestamptz NOT NULL, "isFavorite" boolean NOT NULL DEFAULT false);
INSERT INTO asset SELECT g, 1 + g % 100, '/data/upload/' || md5(g::text) || '.jpg', decode(md5(g::text), 'hex'),
  timestamptz '2024-01-01' + g * interval '1 minute', g % 7 = 0 FROM generate_series(1, 400000) g;
CREATE INDEX asset_owner_created ON asset ("ownerId", "createdAt");
CREATE INDEX asset_checksum ON asset (checksum);
CREATE TABLE album (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO album SELECT g, 'album ' || g FROM generate_series(1, 1000) g;
CREATE TABLE album_asset ("albumId" int REFERENCES album (id), "assetId" int REFERENCES asset (id),
  PRIMARY KEY ("albumId", "assetId"));
INSERT INTO album_asset SELECT 1 + g % 1000, g FROM generate_series(1, 400000, 2) g;
SQL
mkdir -p "$backups" && echo 1 >"$backups/.immich"

echo "--- backup A; one full restore of A (onto A) to measure how long a restore takes"
state_a=$(checksum $db)
out=$(maintd backup --media "$media" --json)
a=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
start=$(now_ms)
maintd restore --media "$media" --yes --no-restore-point "$a" >/dev/null
duration=$(( $(now_ms) - start ))
assert_eq "$(checksum $db)" "$state_a" "state after restoring A onto A"
start=$(now_ms)
maintd restore --media "$media" --yes "$a" >/dev/null  # with a restore point this time
duration_point=$(( $(now_ms) - start ))
assert_eq "$(checksum $db)" "$state_a" "state after restoring A onto A with a restore point"
echo "a full restore of $a took $duration ms, $duration_point ms with its restore point"

# B's maintenance-mode row differs from A's (the restore's own value), so a recovery that wrote
# the row as it was before the restore into a restored database would show.
set_b_maintenance_row() {
  psql_db -d $db -c "UPDATE system_metadata SET value = '{\"isMaintenanceMode\": false, \"b\": true}' WHERE key = 'maintenance-mode'"
}

# The change that makes B: deterministic, so it can be applied again after a restore that committed.
change() {
  set_b_maintenance_row
  psql_db -d $db <<'SQL'
DROP TABLE album_asset;
DELETE FROM asset WHERE id % 10 = 0;
UPDATE asset SET "isFavorite" = NOT "isFavorite" WHERE id % 3 = 0;
INSERT INTO version_history (id, "createdAt", version) VALUES (100, '2025-01-01', '2.6.0');
CREATE TABLE only_in_b AS SELECT g AS id FROM generate_series(1, 100) g;
SQL
}
change
state_b=$(checksum $db)
[ "$state_b" != "$state_a" ] || { echo "FAILED: the change did not change the checksum" >&2; exit 1; }

modes=(sidecar psql backend)
rolled_back=0 committed=0 mid_transaction=0
for ((round = 1; round <= rounds; round++)); do
  mode=${modes[$(( (round - 1) % 3 ))]}
  # even rounds write a restore point, read back while the restore runs (its COMMIT waits)
  if (( round % 2 )); then point=(--no-restore-point) span=$duration; else point=() span=$duration_point; fi
  delay=$(( RANDOM * span / 32768 ))
  maintd_bg restore --media "$media" --yes "${point[@]}" "$a" >"$TEST_TMP/restore.out" 2>&1 & pid=$!
  FAULT_PIDS+=("$pid")
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  psql_pid=$(pgrep -P "$pid" -x psql || true)
  phase=$( [ -e "$journal" ] && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$journal" 2>/dev/null || echo none)
  did=$mode
  case $mode in
    psql)
      if [ -n "$psql_pid" ]; then kill -9 "$psql_pid" 2>/dev/null || did=none; else did=sidecar; fi ;;
    backend)
      n=$(psql_db -d postgres -c "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                                   WHERE application_name = 'immich-maintd-restore-psql-$pid'")
      [ "$n" = 1 ] || did=sidecar ;;
  esac
  [ "$did" = sidecar ] && { kill -9 "$pid" 2>/dev/null || did=none; }
  [ -n "$psql_pid" ] && [ "$did" != none ] && mid_transaction=$((mid_transaction + 1))
  set +e; wait "$pid"; status=$?; set -e
  err=$(cat "$TEST_TMP/restore.out")
  echo "--- round $round: $mode at $delay of $span ms${point[*]:+ (no restore point)} (psql ${psql_pid:-not started}, journal phase $phase): did $did, exit $status"

  if [ "$did" = sidecar ]; then
    # the documented way back after a dead sidecar: the next serve (or restore) start
    assert_eq "$status" 137 "exit status of the killed sidecar"
    wait_for 60 no_session immich-maintd-restore  # the dead sidecar's own session is gone
    had_journal=$([ -e "$journal" ] && echo yes || echo no)
    set +e; out=$(maintd serve --media "$media" --once 2>&1); rstatus=$?; set -e
    assert_eq "$rstatus" 0 "serve --once after the crash: $out"
    if [ "$had_journal" = yes ]; then
      assert_contains "$out" "recovered from an interrupted restore of $a into $db"
      # what else it says depends on where the sidecar died: before COMMIT the maintenance row
      # is put back, after it the restore is said to have committed, in phase done nothing more
      assert_contains "$out" "): new connections allowed again"
    else
      assert_not_contains "$out" "recovered from an interrupted restore"
    fi
    [ -n "$psql_pid" ] && wait_for 60 gone "$psql_pid"
  elif [ "$status" = 15 ]; then
    # psql or its session ended: the sidecar rolls back and undoes the rest by itself
    # ("restore failed: ..." or, killed before it connected, "psql could not connect: ...")
    assert_contains "$err" "ERROR: "
    assert_contains "$err" "Nothing was changed: the restore was rolled back and the database is as it was."
    if [ "$did" = psql ]; then assert_contains "$err" "psql was killed by signal 9"; fi
  else
    assert_eq "$status" 0 "exit status when psql was $did before the restore ended: $err"
  fi

  [ ! -e "$journal" ] || { echo "FAILED: journal left after round $round: $(cat "$journal")" >&2; exit 1; }
  assert_eq "$(allowconn)" t "connections allowed after round $round"
  wait_for 30 no_sessions_left  # a backend may outlive its client's exit by a moment
  [ -n "$psql_pid" ] && { gone "$psql_pid" || { echo "FAILED: psql $psql_pid still runs" >&2; exit 1; }; }
  state=$(checksum $db)
  if [ "$state" = "$state_b" ]; then
    rolled_back=$((rolled_back + 1))
    echo "    database as before the restore (B)"
  elif [ "$state" = "$state_a" ] && { [ "$status" = 0 ] || [ "$did" = sidecar ]; }; then
    # it committed: finished (exit 0), or the sidecar died after psql's COMMIT (the recovery
    # tells by the restore's own maintenance-mode row being gone, and leaves the data alone)
    committed=$((committed + 1))
    echo "    the restore had committed: the database holds A; applying the change again"
    change
    assert_eq "$(checksum $db)" "$state_b" "B again"
  else
    printf 'FAILED round %s: the database is neither as before (B) nor the backup (A)\n  B: %s\n  A: %s\n  now: %s\n  sidecar said: %s\n' \
      "$round" "$state_b" "$state_a" "$state" "$err" >&2
    exit 1
  fi
done
echo "$rolled_back rounds rolled back, $committed committed; $mid_transaction interrupted while psql ran"
[ "$mid_transaction" -ge 1 ] || { echo "FAILED: no interruption hit a running restore transaction" >&2; exit 1; }

echo "--- the sidecar killed after psql's COMMIT, before its journal says done (psql lingers after a good exit)"
fake="$TEST_TMP/fakebin"; mkdir -p "$fake"
cat >"$fake/psql" <<EOF
#!/bin/sh
"$PG_BIN/psql" "\$@" || exit \$?
echo \$\$ >"$TEST_TMP/committed"
exec sleep 600
EOF
chmod 755 "$fake/psql"
maintd_bg restore --media "$media" --yes --no-restore-point --pg-bin "$fake" "$a" >"$TEST_TMP/restore.out" 2>&1 & pid=$!
FAULT_PIDS+=("$pid")
wait_for 120 test -s "$TEST_TMP/committed"
lingering=$(cat "$TEST_TMP/committed"); FAULT_PIDS+=("$lingering")
assert_eq "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["phase"], j["maintenance_set"])' "$journal")" \
  "restore True" "the journal when the sidecar dies"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
kill "$lingering"
wait_for 60 no_session immich-maintd-restore
out=$(maintd serve --media "$media" --once 2>&1)
assert_contains "$out" "recovered from an interrupted restore of $a into $db"
assert_contains "$out" "phase restore): new connections allowed again, the restore had committed (the database holds the backup's data)"
assert_eq "$(allowconn)" t "connections allowed after the recovery"
# the recovery saw that the restore's own maintenance-mode row was gone (replaced inside the
# committed transaction) and left the restored database as the restore made it
assert_eq "$(checksum $db)" "$state_a" "A's data, maintenance mode off, after a crash between COMMIT and done"
change

echo "--- psql killed in the instant after its COMMIT: the restore is done, and says so"
# (found by the random rounds: the sidecar used to call this a rollback, report "Nothing was
# changed" and write the pre-restore maintenance-mode row into the restored database)
cat >"$fake/psql" <<EOF
#!/bin/sh
"$PG_BIN/psql" "\$@" || exit \$?
kill -9 \$\$
EOF
out=$(maintd restore --media "$media" --yes --no-restore-point --pg-bin "$fake" "$a")
assert_contains "$out" "restored $a into $db"
assert_contains "$out" "note: the restore committed, then psql was killed by signal 9; the database holds the backup's data"
assert_eq "$(checksum $db)" "$state_a" "A's data and A's maintenance-mode row after psql died past its COMMIT"
assert_eq "$(allowconn)" t "connections allowed after psql died past its COMMIT"
[ ! -e "$journal" ] || { echo "FAILED: journal left after psql died past its COMMIT" >&2; exit 1; }
change

echo "--- the same in a database without Immich's system_metadata: public's new OID tells it committed"
db2=plain
psql_db -d postgres -c "CREATE DATABASE $db2"
psql_db -d $db2 -c "CREATE TABLE t (id int PRIMARY KEY)" -c "INSERT INTO t SELECT generate_series(1, 1000)"
out=$(db=$db2 maintd backup --media "$media" --json)
p=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
psql_db -d $db2 -c "DELETE FROM t WHERE id > 500"
out=$(db=$db2 maintd restore --media "$media" --yes --no-restore-point --pg-bin "$fake" "$p")
assert_contains "$out" "note: the restore committed, then psql was killed by signal 9; the database holds the backup's data"
assert_eq "$(psql_db -d $db2 -c 'SELECT count(*) FROM t')" 1000 "rows in $db2 after psql died past its COMMIT"
echo "--- and a restore there that is rolled back says so (psql killed before it could commit)"
cat >"$fake/psql" <<EOF
#!/bin/sh
kill -9 \$\$
EOF
psql_db -d $db2 -c "DELETE FROM t WHERE id > 500"
set +e; err=$(db=$db2 maintd restore --media "$media" --yes --no-restore-point --pg-bin "$fake" "$p" 2>&1 >/dev/null); status=$?; set -e
assert_eq "$status" 15 "exit status when psql died before its COMMIT: $err"
assert_contains "$err" "Nothing was changed: the restore was rolled back and the database is as it was."
assert_eq "$(psql_db -d $db2 -c 'SELECT count(*) FROM t')" 500 "rows in $db2 after the rollback"

echo "--- finally a full restore succeeds: the database equals backup A"
out=$(maintd restore --media "$media" --yes --no-restore-point "$a")
assert_contains "$out" "restored $a into $db"
assert_eq "$(checksum $db)" "$state_a" "state after the final restore"
assert_eq "$(allowconn)" t "connections allowed after the final restore"
[ ! -e "$journal" ] || { echo "FAILED: journal left after the final restore" >&2; exit 1; }
fault_server_log_clean
echo "all restore_interrupted checks passed"
