// immich_cron_next(expr, after, n): the next n fire times of a schedule in the zone of
// immich_maint.timezone, so a schedule can be checked before it is saved.
#include <string_view>
#include <vector>

#include "core/cron_next.h"
#include "core/cron_schedule.h"
#include "extension/guard.h"
#include "extension/pg_values.h"
#include "extension/schedule_clock.h"

extern "C" {
#include "funcapi.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(immich_cron_next);
}

namespace core = immich_maint::core;
namespace pg = immich_maint::pg;

namespace {

constexpr int32 kMaxFireTimes = 1000;

int32 FireCountArg(FunctionCallInfo fcinfo) {
  const int32 n = PG_GETARG_INT32(2);
  if (n < 1 || n > kMaxFireTimes) {
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("n must be between 1 and %d, got %d", kMaxFireTimes, n)));
  }
  return n;
}

// The fire times, palloc'd in the current memory context; *count of them (fewer than n when the
// schedule runs out, none for @reboot).
TimestampTz* FireTimes(FunctionCallInfo fcinfo, uint64* count) {
  const std::string_view expr = pg::ArgTextView(fcinfo, 0);
  const TimestampTz after = pg::FiniteTimestamp(PG_GETARG_TIMESTAMPTZ(1), "after");
  const int32 n = FireCountArg(fcinfo);
  auto* times = static_cast<TimestampTz*>(palloc(sizeof(TimestampTz) * n));
  *count = pg::Guard([&] {
    const core::CronSchedule schedule = core::ParseCronSchedule(expr).value();
    const std::vector<core::Instant> fires =
        core::NextFires(schedule, pg::ScheduleZone(), pg::InstantFromTimestamp(after), n);
    uint64 kept = 0;  // times past the end of timestamptz (year 294276) are not returned
    for (const core::Instant fire : fires) {
      if (!pg::InstantFitsTimestamp(fire)) break;
      times[kept++] = pg::TimestampFromInstant(fire);
    }
    return kept;
  });
  return times;
}

}  // namespace

extern "C" Datum immich_cron_next(PG_FUNCTION_ARGS) {
  if (SRF_IS_FIRSTCALL()) {
    FuncCallContext* first = SRF_FIRSTCALL_INIT();
    const MemoryContext caller = MemoryContextSwitchTo(first->multi_call_memory_ctx);
    first->user_fctx = FireTimes(fcinfo, &first->max_calls);
    MemoryContextSwitchTo(caller);
  }
  FuncCallContext* srf = SRF_PERCALL_SETUP();
  if (srf->call_cntr < srf->max_calls) {
    // SRF_RETURN_NEXT counts up before it evaluates its argument: take the value first
    const Datum next =
        TimestampTzGetDatum(static_cast<const TimestampTz*>(srf->user_fctx)[srf->call_cntr]);
    SRF_RETURN_NEXT(srf, next);
  }
  SRF_RETURN_DONE(srf);
}
