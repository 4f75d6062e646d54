// The launcher's checks for abandoned runs (run_recovery.h), as SQL over job_run.
#include "extension/run_recovery.h"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace immich_maint::pg {

namespace {

constexpr const char* kFailOrphans =
    "UPDATE immich_maint.job_run r SET status = 'failed', finished_at = pg_catalog.now(), "
    "error = $1 "
    "WHERE r.status = 'running' AND r.runner = 'database' "
    "AND coalesce(r.started_at, r.queued_at) <= "
    "    pg_catalog.now() - pg_catalog.make_interval(secs => $2) "
    "AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a "
    "                WHERE a.backend_type = 'immich_maint job' AND 'postgres:' || a.pid = "
    "r.worker)";

constexpr const char* kFailSilent =
    "UPDATE immich_maint.job_run SET status = 'failed', finished_at = pg_catalog.now(), "
    "error = 'sidecar stopped responding' "
    "WHERE status = 'running' AND runner = 'sidecar' "
    "AND coalesce(heartbeat_at, started_at, queued_at) < "
    "    pg_catalog.now() - pg_catalog.make_interval(secs => $1)";

constexpr const char* kNextSilence =
    "SELECT pg_catalog.min(coalesce(heartbeat_at, started_at, queued_at)) "
    "       + pg_catalog.make_interval(secs => $1) "
    "FROM immich_maint.job_run WHERE status = 'running' AND runner = 'sidecar'";

}  // namespace

uint64 FailOrphanedDatabaseRuns(const char* error, int min_age_seconds) {
  Oid types[2] = {TEXTOID, FLOAT8OID};
  Datum values[2] = {CStringGetTextDatum(error), Float8GetDatum(min_age_seconds)};
  SPI_connect();
  SPI_execute_with_args(kFailOrphans, 2, types, values, nullptr, false, 0);
  const uint64 failed = SPI_processed;
  SPI_finish();
  return failed;
}

uint64 FailSilentSidecarRuns(int timeout_seconds, bool* has_deadline, TimestampTz* deadline) {
  Oid types[1] = {FLOAT8OID};
  Datum values[1] = {Float8GetDatum(timeout_seconds)};
  SPI_connect();
  SPI_execute_with_args(kFailSilent, 1, types, values, nullptr, false, 0);
  const uint64 failed = SPI_processed;
  SPI_execute_with_args(kNextSilence, 1, types, values, nullptr, false, 1);
  bool is_null = true;
  const Datum next = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
  *has_deadline = !is_null;
  *deadline = is_null ? 0 : DatumGetTimestampTz(next);
  SPI_finish();
  return failed;
}

}  // namespace immich_maint::pg
