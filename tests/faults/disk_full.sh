#!/usr/bin/env bash
# Disk full during a backup. Two ways in:
#   - an LD_PRELOAD shim (tests/faults/enospc_write.c, built here) that makes write() to the
#     backup's .tmp file fail with ENOSPC after N bytes: runs everywhere;
#   - a real small file system: the media folder is a tmpfs of 1 MiB (when mount is allowed).
# Each time: exit status 12 and the exact message (No space left on device), the older backups
# intact byte for byte, no .tmp and no new file left, Immich's JobFailed notification for the
# admin, and no pg_dump backend left behind; once through `immich-maintd backup` and once
# through `serve` (the queued run ends `failed` with the message in immich_maint.job_run).
# On the tmpfs also: the free-space pre-check passes first (the last backup is small, the new
# dump is 4 MB), then refuses once other files leave less than the last backup's size (exact
# message, free bytes included), and after growing the disk the next backup succeeds. Without
# mount, the pre-check is shown against a sparse "last backup" larger than the free space.
source "$ROOT/tests/faults/common.bash"
export LC_ALL=C  # ls and sort order alike

db=immich
mounted=""  # the tmpfs mount point while mounted
disk_full_cleanup() {
  if [ -n "$mounted" ]; then umount "$mounted" 2>/dev/null || umount -l "$mounted" 2>/dev/null || true; fi
  fault_cleanup
}
fault_cluster_start
trap disk_full_cleanup EXIT

psql_db -d postgres -c "CREATE DATABASE $db"
psql_db -d $db -c "CREATE EXTENSION immich_maint"
# nothing but our runs in the queue, whatever the time of day
psql_db -d $db -c "UPDATE immich_maint.schedule SET enabled = false"
psql_db -d $db <"$ROOT/tests/fixtures/immich_schema.sql" >/dev/null
psql_db -d $db <<'SQL'
INSERT INTO "user" (email, "isAdmin", "createdAt") VALUES
  ('first-user@example.com', false, now() - interval '2 days'),
  ('admin@example.com', true, now() - interval '1 day'),
  ('second-admin@example.com', true, now());
INSERT INTO version_history (version, "createdAt") VALUES ('2.4.1', now() - interval '1 day'), ('2.5.0', now());
SQL

# ERE for a routine backup name of this database, and the error a full disk gives
name_re="immich-db-backup-[0-9]{8}T[0-9]{6}-v2\\.5\\.0-pg[0-9.]+\\.sql\\.gz"
full_hint="HINT: Free some space in the backups folder, or lower keepLastAmount."

echo "--- two older backups while the database is small"
seed="$TEST_TMP/seed"
mkdir -p "$seed/backups"; echo 1700000000000 >"$seed/backups/.immich"  # Immich's marker (the fixture has mountChecks)
maintd backup --media "$seed" >/dev/null
maintd backup --media "$seed" >/dev/null  # waits for the next second: another name
mapfile -t seeds < <(ls "$seed/backups" | grep -E "^$name_re\$" | sort)
assert_eq "${#seeds[@]}" 2 "older backups made"
all_backups_complete "$seed/backups"
last_size=$(stat -c %s "$seed/backups/${seeds[1]}")  # the newer one: the pre-check's reference
echo "older backups: ${seeds[*]} ($(stat -c %s "$seed/backups/${seeds[0]}") and $last_size bytes)"

echo "--- then enough data for a dump of a few MB compressed"
psql_db -d $db -c "CREATE TABLE fault_payload AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS a,
                     md5(random()::text) || md5(random()::text) AS b FROM generate_series(1, 60000) g"

setup_media() {  # DIR: the media folder with the two older backups (same bytes, same times)
  mkdir -p "$1/backups"
  cp -p "$seed/backups/.immich" "$seed/backups/${seeds[0]}" "$seed/backups/${seeds[1]}" "$1/backups/"
  (cd "$1/backups" && sha256sum "${seeds[@]}") >"$TEST_TMP/seeds.sha256"
}

older_intact() {  # DIR: exactly the two older backups, byte-identical; nothing else
  assert_eq "$(ls -A "$1/backups" | tr '\n' ' ')" ".immich ${seeds[0]} ${seeds[1]} " "files in $1/backups"
  (cd "$1/backups" && sha256sum --quiet -c "$TEST_TMP/seeds.sha256") || { echo "older backups changed" >&2; exit 1; }
}

no_dump_backend() { [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'immich-maintd-dump-%'")" = 0 ]; }

