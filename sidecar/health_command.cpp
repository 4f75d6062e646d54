// `immich-maintd health`: the /healthz verdict as a command, for container health checks that
// need no HTTP client. Exit status 0 when healthy, 1 when not; the JSON says why.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <cerrno>
#include <ctime>
#include <iostream>
#include <memory>

#include "sidecar/commands.h"
#include "sidecar/db_settings.h"
#include "sidecar/host_name.h"
#include "sidecar/media_location.h"
#include "sidecar/restore_journal.h"
#include "sidecar/status_report.h"

namespace immich_maint::sidecar {

namespace {

bool ProcessAlive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

// A restore running on this host (its journal names a live sidecar process): the command runs
// apart from `serve`, so the journal is how it learns that the database is closed on purpose.
std::optional<RunSnapshot> RunningRestore(const std::string& media_flag) {
  try {
    const auto journal = ReadRestoreJournal(BackupsFolder(ResolveMediaLocation(media_flag)));
    if (!journal || journal->phase == "done" || journal->host != HostName() ||
        !ProcessAlive(journal->pid)) {
      return std::nullopt;
    }
    return RunSnapshot{journal->run_id, "DatabaseRestore", 0, 0};
  } catch (const std::exception&) {
    return std::nullopt;  // no media folder or an unreadable journal: judge by the database
  }
}

}  // namespace

void AddHealthCommand(CLI::App& app) {
  auto max_age_hours = std::make_shared<double>(26);
  auto media = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "health", "Check the database, the newest backup's age and the storage check (exit 0 = healthy)");
  cmd->add_option("--max-backup-age", *max_age_hours,
                  "Hours after which the newest successful backup is stale")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--media", *media,
                  "Media location, where a running restore leaves its journal (default: "
                  "IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->callback([max_age_hours, media] {
    const std::int64_t now = std::time(nullptr);
    StatusFacts facts = GatherStatus(DbSettingsFromProcessEnvironment());
    if (!facts.current_run) facts.current_run = RunningRestore(*media);
    const Health health = JudgeHealth(facts, now, static_cast<std::int64_t>(*max_age_hours * 3600));
    std::cout << HealthJson(health, facts, now);
    if (!health.healthy) throw CLI::RuntimeError(1);
  });
}

}  // namespace immich_maint::sidecar
