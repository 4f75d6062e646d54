-- Bad input to every public SQL function (issue 9): NULLs, giant text, injection text, out-of-range
-- counts, timeouts and times. Each gets a result or an error with its SQLSTATE, promptly; no
-- state is left behind (runs are inserted with explicit ids inside rolled-back transactions).
SET client_min_messages = warning;  -- the same output whether an earlier test created it
CREATE EXTENSION IF NOT EXISTS immich_maint;
RESET client_min_messages;
\set VERBOSITY default
-- after each refusal below, "\echo SQLSTATE :LAST_ERROR_SQLSTATE" pins its SQLSTATE too
-- PL/pgSQL context lines carry line numbers that change with every edit of the functions
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';

-- What a statement does, in one line: "returns <first value>" or "<SQLSTATE> <message>"; long
-- texts are shortened so a 100 KB message does not flood this file.
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
  state text;
  message text;
BEGIN
  EXECUTE statement INTO result;
  RETURN 'returns ' || coalesce(CASE WHEN length(result) > 100
    THEN left(result, 40) || '... (' || length(result) || ' characters)' ELSE result END, 'NULL');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
  RETURN state || ' ' || CASE WHEN length(message) > 100
    THEN left(message, 40) || '... (' || length(message) || ' characters)' ELSE message END;
END
$$;

-- NULL in every argument of every public function: STRICT ones return NULL (or no rows),
-- the others refuse with a SQLSTATE
SELECT statement, pg_temp.outcome(statement) FROM (VALUES
  ('SELECT immich_is_valid_backup_name(NULL)'),
  ('SELECT immich_is_routine_backup_name(NULL)'),
  ('SELECT immich_is_failed_backup_name(NULL)'),
  ('SELECT immich_backup_kind(NULL)'),
  ('SELECT immich_backup_version(NULL)'),
  ('SELECT immich_backup_name(NULL, ''2.5.0'', ''16.4'')'),
  ('SELECT immich_backup_name(''2025-01-01'', NULL, ''16.4'')'),
  ('SELECT immich_backup_name(''2025-01-01'', ''2.5.0'', NULL)'),
  ('SELECT immich_backup_compat(NULL, ''2.5.0'')'),
  ('SELECT immich_backup_compat(''x.sql'', NULL)'),
  ('SELECT immich_run_job(NULL)'),
  ('SELECT count(*) FROM immich_cron_next(NULL)'),
  ('SELECT count(*) FROM immich_cron_next(''* * * * *'', NULL)'),
  ('SELECT count(*) FROM immich_cron_next(''* * * * *'', now(), NULL)'),
  ('SELECT immich_cancel_run(NULL)'),
  ('SELECT immich_job_wait(NULL)'),
  ('SELECT immich_job_wait(1, NULL)'),
  ('SELECT immich_schedule(NULL, ''* * * * *'')'),
  ('SELECT immich_schedule(''DatabaseBackup'', NULL)'),
  ('SELECT immich_schedule(''DatabaseBackup'', ''* * * * *'', NULL)'),
  ('SELECT immich_prune_audit(NULL)'),
  ('SELECT immich_prune_audit(''1 day'', NULL)')
) AS t(statement);

-- giant text (100,000 bytes) to the name functions: answered, not refused
SELECT immich_is_valid_backup_name(repeat('a', 100000)) AS valid,
       immich_is_routine_backup_name(repeat('a', 100000)) AS routine,
       immich_is_failed_backup_name(repeat('a', 100000)) AS failed,
       immich_backup_kind(repeat('a', 100000)) AS kind,
       immich_backup_version(repeat('a', 100000)) AS version,
       immich_backup_compat(repeat('a', 100000), repeat('b', 100000)) AS compat;
SELECT length(immich_backup_version('immich-db-backup-20250101T000000-v' || repeat('1', 100000) || '-pg16.sql.gz'));
-- a name over 237 bytes is refused: no file system holds a name over 255 bytes, and a restore
-- point adds "restore-point-" and ".tmp"
SELECT length(immich_backup_name('2025-01-01', repeat('1', 100000), '16.4'));
SELECT statement, pg_temp.outcome(statement) FROM (VALUES
  ('SELECT immich_backup_name(''2025-01-01'', ''2.5.0'', repeat(''a'', 100000))'),
  ('SELECT immich_backup_name(''2025-01-01'', repeat(''/'', 100000), ''16.4'')'),
  ('SELECT immich_cron_next(repeat(''a'', 100000))'),
  ('SELECT immich_run_job(repeat(''a'', 100000))'),
  ('SELECT immich_schedule(''DatabaseBackup'', repeat(''a'', 100000))'),
  ('SELECT immich_schedule(repeat(''a'', 100000), ''* * * * *'')')
) AS t(statement);

-- the extension's error guard cuts messages at 1023 bytes; a cut inside a two-byte 'é' backs
-- off to the character's start, so the message stays valid UTF-8
SELECT pg_temp.outcome($$SELECT immich_cron_next('00' || repeat('é', 600))$$); \echo SQLSTATE :LAST_ERROR_SQLSTATE

