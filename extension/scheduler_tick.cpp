// The scheduler step: read due schedules (FOR UPDATE SKIP LOCKED), plan each with core, queue
// runs through immich_maint.enqueue, save next_run and last_run. Also the SQL entry point.
#include "extension/scheduler_tick.h"

#include <optional>

#include "core/cron_schedule.h"
#include "core/schedule_step.h"
#include "extension/guard.h"
#include "extension/schedule_clock.h"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(immich_maint_scheduler_tick);
}

namespace core = immich_maint::core;

namespace immich_maint::pg {

namespace {

constexpr int64 kBackupLockKey = 42;  // Immich's DatabaseLock.BackupDatabase

struct DueRow {
  char* job;
  char* cron;
  bool catch_up;
  bool has_next;
  TimestampTz next;
  bool has_last;
  TimestampTz last;
};

// What core decided, as plain values (no C++ object outlives the guard).
struct PlannedStep {
  bool valid;  // false: the stored cron no longer parses
  bool fire;
  core::RunTrigger trigger;
  TimestampTz due;
  bool has_next;
  TimestampTz next;
  bool has_last;
  TimestampTz last;
};

std::optional<core::Instant> OptionalInstant(bool has, TimestampTz at) {
  return has ? std::optional<core::Instant>(InstantFromTimestamp(at)) : std::nullopt;
}

PlannedStep ToPlanned(const core::StepPlan& plan) {
  return PlannedStep{true,
                     plan.fire.has_value(),
                     plan.fire.value_or(core::RunTrigger::kSchedule),
                     TimestampFromInstant(plan.due),
                     plan.next_run.has_value(),
                     plan.next_run ? TimestampFromInstant(*plan.next_run) : 0,
                     plan.last_run.has_value(),
                     plan.last_run ? TimestampFromInstant(*plan.last_run) : 0};
}

PlannedStep PlanRow(const DueRow& row, const TickClock& clock) {
  const bool may_run = clock.backups_allowed || strcmp(row.job, "DatabaseBackup") != 0;
  return Guard([&] {
    const core::Result<core::CronSchedule> schedule = core::ParseCronSchedule(row.cron);
    if (!schedule)
      return PlannedStep{false, false, core::RunTrigger::kSchedule, 0, false, 0, false, 0};
    const core::ScheduleRow state{row.catch_up, OptionalInstant(row.has_next, row.next),
                                  OptionalInstant(row.has_last, row.last)};
    const core::StepClock step_clock{InstantFromTimestamp(clock.now),
                                     OptionalInstant(clock.has_started, clock.started), may_run};
    return ToPlanned(core::PlanScheduleStep(schedule.value(), ScheduleZone(), state, step_clock));
  });
}

Datum ColumnOrNull(int column, bool* is_null) {
  return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, is_null);
}

DueRow ReadDueRow(HeapTuple tuple, TupleDesc desc) {
  DueRow row{};
  bool is_null = false;
  row.job = SPI_getvalue(tuple, desc, 1);
  row.cron = SPI_getvalue(tuple, desc, 2);
  row.catch_up = DatumGetBool(SPI_getbinval(tuple, desc, 3, &is_null));
  row.next = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 4, &is_null));
  row.has_next = !is_null;
  row.last = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 5, &is_null));
  row.has_last = !is_null;
  return row;
}

