// The table of sidecar jobs.
#include "sidecar/job_handlers.h"

#include "core/error.h"
#include "sidecar/backup_job.h"
#include "sidecar/restore_job.h"
#include "sidecar/storage_jobs.h"

namespace immich_maint::sidecar {

namespace {

// keepLastAmount from the schedule's params, exactly: a JSON integer from 1 up. Anything else
// (2.9, true, "14", 4294967297) is refused rather than read as some other number, because the
// number decides which backups are deleted.
int KeepLastAmount(const nlohmann::json& params) {
  if (!params.contains("keepLastAmount")) return 14;
  const nlohmann::json& keep = params["keepLastAmount"];
  if (keep.is_number_integer() && keep.get<long long>() >= 1 && keep.get<long long>() <= 1000000) {
    return static_cast<int>(keep.get<long long>());
  }
  throw core::Failure(core::MakeError(
      core::ErrorCode::kInvalidKeepCount, "keepLastAmount must be a positive integer, got " + keep.dump(),
      {}, "Set it with UPDATE immich_maint.schedule SET params = params || '{\"keepLastAmount\": 14}' "
          "WHERE job = 'DatabaseBackup'."));
}

nlohmann::json RunDatabaseBackup(const RunContext& run) {
  BackupOptions options;
  options.media = run.media;
  options.keep_last_amount = KeepLastAmount(run.params);
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
    throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument,
                                        "a restore needs a backup name", {},
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
  options.progress = [&](RestorePhase, double fraction, std::uint64_t, std::uint64_t) {
    run.progress(fraction);
  };
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
