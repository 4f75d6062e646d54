// One database restore, as a checklist: undo what a dead restore left behind; resolve the name;
// verify the whole file (a bad file touches nothing); turn Immich's maintenance mode on; connect
// psql (and pg_dump for the restore point) and then keep every other client out; write the
// restore point; feed psql the dump in ONE transaction after Immich's schema reset; let other
// clients back in. Any failure rolls the transaction back and undoes the rest, so the database
// is exactly as it was. Used by `immich-maintd restore` and by `serve` (job DatabaseRestore).
//
// The run doing the restore: the dump's DROP/CREATE EXTENSION immich_maint replaces job_run,
// row and all. The restore's state therefore lives outside the database while it runs (the
// journal file, restore_journal.h, and this process), and the restore transaction carries
// job_run across: it copies the rows into a temp table before the schema reset and puts them
// back after the dump (restore_stream.h, RestorePrefix/RestorePostlude), so the run is still
// `running` afterwards with the same id, and serve's FinishRun records how it ended.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sidecar/backup_check.h"
#include "sidecar/db_settings.h"
#include "sidecar/restore_progress.h"

namespace immich_maint::sidecar {

struct RestoreOptions {
  std::string media;  // resolved media location
  std::string name;   // a backup name in <media>/backups
  bool restore_point = true;
  std::string pg_bin;       // folder of psql and pg_dump; empty: /usr/lib/postgresql/<major>/bin
  std::int64_t run_id = 0;  // the job_run row of this restore (0: command line)
  std::string spare_pid;    // a session kept connected (the SQL caller waiting on the run)
  std::string lock_timeout = "60s";  // for the schema reset, against sessions we spared
  // phase, fraction of the whole run, and bytes done of total within the phase (0: unknown)
  std::function<void(RestorePhase, double fraction, std::uint64_t done, std::uint64_t total)>
      progress;
  std::function<void(const std::string&)> log;  // e.g. what crash recovery undid
};

struct RestoreResult {
  std::string name;
  std::string database;
  BackupCheck check;
  std::string kind;           // "database" or "cluster"
  std::string restore_point;  // its name; empty when skipped
  std::uint64_t restore_point_size = 0;
  std::uint64_t sql_lines = 0;
  std::uint64_t search_path_fixes = 0;
  std::uint64_t lines_left_out = 0;          // \connect, CREATE DATABASE, other databases, ...
  std::vector<std::string> other_databases;  // cluster: sections not restored
  int sessions_ended = 0;
  bool runs_carried = false;
  double verify_seconds = 0;
  double restore_point_seconds = 0;
  double restore_seconds = 0;
  double seconds = 0;
  std::vector<std::string> notes;
};

nlohmann::json RestoreResultJson(const RestoreResult& result);

// Throws core::Failure: kInvalidBackupName, kNotFound, kCorruptBackup before anything changes;
// kBusy while another backup or restore runs; kDumpFailed when the restore point fails;
// kRestoreFailed `restore failed at line N of <name>: <psql's error>` and the like after a
// rollback. The detail says that the database is as it was, or what could not be undone.
RestoreResult RunRestore(const DbSettings& db, const RestoreOptions& options);

}  // namespace immich_maint::sidecar
