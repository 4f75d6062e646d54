#!/usr/bin/env bash
# check-storage and scan-orphans against a generated media tree, run as `nobody` (root ignores
# permissions): the exact orphan and missing report with odd names, symlinks out, an unreadable
# folder and a fresh file; quarantine undone by moving back; deletion of regenerable orphans;
# every storage failure with its message; both jobs run by `serve --once` from SQL.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

db=storage_it
media="$TEST_TMP/media"
P=/usr/src/app/upload  # where Immich's server (another container) sees the media folder
sql() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d $db -c "$1"; }
maintd() {  # as nobody, who owns the tree except what a test takes away
  runuser -u nobody -- env DB_HOSTNAME=127.0.0.1 DB_PORT=$PGPORT DB_USERNAME=postgres \
    DB_DATABASE_NAME=$db "$IMMICH_MAINTD" "$@"
}
fails() {  # expected_status expected_stderr command...
  local want_status=$1 want_err=$2; shift 2
  set +e; err=$("$@" 2>&1 >/dev/null); status=$?; set -e
  assert_eq "$status" "$want_status" "exit status of: $*"
  assert_eq "$err" "$want_err" "stderr of: $*"
}
listing() {  # every path under the media folder but the quarantine, with type, size, mode, owner
  (cd "$media" && find . -path ./.immich_maint-quarantine -prune -o -printf '%P|%y|%s|%m|%u|%l\n' | sort)
}
report() {  # the orphan and missing files of a --json report, one sorted line each
  python3 -c '
import json, sys
r = json.load(sys.stdin)
for o in r["orphan_files"]:
    print("orphan", o["folder"], json.dumps(o["path"], ensure_ascii=False), o["type"], o["size"], o["action"])
for m in r["missing_files"]:
    print("missing", m["folder"], json.dumps(m["path"], ensure_ascii=False))' | sort
}
field() { python3 -c "import json,sys; r=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

echo "--- a database with Immich's tables (paths under $P) and a media tree"
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql "CREATE EXTENSION immich_maint"
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -XAtq -v ON_ERROR_STOP=1 -d $db -v P="$P" <<'SQL'
CREATE TABLE "user" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text, "isAdmin" boolean NOT NULL DEFAULT false,
  "profileImagePath" text NOT NULL DEFAULT '', "createdAt" timestamptz NOT NULL DEFAULT now());
CREATE TABLE asset (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "originalPath" text NOT NULL);
CREATE TABLE asset_file (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "assetId" uuid, type text, path text NOT NULL);
CREATE TABLE person (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "thumbnailPath" text NOT NULL DEFAULT '');
CREATE TABLE system_metadata (key text PRIMARY KEY, value jsonb);
CREATE TABLE notification (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "userId" uuid, level text, type text,
  title text, description text, data jsonb, "readAt" timestamptz, "createdAt" timestamptz NOT NULL DEFAULT now(),
  "deletedAt" timestamptz);
INSERT INTO "user" (email, "isAdmin", "profileImagePath") VALUES
  ('admin@example.com', true, :'P' || '/profile/u1/avatar.jpg'), ('u2@example.com', false, :'P' || '/profile/u2/avatar.png'),
  ('u3@example.com', false, '');
INSERT INTO asset ("originalPath") SELECT :'P' || p FROM unnest(ARRAY['/upload/u1/a.jpg', '/upload/u1/with space.jpg',
  '/library/admin/2024/b.heic', '/upload/u1/é.jpg', '/upload/u1/gone.jpg', '/upload/u2/private/secret.jpg']) p;
INSERT INTO asset ("originalPath") VALUES ('/mnt/external/photo.jpg');
INSERT INTO asset_file (type, path) SELECT t, :'P' || p FROM (VALUES ('thumbnail', '/thumbs/u1/aa/bb/a-thumbnail.webp'),
  ('preview', '/thumbs/u1/aa/bb/a-preview.jpeg'), ('encoded_video', '/encoded-video/u1/aa/bb/v.mp4'),
  ('thumbnail', '/thumbs/u1/aa/bb/gone-thumbnail.webp')) v(t, p);
INSERT INTO person ("thumbnailPath") VALUES (:'P' || '/thumbs/u1/person/p1.jpeg'), ('');
INSERT INTO system_metadata VALUES ('system-flags', '{"mountChecks": {"upload": true, "library": true, "profile": true,
  "backups": true, "thumbs": true, "encoded-video": true}}'), ('MediaLocation', jsonb_build_object('location', :'P'));
