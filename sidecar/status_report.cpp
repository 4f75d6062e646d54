// Health verdict and Prometheus metrics for the sidecar.
#include "sidecar/status_report.h"

#include <nlohmann/json.hpp>
#include <cctype>
#include <iomanip>
#include <sstream>

#include "core/error.h"
#include "sidecar/pg_connection.h"
#include "sidecar/server_info.h"

namespace immich_maint::sidecar {

namespace {

constexpr const char* kBackupSql = R"SQL(
SELECT extract(epoch FROM finished_at)::bigint, extract(epoch FROM finished_at - started_at),
       (result->>'size')::bigint
  FROM immich_maint.job_run WHERE job = 'DatabaseBackup' AND status = 'succeeded'
 ORDER BY finished_at DESC LIMIT 1)SQL";

void ReadBackupFacts(PgConnection& conn, StatusFacts& facts) {
  const auto rows = conn.Query(kBackupSql);
  if (!rows.empty()) {
    facts.last_backup_epoch = std::stoll(*rows[0][0]);
    facts.last_backup_seconds = std::stod(*rows[0][1]);
    if (rows[0][2]) facts.last_backup_bytes = std::stoll(*rows[0][2]);
  }
  for (const auto& row : conn.Query("SELECT job, status, count(*) FROM immich_maint.job_run GROUP BY 1, 2")) {
    facts.runs[{*row[0], *row[1]}] = std::stoll(*row[2]);
  }
  const auto failed = facts.runs.find({"DatabaseBackup", "failed"});
  facts.backup_failures = failed == facts.runs.end() ? 0 : failed->second;
}

// The storage check and orphan scan tables arrive with their own feature; read them if there.
void ReadStorageFacts(PgConnection& conn, StatusFacts& facts) {
  if (TableExists(conn, "immich_maint.storage_check_latest")) {
    for (const auto& row : conn.Query("SELECT folder, ok::text FROM immich_maint.storage_check_latest")) {
      if (row[0] && row[1]) facts.storage_ok[*row[0]] = *row[1] == "true";
    }
  }
  const auto orphans = conn.Value(
      "SELECT result->>'orphans' FROM immich_maint.job_run WHERE job = 'OrphanFileScan' "
      "AND status = 'succeeded' ORDER BY id DESC LIMIT 1");
  if (orphans && !orphans->empty() && std::isdigit(static_cast<unsigned char>((*orphans)[0]))) {
    facts.orphan_files = std::stoll(*orphans);
  }
}

void Metric(std::ostringstream& out, const std::string& name, const std::string& type,
            const std::string& help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

std::string Label(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') { escaped += "\\n"; continue; }
    escaped += c;
  }
  return '"' + escaped + '"';
}

void Sample(std::ostringstream& out, const std::string& name, const std::string& type,
            const std::string& help, double value) {
  Metric(out, name, type, help);
  out << name << ' ' << value << '\n';
}

void RenderBackupMetrics(std::ostringstream& out, const StatusFacts& facts) {
  if (facts.last_backup_epoch) {
    Sample(out, "immich_maint_last_backup_success_timestamp_seconds", "gauge",
           "When the newest successful backup finished.", static_cast<double>(*facts.last_backup_epoch));
    Sample(out, "immich_maint_last_backup_duration_seconds", "gauge",
           "How long the newest successful backup took.", *facts.last_backup_seconds);
  }
  if (facts.last_backup_bytes) {
    Sample(out, "immich_maint_last_backup_size_bytes", "gauge",
           "Size of the newest successful backup file.", static_cast<double>(*facts.last_backup_bytes));
  }
  Sample(out, "immich_maint_backup_failures_total", "counter", "Backup runs that failed.",
         static_cast<double>(facts.backup_failures));
}

}  // namespace

StatusFacts GatherStatus(const DbSettings& db) {
  StatusFacts facts;
  facts.current_run = CurrentRun();
  try {
    PgConnection conn(db, "immich-maintd-status");
    facts.database_up = true;
    ReadBackupFacts(conn, facts);
    ReadStorageFacts(conn, facts);
  } catch (const core::Failure& failure) {
    facts.database_error = failure.error().message;
  } catch (const std::exception& e) {
    facts.database_error = e.what();
  }
  return facts;
}

