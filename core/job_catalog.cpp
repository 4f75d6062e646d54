// Immich's job names with immich_maint's defaults (reference/immich.md §2 and §6): the backup at
// 02:00 keeping 14, the nightly cleanups at midnight.
#include "core/job_catalog.h"

#include <algorithm>

namespace immich_maint::core {

const std::vector<JobSpec>& JobCatalog() {
  using R = JobRunner;
  static const std::vector<JobSpec> kJobs = {
      {"DatabaseBackup", R::kSidecar, "0 02 * * *", true, true, R"({"keepLastAmount": 14})",
       "pg_dump into <media>/backups, then retention"},
      {"AuditTableCleanup", R::kDatabase, "0 0 * * *", true, false,
       R"({"retentionDays": 31, "batchSize": 10000})", "prune *_audit rows older than retentionDays"},
      {"AuditLogCleanup", R::kDatabase, "0 0 * * *", true, false,
       R"({"retentionDays": 100, "batchSize": 10000})", "prune the legacy audit table"},
      {"SessionCleanup", R::kDatabase, "0 0 * * *", true, false, "{}", "delete expired sessions"},
      {"TagCleanup", R::kDatabase, "0 0 * * *", true, false, "{}", "delete unused tags"},
      {"PersonCleanup", R::kDatabase, "0 0 * * *", true, false, "{}", "delete people without faces"},
      {"MemoryCleanup", R::kDatabase, "0 0 * * *", true, false, "{}", "delete stale memories"},
      {"MemoryGenerate", R::kDatabase, "0 0 * * *", true, false, "{}", "create on-this-day memories"},
      {"NotificationsCleanup", R::kDatabase, "0 0 * * *", true, false, "{}", "delete old notifications"},
      {"UserDeleteCheck", R::kDatabase, "0 0 * * *", true, false, R"({"days": 7})",
       "remove users deleted over 7 days ago"},
      {"AssetDeleteCheck", R::kDatabase, "0 0 * * *", true, false, R"({"days": 30})",
       "empty the trash of assets deleted over 30 days ago"},
      {"StorageCheck", R::kSidecar, "0 0 * * *", true, false, "{}", "check the storage folders"},
      {"OrphanFileScan", R::kSidecar, "0 3 * * 0", false, false, "{}",
       "report files on disk that the database does not know"},
      {"DatabaseRestore", R::kSidecar, "", false, false, "{}", "restore a backup (never scheduled)"},
  };
  return kJobs;
}

const JobSpec* FindJob(std::string_view name) {
  const auto& jobs = JobCatalog();
  const auto it = std::find_if(jobs.begin(), jobs.end(), [&](const JobSpec& j) { return name == j.name; });
  return it == jobs.end() ? nullptr : &*it;
}

std::string JobNamesList() {
  std::vector<std::string> names;
  for (const auto& job : JobCatalog()) names.emplace_back(job.name);
  std::sort(names.begin(), names.end());
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  return list;
}

const char* JobRunnerName(JobRunner runner) {
  return runner == JobRunner::kDatabase ? "database" : "sidecar";
}

}  // namespace immich_maint::core
