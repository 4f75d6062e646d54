#!/usr/bin/env bash
# PostgreSQL restarted (pg_ctl restart -m fast, and -m immediate) in the middle of a CLI backup,
# of a CLI restore (in its restore-point and in its restore phase) and while the launcher is
# scheduling (with job workers in flight); and `serve` losing its database connections while it
# holds a claimed backup run. Wanted: clear failures, no data lost, nothing left half done, no
# crash, and the next attempt works. Two places where that did not hold were found here and
# fixed: a restore across a restart left new connections refused until the next restore or
# serve start, and serve lost the outcome of a run whose connection died (the launcher later
# failed it for its silent heartbeat).
#
# The faults hit a known point, not a moment in time: pg_dump and psql run through wrappers
# (--pg-bin) that stop passing data on at a "gate" until the test opens it, and job workers and
# serve's pg_dump wait on a table lock held by a test session.
source "$ROOT/tests/faults/common.bash"

db=immich
media="$TEST_TMP/media"; backups="$media/backups"
gatebin="$TEST_TMP/gate-bin"; gates="$TEST_TMP/gates"
sidecar_timeout=15  # seconds; serve beats every 5 s

fault_cluster_start "immich_maint.sidecar_timeout=$sidecar_timeout"
chmod 755 "$TEST_TMP"

