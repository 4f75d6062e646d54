-- AuditTableCleanup, AuditLogCleanup and immich_prune_audit: batches, retention, Immich versions
-- without some audit tables, lock timeouts, and how run_database_job ends a run.
\getenv abs_srcdir PG_ABS_SRCDIR
\set db db_jobs_audit
\set setup :abs_srcdir '/sql/db_jobs_setup.psql'
\i :setup

-- 45 asset_audit rows deleted 1.5..45.5 days ago, 3 person_audit rows 40 days ago
INSERT INTO asset_audit ("assetId", "ownerId", "deletedAt")
  SELECT uid(g), uid(0), now() - (g + 0.5) * interval '1 day' FROM generate_series(1, 45) g;
INSERT INTO person_audit ("personId", "ownerId", "deletedAt")
  SELECT uid(g), uid(0), now() - interval '40 days' FROM generate_series(1, 3) g;

-- default retention (31 days) in batches of 4: rows 31.5..45.5 days old go, 15 in 4 batches
SELECT * FROM run('AuditTableCleanup', '{"batchSize": 4}') WHERE counts->>'deleted' <> '0';
SELECT count(*), max(now() - "deletedAt") < interval '32 days' AS newest_kept FROM asset_audit;
SELECT count(*) FROM person_audit;
SELECT result->'deleted' AS deleted, progress, error FROM immich_maint.job_run ORDER BY id DESC LIMIT 1;
SELECT count(*) AS steps FROM jsonb_object_keys((SELECT result->'steps' FROM immich_maint.job_run ORDER BY id DESC LIMIT 1));

-- more rows than a batch share one "deletedAt": they go together
INSERT INTO album_audit ("albumId", "userId", "deletedAt")
  SELECT uid(g), uid(0), date_trunc('second', now()) - interval '50 days' FROM generate_series(1, 10) g;
SELECT step, counts FROM run('AuditTableCleanup', '{"batchSize": 4}') WHERE step = 'album_audit';
SELECT count(*) FROM album_audit;

-- nothing to do: every table visited, nothing deleted
SELECT count(*) AS steps, sum((counts->>'deleted')::int) AS deleted FROM run('AuditTableCleanup');

-- retentionDays from params (what schedule.params carries); olderThan wins over it
SELECT step, counts FROM run('AuditTableCleanup', '{"retentionDays": 20.25}') WHERE step = 'asset_audit';
SELECT step, counts FROM run('AuditTableCleanup', '{"olderThan": "10 days 1 hour"}') WHERE step = 'asset_audit';
SELECT count(*) FROM asset_audit;

-- an Immich version without some audit tables, and one with an extra *_audit table
DROP TABLE asset_edit_audit, user_metadata_audit;
CREATE TABLE tag_audit (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "tagId" uuid,
                        "deletedAt" timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE odd_audit (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
INSERT INTO tag_audit ("deletedAt") SELECT now() - interval '50 days' FROM generate_series(1, 2);
SELECT step, counts FROM run('AuditTableCleanup') WHERE step IN ('tag_audit', 'odd_audit', 'asset_edit_audit');
SELECT * FROM notes();

-- immich_prune_audit: the same job, run now, returning the rows deleted
INSERT INTO asset_audit ("assetId", "ownerId", "deletedAt")
  SELECT uid(g), uid(0), now() - interval '3 days' - g * interval '1 hour' FROM generate_series(1, 30) g;
SELECT immich_prune_audit();
SELECT immich_prune_audit('3 days', 7);
SELECT count(*) FROM asset_audit;
SELECT job, trigger, status, params->'olderThan' AS older_than, params->'batchSize' AS batch,
       result->'steps'->'asset_audit'->'batches' AS batches
  FROM immich_maint.job_run ORDER BY id DESC LIMIT 1;
SELECT immich_prune_audit('0 seconds') > 0 AS pruned_everything;
SELECT count(*) FROM asset_audit;

-- immich_prune_audit refuses bad arguments
SELECT immich_prune_audit(NULL);
SELECT immich_prune_audit('1 day', NULL);
SELECT immich_prune_audit('-1 day');
SELECT immich_prune_audit('1 day', 0);
SELECT immich_prune_audit('1 day', -5);

-- bad params fail the run, with the message in job_run.error
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '{"retentionDays": "a month"}');
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '{"batchSize": 2.5}');
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '{"olderThan": "-2 days"}');
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '{"olderThan": "soon"}');
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '{"lockTimeout": "forever"}');
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '{"lockRetries": -1}');
SELECT status, error FROM immich_maint.job_run ORDER BY id DESC LIMIT 1;
SELECT * FROM immich_maint.run_now('AuditTableCleanup', '"x"');
SELECT * FROM immich_maint.run_now('DatabaseBackup');
SELECT * FROM immich_maint.run_now('auditTableCleanup');
SELECT * FROM immich_maint.run_now(NULL);

