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
