// The sidecar's side of immich_maint.job_run: claim one queued run (FOR UPDATE SKIP LOCKED, so
// several sidecars never take the same run, and never start a second backup or restore while
// one is running), and record how it ended.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

struct ClaimedRun {
  std::int64_t id = 0;
  std::string job;
  nlohmann::json params;
};

// Claims the oldest queued sidecar run among `jobs`; nullopt when there is none.
std::optional<ClaimedRun> ClaimRun(PgConnection& conn, const std::string& worker,
                                   const std::vector<std::string>& jobs);

void FinishRun(PgConnection& conn, std::int64_t run_id, bool succeeded, const nlohmann::json& result,
               const std::string& error);

// Heartbeat and progress of a running run (from the heartbeat thread's own connection).
void BeatRun(PgConnection& conn, std::int64_t run_id, double progress);

}  // namespace immich_maint::sidecar
