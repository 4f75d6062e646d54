// immich_restore(name): queues a DatabaseRestore run for the sidecar, committed at once (as
// immich_run_job does) so `SELECT immich_job_wait(immich_restore('..'))` can wait for it. The
// caller's backend pid goes along so the restore spares this session when it ends all others.
#include "core/backup_name.h"
#include "extension/enqueue.h"
#include "extension/guard.h"
#include "extension/pg_values.h"
#include "extension/privileges.h"

extern "C" {
#include "miscadmin.h"
#include "utils/acl.h"

PG_FUNCTION_INFO_V1(immich_restore);
}

namespace core = immich_maint::core;
namespace pg = immich_maint::pg;

extern "C" Datum immich_restore(PG_FUNCTION_ARGS) {
  const std::string_view name = pg::ArgTextView(fcinfo, 0);
  pg::RequireAdmin("restore the database");
  const bool valid = pg::Guard([&] { return core::IsValidBackupName(name); });
  // palloc'd copy: no C++ object may be alive when ereport or the worker wait longjmps
  char* copy = pnstrdup(name.data(), name.size());
  if (!valid) {
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid backup name: %s", copy),
             errdetail("Immich accepts only names of letters, digits, '-', '_' and '.' ending in "
                       ".sql or .sql.gz."),
             errhint("Give the name of a file in <media>/backups, without a folder; "
                     "immich_backups() lists them.")));
  }
  // A valid name holds only [0-9A-Za-z_.-]: nothing to escape in the JSON string.
  char* params = psprintf("{\"name\": \"%s\", \"requester_pid\": %d}", copy, MyProcPid);
  PG_RETURN_INT64(pg::EnqueueCommitted("DatabaseRestore", "manual",
                                       GetUserNameFromId(GetUserId(), false), params));
}
