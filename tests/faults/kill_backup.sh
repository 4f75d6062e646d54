#!/usr/bin/env bash
# kill -9 of the sidecar during a backup, at many points of its life.
#
# CLI path: `immich-maintd backup` is killed with SIGKILL at 20+ points spread through a backup
# (connecting, holding the backup lock, .tmp just created, pg_dump started, .tmp at growing
# fractions of the final size, pg_dump just finished, the verify phase, right after the rename,
# and at fractions of the measured duration). After every kill: every final-named *.sql.gz is a
# valid gzip holding a complete dump, pg_dump and the server backends of the killed sidecar go
# away by themselves. Also killed while pg_dump waits for a table lock: pg_dump dies with the
# sidecar (PR_SET_PDEATHSIG) and its backend, with its ACCESS SHARE locks, ends within the
# server's client_connection_check_interval (5 s) while the table lock is still held. Then one
# more backup succeeds, removes every .tmp and keeps --keep backups.
#
# serve path: `immich-maintd serve` is killed while it runs a queued backup: the launcher fails
# the run once its heartbeat is older than immich_maint.sidecar_timeout, only a .tmp is left,
# and a restarted sidecar runs the next queued backup, which removes the .tmp.
source "$ROOT/tests/faults/common.bash"

TIMEOUT=10  # immich_maint.sidecar_timeout (seconds; minimum 1): serve beats every 5 s
KEEP=3      # --keep of the CLI backups
db=immich
media="$TEST_TMP/media"; backups="$media/backups"        # CLI path
media2="$TEST_TMP/media2"; backups2="$media2/backups"    # serve path
checkdir="$TEST_TMP/check"

fault_cluster_start "immich_maint.sidecar_timeout=$TIMEOUT"
psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d $db <<'SQL'
CREATE EXTENSION immich_maint;
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
-- about 130 MB of dump text, half of it compressible: a backup takes a few seconds
CREATE TABLE asset AS
  SELECT g AS id, md5(g::text) || md5((g::bigint * 7919)::text) || md5((g::bigint * 104729)::text) AS "originalPath"
    FROM generate_series(1, 1200000) g;
SQL
for m in "$media" "$media2"; do mkdir -p "$m/backups"; echo 1 >"$m/backups/.immich"; done

# the sidecar as a command (not a function): started with &, $! is immich-maintd itself
sidecar=(env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused
         DB_DATABASE_NAME=$db "$IMMICH_MAINTD")
sql() { psql_db -d $db -c "$1"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }
alive() {  # PID: running (not a zombie, not gone)
  local st
  { read -r _ _ st _ <"/proc/$1/stat"; } 2>/dev/null || return 1
  [ "$st" != Z ]
}
dump_procs() { pgrep -f "immich-maintd-dump-$1'" || true; }  # PID: pg_dump processes of sidecar PID
sidecar_sessions() { sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'immich-maintd%'"; }
no_sidecar_sessions() { [ "$(sidecar_sessions)" = 0 ]; }
no_dump_procs() { [ -z "$(dump_procs "$1")" ]; }
lock_held() {
  [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 42 AND objid = 1 AND objsubid = 2 AND granted")" = 1 ]
}
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
forget() {  # PID: ended; no longer killed on exit (its number may be reused)
  local keep=() p
  for p in "${FAULT_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  FAULT_PIDS=("${keep[@]}")
}

# Files present before a run; NEW_TMP / NEW_FINAL: the run's own .tmp / final file, if any.
declare -A before_run
snapshot() { local f; before_run=(); for f in "$1"/*; do before_run[$f]=1; done; }
find_new() {  # DIR: sets NEW_TMP and NEW_FINAL
  local f; NEW_TMP=; NEW_FINAL=
  for f in "$1"/*.sql.gz.tmp; do [ -e "$f" ] && [ -z "${before_run[$f]:-}" ] && NEW_TMP=$f; done
  for f in "$1"/*.sql.gz; do [ -e "$f" ] && [ -z "${before_run[$f]:-}" ] && NEW_FINAL=$f; done
  return 0
}

# Every final-named backup is complete (all_backups_complete); a final file never changes once
# renamed, so each (inode, size, mtime) is checked once, through hard links in $checkdir.
declare -A verified
declare -A ever_final  # every final backup name seen in $backups
check_finals() {  # DIR
  local f key
  rm -rf "$checkdir"; mkdir -p "$checkdir"
  for f in "$1"/*.sql.gz; do
    [ -e "$f" ] || continue
    [ "$1" = "$backups" ] && ever_final[${f##*/}]=1
    key=$(stat -c '%i:%s:%Y' "$f")
    [ "${verified[$f]:-}" = "$key" ] && continue
    ln "$f" "$checkdir/"
    verified[$f]=$key
  done
  all_backups_complete "$checkdir" || { echo "FAILED: a final-named backup is not complete" >&2; exit 1; }
  rm -rf "$checkdir"
}
count() { local n=0 f; for f in "$@"; do [ -e "$f" ] && n=$((n + 1)); done; echo $n; }

