// libFuzzer target for schedules: the input is a cron text; its hash picks a fixed-offset zone
// and the times. Refusals must be well-formed; accepted schedules must fire exactly when a
// brute-force walk over local minutes says, and catch-up must owe the latest due time only.
#include <optional>
#include <string>

#include "core/catch_up.h"
#include "core/cron_next.h"
#include "core/cron_schedule.h"
#include "core/time_zone.h"
#include "tests/fuzz/fuzz_check.h"

namespace core = immich_maint::core;
using immich_maint::fuzz::InputHash;

namespace {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kDay = 86400;

std::int64_t Seconds(core::Instant t) { return t.time_since_epoch().count(); }
core::Instant At(std::int64_t seconds) { return core::Instant(std::chrono::seconds(seconds)); }
std::int64_t YearStart(int year) { return core::SecondsFromCivil(core::CivilTime{year}); }

// Mostly this century, sometimes anywhere in years 1-9999 or in PostgreSQL's timestamptz
// range (4714 BC to 294276 AD), which immich_cron_next passes through.
std::int64_t PickInstant(InputHash& hash) {
  const std::int64_t choice = hash.Between(0, 19);
  if (choice < 16) return hash.Between(YearStart(1970), YearStart(2100));
  if (choice < 19) return hash.Between(YearStart(1), YearStart(10000) - 1);
  return hash.Between(core::SecondsFromCivil({-4713, 11, 24}), YearStart(294277) - 1);
}

// Whole quarter hours like real zones, or any second within +-15 hours (old LMT offsets).
std::int64_t PickOffset(InputHash& hash) {
  if (hash.Between(0, 1) == 0) return hash.Between(-60, 60) * 15 * kMinute;
  return hash.Between(-15 * 3600, 15 * 3600);
}

bool DayMatches(const core::CronSchedule& s, const core::CivilTime& t) {
  const bool dom =
      s.last_day_of_month ? t.day == core::DaysInMonth(t.year, t.month) : s.days_of_month[t.day];
  const bool dow = s.days_of_week[core::Weekday(t.year, t.month, t.day)];
  return (s.dom_star || s.dow_star) ? dom && dow : dom || dow;
}

bool MinuteMatches(const core::CronSchedule& s, const core::CivilTime& t) {
  return s.months[t.month] && DayMatches(s, t) && s.hours[t.hour] && s.minutes[t.minute];
}

// The reference: walk the rest of the local day minute by minute, then whole days, 401 years.
std::optional<std::int64_t> ReferenceNext(const core::CronSchedule& s, std::int64_t offset,
                                          std::int64_t after) {
  const std::int64_t local = after + offset;
  const std::int64_t first = (local - ((local % kMinute) + kMinute) % kMinute) + kMinute;
  const std::int64_t next_day = (first - ((first % kDay) + kDay) % kDay) + kDay;
  for (std::int64_t t = first; t < next_day; t += kMinute) {
    if (MinuteMatches(s, core::CivilFromSeconds(t))) return t - offset;
  }
  int first_hour = 0, first_minute = 0;
  while (!s.hours[first_hour]) ++first_hour;
  while (!s.minutes[first_minute]) ++first_minute;
  for (std::int64_t day = next_day / kDay; day < next_day / kDay + 401 * 366; ++day) {
    const core::CivilTime date = core::CivilFromDays(day);
    if (!s.months[date.month] || !DayMatches(s, date)) continue;
    return day * kDay + first_hour * 3600 + first_minute * kMinute - offset;
  }
  return std::nullopt;
}

void CheckRefusal(std::string_view input, const core::Error& error) {
  FUZZ_CHECK(error.code == core::ErrorCode::kInvalidSchedule, "code %d", int(error.code));
  FUZZ_CHECK(error.message == "invalid schedule: " + std::string(input), "message %s",
             error.message.c_str());
  FUZZ_CHECK(!error.detail.empty() && error.detail.back() == '.', "detail '%s'",
             error.detail.c_str());
  FUZZ_CHECK(error.hint.find("interval format '[1-59] seconds'") != std::string::npos, "hint '%s'",
             error.hint.c_str());
}

bool SameSchedule(const core::CronSchedule& a, const core::CronSchedule& b) {
  return a.kind == b.kind && a.keyword == b.keyword && a.minutes == b.minutes &&
         a.hours == b.hours && a.days_of_month == b.days_of_month && a.months == b.months &&
         a.days_of_week == b.days_of_week && a.last_day_of_month == b.last_day_of_month &&
         a.minute_star == b.minute_star && a.hour_star == b.hour_star && a.dom_star == b.dom_star &&
         a.dow_star == b.dow_star && a.interval_seconds == b.interval_seconds;
}

// Blanks around a schedule never change what it means (while it stays under 1000 bytes).
void CheckBlanksIgnored(std::string_view input, const core::Result<core::CronSchedule>& parsed) {
  if (input.size() + 2 >= 1000) return;
  const auto padded = core::ParseCronSchedule(" " + std::string(input) + "\t");
  FUZZ_CHECK(padded.ok() == parsed.ok(), "padding changed acceptance of '%.*s'", int(input.size()),
             input.data());
  if (parsed.ok()) FUZZ_CHECK(SameSchedule(padded.value(), parsed.value()), "padding changed it");
}

void CheckShape(const core::CronSchedule& s) {
  if (s.kind == core::ScheduleKind::kInterval) {
    FUZZ_CHECK(s.interval_seconds >= 1 && s.interval_seconds <= 59, "interval %d",
               s.interval_seconds);
    return;
  }
  if (s.kind == core::ScheduleKind::kReboot) return;
  FUZZ_CHECK(s.minutes.any() && s.hours.any() && s.months.any(), "an empty time field");
  FUZZ_CHECK(!s.days_of_month[0] && !s.months[0], "bit 0 of a 1-based field is set");
  FUZZ_CHECK(s.last_day_of_month || s.days_of_month.any() || s.days_of_week.any(), "no days");
}

void CheckNextFire(const core::CronSchedule& s, const core::TimeZone& zone, std::int64_t offset,
                   std::int64_t after) {
  const std::optional<core::Instant> next = core::NextFire(s, zone, At(after));
  if (s.kind == core::ScheduleKind::kReboot) {
    FUZZ_CHECK(!next && core::FiresAtStartup(s), "@reboot got a fire time");
    return;
  }
  FUZZ_CHECK(next.has_value(), "an accepted schedule never fires after %lld", (long long)after);
  FUZZ_CHECK(Seconds(*next) > after, "next %lld is not after %lld", (long long)Seconds(*next),
             (long long)after);
  if (s.kind == core::ScheduleKind::kInterval) {
    FUZZ_CHECK(Seconds(*next) == after + s.interval_seconds, "interval next %lld",
               (long long)Seconds(*next));
    return;
  }
  const std::optional<std::int64_t> expected = ReferenceNext(s, offset, after);
  FUZZ_CHECK(expected && *expected == Seconds(*next),
             "after %lld offset %lld: NextFire %lld, reference %lld", (long long)after,
             (long long)offset, (long long)Seconds(*next), (long long)expected.value_or(-1));
}

void CheckNextFires(const core::CronSchedule& s, const core::TimeZone& zone, std::int64_t after,
                    int count) {
  const std::vector<core::Instant> fires = core::NextFires(s, zone, At(after), count);
  const std::size_t wanted = s.kind == core::ScheduleKind::kReboot ? 0 : std::size_t(count);
  FUZZ_CHECK(fires.size() == wanted, "NextFires gave %zu of %d", fires.size(), count);
  core::Instant previous = At(after);
  for (const core::Instant fire : fires) {
    FUZZ_CHECK(core::NextFire(s, zone, previous) == fire, "NextFires skipped or repeated a time");
    previous = fire;
  }
}

// An owed run is a due time in (last_handled, now], and no later one is.
void CheckOwedIsLatestDue(const core::CronSchedule& s, const core::TimeZone& zone,
                          const core::CatchUpQuery& query, core::Instant owed) {
  FUZZ_CHECK(owed > query.last_handled && owed <= query.now, "owed run outside the downtime");
  if (s.kind == core::ScheduleKind::kInterval) {
    const std::int64_t since = Seconds(owed) - Seconds(query.last_handled);
    FUZZ_CHECK(since % s.interval_seconds == 0, "owed %lld s after, not a multiple of %d",
               (long long)since, s.interval_seconds);
    FUZZ_CHECK(Seconds(owed) + s.interval_seconds > Seconds(query.now), "owed is not the latest");
    return;
  }
  FUZZ_CHECK(core::NextFire(s, zone, owed - std::chrono::seconds(1)) == owed,
             "owed %lld is not a due time", (long long)Seconds(owed));
  FUZZ_CHECK(*core::NextFire(s, zone, owed) > query.now, "owed %lld is not the latest",
             (long long)Seconds(owed));
}

// Catch-up owes the latest due time of the downtime, only with catch_up on, never for @reboot.
void CheckOwedRun(const core::CronSchedule& s, const core::TimeZone& zone, InputHash& hash,
                  std::int64_t last_handled) {
  const std::int64_t gap =
      hash.Between(0, 3) == 0 ? hash.Between(-3600, 30 * 365 * kDay) : hash.Between(-60, 3 * kDay);
  const core::CatchUpQuery query{hash.Between(0, 4) != 0, At(last_handled), At(last_handled + gap)};
  const std::optional<core::Instant> owed = core::OwedRun(s, zone, query);
  if (!query.catch_up || gap <= 0 || s.kind == core::ScheduleKind::kReboot) {
    FUZZ_CHECK(!owed, "a run owed with catch_up off, no downtime or @reboot");
    return;
  }
  if (owed) return CheckOwedIsLatestDue(s, zone, query, *owed);
  const std::optional<core::Instant> first_due = core::NextFire(s, zone, query.last_handled);
  FUZZ_CHECK(first_due && *first_due > query.now, "nothing owed although %lld fell due",
             (long long)Seconds(first_due.value_or(core::Instant{})));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const core::Result<core::CronSchedule> parsed = core::ParseCronSchedule(input);
  CheckBlanksIgnored(input, parsed);
  if (!parsed.ok()) {
    CheckRefusal(input, parsed.error());
    return 0;
  }
  const core::CronSchedule& schedule = parsed.value();
  CheckShape(schedule);
  InputHash hash(input);
  const std::int64_t offset = PickOffset(hash);
  const core::FixedOffsetTimeZone zone("fuzz", std::chrono::seconds(offset));
  const std::int64_t after = PickInstant(hash);
  CheckNextFire(schedule, zone, offset, after);
  CheckNextFires(schedule, zone, after, static_cast<int>(hash.Between(0, 4)));
  CheckOwedRun(schedule, zone, hash, after);
  return 0;
}
