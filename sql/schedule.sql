-- Schedules: immich_cron_next, immich_schedule, the scheduler step (due, not due, late, missed
-- with and without catch-up, disabled, @reboot, intervals), the status view and privileges.
-- The launcher serves database immich, not this one: only explicit steps run here.
CREATE EXTENSION IF NOT EXISTS immich_maint;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- runs are numbered from 1 here, whatever earlier tests left
DELETE FROM immich_maint.job_run;
SELECT setval('immich_maint.job_run_id_seq', 1, false) AS reset \gset
SHOW immich_maint.timezone;

-- immich_cron_next: fire times in the zone of immich_maint.timezone (GMT)
SELECT immich_cron_next('0 0 $ * *', '2024-01-15 12:00+00', 4) AS last_day_of_month;
SELECT immich_cron_next('30 4 * * mon-fri', '2024-03-01 05:00+00', 4) AS weekdays;
SELECT immich_cron_next('0 0 1-7 * 0', '2024-05-31 00:00+00', 6) AS first_week_or_sunday;
SELECT immich_cron_next('0 0 */2 * 1', '2024-01-01 00:00+00', 3) AS odd_day_and_monday;
SELECT immich_cron_next('*/20 9-10 * JAN-MAR/2 *', '2024-01-31 23:00+00', 4) AS names_and_steps;
SELECT immich_cron_next('45 seconds', '2024-01-01 00:00:10+00', 3) AS interval;
SELECT immich_cron_next('@weekly', '2024-01-01 00:00+00', 2) AS weekly;
SELECT immich_cron_next('@yearly', '2024-06-01 00:00+00', 2) AS yearly;
SELECT immich_cron_next('0 0 29 2 *', '2024-03-01 00:00+00') AS next_leap_day;
SELECT count(*) AS reboot_fire_times FROM immich_cron_next('@reboot', '2024-01-01 00:00+00', 3);
SELECT count(*) AS null_fire_times FROM immich_cron_next(NULL);
SELECT count(*), min(t), max(t) FROM immich_cron_next('* * * * *', '2024-01-01 00:00+00', 1000) t;
SELECT immich_cron_next('0 2 * * *') > now() AS after_now_by_default;

-- refused: what pg_cron rejects, what it silently misreads, and bad arguments
SELECT immich_cron_next('0 0 31 2 *');
SELECT immich_cron_next('1.5 * * * *');
SELECT immich_cron_next('0 0 2 * * *');
SELECT immich_cron_next('60 seconds');
SELECT immich_cron_next('* * * * *', '2024-01-01 00:00+00', 0);
SELECT immich_cron_next('* * * * *', '2024-01-01 00:00+00', 1001);
SELECT immich_cron_next('* * * * *', 'infinity');
\set VERBOSITY sqlstate
SELECT immich_cron_next('5-1 * * * *');
SELECT immich_cron_next('* * * * *', '2024-01-01 00:00+00', -1);
\set VERBOSITY default
-- a zone the tz database does not have is refused when it is set
ALTER SYSTEM SET immich_maint.timezone = 'Mars/Olympus_Mons';

-- immich_schedule: saves the schedule and computes next_run (in one transaction, so now() agrees)
BEGIN;
SELECT immich_schedule('TagCleanup', '*/5 * * * *');
SELECT job, cron, enabled, catch_up, next_run = immich_cron_next(cron, now()) AS next_run_ok
FROM immich_maint.schedule WHERE job = 'TagCleanup';
COMMIT;
-- catch_up: set, then kept when NULL; disabled and @reboot schedules have no next_run
SELECT immich_schedule('TagCleanup', '0 3 * * *', true, true);
SELECT immich_schedule('TagCleanup', '0 4 * * *');
SELECT immich_schedule('SessionCleanup', '0 4 * * *', false);
SELECT immich_schedule('MemoryGenerate', '@reboot');
SELECT job, cron, enabled, catch_up, next_run IS NULL AS no_next_run
FROM immich_maint.schedule WHERE job IN ('TagCleanup', 'SessionCleanup', 'MemoryGenerate')
ORDER BY job;
-- a job without a row gets one, with the job's defaults for catch_up and params
DELETE FROM immich_maint.schedule WHERE job = 'DatabaseBackup';
SELECT immich_schedule('DatabaseBackup', '0 02 * * *');
SELECT job, cron, enabled, catch_up, params FROM immich_maint.schedule WHERE job = 'DatabaseBackup';

-- refused: invalid schedules (as immich_cron_next), unknown jobs, a restore, NULLs
SELECT immich_schedule('TagCleanup', '0 0 * * 1#2');
SELECT immich_schedule('TagCleanup', '*/0 10 * * *');
SELECT immich_schedule('tagcleanup', '0 0 * * *');
SELECT immich_schedule('DatabaseRestore', '0 0 * * *');
SELECT immich_schedule('TagCleanup', NULL);
-- writing the table directly is validated the same way
UPDATE immich_maint.schedule SET cron = '0 0 30 2 *' WHERE job = 'TagCleanup';
SELECT cron FROM immich_maint.schedule WHERE job = 'TagCleanup';

-- run_scheduler_tick: one step at a given time. Every schedule off to start with; run numbers
-- count from the runs earlier tests left (:base).
SELECT coalesce(max(id), 0) AS base FROM immich_maint.job_run \gset
UPDATE immich_maint.schedule SET enabled = false;
UPDATE immich_maint.schedule SET cron = '0 0 * * *', enabled = true, catch_up = false
  WHERE job = 'TagCleanup';
UPDATE immich_maint.schedule SET cron = '0 02 * * *', enabled = true, catch_up = true
  WHERE job = 'DatabaseBackup';
