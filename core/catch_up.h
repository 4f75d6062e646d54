// Missed runs after downtime (shared/reference/cron.md, "Missed runs"): which one run a
// schedule with catch_up on is owed when the scheduler starts. Deciding is kept apart from
// queueing, so the rule is testable without a clock or a database.
#pragma once

#include <optional>

#include "core/cron_schedule.h"
#include "core/time_zone.h"

namespace immich_maint::core {

struct CatchUpQuery {
  bool catch_up = false;  // the schedule's flag
  Instant last_handled;   // the latest due time already run or deliberately skipped
  Instant now;
};

// The most recent due time in (last_handled, now] when catch_up is on: at most one run is owed
// however long the downtime, and the caller runs it right away. nullopt when catch_up is off,
// when nothing fell due, and for @reboot (it runs at every start anyway). For an interval
// schedule the due times are last_handled + k * N seconds.
std::optional<Instant> OwedRun(const CronSchedule& schedule, const TimeZone& zone,
                               const CatchUpQuery& query);

}  // namespace immich_maint::core