Health JudgeHealth(const StatusFacts& facts, std::int64_t now_epoch, std::int64_t max_backup_age_seconds) {
  Health health;
  const auto fail = [&](std::string reason) {
    health.healthy = false;
    health.reasons.push_back(std::move(reason));
  };
  const bool restoring = facts.current_run && facts.current_run->job == "DatabaseRestore";
  if (!facts.database_up && !restoring) fail("database unreachable: " + facts.database_error);
  if (facts.database_up && !facts.last_backup_epoch) fail("no successful backup yet");
  if (facts.last_backup_epoch && now_epoch - *facts.last_backup_epoch > max_backup_age_seconds) {
    fail("newest successful backup is " + std::to_string((now_epoch - *facts.last_backup_epoch) / 3600) +
         " h old (limit " + std::to_string(max_backup_age_seconds / 3600) + " h)");
  }
  for (const auto& [folder, ok] : facts.storage_ok) {
    if (!ok) fail("storage check failed for " + folder);
  }
  return health;
}

std::string HealthJson(const Health& health, const StatusFacts& facts, std::int64_t now_epoch) {
  nlohmann::json json = {{"status", health.healthy ? "ok" : "unhealthy"},
                         {"reasons", health.reasons},
                         {"database", facts.database_up}};
  if (facts.last_backup_epoch) json["backup_age_seconds"] = now_epoch - *facts.last_backup_epoch;
  if (facts.current_run) {
    json["running"] = {{"run_id", facts.current_run->id},
                       {"job", facts.current_run->job},
                       {"progress", facts.current_run->progress}};
  }
  return json.dump() + "\n";
}

namespace {

void RenderCurrentRun(std::ostringstream& out, const StatusFacts& facts) {
  Sample(out, "immich_maint_running", "gauge", "1 while this sidecar executes a run.",
         facts.current_run ? 1 : 0);
  if (!facts.current_run) return;
  const RunSnapshot& run = *facts.current_run;
  const std::string labels =
      "{run_id=" + Label(std::to_string(run.id)) + ",job=" + Label(run.job) + "} ";
  Metric(out, "immich_maint_run_progress", "gauge",
         "Fraction done of the run this sidecar executes (live also during a restore).");
  out << "immich_maint_run_progress" << labels << run.progress << '\n';
  Metric(out, "immich_maint_run_started_timestamp_seconds", "gauge",
         "When this sidecar started the run it executes.");
  out << "immich_maint_run_started_timestamp_seconds" << labels << run.started_epoch << '\n';
}

}  // namespace

std::string RenderMetrics(const StatusFacts& facts) {
  std::ostringstream out;
  out.precision(15);  // epoch seconds need all their digits
  Sample(out, "immich_maint_up", "gauge", "1 while the sidecar runs.", 1);
  Sample(out, "immich_maint_database_up", "gauge", "1 when the database answered this scrape.",
         facts.database_up ? 1 : 0);
  RenderBackupMetrics(out, facts);
  Metric(out, "immich_maint_runs", "gauge", "Recorded runs by job and status.");
  for (const auto& [key, count] : facts.runs) {
    out << "immich_maint_runs{job=" << Label(key.first) << ",status=" << Label(key.second) << "} "
        << count << '\n';
  }
  if (!facts.storage_ok.empty()) {
    Metric(out, "immich_maint_storage_ok", "gauge", "1 when the latest check of the folder passed.");
    for (const auto& [folder, ok] : facts.storage_ok) {
      out << "immich_maint_storage_ok{folder=" << Label(folder) << "} " << (ok ? 1 : 0) << '\n';
    }
  }
  RenderCurrentRun(out, facts);
  if (facts.orphan_files) {
    Sample(out, "immich_maint_orphan_files", "gauge", "Orphan files found by the latest scan.",
           static_cast<double>(*facts.orphan_files));
  }
  return out.str();
}

}  // namespace immich_maint::sidecar
