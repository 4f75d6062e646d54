// Immich's maintenance-mode row (see maintenance_mode.h).
#include "sidecar/maintenance_mode.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace immich_maint::sidecar {

namespace {

std::string RandomHex(std::size_t bytes) {
  std::ifstream random("/dev/urandom", std::ios::binary);
  std::string raw(bytes, '\0');
  if (!random.read(raw.data(), static_cast<std::streamsize>(bytes))) {
    throw core::Failure(core::MakeError(core::ErrorCode::kIoError, "cannot read /dev/urandom"));
  }
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

bool TableExists(PgConnection& conn) {
  return conn.Value("SELECT to_regclass('public.system_metadata') IS NOT NULL") ==
         std::optional<std::string>("t");
}

}  // namespace

std::string MaintenanceOnValue(const std::string& backup_name) {
  const nlohmann::json value = {
      {"isMaintenanceMode", true},
      {"secret", RandomHex(64)},
      {"action", {{"action", "restore_database"}, {"restoreBackupFilename", backup_name}}}};
  return value.dump();
}

MaintenanceRow ReadMaintenanceMode(PgConnection& conn) {
  MaintenanceRow row;
  row.table_exists = TableExists(conn);
  if (row.table_exists) {
    row.value =
        conn.Value("SELECT value::text FROM public.system_metadata WHERE key = 'maintenance-mode'");
  }
  return row;
}

bool MaintenanceModeIs(PgConnection& conn, const std::string& value) {
  if (!TableExists(conn)) return false;
  return conn.Value("SELECT pg_catalog.count(*) > 0 FROM public.system_metadata "
                    "WHERE key = 'maintenance-mode' AND value = $1::jsonb",
                    {value}) == std::optional<std::string>("t");
}

void WriteMaintenanceMode(PgConnection& conn, const std::optional<std::string>& value) {
  if (!TableExists(conn)) return;
  if (!value) {
    conn.Exec("DELETE FROM public.system_metadata WHERE key = 'maintenance-mode'");
    return;
  }
  // No ON CONFLICT: it needs a unique index, and only Immich's schema promises one.
  conn.Exec("BEGIN");
  try {
    conn.Query("DELETE FROM public.system_metadata WHERE key = 'maintenance-mode'");
    conn.Query(
        "INSERT INTO public.system_metadata (key, value) VALUES ('maintenance-mode', $1::jsonb)",
        {*value});
    conn.Exec("COMMIT");
  } catch (...) {
    try {
      conn.Exec("ROLLBACK");
    } catch (...) {
    }  // NOLINT: the connection may be gone
    throw;
  }
}

}  // namespace immich_maint::sidecar