SQL

put() { mkdir -p "$(dirname "$media/$1")"; printf '%s' "$2" >"$media/$1"; }
for f in upload library profile backups thumbs encoded-video; do put "$f/.immich" 1700000000000; done
put upload/u1/a.jpg AAAA; put "upload/u1/with space.jpg" SPACE; put library/admin/2024/b.heic HEIC
put upload/u1/é.jpg EEE; put thumbs/u1/aa/bb/a-thumbnail.webp T; put thumbs/u1/aa/bb/a-preview.jpeg PP
put encoded-video/u1/aa/bb/v.mp4 VID; put profile/u1/avatar.jpg AV; put thumbs/u1/person/p1.jpeg PER
put upload/u1/orphan.jpg 12345; put $'upload/u1/new\nline.jpg' 12345678; put $'upload/u1/bad\xff.jpg' 123
put "library/admin/2024/stray file.mov" 123456; put thumbs/u1/aa/bb/old-thumbnail.webp 1234
put encoded-video/u1/aa/bb/old.mp4 1234567; put backups/not-scanned.sql.gz x
put upload/u2/private/secret.jpg S; put upload/u2/private/unknown.jpg U
ln -s /etc "$media/upload/u1/link-out"; ln -s /etc/passwd "$media/upload/u1/passwd-link"
chown -R nobody: "$media"
chown root: "$media/upload/u2/private" && chmod 700 "$media/upload/u2/private"
sleep 3  # everything above is older than --min-age 2 (the scan looks at ctime too)
put upload/u1/fresh.jpg NEW && chown nobody: "$media/upload/u1/fresh.jpg"
touch -d '+1 hour' "$media/upload/u1/fresh.jpg"  # fresh for the whole test, however long it takes

echo "--- check-storage on a good tree: every folder ok, markers rewritten, recorded"
out=$(maintd check-storage --media "$media" --json)
assert_eq "$(field '" ".join(f["folder"] + "=" + f["status"] for f in r["folders"])' <<<"$out")" \
  "upload=ok library=ok profile=ok backups=ok thumbs=ok encoded-video=ok"
assert_eq "$(field '[f["entries"] for f in r["folders"]]' <<<"$out")" "[2, 1, 1, 1, 1, 1]" "entries (Immich's rule)"
assert_eq "$(field 'r["ok"] and all(f["writable"] and f["marker"] and f["free_bytes"] > 0 for f in r["folders"])' <<<"$out")" True
[ "$(cat "$media/upload/.immich")" -gt 1700000000000 ] || { echo "marker not rewritten"; exit 1; }
assert_eq "$(stat -c %U "$media/upload/.immich")" nobody "marker owner kept"
assert_eq "$(sql "SELECT r.job || ' ' || r.trigger || ' ' || r.status || ' ' || count(*) FILTER (WHERE c.ok)
  FROM immich_maint.job_run r JOIN immich_maint.storage_check c ON c.run_id = r.id GROUP BY r.id")" "StorageCheck manual succeeded 6"
text=$(maintd check-storage --media "$media")
assert_contains "$text" "upload         ok            yes      yes    yes      2"

echo "--- scan-orphans: the exact report, nothing changed"
before=$(listing)
out=$(maintd scan-orphans --media "$media" --min-age 2 --json)
assert_eq "$(report <<<"$out")" "$(cat <<'EOF'
missing profile "profile/u2/avatar.png"
missing thumbs "thumbs/u1/aa/bb/gone-thumbnail.webp"
missing upload "upload/u1/gone.jpg"
orphan encoded-video "encoded-video/u1/aa/bb/old.mp4" file 7 None
orphan library "library/admin/2024/stray file.mov" file 6 None
orphan thumbs "thumbs/u1/aa/bb/old-thumbnail.webp" file 4 None
orphan upload "upload/u1/bad\\xff.jpg" file 3 None
orphan upload "upload/u1/link-out" symlink 4 None
orphan upload "upload/u1/new\nline.jpg" file 8 None
orphan upload "upload/u1/orphan.jpg" file 5 None
orphan upload "upload/u1/passwd-link" symlink 11 None
EOF
)"
assert_eq "$(field '[r[k] for k in ("orphans", "orphan_bytes", "orphan_symlinks", "missing", "unverified", "skipped_young", "db_paths", "db_paths_elsewhere")]' <<<"$out")" \
  "[8, 48, 2, 3, 1, 1, 13, 1]" "orphans, bytes, symlinks, missing, unverified, young, db paths, elsewhere"
