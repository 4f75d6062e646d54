-- UserDeleteCheck and AssetDeleteCheck with the file-deletion queue: files are queued first, the
-- rows go only once the sidecar has deleted every file; restored users and assets cancel theirs.
\getenv abs_srcdir PG_ABS_SRCDIR
\set db db_jobs_files
\set setup :abs_srcdir '/sql/db_jobs_setup.psql'
\i :setup

-- The sidecar's part, until it exists: every due deletion of a subject done, or one failed.
CREATE FUNCTION sidecar_done(subject_id uuid) RETURNS bigint LANGUAGE sql AS $$
  WITH d AS (UPDATE immich_maint.file_deletion f SET done_at = now()
             WHERE f.id IN (SELECT id FROM immich_maint.file_deletion_due WHERE subject_id = $1) RETURNING 1)
  SELECT count(*) FROM d
$$;
CREATE FUNCTION queue_of(subject text) RETURNS TABLE (owner text, path text, kind text, state text)
  LANGUAGE sql AS $$
  SELECT 'uid(' || ltrim(right(f.subject_id::text, 12), '0') || ')',
         regexp_replace(f.path, '[0-9a-f-]{36}', '<id>', 'g'), f.kind,
         CASE WHEN f.cancelled_at IS NOT NULL THEN 'cancelled' WHEN f.done_at IS NOT NULL THEN 'done'
              WHEN f.error IS NOT NULL THEN 'failed: ' || f.error ELSE 'pending' END
  FROM immich_maint.file_deletion f WHERE f.subject = $1 ORDER BY 1, 2
$$;

-- users: 1 active, 2 deleted 6 days ago, 3 and 4 deleted 8 days ago (4's storage label is
-- not a plain folder name, so its library folder is found by id)
SELECT add_user(1), add_user(2, '6 days'), add_user(3, '8 days', 'alice'), add_user(4, '8 days', '../x');
SELECT add_asset(n, 3) FROM generate_series(1, 3) n;
SELECT add_asset(4, 2), add_asset(5, 1);

-- first run: the folders of users 3 and 4 are queued, every row stays
SELECT * FROM run('UserDeleteCheck');
SELECT * FROM queue_of('user');
SELECT reason, run_id = (SELECT max(id) FROM immich_maint.job_run) AS this_run
  FROM immich_maint.file_deletion GROUP BY 1, 2;
SELECT jsonb_array_length(result->'files') AS files_listed, result->'filesQueued' AS queued
  FROM immich_maint.job_run ORDER BY id DESC LIMIT 1;
SELECT count(*) AS users FROM "user";

-- nothing done yet: nothing new queued, nothing deleted
SELECT * FROM run('UserDeleteCheck');
SELECT count(*) AS users, (SELECT count(*) FROM asset) AS assets FROM "user";

-- the sidecar deletes user 3's folders and fails one of user 4's
SELECT sidecar_done(uid(3));
UPDATE immich_maint.file_deletion SET error = 'permission denied'
 WHERE subject_id = uid(4) AND path LIKE 'upload/%';
SELECT * FROM run('UserDeleteCheck', '{"batchSize": 20}');
SELECT * FROM notes();
SELECT right(id::text, 1) AS "user", "deletedAt" IS NOT NULL AS deleted FROM "user" ORDER BY id;
SELECT right(id::text, 1) AS asset, right("ownerId"::text, 1) AS owner FROM asset ORDER BY id;
SELECT (SELECT count(*) FROM user_audit) AS user_audit, (SELECT count(*) FROM asset_audit) AS asset_audit;
-- what the sidecar would do next: user 4's pending folders, not the failed one
SELECT regexp_replace(path, '[0-9a-f-]{36}', '<id>', 'g') AS due FROM immich_maint.file_deletion_due ORDER BY 1;

