// Process-wide record of the executing run (see current_run.h).
#include "sidecar/current_run.h"

#include <ctime>
#include <mutex>

namespace immich_maint::sidecar {

namespace {

std::mutex run_mutex;
std::optional<RunSnapshot> current_run;

}  // namespace

CurrentRunScope::CurrentRunScope(std::int64_t id, const std::string& job) {
  std::lock_guard<std::mutex> lock(run_mutex);
  current_run = RunSnapshot{id, job, 0, static_cast<std::int64_t>(std::time(nullptr))};
}

CurrentRunScope::~CurrentRunScope() {
  std::lock_guard<std::mutex> lock(run_mutex);
  current_run.reset();
}

void PublishRunProgress(double fraction) {
  std::lock_guard<std::mutex> lock(run_mutex);
  if (current_run) current_run->progress = fraction;
}

std::optional<RunSnapshot> CurrentRun() {
  std::lock_guard<std::mutex> lock(run_mutex);
  return current_run;
}

}  // namespace immich_maint::sidecar
