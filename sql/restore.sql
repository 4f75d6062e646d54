-- Restore from SQL: immich_restore queues a sidecar run with the name and the caller's pid,
-- refuses bad names and non-admins; a dumped schedule row replaces the seeded one on COPY (so
-- a dump of this database restores); immich_job_wait holds no lock on job_run between looks.
SET client_min_messages = warning;  -- the same output whether an earlier test created it
CREATE EXTENSION IF NOT EXISTS immich_maint;
RESET client_min_messages;

SELECT immich_restore('immich-db-backup-20250729T114018-v2.5.0-pg15.20.sql.gz') AS run \gset
SELECT job, runner, status, params->>'name' AS name,
       (params->>'requester_pid')::int = pg_backend_pid() AS caller_spared
FROM immich_maint.job_run WHERE id = :run;
SELECT immich_cancel_run(:run);

-- names Immich refuses never reach the sidecar
\set VERBOSITY default
SELECT immich_restore('../immich-db-backup-1.sql.gz');
SELECT immich_restore('/data/backups/x.sql.gz');
SELECT immich_restore('backup.txt');
SELECT immich_restore(NULL) IS NULL AS null_name;

-- privileges: admins only
CREATE ROLE restore_plain;
SET ROLE restore_plain;
SELECT immich_restore('x.sql.gz');
RESET ROLE;
DROP ROLE restore_plain;

-- pg_dump's COPY of the config table after CREATE EXTENSION's seeded rows: no duplicate key
BEGIN;
COPY immich_maint.schedule (job, cron, enabled, catch_up, params) FROM stdin;
DatabaseBackup	30 1 * * *	t	t	{"keepLastAmount": 7}
\.
SELECT job, cron, params FROM immich_maint.schedule WHERE job = 'DatabaseBackup';
-- a plain INSERT is not a restore: it still conflicts
INSERT INTO immich_maint.schedule (job, cron) VALUES ('DatabaseBackup', '0 5 * * *');
ROLLBACK;

-- waiting takes no lasting lock on job_run
BEGIN;
SELECT immich_job_wait(:run);
SELECT count(*) AS job_run_locks FROM pg_locks
WHERE pid = pg_backend_pid() AND relation = 'immich_maint.job_run'::regclass;
ROLLBACK;

-- leave job_run as found: later tests number their runs from the highest id
DELETE FROM immich_maint.job_run WHERE id = :run;
SELECT setval('immich_maint.job_run_id_seq',
              (SELECT coalesce(max(id), 0) + 1 FROM immich_maint.job_run), false) > 0 AS reset;