take_notification() {  # prints the one new notification (user | level | type | title | description) and deletes it
  psql_db -d $db -c "WITH n AS (DELETE FROM notification RETURNING *)
    SELECT count(*) OVER () || ' | ' || u.email || ' | ' || n.level || ' | ' || n.type || ' | ' || n.title || ' | ' || n.description
      FROM n JOIN \"user\" u ON u.id = n.\"userId\""
}

backup_fails() {  # MEDIA [env...]: `immich-maintd backup` must fail with a full disk
  local media=$1; shift
  set +e
  err=$(env "$@" DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
        DB_DATABASE_NAME=$db "$IMMICH_MAINTD" backup --media "$media" 2>&1 >/dev/null)
  status=$?
  set -e
  assert_eq "$status" 12 "exit status (io_error)"
  [[ "$err" =~ ^"ERROR: cannot write $media/backups/"($name_re)".tmp: No space left on device"$'\n'"$full_hint"$ ]] \
    || { printf 'FAILED: unexpected error output:\n%s\n' "$err" >&2; exit 1; }
  failed_name=${BASH_REMATCH[1]}
  older_intact "$media"
  wait_for 10 no_dump_backend
  assert_eq "$(take_notification)" \
    "1 | admin@example.com | error | JobFailed | Job Failed | Job DatabaseBackup failed with error: cannot write $media/backups/$failed_name.tmp: No space left on device" \
    "the admin's notification"
}

serve_fails() {  # MEDIA [env...]: a queued backup, run by `serve --once`, must end failed with a full disk
  local media=$1 id error; shift
  id=$(psql_db -d $db -c "SELECT immich_backup_now()")
  env "$@" DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres DB_PASSWORD=unused \
    DB_DATABASE_NAME=$db "$IMMICH_MAINTD" serve --media "$media" --worker disk-full --once >"$TEST_TMP/serve.log" 2>&1
  assert_eq "$(psql_db -d $db -c "SELECT immich_job_wait($id, '10 seconds')")" failed "run $id"
  assert_eq "$(psql_db -d $db -c "SELECT worker || ' ' || (finished_at IS NOT NULL) FROM immich_maint.job_run WHERE id = $id")" "disk-full true"
  error=$(psql_db -d $db -c "SELECT error FROM immich_maint.job_run WHERE id = $id")
  [[ "$error" =~ ^"cannot write $media/backups/"($name_re)".tmp: No space left on device"$'\n'"$full_hint"$ ]] \
    || { printf 'FAILED: unexpected job_run.error:\n%s\n' "$error" >&2; exit 1; }
  failed_name=${BASH_REMATCH[1]}
  assert_contains "$(cat "$TEST_TMP/serve.log")" "run $id DatabaseBackup failed: cannot write $media/backups/$failed_name.tmp: No space left on device"
  older_intact "$media"
  wait_for 10 no_dump_backend
  assert_eq "$(take_notification)" \
    "1 | admin@example.com | error | JobFailed | Job Failed | Job DatabaseBackup failed with error: cannot write $media/backups/$failed_name.tmp: No space left on device" \
    "the admin's notification"
  # the inventory shows the two older backups only
  assert_eq "$(psql_db -d $db -c "SELECT string_agg(name, ' ' ORDER BY name) FROM immich_backups()")" "${seeds[0]} ${seeds[1]}" "inventory"
}

echo "--- write() fails with ENOSPC after 256 KiB (LD_PRELOAD shim): backup"
shim="$TEST_TMP/enospc_write.so"
cc -shared -fPIC -O2 -Wall -Werror -o "$shim" "$ROOT/tests/faults/enospc_write.c" -ldl
shim_media="$TEST_TMP/shim-media"
setup_media "$shim_media"
backup_fails "$shim_media" LD_PRELOAD="$shim" ENOSPC_AFTER_BYTES=262144
echo "--- the same through serve: the queued run ends failed"
serve_fails "$shim_media" LD_PRELOAD="$shim" ENOSPC_AFTER_BYTES=262144
echo "--- without the shim the same folder takes a backup (the failure was the injected one)"
out=$(maintd backup --media "$shim_media" --json)
name=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
assert_eq "$(ls -A "$shim_media/backups" | tr '\n' ' ')" "$(printf '%s\n' .immich "${seeds[@]}" "$name" | sort | tr '\n' ' ')" "files after a good backup"
(cd "$shim_media/backups" && sha256sum --quiet -c "$TEST_TMP/seeds.sha256")
all_backups_complete "$shim_media/backups"
[ "$(stat -c %s "$shim_media/backups/$name")" -gt 1048576 ] || { echo "the dump is under 1 MiB: the disk-full scenarios would not fill a disk" >&2; exit 1; }
echo "full backup: $(stat -c %s "$shim_media/backups/$name") bytes"

