// The jobs immich_maint knows, by Immich's names: where each runs (inside PostgreSQL or in the
// sidecar), its default schedule and parameters. One list for the extension (validation, seeds)
// and the sidecar (which runs it claims).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace immich_maint::core {

enum class JobRunner { kDatabase, kSidecar };

struct JobSpec {
  const char* name;            // Immich's name, e.g. "DatabaseBackup"
  JobRunner runner;
  const char* default_cron;    // "" when the job is not scheduled by default
  bool default_enabled;
  bool default_catch_up;       // run once at start when a due time passed while down
  const char* default_params;  // JSON object
  const char* description;
};

const std::vector<JobSpec>& JobCatalog();

// nullptr when the name is unknown (names are case-sensitive, as Immich's).
const JobSpec* FindJob(std::string_view name);

// "AssetDeleteCheck, AuditLogCleanup, ..." for error messages.
std::string JobNamesList();

const char* JobRunnerName(JobRunner runner);  // "database" or "sidecar"

}  // namespace immich_maint::core
