// The launcher background worker: one per cluster, registered from shared_preload_libraries,
// serving the database named by immich_maint.database.
#pragma once

namespace immich_maint::pg {

// From _PG_init. The worker restarts 5 seconds after it exits for any reason.
void RegisterLauncher();

}  // namespace immich_maint::pg
