// The sidecar's jobs by name: each handler runs one claimed run and returns its result JSON,
// or throws core::Failure. `serve` looks handlers up here; adding a sidecar job means adding
// one entry to JobHandlers() in job_handlers.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sidecar/db_settings.h"

namespace immich_maint::sidecar {

struct RunContext {
  std::int64_t run_id = 0;
  std::string job;
  nlohmann::json params;          // job_run.params (the schedule's params at queue time)
  std::string media;              // resolved media location
  DbSettings db;
  // Reports progress in [0, 1]; cheap, thread-safe (the heartbeat thread publishes it).
  std::function<void(double)> progress;
};

using JobHandler = std::function<nlohmann::json(const RunContext&)>;

// Job name -> handler, for every job the sidecar runs.
const std::map<std::string, JobHandler>& JobHandlers();

}  // namespace immich_maint::sidecar
