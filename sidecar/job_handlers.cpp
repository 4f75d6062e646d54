// The table of sidecar jobs.
#include "sidecar/job_handlers.h"

#include "core/error.h"
#include "sidecar/backup_job.h"
#include "sidecar/restore_job.h"
#include "sidecar/storage_jobs.h"

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

// params {"name": "<backup>", "requester_pid": <pid>} from immich_restore(name); the caller's
// session is spared while other clients are kept out, so immich_job_wait can see the end. The
// run's row survives the restore: the restore carries job_run across (restore_job.h).
nlohmann::json RunDatabaseRestore(const RunContext& run) {
  const std::string name = run.params.value("name", "");
  if (name.empty()) {
    throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument, "a restore needs a backup name", {},
                                        "Queue it with SELECT immich_restore('<name>')."));
  }
  RestoreOptions options;
  options.media = run.media;
  options.name = name;
  options.run_id = run.run_id;
  options.restore_point = !run.params.value("noRestorePoint", false);
  if (run.params.contains("requester_pid") && run.params["requester_pid"].is_number_integer()) {
    options.spare_pid = std::to_string(run.params["requester_pid"].get<long long>());
  }
  options.progress = [&](RestorePhase, double fraction, std::uint64_t, std::uint64_t) { run.progress(fraction); };
  return RestoreResultJson(RunRestore(run.db, options));
}

}  // namespace

const std::map<std::string, JobHandler>& JobHandlers() {
  static const std::map<std::string, JobHandler> kHandlers = {
      {"DatabaseBackup", RunDatabaseBackup},
      {"DatabaseRestore", RunDatabaseRestore},
      {"StorageCheck", RunStorageCheckJob},
      {"OrphanFileScan", RunOrphanFileScanJob},
  };
  return kHandlers;
}

}  // namespace immich_maint::sidecar
