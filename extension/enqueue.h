// Queues a run in a transaction of its own, committed before the caller continues, so that
// `SELECT immich_job_wait(immich_backup_now())` can wait in the same statement for a run the
// sidecar can already see. A short-lived dynamic background worker does the insert.
#pragma once

#include <cstdint>

namespace immich_maint::pg {

// Returns the run id. ereports when no worker can be started or the insert fails.
std::int64_t EnqueueCommitted(const char* job, const char* trigger, const char* requested_by);
// The same with params: a JSON object laid over the schedule's params (immich_maint.enqueue's
// fourth argument).
std::int64_t EnqueueCommitted(const char* job, const char* trigger, const char* requested_by,
                              const char* params);

}  // namespace immich_maint::pg
