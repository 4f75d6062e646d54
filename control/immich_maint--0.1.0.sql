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
  params jsonb NOT NULL DEFAULT '{}' CHECK (pg_catalog.jsonb_typeof(params) = 'object'),
  next_run timestamptz,
  last_run timestamptz,
  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
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
  queued_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
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
  deadline timestamptz;
  run_status text;
  run_found boolean;
BEGIN
  PERFORM immich_maint.require_admin('wait on immich_maint runs');
  IF run_id IS NULL OR timeout IS NULL THEN
    RAISE EXCEPTION 'run id and timeout must not be NULL' USING ERRCODE = '22004';
  END IF;
  -- capped so that '1000000 years' means "for ever" rather than a timestamp overflow
  deadline := pg_catalog.clock_timestamp() + least(timeout, interval '100 years');
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'immich_job_wait needs READ COMMITTED isolation'
      USING ERRCODE = '25000', DETAIL = 'A snapshot taken once would never see the run end.';
  END IF;
  LOOP
    -- Each look is a subtransaction that is always rolled back, so the wait holds no lock on
    -- job_run between looks: a restore (immich_restore) drops and recreates the table while
    -- its caller waits here, and would otherwise wait for the caller for ever.
    BEGIN
      SELECT r.status INTO run_status FROM immich_maint.job_run r WHERE r.id = run_id;
      run_found := FOUND;
      RAISE EXCEPTION USING ERRCODE = 'IMW01';
    EXCEPTION WHEN SQLSTATE 'IMW01' THEN
      NULL;
    END;
    IF NOT run_found THEN
      RAISE EXCEPTION 'run % does not exist', run_id USING ERRCODE = '22023';
    END IF;
    IF run_status IN ('succeeded', 'failed', 'cancelled') THEN
      RETURN run_status;
    END IF;
    IF pg_catalog.clock_timestamp() >= deadline THEN
      RAISE EXCEPTION 'timed out waiting for run % after %', run_id, timeout
        USING ERRCODE = '57014', DETAIL = pg_catalog.format('The run is still %s.', run_status);
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
  IF run_id IS NULL THEN
    RAISE EXCEPTION 'run id must not be NULL' USING ERRCODE = '22004';
  END IF;
  UPDATE immich_maint.job_run r SET status = 'cancelled', finished_at = pg_catalog.now(),
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
  seen_at timestamptz NOT NULL DEFAULT pg_catalog.now()
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
  -- without leave to read Immich's table, compatibility is unknown rather than an error
  IF pg_catalog.to_regclass('public.version_history') IS NOT NULL
     AND pg_catalog.has_table_privilege('public.version_history', 'SELECT') THEN
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

CREATE FUNCTION immich_cron_next(expr text, after timestamptz DEFAULT pg_catalog.now(), n integer DEFAULT 1)
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
  CROSS JOIN (SELECT pg_catalog.max(hr.heartbeat_at) AS heartbeat_at
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

-- ---------------------------------------------------------------------------------------------
-- Storage checks and orphan file reports (written by the sidecar's StorageCheck and
-- OrphanFileScan runs, and by `immich-maintd check-storage` / `scan-orphans`)
-- ---------------------------------------------------------------------------------------------

CREATE TABLE immich_maint.storage_check (
  run_id bigint NOT NULL REFERENCES immich_maint.job_run (id) ON DELETE CASCADE,
  folder text NOT NULL
    CHECK (folder IN ('upload', 'library', 'profile', 'backups', 'thumbs', 'encoded-video')),
  path text NOT NULL,
  status text NOT NULL
    CHECK (status IN ('ok', 'missing', 'not_mounted', 'unreadable', 'not_writable')),
  ok boolean GENERATED ALWAYS AS (status = 'ok') STORED,
  critical boolean NOT NULL,
  folder_exists boolean NOT NULL,
  readable boolean NOT NULL,
  writable boolean NOT NULL,
  marker boolean NOT NULL,
  mount_checked boolean NOT NULL,
  entries bigint,
  free_bytes bigint,
  total_bytes bigint,
  problem text,
  checked_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (run_id, folder)
);
COMMENT ON TABLE immich_maint.storage_check IS
  'One row per storage folder per check: exists, readable, writable (marker rewritten and a file created), .immich marker, system-flags.mountChecks, entries (Immich''s count: not recursive, .immich excluded), free space, status and the problem. A critical folder (upload, library, profile, backups) not mounted, unreadable or not writable fails the run';

CREATE VIEW immich_maint.storage_check_latest AS
  SELECT DISTINCT ON (c.folder) c.*
  FROM immich_maint.storage_check c
  ORDER BY c.folder, c.checked_at DESC, c.run_id DESC;
COMMENT ON VIEW immich_maint.storage_check_latest IS
  'The latest check of each storage folder';

CREATE TABLE immich_maint.file_report (
  id bigserial PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES immich_maint.job_run (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('orphan', 'missing')),
  folder text NOT NULL,
  path text NOT NULL,
  path_bytes bytea,
  file_type text CHECK (file_type IN ('file', 'symlink', 'other')),
  size bigint,
  modified timestamptz,
  action text CHECK (action IN ('quarantined', 'deleted', 'failed')),
  moved_to text,
  error text
);
CREATE INDEX file_report_run ON immich_maint.file_report (run_id, kind, path);
COMMENT ON TABLE immich_maint.file_report IS
  'Files an orphan scan found: orphan (on disk, unknown to the database) or missing (referenced, not on disk). path is relative to the media location; bytes that are not UTF-8 appear as \xNN and the exact name is in path_bytes. action: quarantined (moved to moved_to), deleted (thumbs and encoded-video only), failed (see error), NULL (reported only)';

GRANT SELECT ON immich_maint.storage_check, immich_maint.storage_check_latest,
  immich_maint.file_report TO immich_maint_admin;

-- ---------------------------------------------------------------------------------------------
-- In-database jobs: Immich's nightly cleanups (reference/immich.md §6), in batches
-- ---------------------------------------------------------------------------------------------
-- A run is planned once (its steps, with cut-off times fixed at the start and a note for each
-- table or column this Immich version lacks), then immich_maint.run_database_job runs one
-- batch per transaction and commits between batches. Each batch sits in an exception block of
-- its own, so an error marks the run failed with its message; the COMMITs stay outside those
-- blocks because a subtransaction cannot commit. Immich's tables are read from schema public.
-- The steps that write Immich's tables run with public on the search_path: Immich's audit
-- triggers name their tables unqualified.

-- Files and folders the jobs want deleted. The sidecar works through the rows that
-- immich_maint.file_deletion_due lists; until it does, they wait, and so do the rows of the
-- users and assets they belong to.
CREATE TABLE immich_maint.file_deletion (
  id bigserial PRIMARY KEY,
  path text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('file', 'folder')),
  subject text NOT NULL CHECK (subject IN ('asset', 'user', 'person')),
  subject_id uuid NOT NULL,
  reason text NOT NULL,
  run_id bigint REFERENCES immich_maint.job_run (id) ON DELETE SET NULL,
  queued_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  done_at timestamptz,
  error text,
  cancelled_at timestamptz
);
CREATE INDEX file_deletion_subject ON immich_maint.file_deletion (subject, subject_id);
CREATE INDEX file_deletion_open ON immich_maint.file_deletion (id)
  WHERE done_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX file_deletion_run ON immich_maint.file_deletion (run_id);
COMMENT ON TABLE immich_maint.file_deletion IS
  'Files and folders queued for deletion by the in-database jobs. path: absolute as Immich stores it, or (user folders) relative to the media location; only paths inside the media location may be deleted. The sidecar sets done_at when the path is gone (or was never there) or error when it could not delete it; cancelled_at is set when the subject (asset, user) was restored before its files went. A user or asset row is deleted only once all its rows are done.';
GRANT SELECT ON immich_maint.file_deletion TO immich_maint_admin;

-- Whether a queued deletion is still wanted: its asset or user is still deleted, and was not
-- restored and deleted again since it was queued (a new decision). People are gone already.
CREATE FUNCTION immich_maint.file_deletion_wanted(subject text, subject_id uuid, queued_at timestamptz)
  RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  wanted boolean;
BEGIN
  IF subject = 'person' THEN
    RETURN true;
  END IF;
  IF NOT immich_maint.has_column(pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(subject)), 'deletedAt') THEN
    RETURN false;
  END IF;
  EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM public.%I s WHERE s.id = $1 AND s."deletedAt" <= $2)', subject)
    INTO wanted USING subject_id, queued_at;
  RETURN wanted;
END
$$;
COMMENT ON FUNCTION immich_maint.file_deletion_wanted(text, uuid, timestamptz) IS
  'Whether a queued file deletion is still wanted: its asset or user is still deleted and was deleted before the row was queued; always true for people';

CREATE VIEW immich_maint.file_deletion_due AS
  SELECT f.* FROM immich_maint.file_deletion f
  WHERE f.done_at IS NULL AND f.error IS NULL AND f.cancelled_at IS NULL
    AND immich_maint.file_deletion_wanted(f.subject, f.subject_id, f.queued_at);
