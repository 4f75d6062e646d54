// Pins next fire times: calendar edges (month ends, leap days, `$`), the Vixie day rule, names,
// keywords, intervals, @reboot, and the DST policy in Europe/Berlin and America/New_York.
// Expected times read as local wall clock with the UTC offset, so a failure shows which pass of
// an overlap a run landed in.
#include "core/cron_next.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tz/cctz_time_zone.h"

namespace immich_maint::core {
namespace {

using Times = std::vector<std::string>;

const TimeZone& Utc() {
  static const FixedOffsetTimeZone zone;
  return zone;
}

const TimeZone& Zone(const std::string& name) {
  static const tz::CctzTimeZone berlin = tz::CctzTimeZone::Load("Europe/Berlin").value();
  static const tz::CctzTimeZone new_york = tz::CctzTimeZone::Load("America/New_York").value();
  return name == "Europe/Berlin" ? static_cast<const TimeZone&>(berlin) : new_york;
}

CronSchedule Parsed(const std::string& input) { return ParseCronSchedule(input).value(); }

// The instant a local reading stands for; in an overlap, `second_pass` picks the later one.
Instant At(const TimeZone& zone, int year, int month, int day, int hour, int minute,
           bool second_pass = false) {
  const LocalTimeLookup lookup = zone.Lookup({year, month, day, hour, minute, 0});
  return second_pass ? lookup.second : lookup.first;
}

// "2025-03-30 Sun 03:00 +02:00": local reading, weekday and UTC offset.
std::string Local(const TimeZone& zone, Instant instant) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const CivilTime c = zone.ToCivil(instant);
  const int offset = static_cast<int>(SecondsFromCivil(c) - instant.time_since_epoch().count());
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %s %02d:%02d %c%02d:%02d", c.year, c.month,
                c.day, kDays[Weekday(c.year, c.month, c.day)], c.hour, c.minute,
                offset < 0 ? '-' : '+', std::abs(offset) / 3600, std::abs(offset) / 60 % 60);
  return text;
}

Times Next(const std::string& expression, const TimeZone& zone, Instant after, int count) {
  Times times;
  for (Instant fire : NextFires(Parsed(expression), zone, after, count)) {
    times.push_back(Local(zone, fire));
  }
  return times;
}

Times NextUtc(const std::string& expression, int year, int month, int day, int count, int hour = 0,
              int minute = 0) {
  return Next(expression, Utc(), At(Utc(), year, month, day, hour, minute), count);
}

// ---- calendar ----

TEST(CronNext, FiresStrictlyAfterTheGivenInstant) {
  EXPECT_EQ(NextUtc("5 4 * * *", 2025, 1, 1, 2, 4, 5),
            (Times{"2025-01-02 Thu 04:05 +00:00", "2025-01-03 Fri 04:05 +00:00"}));
  const Instant one_second_before = At(Utc(), 2025, 1, 1, 4, 5) - std::chrono::seconds(1);
  EXPECT_EQ(Next("5 4 * * *", Utc(), one_second_before, 1), Times{"2025-01-01 Wed 04:05 +00:00"});
  const Instant mid_minute = At(Utc(), 2025, 1, 1, 4, 5) + std::chrono::seconds(30);
  EXPECT_EQ(Next("* * * * *", Utc(), mid_minute, 1), Times{"2025-01-01 Wed 04:06 +00:00"});
}

