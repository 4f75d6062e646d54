-- SessionCleanup, TagCleanup, PersonCleanup, MemoryCleanup and NotificationsCleanup against
-- Immich's rules (reference/immich.md §6): what goes, what stays, and a second run with nothing
-- to do.
\getenv abs_srcdir PG_ABS_SRCDIR
\set db db_jobs_cleanup
\set setup :abs_srcdir '/sql/db_jobs_setup.psql'
\i :setup

SELECT add_user(1);
SELECT add_asset(n, 1) FROM generate_series(1, 4) n;
SELECT add_asset(5, 1, visibility => 'archive'), add_asset(6, 1, visibility => 'hidden');

-- sessions: unused for 90 days, or expired
INSERT INTO session (token, "userId", "updatedAt", "expiresAt") VALUES
  ('unused-100-days', uid(1), now() - interval '100 days', NULL),
  ('unused-89-days',  uid(1), now() - interval '89 days', NULL),
  ('expired',         uid(1), now() - interval '1 day', now() - interval '1 hour'),
  ('expires-later',   uid(1), now() - interval '10 days', now() + interval '1 day'),
  ('fresh',           uid(1), now(), NULL);
SELECT * FROM run('SessionCleanup');
SELECT token FROM session ORDER BY token;
SELECT * FROM run('SessionCleanup');
-- a version without "expiresAt": only the 90-day rule
ALTER TABLE session DROP COLUMN "expiresAt";
INSERT INTO session (token, "userId", "updatedAt") VALUES ('unused-95-days', uid(1), now() - interval '95 days');
SELECT * FROM run('SessionCleanup');
SELECT * FROM notes();
SELECT token FROM session ORDER BY token;

-- tags: Places/Europe/Paris is on an asset, so Places and Europe stay with it; Berlin (a
-- sibling), Asia and Asia/Tokyo and Animals are unused; Food is used directly
INSERT INTO tag (id, "userId", value, "parentId") VALUES
  (uid(101), uid(1), 'Places', NULL), (uid(102), uid(1), 'Places/Europe', uid(101)),
  (uid(103), uid(1), 'Places/Europe/Paris', uid(102)), (uid(104), uid(1), 'Places/Europe/Berlin', uid(102)),
  (uid(105), uid(1), 'Places/Asia', uid(101)), (uid(106), uid(1), 'Places/Asia/Tokyo', uid(105)),
  (uid(107), uid(1), 'Animals', NULL), (uid(108), uid(1), 'Food', NULL);
INSERT INTO tag_closure (id_ancestor, id_descendant)
  WITH RECURSIVE up AS (SELECT id AS descendant, id AS ancestor FROM tag
                        UNION ALL SELECT up.descendant, t."parentId" FROM up JOIN tag t ON t.id = up.ancestor
                        WHERE t."parentId" IS NOT NULL)
  SELECT ancestor, descendant FROM up;
INSERT INTO tag_asset ("assetId", "tagId") VALUES (uid(1), uid(103)), (uid(2), uid(108));
SELECT * FROM run('TagCleanup');
SELECT value FROM tag ORDER BY value;
SELECT count(*) AS closure_rows FROM tag_closure;
SELECT * FROM run('TagCleanup');
-- the asset loses Paris: the whole Places branch goes
DELETE FROM tag_asset WHERE "tagId" = uid(103);
SELECT * FROM run('TagCleanup');
SELECT value FROM tag ORDER BY value;
-- a version without tag_closure: the hierarchy comes from "parentId"
DROP TABLE tag_closure;
INSERT INTO tag (id, "userId", value, "parentId") VALUES
  (uid(111), uid(1), 'Pets', NULL), (uid(112), uid(1), 'Pets/Cats', uid(111)), (uid(113), uid(1), 'Pets/Dogs', uid(111));
INSERT INTO tag_asset ("assetId", "tagId") VALUES (uid(3), uid(112));
SELECT * FROM run('TagCleanup');
SELECT value FROM tag ORDER BY value;
SELECT * FROM notes();