COMMENT ON VIEW immich_maint.file_deletion_due IS
  'The queued deletions the sidecar should carry out now (claim them with FOR UPDATE SKIP LOCKED on file_deletion and check this view again)';
GRANT SELECT ON immich_maint.file_deletion_due TO immich_maint_admin;

-- Whether every file queued for an asset or user is gone, so its row may be deleted.
CREATE FUNCTION immich_maint.subject_ready(subject text, subject_id uuid) RETURNS boolean
  LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM immich_maint.file_deletion f
                 WHERE f.subject = $1 AND f.subject_id = $2 AND f.cancelled_at IS NULL)
     AND NOT EXISTS (SELECT 1 FROM immich_maint.file_deletion f
                     WHERE f.subject = $1 AND f.subject_id = $2 AND f.cancelled_at IS NULL
                       AND f.done_at IS NULL)
$$;
COMMENT ON FUNCTION immich_maint.subject_ready(text, uuid) IS
  'True when files were queued for the asset or user and every one of them is done';

-- ---------------------------------------------------------------------------------------------
-- Helpers: Immich's tables as this version has them, parameters, notes and counts of a run

CREATE FUNCTION immich_maint.has_column(tbl regclass, col text) RETURNS boolean
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM pg_attribute a
                 WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped)
$$;
COMMENT ON FUNCTION immich_maint.has_column(regclass, text) IS
  'Whether the table has the column (false for a NULL table)';

CREATE FUNCTION immich_maint.has_btree_index(tbl regclass, col text) RETURNS boolean
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM pg_index i
                 JOIN pg_class c ON c.oid = i.indexrelid
                 JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE i.indrelid = tbl AND a.attname = col AND i.indisvalid AND i.indpred IS NULL)
$$;
COMMENT ON FUNCTION immich_maint.has_btree_index(regclass, text) IS
  'Whether a valid, non-partial btree index leads with the column (batches can then walk it in order)';

-- Appends a note to a run's result (once per text).
CREATE FUNCTION immich_maint.run_note(run_id bigint, note text) RETURNS void
  LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  UPDATE immich_maint.job_run r
     SET result = pg_catalog.jsonb_set(coalesce(r.result, '{}'), '{notes}',
                            coalesce(r.result->'notes', '[]') || pg_catalog.jsonb_build_array(note))
   WHERE r.id = run_id AND NOT coalesce(r.result->'notes', '[]') @> pg_catalog.jsonb_build_array(note)
$$;
COMMENT ON FUNCTION immich_maint.run_note(bigint, text) IS
  'Adds a note (a skipped table or column, a step given up after lock timeouts) to job_run.result.notes';

-- public.<name> when it exists with every column in cols; otherwise NULL and a note on the run.
CREATE FUNCTION immich_maint.job_table(run_id bigint, name text, cols text[] DEFAULT '{}')
  RETURNS regclass LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tbl regclass := pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(name));
  missing text;
BEGIN
  IF tbl IS NULL THEN
    PERFORM immich_maint.run_note(run_id, pg_catalog.format('table %s does not exist: skipped', name));
    RETURN NULL;
  END IF;
  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') INTO missing
    FROM pg_catalog.unnest(cols) c WHERE NOT immich_maint.has_column(tbl, c);
  IF missing IS NOT NULL THEN
    PERFORM immich_maint.run_note(run_id, pg_catalog.format('table %s has no column %s: skipped', name, missing));
    RETURN NULL;
  END IF;
  RETURN tbl;
END
$$;
COMMENT ON FUNCTION immich_maint.job_table(bigint, text, text[]) IS
  'The Immich table public.<name> when it exists with all the columns; else NULL, with a note on the run';

-- A run parameter counted in days (fractions allowed): params->key, or default_days.
CREATE FUNCTION immich_maint.job_days(params jsonb, key text, default_days numeric)
  RETURNS interval LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  value jsonb := params->key;
BEGIN
  IF value IS NULL OR value = 'null' THEN
    RETURN default_days * interval '1 day';
  END IF;
  IF pg_catalog.jsonb_typeof(value) <> 'number' OR value::text::numeric < 0 THEN
    RAISE EXCEPTION 'parameter % must be a number of days, at least 0, not %', key, value
      USING ERRCODE = '22023';
  END IF;
  RETURN value::text::numeric * interval '1 day';
END
$$;
COMMENT ON FUNCTION immich_maint.job_days(jsonb, text, numeric) IS
  'A run parameter in days (number >= 0) as an interval, or the default; error 22023 otherwise';

-- A whole-number run parameter of at least min_value: params->key, or default_value.
CREATE FUNCTION immich_maint.job_count(params jsonb, key text, default_value integer,
                                       min_value integer DEFAULT 1)
  RETURNS integer LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  value jsonb := params->key;
BEGIN
  IF value IS NULL OR value = 'null' THEN
    RETURN default_value;
  END IF;
  IF pg_catalog.jsonb_typeof(value) <> 'number' OR value::text !~ '^\d+$'
     OR value::text::numeric NOT BETWEEN min_value AND 2147483647 THEN
    RAISE EXCEPTION 'parameter % must be a whole number, at least %, not %', key, min_value, value
      USING ERRCODE = '22023';
  END IF;
  RETURN value::text::integer;
END
$$;
COMMENT ON FUNCTION immich_maint.job_count(jsonb, text, integer, integer) IS
  'A whole-number run parameter (at least min_value) or the default; error 22023 otherwise';

-- Adds one batch's counts to a step's totals: every count summed, plus time in ms (total and
-- the longest batch).
CREATE FUNCTION immich_maint.add_counts(total jsonb, counts jsonb, ms numeric) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(pg_catalog.jsonb_object_agg(k, coalesce((total->>k)::numeric, 0) + coalesce((counts->>k)::numeric, 0)),
                  '{}')
         || pg_catalog.jsonb_build_object('ms', pg_catalog.round(coalesce((total->>'ms')::numeric, 0) + ms, 1),
                               'maxBatchMs', greatest(coalesce((total->>'maxBatchMs')::numeric, 0), pg_catalog.round(ms, 1)))
  FROM jsonb_object_keys(coalesce(total, '{}') || counts) k
  WHERE k NOT IN ('ms', 'maxBatchMs')
$$;
COMMENT ON FUNCTION immich_maint.add_counts(jsonb, jsonb, numeric) IS
  'A step''s totals plus one batch: counts summed, ms summed, maxBatchMs the longest batch';

-- Adds one batch of a step to the plan's totals; run_flush writes them to the run.
CREATE FUNCTION immich_maint.plan_count(plan jsonb, step text, counts jsonb, ms numeric)
  RETURNS jsonb LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT plan || pg_catalog.jsonb_build_object(
    'totals', coalesce(plan->'totals', '{}')
              || pg_catalog.jsonb_build_object(step, immich_maint.add_counts(plan->'totals'->step, counts, ms)),
    'deleted', coalesce((plan->>'deleted')::bigint, 0) + coalesce((counts->>'deleted')::bigint, 0))
$$;
COMMENT ON FUNCTION immich_maint.plan_count(jsonb, text, jsonb, numeric) IS
  'A plan with one batch''s counts and time added to its per-step totals and its deleted total';

-- Writes a plan's totals (result.steps, result.deleted), progress and heartbeat to its run.
-- Not after every batch but at most once a second (and when a step ends): a job_run row
-- updated after each of thousands of batches would cost time and bloat.
CREATE FUNCTION immich_maint.run_flush(run_id bigint, plan jsonb) RETURNS jsonb
  LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  UPDATE immich_maint.job_run r
     SET result = coalesce(r.result, '{}') || pg_catalog.jsonb_build_object(
                    'steps', coalesce(plan->'totals', '{}'), 'deleted', coalesce((plan->>'deleted')::bigint, 0)),
         progress = least((plan->>'i')::real / greatest(pg_catalog.jsonb_array_length(plan->'steps'), 1), 1),
         heartbeat_at = pg_catalog.now()
   WHERE r.id = run_id;
  SELECT plan || pg_catalog.jsonb_build_object('flushedAt', pg_catalog.clock_timestamp());
$$;
COMMENT ON FUNCTION immich_maint.run_flush(bigint, jsonb) IS
  'Writes a plan''s per-step totals, deleted total, progress and heartbeat to job_run';

-- ---------------------------------------------------------------------------------------------
-- Steps: each call does one batch and returns the step with "done" and its counts ("n")

-- A step deleting, batch rows per transaction, the rows of tbl (alias t) matching cond. key: a
-- timestamptz column; when a btree index leads with it, each batch deletes a range of keys
-- [last, bound), walking the index once (a big append-only table is read once, and no batch
-- passes over the dead entries of the ones before). Otherwise each batch deletes the first
-- batch matching rows. files: {"expr": SQL on t giving the deleted row's file, "subject",
-- "reason"} queues it.
CREATE FUNCTION immich_maint.delete_step(name text, tbl regclass, cond text, batch integer,
                                         key text DEFAULT NULL, files jsonb DEFAULT NULL)
  RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'fn', 'delete', 'name', name, 'table', tbl::oid, 'cond', cond, 'batch', batch, 'files', files,
    'key', CASE WHEN immich_maint.has_btree_index(tbl, key) THEN key END))