echo "--- calibration: one full backup, timed phase by phase"
snapshot "$backups"
t0=$(now_ms)
"${sidecar[@]}" backup --media "$media" --keep $KEEP >"$TEST_TMP/calibrate.log" 2>&1 &
pid=$!; FAULT_PIDS+=($pid); cal_pid=$pid
t_tmp=; t_dump=; t_dumped=; t_final=; dpid=
while alive $pid; do
  find_new "$backups"
  [ -z "$t_tmp" ] && [ -n "$NEW_TMP" ] && t_tmp=$(now_ms)
  if [ -z "$dpid" ]; then
    dpid=$(pgrep -P $pid -x pg_dump || true); [ -n "$dpid" ] && t_dump=$(now_ms)
  elif [ -z "$t_dumped" ] && ! alive "$dpid"; then
    t_dumped=$(now_ms)
  fi
  [ -z "$t_final" ] && [ -n "$NEW_FINAL" ] && t_final=$(now_ms)
  sleep 0.005
done
wait $pid || { cat "$TEST_TMP/calibrate.log" >&2; exit 1; }
t_end=$(now_ms); forget $pid
# under load a phase may pass between two polls: fall back to the next one seen
t_final=${t_final:-$t_end}; t_dumped=${t_dumped:-$t_final}; t_dump=${t_dump:-$t_dumped}; t_tmp=${t_tmp:-$t_dump}
find_new "$backups"
[ -n "$NEW_FINAL" ] || { echo "FAILED: calibration made no backup" >&2; exit 1; }
check_finals "$backups"
S=$(size_of "$NEW_FINAL")
T=$(( t_end - t0 ))
V=$(( t_final - t_dumped ))  # pg_dump exit -> rename: compress the rest, fsync, verify
[ $V -ge 50 ] || V=150
echo "backup: $S bytes in ${T} ms (.tmp at +$(( t_tmp - t0 )), pg_dump at +$(( t_dump - t0 )), pg_dump done at +$(( t_dumped - t0 )), renamed at +$(( t_final - t0 )) ms)"

echo "--- serve: kill -9 while it runs a queued backup (.tmp growing, pg_dump running)"
snapshot "$backups2"
"${sidecar[@]}" serve --media "$media2" --worker fault-a --poll 1 >"$TEST_TMP/serve-a.log" 2>&1 &
spid=$!; FAULT_PIDS+=($spid)
run1=$(sql "SELECT immich_backup_now()")
serve_growing() {
  find_new "$backups2"
  [ -n "$NEW_TMP" ] || return 1
  local a; a=$(size_of "$NEW_TMP")
  [ "$a" -ge 1000000 ] && sleep 0.05 && [ "$(size_of "$NEW_TMP")" -gt "$a" ] \
    && [ -n "$(pgrep -P $spid -x pg_dump)" ]
}
wait_for 120 serve_growing
{ kill -9 $spid; wait $spid; :; } 2>/dev/null || true; forget $spid
wait_for 30 no_dump_procs $spid  # pg_dump dies of the closed pipe
wait_for 30 no_sidecar_sessions  # the dump, backup, heartbeat and serve sessions end
serve_killed_at=$(sql "SELECT heartbeat_at FROM immich_maint.job_run WHERE id = $run1")
find_new "$backups2"
assert_eq "$(cd "$backups2" && ls -A | grep -vx .immich)" "${NEW_TMP##*/}" "files left by the killed serve: only its .tmp"
assert_eq "$(sql "SELECT status IN ('running', 'failed') AND worker = 'fault-a' FROM immich_maint.job_run WHERE id = $run1")" t \
  "the killed run: claimed by fault-a, not finished by it"
serve_tmp=$NEW_TMP
echo "killed serve: run $run1 was running, $(size_of "$serve_tmp") of ~$S bytes written; checking it after the CLI kills"

