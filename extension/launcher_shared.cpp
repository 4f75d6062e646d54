// Shared-memory record of the launcher, the trigger function that wakes it at commit, and
// immich_maint.launcher_state() for the status view.
#include "extension/launcher_shared.h"

extern "C" {
#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(immich_maint_wake_launcher);
PG_FUNCTION_INFO_V1(immich_maint_launcher_state);
}

namespace immich_maint::pg {

namespace {

struct LauncherShared {
  slock_t mutex;
  pid_t pid;                     // 0 when no launcher runs
  Oid database;                  // InvalidOid while waiting for the database
  Latch* latch;                  // the launcher's process latch
  TimestampTz scheduling_since;  // 0 when not scheduling
  bool connect_may_fail;
};

LauncherShared* shared = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;
bool wake_at_commit = false;
bool xact_callback_registered = false;

void RequestShared() {
  if (previous_request_hook != nullptr) previous_request_hook();
  RequestAddinShmemSpace(MAXALIGN(sizeof(LauncherShared)));
}

void StartupShared() {
  if (previous_startup_hook != nullptr) previous_startup_hook();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  shared = static_cast<LauncherShared*>(
      ShmemInitStruct("immich_maint launcher", sizeof(LauncherShared), &found));
  if (!found) {
    memset(shared, 0, sizeof(*shared));
    SpinLockInit(&shared->mutex);
  }
  LWLockRelease(AddinShmemInitLock);
}

void ClearLauncher(int code, Datum arg) {
  SpinLockAcquire(&shared->mutex);
  if (shared->pid == MyProcPid) {
    shared->pid = 0;
    shared->database = InvalidOid;
    shared->latch = nullptr;
    shared->scheduling_since = 0;
  }
  SpinLockRelease(&shared->mutex);
}

// The launcher's latch if it serves this database (or waits for its database) and is not us.
Latch* LatchToWake() {
  Latch* latch = nullptr;
  SpinLockAcquire(&shared->mutex);
  const bool ours = shared->database == InvalidOid || shared->database == MyDatabaseId;
  if (shared->pid != 0 && shared->pid != MyProcPid && ours) latch = shared->latch;
  SpinLockRelease(&shared->mutex);
  return latch;
}

// Wakes at commit, not at once: woken earlier, the launcher could read the old rows and sleep.
void WakeAtCommit(XactEvent event, void* arg) {
  if (event == XACT_EVENT_COMMIT && wake_at_commit) {
    Latch* latch = LatchToWake();
    if (latch != nullptr) SetLatch(latch);
  }
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
      event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) {
    wake_at_commit = false;
  }
}

}  // namespace

void InstallLauncherSharedHooks() {
  previous_request_hook = shmem_request_hook;
  shmem_request_hook = RequestShared;
  previous_startup_hook = shmem_startup_hook;
  shmem_startup_hook = StartupShared;
}

void PublishLauncher(Oid database) {
  SpinLockAcquire(&shared->mutex);
  shared->pid = MyProcPid;
  shared->database = database;
  shared->latch = MyLatch;
  shared->scheduling_since = 0;
  SpinLockRelease(&shared->mutex);
  on_shmem_exit(ClearLauncher, 0);
}

void SetLauncherSchedulingSince(TimestampTz since) {
  SpinLockAcquire(&shared->mutex);
  shared->scheduling_since = since;
  SpinLockRelease(&shared->mutex);
}

bool LauncherConnectMayFail() {
  SpinLockAcquire(&shared->mutex);
  const bool value = shared->connect_may_fail;
  SpinLockRelease(&shared->mutex);
  return value;
}

void SetLauncherConnectMayFail(bool value) {
  SpinLockAcquire(&shared->mutex);
  shared->connect_may_fail = value;
  SpinLockRelease(&shared->mutex);
}

}  // namespace immich_maint::pg

namespace pg = immich_maint::pg;

// Trigger function (after, row or statement level): wake the launcher when this transaction
// commits. Its own changes do not wake it.
extern "C" Datum immich_maint_wake_launcher(PG_FUNCTION_ARGS) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("immich_maint.wake_launcher() must be called as a trigger")));
  }
  if (!pg::xact_callback_registered) {
    RegisterXactCallback(pg::WakeAtCommit, nullptr);
    pg::xact_callback_registered = true;
  }
  pg::wake_at_commit = true;
  return PointerGetDatum(nullptr);
}

// (pid, scheduling_since) of the launcher serving this database; NULLs when there is none.
extern "C" Datum immich_maint_launcher_state(PG_FUNCTION_ARGS) {
  TupleDesc desc = nullptr;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) {
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH), errmsg("return type must be a row type")));
  }
  SpinLockAcquire(&pg::shared->mutex);
  const pid_t pid = pg::shared->database == MyDatabaseId ? pg::shared->pid : 0;
  const TimestampTz since = pid != 0 ? pg::shared->scheduling_since : 0;
  SpinLockRelease(&pg::shared->mutex);
  Datum values[2] = {Int32GetDatum(pid), TimestampTzGetDatum(since)};
  bool nulls[2] = {pid == 0, since == 0};
  HeapTuple tuple = heap_form_tuple(BlessTupleDesc(desc), values, nulls);
  return HeapTupleGetDatum(tuple);
}