$$;
COMMENT ON FUNCTION immich_maint.delete_step(text, regclass, text, integer, text, jsonb) IS
  'A planned step that deletes the rows of a table matching a condition, in batches (optionally by ranges of an indexed key, optionally queueing each row''s file)';

-- The statement for one batch of a delete step. With a key: deletes the rows in [$1, $2) that
-- match cond. Without: picks batch matching rows and deletes them by ctid, re-checking cond (a
-- row changed meanwhile is kept). Queues their files; returns rows picked (0 with a key), rows
-- deleted and files queued.
CREATE FUNCTION immich_maint.delete_sql(run_id bigint, step jsonb) RETURNS text
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tbl regclass := (step->>'table')::oid;
  files jsonb := step->'files';
  pick text := pg_catalog.format('SELECT t.ctid AS c FROM %s t WHERE (%s) LIMIT %s',
                      tbl, step->>'cond', (step->>'batch')::integer);
  target text := 't.ctid = ANY (ARRAY(SELECT s.c FROM s))';
  queue text := 'SELECT 1 WHERE false';
BEGIN
  IF step ? 'key' THEN
    pick := 'SELECT NULL::tid AS c WHERE false';
    target := pg_catalog.format('t.%1$I >= $1 AND t.%1$I < $2', step->>'key');
  END IF;
  IF files IS NOT NULL THEN
    queue := pg_catalog.format('INSERT INTO immich_maint.file_deletion (path, kind, subject, subject_id, reason, run_id)'
                    ' SELECT d.path, ''file'', %L, d.id, %L, %s FROM d WHERE d.path <> '''' RETURNING 1',
                    files->>'subject', files->>'reason', run_id);
  END IF;
  RETURN pg_catalog.format('WITH s AS MATERIALIZED (%s), d AS (DELETE FROM %s t WHERE %s AND (%s)'
                ' RETURNING %s AS path, %s AS id), q AS (%s)'
                ' SELECT (SELECT pg_catalog.count(*) FROM s), (SELECT pg_catalog.count(*) FROM d), (SELECT pg_catalog.count(*) FROM q)',
                pick, tbl, target, step->>'cond', coalesce(files->>'expr', 'NULL::text'),
                CASE WHEN files IS NULL THEN 'NULL::uuid' ELSE 't.id' END, queue);
END
$$;
COMMENT ON FUNCTION immich_maint.delete_sql(bigint, jsonb) IS
  'The SQL of one batch of a delete step';

-- The end of the key range of a delete step's next batch from lower: the key batch matching
-- rows on (the batch is [lower, bound)); NULL when the rest fits in one batch. When more than
-- batch rows share the key lower, the range takes them all.
CREATE FUNCTION immich_maint.key_bound(step jsonb, lower timestamptz) RETURNS timestamptz
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  bound timestamptz;
BEGIN
  EXECUTE pg_catalog.format('SELECT t.%1$I FROM %2$s t WHERE t.%1$I >= $1 AND (%3$s) ORDER BY t.%1$I OFFSET %4$s LIMIT 1',
                 step->>'key', (step->>'table')::oid::regclass, step->>'cond', (step->>'batch')::integer)
    INTO bound USING lower;
  RETURN CASE WHEN bound = lower THEN bound + interval '1 microsecond' ELSE bound END;
END
$$;
COMMENT ON FUNCTION immich_maint.key_bound(jsonb, timestamptz) IS
  'Where the key range of a delete step''s next batch ends (NULL: the rest fits in one batch)';

CREATE FUNCTION immich_maint.step_delete(run_id bigint, step jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  lower timestamptz := coalesce((step->>'last')::timestamptz, '-infinity');
  bound timestamptz;
  picked bigint;
  deleted bigint;
  queued bigint;
BEGIN
  IF step ? 'key' THEN
    bound := immich_maint.key_bound(step, lower);
  END IF;
  IF step ? 'key' AND NOT step ? 'files' THEN  -- the big tables' case: no RETURNING to pay for
    EXECUTE pg_catalog.format('DELETE FROM %s t WHERE t.%I >= $1 AND t.%2$I < $2 AND (%s)',
                   (step->>'table')::oid::regclass, step->>'key', step->>'cond')
      USING lower, coalesce(bound, 'infinity');
    GET DIAGNOSTICS deleted = ROW_COUNT;
  ELSE
    EXECUTE immich_maint.delete_sql(run_id, step) INTO picked, deleted, queued
      USING lower, coalesce(bound, 'infinity');
  END IF;
  RETURN step || pg_catalog.jsonb_build_object(
    'last', bound,
    'done', CASE WHEN step ? 'key' THEN bound IS NULL ELSE picked < (step->>'batch')::integer END,
    'n', pg_catalog.jsonb_build_object('deleted', deleted)
         || CASE WHEN step ? 'files' THEN pg_catalog.jsonb_build_object('filesQueued', queued) ELSE '{}' END);
END
$$;
COMMENT ON FUNCTION immich_maint.step_delete(bigint, jsonb) IS
  'One batch of a delete step';

-- Cancels queued deletions whose asset or user was restored (or is gone), and counts those
-- still waiting on the sidecar or failed there.
CREATE FUNCTION immich_maint.step_cancel_stale(run_id bigint, step jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cancelled bigint;
  waiting bigint;
  failed bigint;
BEGIN
  UPDATE immich_maint.file_deletion f SET cancelled_at = pg_catalog.now()
   WHERE f.subject = step->>'subject' AND f.done_at IS NULL AND f.cancelled_at IS NULL
     AND NOT immich_maint.file_deletion_wanted(f.subject, f.subject_id, f.queued_at);
  GET DIAGNOSTICS cancelled = ROW_COUNT;
  SELECT pg_catalog.count(*) FILTER (WHERE f.error IS NULL), pg_catalog.count(*) FILTER (WHERE f.error IS NOT NULL)
    INTO waiting, failed
    FROM immich_maint.file_deletion f
   WHERE f.subject = step->>'subject' AND f.done_at IS NULL AND f.cancelled_at IS NULL;
  IF failed > 0 THEN
    PERFORM immich_maint.run_note(run_id, pg_catalog.format(
      '%s queued deletions of %s files failed; their rows stay until they succeed (see immich_maint.file_deletion)',
      failed, step->>'subject'));
  END IF;
  RETURN step || pg_catalog.jsonb_build_object('done', true, 'n', pg_catalog.jsonb_build_object(
    'cancelled', cancelled, 'pendingFiles', waiting, 'failedFiles', failed));
END
$$;
COMMENT ON FUNCTION immich_maint.step_cancel_stale(bigint, jsonb) IS
  'Cancels queued deletions no longer wanted (restored asset or user) and counts pending and failed ones';

-- Queues the folders of users deleted before the cut-off that have none queued yet: one
-- folder per storage folder (library by storage label, the others by id), relative to the
-- media location.
CREATE FUNCTION immich_maint.step_queue_user_folders(run_id bigint, step jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  picked bigint;
  queued bigint;
BEGIN
  EXECUTE pg_catalog.format($q$
    WITH u AS (SELECT u.id, %s AS label FROM public."user" u
               WHERE u."deletedAt" < $1 AND NOT EXISTS (
                 SELECT 1 FROM immich_maint.file_deletion f
                 WHERE f.subject = 'user' AND f.subject_id = u.id AND f.cancelled_at IS NULL)
               ORDER BY u.id LIMIT $2),
         q AS (INSERT INTO immich_maint.file_deletion (path, kind, subject, subject_id, reason, run_id)
               SELECT folder || '/' || CASE WHEN folder = 'library' THEN coalesce(u.label, u.id::text)
                                            ELSE u.id::text END,
                      'folder', 'user', u.id, $3, $4
               FROM u CROSS JOIN pg_catalog.unnest(ARRAY['library', 'upload', 'profile', 'thumbs', 'encoded-video']) folder
               RETURNING 1)
    SELECT (SELECT pg_catalog.count(*) FROM u), (SELECT pg_catalog.count(*) FROM q)$q$, step->>'label')
    INTO picked, queued USING (step->>'cutoff')::timestamptz, (step->>'batch')::integer, step->>'reason', run_id;
  RETURN step || pg_catalog.jsonb_build_object('done', picked < (step->>'batch')::integer,
                                    'n', pg_catalog.jsonb_build_object('users', picked, 'foldersQueued', queued));
END
$$;
COMMENT ON FUNCTION immich_maint.step_queue_user_folders(bigint, jsonb) IS
  'One batch of queueing the storage folders of users deleted before the cut-off';

-- Queues the files of trashed assets (deleted before the cut-off) that have none queued yet;
-- an asset without any file is deleted at once, as there is nothing to wait for.
CREATE FUNCTION immich_maint.step_queue_asset_files(run_id bigint, step jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  picked uuid[];
  queued bigint;
  deleted bigint;
BEGIN
  SELECT pg_catalog.array_agg(a.id) INTO picked FROM (
    SELECT a.id FROM public.asset a
     WHERE a."deletedAt" < (step->>'cutoff')::timestamptz AND NOT EXISTS (
           SELECT 1 FROM immich_maint.file_deletion f
            WHERE f.subject = 'asset' AND f.subject_id = a.id AND f.cancelled_at IS NULL)
     LIMIT (step->>'batch')::integer) a;
  EXECUTE pg_catalog.format('INSERT INTO immich_maint.file_deletion (path, kind, subject, subject_id, reason, run_id)'
                 ' SELECT p.path, ''file'', ''asset'', a.id, $2, $3'
                 ' FROM public.asset a CROSS JOIN LATERAL (%s) p(path)'
                 ' WHERE a.id = ANY ($1) AND coalesce(p.path, '''') <> ''''', step->>'paths')
    USING picked, step->>'reason', run_id;
  GET DIAGNOSTICS queued = ROW_COUNT;
  DELETE FROM public.asset a WHERE a.id = ANY (picked) AND NOT EXISTS (
    SELECT 1 FROM immich_maint.file_deletion f
     WHERE f.subject = 'asset' AND f.subject_id = a.id AND f.cancelled_at IS NULL);
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN step || pg_catalog.jsonb_build_object('done', coalesce(pg_catalog.cardinality(picked), 0) < (step->>'batch')::integer,
    'n', pg_catalog.jsonb_build_object('assets', coalesce(pg_catalog.cardinality(picked), 0), 'filesQueued', queued,
                            'deleted', deleted));
END
$$;
COMMENT ON FUNCTION immich_maint.step_queue_asset_files(bigint, jsonb) IS
  'One batch of queueing the files of assets trashed before the cut-off (assets without files are deleted at once)';

-- Creates the "on this day" memories of a batch of users (after the last one done).
CREATE FUNCTION immich_maint.step_generate_memories(run_id bigint, step jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  users uuid[];
  made bigint;
  linked bigint;
BEGIN
  EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(u.id ORDER BY u.id) FROM (SELECT u.id FROM public."user" u'
                 ' WHERE u.id > $1 %s ORDER BY u.id LIMIT $2) u', step->>'userFilter')
    INTO users USING coalesce((step->>'last')::uuid, '00000000-0000-0000-0000-000000000000'),
                     (step->>'batch')::integer;
  EXECUTE step->>'sql' INTO made, linked USING users, (step->>'day')::date;
  RETURN step || pg_catalog.jsonb_build_object(
    'last', users[pg_catalog.cardinality(users)],
    'done', coalesce(pg_catalog.cardinality(users), 0) < (step->>'batch')::integer,
    'n', pg_catalog.jsonb_build_object('users', coalesce(pg_catalog.cardinality(users), 0), 'memories', made, 'assets', linked));
END
$$;
COMMENT ON FUNCTION immich_maint.step_generate_memories(bigint, jsonb) IS
  'One batch of MemoryGenerate: on-this-day memories for the next users';

-- One batch of whichever kind of step.
CREATE FUNCTION immich_maint.step_run(run_id bigint, step jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  CASE step->>'fn'
    WHEN 'delete' THEN RETURN immich_maint.step_delete(run_id, step);
    WHEN 'cancel_stale' THEN RETURN immich_maint.step_cancel_stale(run_id, step);
    WHEN 'queue_user_folders' THEN RETURN immich_maint.step_queue_user_folders(run_id, step);
    WHEN 'queue_asset_files' THEN RETURN immich_maint.step_queue_asset_files(run_id, step);
    WHEN 'generate_memories' THEN RETURN immich_maint.step_generate_memories(run_id, step);
  END CASE;
END
$$;
COMMENT ON FUNCTION immich_maint.step_run(bigint, jsonb) IS
  'Runs one batch of a planned step of whichever kind';

-- ---------------------------------------------------------------------------------------------
-- Plans: each job's steps for one run, with the cut-off times fixed when the run starts

-- AuditTableCleanup: every *_audit table (Immich's list, and any other *_audit table in
-- public), rows with "deletedAt" older than retentionDays (or the interval olderThan).
CREATE FUNCTION immich_maint.plan_audit_tables(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  age interval := coalesce((params->>'olderThan')::interval,
                           immich_maint.job_days(params, 'retentionDays', 31));
  batch integer := immich_maint.job_count(params, 'batchSize', 10000);
  cond text := pg_catalog.format('t."deletedAt" < %L', pg_catalog.now() - age);
  steps jsonb := '[]';
  name text;
  tbl regclass;
BEGIN
  IF age < interval '0' THEN
    RAISE EXCEPTION 'parameter olderThan must not be negative, not %', params->>'olderThan'
      USING ERRCODE = '22023';
  END IF;
  FOR name IN SELECT n FROM pg_catalog.unnest(immich_maint.audit_tables()) n UNION
              SELECT c.relname::text FROM pg_class c
               WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                 AND c.relname LIKE '%\_audit'
              ORDER BY 1 LOOP
    tbl := immich_maint.job_table(run_id, name, '{deletedAt}');
    CONTINUE WHEN tbl IS NULL;
    steps := steps || immich_maint.delete_step(name, tbl, cond, batch, 'deletedAt');
  END LOOP;
  RETURN steps;
END
$$;
COMMENT ON FUNCTION immich_maint.plan_audit_tables(bigint, jsonb) IS
  'AuditTableCleanup: one step per *_audit table. Params: retentionDays (31) or olderThan (an interval), batchSize (10000)';

CREATE FUNCTION immich_maint.audit_tables() RETURNS text[]
  LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['asset_audit', 'album_audit', 'album_user_audit', 'album_asset_audit', 'user_audit',
               'partner_audit', 'memory_audit', 'memory_asset_audit', 'stack_audit', 'person_audit',
               'asset_face_audit', 'asset_metadata_audit', 'user_metadata_audit', 'asset_edit_audit']
$$;
COMMENT ON FUNCTION immich_maint.audit_tables() IS
  'Immich''s audit tables (reference/immich.md §6); a version may lack some';

-- AuditLogCleanup: the legacy audit table of old Immich versions.
CREATE FUNCTION immich_maint.plan_audit_log(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tbl regclass := immich_maint.job_table(run_id, 'audit', '{createdAt}');
  cutoff timestamptz := pg_catalog.now() - immich_maint.job_days(params, 'retentionDays', 100);
BEGIN
  RETURN pg_catalog.jsonb_build_array(CASE WHEN tbl IS NOT NULL THEN immich_maint.delete_step(
    'audit', tbl, pg_catalog.format('t."createdAt" < %L', cutoff),
    immich_maint.job_count(params, 'batchSize', 10000), 'createdAt') END);
END
$$;
COMMENT ON FUNCTION immich_maint.plan_audit_log(bigint, jsonb) IS
  'AuditLogCleanup: the legacy audit table, rows created over retentionDays (100) ago. Params: retentionDays, batchSize';

-- SessionCleanup: unused for 90 days, or expired.
CREATE FUNCTION immich_maint.plan_sessions(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tbl regclass := immich_maint.job_table(run_id, 'session', '{updatedAt}');
  cond text := pg_catalog.format('t."updatedAt" <= %L', pg_catalog.now() - immich_maint.job_days(params, 'days', 90));
BEGIN
  IF tbl IS NULL THEN
    RETURN '[]';
  END IF;
  IF immich_maint.has_column(tbl, 'expiresAt') THEN
    cond := cond || pg_catalog.format(' OR t."expiresAt" <= %L', pg_catalog.now());
  ELSE
    PERFORM immich_maint.run_note(run_id, 'table session has no column "expiresAt": only unused sessions are deleted');
  END IF;
  RETURN pg_catalog.jsonb_build_array(immich_maint.delete_step(
    'session', tbl, cond, immich_maint.job_count(params, 'batchSize', 10000)));
END
$$;
COMMENT ON FUNCTION immich_maint.plan_sessions(bigint, jsonb) IS
  'SessionCleanup: sessions not updated for days (90) or expired. Params: days, batchSize';

-- TagCleanup: tags that neither they nor any descendant are on an asset.
CREATE FUNCTION immich_maint.plan_tags(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tags regclass := immich_maint.job_table(run_id, 'tag', '{id}');
  tagged regclass := immich_maint.job_table(run_id, 'tag_asset', '{tagId}');
  closure regclass := pg_catalog.to_regclass('public.tag_closure');
  cond text := 'NOT EXISTS (SELECT 1 FROM public.tag_asset ta WHERE ta."tagId" = t.id)';
BEGIN
  IF tags IS NULL OR tagged IS NULL THEN
    RETURN '[]';
  END IF;
  IF immich_maint.has_column(closure, 'id_ancestor') AND immich_maint.has_column(closure, 'id_descendant') THEN
    cond := cond || ' AND NOT EXISTS (SELECT 1 FROM public.tag_closure c JOIN public.tag_asset ta'
                    ' ON ta."tagId" = c.id_descendant WHERE c.id_ancestor = t.id)';
  ELSIF immich_maint.has_column(tags, 'parentId') THEN
    PERFORM immich_maint.run_note(run_id, 'table tag_closure does not exist: descendants found through "parentId"');
    cond := cond || ' AND t.id NOT IN (WITH RECURSIVE up AS (SELECT ta."tagId" AS id FROM public.tag_asset ta'
                    ' UNION SELECT p."parentId" FROM public.tag p JOIN up ON p.id = up.id'
                    ' WHERE p."parentId" IS NOT NULL) SELECT up.id FROM up)';
  ELSE
    PERFORM immich_maint.run_note(run_id, 'table tag has no hierarchy (no tag_closure, no "parentId")');
  END IF;
  RETURN pg_catalog.jsonb_build_array(immich_maint.delete_step(
    'tag', tags, cond, immich_maint.job_count(params, 'batchSize', 10000)));
END
$$;
COMMENT ON FUNCTION immich_maint.plan_tags(bigint, jsonb) IS
  'TagCleanup: tags that neither they nor a descendant (tag_closure) are on an asset. Params: batchSize';

-- PersonCleanup: people without a visible, non-deleted face; their thumbnails are queued.
CREATE FUNCTION immich_maint.plan_people(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  people regclass := immich_maint.job_table(run_id, 'person', '{id}');
  faces regclass := immich_maint.job_table(run_id, 'asset_face', '{personId}');
  face text := 'true';
  files jsonb;
BEGIN
  IF people IS NULL OR faces IS NULL THEN
    RETURN '[]';
  END IF;
  face := face || immich_maint.optional_cond(run_id, faces, 'isVisible', ' AND f."isVisible"')
               || immich_maint.optional_cond(run_id, faces, 'deletedAt', ' AND f."deletedAt" IS NULL');
  IF immich_maint.has_column(people, 'thumbnailPath') THEN
    files := pg_catalog.jsonb_build_object('expr', 't."thumbnailPath"', 'subject', 'person',
                                'reason', 'person without visible faces');
  ELSE
    PERFORM immich_maint.run_note(run_id, 'table person has no column "thumbnailPath": no thumbnails queued');
  END IF;
  RETURN pg_catalog.jsonb_build_array(immich_maint.delete_step('person', people,
    pg_catalog.format('NOT EXISTS (SELECT 1 FROM public.asset_face f WHERE f."personId" = t.id AND %s)', face),
    immich_maint.job_count(params, 'batchSize', 10000), NULL, files));
END
$$;
COMMENT ON FUNCTION immich_maint.plan_people(bigint, jsonb) IS
  'PersonCleanup: people with no visible, non-deleted face; thumbnails go to the file-deletion queue. Params: batchSize';

-- cond when the table has the column; otherwise '' and a note that the rule part is skipped.
CREATE FUNCTION immich_maint.optional_cond(run_id bigint, tbl regclass, col text, cond text)
  RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF immich_maint.has_column(tbl, col) THEN
    RETURN cond;
  END IF;
  PERFORM immich_maint.run_note(run_id, pg_catalog.format('table %s has no column %s: that part of the rule is skipped',
                                               (SELECT c.relname FROM pg_class c WHERE c.oid = tbl), pg_catalog.quote_ident(col)));
  RETURN '';
END
$$;
COMMENT ON FUNCTION immich_maint.optional_cond(bigint, regclass, text, text) IS
  'A condition that needs a column this Immich version may lack: the condition, or '''' and a note';

-- MemoryCleanup: memory_asset rows of assets not on the timeline; unsaved memories created over
-- 30 days ago.
CREATE FUNCTION immich_maint.plan_memory_cleanup(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  memories regclass := immich_maint.job_table(run_id, 'memory', '{isSaved,createdAt}');
  links regclass := immich_maint.job_table(run_id, 'memory_asset', '{assetId}');
  assets regclass := immich_maint.job_table(run_id, 'asset', '{id,visibility}');
  batch integer := immich_maint.job_count(params, 'batchSize', 10000);
  cutoff timestamptz := pg_catalog.now() - immich_maint.job_days(params, 'days', 30);
BEGIN
  RETURN pg_catalog.jsonb_build_array(
    CASE WHEN links IS NOT NULL AND assets IS NOT NULL THEN immich_maint.delete_step('memory_asset', links,
      'EXISTS (SELECT 1 FROM public.asset a WHERE a.id = t."assetId" AND a.visibility::text <> ''timeline'')',
      batch) END,
    CASE WHEN memories IS NOT NULL THEN immich_maint.delete_step('memory', memories,
      pg_catalog.format('NOT t."isSaved" AND t."createdAt" < %L', cutoff), batch) END);
END
$$;
COMMENT ON FUNCTION immich_maint.plan_memory_cleanup(bigint, jsonb) IS
  'MemoryCleanup: memory_asset rows whose asset is not on the timeline, unsaved memories created over days (30) ago. Params: days, batchSize';

-- NotificationsCleanup: soft-deleted over 3 days ago, read and over 15 days old, unread and
-- over 30 days old (Immich itself never deletes the unread ones: its query tests readAt = NULL).
CREATE FUNCTION immich_maint.plan_notifications(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tbl regclass := immich_maint.job_table(run_id, 'notification', '{createdAt}');
  read_cond text;
BEGIN
  IF tbl IS NULL THEN
    RETURN '[]';
  END IF;
  read_cond := immich_maint.optional_cond(run_id, tbl, 'readAt', pg_catalog.format(
    't."readAt" IS NOT NULL AND t."createdAt" < %L OR t."readAt" IS NULL AND ',
    pg_catalog.now() - immich_maint.job_days(params, 'readDays', 15)));
  RETURN pg_catalog.jsonb_build_array(immich_maint.delete_step('notification', tbl,
    pg_catalog.format('%s t."createdAt" < %L', read_cond, pg_catalog.now() - immich_maint.job_days(params, 'unreadDays', 30))
    || immich_maint.optional_cond(run_id, tbl, 'deletedAt', pg_catalog.format(' OR t."deletedAt" < %L',
         pg_catalog.now() - immich_maint.job_days(params, 'deletedDays', 3))),
    immich_maint.job_count(params, 'batchSize', 10000)));
END
$$;
COMMENT ON FUNCTION immich_maint.plan_notifications(bigint, jsonb) IS
  'NotificationsCleanup: deleted over deletedDays (3), read and older than readDays (15), unread and older than unreadDays (30). Params: those, batchSize';

-- UserDeleteCheck: users deleted over 7 days ago. Their folders are queued first; a later run,
-- once the sidecar has deleted every folder, deletes their assets (in batches) and the row.
CREATE FUNCTION immich_maint.plan_user_delete(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  users regclass := immich_maint.job_table(run_id, 'user', '{id,deletedAt}');
  age interval := immich_maint.job_days(params, 'days', 7);
  batch integer := immich_maint.job_count(params, 'batchSize', 10000);
  ready text;
BEGIN
  IF users IS NULL THEN
    RETURN '[]';
  END IF;
  SELECT coalesce(pg_catalog.array_agg(u.id)::text, '{}') INTO ready FROM public."user" u
   WHERE u."deletedAt" < pg_catalog.now() - age AND immich_maint.subject_ready('user', u.id);
  RETURN pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('fn', 'cancel_stale', 'name', 'file queue', 'subject', 'user'),
    pg_catalog.jsonb_build_object('fn', 'queue_user_folders', 'name', 'user folders', 'cutoff', pg_catalog.now() - age,
                       'batch', greatest(1, batch / 100), 'reason', pg_catalog.format('user deleted over %s ago', age),
                       'label', immich_maint.user_label_sql(users)),
    CASE WHEN ready <> '{}' AND immich_maint.has_column(pg_catalog.to_regclass('public.asset'), 'ownerId') THEN
      immich_maint.delete_step('asset', 'public.asset', pg_catalog.format('t."ownerId" = ANY (%L::uuid[]) AND EXISTS ('
        'SELECT 1 FROM public."user" u WHERE u.id = t."ownerId" AND u."deletedAt" < %L)', ready, pg_catalog.now() - age),
        greatest(1, batch / 10)) END,
    CASE WHEN ready <> '{}' THEN immich_maint.delete_step('user', users, pg_catalog.format(
      't.id = ANY (%L::uuid[]) AND t."deletedAt" < %L AND immich_maint.subject_ready(''user'', t.id)',
      ready, pg_catalog.now() - age), 1) END);
END
$$;
COMMENT ON FUNCTION immich_maint.plan_user_delete(bigint, jsonb) IS
  'UserDeleteCheck: queue the folders of users deleted over days (7) ago; delete the assets and row of those whose folders are gone. Params: days, batchSize';

-- The user's library folder name: the storage label when it is a plain folder name, else id.
CREATE FUNCTION immich_maint.user_label_sql(users regclass) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN immich_maint.has_column(users, 'storageLabel')
    THEN 'CASE WHEN u."storageLabel" !~ ''[/\\]'' AND u."storageLabel" NOT IN ('''', ''.'', ''..'')'
         ' THEN u."storageLabel" END'
    ELSE 'NULL::text' END
$$;
COMMENT ON FUNCTION immich_maint.user_label_sql(regclass) IS
  'SQL for a user''s library folder name: the storage label when safe as one folder name, else NULL (the id is used)';

-- AssetDeleteCheck: assets in the trash for over 30 days. Their files are queued first; a later
-- run deletes the rows whose files are all gone.
CREATE FUNCTION immich_maint.plan_asset_delete(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  assets regclass := immich_maint.job_table(run_id, 'asset', '{id,deletedAt,originalPath}');
  age interval := immich_maint.job_days(params, 'days', 30);
  batch integer := greatest(1, immich_maint.job_count(params, 'batchSize', 10000) / 10);
BEGIN
  IF assets IS NULL THEN
    RETURN '[]';
  END IF;
  RETURN pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('fn', 'cancel_stale', 'name', 'file queue', 'subject', 'asset'),
    immich_maint.delete_step('asset', assets, pg_catalog.format(
      't."deletedAt" < %L AND immich_maint.subject_ready(''asset'', t.id)', pg_catalog.now() - age), batch),
    pg_catalog.jsonb_build_object('fn', 'queue_asset_files', 'name', 'asset files', 'cutoff', pg_catalog.now() - age,
                       'batch', batch, 'reason', pg_catalog.format('in the trash for over %s', age),
                       'paths', immich_maint.asset_paths_sql(run_id, assets)));
END
$$;
COMMENT ON FUNCTION immich_maint.plan_asset_delete(bigint, jsonb) IS
  'AssetDeleteCheck: delete trashed assets whose queued files are gone, then queue the files of assets trashed over days (30) ago. Params: days, batchSize (assets go batchSize/10 at a time)';

-- SQL (on alias a) listing an asset's files: the original (not for external libraries, whose
-- files are the user's own), asset_file rows, and the path columns older versions kept on asset.
CREATE FUNCTION immich_maint.asset_paths_sql(run_id bigint, assets regclass) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  external text := 'false';
  parts text[];
  col text;
BEGIN
  IF immich_maint.has_column(assets, 'libraryId') THEN external := external || ' OR a."libraryId" IS NOT NULL'; END IF;
  IF immich_maint.has_column(assets, 'isExternal') THEN external := external || ' OR a."isExternal"'; END IF;
  parts := ARRAY[pg_catalog.format('SELECT a."originalPath" WHERE NOT (%s)', external)];
  IF immich_maint.job_table(run_id, 'asset_file', '{assetId,type,path}') IS NOT NULL THEN
    parts := parts || pg_catalog.format('SELECT f.path::text FROM public.asset_file f WHERE f."assetId" = a.id'
                             ' AND NOT (f.type = ''sidecar'' AND (%s))', external);
  END IF;
  FOR col IN SELECT pg_catalog.unnest(ARRAY['sidecarPath', 'encodedVideoPath', 'thumbnailPath', 'previewPath',
                                 'resizePath', 'webpPath']) LOOP
    CONTINUE WHEN NOT immich_maint.has_column(assets, col);
    parts := parts || pg_catalog.format('SELECT a.%I::text WHERE NOT (%s)', col,
                             CASE WHEN col = 'sidecarPath' THEN external ELSE 'false' END);
  END LOOP;
  RETURN array_to_string(parts, ' UNION ALL ');
END
$$;
COMMENT ON FUNCTION immich_maint.asset_paths_sql(bigint, regclass) IS
  'SQL listing an asset''s files as this Immich version stores them (external originals excluded)';

-- MemoryGenerate: "on this day" memories for today (params.date overrides; today is taken in
-- immich_maint.timezone), one per user and earlier year with timeline assets of this day.
CREATE FUNCTION immich_maint.plan_memory_generate(run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  users regclass := immich_maint.job_table(run_id, 'user', '{id}');
  assets regclass := immich_maint.job_table(run_id, 'asset', '{id,ownerId,localDateTime,deletedAt}');
  memories regclass := immich_maint.job_table(run_id, 'memory', '{id,ownerId,type,data,memoryAt}');
  links regclass := immich_maint.job_table(run_id, 'memory_asset', '{memoriesId,assetId}');
  day date := coalesce((params->>'date')::date, (pg_catalog.now() AT TIME ZONE coalesce(
                nullif(current_setting('immich_maint.timezone', true), ''), 'UTC'))::date);
BEGIN
  IF users IS NULL OR assets IS NULL OR memories IS NULL OR links IS NULL THEN
    RETURN '[]';
  END IF;
  RETURN pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('fn', 'generate_memories', 'name', 'on this day',
    'day', day, 'batch', greatest(1, immich_maint.job_count(params, 'batchSize', 10000) / 100),
    'userFilter', CASE WHEN immich_maint.has_column(users, 'deletedAt') THEN 'AND u."deletedAt" IS NULL' ELSE '' END,
    'sql', immich_maint.memory_sql(run_id, assets, memories)));
END
$$;
COMMENT ON FUNCTION immich_maint.plan_memory_generate(bigint, jsonb) IS
  'MemoryGenerate: on-this-day memories per user and earlier year, idempotent per user and day. Params: date (default today), batchSize (users go batchSize/100 at a time)';

-- One batch of MemoryGenerate for users $1 and day $2: the memories not made yet, and their
-- assets (not deleted, on the timeline, local date on this month and day of an earlier year).
CREATE FUNCTION immich_maint.memory_sql(run_id bigint, assets regclass, memories regclass) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  visible text := immich_maint.optional_cond(run_id, assets, 'visibility', ' AND a.visibility::text = ''timeline''');
  shown boolean := immich_maint.has_column(memories, 'showAt') AND immich_maint.has_column(memories, 'hideAt');
BEGIN
  RETURN pg_catalog.format($q$
    WITH a AS (SELECT a.id, a."ownerId" AS owner, extract(year FROM %1$s)::integer AS year
               FROM public.asset a
               WHERE a."ownerId" = ANY ($1) AND a."deletedAt" IS NULL%2$s
                 AND extract(month FROM %1$s) = extract(month FROM $2)
                 AND extract(day FROM %1$s) = extract(day FROM $2) AND %1$s < $2),
         y AS (SELECT DISTINCT a.owner, a.year, make_timestamptz(a.year, extract(month FROM $2)::integer,
                                                                 extract(day FROM $2)::integer, 0, 0, 0, 'UTC') AS at
               FROM a),
         m AS (INSERT INTO public.memory ("ownerId", type, data, "memoryAt"%3$s)
               SELECT y.owner, 'on_this_day', pg_catalog.jsonb_build_object('year', y.year), y.at%4$s FROM y
               WHERE NOT EXISTS (SELECT 1 FROM public.memory o WHERE o."ownerId" = y.owner
                                 AND o.type = 'on_this_day' AND o."memoryAt" = y.at)
               RETURNING id, "ownerId" AS owner, (data->>'year')::integer AS year),
         l AS (INSERT INTO public.memory_asset ("memoriesId", "assetId")
               SELECT m.id, a.id FROM m JOIN a ON a.owner = m.owner AND a.year = m.year RETURNING 1)
    SELECT (SELECT pg_catalog.count(*) FROM m), (SELECT pg_catalog.count(*) FROM l)$q$,
    '(a."localDateTime" AT TIME ZONE ''UTC'')', visible,
    CASE WHEN shown THEN ', "showAt", "hideAt"' ELSE '' END,
    CASE WHEN shown THEN ', $2::timestamp AT TIME ZONE ''UTC'','
                         ' ($2 + 1)::timestamp AT TIME ZONE ''UTC'' - interval ''1 millisecond''' ELSE '' END);
END
$$;
COMMENT ON FUNCTION immich_maint.memory_sql(bigint, regclass, regclass) IS
  'The SQL of one MemoryGenerate batch for this Immich version''s columns';

-- The one place that maps a database job to its body: the steps of one run.
CREATE FUNCTION immich_maint.job_steps(job text, run_id bigint, params jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  CASE job
    WHEN 'AuditTableCleanup' THEN RETURN immich_maint.plan_audit_tables(run_id, params);
    WHEN 'AuditLogCleanup' THEN RETURN immich_maint.plan_audit_log(run_id, params);
    WHEN 'SessionCleanup' THEN RETURN immich_maint.plan_sessions(run_id, params);
    WHEN 'TagCleanup' THEN RETURN immich_maint.plan_tags(run_id, params);
    WHEN 'PersonCleanup' THEN RETURN immich_maint.plan_people(run_id, params);
    WHEN 'MemoryCleanup' THEN RETURN immich_maint.plan_memory_cleanup(run_id, params);
    WHEN 'MemoryGenerate' THEN RETURN immich_maint.plan_memory_generate(run_id, params);
    WHEN 'NotificationsCleanup' THEN RETURN immich_maint.plan_notifications(run_id, params);
    WHEN 'UserDeleteCheck' THEN RETURN immich_maint.plan_user_delete(run_id, params);
    WHEN 'AssetDeleteCheck' THEN RETURN immich_maint.plan_asset_delete(run_id, params);
    ELSE RAISE EXCEPTION 'not implemented yet: %', job USING ERRCODE = '0A000';
  END CASE;
END
$$;
COMMENT ON FUNCTION immich_maint.job_steps(text, bigint, jsonb) IS
  'The planned steps of a database job''s run: the one map from job name to body';

-- ---------------------------------------------------------------------------------------------
-- Running a database job: plan once, then one batch per transaction

-- Raises unless the caller may run jobs and run_id is a database run that has not ended.
CREATE FUNCTION immich_maint.check_runnable(run_id bigint) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run record;
BEGIN
  PERFORM immich_maint.require_admin('run immich_maint jobs');
  IF run_id IS NULL THEN
    RAISE EXCEPTION 'run id must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT r.job, r.runner, r.status INTO run FROM immich_maint.job_run r WHERE r.id = run_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'run % does not exist', run_id USING ERRCODE = '22023';
  END IF;
  IF run.runner <> 'database' THEN
    RAISE EXCEPTION 'run % is a % run, which the sidecar runs', run_id, run.job
      USING ERRCODE = '55000', HINT = 'immich-maintd serve claims sidecar runs.';
  END IF;
  IF run.status NOT IN ('queued', 'running') THEN
    RAISE EXCEPTION 'run % has already ended: %', run_id, run.status USING ERRCODE = '55000';
  END IF;
END
$$;
COMMENT ON FUNCTION immich_maint.check_runnable(bigint) IS
  'Raises unless the caller is an admin and the run is a queued or running database run';

-- Marks the run running and plans it: its steps, the current step, lock settings, done.
CREATE FUNCTION immich_maint.job_begin(run_id bigint) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run immich_maint.job_run;
  steps jsonb;
  lock_timeout text;
BEGIN
  UPDATE immich_maint.job_run r
     SET status = 'running', started_at = coalesce(r.started_at, pg_catalog.now()), heartbeat_at = pg_catalog.now(),
         worker = coalesce(r.worker, 'postgres:' || pg_backend_pid()),
         result = coalesce(r.result, '{}') || '{"steps": {}, "deleted": 0}'
   WHERE r.id = run_id RETURNING r.* INTO run;
  lock_timeout := coalesce(run.params->>'lockTimeout', '1s');
  PERFORM pg_catalog.set_config('lock_timeout', lock_timeout, true);  -- refuses an invalid value here
  steps := jsonb_path_query_array(immich_maint.job_steps(run.job, run_id, run.params), '$[*] ? (@ != null)');
  RETURN pg_catalog.jsonb_build_object('steps', steps, 'i', 0, 'attempts', 0, 'done', pg_catalog.jsonb_array_length(steps) = 0,
                            'lockTimeout', lock_timeout,
                            'lockRetries', immich_maint.job_count(run.params, 'lockRetries', 3, 0),
                            'totals', '{}'::jsonb, 'deleted', 0, 'flushedAt', pg_catalog.clock_timestamp());
END
$$;
COMMENT ON FUNCTION immich_maint.job_begin(bigint) IS
  'Marks a database run running and plans it. Params of every job: lockTimeout (''1s''), lockRetries (3)';

-- One batch of a planned run, in a transaction of its own: the current step once, under the
-- run's lock_timeout; counts it; moves on when the step is done. Stops when the run is no
-- longer running (cancelled meanwhile).
CREATE FUNCTION immich_maint.job_batch(run_id bigint, plan jsonb) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i integer := (plan->>'i')::integer;
  total integer := pg_catalog.jsonb_array_length(plan->'steps');
  step jsonb := plan->'steps'->i;
  started timestamptz := pg_catalog.clock_timestamp();
BEGIN
  IF i >= total OR NOT EXISTS (SELECT 1 FROM immich_maint.job_run r
                                WHERE r.id = run_id AND r.status = 'running') THEN
    RETURN plan || '{"done": true}';
  END IF;
  PERFORM pg_catalog.set_config('lock_timeout', plan->>'lockTimeout', true);
  -- A batch's commit need not wait for the WAL flush: a crash loses at most the last batches,
  -- which the next run simply does again (deletes in order, never rows before their files).
  PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
  step := immich_maint.step_run(run_id, step);
  IF (step->>'done')::boolean THEN
    i := i + 1;
  END IF;
  plan := immich_maint.plan_count(plan, step->>'name', step->'n' || '{"batches": 1}',
                                  extract(epoch FROM pg_catalog.clock_timestamp() - started) * 1000)
          || pg_catalog.jsonb_build_object('steps', pg_catalog.jsonb_set(plan->'steps', ARRAY[plan->>'i'], step - 'n'),
                                'i', i, 'attempts', 0, 'done', i >= total);
  IF (step->>'done')::boolean OR pg_catalog.clock_timestamp() >= (plan->>'flushedAt')::timestamptz + interval '1 second' THEN
    plan := immich_maint.run_flush(run_id, plan);
  END IF;
  RETURN plan;
END
$$;
COMMENT ON FUNCTION immich_maint.job_batch(bigint, jsonb) IS
  'One batch of a planned database run; returns the updated plan';

-- After a batch ran into lock_timeout or a deadlock (and was rolled back): the same batch
-- again, up to lockRetries times, then a note and on to the next step.
CREATE FUNCTION immich_maint.job_lock_failed(run_id bigint, plan jsonb, message text) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i integer := (plan->>'i')::integer;
  attempts integer := (plan->>'attempts')::integer + 1;
  name text := plan->'steps'->i->>'name';
BEGIN
  plan := immich_maint.plan_count(plan, name, '{"lockFailures": 1}', 0);
  IF attempts <= (plan->>'lockRetries')::integer THEN
    RETURN plan || pg_catalog.jsonb_build_object('attempts', attempts);
  END IF;
  PERFORM immich_maint.run_note(run_id, pg_catalog.format('%s: skipped after %s attempts (lock_timeout %s): %s',
                                               name, attempts, plan->>'lockTimeout', message));
  RETURN immich_maint.run_flush(run_id, plan || pg_catalog.jsonb_build_object(
    'i', i + 1, 'attempts', 0, 'done', i + 1 >= pg_catalog.jsonb_array_length(plan->'steps')));
END
$$;
COMMENT ON FUNCTION immich_maint.job_lock_failed(bigint, jsonb, text) IS
  'Retries a batch that hit lock_timeout or a deadlock, up to lockRetries times, then skips its step with a note';

-- The files a run queued, for its result: all of them up to 10,000 (the full list is in
-- immich_maint.file_deletion by run_id).
CREATE FUNCTION immich_maint.run_files(run_id bigint) RETURNS jsonb
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN pg_catalog.count(*) = 0 THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object(
           'filesQueued', pg_catalog.count(*),
           'files', pg_catalog.jsonb_agg(f.kind || ' ' || f.path ORDER BY f.id) FILTER (WHERE f.n <= 10000),
           'filesTruncated', pg_catalog.count(*) > 10000) END
  FROM (SELECT f.id, f.kind, f.path, pg_catalog.row_number() OVER (ORDER BY f.id) AS n
        FROM immich_maint.file_deletion f WHERE f.run_id = run_files.run_id) f
$$;
COMMENT ON FUNCTION immich_maint.run_files(bigint) IS
  'The file deletions a run queued, as "file <path>" or "folder <path>" (at most 10,000 listed)';

-- Ends a run: succeeded (unless cancelled meanwhile) or failed with the message, the files it
-- queued listed in its result.
CREATE FUNCTION immich_maint.job_end(run_id bigint, plan jsonb, failure text, failure_state text)
  RETURNS text LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  UPDATE immich_maint.job_run r
     SET status = CASE WHEN failure IS NOT NULL THEN 'failed'
                       WHEN r.status = 'running' THEN 'succeeded' ELSE r.status END,
         progress = CASE WHEN failure IS NULL AND r.status = 'running' THEN 1 ELSE r.progress END,
         finished_at = coalesce(r.finished_at, pg_catalog.now()), heartbeat_at = pg_catalog.now(),
         error = coalesce(failure, r.error),
         result = coalesce(r.result, '{}')
                  || CASE WHEN plan ? 'totals' THEN pg_catalog.jsonb_build_object(
                       'steps', plan->'totals', 'deleted', (plan->>'deleted')::bigint) ELSE '{}' END
                  || immich_maint.run_files(run_id)
                  || CASE WHEN failure IS NULL THEN '{}' ELSE pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                       'sqlstate', failure_state,
                       'failedStep', plan->'steps'->((plan->>'i')::integer)->>'name')) END
   WHERE r.id = run_id
  RETURNING r.status
$$;
COMMENT ON FUNCTION immich_maint.job_end(bigint, jsonb, text, text) IS
  'Ends a database run: status, finish time, error, and the files it queued in its result';

-- Runs a queued (or claimed) database run to its end, committing after every batch. Call it
-- outside a transaction block: CALL immich_maint.run_database_job(id).
CREATE PROCEDURE immich_maint.run_database_job(run_id bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  plan jsonb;
  failure text;
  failure_state text;
BEGIN
  PERFORM immich_maint.check_runnable(run_id);
  BEGIN
    plan := immich_maint.job_begin(run_id);
  EXCEPTION WHEN OTHERS THEN
    failure := SQLERRM; failure_state := SQLSTATE;
  END;
  COMMIT;
  WHILE failure IS NULL AND NOT (plan->>'done')::boolean LOOP
    BEGIN
      plan := immich_maint.job_batch(run_id, plan);
    EXCEPTION
      WHEN lock_not_available OR deadlock_detected THEN
        plan := immich_maint.job_lock_failed(run_id, plan, SQLERRM);
      WHEN OTHERS OR query_canceled THEN
        failure := SQLERRM; failure_state := SQLSTATE;
    END;
    COMMIT;
  END LOOP;
  PERFORM immich_maint.job_end(run_id, plan, failure, failure_state);
  COMMIT;
END
$$;
COMMENT ON PROCEDURE immich_maint.run_database_job(bigint) IS
  'Runs a queued database run (AuditTableCleanup, TagCleanup, ...) to its end in batches, one transaction each; a failure marks the run failed with the message. CALL it outside a transaction block; the launcher does so for every queued database run. superuser or immich_maint_admin only';

-- Inserts a manual run that is already running (so the launcher leaves it alone), with the
-- job's schedule params overlaid by run_params. Internal: called by the run_now worker.
CREATE FUNCTION immich_maint.start_run(job_name text, run_params jsonb, requested_by text)
  RETURNS bigint LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO immich_maint.job_run (job, runner, trigger, params, requested_by, status, started_at, worker)
  SELECT j.name, j.runner, 'manual', coalesce(s.params, '{}') || coalesce(run_params, '{}'),
         requested_by, 'running', pg_catalog.now(), 'postgres:' || pg_backend_pid()
    FROM immich_maint.job j LEFT JOIN immich_maint.schedule s ON s.job = j.name
   WHERE j.name = job_name
  RETURNING id
$$;
REVOKE ALL ON FUNCTION immich_maint.start_run(text, jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION immich_maint.start_run(text, jsonb, text) IS
  'Internal: inserts a running manual run for immich_maint.run_now';

CREATE FUNCTION immich_maint.run_in_worker(job text, params text, requested_by text,
    OUT run_id bigint, OUT status text, OUT error text, OUT sqlstate text, OUT deleted bigint)
  RETURNS record AS 'MODULE_PATHNAME', 'immich_maint_run_in_worker'
  LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION immich_maint.run_in_worker(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION immich_maint.run_in_worker(text, text, text) TO immich_maint_admin;
COMMENT ON FUNCTION immich_maint.run_in_worker(text, text, text) IS
  'Internal: runs a database job in a background worker of its own and waits for it (see run_now)';

CREATE FUNCTION immich_maint.run_now(job text, params jsonb DEFAULT NULL,
    OUT run_id bigint, OUT status text, OUT deleted bigint)
  RETURNS record LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run record;
BEGIN
  PERFORM immich_maint.require_admin('run immich_maint jobs');
  PERFORM immich_maint.check_database_job(job);
  IF params IS NOT NULL AND pg_catalog.jsonb_typeof(params) <> 'object' THEN
    RAISE EXCEPTION 'params must be a JSON object, not %', pg_catalog.jsonb_typeof(params) USING ERRCODE = '22023';
  END IF;
  SELECT * INTO run FROM immich_maint.run_in_worker(job, params::text, current_user::text);
  IF run.status = 'failed' THEN
    RAISE EXCEPTION '%', run.error USING ERRCODE = coalesce(run.sqlstate, 'XX000'),
      DETAIL = pg_catalog.format('Run %s (%s) failed; its result is in immich_maint.job_run.', run.run_id, job);
  END IF;
  run_id := run.run_id; status := run.status; deleted := run.deleted;
END
$$;
COMMENT ON FUNCTION immich_maint.run_now(text, jsonb) IS
  'Runs a database job now, in a background worker that commits after every batch, and waits for it; params overlay the schedule''s. Raises the run''s error if it fails. The run is recorded in job_run (trigger manual) even if the caller rolls back. superuser or immich_maint_admin only';

-- Raises unless job names a job that runs in the database.
CREATE FUNCTION immich_maint.check_database_job(job text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job_runner text;
BEGIN
  IF job IS NULL THEN
    RAISE EXCEPTION 'job must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT j.runner INTO job_runner FROM immich_maint.job j WHERE j.name = job;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown job: %', job USING ERRCODE = '22023',
      DETAIL = pg_catalog.format('Valid jobs: %s.', (SELECT pg_catalog.string_agg(j.name, ', ' ORDER BY j.name)
                                           FROM immich_maint.job j WHERE j.runner = 'database'));
  END IF;
  IF job_runner <> 'database' THEN
    RAISE EXCEPTION 'job % runs in the sidecar, not in the database', job USING ERRCODE = '55000',
      HINT = pg_catalog.format('Queue it with SELECT immich_run_job(%L).', job);
  END IF;
END
$$;
COMMENT ON FUNCTION immich_maint.check_database_job(text) IS
  'Raises unless the job exists and runs in the database';

CREATE FUNCTION immich_prune_audit(older_than interval DEFAULT '31 days', batch integer DEFAULT 10000)
  RETURNS bigint LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp SET IntervalStyle = postgres AS $$
BEGIN
  PERFORM immich_maint.require_admin('prune audit tables');
  IF older_than IS NULL OR batch IS NULL THEN
    RAISE EXCEPTION 'older_than and batch must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF older_than < interval '0' THEN
    RAISE EXCEPTION 'older_than must not be negative, not %', older_than USING ERRCODE = '22023';
  END IF;
  IF batch < 1 THEN
    RAISE EXCEPTION 'batch must be at least 1 row, not %', batch USING ERRCODE = '22023';
  END IF;
  RETURN (immich_maint.run_now('AuditTableCleanup', pg_catalog.jsonb_build_object(
    'olderThan', older_than::text, 'batchSize', batch))).deleted;
END
$$;
COMMENT ON FUNCTION immich_prune_audit(interval, integer) IS
  'Prunes every *_audit table now: rows whose "deletedAt" is older than older_than, batch rows per transaction (run by a background worker, committed as it goes, recorded in job_run as a manual AuditTableCleanup run); returns the rows deleted. superuser or immich_maint_admin only';

-- ---------------------------------------------------------------------------------------------
-- Restore: immich_restore, and what restoring a dump of this database needs
-- ---------------------------------------------------------------------------------------------

-- Inserts a queued run whose params are the schedule's overlaid by run_params. Internal: called
-- by the worker that immich_restore starts.
CREATE FUNCTION immich_maint.enqueue(job_name text, run_trigger text, requested_by text, run_params jsonb)
  RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run_id bigint;
BEGIN
  INSERT INTO immich_maint.job_run (job, runner, trigger, params, requested_by)
    SELECT j.name, j.runner, run_trigger, coalesce(s.params, '{}') || coalesce(run_params, '{}'), requested_by
    FROM immich_maint.job j LEFT JOIN immich_maint.schedule s ON s.job = j.name
    WHERE j.name = job_name
    RETURNING id INTO run_id;
  PERFORM pg_catalog.pg_notify('immich_maint', run_id::text);
  RETURN run_id;
END
$$;
REVOKE ALL ON FUNCTION immich_maint.enqueue(text, text, text, jsonb) FROM PUBLIC;

CREATE FUNCTION immich_restore(name text) RETURNS bigint
  AS 'MODULE_PATHNAME', 'immich_restore'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION immich_restore(text) IS
  'Queue a restore of the backup <media>/backups/<name> (the sidecar runs it: verify, restore point, one-transaction restore; on failure the database is as it was) and return the run id. Other sessions of the database are ended while it runs, except the caller''s, so SELECT immich_job_wait(immich_restore(..)) works. superuser or immich_maint_admin only';

-- A dump of this database holds CREATE EXTENSION immich_maint, which seeds schedule with the
-- defaults, and then the dumped schedule rows (pg_extension_config_dump): without this trigger
-- every restore of such a dump, ours or Immich's plain psql, fails on a duplicate key. pg_dump
-- writes rows back only with COPY, so during a COPY a row replaces the seeded row of its job.
CREATE FUNCTION immich_maint.schedule_restore_row() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF pg_catalog.current_query() ~* '^\s*COPY\s' THEN
    DELETE FROM immich_maint.schedule WHERE job = NEW.job;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER schedule_restore_row BEFORE INSERT ON immich_maint.schedule
  FOR EACH ROW EXECUTE FUNCTION immich_maint.schedule_restore_row();