// Enabled schedules due at `now` or without a next_run yet, locked for this step.
DueRow* SelectDueRows(TimestampTz now, uint64* count) {
  static const char* kSelect =
      "SELECT job, cron, catch_up, next_run, last_run FROM immich_maint.schedule "
      "WHERE enabled AND (next_run IS NULL OR next_run <= $1) ORDER BY job "
      "FOR UPDATE SKIP LOCKED";
  Oid types[1] = {TIMESTAMPTZOID};
  Datum values[1] = {TimestampTzGetDatum(now)};
  if (SPI_execute_with_args(kSelect, 1, types, values, nullptr, false, 0) != SPI_OK_SELECT) {
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not read the schedules")));
  }
  *count = SPI_processed;
  auto* rows = static_cast<DueRow*>(palloc0(sizeof(DueRow) * (SPI_processed + 1)));
  for (uint64 i = 0; i < SPI_processed; ++i) {
    rows[i] = ReadDueRow(SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
  }
  return rows;
}

// Inserts the run (and NOTIFYs) through immich_maint.enqueue, then records its due time.
int64 QueueRun(const char* job, const char* trigger, TimestampTz due) {
  Oid types[2] = {TEXTOID, TEXTOID};
  Datum values[2] = {CStringGetTextDatum(job), CStringGetTextDatum(trigger)};
  SPI_execute_with_args("SELECT immich_maint.enqueue($1, $2, 'scheduler')", 2, types, values,
                        nullptr, false, 1);
  bool is_null = true;
  const int64 run_id = DatumGetInt64(ColumnOrNull(1, &is_null));
  if (is_null) {
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not queue job %s", job)));
  }
  Oid update_types[2] = {INT8OID, TIMESTAMPTZOID};
  Datum update_values[2] = {Int64GetDatum(run_id), TimestampTzGetDatum(due)};
  SPI_execute_with_args("UPDATE immich_maint.job_run SET due_at = $2 WHERE id = $1", 2,
                        update_types, update_values, nullptr, false, 0);
  return run_id;
}

void SaveStep(const char* job, const PlannedStep& step) {
  Oid types[3] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
  Datum values[3] = {CStringGetTextDatum(job), TimestampTzGetDatum(step.next),
                     TimestampTzGetDatum(step.last)};
  const char nulls[3] = {' ', step.has_next ? ' ' : 'n', step.has_last ? ' ' : 'n'};
  SPI_execute_with_args(
      "UPDATE immich_maint.schedule SET next_run = $2, last_run = $3 WHERE job = $1", 3, types,
      values, nulls, false, 0);
}

bool Changed(const DueRow& row, const PlannedStep& step) {
  return step.has_next != row.has_next || (step.has_next && step.next != row.next) ||
         step.has_last != row.has_last || (step.has_last && step.last != row.last);
}

void StepRow(const DueRow& row, const TickClock& clock, MemoryContext caller, TickResult* result) {
  const PlannedStep step = PlanRow(row, clock);
  if (!step.valid) {  // saved by an older version with looser rules: left without a next_run
    ereport(WARNING,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
             errmsg("skipping the schedule of %s: invalid schedule: %s", row.job, row.cron),
             errhint("Set a valid schedule with immich_schedule().")));
    SaveStep(row.job, PlannedStep{false, false, core::RunTrigger::kSchedule, 0, false, 0,
                                  row.has_last, row.last});
    return;
  }
  if (step.fire) {
    const char* trigger = core::RunTriggerName(step.trigger);
    const int64 run_id = QueueRun(row.job, trigger, step.due);
    result->runs[result->run_count++] =
        TickRun{MemoryContextStrdup(caller, row.job), run_id, trigger, step.due};
  }
  if (Changed(row, step)) SaveStep(row.job, step);
}

void FindNextDue(TickResult* result) {
  SPI_execute("SELECT min(next_run) FROM immich_maint.schedule WHERE enabled", false, 1);
  bool is_null = true;
  const Datum next = ColumnOrNull(1, &is_null);
  result->has_next_due = !is_null;
  result->next_due = is_null ? 0 : DatumGetTimestampTz(next);
}

}  // namespace

TickResult RunSchedulerTick(const TickClock& clock) {
  const MemoryContext caller = CurrentMemoryContext;
  SPI_connect();
  uint64 count = 0;
  DueRow* rows = SelectDueRows(clock.now, &count);
  TickResult result{
      0, static_cast<TickRun*>(MemoryContextAllocZero(caller, sizeof(TickRun) * (count + 1))),
      false, 0};
  for (uint64 i = 0; i < count; ++i) StepRow(rows[i], clock, caller, &result);
  FindNextDue(&result);
  SPI_finish();
  return result;
}

bool BackupLockAvailable() {
  const Datum key = Int64GetDatum(kBackupLockKey);
  if (!DatumGetBool(DirectFunctionCall1(pg_try_advisory_lock_int8, key))) return false;
  DirectFunctionCall1(pg_advisory_unlock_int8, key);
  return true;
}

}  // namespace immich_maint::pg

namespace pg = immich_maint::pg;

// immich_maint.scheduler_tick(now, started) RETURNS TABLE (job, run_id, trigger, due):
// SECURITY DEFINER behind run_scheduler_tick, which checks the caller first.
extern "C" Datum immich_maint_scheduler_tick(PG_FUNCTION_ARGS) {
  if (PG_ARGISNULL(0)) {
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("now must not be NULL")));
  }
  pg::TickClock clock{
      pg::FiniteTimestamp(PG_GETARG_TIMESTAMPTZ(0), "now"), !PG_ARGISNULL(1),
      PG_ARGISNULL(1) ? 0 : pg::FiniteTimestamp(PG_GETARG_TIMESTAMPTZ(1), "started"),
      pg::BackupLockAvailable()};
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  InitMaterializedSRF(fcinfo, 0);
  const pg::TickResult result = pg::RunSchedulerTick(clock);
  for (int i = 0; i < result.run_count; ++i) {
    const pg::TickRun& run = result.runs[i];
    Datum values[4] = {CStringGetTextDatum(run.job), Int64GetDatum(run.run_id),
                       CStringGetTextDatum(run.trigger), TimestampTzGetDatum(run.due)};
    bool nulls[4] = {false, false, false, false};
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  return static_cast<Datum>(0);
}