-- people: only those with a visible, non-deleted face stay; the others' thumbnails are queued
INSERT INTO person (id, "ownerId", name, "thumbnailPath") VALUES
  (uid(201), uid(1), 'visible face', '/data/thumbs/p/201.jpeg'),
  (uid(202), uid(1), 'all faces hidden', '/data/thumbs/p/202.jpeg'),
  (uid(203), uid(1), 'no faces', '/data/thumbs/p/203.jpeg'),
  (uid(204), uid(1), 'only a deleted face', '/data/thumbs/p/204.jpeg'),
  (uid(205), uid(1), 'no thumbnail', '');
INSERT INTO asset_face ("assetId", "personId", "isVisible", "deletedAt") VALUES
  (uid(1), uid(201), true, NULL), (uid(2), uid(201), false, NULL),
  (uid(1), uid(202), false, NULL), (uid(2), uid(202), false, NULL),
  (uid(3), uid(204), true, now() - interval '1 day');
SELECT * FROM run('PersonCleanup');
SELECT name FROM person ORDER BY name;
SELECT path, kind, subject, subject_id = uid(202) OR subject_id = uid(203) OR subject_id = uid(204) AS theirs,
       reason, done_at IS NULL AS pending
  FROM immich_maint.file_deletion ORDER BY path;
SELECT result->'files' AS files, result->'filesQueued' AS queued FROM immich_maint.job_run ORDER BY id DESC LIMIT 1;
SELECT count(*) AS faces_kept, count(*) FILTER (WHERE "personId" IS NULL) AS unassigned FROM asset_face;
SELECT count(*) AS person_audit_rows FROM person_audit;
SELECT * FROM run('PersonCleanup');

-- memories: links to assets off the timeline go; unsaved memories over 30 days old go
INSERT INTO memory (id, "ownerId", type, data, "isSaved", "memoryAt", "createdAt") VALUES
  (uid(301), uid(1), 'on_this_day', '{"year": 2020}', false, '2020-01-01', now() - interval '40 days'),
  (uid(302), uid(1), 'on_this_day', '{"year": 2019}', true, '2019-01-01', now() - interval '40 days'),
  (uid(303), uid(1), 'on_this_day', '{"year": 2018}', false, '2018-01-01', now() - interval '10 days');
INSERT INTO memory_asset ("memoriesId", "assetId") VALUES
  (uid(301), uid(1)), (uid(302), uid(2)), (uid(303), uid(3)), (uid(303), uid(5)), (uid(303), uid(6));
SELECT * FROM run('MemoryCleanup');
SELECT m.data->>'year' AS year, m."isSaved", array_agg(a.visibility ORDER BY a.visibility) AS assets
  FROM memory m LEFT JOIN memory_asset ma ON ma."memoriesId" = m.id LEFT JOIN asset a ON a.id = ma."assetId"
 GROUP BY 1, 2 ORDER BY 1;
SELECT * FROM run('MemoryCleanup');

-- notifications: soft-deleted over 3 days ago, read over 15 days, unread over 30 days
INSERT INTO notification ("userId", title, "readAt", "createdAt", "deletedAt") VALUES
  (uid(1), 'read, 20 days old',    now() - interval '19 days', now() - interval '20 days', NULL),
  (uid(1), 'read, 10 days old',    now() - interval '9 days',  now() - interval '10 days', NULL),
  (uid(1), 'unread, 35 days old',  NULL,                       now() - interval '35 days', NULL),
  (uid(1), 'unread, 20 days old',  NULL,                       now() - interval '20 days', NULL),
  (uid(1), 'deleted 4 days ago',   NULL,                       now() - interval '5 days',  now() - interval '4 days'),
  (uid(1), 'deleted 2 days ago',   NULL,                       now() - interval '5 days',  now() - interval '2 days');
SELECT * FROM run('NotificationsCleanup');
SELECT title FROM notification ORDER BY title;
SELECT * FROM run('NotificationsCleanup');
-- the day counts come from params
SELECT * FROM run('NotificationsCleanup', '{"unreadDays": 15, "readDays": 5, "deletedDays": 1}');
SELECT title FROM notification ORDER BY title;

\c immich_regress
DROP DATABASE db_jobs_cleanup;
