// `immich-maintd check-storage`: the storage check now, printed as a table or JSON, recorded in
// immich_maint.storage_check when the extension is in the database; a failing critical folder
// leaves Immich's JobFailed notice for the admin and exits with its error's status.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "sidecar/commands.h"
#include "sidecar/failure_notice.h"
#include "sidecar/media_location.h"
#include "sidecar/progress.h"
#include "sidecar/report_store.h"
#include "sidecar/storage_check.h"

namespace immich_maint::sidecar {

namespace {

struct CheckStorageOptions {
  std::string media;
  bool json = false;
};

std::string YesNo(bool value) { return value ? "yes" : "no"; }

void PrintTable(const StorageReport& report) {
  std::printf("storage folders in %s\n", report.media.c_str());
  std::printf("%-14s %-13s %-8s %-6s %-8s %-8s %12s\n", "folder", "status", "critical", "marker",
              "mounted", "entries", "free");
  for (const FolderReport& f : report.folders) {
    std::printf("%-14s %-13s %-8s %-6s %-8s %-8s %12s\n", f.seen.folder.c_str(),
                core::FolderStatusName(f.verdict.status), YesNo(f.critical).c_str(),
                YesNo(f.seen.marker).c_str(), YesNo(f.seen.mount_checked).c_str(),
                f.entries ? std::to_string(*f.entries).c_str() : "-",
                f.free_bytes ? HumanBytes(*f.free_bytes).c_str() : "-");
  }
  for (const FolderReport& f : report.folders) {
    if (!f.verdict.problem.empty())
      std::printf("%s: %s\n", f.critical ? "problem" : "warning", f.verdict.problem.c_str());
  }
}

// A command-line check is a finished manual StorageCheck run with its folder rows; only a
// warning when it cannot be recorded (the check itself is what the user asked for).
void RecordCheck(PgConnection& conn, const StorageReport& report, double started) {
  try {
    if (!HasMaintTable(conn, "storage_check")) return;
    const std::string error = report.failure ? report.failure->message : "";
    InTransaction(conn, [&] {
      const auto run_id =
          RecordCommandRun(conn, "StorageCheck", !report.failure, started, nlohmann::json::object(),
                           StorageReportJson(report), error);
      InsertStorageChecks(conn, run_id, report);
    });
  } catch (const core::Failure& failure) {
    std::cerr << "WARNING: storage check not recorded: " << failure.error().message << '\n';
  }
}

void RunCheckStorage(const CheckStorageOptions& options) {
  const std::string media = ResolveMediaLocation(options.media);
  PgConnection conn(DbSettingsFromProcessEnvironment(), "immich-maintd");
  const double started = EpochSecondsNow();
  const StorageReport report = CheckStorage(media, ReadMountChecks(conn));
  RecordCheck(conn, report, started);
  if (options.json) {
    std::cout << StorageReportJson(report).dump(2) << std::endl;
  } else {
    PrintTable(report);
    std::fflush(stdout);
  }
  if (report.failure) NotifyAdminOfFailure(conn, "StorageCheck", report.failure->message);
  ThrowIfStorageFailed(report);
}

}  // namespace

void AddCheckStorageCommand(CLI::App& app) {
  auto options = std::make_shared<CheckStorageOptions>();
  auto* cmd = app.add_subcommand(
      "check-storage",
      "Check Immich's storage folders: mounted, readable, writable, entries, free space");
  cmd->footer(
      "A critical folder (upload, library, profile, backups) that is not mounted (Immich saw it,\n"
      "its .immich marker is gone), unreadable or not writable fails the check (exit status 18\n"
      "for not mounted, 9 or 12 otherwise). A folder that does not exist is reported; it fails\n"
      "only when Immich saw it mounted before. Existing markers are rewritten as Immich does.");
  cmd->add_option(
      "--media", options->media,
      "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_flag("--json", options->json, "Print JSON instead of a table");
  cmd->callback([options] { RunCheckStorage(*options); });
}

}  // namespace immich_maint::sidecar