TEST(CronNext, SkipsMonthsWithoutTheDay) {
  EXPECT_EQ(NextUtc("0 0 31 * *", 2025, 1, 1, 5),
            (Times{"2025-01-31 Fri 00:00 +00:00", "2025-03-31 Mon 00:00 +00:00",
                   "2025-05-31 Sat 00:00 +00:00", "2025-07-31 Thu 00:00 +00:00",
                   "2025-08-31 Sun 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("0 0 30 * *", 2025, 1, 1, 3),
            (Times{"2025-01-30 Thu 00:00 +00:00", "2025-03-30 Sun 00:00 +00:00",
                   "2025-04-30 Wed 00:00 +00:00"}));
}

TEST(CronNext, CrossesYearEnd) {
  EXPECT_EQ(NextUtc("59 23 31 12 *", 2025, 6, 1, 2),
            (Times{"2025-12-31 Wed 23:59 +00:00", "2026-12-31 Thu 23:59 +00:00"}));
  EXPECT_EQ(NextUtc("*/15 * * * *", 2025, 12, 31, 3, 23, 40),
            (Times{"2025-12-31 Wed 23:45 +00:00", "2026-01-01 Thu 00:00 +00:00",
                   "2026-01-01 Thu 00:15 +00:00"}));
}

TEST(CronNext, FindsLeapDaysIncludingAcrossTheCentury) {
  EXPECT_EQ(NextUtc("0 0 29 2 *", 2025, 1, 1, 2),
            (Times{"2028-02-29 Tue 00:00 +00:00", "2032-02-29 Sun 00:00 +00:00"}));
  // 2100 is not a leap year: eight years between leap days.
  EXPECT_EQ(NextUtc("0 0 29 2 *", 2096, 3, 1, 1), Times{"2104-02-29 Fri 00:00 +00:00"});
}

TEST(CronNext, FindsRareDateAndWeekdayCombinations) {
  // Day-of-week starts with `*`, so 29 February AND a Sunday: 28 years apart.
  EXPECT_EQ(NextUtc("0 0 29 2 */7", 2025, 1, 1, 2),
            (Times{"2032-02-29 Sun 00:00 +00:00", "2060-02-29 Sun 00:00 +00:00"}));
}

TEST(CronNext, DollarIsTheLastDayOfEachMonth) {
  EXPECT_EQ(NextUtc("0 0 $ * *", 2024, 1, 15, 5),
            (Times{"2024-01-31 Wed 00:00 +00:00", "2024-02-29 Thu 00:00 +00:00",
                   "2024-03-31 Sun 00:00 +00:00", "2024-04-30 Tue 00:00 +00:00",
                   "2024-05-31 Fri 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("0 11 $ 2 *", 2025, 1, 1, 2),
            (Times{"2025-02-28 Fri 11:00 +00:00", "2026-02-28 Sat 11:00 +00:00"}));
}

TEST(CronNext, DollarWithWeekdayFiresOnEitherOnce) {
  // 31 March 2025 is both the last day and a Monday: one run.
  EXPECT_EQ(NextUtc("0 0 $ * 1", 2025, 3, 23, 7),
            (Times{"2025-03-24 Mon 00:00 +00:00", "2025-03-31 Mon 00:00 +00:00",
                   "2025-04-07 Mon 00:00 +00:00", "2025-04-14 Mon 00:00 +00:00",
                   "2025-04-21 Mon 00:00 +00:00", "2025-04-28 Mon 00:00 +00:00",
                   "2025-04-30 Wed 00:00 +00:00"}));
}

TEST(CronNext, BothDayFieldsRestrictedMeansEither) {
  EXPECT_EQ(NextUtc("0 0 1-7 * 0", 2025, 5, 31, 9),
            (Times{"2025-06-01 Sun 00:00 +00:00", "2025-06-02 Mon 00:00 +00:00",
                   "2025-06-03 Tue 00:00 +00:00", "2025-06-04 Wed 00:00 +00:00",
                   "2025-06-05 Thu 00:00 +00:00", "2025-06-06 Fri 00:00 +00:00",
                   "2025-06-07 Sat 00:00 +00:00", "2025-06-08 Sun 00:00 +00:00",
                   "2025-06-15 Sun 00:00 +00:00"}));
}

TEST(CronNext, DayFieldStartingWithStarMeansBoth) {
  // Odd days that are Mondays.
  EXPECT_EQ(NextUtc("0 0 */2 * 1", 2025, 1, 1, 6),
            (Times{"2025-01-13 Mon 00:00 +00:00", "2025-01-27 Mon 00:00 +00:00",
                   "2025-02-03 Mon 00:00 +00:00", "2025-02-17 Mon 00:00 +00:00",
                   "2025-03-03 Mon 00:00 +00:00", "2025-03-17 Mon 00:00 +00:00"}));
}

TEST(CronNext, FollowsSteps) {
  EXPECT_EQ(NextUtc("0 */6 * * *", 2025, 1, 1, 4, 5),
            (Times{"2025-01-01 Wed 06:00 +00:00", "2025-01-01 Wed 12:00 +00:00",
                   "2025-01-01 Wed 18:00 +00:00", "2025-01-02 Thu 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("0 0 1-10/3 * *", 2025, 1, 1, 5),
            (Times{"2025-01-04 Sat 00:00 +00:00", "2025-01-07 Tue 00:00 +00:00",
                   "2025-01-10 Fri 00:00 +00:00", "2025-02-01 Sat 00:00 +00:00",
                   "2025-02-04 Tue 00:00 +00:00"}));
}

TEST(CronNext, ReadsMonthAndDayNamesInAnyCase) {
  EXPECT_EQ(NextUtc("0 12 * JAN-MAR/2 mon-fri", 2025, 1, 30, 4),
            (Times{"2025-01-30 Thu 12:00 +00:00", "2025-01-31 Fri 12:00 +00:00",
                   "2025-03-03 Mon 12:00 +00:00", "2025-03-04 Tue 12:00 +00:00"}));
  EXPECT_EQ(NextUtc("0 0 * jAn,DeC SUN", 2025, 1, 20, 3),
            (Times{"2025-01-26 Sun 00:00 +00:00", "2025-12-07 Sun 00:00 +00:00",
                   "2025-12-14 Sun 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("0 0 * * 7", 2025, 1, 1, 1), NextUtc("0 0 * * sun", 2025, 1, 1, 1));
}

TEST(CronNext, KeywordsFireAtTheirDocumentedTimes) {
  EXPECT_EQ(NextUtc("@yearly", 2025, 3, 1, 2),
            (Times{"2026-01-01 Thu 00:00 +00:00", "2027-01-01 Fri 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("@annually", 2025, 3, 1, 1), Times{"2026-01-01 Thu 00:00 +00:00"});
  EXPECT_EQ(NextUtc("@monthly", 2025, 3, 15, 2),
            (Times{"2025-04-01 Tue 00:00 +00:00", "2025-05-01 Thu 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("@weekly", 2025, 3, 12, 2),
            (Times{"2025-03-16 Sun 00:00 +00:00", "2025-03-23 Sun 00:00 +00:00"}));
  EXPECT_EQ(NextUtc("@daily", 2025, 3, 12, 1, 8), Times{"2025-03-13 Thu 00:00 +00:00"});
  EXPECT_EQ(NextUtc("@midnight", 2025, 3, 12, 1, 8), Times{"2025-03-13 Thu 00:00 +00:00"});
  EXPECT_EQ(NextUtc("@hourly", 2025, 3, 12, 2, 8, 30),
            (Times{"2025-03-12 Wed 09:00 +00:00", "2025-03-12 Wed 10:00 +00:00"}));
}

TEST(CronNext, RebootFiresOnlyAtStartup) {
  for (const char* keyword : {"@reboot", "@restart"}) {
    const CronSchedule schedule = Parsed(keyword);
    EXPECT_TRUE(FiresAtStartup(schedule)) << keyword;
    EXPECT_EQ(NextFire(schedule, Utc(), At(Utc(), 2025, 1, 1, 0, 0)), std::nullopt) << keyword;
    EXPECT_TRUE(NextFires(schedule, Utc(), At(Utc(), 2025, 1, 1, 0, 0), 3).empty()) << keyword;
  }
  EXPECT_FALSE(FiresAtStartup(Parsed("@daily")));
  EXPECT_FALSE(FiresAtStartup(Parsed("30 seconds")));
}

TEST(CronNext, IntervalFiresNSecondsAfterThePreviousStart) {
  const CronSchedule schedule = Parsed("30 seconds");
  const Instant start = At(Utc(), 2025, 1, 1, 10, 0) + std::chrono::seconds(7);
  EXPECT_EQ(NextFire(schedule, Utc(), start), start + std::chrono::seconds(30));
  const std::vector<Instant> fires = NextFires(schedule, Utc(), start, 3);
  const std::vector<Instant> expected = {start + std::chrono::seconds(30),
                                         start + std::chrono::seconds(60),
                                         start + std::chrono::seconds(90)};
  EXPECT_EQ(fires, expected);
  // Intervals count real seconds: a DST change does not stretch them.
  const Instant before_gap =
      At(Zone("Europe/Berlin"), 2025, 3, 30, 1, 59) + std::chrono::seconds(50);
  EXPECT_EQ(Local(Zone("Europe/Berlin"), *NextFire(schedule, Zone("Europe/Berlin"), before_gap)),
            "2025-03-30 Sun 03:00 +02:00");
}

TEST(CronNext, ReturnsNulloptWhenNothingFiresWithinTheHorizon) {
  CronSchedule never;  // built by hand: the parser refuses schedules that never fire
  EXPECT_EQ(NextFire(never, Utc(), At(Utc(), 2025, 1, 1, 0, 0)), std::nullopt);
}

TEST(CronNext, UsesTheZonesWallClock) {
  const FixedOffsetTimeZone kolkata("Asia/Kolkata", std::chrono::minutes(330));
  const std::optional<Instant> fire =
      NextFire(Parsed("0 9 * * *"), kolkata, At(Utc(), 2025, 1, 1, 0, 0));
  ASSERT_TRUE(fire.has_value());
  EXPECT_EQ(Local(Utc(), *fire), "2025-01-01 Wed 03:30 +00:00");
  EXPECT_EQ(Local(kolkata, *fire), "2025-01-01 Wed 09:00 +05:30");
}

// ---- daylight saving: Europe/Berlin changes at 01:00 UTC, 30 March and 26 October 2025 ----

TEST(CronNextDst, BerlinFixedTimeInSpringGapRunsAtFirstMinuteAfterIt) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("30 2 * * *", berlin, At(berlin, 2025, 3, 28, 12, 0), 4),
            (Times{"2025-03-29 Sat 02:30 +01:00", "2025-03-30 Sun 03:00 +02:00",
                   "2025-03-31 Mon 02:30 +02:00", "2025-04-01 Tue 02:30 +02:00"}));
}

TEST(CronNextDst, BerlinSeveralTimesInTheGapRunOnce) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("0,30 2,3 * * *", berlin, At(berlin, 2025, 3, 30, 0, 0), 3),
            (Times{"2025-03-30 Sun 03:00 +02:00", "2025-03-30 Sun 03:30 +02:00",
                   "2025-03-31 Mon 02:00 +02:00"}));
}

TEST(CronNextDst, BerlinFixedTimeInFallBackOverlapRunsOnceAtFirstOccurrence) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("30 2 * * *", berlin, At(berlin, 2025, 10, 25, 12, 0), 2),
            (Times{"2025-10-26 Sun 02:30 +02:00", "2025-10-27 Mon 02:30 +01:00"}));
  // Started during the second pass, after the first occurrence: nothing more that day.
  EXPECT_EQ(Next("30 2 * * *", berlin, At(berlin, 2025, 10, 26, 2, 10, true), 1),
            Times{"2025-10-27 Mon 02:30 +01:00"});
  // Started in the first pass before 02:30: the first occurrence is still ahead.
  EXPECT_EQ(Next("30 2 * * *", berlin, At(berlin, 2025, 10, 26, 2, 10), 1),
            Times{"2025-10-26 Sun 02:30 +02:00"});
}

TEST(CronNextDst, BerlinHalfHourlyFollowsRealTimeAcrossSpringGap) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("*/30 * * * *", berlin, At(berlin, 2025, 3, 30, 1, 0), 3),
            (Times{"2025-03-30 Sun 01:30 +01:00", "2025-03-30 Sun 03:00 +02:00",
                   "2025-03-30 Sun 03:30 +02:00"}));
}

TEST(CronNextDst, BerlinHalfHourlyFiresInBothPassesOfTheOverlap) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("*/30 * * * *", berlin, At(berlin, 2025, 10, 26, 1, 30), 5),
            (Times{"2025-10-26 Sun 02:00 +02:00", "2025-10-26 Sun 02:30 +02:00",
                   "2025-10-26 Sun 02:00 +01:00", "2025-10-26 Sun 02:30 +01:00",
                   "2025-10-26 Sun 03:00 +01:00"}));
  // From late in the first pass, the second pass's earlier readings are still ahead.
  EXPECT_EQ(Next("*/30 * * * *", berlin, At(berlin, 2025, 10, 26, 2, 40), 2),
            (Times{"2025-10-26 Sun 02:00 +01:00", "2025-10-26 Sun 02:30 +01:00"}));
  EXPECT_EQ(Next("*/15 * * * *", berlin, At(berlin, 2025, 10, 26, 2, 40, true), 2),
            (Times{"2025-10-26 Sun 02:45 +01:00", "2025-10-26 Sun 03:00 +01:00"}));
}

TEST(CronNextDst, BerlinHourlyStaysSixtyMinutesApart) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("@hourly", berlin, At(berlin, 2025, 3, 30, 0, 30), 3),
            (Times{"2025-03-30 Sun 01:00 +01:00", "2025-03-30 Sun 03:00 +02:00",
                   "2025-03-30 Sun 04:00 +02:00"}));
  EXPECT_EQ(Next("@hourly", berlin, At(berlin, 2025, 10, 26, 1, 30), 3),
            (Times{"2025-10-26 Sun 02:00 +02:00", "2025-10-26 Sun 02:00 +01:00",
                   "2025-10-26 Sun 03:00 +01:00"}));
}

TEST(CronNextDst, BerlinDailyMidnightIsUnaffected) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("@daily", berlin, At(berlin, 2025, 10, 25, 12, 0), 2),
            (Times{"2025-10-26 Sun 00:00 +02:00", "2025-10-27 Mon 00:00 +01:00"}));
}

