// `immich-maintd backup`: one Immich-compatible database backup now.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "sidecar/backup_job.h"
#include "sidecar/commands.h"
#include "sidecar/failure_notice.h"
#include "sidecar/inventory_sync.h"
#include "sidecar/pg_connection.h"
#include "sidecar/media_location.h"
#include "sidecar/progress.h"

namespace immich_maint::sidecar {

namespace {

struct BackupCliOptions {
  std::string media;
  int keep = 14;
  std::string compressor = "isal";
  int level = -1;
  bool no_rsyncable = false;
  int stall_seconds = 600;
  std::string immich_version;
  std::string pg_bin;
  bool json = false;
};

void PrintSummary(const BackupResult& r) {
  const double ratio = r.dump_bytes ? static_cast<double>(r.size) / static_cast<double>(r.dump_bytes) : 0;
  std::printf("backup %s: %s (%s of SQL, ratio %.3f) in %.1f s\n", r.path.c_str(),
              HumanBytes(r.size).c_str(), HumanBytes(r.dump_bytes).c_str(), ratio, r.seconds);
  for (const auto& name : r.deleted) std::printf("deleted %s\n", name.c_str());
  for (const auto& error : r.retention_errors) std::printf("could not delete %s\n", error.c_str());
}

BackupOptions ToBackupOptions(const BackupCliOptions& cli) {
  BackupOptions options;
  options.media = ResolveMediaLocation(cli.media);
  options.keep_last_amount = cli.keep;
  options.gzip.compressor = ParseCompressor(cli.compressor).value();
  options.gzip.level = cli.level;
  options.gzip.rsyncable = !cli.no_rsyncable;
  options.stall_timeout = std::chrono::seconds(cli.stall_seconds);
  options.immich_version = cli.immich_version;
  options.pg_bin = cli.pg_bin;
  return options;
}

// Like a scheduled run, a failed manual backup leaves Immich's JobFailed notice for the admin.
template <typename Body>
BackupResult RunWithFailureNotice(const DbSettings& db, Body body) {
  try {
    return body();
  } catch (const core::Failure& failure) {
    if (failure.error().code != core::ErrorCode::kConnectionFailed) {
      try {
        PgConnection conn(db, "immich-maintd");
        NotifyAdminOfFailure(conn, "DatabaseBackup", failure.error().message);
      } catch (const core::Failure&) {
        // the backup's own error is the one to report
      }
    }
    throw;
  }
}

// Refreshes immich_maint.backup_file when the extension is installed; a failure here does not
// undo a good backup, so it is only a warning.
void RecordInventory(const DbSettings& db, const std::string& folder) {
  try {
    PgConnection conn(db, "immich-maintd");
    SyncBackupInventory(conn, folder);
  } catch (const core::Failure& failure) {
    std::cerr << "WARNING: backup inventory not updated: " << failure.error().message << '\n';
  }
}

void RunBackupCommand(const BackupCliOptions& cli) {
  BackupOptions options = ToBackupOptions(cli);
  ProgressLine progress("dumping");
  options.progress = [&](std::uint64_t bytes) { progress.Update(bytes); };
  const DbSettings db = DbSettingsFromProcessEnvironment();
  const BackupResult result = RunWithFailureNotice(db, [&] { return RunBackup(db, options); });
  progress.Done();
  RecordInventory(db, BackupsFolder(options.media));
  if (cli.json) {
    std::cout << BackupResultJson(result).dump(2) << '\n';
  } else {
    PrintSummary(result);
  }
}

}  // namespace

void AddBackupCommand(CLI::App& app) {
  auto cli = std::make_shared<BackupCliOptions>();
  auto* cmd = app.add_subcommand(
      "backup", "Back up the database now into <media>/backups, then apply retention");
  cmd->footer(
      "The database comes from DB_URL, or DB_HOSTNAME (database), DB_PORT (5432), DB_USERNAME\n"
      "(postgres), DB_PASSWORD (postgres), DB_DATABASE_NAME (immich), as for Immich's server.");
  cmd->add_option("--media", cli->media, "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_option("--keep", cli->keep, "Routine backups to keep (Immich's keepLastAmount)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--compressor", cli->compressor, "isal (fast) or zlib (portable)")->capture_default_str();
  cmd->add_option("--level", cli->level, "Compression level: isal 0-3 (default 2), zlib 1-9 (default 6)");
  cmd->add_flag("--no-rsyncable", cli->no_rsyncable, "No content-defined resets (smaller file, no dedupe between backups)");
  cmd->add_option("--stall-timeout", cli->stall_seconds, "Seconds without pg_dump output before it is killed")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--immich-version", cli->immich_version, "Immich version for the file name (default: the database's version_history)");
  cmd->add_option("--pg-bin", cli->pg_bin, "Folder of pg_dump (default: /usr/lib/postgresql/<server major>/bin)");
  cmd->add_flag("--json", cli->json, "Print the result as JSON");
  cmd->callback([cli] { RunBackupCommand(*cli); });
}

}  // namespace immich_maint::sidecar