assert_eq "$(field 'r["unreadable"]' <<<"$out")" "[{'error': 'Permission denied', 'path': 'upload/u2/private'}]"
assert_eq "$(field 'r["db_media_prefix"] + " " + r["db_media_prefix_source"]' <<<"$out")" "$P system_metadata"
assert_eq "$(field '[o["path_hex"] for o in r["orphan_files"] if "path_hex" in o]' <<<"$out")" \
  "['75706c6f61642f75312f626164ff2e6a7067']" "exact bytes of the non-UTF-8 name"
assert_eq "$(listing)" "$before" "the tree after a report-only scan"
assert_eq "$(sql "SELECT kind || ' ' || count(*) || ' ' || coalesce(sum(size), 0) FROM immich_maint.file_report GROUP BY kind ORDER BY kind")" \
  "missing 3 0
orphan 8 48"
assert_eq "$(sql "SELECT path || ' ' || encode(path_bytes, 'escape') FROM immich_maint.file_report WHERE path_bytes IS NOT NULL")" \
  'upload/u1/bad\xff.jpg upload/u1/bad\377.jpg'
assert_eq "$(sql "SELECT count(*) FROM immich_maint.file_report WHERE path = E'upload/u1/new\nline.jpg' AND file_type = 'file'")" 1
text=$(maintd scan-orphans --media "$media" --min-age 2)
assert_contains "$text" 'orphan   upload/u1/new\x0aline.jpg (8 B)'
assert_contains "$text" "orphan   upload/u1/link-out (4 B, symlink)"
assert_contains "$text" "unreadable upload/u2/private: Permission denied"
assert_contains "$text" "8 orphan files (48 B), 3 missing, 1 unverified (under unreadable folders), 1 younger than 2 s skipped"

echo "--- the prefix is detected without Immich's MediaLocation, or given; a wrong one is refused"
sql "DELETE FROM system_metadata WHERE key = 'MediaLocation'"
out=$(maintd scan-orphans --media "$media" --min-age 2 --json)
assert_eq "$(field 'r["db_media_prefix"] + " " + r["db_media_prefix_source"] + " " + str(r["orphans"])' <<<"$out")" "$P detected 8"
out=$(maintd scan-orphans --media "$media" --min-age 2 --json --db-media-prefix "$P/")
assert_eq "$(field 'r["db_media_prefix_source"] + " " + str(r["orphans"]) + " " + str(r["missing"])' <<<"$out")" "option 8 3"
fails 3 "ERROR: no database path starts with /data/
DETAIL: For example, the database has $P/upload/u1/a.jpg.
HINT: Pass --db-media-prefix (job parameter dbMediaPrefix) with the media location Immich's server uses, e.g. /data or /usr/src/app/upload." \
  maintd scan-orphans --media "$media" --db-media-prefix /data

echo "--- --quarantine moves orphans (mode 0700 folder); moving them back restores the tree exactly"
out=$(maintd scan-orphans --media "$media" --min-age 2 --quarantine --json)
q=$(field 'r["quarantine"]["folder"]' <<<"$out")
[[ "$q" =~ ^\.immich_maint-quarantine/[0-9]{8}T[0-9]{6}$ ]] || { echo "bad quarantine folder $q"; exit 1; }
assert_eq "$(field 'r["quarantine"]["files"], r["quarantine"]["bytes"], r["deleted"]' <<<"$out")" "(8, 48, [])"
assert_eq "$(field 'sorted(set(o["action"] for o in r["orphan_files"]))' <<<"$out")" "['quarantined']"
assert_eq "$(stat -c %a "$media/.immich_maint-quarantine")" 700 "quarantine folder mode"
assert_eq "$(readlink "$media/$q/upload/u1/link-out")" /etc "symlink moved as a symlink"
[ -f "$media/$q/upload/u1/orphan.jpg" ] && [ ! -e "$media/upload/u1/orphan.jpg" ] && [ -f /etc/passwd ]
assert_eq "$(sql "SELECT count(*) FROM immich_maint.file_report WHERE action = 'quarantined' AND moved_to = '$q/' || path")" 8
out=$(maintd scan-orphans --media "$media" --min-age 2 --json)
assert_eq "$(field 'r["orphans"], r["missing"]' <<<"$out")" "(0, 3)" "quarantined files are not scanned again"
(cd "$media/$q" && find . ! -type d -print0 | while IFS= read -r -d '' f; do mv "$f" "$media/$f"; done)
assert_eq "$(listing)" "$before" "the tree after moving the quarantine back"
sleep 3  # moving changed their ctime