// ---- America/New_York: 9 March 2025 02:00 -> 03:00, 2 November 2025 02:00 -> 01:00 ----

TEST(CronNextDst, NewYorkFixedTimeInSpringGapRunsAtFirstMinuteAfterIt) {
  const TimeZone& new_york = Zone("America/New_York");
  EXPECT_EQ(Next("30 2 * * *", new_york, At(new_york, 2025, 3, 8, 12, 0), 3),
            (Times{"2025-03-09 Sun 03:00 -04:00", "2025-03-10 Mon 02:30 -04:00",
                   "2025-03-11 Tue 02:30 -04:00"}));
}

TEST(CronNextDst, NewYorkFixedTimeInOverlapRunsOnceAtFirstOccurrence) {
  const TimeZone& new_york = Zone("America/New_York");
  EXPECT_EQ(Next("30 1 * * *", new_york, At(new_york, 2025, 11, 1, 12, 0), 3),
            (Times{"2025-11-02 Sun 01:30 -04:00", "2025-11-03 Mon 01:30 -05:00",
                   "2025-11-04 Tue 01:30 -05:00"}));
  // 02:30 exists once on that day (the overlap is 01:00-01:59).
  EXPECT_EQ(Next("30 2 * * *", new_york, At(new_york, 2025, 11, 1, 12, 0), 1),
            Times{"2025-11-02 Sun 02:30 -05:00"});
}

