// Runs whose worker is gone are failed, never left `running`: in-database runs whose job worker
// process no longer exists, and sidecar runs whose heartbeat stopped.
#pragma once

extern "C" {
#include "postgres.h"

#include "datatype/timestamp.h"
}

namespace immich_maint::pg {

// Database runs `running` for at least min_age_seconds whose worker (job_run.worker
// 'postgres:<pid>') is not a live immich_maint job process: failed with `error`. Returns how
// many. In the caller's transaction.
uint64 FailOrphanedDatabaseRuns(const char* error, int min_age_seconds);

// Sidecar runs whose last heartbeat (or start) is older than timeout_seconds: failed with
// "sidecar stopped responding". *deadline is when the next running one would time out.
uint64 FailSilentSidecarRuns(int timeout_seconds, bool* has_deadline, TimestampTz* deadline);

}  // namespace immich_maint::pg
