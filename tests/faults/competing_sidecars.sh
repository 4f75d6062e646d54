#!/usr/bin/env bash
# Competing sidecars: two, then four `immich-maintd serve` processes (distinct --worker names)
# on one database and one media folder, each round given 12 runs queued in one burst (8
# DatabaseBackup, 4 StorageCheck, interleaved). Checked after each round:
#   - every run succeeded exactly once: one job_run row each, run by one of the round's
#     workers; across the sidecars' logs exactly one "started" and one "succeeded" line per
#     run, in the log of the worker job_run names, and no other run started;
#   - from the server (log_connections): one pg_dump connection per backup run, made by the
#     sidecar that job_run names; each StorageCheck run wrote its 6 folder rows once;
#   - one backup file per backup run: the folder's backups are exactly the runs' result names,
#     all distinct, complete gzip dumps;
#   - never two backups at once: no two DatabaseBackup runs' [started_at, finished_at] overlap
#     (a run is claimed before its pg_dump starts and finished after its file is renamed);
#   - SIGTERM stops every sidecar with status 0 (before the checks, so their logs are
#     complete), and none is left running.
source "$ROOT/tests/faults/common.bash"
export LC_ALL=C

db=immich
media="$TEST_TMP/media"
fault_cluster_start log_connections=on

psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d $db -c "CREATE EXTENSION immich_maint"
psql_db -d $db <<'SQL'
-- only our runs in the queue, whatever the time of day; keep every backup (names differ by second)
UPDATE immich_maint.schedule SET enabled = false;
UPDATE immich_maint.schedule SET params = params || '{"keepLastAmount": 1000}' WHERE job = 'DatabaseBackup';
CREATE TABLE version_history (id serial PRIMARY KEY, "createdAt" timestamptz NOT NULL DEFAULT now(), version text);
INSERT INTO version_history (version) VALUES ('2.5.0');
CREATE TABLE asset AS SELECT g AS id, md5(g::text) AS "originalPath" FROM generate_series(1, 20000) g;
SQL
for f in upload library profile backups thumbs encoded-video; do
  mkdir -p "$media/$f"; echo 1700000000000 >"$media/$f/.immich"
done

sql() { psql_db -d $db -c "$1"; }
all_ids=()  # every run queued so far

serving() { grep -q '^serving ' "$TEST_TMP/$1.log"; }

