// Timestamp conversion and the schedule zone (schedule_clock.h).
#include "extension/schedule_clock.h"

#include <string>

#include "extension/settings.h"

extern "C" {
#include "utils/timestamp.h"
}

namespace immich_maint::pg {

namespace {
// Seconds from 1970-01-01 (Unix) to 2000-01-01 (PostgreSQL's epoch).
constexpr int64 kPostgresEpochUnixSeconds =
    static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}  // namespace

core::Instant InstantFromTimestamp(TimestampTz at) {
  int64 seconds = at / USECS_PER_SEC;
  if (at % USECS_PER_SEC < 0) --seconds;  // round toward the past, also before 2000
  return core::Instant(std::chrono::seconds(seconds + kPostgresEpochUnixSeconds));
}

bool InstantFitsTimestamp(core::Instant at) {
  const int64 seconds = at.time_since_epoch().count() - kPostgresEpochUnixSeconds;
  return seconds >= MIN_TIMESTAMP / USECS_PER_SEC && seconds < END_TIMESTAMP / USECS_PER_SEC;
}

TimestampTz TimestampFromInstant(core::Instant at) {
  const int64 seconds = at.time_since_epoch().count() - kPostgresEpochUnixSeconds;
  return seconds * USECS_PER_SEC;
}

tz::CctzTimeZone ScheduleZone() {
  const char* name = TimezoneSetting() == nullptr ? "" : TimezoneSetting();
  core::Result<tz::CctzTimeZone> zone = tz::CctzTimeZone::Load(name);
  if (zone) return std::move(zone).value();
  throw core::Failure(core::MakeError(
      core::ErrorCode::kInvalidArgument, std::string("invalid immich_maint.timezone: ") + name,
      "No zone of that name is in the tz database.",
      "Set immich_maint.timezone to a tz database name such as Europe/Berlin, UTC or GMT, and "
      "reload the configuration."));
}

TimestampTz FiniteTimestamp(TimestampTz at, const char* what) {
  if (TIMESTAMP_NOT_FINITE(at)) {
    ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
                    errmsg("%s must be a finite timestamp", what)));
  }
  return at;
}

}  // namespace immich_maint::pg
