// Dispatch of in-database runs (launcher side) and the job worker's main function. The worker
// waits for the launcher's transaction to end, then for its claim, so it only runs claimed runs.
#include "extension/db_job_worker.h"

#include "extension/db_jobs.h"

extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "storage/lmgr.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void immich_maint_job_main(Datum arg);
}

namespace immich_maint::pg {

namespace {

constexpr int kDispatchBatch = 32;

struct JobWorkerArgs {
  Oid database;
  int64 run_id;
  TransactionId launcher_xid;  // the transaction that claims the run (may also have queued it)
};

struct RunOutcome {
  bool succeeded;
  char* result_json;  // succeeded only
  char* error;        // failed only
};

// Starts the worker and waits until it has a pid; 0 when no worker could be started.
pid_t StartJobWorker(int64 run_id) {
  BackgroundWorker worker{};
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  strlcpy(worker.bgw_library_name, "immich_maint", BGW_MAXLEN);
  strlcpy(worker.bgw_function_name, "immich_maint_job_main", BGW_MAXLEN);
  snprintf(worker.bgw_name, BGW_MAXLEN, "immich_maint job (run %lld)",
           static_cast<long long>(run_id));
  strlcpy(worker.bgw_type, "immich_maint job", BGW_MAXLEN);
  const JobWorkerArgs args{MyDatabaseId, run_id, GetTopTransactionIdIfAny()};
  memcpy(worker.bgw_extra, &args, sizeof(args));
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  if (!RegisterDynamicBackgroundWorker(&worker, &handle)) return 0;
  pid_t pid = 0;
  const BgwHandleStatus status = WaitForBackgroundWorkerStartup(handle, &pid);
  pfree(handle);
  return status == BGWH_STARTED ? pid : 0;
}

void MarkClaimed(int64 run_id, pid_t pid) {
  Oid types[2] = {INT8OID, TEXTOID};
  Datum values[2] = {Int64GetDatum(run_id), CStringGetTextDatum(psprintf("postgres:%d", pid))};
  SPI_execute_with_args(
      "UPDATE immich_maint.job_run SET status = 'running', started_at = pg_catalog.now(), "
      "worker = $2 WHERE id = $1",
      2, types, values, nullptr, false, 0);
}

}  // namespace

int DispatchDatabaseRuns(bool* out_of_workers) {
  *out_of_workers = false;
  SPI_connect();
  SPI_execute(psprintf("SELECT id FROM immich_maint.job_run WHERE runner = 'database' AND "
                       "status = 'queued' ORDER BY id LIMIT %d FOR UPDATE SKIP LOCKED",
                       kDispatchBatch),
              false, 0);
  SPITupleTable* queued = SPI_tuptable;
  const uint64 count = SPI_processed;
  int started = 0;
  for (uint64 i = 0; i < count; ++i) {
    bool is_null = false;
    const int64 run_id =
        DatumGetInt64(SPI_getbinval(queued->vals[i], queued->tupdesc, 1, &is_null));
    const pid_t pid = StartJobWorker(run_id);
    if (pid == 0) {
      *out_of_workers = true;
      break;
    }
    MarkClaimed(run_id, pid);
    ++started;
  }
  SPI_finish();
  return started;
}

namespace {

void BeginWork() {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  SPI_connect();
  PushActiveSnapshot(GetTransactionSnapshot());
}

void EndWork() {
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();
}

// The launcher may have queued the run in the transaction that starts us: until that commits,
// the row is invisible (not even locked), so wait for the transaction to end first.
void AwaitLauncher(TransactionId launcher_xid) {
  if (!TransactionIdIsValid(launcher_xid)) return;
  StartTransactionCommand();
  XactLockTableWait(launcher_xid, nullptr, nullptr, XLTW_None);
  CommitTransactionCommand();
}

// The run if the launcher's claim names this process. Job and params are copied to
// TopMemoryContext. False when the run is not ours (e.g. the launcher's transaction aborted).
bool ClaimRun(int64 run_id, DbJobRun* run) {
  BeginWork();
  Oid types[1] = {INT8OID};
  Datum values[1] = {Int64GetDatum(run_id)};
  SPI_execute_with_args(
      "SELECT job, params::text, status, worker FROM immich_maint.job_run "
      "WHERE id = $1 FOR UPDATE",
      1, types, values, nullptr, false, 1);
  bool ours = false;
  if (SPI_processed == 1) {
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    const char* status = SPI_getvalue(row, desc, 3);
    const char* worker = SPI_getvalue(row, desc, 4);
    ours = status != nullptr && strcmp(status, "running") == 0 && worker != nullptr &&
           strcmp(worker, psprintf("postgres:%d", MyProcPid)) == 0;
    run->run_id = run_id;
    run->job = MemoryContextStrdup(TopMemoryContext, SPI_getvalue(row, desc, 1));
    run->params_json = MemoryContextStrdup(TopMemoryContext, SPI_getvalue(row, desc, 2));
  }
  EndWork();
  return ours;
}

// Runs the body; an ERROR in it becomes the run's error (the body's transaction is rolled back).
void RunBody(DbJobBody body, const DbJobRun& run, RunOutcome* outcome) {
  const MemoryContext context = CurrentMemoryContext;
  PG_TRY();
  {
    outcome->result_json = body(run);
    outcome->succeeded = true;
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(context);
    ErrorData* error = CopyErrorData();
    FlushErrorState();
    AbortOutOfAnyTransaction();
    outcome->succeeded = false;
    outcome->error = error->message;
  }
  PG_END_TRY();
}

void RecordOutcome(int64 run_id, const RunOutcome& outcome) {
  BeginWork();
  Oid types[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};
  Datum values[4] = {Int64GetDatum(run_id),
                     CStringGetTextDatum(outcome.succeeded ? "succeeded" : "failed"),
                     CStringGetTextDatum(outcome.result_json ? outcome.result_json : "{}"),
                     CStringGetTextDatum(outcome.error ? outcome.error : "")};
  const char nulls[4] = {' ', ' ', outcome.succeeded ? ' ' : 'n', outcome.succeeded ? 'n' : ' '};
  SPI_execute_with_args(
      "UPDATE immich_maint.job_run SET status = $2, finished_at = pg_catalog.now(), "
      "result = $3::jsonb, error = $4, "
      "progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END "
      "WHERE id = $1 AND status = 'running'",
      4, types, values, nulls, false, 0);
  EndWork();
}

}  // namespace

}  // namespace immich_maint::pg

namespace pg = immich_maint::pg;

// Worker entry point. No C++ object with a destructor lives here: PostgreSQL errors end the
// worker (a failed run is then found by the launcher's orphan check).
extern "C" void immich_maint_job_main(Datum arg) {
  pg::JobWorkerArgs args{};
  memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnectionByOid(args.database, InvalidOid, 0);
  pg::DbJobRun run{};
  pg::AwaitLauncher(args.launcher_xid);
  if (!pg::ClaimRun(args.run_id, &run)) proc_exit(0);
  pgstat_report_activity(STATE_RUNNING, psprintf("immich_maint: %s (run %lld)", run.job,
                                                 static_cast<long long>(run.run_id)));
  auto* outcome = static_cast<pg::RunOutcome*>(
      MemoryContextAllocZero(TopMemoryContext, sizeof(pg::RunOutcome)));
  const pg::DbJobBody body = pg::FindDbJobBody(run.job);
  if (body == nullptr) {
    outcome->error = psprintf("not implemented yet: %s", run.job);
  } else {
    pg::RunBody(body, run, outcome);
  }
  pg::RecordOutcome(run.run_id, *outcome);
  pgstat_report_activity(STATE_IDLE, nullptr);
  proc_exit(0);
}