sql() { psql_db -d $db -c "$1"; }
allowconn() { psql_db -d postgres -c "SELECT datallowconn FROM pg_database WHERE datname = '$db'"; }
door_closed() { [ "$(allowconn)" = f ]; }
maintenance() { sql "SELECT value FROM system_metadata WHERE key = 'maintenance-mode'"; }
routine_backups() { ls "$backups" | grep -E '^immich-db-backup-.*\.sql\.gz$' || true; }
tmp_files() { ls "$backups" | grep -c '\.tmp$' || true; }
# Only as `maintd_bg ... &`: the background subshell becomes the sidecar, so $! is its pid.
maintd_bg() { exec env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
              DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"; }
# hold_lock TABLE: a session (application_name fault-blocker) that holds an ACCESS EXCLUSIVE
# lock on TABLE until it is terminated or the server restarts; its pid goes to FAULT_PIDS.
blocker_pid=
hold_lock() {
  as_postgres env PGAPPNAME=fault-blocker "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d $db \
    -c "BEGIN" -c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
  blocker_pid=$!; FAULT_PIDS+=("$blocker_pid")
  wait_for 30 blocker_holds
}
blocker_holds() {
  [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
    WHERE a.application_name = 'fault-blocker' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]
}
release_lock() {  # ends the blocker's session and waits for its psql
  psql_db -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'fault-blocker'" >/dev/null
  wait "$blocker_pid" 2>/dev/null || true
  blocker_pid=
}

echo "--- a database immich with immich_maint, Immich-like tables, ~10 MB of data; a media folder [${SECONDS}s]"
psql_db -d postgres -c "CREATE DATABASE $db"
sql "CREATE EXTENSION immich_maint" >/dev/null
sql "UPDATE immich_maint.schedule SET enabled = false" >/dev/null  # nightly defaults out of the way
psql_db -d $db <<'SQL'
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
CREATE TABLE system_metadata (key text PRIMARY KEY, value jsonb);
INSERT INTO system_metadata VALUES ('maintenance-mode', '{"isMaintenanceMode": false}');
CREATE TABLE asset (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "originalPath" text, checksum bytea,
                    "createdAt" timestamptz NOT NULL DEFAULT now());
INSERT INTO asset ("originalPath", checksum)
  SELECT '/data/upload/' || md5(g::text) || '/' || md5((-g)::text) || '.jpg', decode(md5(g::text), 'hex')
  FROM generate_series(1, 80000) g;
CREATE TABLE session (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "updatedAt" timestamptz NOT NULL DEFAULT now());
INSERT INTO session DEFAULT VALUES;
SQL
for folder in upload library profile backups thumbs encoded-video; do
  mkdir -p "$media/$folder" && date +%s%3N >"$media/$folder/.immich"
done

# pg_dump and psql wrappers for --pg-bin. Without its gate file each is the real binary. With
# gates/TOOL present, pg_dump passes on the first 64 KiB of its output, psql reads the first
# N bytes of its input (N is the gate file's content), then each touches gates/TOOL.reached
# and holds the rest back until gates/TOOL is removed.
mkdir -p "$gatebin" "$gates"
cat >"$gatebin/pg_dump" <<EOF
#!/bin/bash
gate="$gates/pg_dump"
[ -e "\$gate" ] || exec "$PG_BIN/pg_dump" "\$@"
exec "$PG_BIN/pg_dump" "\$@" > >(head -c 65536; touch "\$gate.reached"
                                 while [ -e "\$gate" ]; do sleep 0.1; done; exec cat 2>/dev/null)
EOF
cat >"$gatebin/psql" <<EOF
#!/bin/bash
gate="$gates/psql"
[ -e "\$gate" ] || exec "$PG_BIN/psql" "\$@"
bytes=\$(cat "\$gate")
exec 3<&0
exec "$PG_BIN/psql" "\$@" < <(head -c "\$bytes" <&3; touch "\$gate.reached"
                              while [ -e "\$gate" ]; do sleep 0.1; done; exec cat <&3 2>/dev/null)
EOF
chmod 755 "$gatebin"/* "$gates"
trap 'rm -f "$gates/pg_dump" "$gates/psql"; fault_cleanup' EXIT  # a failed check never leaves a gate shut
connection_lost() {  # TEXT: says that the server went away
  [[ "$1" =~ "server closed the connection unexpectedly"|"connection to server was lost"|"no connection to the server"|"terminating connection due to administrator command" ]] \
    || { printf 'FAILED: no lost connection in:\n%s\n' "$1" >&2; exit 1; }
}
arm() { rm -f "$gates/$1.reached"; echo "${2:-1}" >"$gates/$1"; }
reached() { [ -e "$gates/$1.reached" ]; }
open_gate() { rm -f "$gates/$1"; }

echo "--- a first backup (the one that must survive) [${SECONDS}s]"
out=$(maintd backup --media "$media" --json)
first=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
all_backups_complete "$backups"
sql_bytes=$(gzip -dc "$backups/$first" | wc -c)
echo "dump: $sql_bytes bytes of SQL, $(stat -c %s "$backups/$first") gzipped"

# backup_across_restart MODE: a CLI backup whose pg_dump is held after 64 KiB, the cluster
# restarted, the gate opened: the backup fails with pg_dump's error, removes its .tmp, and the
# backups before it are untouched.
backup_across_restart() {
  local mode=$1 before_files status err
  before_files=$(routine_backups)
  arm pg_dump
  maintd_bg backup --media "$media" --pg-bin "$gatebin" >"$TEST_TMP/backup-$mode.out" 2>"$TEST_TMP/backup-$mode.err" &
  local pid=$!; FAULT_PIDS+=("$pid")
  wait_for 60 reached pg_dump
  assert_eq "$(tmp_files)" 1 ".tmp while the backup runs"
  fault_cluster_restart "$mode"
  open_gate pg_dump
  set +e; wait "$pid"; status=$?; set -e
  err=$(cat "$TEST_TMP/backup-$mode.err")
  echo "backup across a $mode restart: exit $status: $err"
  assert_eq "$status" 14 "exit status of a backup across a $mode restart"
  assert_contains "$err" "ERROR: pg_dump exited with status 1"
  assert_contains "$err" "DETAIL: pg_dump said: pg_dump: error: "
  connection_lost "$err"
  assert_eq "$(tmp_files)" 0 ".tmp files after a backup across a $mode restart"
  assert_eq "$(routine_backups)" "$before_files" "backups after a backup across a $mode restart"
  all_backups_complete "$backups"
}

echo "--- 1. restart (fast) during a CLI backup [${SECONDS}s]"
backup_across_restart fast
echo "--- 1. restart (immediate) during a CLI backup [${SECONDS}s]"
backup_across_restart immediate

echo "--- 1. the next backup works [${SECONDS}s]"
out=$(maintd backup --media "$media" --json)
good=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
assert_eq "$(routine_backups)" "$(printf '%s\n' "$first" "$good" | sort)" "backups after the next one"
all_backups_complete "$backups"
maintd verify --media "$media" "$good" >/dev/null
backup_state=$(checksum $db)

echo "--- 2. restores across a restart: the database as before, then the same backup restores [${SECONDS}s]"
# Changed since the backup, so that a restore that did anything would show.
sql "UPDATE asset SET \"createdAt\" = now() - interval '1 day' WHERE id IN (SELECT id FROM asset LIMIT 1000)" >/dev/null
sql "INSERT INTO version_history (version) VALUES ('2.5.1')" >/dev/null
state() { echo "$(checksum $db)|$(allowconn)"; }
changed_state=$(state)
assert_not_contains "$changed_state" "$backup_state"

# restore_across_restart MODE TOOL STATUS: a CLI restore of $good whose TOOL (pg_dump for the
# restore point, psql for the restore) is held at its gate, the cluster restarted, the gate
# opened. The restore fails with STATUS; the output is in $err.
restore_across_restart() {
  local mode=$1 tool=$2 want=$3 status
  if [ "$tool" = psql ]; then arm psql $((sql_bytes / 2)); else arm pg_dump; fi
  maintd_bg restore --media "$media" --yes --pg-bin "$gatebin" "$good" \
    >"$TEST_TMP/restore-$tool.out" 2>"$TEST_TMP/restore-$tool.err" &
  local pid=$!; FAULT_PIDS+=("$pid")
  wait_for 60 reached "$tool"
  # held: the door is closed (other clients out) and maintenance mode is on
  wait_for 30 door_closed
  assert_contains "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["phase"], j["connections_blocked"], j["maintenance_set"])' \
    "$backups/.immich-maintd-restore.json")" "True True"
  fault_cluster_restart "$mode"
  open_gate "$tool"
  set +e; wait "$pid"; status=$?; set -e
  err=$(cat "$TEST_TMP/restore-$tool.err")
  echo "restore across a $mode restart ($tool held): exit $status:"; echo "$err"
  echo "after it: datallowconn $(allowconn), journal $([ -e "$backups/.immich-maintd-restore.json" ] && echo present || echo absent)"
  assert_eq "$status" "$want" "exit status of a restore across a $mode restart"
  # The restore reconnects for its rollback (retrying while the server comes back): the door
  # opens and maintenance mode is put back at once. (It once kept using its dead admin
  # connection, so both stayed until the next restore or serve start; found by this test.)
  assert_contains "$err" "Nothing was changed: the restore was rolled back and the database is as it was."
  assert_eq "$(allowconn)" t "datallowconn right after a restore across a $mode restart"
  [ ! -e "$backups/.immich-maintd-restore.json" ] || { echo "FAILED: journal left after the rollback" >&2; exit 1; }
  assert_eq "$(state)" "$changed_state" "database after a restore across a $mode restart"
  assert_eq "$(maintenance)" '{"isMaintenanceMode": false}' "maintenance mode after the rollback"
  out=$(maintd serve --media "$media" --once 2>&1)
  assert_not_contains "$out" "recovered from an interrupted restore"
  assert_eq "$(tmp_files)" 0 ".tmp files after a restore across a $mode restart"
  all_backups_complete "$backups"
}

echo "--- 2. restart (fast) in the restore phase (psql mid-dump, public already dropped in its transaction) [${SECONDS}s]"
restore_across_restart fast psql 15
assert_contains "$err" "ERROR: restore failed"
connection_lost "$(head -1 <<<"$err")"

echo "--- 2. restart (immediate) while the restore point is written (pg_dump held, other clients out) [${SECONDS}s]"
restore_across_restart immediate pg_dump 14
assert_contains "$err" "ERROR: restore point failed: pg_dump exited with status 1"
assert_contains "$err" "DETAIL: pg_dump said: pg_dump: error: "
connection_lost "$err"

echo "--- 2. then the same backup restores [${SECONDS}s]"
out=$(maintd restore --media "$media" --yes "$good" 2>&1)
assert_contains "$out" "restored $good into $db"
assert_eq "$(state)" "$backup_state|t" "database after restoring $good"
assert_eq "$(maintenance)" '{"isMaintenanceMode": false}' "maintenance mode after the restore"

echo "--- 3. restarts while the launcher schedules: SessionCleanup every 2 seconds, runs held on a lock [${SECONDS}s]"
launcher_scheduling() {
  [ -n "$(sql "SELECT l.pid FROM immich_maint.launcher_state() l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.scheduling_since IS NOT NULL AND a.backend_type = 'immich_maint launcher'" 2>/dev/null)" ]
}
held_runs() {  # SessionCleanup runs whose job worker waits for the blocker's lock
  sql "SELECT r.id FROM immich_maint.job_run r JOIN pg_stat_activity a ON r.worker = 'postgres:' || a.pid
       WHERE r.job = 'SessionCleanup' AND r.status = 'running' AND a.wait_event_type = 'Lock' ORDER BY r.id"
}
some_held_run() { [ -n "$(held_runs)" ]; }
base=$(sql "SELECT coalesce(max(id), 0) FROM immich_maint.job_run")
sql "UPDATE immich_maint.schedule SET params = '{\"lockTimeout\": \"10min\"}' WHERE job = 'SessionCleanup'" >/dev/null
sql "SELECT immich_schedule('SessionCleanup', '2 seconds')" >/dev/null
wait_for 60 launcher_scheduling
interrupted=()
# restart_with_held_run MODE: a run held in its worker, then the restart
restart_with_held_run() {
  hold_lock session
  wait_for 60 some_held_run
  interrupted+=($(held_runs))
  fault_cluster_restart "$1"
  wait "$blocker_pid" 2>/dev/null || true; blocker_pid=
}
restart_with_held_run fast
fault_cluster_restart fast        # again at once, while the launcher starts up
wait_for 60 launcher_scheduling
restart_with_held_run immediate
restarted=$(sql "SELECT pg_postmaster_start_time()")
echo "runs in flight at the restarts: ${interrupted[*]}"

echo "--- 3. after the restarts: the launcher schedules again, runs keep coming, none stuck [${SECONDS}s]"
wait_for 60 launcher_scheduling
runs_after() { [ "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE job = 'SessionCleanup'
                           AND trigger = 'schedule' AND queued_at > '$restarted' AND status = 'succeeded'")" -ge 3 ]; }
wait_for 60 runs_after
none_open_before() { [ "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE id > $base
                                 AND queued_at < '$restarted' AND status IN ('queued', 'running')")" = 0 ]; }
wait_for 30 none_open_before
sql "SELECT id, status, trigger, due_at, error FROM immich_maint.job_run WHERE id > $base ORDER BY id" | head -40
for id in "${interrupted[@]}"; do
  assert_eq "$(sql "SELECT status || ': ' || coalesce(error, '') FROM immich_maint.job_run WHERE id = $id")" \
    "failed: launcher restarted" "run $id, in flight at a restart"
done
assert_eq "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE id > $base AND status = 'failed'
                  AND coalesce(error, '') = ''")" 0 "failed runs without a message"
assert_eq "$(sql "SELECT string_agg(job || ' ' || due_at, ', ') FROM (SELECT job, due_at FROM immich_maint.job_run
                  WHERE due_at IS NOT NULL GROUP BY job, due_at HAVING count(*) > 1) d")" "" "runs queued twice for one due time"
# a worker that could not see the run its launcher queued in the same transaction once exited
# without running it (found here under load; workers now wait for the launcher's transaction)
assert_eq "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE id > $base
                  AND error = 'job worker exited without finishing'")" 0 "runs a worker never ran"
assert_contains "$(cat "$CLUSTER_DIR/server.log")" "immich_maint launcher: marked "
fault_server_log_clean
sql "SELECT immich_schedule('SessionCleanup', '2 seconds', false)" >/dev/null

echo "--- 4. serve loses its database connections while it holds a claimed backup run [${SECONDS}s]"
serve_log="$TEST_TMP/serve.log"
maintd_bg serve --media "$media" --poll 1 --worker fault-serve >"$serve_log" 2>&1 &
serve_pid=$!; FAULT_PIDS+=("$serve_pid")
servings() { grep -c '^serving ' "$serve_log" || true; }
serving_again() { [ "$(servings)" -ge "$1" ]; }
wait_for 30 serving_again 1
dump_waits() {  # serve's pg_dump waits for the blocker's lock
  [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'immich-maintd-dump-%'
                               AND wait_event_type = 'Lock'")" = 1 ]
}
run_status() { sql "SELECT status || ': ' || coalesce(error, '') FROM immich_maint.job_run WHERE id = $1"; }
# A run whose sidecar went silent is failed by the launcher at its next step after
# sidecar_timeout; claiming a sidecar run does not wake it, so it may sleep up to a minute
# first. Once the heartbeat is older than the timeout, a no-op schedule edit wakes it.
silent_run_ended() {  # RUN
  [ "$(sql "SELECT status <> 'running' FROM immich_maint.job_run WHERE id = $1")" = t ] && return 0
  if [ "$(sql "SELECT heartbeat_at < now() - interval '$sidecar_timeout seconds' FROM immich_maint.job_run
               WHERE id = $1")" = t ]; then
    sql "UPDATE immich_maint.schedule SET cron = cron WHERE job = 'StorageCheck'" >/dev/null
  fi
  return 1
}
terminate() {  # APPLICATION_NAME_PATTERN: ends those sessions; prints which
  psql_db -d postgres -c "SELECT string_agg(application_name, ', ' ORDER BY application_name) FROM pg_stat_activity
                          WHERE application_name LIKE '$1' AND pg_terminate_backend(pid)"
}

echo "--- 4a. only the connection that claimed the run (immich-maintd-serve) is ended; the backup goes on [${SECONDS}s]"
hold_lock asset
before_files=$(routine_backups)
run=$(sql "SELECT immich_backup_now()")
wait_for 60 dump_waits
assert_eq "$(run_status "$run")" "running: " "run $run while pg_dump waits"
assert_eq "$(terminate immich-maintd-serve)" "immich-maintd-serve" "sessions ended"
release_lock
wait_for 60 grep -q 'retrying in 5 s' "$serve_log"
wait_for $((sidecar_timeout + 30)) silent_run_ended "$run"
cat "$serve_log"
echo "run $run: $(run_status "$run")"
new_files=$(comm -13 <(echo "$before_files") <(routine_backups))
echo "backup written meanwhile: $new_files"
# The outcome is recorded on a new connection (once it was lost, and the launcher failed the
# run for its silent heartbeat although the backup was written; found by this test).
assert_eq "$(run_status "$run")" "succeeded: " "run $run after its claiming connection was ended"
assert_eq "$(echo "$new_files" | grep -c .)" 1 "backups written by run $run"
all_backups_complete "$backups"
kill -0 "$serve_pid" || { echo "FAILED: serve exited" >&2; exit 1; }
assert_contains "$(cat "$serve_log")" "serve: lost the database connection (run $run recorded on a new one); retrying in 5 s"
wait_for 30 serving_again 2

echo "--- 4b. all of serve's connections are ended (serve, heartbeat, backup, pg_dump) [${SECONDS}s]"
hold_lock asset
before_files=$(routine_backups)
run=$(sql "SELECT immich_backup_now()")
wait_for 60 dump_waits
echo "ended: $(terminate 'immich-maintd%')"
release_lock
wait_for $((sidecar_timeout + 30)) silent_run_ended "$run"
cat "$serve_log"
echo "run $run: $(run_status "$run")"
# The backup failed at once (pg_dump's connection was ended); serve records pg_dump's error on
# a new connection (it once left the run to the launcher's heartbeat check, losing the error).
assert_contains "$(run_status "$run")" "failed: pg_dump exited with status 1"
assert_contains "$(cat "$serve_log")" "run $run DatabaseBackup started"
assert_contains "$(cat "$serve_log")" "run $run DatabaseBackup failed: pg_dump exited with status 1"
assert_eq "$(routine_backups)" "$before_files" "backups after run $run"
assert_eq "$(tmp_files)" 0 ".tmp files after run $run"
kill -0 "$serve_pid" || { echo "FAILED: serve exited" >&2; exit 1; }
wait_for 30 serving_again 3

echo "--- 4. a backup queued afterwards succeeds with the same serve [${SECONDS}s]"
run=$(sql "SELECT immich_backup_now()")
assert_eq "$(sql "SELECT immich_job_wait($run, '120 seconds')")" succeeded "run $run"
name=$(sql "SELECT result->>'name' FROM immich_maint.job_run WHERE id = $run")
maintd verify --media "$media" "$name" >/dev/null
all_backups_complete "$backups"
kill -TERM "$serve_pid"
set +e; wait "$serve_pid"; status=$?; set -e
assert_eq "$status" 0 "serve's exit status after SIGTERM"
fault_server_log_clean
echo "all pg_restart checks passed"
