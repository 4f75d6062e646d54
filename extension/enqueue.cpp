// The enqueue worker: the caller fills a small shared-memory slot, starts the worker, and
// waits for it to exit; the worker inserts the run through immich_maint.enqueue and commits.
#include "extension/enqueue.h"
#include "extension/slot_worker.h"

extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void immich_maint_enqueue_main(Datum arg);
}

namespace immich_maint::pg {

namespace {

struct EnqueueSlot {
  Oid database;
  char job[64];
  char trigger[16];
  char requested_by[NAMEDATALEN];
  int64 run_id;           // 0 until the worker succeeds
  char error[256];
  char params[FLEXIBLE_ARRAY_MEMBER];  // JSON object, or "" for the schedule's params alone
};

void CopyField(char* out, std::size_t size, const char* text) { strlcpy(out, text, size); }

BackgroundWorkerHandle* StartWorker(dsm_segment* segment) {
  BackgroundWorker worker{};
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  CopyField(worker.bgw_library_name, BGW_MAXLEN, "immich_maint");
  CopyField(worker.bgw_function_name, BGW_MAXLEN, "immich_maint_enqueue_main");
  CopyField(worker.bgw_name, BGW_MAXLEN, "immich_maint enqueue");
  CopyField(worker.bgw_type, BGW_MAXLEN, "immich_maint enqueue");
  worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(segment));
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  if (!RegisterDynamicBackgroundWorker(&worker, &handle)) {
    ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
                    errmsg("could not start a background worker to queue the job"),
                    errhint("Raise max_worker_processes (each queued job briefly needs one).")));
  }
  return handle;
}

}  // namespace

std::int64_t EnqueueCommitted(const char* job, const char* trigger, const char* requested_by) {
  return EnqueueCommitted(job, trigger, requested_by, "");
}

std::int64_t EnqueueCommitted(const char* job, const char* trigger, const char* requested_by,
                              const char* params) {
  const Size params_size = strlen(params) + 1;
  const Size size = offsetof(EnqueueSlot, params) + params_size;
  dsm_segment* segment = dsm_create(size, 0);
  auto* slot = static_cast<EnqueueSlot*>(dsm_segment_address(segment));
  memset(slot, 0, size);
  memcpy(slot->params, params, params_size);
  slot->database = MyDatabaseId;
  CopyField(slot->job, sizeof(slot->job), job);
  CopyField(slot->trigger, sizeof(slot->trigger), trigger);
  CopyField(slot->requested_by, sizeof(slot->requested_by), requested_by);
  BackgroundWorkerHandle* handle = StartWorker(segment);
  if (WaitForBackgroundWorkerShutdown(handle) != BGWH_STOPPED) {
    ereport(ERROR, (errcode(ERRCODE_ADMIN_SHUTDOWN), errmsg("the server is shutting down")));
  }
  const int64 run_id = slot->run_id;
  if (run_id == 0) {
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not queue job %s", job),
                    errdetail("%s", slot->error[0] ? slot->error : "The enqueue worker failed.")));
  }
  dsm_detach(segment);
  return run_id;
}

namespace {

// Runs inside the worker: one transaction, one call to immich_maint.enqueue.
int64 InsertRun(const EnqueueSlot& slot) {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  SPI_connect();
  PushActiveSnapshot(GetTransactionSnapshot());
  Oid types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
  Datum values[4] = {CStringGetTextDatum(slot.job), CStringGetTextDatum(slot.trigger),
                     CStringGetTextDatum(slot.requested_by), CStringGetTextDatum(slot.params)};
  if (slot.params[0] == '\0') {
    SPI_execute_with_args("SELECT immich_maint.enqueue($1, $2, $3)", 3, types, values, nullptr,
                          false, 1);
  } else {
    SPI_execute_with_args("SELECT immich_maint.enqueue($1, $2, $3, $4::jsonb)", 4, types, values,
                          nullptr, false, 1);
  }
  bool is_null = true;
  const int64 run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();
  return is_null ? 0 : run_id;
}

}  // namespace

}  // namespace immich_maint::pg

// Worker entry point. PostgreSQL errors here end the worker (the caller reports them); there
// is no C++ code that can throw on this path.
extern "C" void immich_maint_enqueue_main(Datum arg) {
  namespace pg = immich_maint::pg;
  pg::RunSlotWorker<pg::EnqueueSlot>(arg, "immich_maint: queueing a run", false,
                                     [](pg::EnqueueSlot* slot) { slot->run_id = pg::InsertRun(*slot); });
}
