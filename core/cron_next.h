// When a parsed schedule fires next, in a given time zone, with the daylight-saving policy of
// shared/reference/cron.md. Pure: the zone comes in through core::TimeZone, times as Instants.
#pragma once

#include <optional>
#include <vector>

#include "core/cron_schedule.h"
#include "core/time_zone.h"

namespace immich_maint::core {

// How far NextFire looks ahead. One Gregorian cycle: every (date, weekday) pair recurs within
// it, so a schedule such as "0 0 29 2 */7" (29 February, a Sunday; decades apart) is still
// found, and nullopt means the schedule truly never fires. The search walks days, not
// minutes, so even the longest search is a few thousand steps.
inline constexpr int kNextFireHorizonYears = 400;

// Fixed-time schedules (neither the minute nor the hour field starts with `*`: "30 2 * * *",
// "0 0-23 * * *", "@daily") name wall-clock times of day, and get cron.md's DST policy:
// - a time inside a spring-forward gap fires once, at the first instant after the gap;
// - a time inside a fall-back overlap fires once, at its first occurrence.
// The others ("*/30 * * * *", "@hourly", "5 * * * *") describe a rhythm rather than a time of
// day, so they fire at every real minute whose local reading matches: never inside a gap (the
// clock never reads 02:30 that night), at both occurrences inside an overlap. Their runs stay
// evenly spaced in real time (@hourly fires every 60 minutes across both changes, without a
// burst after the gap or a 2-hour hole in the overlap). Vixie cron draws the same line.
bool IsFixedTime(const CronSchedule& schedule);

// @reboot and @restart: run once when the scheduler starts; NextFire returns nullopt for them.
bool FiresAtStartup(const CronSchedule& schedule);

// The first fire time strictly after `after`; nullopt for @reboot, or when nothing fires within
// kNextFireHorizonYears. For an interval schedule, `after` is the previous start and the answer
// is N seconds later.
std::optional<Instant> NextFire(const CronSchedule& schedule, const TimeZone& zone, Instant after);

// The next `count` fire times after `after`, in order; fewer when NextFire runs out.
std::vector<Instant> NextFires(const CronSchedule& schedule, const TimeZone& zone, Instant after,
                               int count);

}  // namespace immich_maint::core
