// pg_try_advisory_lock(42, 1) for the duration of a backup.
#include "sidecar/backup_lock.h"

#include "core/error.h"

namespace immich_maint::sidecar {

BackupLock::BackupLock(PgConnection& conn) : conn_(conn) {
  if (conn_.Value("SELECT pg_try_advisory_lock(42, 1)") != std::optional<std::string>("t")) {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kBusy, "another backup is running",
        "Another immich-maintd holds the backup lock (advisory lock 42, 1).",
        "Wait for it to finish; SELECT * FROM pg_locks WHERE locktype = 'advisory' shows it."));
  }
  EndOrphanedDumps();
}

// Every dump session (a backup's or a restore point's) runs under this lock, so one that is
// left while we hold it belongs to a sidecar that died; a dump backend waiting for a table lock
// keeps its ACCESS SHARE locks until it notices, so end it.
void BackupLock::EndOrphanedDumps() {
  try {
    conn_.Exec(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
        "WHERE datname = pg_catalog.current_database() "
        "AND (application_name LIKE 'immich-maintd-dump-%' OR "
        "application_name LIKE 'immich-maintd-restore-dump-%')");
  } catch (const core::Failure&) {
    // not allowed to (a role without pg_signal_backend): the server ends them in time anyway
  }
}

BackupLock::~BackupLock() {
  try {
    conn_.Exec("SELECT pg_advisory_unlock(42, 1)");
  } catch (...) {
    // the lock ends with the session anyway
  }
}

}  // namespace immich_maint::sidecar