echo "--- CLI: kill -9 of immich-maintd backup at many points"
cli_pids=(); killed=0; tried=0; lines=()
dump_orphans=0; dump_linger_max=0; backend_lingers=0; backend_linger_max=0
last_run_s=${EPOCHREALTIME%.*}
next_second() {  # waits for a second after the last run ended, then snapshots the folder
  while [ "${EPOCHREALTIME%.*}" -le "$last_run_s" ]; do sleep 0.02; done
  snapshot "$backups"
}
all_gone() { local p; for p in "$@"; do alive "$p" && return 1; done; return 0; }
# MODE ARG: now | time MS | lock | tmp | dump | size FRACTION | dumped MS | final
kill_at() {
  local mode=$1 arg=${2:-} pid start status=0 kids orphans t phase d dl bl
  # Backups are named by the second: start in a second after the previous run ended, so this
  # run's .tmp and final file are its own (a .tmp left in the same second would share the name).
  next_second
  start=$(now_ms)
  "${sidecar[@]}" backup --media "$media" --keep $KEEP >"$TEST_TMP/kill.log" 2>&1 &
  pid=$!; FAULT_PIDS+=($pid); cli_pids+=($pid)
  poll() {  # COMMAND...: until it succeeds while the backup runs (0), or the backup ended (1)
    local limit=$(( $(now_ms) + 120000 ))
    while alive $pid; do
      "$@" && return 0
      [ "$(now_ms)" -lt $limit ] || { echo "FAILED: kill point $mode $arg never reached" >&2; exit 1; }
      sleep 0.005
    done
    return 1
  }
  has_tmp() { find_new "$backups"; [ -n "$NEW_TMP" ]; }
  has_final() { find_new "$backups"; [ -n "$NEW_FINAL" ]; }
  tmp_at_least() { find_new "$backups"; [ -n "$NEW_TMP" ] && [ "$(size_of "$NEW_TMP")" -ge "$1" ] || [ -n "$NEW_FINAL" ]; }
  dump_started() { d=$(pgrep -P $pid -x pg_dump) || return 1; }
  dump_ended() { ! alive "$d"; }
  case $mode in
    now) ;;
    time) sleep "$(awk -v ms="$arg" 'BEGIN { printf "%.3f", ms / 1000 }')" ;;
    lock) poll lock_held || true ;;
    tmp) poll has_tmp || true ;;
    dump) poll dump_started || true ;;
    size) poll tmp_at_least "$(awk -v s="$S" -v f="$arg" 'BEGIN { printf "%d", s * f }')" || true ;;
    dumped) if poll dump_started && poll dump_ended; then
              sleep "$(awk -v ms="$arg" 'BEGIN { printf "%.3f", ms / 1000 }')"
            fi ;;
    final) poll has_final || true ;;
  esac
  kids=$(pgrep -P $pid || true)  # pg_dump (or the child about to exec it)
  { kill -9 $pid || true; t=$(now_ms); wait $pid || status=$?; :; } 2>/dev/null  # no "Killed" job notice
  forget $pid
  last_run_s=${EPOCHREALTIME%.*}
  tried=$((tried + 1))
  find_new "$backups"  # the files as the kill left them: nothing writes them any more
  [ -z "$NEW_TMP" ] || [ -z "$NEW_FINAL" ] || { echo "FAILED: both $NEW_TMP and $NEW_FINAL exist" >&2; exit 1; }
  if [ $status -eq 137 ]; then
    killed=$((killed + 1))
    if [ -n "$NEW_FINAL" ]; then phase="renamed: final file, no .tmp"
    elif [ -z "$NEW_TMP" ]; then phase="before the .tmp (connect, checks, lock)"
    elif [ -n "$kids" ] && [ "$(size_of "$NEW_TMP")" = 0 ]; then phase="pg_dump starting, .tmp empty"
    elif [ -n "$kids" ]; then phase="dumping, .tmp $(size_of "$NEW_TMP") B"
    elif [ "$(size_of "$NEW_TMP")" = 0 ]; then phase=".tmp created, pg_dump not spawned"
    elif ln "$NEW_TMP" "$TEST_TMP/tmp-probe.sql.gz" && all_backups_complete "$TEST_TMP" 2>/dev/null; then
      phase="pg_dump done, .tmp complete: fsync, verify, rename pending"
    else phase="pg_dump done, .tmp $(size_of "$NEW_TMP") B: compressing the rest"; fi
    rm -f "$TEST_TMP/tmp-probe.sql.gz"
  else
    assert_eq "$status" 0 "exit status of a backup that finished before its kill point ($mode $arg)"
    phase="finished before the kill point (not counted)"
  fi
  # pg_dump of the killed sidecar dies with it (PR_SET_PDEATHSIG; reaping takes a moment)
  orphans=$(printf '%s\n' $kids $(dump_procs $pid) | sort -u)
  orphans=$(for d in $orphans; do alive "$d" && echo "$d"; done || true)
  if [ -n "$orphans" ]; then
    dump_orphans=$((dump_orphans + 1))
    FAULT_PIDS+=($orphans)
    wait_for 30 all_gone $orphans || { echo "FAILED: pg_dump $orphans outlived sidecar $pid by 30 s" >&2; exit 1; }
    for d in $orphans; do forget "$d"; done
    dl=$(( $(now_ms) - t ))
    [ $dl -gt $dump_linger_max ] && dump_linger_max=$dl
  fi
  # and so do its server sessions: the dump's backend, and the one holding the backup lock
  if ! no_sidecar_sessions; then
    backend_lingers=$((backend_lingers + 1))
    wait_for 30 no_sidecar_sessions || { sql "SELECT pid, application_name, state, query FROM pg_stat_activity WHERE application_name LIKE 'immich-maintd%'" >&2; exit 1; }
    bl=$(( $(now_ms) - t ))
    [ $bl -gt $backend_linger_max ] && backend_linger_max=$bl
  fi
  check_finals "$backups"
  lines+=("$(printf '%-6s %-5s killed at +%5d ms: %s' "$mode" "$arg" $(( t - start )) "$phase")")
}

