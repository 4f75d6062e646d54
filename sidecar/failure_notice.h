// Immich's own way to tell the admin a job failed: a `JobFailed` row in Immich's notification
// table, shown in Immich's web UI. Written only when that table and an admin user exist.
#pragma once

#include <string>

#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

// Best effort: returns false (and never throws) when the notice could not be written.
bool NotifyAdminOfFailure(PgConnection& conn, const std::string& job, const std::string& message);

}  // namespace immich_maint::sidecar
