// SQL for storage_check, file_report and command-line job_run rows.
#include "sidecar/report_store.h"

#include <chrono>

#include "core/path_text.h"
#include "sidecar/host_name.h"

namespace immich_maint::sidecar {

namespace {

constexpr std::size_t kBatchRows = 2000;

constexpr const char* kInsertStorageSql = R"SQL(
INSERT INTO immich_maint.storage_check
  (run_id, folder, path, status, critical, folder_exists, readable, writable, marker, mount_checked,
   entries, free_bytes, total_bytes, problem)
SELECT $1, r.folder, r.path, r.status, r.critical, r."exists", r.readable, r.writable, r.marker,
       r.mount_checked, r.entries, r.free_bytes, r.total_bytes, r.problem
FROM jsonb_to_recordset($2::jsonb) AS r(folder text, path text, status text, critical boolean,
  "exists" boolean, readable boolean, writable boolean, marker boolean, mount_checked boolean,
  entries bigint, free_bytes bigint, total_bytes bigint, problem text))SQL";

constexpr const char* kInsertFileSql = R"SQL(
INSERT INTO immich_maint.file_report
  (run_id, kind, folder, path, path_bytes, file_type, size, modified, action, moved_to, error)
SELECT $1, r.kind, r.folder, r.path, decode(r.path_hex, 'hex'), r.file_type, r.size,
       to_timestamp(r.modified), r.action, r.moved_to, r.error
FROM jsonb_to_recordset($2::jsonb) AS r(kind text, folder text, path text, path_hex text,
  file_type text, size bigint, modified double precision, action text, moved_to text, error text))SQL";

nlohmann::json NullIfEmpty(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(core::EscapeInvalidUtf8(text));
}

nlohmann::json RowJson(const FileReportRow& row) {
  const bool exact = core::IsValidUtf8(row.path);
  return {{"kind", row.kind},
          {"folder", row.folder},
          {"path", core::EscapeInvalidUtf8(row.path)},
          {"path_hex", exact ? nlohmann::json() : nlohmann::json(core::HexBytes(row.path))},
          {"file_type", NullIfEmpty(row.file_type)},
          {"size", row.size ? nlohmann::json(*row.size) : nlohmann::json()},
          {"modified", row.modified ? nlohmann::json(*row.modified) : nlohmann::json()},
          {"action", NullIfEmpty(row.action)},
          {"moved_to", NullIfEmpty(row.moved_to)},
          {"error", NullIfEmpty(row.error)}};
}

}  // namespace

bool HasMaintTable(PgConnection& conn, const std::string& table) {
  return conn.Value("SELECT to_regclass($1) IS NOT NULL", {"immich_maint." + table}) ==
         std::optional<std::string>("t");
}

void InTransaction(PgConnection& conn, const std::function<void()>& body,
                   const std::string& begin) {
  conn.Exec(begin);
  try {
    body();
    conn.Exec("COMMIT");
  } catch (...) {
    try {
      conn.Exec("ROLLBACK");
    } catch (...) {
      // the connection is gone; the first error is the one to report
    }
    throw;
  }
}

std::int64_t RecordCommandRun(PgConnection& conn, const std::string& job, bool succeeded,
                              double started_epoch, const nlohmann::json& params,
                              const nlohmann::json& result, const std::string& error) {
  const auto id = conn.Value(
      "INSERT INTO immich_maint.job_run (job, runner, trigger, status, params, started_at, "
      "finished_at, worker, progress, result, error) "
      "VALUES ($1, 'sidecar', 'manual', $2, $3::jsonb, to_timestamp($4::double precision), now(), "
      "$5, CASE WHEN $2 = 'succeeded' THEN 1 END, $6::jsonb, NULLIF($7, '')) RETURNING id",
      {job, succeeded ? "succeeded" : "failed", params.dump(), std::to_string(started_epoch),
       "cli:" + HostAndProcessId(), result.dump(), error});
  return std::stoll(id.value_or("0"));
}

void InsertStorageChecks(PgConnection& conn, std::int64_t run_id, const StorageReport& report) {
  conn.Query(kInsertStorageSql,
             {std::to_string(run_id), StorageReportJson(report)["folders"].dump()});
}

void InsertFileReport(PgConnection& conn, std::int64_t run_id,
                      const std::vector<FileReportRow>& rows) {
  for (std::size_t start = 0; start < rows.size(); start += kBatchRows) {
    nlohmann::json batch = nlohmann::json::array();
    for (std::size_t i = start; i < rows.size() && i < start + kBatchRows; ++i)
      batch.push_back(RowJson(rows[i]));
    conn.Query(kInsertFileSql, {std::to_string(run_id), batch.dump()});
  }
}

double EpochSecondsNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace immich_maint::sidecar
