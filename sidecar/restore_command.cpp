// `immich-maintd restore NAME`: replace the database with a backup from <media>/backups, after
// verifying it and writing a restore point; on any failure the database is as it was.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "core/error.h"
#include "sidecar/commands.h"
#include "sidecar/inventory_sync.h"
#include "sidecar/media_location.h"
#include "sidecar/pg_connection.h"
#include "sidecar/progress.h"
#include "sidecar/restore_job.h"

namespace immich_maint::sidecar {

namespace {

struct RestoreCliOptions {
  std::string name;
  std::string media;
  bool no_restore_point = false;
  bool yes = false;
  bool json = false;
  std::string pg_bin;
  std::string lock_timeout = "60s";
};

// Asked on a terminal; elsewhere --yes is required (a script must say what it means).
void Confirm(const RestoreCliOptions& cli, const DbSettings& db) {
  if (cli.yes) return;
  if (::isatty(STDIN_FILENO) != 1) {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kInvalidArgument, "restore needs --yes when not run on a terminal",
        "A restore replaces every table of " + db.Get("dbname") + ".", "Pass --yes to confirm."));
  }
  std::fprintf(stderr, "Replace all data of database %s with %s? [y/N] ", db.Get("dbname").c_str(),
               cli.name.c_str());
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes") {
    throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument, "restore cancelled"));
  }
}

// One progress line per phase on a terminal.
class PhaseLines {
 public:
  void Update(RestorePhase phase, std::uint64_t done, std::uint64_t total) {
    if (!line_ || phase != phase_) {
      line_.reset();
      line_.emplace(RestorePhaseName(phase));
      phase_ = phase;
    }
    line_->Update(done, total);
  }
  void Done() { line_.reset(); }

 private:
  std::optional<ProgressLine> line_;
  RestorePhase phase_ = RestorePhase::kVerify;
};

// The restored immich_maint.backup_file is the dump's: show the folder as it is now (serve
// does the same after its runs). Best effort: the restore itself succeeded.
void RefreshInventory(const DbSettings& db, const std::string& media) {
  try {
    PgConnection conn(db, "immich-maintd");
    SyncBackupInventory(conn, BackupsFolder(media));
  } catch (const core::Failure&) {
  }
}

void PrintSummary(const RestoreResult& r) {
  std::printf("restored %s into %s (%s dump, %s of SQL) in %.1f s\n", r.name.c_str(),
              r.database.c_str(), r.kind.c_str(), HumanBytes(r.check.sql_bytes).c_str(), r.seconds);
  if (!r.restore_point.empty()) {
    std::printf("restore point %s (%s)\n", r.restore_point.c_str(),
                HumanBytes(r.restore_point_size).c_str());
  }
  std::printf(
      "verify %.1f s, restore point %.1f s, restore %.1f s; %d other session(s) ended; %llu "
      "search_path line(s) fixed\n",
      r.verify_seconds, r.restore_point_seconds, r.restore_seconds, r.sessions_ended,
      static_cast<unsigned long long>(r.search_path_fixes));
  for (const auto& name : r.other_databases)
    std::printf("not restored (another database in the cluster dump): %s\n", name.c_str());
  for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
}

void RunRestoreCommand(const RestoreCliOptions& cli) {
  const DbSettings db = DbSettingsFromProcessEnvironment();
  Confirm(cli, db);
  RestoreOptions options;
  options.media = ResolveMediaLocation(cli.media);
  options.name = cli.name;
  options.restore_point = !cli.no_restore_point;
  options.pg_bin = cli.pg_bin;
  options.lock_timeout = cli.lock_timeout;
  PhaseLines lines;
  options.progress = [&](RestorePhase phase, double, std::uint64_t done, std::uint64_t total) {
    lines.Update(phase, done, total);
  };
  options.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const RestoreResult result = RunRestore(db, options);
  lines.Done();
  RefreshInventory(db, options.media);
  if (cli.json) {
    std::cout << RestoreResultJson(result).dump(2) << '\n';
  } else {
    PrintSummary(result);
  }
}

}  // namespace

void AddRestoreCommand(CLI::App& app) {
  auto cli = std::make_shared<RestoreCliOptions>();
  auto* cmd =
      app.add_subcommand("restore", "Replace the database with a backup from <media>/backups");
  cmd->footer(
      "Verifies the whole file first, turns Immich's maintenance mode on, keeps other clients out\n"
      "(ALTER DATABASE .. ALLOW_CONNECTIONS false, their sessions ended), writes a restore point,\n"
      "then restores in one transaction, which commits only once the restore point read back\n"
      "intact. On any failure the database is as it was; after a crash\n"
      "the next restore or serve start undoes maintenance mode and the connection block.");
  cmd->add_option("name", cli->name,
                  "Backup name in <media>/backups (as `immich-maintd list` shows it)")
      ->required();
  cmd->add_option(
      "--media", cli->media,
      "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_flag("--no-restore-point", cli->no_restore_point,
                "Skip the restore-point backup (for a database too damaged to dump)");
  cmd->add_flag("--yes", cli->yes, "Do not ask for confirmation");
  cmd->add_flag("--json", cli->json, "Print the result as JSON");
  cmd->add_option("--pg-bin", cli->pg_bin,
                  "Folder of psql and pg_dump (default: /usr/lib/postgresql/<server major>/bin)");
  cmd->add_option("--lock-timeout", cli->lock_timeout,
                  "How long the schema reset waits for another session's locks")
      ->capture_default_str();
  cmd->callback([cli] { RunRestoreCommand(*cli); });
}

}  // namespace immich_maint::sidecar