TEST(CronNextDst, NewYorkHalfHourlyFollowsRealTimeAcrossBothChanges) {
  const TimeZone& new_york = Zone("America/New_York");
  EXPECT_EQ(Next("*/30 * * * *", new_york, At(new_york, 2025, 3, 9, 1, 0), 3),
            (Times{"2025-03-09 Sun 01:30 -05:00", "2025-03-09 Sun 03:00 -04:00",
                   "2025-03-09 Sun 03:30 -04:00"}));
  EXPECT_EQ(Next("*/30 * * * *", new_york, At(new_york, 2025, 11, 2, 0, 30), 6),
            (Times{"2025-11-02 Sun 01:00 -04:00", "2025-11-02 Sun 01:30 -04:00",
                   "2025-11-02 Sun 01:00 -05:00", "2025-11-02 Sun 01:30 -05:00",
                   "2025-11-02 Sun 02:00 -05:00", "2025-11-02 Sun 02:30 -05:00"}));
}

TEST(CronNextDst, FixedTimeSchedulesAreThoseWithoutStarInMinuteOrHour) {
  EXPECT_TRUE(IsFixedTime(Parsed("30 2 * * *")));
  EXPECT_TRUE(IsFixedTime(Parsed("0 0-23 * * *")));
  EXPECT_TRUE(IsFixedTime(Parsed("@daily")));
  EXPECT_TRUE(IsFixedTime(Parsed("@weekly")));
  EXPECT_FALSE(IsFixedTime(Parsed("@hourly")));
  EXPECT_FALSE(IsFixedTime(Parsed("*/30 * * * *")));
  EXPECT_FALSE(IsFixedTime(Parsed("30 * * * *")));
  EXPECT_FALSE(IsFixedTime(Parsed("* 2 * * *")));
  EXPECT_FALSE(IsFixedTime(Parsed("30 seconds")));
  EXPECT_FALSE(IsFixedTime(Parsed("@reboot")));
}

