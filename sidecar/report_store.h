// Where storage checks and orphan scans are recorded: immich_maint.storage_check and
// immich_maint.file_report, and, for a command-line run, a finished `manual` job_run row so SQL
// users see it beside scheduled runs. Names that are not UTF-8 are stored escaped, with bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/pg_connection.h"
#include "sidecar/storage_check.h"

namespace immich_maint::sidecar {

struct FileReportRow {
  std::string kind;  // orphan | missing
  std::string folder;
  std::string path;       // media-relative, raw bytes
  std::string file_type;  // file | symlink | other; empty for missing
  std::optional<std::uint64_t> size;
  std::optional<std::int64_t> modified;  // epoch seconds
  std::string action;                    // quarantined | deleted | failed; empty: reported only
  std::string moved_to;                  // media-relative, raw bytes
  std::string error;
};

// Whether this database has immich_maint.<table> (the extension, at a version that has it).
bool HasMaintTable(PgConnection& conn, const std::string& table);

// Runs body between `begin` and COMMIT; ROLLBACK when it throws.
void InTransaction(PgConnection& conn, const std::function<void()>& body,
                   const std::string& begin = "BEGIN");

// A finished manual run of `job` started by this command; returns its id.
std::int64_t RecordCommandRun(PgConnection& conn, const std::string& job, bool succeeded,
                              double started_epoch, const nlohmann::json& params,
                              const nlohmann::json& result, const std::string& error);

void InsertStorageChecks(PgConnection& conn, std::int64_t run_id, const StorageReport& report);

// In batches of a few thousand rows.
void InsertFileReport(PgConnection& conn, std::int64_t run_id,
                      const std::vector<FileReportRow>& rows);

// Seconds since the epoch, now.
double EpochSecondsNow();

}  // namespace immich_maint::sidecar