-- a lock held elsewhere: each batch waits lockTimeout, is retried lockRetries times, then the
-- table is skipped with a note and the run goes on
INSERT INTO asset_audit ("assetId", "ownerId", "deletedAt")
  SELECT uid(g), uid(0), now() - interval '60 days' FROM generate_series(1, 5) g;
INSERT INTO person_audit ("personId", "ownerId", "deletedAt")
  SELECT uid(g), uid(0), now() - interval '60 days' FROM generate_series(1, 5) g;
BEGIN;
LOCK TABLE asset_audit IN ACCESS EXCLUSIVE MODE;
SELECT step, counts FROM run('AuditTableCleanup', '{"lockTimeout": "20ms", "lockRetries": 2}')
  WHERE step IN ('asset_audit', 'person_audit');
SELECT * FROM notes();
COMMIT;
SELECT (SELECT count(*) FROM asset_audit) AS asset_audit, (SELECT count(*) FROM person_audit) AS person_audit;

-- AuditLogCleanup: the legacy audit table, 100 days; absent in this version
SELECT * FROM run('AuditLogCleanup');
SELECT * FROM notes();
CREATE TABLE audit (id serial PRIMARY KEY, "entityId" uuid, "createdAt" timestamptz NOT NULL);
INSERT INTO audit ("createdAt") SELECT now() - (g * 10 - 5) * interval '1 day' FROM generate_series(1, 12) g;
SELECT * FROM run('AuditLogCleanup');
SELECT count(*) FROM audit;

-- run_database_job: a run queued for the launcher, run by hand
SELECT queue('AuditTableCleanup', '{"batchSize": 2}') AS run \gset
CALL immich_maint.run_database_job(:run);
SELECT status, progress, error, finished_at >= started_at AS timed FROM immich_maint.job_run WHERE id = :run;

-- a failure inside a batch fails the run with its message; earlier steps stay done
INSERT INTO album_audit ("albumId", "userId", "deletedAt") VALUES (uid(1), uid(1), now() - interval '90 days');
INSERT INTO stack_audit ("stackId", "userId", "deletedAt") VALUES (uid(1), uid(1), now() - interval '90 days');
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'stack_audit is read-only today' USING ERRCODE = '25006'; END $$;
CREATE TRIGGER refuse BEFORE DELETE ON stack_audit FOR EACH ROW EXECUTE FUNCTION refuse();
SELECT queue('AuditTableCleanup') AS run \gset
CALL immich_maint.run_database_job(:run);
SELECT status, error, result->>'failedStep' AS step, result->>'sqlstate' AS sqlstate,
       result->'steps'->'album_audit'->'deleted' AS album_audit_deleted, finished_at IS NOT NULL AS finished
  FROM immich_maint.job_run WHERE id = :run;
SELECT (SELECT count(*) FROM album_audit) AS album_audit, (SELECT count(*) FROM stack_audit) AS stack_audit;
-- through run_now the same failure is raised
SELECT * FROM immich_maint.run_now('AuditTableCleanup');
DROP TRIGGER refuse ON stack_audit;

-- runs that cannot be run
CALL immich_maint.run_database_job(NULL);
CALL immich_maint.run_database_job(-1);
CALL immich_maint.run_database_job(:run);
INSERT INTO immich_maint.job_run (job, runner, trigger) VALUES ('DatabaseBackup', 'sidecar', 'manual')
  RETURNING id AS sidecar_run \gset
CALL immich_maint.run_database_job(:sidecar_run);
SELECT queue('AuditTableCleanup') AS run \gset
BEGIN;
CALL immich_maint.run_database_job(:run);
ROLLBACK;
SELECT status FROM immich_maint.job_run WHERE id = :run;
-- a job without a body yet fails its run
INSERT INTO immich_maint.job (name, runner, description) VALUES ('FutureCleanup', 'database', 'later');
SELECT queue('FutureCleanup') AS run \gset
CALL immich_maint.run_database_job(:run);
SELECT status, error FROM immich_maint.job_run WHERE id = :run;

-- privileges: a plain role may run nothing; an admin may
CREATE ROLE db_jobs_plain;
CREATE ROLE db_jobs_admin IN ROLE immich_maint_admin;
SET ROLE db_jobs_plain;
SELECT immich_prune_audit();
SELECT * FROM immich_maint.run_now('TagCleanup');
CALL immich_maint.run_database_job(1);
SET ROLE db_jobs_admin;
SELECT immich_prune_audit();
SELECT run_id AS admin_run FROM immich_maint.run_now('AuditLogCleanup') \gset
SELECT job, status, requested_by FROM immich_maint.job_run WHERE id = :admin_run;
RESET ROLE;
DROP ROLE db_jobs_plain;
DROP ROLE db_jobs_admin;

\c immich_regress
DROP DATABASE db_jobs_audit;
