// The run this sidecar process is executing, kept in memory for /healthz and /metrics. It is
// the one live view of a restore: the restore transaction replaces immich_maint's tables, so
// job_run is locked (and the database closed to new connections) until it commits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace immich_maint::sidecar {

struct RunSnapshot {
  std::int64_t id = 0;
  std::string job;
  double progress = 0;  // [0, 1]
  std::int64_t started_epoch = 0;
};

// Marks a run as executing from construction to destruction (one at a time per process).
class CurrentRunScope {
 public:
  CurrentRunScope(std::int64_t id, const std::string& job);
  ~CurrentRunScope();
  CurrentRunScope(const CurrentRunScope&) = delete;
  CurrentRunScope& operator=(const CurrentRunScope&) = delete;
};

void PublishRunProgress(double fraction);  // ignored when no run executes
std::optional<RunSnapshot> CurrentRun();

}  // namespace immich_maint::sidecar
