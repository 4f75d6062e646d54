-- Jobs and runs: the catalogue, seeded schedules, queueing, waiting, cancelling, privileges.
CREATE EXTENSION IF NOT EXISTS immich_maint;
\set SHOW_CONTEXT never

SELECT name, runner, default_cron, default_enabled, default_catch_up, default_params
FROM immich_maint.job_catalog() ORDER BY name;

-- Immich's defaults: backup at 02:00 keeping 14 (catch-up on), nightly cleanups at midnight
SELECT job, cron, enabled, catch_up, params FROM immich_maint.schedule ORDER BY job;

-- queueing: a committed run, even if the caller rolls back
BEGIN;
SELECT immich_backup_now() > 0 AS queued;
ROLLBACK;
SELECT job, runner, trigger, status, requested_by, params FROM immich_maint.job_run ORDER BY id;

SELECT immich_run_job('TagCleanup') > 0 AS queued;
SELECT job, runner, status FROM immich_maint.job_run ORDER BY id DESC LIMIT 1;

-- unknown jobs are refused with the valid names
\set VERBOSITY default
SELECT immich_run_job('databasebackup');
SELECT immich_run_job('');
SELECT immich_run_job(NULL) IS NULL AS null_job;

-- waiting: times out on a run nobody works on; a finished run returns at once
SELECT immich_job_wait((SELECT max(id) FROM immich_maint.job_run), '200 milliseconds');
UPDATE immich_maint.job_run SET status = 'succeeded', finished_at = now()
  WHERE id = (SELECT max(id) FROM immich_maint.job_run);
SELECT immich_job_wait((SELECT max(id) FROM immich_maint.job_run));
SELECT immich_job_wait(-1);
SELECT immich_job_wait(1, NULL);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT immich_job_wait(1, '1 second');
ROLLBACK;

-- cancelling: only queued runs
SELECT immich_cancel_run((SELECT min(id) FROM immich_maint.job_run));
SELECT status, error FROM immich_maint.job_run ORDER BY id LIMIT 1;
SELECT immich_cancel_run((SELECT min(id) FROM immich_maint.job_run));
SELECT immich_cancel_run(-1);

-- privileges: a plain role may do none of it; a member of immich_maint_admin may
CREATE ROLE jobs_plain;
CREATE ROLE jobs_admin IN ROLE immich_maint_admin;
SET ROLE jobs_plain;
SELECT immich_backup_now();
SELECT immich_run_job('TagCleanup');
SELECT immich_job_wait(1);
SELECT immich_cancel_run(1);
SELECT count(*) FROM immich_maint.job_run;
RESET ROLE;
SET ROLE jobs_admin;
SELECT immich_backup_now() > 0 AS admin_can_queue;
SELECT count(*) > 0 AS admin_can_read FROM immich_maint.job_run;
SELECT immich_cancel_run((SELECT max(id) FROM immich_maint.job_run));
RESET ROLE;
DROP ROLE jobs_plain;
DROP ROLE jobs_admin;
