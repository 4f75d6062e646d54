// `immich-maintd health`: the /healthz verdict as a command, for container health checks that
// need no HTTP client. Exit status 0 when healthy, 1 when not; the JSON says why.
#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>
#include <memory>

#include "sidecar/commands.h"
#include "sidecar/db_settings.h"
#include "sidecar/status_report.h"

namespace immich_maint::sidecar {

void AddHealthCommand(CLI::App& app) {
  auto max_age_hours = std::make_shared<double>(26);
  auto* cmd = app.add_subcommand(
      "health", "Check the database, the newest backup's age and the storage check (exit 0 = healthy)");
  cmd->add_option("--max-backup-age", *max_age_hours,
                  "Hours after which the newest successful backup is stale")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([max_age_hours] {
    const std::int64_t now = std::time(nullptr);
    const StatusFacts facts = GatherStatus(DbSettingsFromProcessEnvironment());
    const Health health = JudgeHealth(facts, now, static_cast<std::int64_t>(*max_age_hours * 3600));
    std::cout << HealthJson(health, facts, now);
    if (!health.healthy) throw CLI::RuntimeError(1);
  });
}

}  // namespace immich_maint::sidecar
