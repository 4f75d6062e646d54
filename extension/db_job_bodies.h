// Runs a database job's body (the SQL procedure immich_maint.run_database_job, which commits
// after every batch) from C: for the launcher's queued database runs and for run_now's worker.
#pragma once

#include <cstdint>

namespace immich_maint::pg {

// Runs CALL immich_maint.run_database_job(run_id) as a top-level statement, so the procedure
// may commit between batches. Call it outside any transaction: it starts and ends its own. An
// error that escapes the procedure (a bug, an unexpected cancel) is logged and marks the run
// failed with its message; it is not re-thrown, so a worker loop survives a failed job.
void RunDatabaseJob(std::int64_t run_id);

}  // namespace immich_maint::pg