// ---- cross-check: a slow, obviously right reference that walks real minutes one by one ----

bool FieldsMatch(const CronSchedule& s, const CivilTime& c) {
  const bool dom =
      s.last_day_of_month ? c.day == DaysInMonth(c.year, c.month) : s.days_of_month[c.day];
  const bool dow = s.days_of_week[Weekday(c.year, c.month, c.day)];
  const bool day = s.dom_star || s.dow_star ? dom && dow : dom || dow;
  return s.minutes[c.minute] && s.hours[c.hour] && s.months[c.month] && day;
}

CivilTime AddMinutes(const CivilTime& c, int minutes) {
  return CivilFromSeconds(SecondsFromCivil(c) + std::int64_t{minutes} * 60);
}

// True when the wall clock jumped forward onto `t` over a local minute the schedule names.
bool SkippedMatchBefore(const CronSchedule& s, const TimeZone& zone, Instant t) {
  const CivilTime now = zone.ToCivil(t);
  for (CivilTime c = AddMinutes(zone.ToCivil(t - std::chrono::minutes(1)), 1); c < now;
       c = AddMinutes(c, 1)) {
    if (FieldsMatch(s, c)) return true;
  }
  return false;
}

std::optional<Instant> ReferenceNext(const CronSchedule& s, const TimeZone& zone, Instant after) {
  const Instant limit = after + std::chrono::hours(24 * 8);
  for (Instant t = after + std::chrono::minutes(1); t <= limit; t += std::chrono::minutes(1)) {
    const CivilTime c = zone.ToCivil(t);
    const bool matches = FieldsMatch(s, c);
    if (!IsFixedTime(s) && matches) return t;
    if (IsFixedTime(s) && matches && zone.Lookup(c).first == t) return t;
    if (IsFixedTime(s) && SkippedMatchBefore(s, zone, t)) return t;
  }
  return std::nullopt;
}

