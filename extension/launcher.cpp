// The launcher's main loop, pg_cron's shape: handle signals, do one step in a short transaction
// (tick, dispatch database runs, fail abandoned runs), then sleep on the latch until the next due
// time or a wake from a trigger. Crash-only: any error ends the process; it restarts in 5 s.
#include "extension/launcher.h"

#include <algorithm>

#include "extension/db_job_worker.h"
#include "extension/launcher_shared.h"
#include "extension/run_recovery.h"
#include "extension/scheduler_tick.h"
#include "extension/settings.h"

extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void immich_maint_launcher_main(Datum arg);
}

namespace immich_maint::pg {

namespace {

constexpr long kMaxSleepMs = 60L * 1000;  // backup lock retry, heartbeats, extension check
constexpr long kBusyRowSleepMs = 1000;    // a due row was locked by another transaction
constexpr long kOutOfWorkersSleepMs = 5L * 1000;
constexpr int kOrphanGraceSeconds = 10;  // a just-started job worker may not show yet
constexpr int64 kBackupLockKey = 42;     // Immich's DatabaseLock.BackupDatabase

enum class BackupLock { kNotTried, kHeld, kBusy };

// The launcher's memory between steps. Plain values: nothing here needs a destructor.
struct LauncherState {
  bool scheduling;      // the extension exists and immich_maint.enabled is on
  TimestampTz started;  // when scheduling began: due times before it were missed
  BackupLock lock;
  bool said_extension_missing;
  bool said_disabled;
  bool zone_changed;  // next_run values were computed in another zone
  char zone[128];
};

LauncherState state{};

// --- signals and sleeping ---

void RememberZone() { strlcpy(state.zone, TimezoneSetting(), sizeof(state.zone)); }

void HandleSignals() {
  if (ProcDiePending) {
    ProcDiePending = false;  // handled here: ereport would turn it into a FATAL
    InterruptPending = false;
    ereport(LOG, (errmsg("immich_maint launcher shutting down")));
    proc_exit(1);  // 1, not 0: after pg_terminate_backend the postmaster starts it again
  }
  CHECK_FOR_INTERRUPTS();
  if (ConfigReloadPending) {
    ConfigReloadPending = false;
    ProcessConfigFile(PGC_SIGHUP);
    if (strcmp(state.zone, TimezoneSetting()) != 0) state.zone_changed = true;
    RememberZone();
  }
}

void SleepOnLatch(long ms) {
  (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
  ResetLatch(MyLatch);
}

// Milliseconds until `wake`; kBusyRowSleepMs when a step left something due at its own `now`
// (a row another transaction held), so such a row is retried without spinning.
long MillisecondsUntil(TimestampTz now, TimestampTz wake) {
  if (wake <= now) return kBusyRowSleepMs;
  const TimestampTz real_now = GetCurrentTimestamp();
  if (wake <= real_now) return 0;
  return std::min<long>(kMaxSleepMs, (wake - real_now + 999) / 1000);
}

// --- connecting ---

// A heap scan of pg_database: without a database the launcher may read shared catalogs but not
// use their indexes (get_database_oid would).
// True when the database exists and allows connections (a restore closes it for a while).
bool DatabaseOpen(const char* name) {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  Relation databases = table_open(DatabaseRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_database_datname, BTEqualStrategyNumber, F_NAMEEQ,
              CStringGetDatum(name));
  SysScanDesc scan = systable_beginscan(databases, InvalidOid, false, nullptr, 1, &key);
  const HeapTuple row = systable_getnext(scan);
  const bool open = HeapTupleIsValid(row) && reinterpret_cast<Form_pg_database>(GETSTRUCT(row))->datallowconn;
  systable_endscan(scan);
  table_close(databases, AccessShareLock);
  CommitTransactionCommand();
  return open;
}

// Connected to no database, waits until `name` exists and allows connections, then exits so
// that the restarted launcher can connect to it. CREATE EXTENSION anywhere wakes it early.
[[noreturn]] void WaitForDatabase(const char* name) {
  BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
  PublishLauncher(InvalidOid);
  ereport(LOG,
          (errmsg("immich_maint launcher: database \"%s\" does not exist or does not allow "
                  "connections; waiting for it",
                  name),
           errhint("Create the database, or set immich_maint.database and restart the server. "
                   "A restore closes the database until it ends.")));
  while (!DatabaseOpen(name)) {
    HandleSignals();
    SleepOnLatch(kMaxSleepMs);
  }
  SetLauncherConnectMayFail(false);
  ereport(LOG, (errmsg("immich_maint launcher: database \"%s\" is open; restarting to connect",
                       name)));
  proc_exit(1);
}

void ConnectToDatabase() {
  const char* name = DatabaseSetting();
  if (LauncherConnectMayFail()) WaitForDatabase(name);
  SetLauncherConnectMayFail(true);  // stays set if the connection fails (FATAL) just below
  BackgroundWorkerInitializeConnection(name, nullptr, 0);
  SetLauncherConnectMayFail(false);
  PublishLauncher(MyDatabaseId);
}

// --- the backup lock ---

void TakeBackupLock() {
  if (state.lock == BackupLock::kHeld) return;
  const bool taken =
      DatumGetBool(DirectFunctionCall1(pg_try_advisory_lock_int8, Int64GetDatum(kBackupLockKey)));
  if (taken && state.lock == BackupLock::kBusy) {
    ereport(LOG,
            (errmsg("immich_maint launcher: took advisory lock 42; scheduling DatabaseBackup")));
  }
  if (!taken && state.lock != BackupLock::kBusy) {
    ereport(LOG, (errmsg("immich_maint launcher: another session holds advisory lock 42 (Immich's "
                         "backup lock); not scheduling DatabaseBackup"),
                  errdetail("A running Immich server schedules its own backups while it holds it."),
                  errhint("The launcher tries to take the lock again at least once a minute.")));
  }
  state.lock = taken ? BackupLock::kHeld : BackupLock::kBusy;
}

void ReleaseBackupLock() {
  if (state.lock == BackupLock::kHeld) {
    DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(kBackupLockKey));
  }
  state.lock = BackupLock::kNotTried;
}

// --- scheduling ---

void StopScheduling() {
  ReleaseBackupLock();
  state.scheduling = false;
  SetLauncherSchedulingSince(0);
}

void BeginScheduling(TimestampTz now) {
  state.scheduling = true;
  state.started = now;
  state.said_extension_missing = false;
  SetLauncherSchedulingSince(now);
  const uint64 failed = FailOrphanedDatabaseRuns("launcher restarted", 0);
  if (failed > 0) {
    ereport(LOG,
            (errmsg("immich_maint launcher: marked %llu database run(s) left running as failed",
                    static_cast<unsigned long long>(failed))));
  }
}

// Schedules saved in another zone: next_run again from now, through the schedule trigger.
void RecomputeNextRuns() {
  SPI_connect();
  SPI_execute("UPDATE immich_maint.schedule SET cron = cron WHERE enabled AND next_run > now()",
              false, 0);
  SPI_finish();
  state.zone_changed = false;
}

TimestampTz Earliest(TimestampTz a, bool has_b, TimestampTz b) {
  return has_b ? std::min(a, b) : a;
}

// One step with the extension present: returns how long to sleep.
long ScheduleStep(TimestampTz now) {
  if (!state.scheduling) BeginScheduling(now);
  if (state.zone_changed) RecomputeNextRuns();
  TakeBackupLock();
  const TickResult tick =
      RunSchedulerTick({now, true, state.started, state.lock == BackupLock::kHeld});
  bool out_of_workers = false;
  const int dispatched = DispatchDatabaseRuns(&out_of_workers);
  FailOrphanedDatabaseRuns("job worker exited without finishing", kOrphanGraceSeconds);
  bool has_deadline = false;
  TimestampTz deadline = 0;
  FailSilentSidecarRuns(SidecarTimeoutSeconds(), &has_deadline, &deadline);
  if (dispatched > 0) SetLatch(MyLatch);  // waiting for workers to start reset the latch
  TimestampTz wake = TimestampTzPlusMilliseconds(now, kMaxSleepMs);
  wake = Earliest(wake, tick.has_next_due, tick.next_due);
  wake = Earliest(wake, has_deadline, deadline);
  wake = Earliest(wake, out_of_workers, TimestampTzPlusMilliseconds(now, kOutOfWorkersSleepMs));
  return MillisecondsUntil(now, wake);
}

long StepWithoutExtension() {
  if (!state.said_extension_missing) {
    ereport(LOG,
            (errmsg("immich_maint launcher: extension immich_maint is not installed in database "
                    "\"%s\"; waiting for CREATE EXTENSION",
                    DatabaseSetting())));
    state.said_extension_missing = true;
  }
  StopScheduling();
  return kMaxSleepMs;
}

long DisabledStep() {
  if (!state.said_disabled) {
    ereport(LOG, (errmsg("immich_maint launcher: immich_maint.enabled is off; not scheduling")));
    state.said_disabled = true;
  }
  StopScheduling();
  return kMaxSleepMs;
}

// One step in one short transaction.
long LauncherStep() {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  pgstat_report_activity(STATE_RUNNING, "immich_maint launcher: scheduling");
  long sleep_ms = kMaxSleepMs;
  if (!EnabledSetting()) {
    sleep_ms = DisabledStep();
  } else if (!OidIsValid(get_extension_oid("immich_maint", true))) {
    sleep_ms = StepWithoutExtension();
  } else {
    state.said_disabled = false;
    sleep_ms = ScheduleStep(GetCurrentTransactionStartTimestamp());
  }
  PopActiveSnapshot();
  CommitTransactionCommand();
  pgstat_report_activity(STATE_IDLE, nullptr);
  return sleep_ms;
}

[[noreturn]] void RunLauncherLoop() {
  RememberZone();
  for (;;) {
    HandleSignals();
    const long sleep_ms = LauncherStep();
    SleepOnLatch(sleep_ms);
  }
}

}  // namespace

void RegisterLauncher() {
  BackgroundWorker worker{};
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = 5;
  strlcpy(worker.bgw_library_name, "immich_maint", BGW_MAXLEN);
  strlcpy(worker.bgw_function_name, "immich_maint_launcher_main", BGW_MAXLEN);
  strlcpy(worker.bgw_name, "immich_maint launcher", BGW_MAXLEN);
  strlcpy(worker.bgw_type, "immich_maint launcher", BGW_MAXLEN);
  RegisterBackgroundWorker(&worker);
}

}  // namespace immich_maint::pg

namespace pg = immich_maint::pg;

// Worker entry point: plain PostgreSQL code and guarded core calls; errors end the process.
extern "C" void immich_maint_launcher_main(Datum arg) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  pg::ConnectToDatabase();
  pg::RunLauncherLoop();
}
