// Finds the run owed after downtime by looking back from `now` in growing windows, so a job
// that fires every minute costs about 60 NextFire calls after three days down, not 4,320.
#include "core/catch_up.h"

#include "core/cron_next.h"

namespace immich_maint::core {
namespace {

constexpr std::chrono::seconds kFirstWindow = std::chrono::hours(1);

// The last fire time in (from, to] that NextFire yields, walking forward from `from`.
std::optional<Instant> LastFireWithin(const CronSchedule& schedule, const TimeZone& zone,
                                      Instant from, Instant to) {
  std::optional<Instant> last;
  for (std::optional<Instant> next = NextFire(schedule, zone, from); next && *next <= to;
       next = NextFire(schedule, zone, *next)) {
    last = next;
  }
  return last;
}

// Windows (to - w, to] doubling in w until one holds a fire time or reaches back to `from`.
std::optional<Instant> LatestCronFire(const CronSchedule& schedule, const TimeZone& zone,
                                      Instant from, Instant to) {
  for (std::chrono::seconds window = kFirstWindow;; window *= 2) {
    const bool reaches_from = to - from <= window;
    const Instant start = reaches_from ? from : to - window;
    const std::optional<Instant> latest = LastFireWithin(schedule, zone, start, to);
    if (latest || reaches_from) return latest;
  }
}

std::optional<Instant> LatestIntervalFire(const CronSchedule& schedule, Instant from, Instant to) {
  const std::chrono::seconds interval(schedule.interval_seconds);
  if (interval.count() <= 0) return std::nullopt;  // not a parsed schedule
  const auto intervals = (to - from) / interval;
  if (intervals == 0) return std::nullopt;
  return from + intervals * interval;
}

}  // namespace

std::optional<Instant> OwedRun(const CronSchedule& schedule, const TimeZone& zone,
                               const CatchUpQuery& query) {
  if (!query.catch_up || query.now <= query.last_handled) return std::nullopt;
  switch (schedule.kind) {
    case ScheduleKind::kReboot:
      return std::nullopt;
    case ScheduleKind::kInterval:
      return LatestIntervalFire(schedule, query.last_handled, query.now);
    case ScheduleKind::kCron:
      break;
  }
  return LatestCronFire(schedule, zone, query.last_handled, query.now);
}

}  // namespace immich_maint::core
