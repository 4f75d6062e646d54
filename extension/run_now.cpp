// immich_maint.run_in_worker: runs a database job to its end in a short-lived background
// worker and waits for it, so a SQL function (run_now, immich_prune_audit) gets the job's
// batched, committed work: a function itself can never commit.
#include "extension/db_job_bodies.h"
#include "extension/slot_worker.h"

extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(immich_maint_run_in_worker);
PGDLLEXPORT void immich_maint_run_now_main(Datum arg);
}

namespace immich_maint::pg {

namespace {

struct RunNowSlot {
  Oid database;
  char job[64];
  char requested_by[NAMEDATALEN];
  int64 run_id;   // 0 until the run is inserted
  bool finished;  // the outcome below was read back
  char status[16];
  char sqlstate[6];
  bool has_deleted;
  int64 deleted;
  char error[1024];
  char params[FLEXIBLE_ARRAY_MEMBER];  // "" for the schedule's params
};

BackgroundWorkerHandle* StartWorker(dsm_segment* segment) {
  BackgroundWorker worker{};
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  strlcpy(worker.bgw_library_name, "immich_maint", BGW_MAXLEN);
  strlcpy(worker.bgw_function_name, "immich_maint_run_now_main", BGW_MAXLEN);
  strlcpy(worker.bgw_name, "immich_maint job", BGW_MAXLEN);
  strlcpy(worker.bgw_type, "immich_maint job", BGW_MAXLEN);
  worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(segment));
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  if (!RegisterDynamicBackgroundWorker(&worker, &handle)) {
    ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
                    errmsg("could not start a background worker to run the job"),
                    errhint("Raise max_worker_processes (each running job needs one).")));
  }
  return handle;
}

RunNowSlot* FillSlot(dsm_segment* segment, const char* job, const char* params,
                     const char* requested_by) {
  auto* slot = static_cast<RunNowSlot*>(dsm_segment_address(segment));
  memset(slot, 0, sizeof(RunNowSlot));
  slot->database = MyDatabaseId;
  strlcpy(slot->job, job, sizeof(slot->job));
  strlcpy(slot->requested_by, requested_by, sizeof(slot->requested_by));
  strcpy(slot->params, params);
  return slot;
}

Datum OutcomeTuple(FunctionCallInfo fcinfo, const RunNowSlot& slot) {
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) {
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("run_in_worker must return a record")));
  }
  Datum values[5] = {Int64GetDatum(slot.run_id), CStringGetTextDatum(slot.status),
                     CStringGetTextDatum(slot.error), CStringGetTextDatum(slot.sqlstate),
                     Int64GetDatum(slot.deleted)};
  bool nulls[5] = {false, false, slot.error[0] == '\0', slot.sqlstate[0] == '\0',
                   !slot.has_deleted};
  return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

}  // namespace

}  // namespace immich_maint::pg

namespace pg = immich_maint::pg;

extern "C" Datum immich_maint_run_in_worker(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(2)) {
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                    errmsg("job and requested_by must not be NULL")));
  }
  const char* job = text_to_cstring(PG_GETARG_TEXT_PP(0));
  const char* params = PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1));
  const char* requested_by = text_to_cstring(PG_GETARG_TEXT_PP(2));
  dsm_segment* segment = dsm_create(sizeof(pg::RunNowSlot) + strlen(params) + 1, 0);
  pg::RunNowSlot* slot = pg::FillSlot(segment, job, params, requested_by);
  BackgroundWorkerHandle* handle = pg::StartWorker(segment);
  if (WaitForBackgroundWorkerShutdown(handle) != BGWH_STOPPED) {
    ereport(ERROR, (errcode(ERRCODE_ADMIN_SHUTDOWN), errmsg("the server is shutting down")));
  }
  if (!slot->finished) {
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not run job %s", job),
                    errdetail("%s", slot->error[0] ? slot->error : "The job's worker ended early."),
                    slot->run_id
                        ? errhint("See run " INT64_FORMAT " in immich_maint.job_run.", slot->run_id)
                        : 0));
  }
  const Datum outcome = pg::OutcomeTuple(fcinfo, *slot);
  dsm_detach(segment);
  PG_RETURN_DATUM(outcome);
}

namespace immich_maint::pg {

namespace {

// In the worker: inserts the run (already running, so the launcher leaves it) and commits.
int64 StartRun(const RunNowSlot& slot) {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  SPI_connect();
  PushActiveSnapshot(GetTransactionSnapshot());
  Oid types[3] = {TEXTOID, TEXTOID, TEXTOID};
  Datum values[3] = {CStringGetTextDatum(slot.job), CStringGetTextDatum(slot.params),
                     CStringGetTextDatum(slot.requested_by)};
  const char nulls[3] = {' ', slot.params[0] ? ' ' : 'n', ' '};
  SPI_execute_with_args("SELECT immich_maint.start_run($1, $2::jsonb, $3)", 3, types, values, nulls,
                        false, 1);
  bool is_null = true;
  const int64 run_id =
      DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();
  return is_null ? 0 : run_id;
}

// In the worker: copies the run's status, error and count of deleted rows into the slot.
void ReadOutcome(RunNowSlot* slot) {
  StartTransactionCommand();
  SPI_connect();
  PushActiveSnapshot(GetTransactionSnapshot());
  Oid types[1] = {INT8OID};
  Datum values[1] = {Int64GetDatum(slot->run_id)};
  SPI_execute_with_args(
      "SELECT status, error, result->>'sqlstate', (result->>'deleted')::bigint"
      " FROM immich_maint.job_run WHERE id = $1",
      1, types, values, nullptr, true, 1);
  if (SPI_processed == 1) {
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    const char* error = SPI_getvalue(row, desc, 2);
    const char* sqlstate = SPI_getvalue(row, desc, 3);
    strlcpy(slot->status, SPI_getvalue(row, desc, 1), sizeof(slot->status));
    strlcpy(slot->error, error ? error : "", sizeof(slot->error));
    strlcpy(slot->sqlstate, sqlstate ? sqlstate : "", sizeof(slot->sqlstate));
    slot->deleted = DatumGetInt64(SPI_getbinval(row, desc, 4, &slot->has_deleted));
    slot->has_deleted = !slot->has_deleted;
    slot->finished = true;
  }
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();
}

}  // namespace

}  // namespace immich_maint::pg

// Worker entry point. PostgreSQL errors here end the worker (the caller reports them); there is
// no C++ code that can throw on this path.
extern "C" void immich_maint_run_now_main(Datum arg) {
  // SIGTERM stops the job at the next CHECK_FOR_INTERRUPTS, not inside a batch
  pg::RunSlotWorker<pg::RunNowSlot>(arg, "immich_maint: running a job", true, [](pg::RunNowSlot* slot) {
    slot->run_id = pg::StartRun(*slot);
    pg::RunDatabaseJob(slot->run_id);
    pg::ReadOutcome(slot);
  });
}
