// Claim, heartbeat and finish SQL for sidecar runs.
#include "sidecar/run_queue.h"

#include <sstream>

namespace immich_maint::sidecar {

namespace {

// The claim is serialised by a transaction-level advisory lock (42, 2) so that two sidecars
// cannot both see "no backup running" and start one each; SKIP LOCKED keeps claimers apart.
constexpr const char* kClaimSql = R"SQL(
UPDATE immich_maint.job_run r
   SET status = 'running', started_at = clock_timestamp(), heartbeat_at = clock_timestamp(),
       worker = $1, progress = 0
 WHERE r.id = (
   SELECT q.id FROM immich_maint.job_run q
    WHERE q.status = 'queued' AND q.runner = 'sidecar' AND q.job = ANY ($2::text[])
      AND NOT (q.job IN ('DatabaseBackup', 'DatabaseRestore') AND EXISTS (
            SELECT 1 FROM immich_maint.job_run b
             WHERE b.status = 'running' AND b.job IN ('DatabaseBackup', 'DatabaseRestore')))
    ORDER BY q.id
    FOR UPDATE SKIP LOCKED
    LIMIT 1)
RETURNING r.id, r.job, r.params::text)SQL";

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ",\"" : "\"") + items[i] + "\"";
  return out + "}";
}

}  // namespace

std::optional<ClaimedRun> ClaimRun(PgConnection& conn, const std::string& worker,
                                   const std::vector<std::string>& jobs) {
  conn.Exec("BEGIN");
  try {
    conn.Exec("SELECT pg_advisory_xact_lock(42, 2)");
    const auto rows = conn.Query(kClaimSql, {worker, TextArray(jobs)});
    conn.Exec("COMMIT");
    if (rows.empty()) return std::nullopt;
    return ClaimedRun{std::stoll(*rows[0][0]), *rows[0][1], nlohmann::json::parse(*rows[0][2])};
  } catch (...) {
    try {
      conn.Exec("ROLLBACK");
    } catch (...) {
      // the connection is gone; the caller reconnects
    }
    throw;
  }
}

void FinishRun(PgConnection& conn, std::int64_t run_id, bool succeeded, const nlohmann::json& result,
               const std::string& error) {
  conn.Query(
      "UPDATE immich_maint.job_run SET status = $2, finished_at = clock_timestamp(), "
      "heartbeat_at = clock_timestamp(), "
      "result = $3::jsonb, error = NULLIF($4, ''), "
      "progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END "
      "WHERE id = $1 AND status = 'running'",
      {std::to_string(run_id), succeeded ? "succeeded" : "failed", result.dump(), error});
}

void BeatRun(PgConnection& conn, std::int64_t run_id, double progress) {
  std::ostringstream fraction;
  fraction << progress;
  conn.Query(
      "UPDATE immich_maint.job_run SET heartbeat_at = now(), progress = $2::real "
      "WHERE id = $1 AND status = 'running'",
      {std::to_string(run_id), fraction.str()});
}

}  // namespace immich_maint::sidecar