TEST(CronNextDst, AgreesWithMinuteByMinuteReferenceOnTransitionDays) {
  struct Day {
    const char* zone;
    int month;
    int day;
  };
  const Day days[] = {{"Europe/Berlin", 3, 30},      {"Europe/Berlin", 10, 26},
                      {"America/New_York", 3, 9},    {"America/New_York", 11, 2},
                      {"Australia/Lord_Howe", 4, 6}, {"Australia/Lord_Howe", 10, 5}};
  const char* const schedules[] = {"30 2 * * *",     "0,30 2,3 * * *", "*/30 * * * *",
                                   "*/7 * * * *",    "@hourly",        "0 1-3 * * *",
                                   "59 1 * * *",     "15 2 * * *",     "* 2 * * *",
                                   "5 0-23/2 * * *", "@daily",         "45 1,2 * * 0,1"};
  for (const Day& day : days) {
    const tz::CctzTimeZone zone = tz::CctzTimeZone::Load(day.zone).value();
    for (const char* text : schedules) {
      const CronSchedule schedule = Parsed(text);
      for (Instant after = At(zone, 2025, day.month, day.day, 0, 0);
           after < At(zone, 2025, day.month, day.day, 4, 0); after += std::chrono::minutes(11)) {
        const std::optional<Instant> expected = ReferenceNext(schedule, zone, after);
        ASSERT_TRUE(expected.has_value()) << text << " in " << day.zone;
        EXPECT_EQ(Local(zone, *NextFire(schedule, zone, after)), Local(zone, *expected))
            << text << " in " << day.zone << " after " << Local(zone, after);
      }
    }
  }
}

