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
}

BackupLock::~BackupLock() {
  try {
    conn_.Exec("SELECT pg_advisory_unlock(42, 1)");
  } catch (...) {
    // the lock ends with the session anyway
  }
}

}  // namespace immich_maint::sidecar
