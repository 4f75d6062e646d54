-- immich_maint 0.1.0: Immich's backup-name rules as SQL.
\echo Use "CREATE EXTENSION immich_maint" to load this file. \quit

CREATE SCHEMA immich_maint;
COMMENT ON SCHEMA immich_maint IS 'immich_maint: schedules, runs and backup inventory';

CREATE FUNCTION immich_is_valid_backup_name(name text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'immich_is_valid_backup_name'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_is_valid_backup_name(text) IS
  'True when Immich accepts the name for list, delete, download, upload and restore: ^[\d\w-.]+\.sql(?:\.gz)?$ (ASCII)';

CREATE FUNCTION immich_is_routine_backup_name(name text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'immich_is_routine_backup_name'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_is_routine_backup_name(text) IS
  'True for names Immich''s retention counts: immich-db-backup-<YYYYMMDD>T<HHmmss>-v<version>-pg<version>.sql.gz or the old immich-db-backup-<epoch ms>.sql.gz';

CREATE FUNCTION immich_is_failed_backup_name(name text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'immich_is_failed_backup_name'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_is_failed_backup_name(text) IS
  'True for a partial backup left by a failed run (immich-db-backup-*.sql.gz.tmp); retention deletes these';

CREATE FUNCTION immich_backup_kind(name text) RETURNS text
  AS 'MODULE_PATHNAME', 'immich_backup_kind'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_backup_kind(text) IS
  'routine, routine-legacy, uploaded, restore-point, failed, other (valid but none of these) or invalid';

CREATE FUNCTION immich_backup_version(name text) RETURNS text
  AS 'MODULE_PATHNAME', 'immich_backup_version'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_backup_version(text) IS
  'The Immich version in a backup name, as Immich reads it (first capture of -v(.*)-, greedy); NULL when none';

CREATE FUNCTION immich_backup_name(at timestamp, immich_version text, pg_version text) RETURNS text
  AS 'MODULE_PATHNAME', 'immich_backup_name'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_backup_name(timestamp, text, text) IS
  'The routine backup name Immich would write at local time at: immich-db-backup-YYYYMMDDTHHmmss-v<immich_version>-pg<first word of pg_version>.sql.gz';

CREATE FUNCTION immich_backup_compat(name text, current_version text) RETURNS text
  AS 'MODULE_PATHNAME', 'immich_backup_compat'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION immich_backup_compat(text, text) IS
  'ok when the backup was made by current_version of Immich, other-version when by another (migrations will run), unknown when the name has no version';

-- ---------------------------------------------------------------------------------------------
-- Jobs, schedules and runs
-- ---------------------------------------------------------------------------------------------

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'immich_maint_admin') THEN
    CREATE ROLE immich_maint_admin NOLOGIN;
  END IF;
END
$$;

CREATE FUNCTION immich_maint.job_catalog(
    OUT name text, OUT runner text, OUT default_cron text, OUT default_enabled boolean,
    OUT default_catch_up boolean, OUT default_params jsonb, OUT description text)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'immich_maint_job_catalog'
  LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION immich_maint.job_catalog() IS
  'The jobs immich_maint knows, by Immich''s names, with where they run and their defaults';

-- The catalogue as a table so foreign keys can refer to it; not dumped (it comes with the code).
CREATE TABLE immich_maint.job (
  name text PRIMARY KEY,
  runner text NOT NULL CHECK (runner IN ('database', 'sidecar')),
  description text NOT NULL
);
INSERT INTO immich_maint.job SELECT name, runner, description FROM immich_maint.job_catalog();

CREATE TABLE immich_maint.schedule (
  job text PRIMARY KEY REFERENCES immich_maint.job (name),
  cron text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  catch_up boolean NOT NULL DEFAULT false,
  params jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  next_run timestamptz,
  last_run timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE immich_maint.schedule IS
  'One row per scheduled job: cron expression (pg_cron syntax), enabled, catch_up, params; next_run and last_run are kept by the launcher';
INSERT INTO immich_maint.schedule (job, cron, enabled, catch_up, params)
  SELECT name, default_cron, default_enabled, default_catch_up, default_params
  FROM immich_maint.job_catalog() WHERE default_cron <> '';
-- Schedules are configuration: they survive pg_dump and restore.
SELECT pg_catalog.pg_extension_config_dump('immich_maint.schedule', '');

CREATE TABLE immich_maint.job_run (
  id bigserial PRIMARY KEY,
  job text NOT NULL REFERENCES immich_maint.job (name),
  runner text NOT NULL CHECK (runner IN ('database', 'sidecar')),
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'catch-up', 'reboot')),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  params jsonb NOT NULL DEFAULT '{}',
  requested_by text NOT NULL DEFAULT current_user,
  queued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  worker text,
  heartbeat_at timestamptz,
  progress real CHECK (progress BETWEEN 0 AND 1),
  result jsonb,
  error text
);
CREATE INDEX job_run_open ON immich_maint.job_run (runner, id) WHERE status IN ('queued', 'running');
CREATE INDEX job_run_job ON immich_maint.job_run (job, id DESC);
COMMENT ON TABLE immich_maint.job_run IS
  'Every run of every job: trigger, status, times, worker, heartbeat, progress, result and error';

-- Raises permission denied unless the current role is a superuser or a member of
-- immich_maint_admin. Every function that changes or waits on jobs calls it first.
CREATE FUNCTION immich_maint.require_admin(action text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user, 'immich_maint_admin', 'USAGE') THEN
    RAISE EXCEPTION 'permission denied to %', action
      USING ERRCODE = '42501',
            HINT = 'Grant immich_maint_admin to the role, or run as a superuser.';
  END IF;
END
$$;

-- Inserts a queued run and tells listening sidecars. Internal: called by the launcher and by
-- the worker that immich_run_job starts, both as superuser.
CREATE FUNCTION immich_maint.enqueue(job_name text, run_trigger text, requested_by text)
  RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run_id bigint;
BEGIN
  INSERT INTO immich_maint.job_run (job, runner, trigger, params, requested_by)
    SELECT j.name, j.runner, run_trigger, coalesce(s.params, '{}'), requested_by
    FROM immich_maint.job j LEFT JOIN immich_maint.schedule s ON s.job = j.name
    WHERE j.name = job_name
    RETURNING id INTO run_id;
  PERFORM pg_catalog.pg_notify('immich_maint', run_id::text);
  RETURN run_id;
END
$$;
REVOKE ALL ON FUNCTION immich_maint.enqueue(text, text, text) FROM PUBLIC;

CREATE FUNCTION immich_run_job(job text) RETURNS bigint
  AS 'MODULE_PATHNAME', 'immich_run_job'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION immich_run_job(text) IS
  'Queue a job now by Immich''s name (DatabaseBackup, AuditTableCleanup, TagCleanup, ...) and return the run id. The run is committed at once, even if the calling transaction rolls back, so immich_job_wait can wait for it in the same statement. superuser or immich_maint_admin only';

CREATE FUNCTION immich_backup_now() RETURNS bigint
  LANGUAGE sql VOLATILE AS $$ SELECT immich_run_job('DatabaseBackup') $$;
COMMENT ON FUNCTION immich_backup_now() IS
  'Queue a database backup now (the sidecar runs it) and return the run id; superuser or immich_maint_admin only';

CREATE FUNCTION immich_job_wait(run_id bigint, timeout interval DEFAULT '1 hour') RETURNS text
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + timeout;
  run_status text;
BEGIN
  PERFORM immich_maint.require_admin('wait on immich_maint runs');
  IF run_id IS NULL OR timeout IS NULL THEN
    RAISE EXCEPTION 'run id and timeout must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'immich_job_wait needs READ COMMITTED isolation'
      USING ERRCODE = '25000', DETAIL = 'A snapshot taken once would never see the run end.';
  END IF;
  LOOP
    SELECT r.status INTO run_status FROM immich_maint.job_run r WHERE r.id = run_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'run % does not exist', run_id USING ERRCODE = '22023';
    END IF;
    IF run_status IN ('succeeded', 'failed', 'cancelled') THEN
      RETURN run_status;
    END IF;
    IF clock_timestamp() >= deadline THEN
      RAISE EXCEPTION 'timed out waiting for run % after %', run_id, timeout
        USING ERRCODE = '57014', DETAIL = format('The run is still %s.', run_status);
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
COMMENT ON FUNCTION immich_job_wait(bigint, interval) IS
  'Block until the run ends and return its status (succeeded, failed, cancelled); error 57014 on timeout; superuser or immich_maint_admin only';

CREATE FUNCTION immich_cancel_run(run_id bigint) RETURNS text
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run_status text;
BEGIN
  PERFORM immich_maint.require_admin('cancel immich_maint runs');
  UPDATE immich_maint.job_run r SET status = 'cancelled', finished_at = now(),
         error = 'cancelled by ' || current_user
    WHERE r.id = run_id AND r.status = 'queued'
    RETURNING r.status INTO run_status;
  IF FOUND THEN RETURN run_status; END IF;
  SELECT r.status INTO run_status FROM immich_maint.job_run r WHERE r.id = run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'run % does not exist', run_id USING ERRCODE = '22023';
  END IF;
  RAISE EXCEPTION 'run % is %; only a queued run can be cancelled', run_id, run_status
    USING ERRCODE = '55000';
END
$$;
COMMENT ON FUNCTION immich_cancel_run(bigint) IS
  'Cancel a queued run; superuser or immich_maint_admin only';

GRANT USAGE ON SCHEMA immich_maint TO immich_maint_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA immich_maint TO immich_maint_admin;
GRANT UPDATE (status, finished_at, error) ON immich_maint.job_run TO immich_maint_admin;

-- ---------------------------------------------------------------------------------------------
-- Backup inventory: what the sidecar last saw in <media>/backups
-- ---------------------------------------------------------------------------------------------

CREATE TABLE immich_maint.backup_file (
  name text PRIMARY KEY,
  size bigint NOT NULL,
  modified timestamptz NOT NULL,
  kind text NOT NULL,
  immich_version text,
  pg_version text,
  seen_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE immich_maint.backup_file IS
  'The backup files the sidecar saw after its last backup or retention (refreshed as a whole)';
GRANT SELECT ON immich_maint.backup_file TO immich_maint_admin;

CREATE FUNCTION immich_backups(
    OUT name text, OUT size bigint, OUT modified timestamptz, OUT kind text,
    OUT immich_version text, OUT pg_version text, OUT compat text, OUT seen_at timestamptz)
  RETURNS SETOF record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  current_version text;
BEGIN
  IF pg_catalog.to_regclass('public.version_history') IS NOT NULL THEN
    EXECUTE 'SELECT version FROM public.version_history ORDER BY "createdAt" DESC LIMIT 1'
      INTO current_version;
  END IF;
  RETURN QUERY
    SELECT b.name, b.size, b.modified, b.kind, b.immich_version, b.pg_version,
           CASE WHEN current_version IS NULL THEN 'unknown'
                ELSE public.immich_backup_compat(b.name, current_version) END,
           b.seen_at
    FROM immich_maint.backup_file b
    ORDER BY b.modified DESC, b.name DESC;
END
$$;
COMMENT ON FUNCTION immich_backups() IS
  'The backup files the sidecar last saw, newest first: name, size, time, kind, Immich and PostgreSQL versions, and compatibility with the running Immich version (ok, other-version, unknown)';

-- ---------------------------------------------------------------------------------------------
-- Scheduler: immich_schedule, immich_cron_next, the scheduler step, launcher wake-ups, status
-- ---------------------------------------------------------------------------------------------

ALTER TABLE immich_maint.job_run ADD COLUMN due_at timestamptz;
COMMENT ON COLUMN immich_maint.job_run.due_at IS
  'For a scheduled run, the due time it was queued for (queued_at - due_at is how late it started); NULL for manual runs';

-- next_run follows cron and enabled whoever writes the row, and a cron the parser refuses is
-- refused here too.
CREATE FUNCTION immich_maint.schedule_next_run() RETURNS trigger
  AS 'MODULE_PATHNAME', 'immich_maint_schedule_next_run' LANGUAGE C;
CREATE TRIGGER schedule_next_run BEFORE INSERT OR UPDATE OF cron, enabled ON immich_maint.schedule
  FOR EACH ROW EXECUTE FUNCTION immich_maint.schedule_next_run();

-- Wakes the launcher when the transaction commits: schedules changed, or a database job queued.
CREATE FUNCTION immich_maint.wake_launcher() RETURNS trigger
  AS 'MODULE_PATHNAME', 'immich_maint_wake_launcher' LANGUAGE C;
CREATE TRIGGER schedule_wake_launcher
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON immich_maint.schedule
  FOR EACH STATEMENT EXECUTE FUNCTION immich_maint.wake_launcher();
CREATE TRIGGER job_run_wake_launcher AFTER INSERT ON immich_maint.job_run
  FOR EACH ROW WHEN (NEW.runner = 'database') EXECUTE FUNCTION immich_maint.wake_launcher();

CREATE FUNCTION immich_schedule(job text, cron text, enabled boolean DEFAULT true,
                                catch_up boolean DEFAULT NULL) RETURNS void
  AS 'MODULE_PATHNAME', 'immich_schedule' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION immich_schedule(text, text, boolean, boolean) IS
  'Set a job''s schedule (pg_cron syntax, in the time zone of immich_maint.timezone) and whether it runs; catch_up NULL keeps the current setting. An invalid schedule is refused (22023). superuser or immich_maint_admin only';

CREATE FUNCTION immich_cron_next(expr text, after timestamptz DEFAULT now(), n integer DEFAULT 1)
  RETURNS SETOF timestamptz
  AS 'MODULE_PATHNAME', 'immich_cron_next' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION immich_cron_next(text, timestamptz, integer) IS
  'The next n (1-1000) fire times of a schedule after a time, in the time zone of immich_maint.timezone: check a schedule before saving it. None for @reboot';

CREATE FUNCTION immich_maint.scheduler_tick(now timestamptz, started timestamptz,
    OUT job text, OUT run_id bigint, OUT trigger text, OUT due timestamptz)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'immich_maint_scheduler_tick'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION immich_maint.scheduler_tick(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION immich_maint.scheduler_tick(timestamptz, timestamptz) TO immich_maint_admin;

CREATE FUNCTION immich_maint.run_scheduler_tick(now timestamptz,
                                                scheduler_started timestamptz DEFAULT NULL)
  RETURNS TABLE (job text, run_id bigint, trigger text, due timestamptz)
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM immich_maint.require_admin('run the immich_maint scheduler');
  RETURN QUERY SELECT * FROM immich_maint.scheduler_tick(now, scheduler_started);
END
$$;
COMMENT ON FUNCTION immich_maint.run_scheduler_tick(timestamptz, timestamptz) IS
  'One scheduler step at a given time, as the launcher does it: queue a run for every enabled schedule due at now (trigger schedule; catch-up for a due time before scheduler_started when catch_up is on; reboot once per start for @reboot), then move next_run and last_run on. Due times before scheduler_started were missed; NULL means none were. superuser or immich_maint_admin only';

CREATE FUNCTION immich_maint.launcher_state(OUT pid integer, OUT scheduling_since timestamptz)
  AS 'MODULE_PATHNAME', 'immich_maint_launcher_state' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION immich_maint.launcher_state() IS
  'The launcher serving this database: its pid and when it began scheduling; NULLs when none does';

CREATE VIEW immich_maint.status AS
  SELECT j.name AS job, j.runner, s.cron, coalesce(s.enabled, false) AS enabled, s.catch_up,
         s.next_run, s.last_run AS last_due,
         r.id AS last_run_id, r.trigger AS last_trigger, r.status AS last_status,
         r.queued_at AS last_queued, r.finished_at AS last_finished, r.error AS last_error,
         l.pid AS launcher_pid, l.scheduling_since AS launcher_since,
         CASE WHEN k.pid IS NULL THEN 'free' WHEN k.pid = l.pid THEN 'launcher' ELSE 'other' END
           AS backup_lock,
         k.pid AS backup_lock_pid,
         h.heartbeat_at AS sidecar_heartbeat
  FROM immich_maint.job j
  LEFT JOIN immich_maint.schedule s ON s.job = j.name
  LEFT JOIN LATERAL (
    SELECT r.id, r.trigger, r.status, r.queued_at, r.finished_at, r.error
    FROM immich_maint.job_run r WHERE r.job = j.name ORDER BY r.id DESC LIMIT 1) r ON true
  CROSS JOIN immich_maint.launcher_state() l
  LEFT JOIN LATERAL (
    SELECT lk.pid FROM pg_catalog.pg_locks lk
    WHERE lk.locktype = 'advisory' AND lk.classid = 0 AND lk.objid = 42 AND lk.objsubid = 1
      AND lk.granted
      AND lk.database = (SELECT d.oid FROM pg_catalog.pg_database d
                         WHERE d.datname = pg_catalog.current_database())
    LIMIT 1) k ON true
  CROSS JOIN (SELECT max(hr.heartbeat_at) AS heartbeat_at
              FROM immich_maint.job_run hr WHERE hr.runner = 'sidecar') h;
COMMENT ON VIEW immich_maint.status IS
  'One row per job: schedule, next due time, last run (status, finish, error); and for all: the launcher serving this database (pid, NULL when none), who holds Immich''s backup lock 42 (launcher, other or free, with its pid), the last sidecar heartbeat';

-- Everyone may read the status view (it holds no secrets); the tables stay admin-only.
GRANT USAGE ON SCHEMA immich_maint TO PUBLIC;
GRANT SELECT ON immich_maint.status TO PUBLIC;
-- Admins edit schedules through immich_schedule or directly; the trigger validates either way.
GRANT INSERT (job, cron, enabled, catch_up, params),
      UPDATE (cron, enabled, catch_up, params, updated_at) ON immich_maint.schedule
  TO immich_maint_admin;

-- next_run for the seeded schedules (and a wake-up for a launcher waiting for this extension).
UPDATE immich_maint.schedule SET cron = cron;