// ---- time zones ----

TEST(CronTimeZone, CctzClassifiesGapAndOverlap) {
  const TimeZone& berlin = Zone("Europe/Berlin");
  const LocalTimeLookup gap = berlin.Lookup({2025, 3, 30, 2, 30, 0});
  EXPECT_EQ(gap.kind, LocalTimeKind::kSkipped);
  EXPECT_EQ(Local(Utc(), gap.transition), "2025-03-30 Sun 01:00 +00:00");
  EXPECT_EQ(gap.first, gap.transition);
  const LocalTimeLookup overlap = berlin.Lookup({2025, 10, 26, 2, 30, 0});
  EXPECT_EQ(overlap.kind, LocalTimeKind::kRepeated);
  EXPECT_EQ(Local(Utc(), overlap.first), "2025-10-26 Sun 00:30 +00:00");
  EXPECT_EQ(Local(Utc(), overlap.second), "2025-10-26 Sun 01:30 +00:00");
  EXPECT_EQ(Local(Utc(), overlap.transition), "2025-10-26 Sun 01:00 +00:00");
  EXPECT_EQ(berlin.Lookup({2025, 6, 1, 12, 0, 0}).kind, LocalTimeKind::kUnique);
}

TEST(CronTimeZone, CctzLoadsGmtAndUtc) {
  for (const char* name : {"GMT", "UTC", "Europe/Berlin"}) {
    const Result<tz::CctzTimeZone> zone = tz::CctzTimeZone::Load(name);
    ASSERT_TRUE(zone.ok()) << name;
    EXPECT_EQ(zone.value().Name(), name);
  }
  const tz::CctzTimeZone gmt = tz::CctzTimeZone::Load("GMT").value();
  EXPECT_EQ(Local(gmt, At(Utc(), 2025, 7, 1, 12, 0)), "2025-07-01 Tue 12:00 +00:00");
}

TEST(CronTimeZone, CctzRefusesUnknownNames) {
  for (const char* name : {"Mars/Olympus_Mons", "", "/etc/passwd", "../zoneinfo/UTC"}) {
    const Result<tz::CctzTimeZone> zone = tz::CctzTimeZone::Load(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(zone.error().message, std::string("unknown time zone: ") + name);
  }
}

TEST(CronTimeZone, FixedOffsetRoundTripsCivilTime) {
  const FixedOffsetTimeZone minus_three("-03", std::chrono::hours(-3));
  const CivilTime civil{2024, 2, 29, 23, 59, 58};
  const LocalTimeLookup lookup = minus_three.Lookup(civil);
  EXPECT_EQ(lookup.kind, LocalTimeKind::kUnique);
  EXPECT_EQ(Local(Utc(), lookup.first), "2024-03-01 Fri 02:59 +00:00");
  EXPECT_TRUE(minus_three.ToCivil(lookup.first) == civil);
}

TEST(CronTimeZone, CalendarArithmeticMatchesKnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(Weekday(2025, 3, 30), 0);
  EXPECT_EQ(Weekday(1900, 1, 1), 1);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  for (std::int64_t day = -800000; day <= 800000; day += 997) {
    const CivilTime civil = CivilFromDays(day);
    EXPECT_EQ(DaysFromCivil(civil.year, civil.month, civil.day), day);
  }
}

}  // namespace
}  // namespace immich_maint::core
