-- Immich's backup-name rules through SQL (core/backup_name.cpp behind thin wrappers).
CREATE EXTENSION immich_maint;

-- valid names: ASCII word characters, '-' and '.', ending in .sql or .sql.gz
SELECT n, immich_is_valid_backup_name(n) AS valid, immich_backup_kind(n) AS kind
FROM (VALUES
  ('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz'),
  ('immich-db-backup-1730000000000.sql.gz'),
  ('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz.tmp'),
  ('uploaded-my_backup.sql'),
  ('restore-point-immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz'),
  ('plain.sql'),
  ('plain.sql.gz.bak'),
  ('with space.sql.gz'),
  ('../etc/passwd.sql.gz'),
  ('sub/dir.sql.gz'),
  ('café.sql.gz'),
  ('.sql'),
  ('')
) AS t(n);

-- routine and failed names
SELECT immich_is_routine_backup_name('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz') AS new_style,
       immich_is_routine_backup_name('immich-db-backup-1730000000000.sql.gz') AS old_style,
       immich_is_routine_backup_name('immich-db-backup-2025.sql') AS not_gz,
       immich_is_failed_backup_name('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz.tmp') AS failed,
       immich_is_failed_backup_name('uploaded-x.sql.gz.tmp') AS not_failed;

-- version: greedy -v(.*)- as Immich reads it; NULL when there is none
SELECT immich_backup_version('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz') AS v1,
       immich_backup_version('immich-db-backup-1730000000000.sql.gz') AS v_old,
       immich_backup_version('uploaded-immich-db-backup-20250729T114018-v2.5.0-pg16.4.sql.gz') AS v_uploaded;

-- formatting a routine name from local time, Immich version and server_version
SELECT immich_backup_name('2025-07-29 11:40:18', '1.136.0', '14.17') AS name;
SELECT immich_backup_name('2026-01-02 03:04:05.9', 'v2.5.0', '15.20 (Debian 15.20-0+deb12u1)') AS name;
SELECT immich_is_routine_backup_name(immich_backup_name(now()::timestamp, '2.5.0', current_setting('server_version')));

-- compatibility with the running Immich version
SELECT immich_backup_compat('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz', '1.136.0') AS same,
       immich_backup_compat('immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz', '2.5.0') AS other,
       immich_backup_compat('immich-db-backup-1730000000000.sql.gz', '2.5.0') AS unknown;

-- NULL in, NULL out (STRICT)
SELECT immich_is_valid_backup_name(NULL) IS NULL AS null_valid,
       immich_backup_version(NULL) IS NULL AS null_version,
       immich_backup_name(NULL, '1', '2') IS NULL AS null_name,
       immich_backup_compat('x.sql', NULL) IS NULL AS null_compat;

-- errors a user can cause, with their messages
\set VERBOSITY default
SELECT immich_backup_name('2025-07-29 11:40:18', '', '14.17');
SELECT immich_backup_name('2025-07-29 11:40:18', '1.2/../3', '14.17');
SELECT immich_backup_name('2025-07-29 11:40:18', '1.2.3', '');
SELECT immich_backup_name('infinity', '1.2.3', '14.17');
\set VERBOSITY sqlstate
SELECT immich_backup_name('2025-07-29 11:40:18', '', '14.17');
