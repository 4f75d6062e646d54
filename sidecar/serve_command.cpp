// `immich-maintd serve`: the sidecar as a service. LISTEN on channel immich_maint, claim one
// queued run at a time, run it with a heartbeat, record the result, and wait for the next
// notification (or a poll interval, in case one was missed). Reconnects after losing the
// database; SIGTERM or SIGINT ends it after the current run.
#include <signal.h>
#include <sys/select.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <iostream>
#include <libpq-fe.h>
#include <memory>
#include <thread>

#include "core/error.h"
#include "sidecar/commands.h"
#include "sidecar/error_report.h"
#include "sidecar/failure_notice.h"
#include "sidecar/heartbeat.h"
#include "sidecar/current_run.h"
#include "sidecar/host_name.h"
#include "sidecar/http_status.h"
#include "sidecar/inventory_sync.h"
#include "sidecar/job_handlers.h"
#include "sidecar/media_location.h"
#include "sidecar/restore_journal.h"
#include "sidecar/run_queue.h"

namespace immich_maint::sidecar {

namespace {

std::atomic<bool> stop_requested{false};

struct ServeOptions {
  std::string media;
  std::string worker;
  int poll_seconds = 30;
  bool once = false;
  std::string http;             // host:port of /healthz and /metrics; empty: none
  double max_backup_age_hours = 26;
};

void OnStopSignal(int) { stop_requested.store(true); }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;  // no SA_RESTART: select() returns EINTR at once
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

void Log(const std::string& line) { std::cout << line << std::endl; }

std::vector<std::string> HandledJobs() {
  std::vector<std::string> names;
  for (const auto& [name, handler] : JobHandlers()) names.push_back(name);
  return names;
}

// The last successful backup's size, so progress can be a fraction.
void AddExpectedDumpBytes(PgConnection& conn, ClaimedRun& run) {
  if (run.job != "DatabaseBackup") return;
  const auto bytes = conn.Value(
      "SELECT result->>'dump_bytes' FROM immich_maint.job_run WHERE job = 'DatabaseBackup' "
      "AND status = 'succeeded' ORDER BY id DESC LIMIT 1");
  if (bytes) run.params["expectedDumpBytes"] = std::stod(*bytes);
}

// Runs the handler with a heartbeat; returns (succeeded, result, error text).
std::tuple<bool, nlohmann::json, std::string> Execute(const ClaimedRun& run, const ServeOptions& options,
                                                      const DbSettings& db) {
  Heartbeat heartbeat(db, run.id);
  const CurrentRunScope current(run.id, run.job);
  RunContext context{run.id, run.job, run.params, options.media, db, [&](double fraction) {
                       heartbeat.SetProgress(fraction);
                       PublishRunProgress(fraction);
                     }};
  try {
    return {true, JobHandlers().at(run.job)(context), ""};
  } catch (const core::Failure& failure) {
    return {false, nlohmann::json(), ErrorText(failure.error())};
  } catch (const std::exception& e) {
    return {false, nlohmann::json(), std::string("internal error: ") + e.what()};
  }
}

void Record(PgConnection& conn, const ClaimedRun& run, const ServeOptions& options, bool ok,
            const nlohmann::json& result, const std::string& error) {
  FinishRun(conn, run.id, ok, result, error);
  if (!ok) NotifyAdminOfFailure(conn, run.job, error.substr(0, error.find('\n')));
  if (run.job == "DatabaseBackup" || run.job == "DatabaseRestore") {
    SyncBackupInventory(conn, BackupsFolder(options.media));
  }
  Log("run " + std::to_string(run.id) + " " + run.job + (ok ? " succeeded" : " failed: " + error));
}

// A run's outcome must outlive the connection that claimed it (a restarted server, a terminated
// session): on a dead connection it is recorded on a new one, tried for up to 30 s, and then
// the loop reconnects.
void RecordDurably(PgConnection& conn, const DbSettings& db, const ClaimedRun& run,
                   const ServeOptions& options, bool ok, const nlohmann::json& result,
                   const std::string& error) {
  try {
    return Record(conn, run, options, ok, result, error);
  } catch (const core::Failure&) {
    if (PQstatus(conn.raw()) == CONNECTION_OK) throw;
  }
  RetryWhileDisconnected(
      [&] {
        PgConnection fresh(db, "immich-maintd-serve");
        Record(fresh, run, options, ok, result, error);
      },
      std::chrono::seconds(30), std::chrono::seconds(1));
  throw core::Failure(core::MakeError(core::ErrorCode::kConnectionFailed,
                                      "lost the database connection (run " +
                                          std::to_string(run.id) + " recorded on a new one)"));
}

// Claims and runs one run; false when the queue had nothing for us.
bool WorkOne(PgConnection& conn, const ServeOptions& options, const DbSettings& db) {
  auto run = ClaimRun(conn, options.worker, HandledJobs());
  if (!run) return false;
  AddExpectedDumpBytes(conn, *run);
  Log("run " + std::to_string(run->id) + " " + run->job + " started");
  const auto [ok, result, error] = Execute(*run, options, db);
  RecordDurably(conn, db, *run, options, ok, result, error);
  return true;
}

// Sleeps until a notification arrives, the poll interval passes, or a stop signal.
void WaitForWork(PgConnection& conn, int poll_seconds) {
  fd_set fds;
  FD_ZERO(&fds);
  FD_SET(conn.socket(), &fds);
  timeval timeout{poll_seconds, 0};
  ::select(conn.socket() + 1, &fds, nullptr, nullptr, &timeout);
  if (!PQconsumeInput(conn.raw())) {
    throw core::Failure(core::MakeError(core::ErrorCode::kConnectionFailed, "lost the database connection"));
  }
  while (PGnotify* notify = PQnotifies(conn.raw())) PQfreemem(notify);
}

void ServeConnected(const ServeOptions& options, const DbSettings& db) {
  // A restore that died may have left new connections refused and maintenance mode on (it may
  // be why the connection below failed last time): undo that first (restore_journal.h).
  if (const auto recovered = RecoverInterruptedRestore(db, options.media)) Log(*recovered);
  PgConnection conn(db, "immich-maintd-serve");
  conn.Exec("LISTEN immich_maint");
  Log("serving " + db.Describe() + " as " + options.worker + ", media " + options.media);
  while (!stop_requested.load()) {
    while (!stop_requested.load() && WorkOne(conn, options, db)) {
    }
    if (options.once || stop_requested.load()) return;
    WaitForWork(conn, options.poll_seconds);
  }
}

void RunServe(const ServeOptions& options) {
  InstallSignalHandlers();
  const DbSettings db = DbSettingsFromProcessEnvironment();
  std::unique_ptr<HttpStatus> http;
  if (!options.http.empty()) {
    http = std::make_unique<HttpStatus>(options.http, db,
                                        static_cast<std::int64_t>(options.max_backup_age_hours * 3600));
    Log("health and metrics on http://" + options.http + "/healthz and /metrics");
  }
  for (int attempt = 0; !stop_requested.load(); ++attempt) {
    try {
      ServeConnected(options, db);
      return;
    } catch (const core::Failure& failure) {
      if (options.once) throw;
      std::cerr << "serve: " << failure.error().message << "; retrying in 5 s" << std::endl;
    }
    for (int i = 0; i < 50 && !stop_requested.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Run queued jobs from the immich_maint extension (the sidecar service)");
  cmd->add_option("--media", options->media, "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_option("--worker", options->worker, "Name recorded in job_run.worker (default: host:pid)");
  cmd->add_option("--poll", options->poll_seconds, "Seconds between queue checks when no notification arrives")
      ->capture_default_str()->check(CLI::Range(1, 3600));
  cmd->add_flag("--once", options->once, "Run what is queued now, then exit");
  cmd->add_option("--http", options->http,
                  "Serve /healthz and /metrics on host:port (given alone: 127.0.0.1:9431)")
      ->expected(0, 1)
      ->default_str("127.0.0.1:9431");
  cmd->add_option("--max-backup-age", options->max_backup_age_hours,
                  "Hours after which /healthz calls the newest successful backup stale")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([options] {
    ServeOptions resolved = *options;
    resolved.media = ResolveMediaLocation(options->media);
    if (resolved.worker.empty()) resolved.worker = HostAndProcessId();
    RunServe(resolved);
  });
}

}  // namespace immich_maint::sidecar
