// One database backup, as a checklist of named steps: check the folder and the server, take
// the backup lock, stream pg_dump through the gzip encoder into <name>.tmp, verify it, rename
// it, then apply Immich's retention. Used by `immich-maintd backup` and by `serve`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sidecar/db_settings.h"
#include "sidecar/gzip_writer.h"
#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

struct BackupOptions {
  std::string media;                 // resolved media location
  int keep_last_amount = 14;         // Immich's default
  GzipSettings gzip;
  std::chrono::milliseconds stall_timeout{std::chrono::minutes(10)};
  std::string immich_version;        // override; empty: from the database
  std::string pg_bin;                // folder of pg_dump; empty: /usr/lib/postgresql/<major>/bin
  std::function<void(std::uint64_t dumped_bytes)> progress;
  std::string application_name;      // pg_dump's session; empty: immich-maintd-dump-<pid>
  // Restore points set this. Then the file is not inflated while it is written: once pg_dump
  // has exited (its locks are gone) and the .tmp is synced, this is called, and the file is
  // read back whole (gzip CRC and length, completion line) before it gets its name. The
  // restore starts its transaction in that gap and commits only once the check passed, so the
  // check runs on the core the restoring server leaves idle instead of beside pg_dump.
  std::function<void()> dump_ended;
};

struct BackupResult {
  std::string name;
  std::string path;
  std::uint64_t size = 0;          // compressed bytes on disk
  std::uint64_t dump_bytes = 0;    // plain SQL bytes
  std::uint64_t resets = 0;        // content-defined compressor resets
  double seconds = 0;
  std::string server_version;
  std::string immich_version;
  std::string compressor;
  std::vector<std::string> deleted;          // retention, with reasons
  std::vector<std::string> retention_errors;
};

// The result as JSON, for --json and job_run.result.
nlohmann::json BackupResultJson(const BackupResult& result);

// Throws core::Failure; on any failure no .tmp is left and older backups are untouched.
BackupResult RunBackup(const DbSettings& db, const BackupOptions& options);

// The safety backup a restore writes first: restore-point-<routine name>, made and verified like
// a backup but never subject to retention (Immich does not count these). The caller already
// holds the backup lock on a connection of its own; `conn` is this dump's (a failed dump's
// server session is ended through it). Throws core::Failure as RunBackup does.
BackupResult WriteRestorePoint(PgConnection& conn, const DbSettings& db,
                               const BackupOptions& options);

}  // namespace immich_maint::sidecar