-- names with NUL cannot reach the functions: text cannot hold a NUL byte
SELECT pg_temp.outcome($$SELECT immich_is_valid_backup_name(E'x\000.sql')$$);
SELECT pg_temp.outcome($$SELECT immich_is_valid_backup_name('x' || chr(0) || '.sql')$$);
SELECT pg_temp.outcome($$SELECT immich_is_valid_backup_name(convert_from('\x78007371'::bytea, 'UTF8'))$$);
-- traversal, absolute and unicode names are invalid; a routine-looking name with '/' is
-- counted as routine (Immich's `.*`) but is never valid, so it is never listed or restored
SELECT name, immich_is_valid_backup_name(name) AS valid, immich_backup_kind(name) AS kind
FROM (VALUES ('../x.sql'), ('/etc/x.sql'), ('.sql'), ('bäckup.sql.gz'), ('５.sql'),
             ('immich-db-backup-20250729T114018-v1/../../etc-pg14.sql.gz')) AS t(name);

-- times: infinite and out-of-range times are refused
SELECT statement, pg_temp.outcome(statement) FROM (VALUES
  ('SELECT immich_backup_name(''infinity'', ''2.5.0'', ''16.4'')'),
  ('SELECT immich_backup_name(''0001-01-01 BC'', ''2.5.0'', ''16.4'')'),
  ('SELECT immich_backup_name(''10000-01-01'', ''2.5.0'', ''16.4'')'),
  ('SELECT immich_cron_next(''* * * * *'', ''infinity'')'),
  ('SELECT immich_cron_next(''* * * * *'', ''-infinity'')'),
  ('SELECT immich_cron_next(''0 0 1 1 *'', ''4713-11-24 00:00:00+00 BC'')')
) AS t(statement);

-- n: 1 to 1000
SELECT immich_cron_next('* * * * *', '2025-01-01', 0); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_cron_next('* * * * *', '2025-01-01', -1); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_cron_next('* * * * *', '2025-01-01', 1000000); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*), max(t) FROM immich_cron_next('* * * * *', '2025-01-01 00:00:00+00', 1000) AS t;
-- after the last valid time (294276-12-31) no fire time is returned: times past timestamptz's
-- range are dropped
SELECT immich_cron_next('0 0 1 1 *', '294276-12-30 00:00:00+00');
SELECT immich_cron_next('0 0 1 1 *', '294276-12-30 00:00:00+00') + interval '1 second'; \echo SQLSTATE :LAST_ERROR_SQLSTATE

-- job names with SQL injection text are unknown jobs, and the table survives
CREATE TABLE bad_input_y (id int);
SELECT immich_run_job('x''; DROP TABLE bad_input_y; --'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_schedule('x''; DROP TABLE bad_input_y; --', '* * * * *'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_schedule('DatabaseBackup', '* * * * *''; DROP TABLE bad_input_y; --'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('bad_input_y') IS NOT NULL AS table_survives;
DROP TABLE bad_input_y;
SELECT immich_schedule('DatabaseRestore', '0 3 * * *'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_schedule('DatabaseBackup', '*/0 * * * *'); \echo SQLSTATE :LAST_ERROR_SQLSTATE

-- keep counts: keepLastAmount lives in the schedule's params, and any number is stored
-- (the sidecar refuses any but an integer 1..1000000 before it writes or deletes a file)
BEGIN;
UPDATE immich_maint.schedule SET params = '{"keepLastAmount": -1}' WHERE job = 'DatabaseBackup'
  RETURNING params;
UPDATE immich_maint.schedule SET params = '{"keepLastAmount": 4294967297}' WHERE job = 'DatabaseBackup'
  RETURNING params;
SELECT pg_temp.outcome($$UPDATE immich_maint.schedule SET params = '[]' WHERE job = 'DatabaseBackup'
  RETURNING params$$);
ROLLBACK;
-- batch counts and ages for immich_prune_audit
SELECT immich_prune_audit('1 day', -1); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_prune_audit('1 day', 0); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_prune_audit('-1 day', 10); \echo SQLSTATE :LAST_ERROR_SQLSTATE

-- timeouts for immich_job_wait, on runs that exist only inside these transactions
SELECT last_value AS run_seq_before FROM immich_maint.job_run_id_seq \gset
BEGIN;
INSERT INTO immich_maint.job_run (id, job, runner, trigger) VALUES (-42, 'DatabaseBackup', 'sidecar', 'manual');
SELECT clock_timestamp() AS started \gset
SELECT immich_job_wait(-42, '-1 second'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT clock_timestamp() - :'started' < interval '1 second' AS negative_timeout_is_prompt;
BEGIN;
INSERT INTO immich_maint.job_run (id, job, runner, trigger) VALUES (-42, 'DatabaseBackup', 'sidecar', 'manual');
SELECT immich_job_wait(-42, '0'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
INSERT INTO immich_maint.job_run (id, job, runner, trigger) VALUES (-42, 'DatabaseBackup', 'sidecar', 'manual');
-- a timeout past the end of time means "wait for ever" (capped at 100 years), not an overflow:
-- the wait goes on until statement_timeout ends it
SET LOCAL statement_timeout = '300ms';
SELECT immich_job_wait(-42, '1000000 years'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
INSERT INTO immich_maint.job_run (id, job, runner, trigger, status)
  VALUES (-42, 'DatabaseBackup', 'sidecar', 'manual', 'succeeded');
SELECT immich_job_wait(-42, '1000 years') AS finished_run_returns_at_once;
ROLLBACK;
SELECT immich_job_wait(-9223372036854775808, '-1 second'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_job_wait(9223372036854775807); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_cancel_run(-9223372036854775808); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT last_value = :run_seq_before AS run_ids_untouched FROM immich_maint.job_run_id_seq;

-- a role without immich_maint_admin is refused before its arguments are looked at
-- (a timeout too large to add to now included: it is capped at 100 years)
CREATE ROLE bad_input_plain;
SET ROLE bad_input_plain;
SELECT immich_cancel_run(NULL); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_job_wait(NULL); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_job_wait(1, '1000000 years'); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_schedule('x''; DROP TABLE bad_input_y; --', NULL); \echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT immich_run_job(NULL) IS NULL AS strict_before_privileges;
RESET ROLE;
DROP ROLE bad_input_plain;
