// backups folder -> immich_maint.backup_file
#include "sidecar/inventory_sync.h"

#include <nlohmann/json.hpp>

#include "core/backup_name.h"
#include "sidecar/backup_inventory.h"
#include "sidecar/server_info.h"

namespace immich_maint::sidecar {

namespace {

nlohmann::json InventoryJson(const std::string& folder) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : ListBackups(folder, "")) {
    const auto pg_version = core::BackupServerVersion(e.name);
    rows.push_back({{"name", e.name},
                    {"size", e.size},
                    {"modified", FormatUtc(e.modified_epoch)},
                    {"kind", e.kind},
                    {"immich_version", e.version ? nlohmann::json(*e.version) : nlohmann::json()},
                    {"pg_version", pg_version ? nlohmann::json(*pg_version) : nlohmann::json()}});
  }
  return rows;
}

}  // namespace

int SyncBackupInventory(PgConnection& conn, const std::string& backups_folder) {
  if (!TableExists(conn, "immich_maint.backup_file")) return -1;  // extension not installed
  conn.Exec("BEGIN");
  try {
    // One sync at a time (two sidecars, or serve and a CLI backup, may finish together), and
    // the folder is listed under the lock, so the last to commit wrote the newest listing.
    conn.Exec("SELECT pg_advisory_xact_lock(42, 3)");
    const nlohmann::json rows = InventoryJson(backups_folder);
    conn.Exec("DELETE FROM immich_maint.backup_file");
    conn.Query(
        "INSERT INTO immich_maint.backup_file (name, size, modified, kind, immich_version, pg_version) "
        "SELECT name, size, modified, kind, immich_version, pg_version "
        "FROM jsonb_to_recordset($1::jsonb) AS t(name text, size bigint, modified timestamptz, "
        "kind text, immich_version text, pg_version text)",
        {rows.dump()});
    conn.Exec("COMMIT");
    return static_cast<int>(rows.size());
  } catch (...) {
    try { conn.Exec("ROLLBACK"); } catch (...) {}  // NOLINT: connection may be gone
    throw;
  }
}

}  // namespace immich_maint::sidecar
