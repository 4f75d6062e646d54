// The serve handlers of the storage jobs: StorageCheck and OrphanFileScan, run for a claimed
// run and recorded under its id. A failure is thrown; serve records it and notifies the admin.
#pragma once

#include <nlohmann/json.hpp>

#include "sidecar/job_handlers.h"

namespace immich_maint::sidecar {

nlohmann::json RunStorageCheckJob(const RunContext& run);

// Parameters (the schedule's params): quarantine, deleteRegenerable (booleans, default false),
// minAgeSeconds (default 3600), dbMediaPrefix (default: detect).
nlohmann::json RunOrphanFileScanJob(const RunContext& run);

}  // namespace immich_maint::sidecar
