// Library entry: PG_MODULE_MAGIC, the settings, and the refusal to load other than through
// shared_preload_libraries (the launcher worker can only be registered at server start).
#include "extension/pg_values.h"

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

void DefineSettings() {
  DefineCustomStringVariable("immich_maint.database", "Database in which immich_maint runs.",
                             "The launcher connects to this database.", &database_setting,
                             "immich", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("immich_maint.timezone", "Time zone of cron schedules.", nullptr,
                             &timezone_setting, "GMT", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("immich_maint.enabled", "Whether the launcher schedules jobs.", nullptr,
                           &enabled_setting, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("immich_maint");
}

}  // namespace

}  // namespace immich_maint::pg

extern "C" void _PG_init(void) {
  if (!process_shared_preload_libraries_in_progress) {
    ereport(ERROR,
            (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
             errmsg("immich_maint must be loaded via shared_preload_libraries"),
             errhint("Add immich_maint to shared_preload_libraries in postgresql.conf and "
                     "restart the server.")));
  }
  immich_maint::pg::DefineSettings();
}
