// The table of in-database job bodies (db_jobs.h). Every job whose runner is `database` in
// core/job_catalog.cpp has a line here; a nullptr body is a job not implemented yet.
#include "extension/db_jobs.h"

namespace immich_maint::pg {

namespace {

struct DbJob {
  const char* name;
  DbJobBody body;
};

// Add a job's body by replacing its nullptr with the function.
constexpr DbJob kDbJobs[] = {
    {"AuditTableCleanup", nullptr},
    {"AuditLogCleanup", nullptr},
    {"SessionCleanup", nullptr},
    {"TagCleanup", nullptr},
    {"PersonCleanup", nullptr},
    {"MemoryCleanup", nullptr},
    {"MemoryGenerate", nullptr},
    {"NotificationsCleanup", nullptr},
    {"UserDeleteCheck", nullptr},
    {"AssetDeleteCheck", nullptr},
};

}  // namespace

DbJobBody FindDbJobBody(const char* job) {
  for (const DbJob& entry : kDbJobs) {
    if (strcmp(entry.name, job) == 0) return entry.body;
  }
  return nullptr;
}

}  // namespace immich_maint::pg
