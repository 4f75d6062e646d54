// JobFailed notification, as Immich writes it (reference/immich.md §2).
#include "sidecar/failure_notice.h"

#include "sidecar/server_info.h"

namespace immich_maint::sidecar {

bool NotifyAdminOfFailure(PgConnection& conn, const std::string& job, const std::string& message) {
  try {
    if (!TableExists(conn, "notification") || !TableExists(conn, "\"user\"")) return false;
    conn.Query(
        "INSERT INTO notification (\"userId\", level, type, title, description) "
        "SELECT id, 'error', 'JobFailed', 'Job Failed', 'Job ' || $1 || ' failed with error: ' || $2 "
        "FROM \"user\" WHERE \"isAdmin\" ORDER BY \"createdAt\" LIMIT 1",
        {job, message});
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace immich_maint::sidecar
