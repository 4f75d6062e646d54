// immich_schedule(job, cron, enabled, catch_up) and the trigger that keeps schedule.next_run in
// step with cron and enabled, so every way of writing a schedule row is validated the same way.
#include <optional>
#include <string_view>

#include "core/cron_next.h"
#include "core/cron_schedule.h"
#include "core/job_catalog.h"
#include "extension/guard.h"
#include "extension/job_names.h"
#include "extension/pg_values.h"
#include "extension/privileges.h"
#include "extension/schedule_clock.h"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(immich_schedule);
PG_FUNCTION_INFO_V1(immich_maint_schedule_next_run);
}

namespace core = immich_maint::core;
namespace pg = immich_maint::pg;

namespace {

// Same error as immich_run_job for a name Immich does not know; a restore is never scheduled.
void RequireSchedulableJob(const char* job) {
  pg::RequireKnownJob(job);
  if (strcmp(job, "DatabaseRestore") == 0) {
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("job cannot be scheduled: %s", job),
             errdetail("A restore replaces the database; it only runs when asked for.")));
  }
}

// Inserts or updates the row; the before trigger validates cron again and computes next_run.
// A NULL catch_up keeps the row's value, or takes the job's default for a new row.
void UpsertSchedule(const char* job, Datum cron, bool enabled, std::optional<bool> catch_up) {
  static const char* kUpsert =
      "INSERT INTO immich_maint.schedule AS s (job, cron, enabled, catch_up, params) "
      "SELECT c.name, $2, $3, coalesce($4, c.default_catch_up), c.default_params "
      "FROM immich_maint.job_catalog() c WHERE c.name = $1 "
      "ON CONFLICT (job) DO UPDATE SET cron = excluded.cron, enabled = excluded.enabled, "
      "catch_up = coalesce($4, s.catch_up), updated_at = pg_catalog.now()";
  Oid types[4] = {TEXTOID, TEXTOID, BOOLOID, BOOLOID};
  Datum values[4] = {CStringGetTextDatum(job), cron, BoolGetDatum(enabled),
                     BoolGetDatum(catch_up.value_or(false))};
  const char nulls[4] = {' ', ' ', ' ', catch_up ? ' ' : 'n'};
  SPI_connect();
  if (SPI_execute_with_args(kUpsert, 4, types, values, nulls, false, 0) != SPI_OK_INSERT) {
    ereport(ERROR,
            (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not save the schedule of %s", job)));
  }
  SPI_finish();
}

TriggerData* BeforeRowTrigger(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("immich_maint.schedule_next_run() must be called as a trigger")));
  }
  auto* data = reinterpret_cast<TriggerData*>(fcinfo->context);
  if (!TRIGGER_FIRED_BEFORE(data->tg_event) || !TRIGGER_FIRED_FOR_ROW(data->tg_event) ||
      TRIGGER_FIRED_BY_DELETE(data->tg_event)) {
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("immich_maint.schedule_next_run() must fire before insert or update "
                           "for each row")));
  }
  return data;
}

struct NextRun {
  bool found;
  TimestampTz at;
};

// The first fire time after `after`; none for @reboot. Errors on a cron core refuses.
NextRun FirstFireAfter(std::string_view cron, TimestampTz after) {
  return pg::Guard([&] {
    const core::CronSchedule schedule = core::ParseCronSchedule(cron).value();
    const std::optional<core::Instant> next =
        core::NextFire(schedule, pg::ScheduleZone(), pg::InstantFromTimestamp(after));
    return next && pg::InstantFitsTimestamp(*next) ? NextRun{true, pg::TimestampFromInstant(*next)}
                                                : NextRun{false, 0};
  });
}

}  // namespace

extern "C" Datum immich_schedule(PG_FUNCTION_ARGS) {
  pg::RequireAdmin("change immich_maint schedules");
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) {
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                    errmsg("job, cron and enabled must not be NULL")));
  }
  const std::string_view job = pg::ArgTextView(fcinfo, 0);
  char* job_name = pnstrdup(job.data(), job.size());
  RequireSchedulableJob(job_name);
  const std::string_view cron = pg::ArgTextView(fcinfo, 1);
  pg::Guard([&] { core::ParseCronSchedule(cron).value(); });
  const std::optional<bool> catch_up =
      PG_ARGISNULL(3) ? std::nullopt : std::optional<bool>(PG_GETARG_BOOL(3));
  UpsertSchedule(job_name, PG_GETARG_DATUM(1), PG_GETARG_BOOL(2), catch_up);
  PG_RETURN_VOID();
}

// BEFORE INSERT OR UPDATE OF cron, enabled: next_run = the first fire time after now() while
// enabled, NULL while disabled (and for @reboot).
extern "C" Datum immich_maint_schedule_next_run(PG_FUNCTION_ARGS) {
  TriggerData* data = BeforeRowTrigger(fcinfo);
  HeapTuple row = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple : data->tg_trigtuple;
  TupleDesc desc = RelationGetDescr(data->tg_relation);
  bool cron_null = false, enabled_null = false;
  const Datum cron = heap_getattr(row, SPI_fnumber(desc, "cron"), desc, &cron_null);
  const Datum enabled = heap_getattr(row, SPI_fnumber(desc, "enabled"), desc, &enabled_null);
  if (cron_null || enabled_null) return PointerGetDatum(row);  // NOT NULL will refuse it
  NextRun next{false, 0};
  if (DatumGetBool(enabled)) {
    text* cron_text = DatumGetTextPP(cron);
    next = FirstFireAfter({VARDATA_ANY(cron_text), VARSIZE_ANY_EXHDR(cron_text)},
                          GetCurrentTransactionStartTimestamp());
  }
  int column = SPI_fnumber(desc, "next_run");
  Datum value = TimestampTzGetDatum(next.at);
  bool is_null = !next.found;
  return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, 1, &column, &value, &is_null));
}