f_ms() { awk -v t="$T" -v f="$1" 'BEGIN { printf "%d", t * f }'; }
# Points that may reach the end (and so run retention) first; the size points last, so that
# their .tmp files are left for the next backup to remove.
kill_at now
kill_at time 30
kill_at lock
kill_at tmp
kill_at dump
for f in 0.1 0.25 0.4 0.55 0.7 0.85 1.0; do kill_at time "$(f_ms $f)"; done
for f in 0 0.25 0.5 0.8; do kill_at dumped "$(awk -v v="$V" -v f="$f" 'BEGIN { printf "%d", v * f }')"; done
kill_at final
kill_at size 0.97
for f in 0.02 0.1 0.25 0.4 0.55 0.7 0.85; do kill_at size $f; done
extra=(0.33 0.66 0.15 0.5 0.8 0.05 0.45 0.6 0.75 0.9)  # size points kill before the rename
for f in "${extra[@]}"; do [ $killed -ge 22 ] || kill_at size $f; done
printf '  %s\n' "${lines[@]}"
echo "kills: $killed of $tried runs; pg_dump still ran right after the kill $dump_orphans times, gone within ${dump_linger_max} ms;" \
     "sidecar sessions still open right after $backend_lingers kills, gone within ${backend_linger_max} ms"
[ $killed -ge 20 ] || { echo "FAILED: only $killed kills" >&2; exit 1; }

echo "--- CLI: kill -9 while pg_dump waits for a table lock: pg_dump and its backend end anyway"
psql_db -d $db -c "BEGIN; LOCK TABLE asset IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(300)" >/dev/null 2>&1 &
locker=$!; FAULT_PIDS+=($locker)
locked() { [ "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'asset'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; }
wait_for 30 locked
next_second
"${sidecar[@]}" backup --media "$media" --keep $KEEP >"$TEST_TMP/lock.log" 2>&1 &
pid=$!; FAULT_PIDS+=($pid); cli_pids+=($pid)
dump_waits() {
  [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'immich-maintd-dump-$pid' AND wait_event_type = 'Lock'")" = 1 ]
}
wait_for 60 dump_waits
dpid=$(pgrep -P $pid -x pg_dump)
t=$(now_ms)
{ kill -9 $pid; wait $pid; :; } 2>/dev/null || true; forget $pid
last_run_s=${EPOCHREALTIME%.*}
FAULT_PIDS+=($dpid)
wait_for 10 all_gone $dpid; forget $dpid   # killed by the kernel with its parent
dump_gone_ms=$(( $(now_ms) - t ))
wait_for 30 no_sidecar_sessions            # the backend notices its client is gone
locked || { echo "FAILED: the table lock was released early; the test proves nothing" >&2; exit 1; }
assert_eq "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                  WHERE a.application_name LIKE 'immich-maintd-dump-%' AND l.granted")" 0 "locks held by a dead sidecar's dump"
echo "pg_dump gone $dump_gone_ms ms after the kill, its backend and locks $(( $(now_ms) - t )) ms after, the table lock still held"
find_new "$backups"
assert_eq "$(size_of "$NEW_TMP")" 0 "the killed run's .tmp (pg_dump wrote nothing yet)"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300)%' AND pid <> pg_backend_pid()" >/dev/null
wait $locker 2>/dev/null || true; forget $locker
check_finals "$backups"

