// What /healthz and /metrics tell: facts read from the database in one short query, turned
// into a health verdict (with reasons) and Prometheus text. Gathering and rendering are apart
// so that the verdict and the text format are unit-tested without a server.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/current_run.h"
#include "sidecar/db_settings.h"

namespace immich_maint::sidecar {

struct StatusFacts {
  bool database_up = false;
  std::string database_error;
  std::optional<std::int64_t> last_backup_epoch;  // finished_at of the newest succeeded backup
  std::optional<double> last_backup_seconds;
  std::optional<std::int64_t> last_backup_bytes;
  std::int64_t backup_failures = 0;
  std::map<std::pair<std::string, std::string>, std::int64_t> runs;  // (job, status) -> count
  std::map<std::string, bool> storage_ok;  // folder -> latest check good (when checks exist)
  std::optional<std::int64_t> orphan_files;
  std::optional<RunSnapshot> current_run;  // from this process's memory, not the database
};

struct Health {
  bool healthy = true;
  std::vector<std::string> reasons;
};

// Reads the facts, and the run this process executes; never throws (an unreachable database
// is a fact).
StatusFacts GatherStatus(const DbSettings& db);

// A restore keeps every client out on purpose: while this sidecar runs one, an unreachable
// database is not a reason to call it unhealthy.
Health JudgeHealth(const StatusFacts& facts, std::int64_t now_epoch, std::int64_t max_backup_age_seconds);

std::string HealthJson(const Health& health, const StatusFacts& facts, std::int64_t now_epoch);

// Prometheus text exposition format 0.0.4.
std::string RenderMetrics(const StatusFacts& facts);

}  // namespace immich_maint::sidecar