echo "--- --delete-regenerable deletes orphans in thumbs and encoded-video only"
out=$(maintd scan-orphans --media "$media" --min-age 2 --delete-regenerable --json)
assert_eq "$(field 'sorted(r["deleted"]), r["deleted_bytes"], r["quarantine"], r["orphans"]' <<<"$out")" \
  "(['encoded-video/u1/aa/bb/old.mp4', 'thumbs/u1/aa/bb/old-thumbnail.webp'], 11, None, 8)"
[ ! -e "$media/thumbs/u1/aa/bb/old-thumbnail.webp" ] && [ ! -e "$media/encoded-video/u1/aa/bb/old.mp4" ]
[ -f "$media/upload/u1/orphan.jpg" ] && [ -f "$media/library/admin/2024/stray file.mov" ]
out=$(maintd scan-orphans --media "$media" --min-age 2 --json)
assert_eq "$(field 'r["orphans"]' <<<"$out")" 6 "originals never deleted"

echo "--- an orphan that cannot be moved: the others are, the run fails naming it"
chown root: "$media/library/admin/2024"
fails 12 "ERROR: could not move or delete 1 of 6 orphan files
DETAIL: The first: library/admin/2024/stray file.mov: cannot move to quarantine: Permission denied.
HINT: The other orphans were handled; every file is listed in the report." \
  maintd scan-orphans --media "$media" --min-age 2 --quarantine
chown nobody: "$media/library/admin/2024"
assert_eq "$(sql "SELECT status || ' ' || error FROM immich_maint.job_run WHERE job = 'OrphanFileScan' ORDER BY id DESC LIMIT 1")" \
  "failed could not move or delete 1 of 6 orphan files"
assert_eq "$(sql "SELECT action || ' ' || count(*) FROM immich_maint.file_report WHERE run_id = (SELECT max(run_id) FROM immich_maint.file_report) AND kind = 'orphan' GROUP BY action ORDER BY action")" \
  "failed 1
