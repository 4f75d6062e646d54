// StorageCheck and OrphanFileScan for `serve`.
#include "sidecar/storage_jobs.h"

#include "core/error.h"
#include "sidecar/orphan_scan.h"
#include "sidecar/report_store.h"
#include "sidecar/storage_check.h"

namespace immich_maint::sidecar {

namespace {

[[noreturn]] void ThrowBadParam(const std::string& name, const std::string& kind) {
  throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument,
                                      "job parameter " + name + " must be " + kind, {},
                                      "Fix the params of the OrphanFileScan schedule."));
}

bool BoolParam(const nlohmann::json& params, const std::string& name) {
  if (!params.contains(name)) return false;
  if (!params[name].is_boolean()) ThrowBadParam(name, "true or false");
  return params[name].get<bool>();
}

OrphanScanOptions ScanOptions(const RunContext& run) {
  OrphanScanOptions options;
  options.media = run.media;
  options.quarantine = BoolParam(run.params, "quarantine");
  options.delete_regenerable = BoolParam(run.params, "deleteRegenerable");
  if (run.params.contains("minAgeSeconds")) {
    const auto& age = run.params["minAgeSeconds"];
    if (!age.is_number_integer() || age.get<std::int64_t>() < 0)
      ThrowBadParam("minAgeSeconds", "a whole number of seconds, 0 or more");
    options.min_age_seconds = age.get<std::int64_t>();
  }
  if (run.params.contains("dbMediaPrefix")) {
    if (!run.params["dbMediaPrefix"].is_string()) ThrowBadParam("dbMediaPrefix", "a path");
    options.db_media_prefix = run.params["dbMediaPrefix"].get<std::string>();
  }
  options.progress = run.progress;
  return options;
}

}  // namespace

nlohmann::json RunStorageCheckJob(const RunContext& run) {
  PgConnection conn(run.db, "immich-maintd");
  const StorageReport report = CheckStorage(run.media, ReadMountChecks(conn));
  InsertStorageChecks(conn, run.run_id, report);
  ThrowIfStorageFailed(report);
  return StorageReportJson(report);
}

nlohmann::json RunOrphanFileScanJob(const RunContext& run) {
  const OrphanScanOptions options = ScanOptions(run);
  PgConnection conn(run.db, "immich-maintd");
  const OrphanScanResult result = RunOrphanScan(conn, options);
  InTransaction(conn, [&] { InsertFileReport(conn, run.run_id, FileReportRows(result)); });
  ThrowIfActionsFailed(result);
  return OrphanScanJson(result, false);
}

}  // namespace immich_maint::sidecar