UPDATE immich_maint.schedule SET next_run = '2024-03-01 00:00+00', last_run = NULL
  WHERE job = 'TagCleanup';
UPDATE immich_maint.schedule SET next_run = '2024-03-01 02:00+00', last_run = '2024-02-29 02:00+00'
  WHERE job = 'DatabaseBackup';
CREATE VIEW schedule_state AS
  SELECT job, cron, catch_up, next_run, last_run FROM immich_maint.schedule WHERE enabled;
CREATE VIEW runs AS
  SELECT id - :base AS run, job, runner, trigger, status, requested_by, due_at
  FROM immich_maint.job_run WHERE id > :base;

-- due: TagCleanup at midnight; next_run moves to the next fire time after now
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-01 00:00:05+00');
SELECT * FROM schedule_state ORDER BY job;
SELECT * FROM runs ORDER BY run;
-- not due: nothing happens
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-01 01:59:59+00');
-- due exactly now: the backup (nobody else holds lock 42 in this database)
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-01 02:00:00+00');
-- late while the scheduler was running (it started before the due time): still trigger schedule
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-02 00:07:00+00', '2024-03-01 12:00+00');
SELECT * FROM schedule_state ORDER BY job;

-- missed while the scheduler was down (due times before it started, three days ago):
-- DatabaseBackup (catch_up) runs once for the latest due time; TagCleanup (no catch_up) skips
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-05 10:00+00', '2024-03-05 09:59:58+00');
SELECT * FROM schedule_state ORDER BY job;
SELECT * FROM runs WHERE run > 3 ORDER BY run;
-- a step right after holds nothing more: one run per schedule however long the downtime
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-05 10:00:01+00', '2024-03-05 09:59:58+00');

-- disabled: never queued, even with a past next_run
UPDATE immich_maint.schedule SET next_run = '2024-03-01 00:00+00' WHERE job = 'PersonCleanup';
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-05 10:00:02+00');
SELECT enabled, next_run FROM immich_maint.schedule WHERE job = 'PersonCleanup';

-- @reboot: once per scheduler start, never without one
UPDATE immich_maint.schedule SET cron = '@reboot', enabled = true WHERE job = 'MemoryGenerate';
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-05 10:00:03+00');
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-05 10:00:04+00', '2024-03-05 10:00:04+00');
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-05 10:00:05+00', '2024-03-05 10:00:04+00');
-- (a new start: the backup due at 02:00 while down is caught up as well)
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-06 08:00:00+00', '2024-03-06 07:59:59+00');
SELECT job, next_run, last_run FROM immich_maint.schedule WHERE job = 'MemoryGenerate';

-- an interval schedule runs N seconds after the previous start
UPDATE immich_maint.schedule SET cron = '30 seconds', enabled = true WHERE job = 'SessionCleanup';
UPDATE immich_maint.schedule SET next_run = '2024-03-06 08:00:10+00' WHERE job = 'SessionCleanup';
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-06 08:00:11.5+00');
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-06 08:00:41+00');
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-06 08:00:42+00');
SELECT job, next_run, last_run FROM immich_maint.schedule WHERE job = 'SessionCleanup';

SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick(NULL);
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('infinity');

-- the status view: one row per job; no launcher serves this database; lock 42 is free
\d immich_maint.status
SELECT job, runner, cron, enabled, last_run_id - :base AS last_run, last_trigger, last_status,
       launcher_pid, backup_lock, backup_lock_pid, sidecar_heartbeat
FROM immich_maint.status ORDER BY job;
-- lock 42 held by a session: the view names it (here this session: 'other' than a launcher)
SELECT pg_advisory_lock(42);
SELECT DISTINCT backup_lock, backup_lock_pid = pg_backend_pid() AS this_session
FROM immich_maint.status;
SELECT pg_advisory_unlock(42);

-- privileges: everyone reads the status and checks schedules; only admins change or step them
CREATE ROLE schedule_plain;
CREATE ROLE schedule_admin IN ROLE immich_maint_admin;
SET ROLE schedule_plain;
SELECT count(*) AS status_rows FROM immich_maint.status;
SELECT immich_cron_next('0 2 * * *', '2024-01-01 00:00+00') AS plain_can_check;
SELECT immich_schedule('TagCleanup', '0 1 * * *');
UPDATE immich_maint.schedule SET cron = '0 1 * * *' WHERE job = 'TagCleanup';
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-07 00:00+00');
SELECT * FROM immich_maint.scheduler_tick('2024-03-07 00:00+00', NULL);
SELECT count(*) FROM immich_maint.job_run;
RESET ROLE;
SET ROLE schedule_admin;
SELECT immich_schedule('TagCleanup', '0 1 * * *', true, false);
UPDATE immich_maint.schedule SET cron = '15 1 * * *' WHERE job = 'TagCleanup';
UPDATE immich_maint.schedule SET cron = '99 1 * * *' WHERE job = 'TagCleanup';
-- admins may not forge next_run, but may step the scheduler (the interval schedule is due)
UPDATE immich_maint.schedule SET next_run = '2024-03-07 00:00+00' WHERE job = 'TagCleanup';
SELECT job, run_id - :base AS run, trigger, due
FROM immich_maint.run_scheduler_tick('2024-03-07 00:00+00');
SELECT cron, next_run > now() AS next_run_ahead FROM immich_maint.schedule WHERE job = 'TagCleanup';
RESET ROLE;
DROP ROLE schedule_plain;
DROP ROLE schedule_admin;
DROP VIEW schedule_state;
DROP VIEW runs;
