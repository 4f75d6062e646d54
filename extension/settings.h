// The immich_maint.* settings (GUCs, defined in module.cpp) as the rest of the extension reads
// them. Values follow postgresql.conf: the launcher sees a change after SIGHUP.
#pragma once

namespace immich_maint::pg {

const char* DatabaseSetting();  // immich_maint.database: where the launcher works
const char* TimezoneSetting();  // immich_maint.timezone: zone of cron schedules
bool EnabledSetting();          // immich_maint.enabled: whether the launcher schedules jobs
int SidecarTimeoutSeconds();    // immich_maint.sidecar_timeout: heartbeat age that fails a run

}  // namespace immich_maint::pg
