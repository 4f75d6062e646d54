// The table of sidecar jobs.
#include "sidecar/job_handlers.h"

#include "core/error.h"
#include "sidecar/backup_job.h"

namespace immich_maint::sidecar {

namespace {

nlohmann::json RunDatabaseBackup(const RunContext& run) {
  BackupOptions options;
  options.media = run.media;
  options.keep_last_amount = run.params.value("keepLastAmount", 14);
  const double expected = run.params.value("expectedDumpBytes", 0.0);
  options.progress = [&](std::uint64_t bytes) {
    if (expected > 0) run.progress(std::min(0.99, static_cast<double>(bytes) / expected));
  };
  return BackupResultJson(RunBackup(run.db, options));
}

nlohmann::json NotImplemented(const RunContext& run) {
  throw core::Failure(core::MakeError(core::ErrorCode::kInternal, "not implemented yet: " + run.job));
}

}  // namespace

const std::map<std::string, JobHandler>& JobHandlers() {
  static const std::map<std::string, JobHandler> kHandlers = {
      {"DatabaseBackup", RunDatabaseBackup},
      {"DatabaseRestore", NotImplemented},
      {"StorageCheck", NotImplemented},
      {"OrphanFileScan", NotImplemented},
  };
  return kHandlers;
}

}  // namespace immich_maint::sidecar
