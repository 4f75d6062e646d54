// After a backup or retention, the sidecar writes what is in <media>/backups into
// immich_maint.backup_file (replaced as a whole, in one transaction), so SQL users see the
// folder through immich_backups() without file access.
#pragma once

#include <string>

#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

// Returns the number of files recorded, or -1 when the extension is not installed in this
// database. Throws core::Failure.
int SyncBackupInventory(PgConnection& conn, const std::string& backups_folder);

}  // namespace immich_maint::sidecar
