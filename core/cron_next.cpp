// Next fire times: walk local (civil) minutes that the fields match, map each to real instants
// with the DST policy described in cron_next.h, and keep the first one after the given instant.
#include "core/cron_next.h"

namespace immich_maint::core {
namespace {

CivilTime StartOfNextDay(const CivilTime& t) {
  return CivilFromDays(DaysFromCivil(t.year, t.month, t.day) + 1);
}

CivilTime StartOfNextMonth(const CivilTime& t) {
  CivilTime next;
  next.year = t.month == 12 ? t.year + 1 : t.year;
  next.month = t.month % 12 + 1;
  return next;
}

// The start of the minute after the one `t` falls in.
CivilTime NextMinute(CivilTime t) {
  t.second = 0;
  if (++t.minute < 60) return t;
  t.minute = 0;
  if (++t.hour < 24) return t;
  return StartOfNextDay(t);
}

bool DayMatches(const CronSchedule& schedule, const CivilTime& t) {
  const bool dom_match = schedule.last_day_of_month ? t.day == DaysInMonth(t.year, t.month)
                                                    : schedule.days_of_month[t.day];
  const bool dow_match = schedule.days_of_week[Weekday(t.year, t.month, t.day)];
  // Vixie cron's rule: a star in either day field makes both fields restrict together.
  if (schedule.dom_star || schedule.dow_star) return dom_match && dow_match;
  return dom_match || dow_match;
}

// Moves `t` to the first matching hour:minute at or after its own, on the same day.
bool AdvanceWithinDay(const CronSchedule& schedule, CivilTime& t) {
  for (int hour = t.hour; hour < 24; ++hour) {
    if (!schedule.hours[hour]) continue;
    for (int minute = hour == t.hour ? t.minute : 0; minute < 60; ++minute) {
      if (!schedule.minutes[minute]) continue;
      t.hour = hour;
      t.minute = minute;
      return true;
    }
  }
  return false;
}

// The first local minute at or after `from` that all five fields match, up to `last_year`.
std::optional<CivilTime> NextMatchingMinute(const CronSchedule& schedule, CivilTime from,
                                            int last_year) {
  CivilTime t = from;
  t.second = 0;
  while (t.year <= last_year) {
    if (!schedule.months[t.month]) {
      t = StartOfNextMonth(t);
      continue;
    }
    if (DayMatches(schedule, t) && AdvanceWithinDay(schedule, t)) return t;
    t = StartOfNextDay(t);
  }
  return std::nullopt;
}

// Which real instant a matching local minute stands for. Each picker is non-decreasing in local
// time, which is what lets Scan stop at the first match past `after`.
using InstantPicker = std::optional<Instant> (*)(const LocalTimeLookup&);

std::optional<Instant> FixedTimeInstant(const LocalTimeLookup& lookup) {
  return lookup.kind == LocalTimeKind::kSkipped ? lookup.transition : lookup.first;
}

std::optional<Instant> EarlierInstant(const LocalTimeLookup& lookup) {
  if (lookup.kind == LocalTimeKind::kSkipped) return std::nullopt;
  return lookup.first;
}

std::optional<Instant> LaterInstant(const LocalTimeLookup& lookup) {
  if (lookup.kind == LocalTimeKind::kSkipped) return std::nullopt;
  return lookup.second;
}

struct ScanRange {
  CivilTime from;  // first local minute to consider
  Instant after;   // answers must be strictly later
  int last_year;
};

std::optional<Instant> Scan(const CronSchedule& schedule, const TimeZone& zone,
                            const ScanRange& range, InstantPicker pick) {
  std::optional<CivilTime> local = NextMatchingMinute(schedule, range.from, range.last_year);
  while (local) {
    const std::optional<Instant> instant = pick(zone.Lookup(*local));
    if (instant && *instant > range.after) return instant;
    local = NextMatchingMinute(schedule, NextMinute(*local), range.last_year);
  }
  return std::nullopt;
}

// Second occurrences can lie after `after` even for local minutes before its own reading when
// `after` is in an overlap's first pass; start those from the overlap's beginning then.
CivilTime SecondPassStart(const TimeZone& zone, const CivilTime& now, const CivilTime& next) {
  const LocalTimeLookup lookup = zone.Lookup(now);
  return lookup.kind == LocalTimeKind::kRepeated ? zone.ToCivil(lookup.transition) : next;
}

std::optional<Instant> Earliest(std::optional<Instant> a, std::optional<Instant> b) {
  if (!a || !b) return a ? a : b;
  return *a < *b ? a : b;
}

std::optional<Instant> NextCronFire(const CronSchedule& schedule, const TimeZone& zone,
                                    Instant after) {
  const CivilTime now = zone.ToCivil(after);
  const int last_year = now.year + kNextFireHorizonYears;
  const ScanRange first_pass{NextMinute(now), after, last_year};
  if (IsFixedTime(schedule)) return Scan(schedule, zone, first_pass, FixedTimeInstant);
  const ScanRange second_pass{SecondPassStart(zone, now, first_pass.from), after, last_year};
  return Earliest(Scan(schedule, zone, first_pass, EarlierInstant),
                  Scan(schedule, zone, second_pass, LaterInstant));
}

}  // namespace

bool IsFixedTime(const CronSchedule& schedule) {
  return schedule.kind == ScheduleKind::kCron && !schedule.minute_star && !schedule.hour_star;
}

bool FiresAtStartup(const CronSchedule& schedule) { return schedule.kind == ScheduleKind::kReboot; }

std::optional<Instant> NextFire(const CronSchedule& schedule, const TimeZone& zone, Instant after) {
  switch (schedule.kind) {
    case ScheduleKind::kReboot:
      return std::nullopt;
    case ScheduleKind::kInterval:
      return after + std::chrono::seconds(schedule.interval_seconds);
    case ScheduleKind::kCron:
      break;
  }
  return NextCronFire(schedule, zone, after);
}

std::vector<Instant> NextFires(const CronSchedule& schedule, const TimeZone& zone, Instant after,
                               int count) {
  std::vector<Instant> fires;
  Instant previous = after;
  while (static_cast<int>(fires.size()) < count) {
    const std::optional<Instant> next = NextFire(schedule, zone, previous);
    if (!next) break;
    previous = *next;
    fires.push_back(previous);
  }
  return fires;
}

}  // namespace immich_maint::core
