// The table of in-database job bodies (db_jobs.h). Every job whose runner is `database` in
// core/job_catalog.cpp has a line here; a nullptr body is a job not implemented yet.
#include "extension/db_jobs.h"

#include "extension/db_job_bodies.h"

namespace immich_maint::pg {

namespace {

// Every job below is SQL (immich_maint.run_database_job and immich_maint.job_steps in the
// install script). The procedure records the run's status, result and error itself, so the
// run is no longer 'running' when this returns and the worker's outcome update is a no-op.
char* RunSqlBody(const DbJobRun& run) {
  RunDatabaseJob(run.run_id);
  return nullptr;
}

struct DbJob {
  const char* name;
  DbJobBody body;
};

// Add a job's body by replacing its nullptr with the function.
constexpr DbJob kDbJobs[] = {
    {"AuditTableCleanup", RunSqlBody}, {"AuditLogCleanup", RunSqlBody},
    {"SessionCleanup", RunSqlBody},    {"TagCleanup", RunSqlBody},
    {"PersonCleanup", RunSqlBody},     {"MemoryCleanup", RunSqlBody},
    {"MemoryGenerate", RunSqlBody},    {"NotificationsCleanup", RunSqlBody},
    {"UserDeleteCheck", RunSqlBody},   {"AssetDeleteCheck", RunSqlBody},
};

}  // namespace

DbJobBody FindDbJobBody(const char* job) {
  for (const DbJob& entry : kDbJobs) {
    if (strcmp(entry.name, job) == 0) return entry.body;
  }
  return nullptr;
}

}  // namespace immich_maint::pg