quarantined 5"
for q in "$media"/.immich_maint-quarantine/*/; do
  (cd "$q" && find . ! -type d -print0 | while IFS= read -r -d '' f; do mv "$f" "$media/$f"; done)
done
sleep 3  # moving changed their ctime

echo "--- check-storage failures: not mounted, not writable, missing folders, no media"
mv "$media/upload/.immich" "$TEST_TMP/upload-marker"
fails 18 "ERROR: the upload folder is not mounted: $media/upload/.immich is missing
DETAIL: Immich saw this folder mounted before (system-flags.mountChecks.upload).
HINT: Mount the volume that holds $media/upload and try again." maintd check-storage --media "$media"
assert_eq "$(sql "SELECT status || ' ' || coalesce(problem, '') FROM immich_maint.storage_check_latest WHERE folder = 'upload'")" \
  "not_mounted the upload folder is not mounted: $media/upload/.immich is missing"
assert_eq "$(sql "SELECT status || ' ' || error FROM immich_maint.job_run WHERE job = 'StorageCheck' ORDER BY id DESC LIMIT 1")" \
  "failed the upload folder is not mounted: $media/upload/.immich is missing"
assert_eq "$(sql "SELECT type || ' | ' || description FROM notification")" \
  "JobFailed | Job StorageCheck failed with error: the upload folder is not mounted: $media/upload/.immich is missing"
fails 18 "ERROR: the upload folder is not mounted: $media/upload/.immich is missing
DETAIL: Immich saw this folder mounted before (system-flags.mountChecks.upload).
HINT: Mount the volume that holds $media/upload and try again." maintd scan-orphans --media "$media"
mv "$TEST_TMP/upload-marker" "$media/upload/.immich"

chown root: "$media/profile/.immich" && chmod 600 "$media/profile/.immich"
fails 9 "ERROR: the profile folder is not readable: $media/profile/.immich: Permission denied
HINT: Immich's server needs to read and write $media/profile; fix its owner, permissions or mount options." \
  maintd check-storage --media "$media"
chown nobody: "$media/profile/.immich" && chmod 644 "$media/profile/.immich"

chown root: "$media/backups" "$media/backups/.immich"
fails 9 "ERROR: the backups folder is not writable: $media/backups/.immich: Permission denied
HINT: Immich's server needs to read and write $media/backups; fix its owner, permissions or mount options." \
  maintd check-storage --media "$media"
chown nobody: "$media/backups" "$media/backups/.immich"

mv "$media/encoded-video" "$TEST_TMP/encoded-video"  # not critical: reported, the check passes
sql "UPDATE system_metadata SET value = value #- '{mountChecks,library}' WHERE key = 'system-flags'"
mv "$media/library" "$TEST_TMP/library"  # Immich never saw it: missing, the check passes
out=$(maintd check-storage --media "$media" --json)
assert_eq "$(field '" ".join(f["folder"] + "=" + f["status"] for f in r["folders"]) + " " + str(r["ok"])' <<<"$out")" \
  "upload=ok library=missing profile=ok backups=ok thumbs=ok encoded-video=not_mounted True"
assert_eq "$(field '[f["problem"] for f in r["folders"] if f["problem"]]' <<<"$out")" \
  "['the library folder does not exist: $media/library', 'the encoded-video folder is not mounted: $media/encoded-video/.immich is missing']"
mv "$TEST_TMP/library" "$media/library"
mv "$TEST_TMP/encoded-video" "$media/encoded-video"
fails 8 "ERROR: media location does not exist: $TEST_TMP/nowhere
HINT: Set --media or IMMICH_MEDIA_LOCATION to Immich's media folder." maintd check-storage --media "$TEST_TMP/nowhere"
fails 8 "ERROR: media location does not exist: $TEST_TMP/nowhere
HINT: Set --media or IMMICH_MEDIA_LOCATION to Immich's media folder." maintd scan-orphans --media "$TEST_TMP/nowhere"

echo "--- StorageCheck and OrphanFileScan queued in SQL, run by serve --once"
sql "UPDATE immich_maint.schedule SET params = '{\"quarantine\": \"yes\"}' WHERE job = 'OrphanFileScan'"
scan=$(sql "SELECT immich_run_job('OrphanFileScan')")
maintd serve --once --media "$media" >"$TEST_TMP/serve0.log" 2>&1
assert_eq "$(sql "SELECT status || ' ' || error FROM immich_maint.job_run WHERE id = $scan")" "failed job parameter quarantine must be true or false
HINT: Fix the params of the OrphanFileScan schedule."
sql "UPDATE immich_maint.schedule SET params = '{\"minAgeSeconds\": 2}' WHERE job = 'OrphanFileScan'"
check=$(sql "SELECT immich_run_job('StorageCheck')")
scan=$(sql "SELECT immich_run_job('OrphanFileScan')")
maintd serve --once --media "$media" >"$TEST_TMP/serve.log" 2>&1
assert_eq "$(sql "SELECT status FROM immich_maint.job_run WHERE id IN ($check, $scan) ORDER BY id")" "succeeded
succeeded"
assert_eq "$(sql "SELECT count(*) FILTER (WHERE ok) FROM immich_maint.storage_check WHERE run_id = $check")" 6
assert_eq "$(sql "SELECT string_agg(DISTINCT run_id::text, ',') FROM immich_maint.storage_check_latest")" "$check"
assert_eq "$(sql "SELECT (result->>'orphans') || ' ' || (result->>'missing') || ' ' || (result->>'unverified') FROM immich_maint.job_run WHERE id = $scan")" "6 3 1"
assert_eq "$(sql "SELECT kind || ' ' || count(*) FROM immich_maint.file_report WHERE run_id = $scan GROUP BY kind ORDER BY kind")" "missing 3
orphan 6"

echo "--- a failing StorageCheck run: failed with the message, Immich's JobFailed notice"
rm "$media/profile/.immich"
check=$(sql "SELECT immich_run_job('StorageCheck')")
maintd serve --once --media "$media" >"$TEST_TMP/serve2.log" 2>&1
assert_eq "$(sql "SELECT status || ' ' || split_part(error, E'\n', 1) FROM immich_maint.job_run WHERE id = $check")" \
  "failed the profile folder is not mounted: $media/profile/.immich is missing"
assert_eq "$(sql "SELECT status FROM immich_maint.storage_check WHERE run_id = $check AND folder = 'profile'")" not_mounted
assert_eq "$(sql "SELECT count(*) FROM notification WHERE description = 'Job StorageCheck failed with error: the profile folder is not mounted: $media/profile/.immich is missing'")" 1
echo "all storage checks passed"