media="$TEST_TMP/tmpfs-media"
mkdir -p "$media"
if ! mount -t tmpfs -o size=1024k,mode=755 tmpfs "$media" 2>"$TEST_TMP/mount.err"; then
  echo "--- a real full file system: SKIPPED, mount is not allowed here ($(cat "$TEST_TMP/mount.err"))"
  echo "--- the pre-check instead, against a sparse last backup twice the free space: refused before writing"
  huge="$shim_media/backups/immich-db-backup-29991231T235959-v2.5.0-pg15.0.sql.gz"
  huge_size=$(( $(stat -f -c '%a * %S' "$shim_media") * 2 + 1073741824 ))
  truncate -s "$huge_size" "$huge"
  set +e
  err=$(maintd backup --media "$shim_media" 2>&1 >/dev/null); status=$?
  set -e
  assert_eq "$status" 12 "exit status of the refused backup"
  [[ "$err" =~ ^"ERROR: not enough free space in $shim_media/backups"$'\n'"DETAIL: The last backup took $huge_size bytes; "[0-9]+" bytes are free."$'\n'"HINT: Free some space, or lower keepLastAmount."$ ]] \
    || { printf 'FAILED: unexpected pre-check message:\n%s\n' "$err" >&2; exit 1; }
  assert_eq "$(ls -A "$shim_media/backups" | grep -c '\.tmp$' || true)" 0 ".tmp files"
  assert_eq "$(take_notification)" \
    "1 | admin@example.com | error | JobFailed | Job Failed | Job DatabaseBackup failed with error: not enough free space in $shim_media/backups" \
    "the admin's notification"
  rm "$huge"
else
  mounted=$media
  setup_media "$media"
  free=$(( $(stat -f -c '%a * %S' "$media") ))
  echo "--- a 1 MiB tmpfs: the pre-check passes (last backup $last_size bytes, $free free), the disk fills during the write"
  [ "$free" -gt "$last_size" ] || { echo "the pre-check would refuse: $free <= $last_size" >&2; exit 1; }
  backup_fails "$media"
  assert_eq "$(( $(stat -f -c '%a * %S' "$media") ))" "$free" "free space after the failure (the partial file is gone)"
  echo "--- the same through serve"
  serve_fails "$media"

  echo "--- the disk filled by other files: the pre-check refuses before writing"
  filler=$(( free - 4096 ))
  head -c "$filler" /dev/zero >"$media/other-files"
  free=$(( $(stat -f -c '%a * %S' "$media") ))
  [ "$free" -lt "$last_size" ] || { echo "the filler left $free bytes free, not below $last_size" >&2; exit 1; }
  set +e
  err=$(maintd backup --media "$media" 2>&1 >/dev/null); status=$?
  set -e
  assert_eq "$status" 12 "exit status of the refused backup"
  assert_eq "$err" "ERROR: not enough free space in $media/backups
DETAIL: The last backup took $last_size bytes; $free bytes are free.
HINT: Free some space, or lower keepLastAmount." "pre-check message"
  older_intact "$media"
  assert_eq "$(take_notification)" \
    "1 | admin@example.com | error | JobFailed | Job Failed | Job DatabaseBackup failed with error: not enough free space in $media/backups" \
    "the admin's notification"

  echo "--- space freed and the disk grown: the next backup succeeds, the older ones kept"
  rm "$media/other-files"
  mount -o remount,size=64m "$media"
  out=$(maintd backup --media "$media" --json)
  name=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$out")
  assert_eq "$(ls -A "$media/backups" | tr '\n' ' ')" "$(printf '%s\n' .immich "${seeds[@]}" "$name" | sort | tr '\n' ' ')" "files after a good backup"
  (cd "$media/backups" && sha256sum --quiet -c "$TEST_TMP/seeds.sha256")
  all_backups_complete "$media/backups"
  assert_eq "$(psql_db -d $db -c "SELECT count(*) FROM notification")" 0 "no notification for the good backup"

  umount "$media"; mounted=""
  mountpoint -q "$media" && { echo "tmpfs still mounted" >&2; exit 1; }
fi

fault_server_log_clean
echo "all disk-full checks passed"
