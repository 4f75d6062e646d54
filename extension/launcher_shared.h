// The launcher's record in shared memory: its pid, latch and database, so that triggers can wake
// it (at commit, when schedules change or a database job is queued) and immich_maint.status can
// show it. Reserved through PostgreSQL 15's shmem_request_hook and shmem_startup_hook.
#pragma once

extern "C" {
#include "postgres.h"

#include "datatype/timestamp.h"
}

namespace immich_maint::pg {

// From _PG_init: chains the shared-memory hooks.
void InstallLauncherSharedHooks();

// Launcher only. Publishes this process (database InvalidOid while it waits for the database to
// exist); the record is cleared when the process exits.
void PublishLauncher(Oid database);
// When the launcher began scheduling; 0 when it is not scheduling (disabled, no extension).
void SetLauncherSchedulingSince(TimestampTz since);

// Set by a launcher start that may fail to connect (the database may not exist yet); cleared once
// connected. The next start then waits for the database instead of failing again.
bool LauncherConnectMayFail();
void SetLauncherConnectMayFail(bool value);

}  // namespace immich_maint::pg
