// Library entry: PG_MODULE_MAGIC, the settings, the launcher's shared memory and worker, and the
// refusal to load other than through shared_preload_libraries (the launcher worker can only be
// registered at server start).
#include "extension/launcher.h"
#include "extension/launcher_shared.h"
#include "extension/pg_values.h"
#include "extension/settings.h"
#include "tz/cctz_time_zone.h"

extern "C" {
#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace immich_maint::pg {

namespace {

char* database_setting = nullptr;
char* timezone_setting = nullptr;
bool enabled_setting = true;
int sidecar_timeout_setting = 60;

bool IsKnownZone(const char* name) noexcept {
  try {
    return tz::CctzTimeZone::Load(name).ok();
  } catch (...) {
    return false;
  }
}

// Refuses an unknown zone when the setting is changed (ALTER SYSTEM, reload): a bad value in
// postgresql.conf is then reported and the previous zone stays in force.
bool CheckTimezone(char** value, void** extra, GucSource source) {
  if (*value != nullptr && IsKnownZone(*value)) return true;
  GUC_check_errdetail("No time zone named \"%s\" is in the tz database.",
                      *value == nullptr ? "" : *value);
  GUC_check_errhint("Use a tz database name such as Europe/Berlin, UTC or GMT.");
  return false;
}

void DefineSettings() {
  DefineCustomStringVariable("immich_maint.database", "Database in which immich_maint runs.",
                             "The launcher connects to this database.", &database_setting, "immich",
                             PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("immich_maint.timezone", "Time zone of cron schedules.", nullptr,
                             &timezone_setting, "GMT", PGC_SIGHUP, 0, CheckTimezone, nullptr,
                             nullptr);
  DefineCustomBoolVariable("immich_maint.enabled", "Whether the launcher schedules jobs.", nullptr,
                           &enabled_setting, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("immich_maint.sidecar_timeout",
                          "Heartbeat age after which a running sidecar job is marked failed.",
                          nullptr, &sidecar_timeout_setting, 60, 1, 24 * 60 * 60, PGC_SIGHUP,
                          GUC_UNIT_S, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("immich_maint");
}

}  // namespace

const char* DatabaseSetting() { return database_setting; }
const char* TimezoneSetting() { return timezone_setting; }
bool EnabledSetting() { return enabled_setting; }
int SidecarTimeoutSeconds() { return sidecar_timeout_setting; }

}  // namespace immich_maint::pg

extern "C" void _PG_init(void) {
  if (!process_shared_preload_libraries_in_progress) {
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("immich_maint must be loaded via shared_preload_libraries"),
                    errhint("Add immich_maint to shared_preload_libraries in postgresql.conf and "
                            "restart the server.")));
  }
  immich_maint::pg::DefineSettings();
  immich_maint::pg::InstallLauncherSharedHooks();
  immich_maint::pg::RegisterLauncher();
}