echo "--- the next backup succeeds, removes every .tmp, keeps the newest $KEEP"
next_second
tmps_before=$(count "$backups"/*.tmp)
out=$(maintd backup --media "$media" --keep $KEEP --json)
name=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
deleted_tmps=$(python3 -c 'import json,sys; print(sum(".sql.gz.tmp (" in d for d in json.load(sys.stdin)["deleted"]))' <<<"$out")
assert_eq "$(count "$backups"/*.tmp)" 0 ".tmp files left after the next backup"
[ "$tmps_before" -ge 5 ] || { echo "FAILED: expected the size kills to leave .tmp files, found $tmps_before" >&2; exit 1; }
assert_eq "$deleted_tmps" "$tmps_before" ".tmp files the next backup listed as deleted"
check_finals "$backups"
all_backups_complete "$backups"
expected=$(printf '%s\n' "${!ever_final[@]}" | sort | tail -n $KEEP | tr '\n' ' ')
assert_eq "$(cd "$backups" && ls -A | grep -vx .immich | sort | tr '\n' ' ')" "$expected" "backups kept (newest $KEEP of ${#ever_final[@]})"
assert_contains "$expected" "$name"
echo "next backup $name removed $tmps_before .tmp files; kept: $expected"

echo "--- serve: the killed run is failed by heartbeat loss; a restarted sidecar runs the next backup"
run_failed() { [ "$(sql "SELECT status FROM immich_maint.job_run WHERE id = $run1")" = failed ]; }
wait_for $(( TIMEOUT + 120 )) run_failed  # the launcher looks at least once a minute
assert_eq "$(sql "SELECT error FROM immich_maint.job_run WHERE id = $run1")" "sidecar stopped responding"
assert_eq "$(sql "SELECT heartbeat_at = '$serve_killed_at' AND finished_at - heartbeat_at >= make_interval(secs => $TIMEOUT)
                  FROM immich_maint.job_run WHERE id = $run1")" t "failed $TIMEOUT s or more after its last heartbeat"
assert_eq "$(cd "$backups2" && ls -A | grep -vx .immich)" "${serve_tmp##*/}" "files after the run failed: only its .tmp"
echo "run $run1 failed: $(sql "SELECT error || ', ' || round(extract(epoch FROM finished_at - heartbeat_at)) || ' s after its last heartbeat'
                               FROM immich_maint.job_run WHERE id = $run1")"
"${sidecar[@]}" serve --media "$media2" --worker fault-b --poll 1 >"$TEST_TMP/serve-b.log" 2>&1 &
spid2=$!; FAULT_PIDS+=($spid2)
run2=$(sql "SELECT immich_backup_now()")
assert_eq "$(sql "SELECT immich_job_wait($run2, '120 seconds')")" succeeded "the next queued backup"
name2=$(sql "SELECT result->>'name' FROM immich_maint.job_run WHERE id = $run2")
assert_eq "$(cd "$backups2" && ls -A | grep -vx .immich)" "$name2" "files after the next backup"
assert_contains "$(sql "SELECT result->>'deleted' FROM immich_maint.job_run WHERE id = $run2")" "${serve_tmp##*/}"
all_backups_complete "$backups2"
assert_contains "$(cat "$TEST_TMP/serve-b.log")" "run $run2 DatabaseBackup succeeded"
kill -TERM $spid2
status=0; wait $spid2 || status=$?
forget $spid2
assert_eq "$status" 0 "serve exit status after SIGTERM"

echo "--- nothing left behind"
assert_eq "${#FAULT_PIDS[@]}" 0 "background processes not waited for"
assert_eq "$(pgrep -f -- "--media $TEST_TMP/" || true)" "" "sidecars still running"
for p in $cal_pid "${cli_pids[@]}" $spid $spid2; do assert_eq "$(dump_procs $p)" "" "pg_dump of sidecar $p still running"; done
assert_eq "$(sidecar_sessions)" 0 "sidecar sessions left"
fault_server_log_clean
echo "all kill_backup checks passed"
