// Cron math for the extension's entry points: PostgreSQL timestamps <-> core instants, and the
// zone named by immich_maint.timezone. The functions that throw run inside pg::Guard.
#pragma once

#include <optional>

#include "core/time_zone.h"
#include "tz/cctz_time_zone.h"

extern "C" {
#include "postgres.h"

#include "datatype/timestamp.h"
}

namespace immich_maint::pg {

// Whole seconds since the Unix epoch, rounding down (a fire time is never before `at`'s second).
core::Instant InstantFromTimestamp(TimestampTz at);
TimestampTz TimestampFromInstant(core::Instant at);
// Whether the instant lies within timestamptz's range (4713 BC to 294276 AD).
bool InstantFitsTimestamp(core::Instant at);

// The zone of immich_maint.timezone. Throws core::Failure (22023) when the tz database lacks it.
tz::CctzTimeZone ScheduleZone();

// A finite timestamp argument, or ERROR 22008 naming it.
TimestampTz FiniteTimestamp(TimestampTz at, const char* what);

}  // namespace immich_maint::pg