-- user 4 is restored: its queued deletions are cancelled, not carried out
UPDATE "user" SET "deletedAt" = NULL WHERE id = uid(4);
SELECT count(*) AS due FROM immich_maint.file_deletion_due;
SELECT * FROM run('UserDeleteCheck');
SELECT * FROM queue_of('user') WHERE owner = 'uid(4)';
-- deleted again later: queued afresh
UPDATE "user" SET "deletedAt" = now() - interval '9 days' WHERE id = uid(4);
SELECT step, counts FROM run('UserDeleteCheck') WHERE step = 'user folders';
SELECT state, count(*) FROM queue_of('user') WHERE owner = 'uid(4)' GROUP BY 1 ORDER BY 1;

-- trash: 11 in the trash 31 days with a thumbnail and preview; 12 only 29 days; 13 not
-- trashed; 14 of an external library (its original and sidecar are the user's own files,
-- never deleted); 15 without any file
SELECT add_asset(11, 1, '31 days'), add_asset(12, 1, '29 days'), add_asset(13, 1),
       add_asset(14, 1, '40 days'), add_asset(15, 1, '35 days');
INSERT INTO library (id, name, "ownerId", "importPaths", "exclusionPatterns")
  VALUES (uid(900), 'photos', uid(1), '{/mnt/photos}', '{}');
UPDATE asset SET "libraryId" = uid(900), "isExternal" = true, "originalPath" = '/mnt/photos/14.jpg'
 WHERE id = uid(14);
UPDATE asset SET "originalPath" = '' WHERE id = uid(15);
INSERT INTO asset_file ("assetId", type, path) VALUES
  (uid(11), 'thumbnail', '/data/thumbs/t/11.webp'), (uid(11), 'preview', '/data/thumbs/t/11.jpeg'),
  (uid(12), 'thumbnail', '/data/thumbs/t/12.webp'),
  (uid(14), 'thumbnail', '/data/thumbs/t/14.webp'), (uid(14), 'sidecar', '/mnt/photos/14.jpg.xmp');
SELECT * FROM run('AssetDeleteCheck', '{"batchSize": 20}');
SELECT * FROM queue_of('asset');
SELECT right(id::text, 2) AS asset, "deletedAt" IS NOT NULL AS trashed FROM asset WHERE id >= uid(11) ORDER BY id;

-- the sidecar deletes 11's files: its row goes on the next run; 14 still waits
SELECT sidecar_done(uid(11));
SELECT * FROM run('AssetDeleteCheck');
SELECT right(id::text, 2) AS asset FROM asset WHERE id >= uid(11) ORDER BY id;
SELECT count(*) AS files_of_11 FROM asset_file WHERE "assetId" = uid(11);

-- 14 is restored from the trash before the sidecar got to it
UPDATE asset SET "deletedAt" = NULL WHERE id = uid(14);
SELECT * FROM run('AssetDeleteCheck');
SELECT * FROM queue_of('asset');

-- the days come from params
SELECT step, counts FROM run('AssetDeleteCheck', '{"days": 28}') WHERE step = 'asset files';
SELECT * FROM run('UserDeleteCheck', '{"days": 5.5}') WHERE step = 'user folders';
SELECT * FROM run('UserDeleteCheck', '{"days": -1}');

-- an Immich version without asset_file and without "storageLabel"
DROP TABLE asset_file;
ALTER TABLE "user" DROP COLUMN "storageLabel";
SELECT add_asset(16, 1, '50 days');
INSERT INTO "user" (id, email, "deletedAt") VALUES (uid(5), 'user5@example.com', now() - interval '10 days');
SELECT step, counts FROM run('AssetDeleteCheck') WHERE step = 'asset files';
SELECT * FROM notes();
SELECT path FROM queue_of('asset') WHERE owner = 'uid(16)';
SELECT step, counts FROM run('UserDeleteCheck') WHERE step = 'user folders';
SELECT path FROM queue_of('user') WHERE owner = 'uid(5)' AND path LIKE 'library/%';

\c immich_regress
DROP DATABASE db_jobs_files;
