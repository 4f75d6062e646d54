// Immich's maintenance mode (reference §4): the system_metadata row `maintenance-mode`. A
// restore turns it on before it changes anything, so an Immich server that starts meanwhile
// stays in maintenance instead of migrating a half-restored database, and puts the previous
// value back if the restore fails (a successful restore clears it inside its transaction).
#pragma once

#include <optional>
#include <string>

#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

// {"isMaintenanceMode": true, "secret": "<128 hex chars>", "action": {"action":
// "restore_database", "restoreBackupFilename": "<name>"}}; the secret is random, as Immich's.
std::string MaintenanceOnValue(const std::string& backup_name);

struct MaintenanceRow {
  bool table_exists = false;         // public.system_metadata (a database Immich set up)
  std::optional<std::string> value;  // the row's JSON; nullopt: no row
};

MaintenanceRow ReadMaintenanceMode(PgConnection& conn);
// True when the row exists and holds exactly this JSON value (false without the table).
bool MaintenanceModeIs(PgConnection& conn, const std::string& value);
// Writes value, or deletes the row for nullopt. Nothing when the table does not exist.
void WriteMaintenanceMode(PgConnection& conn, const std::optional<std::string>& value);

}  // namespace immich_maint::sidecar