round() {  # N: N sidecars, 12 runs, SIGTERM, then the checks above
  local n=$1 i w id job worker pid
  local workers=() pids=()
  for ((i = 1; i <= n; i++)); do
    w="r$n-sidecar-$i"
    DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused DB_DATABASE_NAME=$db \
      "$IMMICH_MAINTD" serve --media "$media" --worker "$w" --poll 1 >"$TEST_TMP/$w.log" 2>&1 &
    pids+=($!); FAULT_PIDS+=($!); workers+=("$w")
  done
  for w in "${workers[@]}"; do wait_for 30 serving "$w"; done  # all LISTENing: they race for each run

  echo "--- $n sidecars: 12 runs queued at once (8 DatabaseBackup, 4 StorageCheck)"
  local ids
  ids=($(sql "SELECT CASE WHEN g % 3 = 0 THEN immich_run_job('StorageCheck') ELSE immich_backup_now() END
               FROM generate_series(1, 12) g"))
  assert_eq "${#ids[@]}" 12 "runs queued"
  for id in "${ids[@]}"; do
    assert_eq "$(sql "SELECT immich_job_wait($id, '300 seconds')")" succeeded "run $id"
  done
  all_ids+=("${ids[@]}")
  # A sidecar logs a run's end (and refreshes the inventory) just after recording it, so
  # immich_job_wait can return first: stop them (each ends after its current run), then look.
  echo "--- SIGTERM stops each of the $n sidecars cleanly"
  for pid in "${pids[@]}"; do kill -TERM "$pid"; done
  for ((i = 0; i < n; i++)); do
    set +e; wait "${pids[$i]}"; status=$?; set -e
    assert_eq "$status" 0 "exit status of ${workers[$i]} after SIGTERM"
  done
  FAULT_PIDS=()
  local id_list worker_list
  id_list=$(IFS=,; echo "${ids[*]}")
  worker_list=$(printf "'%s'," "${workers[@]}"); worker_list=${worker_list%,}

  echo "--- each run once, by one of the $n workers, as the logs say"
  assert_eq "$(sql "SELECT count(*) FROM immich_maint.job_run")" "${#all_ids[@]}" "job_run rows: one per queued run, no other"
  assert_eq "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'succeeded' AND worker IN ($worker_list)
                      AND started_at IS NOT NULL AND finished_at >= started_at)
                    FROM immich_maint.job_run WHERE id IN ($id_list)")" "12 12" "runs succeeded by this round's workers"
  local logs=() started succeeded
  for w in "${workers[@]}"; do logs+=("$TEST_TMP/$w.log"); done
  while IFS='|' read -r id job worker; do
    started=$(grep -Hx "run $id [A-Za-z]* started" "${logs[@]}" || true)
    succeeded=$(grep -Hx "run $id [A-Za-z]* succeeded" "${logs[@]}" || true)
    assert_eq "$started" "$TEST_TMP/$worker.log:run $id $job started" "run $id started once, by $worker"
    assert_eq "$succeeded" "$TEST_TMP/$worker.log:run $id $job succeeded" "run $id succeeded once, by $worker"
  done < <(sql "SELECT id || '|' || job || '|' || worker FROM immich_maint.job_run WHERE id IN ($id_list) ORDER BY id")
  assert_eq "$(cat "${logs[@]}" | grep -c '^run .* started$')" 12 "runs started in this round's logs"
  assert_eq "$(cat "${logs[@]}" | grep -c '^run .* failed' || true)" 0 "failed runs in the logs"
  echo "backups/storage checks per worker: $(sql "SELECT string_agg(worker || '=' || b || '/' || c, ' ' ORDER BY worker) FROM
         (SELECT worker, count(*) FILTER (WHERE job = 'DatabaseBackup') b, count(*) FILTER (WHERE job = 'StorageCheck') c
            FROM immich_maint.job_run WHERE id IN ($id_list) GROUP BY worker) s")"
  grep -h '^serve: ' "${logs[@]}" | sed 's/^/note: /' || true  # reconnections, if any

  echo "--- from the server: one pg_dump per backup run, by its sidecar; storage rows written once"
  assert_eq "$(grep -c 'connection authorized: .* application_name=immich-maintd-dump-[0-9]*$' "$CLUSTER_DIR/server.log" || true)" \
    "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE job = 'DatabaseBackup'")" "pg_dump connections in all"
  for ((i = 0; i < n; i++)); do
    assert_eq "$(grep -c "connection authorized: .* application_name=immich-maintd-dump-${pids[$i]}\$" "$CLUSTER_DIR/server.log" || true)" \
      "$(sql "SELECT count(*) FROM immich_maint.job_run WHERE job = 'DatabaseBackup' AND worker = '${workers[$i]}'")" \
      "pg_dump connections of ${workers[$i]}"
  done
  assert_eq "$(sql "SELECT count(*) FROM (SELECT r.id FROM immich_maint.job_run r JOIN immich_maint.storage_check c ON c.run_id = r.id
                 WHERE r.id IN ($id_list) AND r.job = 'StorageCheck' AND c.ok GROUP BY r.id HAVING count(*) = 6) s")" 4 \
    "StorageCheck runs with their 6 folder rows"

  echo "--- one complete backup file per backup run; never two backups at once"
  local files names
  files=$(ls "$media/backups" | grep -v '^\.immich$' || true)
  names=$(sql "SELECT result->>'name' FROM immich_maint.job_run WHERE job = 'DatabaseBackup' ORDER BY result->>'name' COLLATE \"C\"")
  assert_eq "$(sql "SELECT count(*) || ' ' || count(DISTINCT result->>'name') FROM immich_maint.job_run WHERE job = 'DatabaseBackup'")" \
    "$(( ${#all_ids[@]} * 2 / 3 )) $(( ${#all_ids[@]} * 2 / 3 ))" "backup runs and distinct names"
  assert_eq "$files" "$names" "the backups folder holds exactly the runs' files"
  all_backups_complete "$media/backups"
  assert_eq "$(sql "SELECT count(*) FROM immich_maint.job_run a JOIN immich_maint.job_run b ON a.id < b.id
      WHERE a.job = 'DatabaseBackup' AND b.job = 'DatabaseBackup'
        AND a.started_at < b.finished_at AND b.started_at < a.finished_at")" 0 "overlapping backup runs"

}

round 2
round 4

assert_eq "$(pgrep -f "serve --media $media" | wc -l)" 0 "sidecars left running"
fault_server_log_clean
echo "all competing-sidecar checks passed"
