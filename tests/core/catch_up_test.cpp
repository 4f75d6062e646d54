// Pins which run is owed after downtime: at most one, the most recent due time, only with
// catch_up on; after 1 hour and after 3 days down, for cron, interval and @reboot schedules.
#include "core/catch_up.h"

#include <gtest/gtest.h>

#include <string>

#include "tz/cctz_time_zone.h"

namespace immich_maint::core {
namespace {

const FixedOffsetTimeZone kUtc;

CronSchedule Parsed(const std::string& input) { return ParseCronSchedule(input).value(); }

Instant At(const TimeZone& zone, int year, int month, int day, int hour, int minute) {
  return zone.Lookup({year, month, day, hour, minute, 0}).first;
}

Instant Utc(int year, int month, int day, int hour, int minute) {
  return At(kUtc, year, month, day, hour, minute);
}

std::optional<Instant> Owed(const std::string& schedule, bool catch_up, Instant last_handled,
                            Instant now, const TimeZone& zone = kUtc) {
  return OwedRun(Parsed(schedule), zone, CatchUpQuery{catch_up, last_handled, now});
}

TEST(CatchUp, OneHourDownOwesTheMissedHourlyRun) {
  EXPECT_EQ(Owed("@hourly", true, Utc(2025, 5, 1, 10, 0), Utc(2025, 5, 1, 11, 20)),
            Utc(2025, 5, 1, 11, 0));
}

TEST(CatchUp, OneHourDownOwesNothingWhenNoRunFellDue) {
  EXPECT_EQ(Owed("0 2 * * *", true, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 1, 3, 0)), std::nullopt);
}

TEST(CatchUp, OneHourDownOwesTheDailyRunItSpanned) {
  EXPECT_EQ(Owed("0 2 * * *", true, Utc(2025, 5, 1, 1, 30), Utc(2025, 5, 1, 2, 30)),
            Utc(2025, 5, 1, 2, 0));
}

TEST(CatchUp, ThreeDaysDownOwesOnlyTheMostRecentDailyRun) {
  EXPECT_EQ(Owed("0 2 * * *", true, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 4, 9, 0)),
            Utc(2025, 5, 4, 2, 0));
}

TEST(CatchUp, ThreeDaysDownOwesOnlyTheLastMinuteOfAnEveryMinuteJob) {
  const Instant now = Utc(2025, 5, 4, 9, 0) + std::chrono::seconds(42);
  EXPECT_EQ(Owed("* * * * *", true, Utc(2025, 5, 1, 2, 0), now), Utc(2025, 5, 4, 9, 0));
}

TEST(CatchUp, ThreeDaysDownOwesNothingWhenTheWeeklyRunIsNotDue) {
  // 1 May 2025 is a Thursday; the next Sunday is 4 May.
  EXPECT_EQ(Owed("@weekly", true, Utc(2025, 4, 27, 0, 0), Utc(2025, 5, 3, 23, 59)), std::nullopt);
}

TEST(CatchUp, CatchUpOffOwesNothing) {
  EXPECT_EQ(Owed("@hourly", false, Utc(2025, 5, 1, 10, 0), Utc(2025, 5, 1, 11, 20)), std::nullopt);
  EXPECT_EQ(Owed("0 2 * * *", false, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 4, 9, 0)), std::nullopt);
}

TEST(CatchUp, DueTimeEqualToNowIsOwed) {
  EXPECT_EQ(Owed("0 2 * * *", true, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 2, 2, 0)),
            Utc(2025, 5, 2, 2, 0));
}

TEST(CatchUp, DueTimeEqualToLastHandledIsNotOwedAgain) {
  EXPECT_EQ(Owed("0 2 * * *", true, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 1, 2, 0)), std::nullopt);
  EXPECT_EQ(Owed("0 2 * * *", true, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 1, 1, 0)), std::nullopt);
}

TEST(CatchUp, LongDowntimeFindsTheLatestYearlyRun) {
  EXPECT_EQ(Owed("@yearly", true, Utc(2020, 1, 1, 0, 0), Utc(2025, 6, 1, 0, 0)),
            Utc(2025, 1, 1, 0, 0));
  EXPECT_EQ(Owed("0 0 29 2 *", true, Utc(2019, 1, 1, 0, 0), Utc(2025, 6, 1, 0, 0)),
            Utc(2024, 2, 29, 0, 0));
}

TEST(CatchUp, RebootOwesNothing) {
  EXPECT_EQ(Owed("@reboot", true, Utc(2025, 5, 1, 2, 0), Utc(2025, 5, 4, 9, 0)), std::nullopt);
}

TEST(CatchUp, IntervalOwesTheLatestMultipleOfItsPeriod) {
  const Instant last = Utc(2025, 5, 1, 10, 0) + std::chrono::seconds(5);
  EXPECT_EQ(Owed("30 seconds", true, last, last + std::chrono::seconds(95)),
            last + std::chrono::seconds(90));
  EXPECT_EQ(Owed("30 seconds", true, last, last + std::chrono::seconds(29)), std::nullopt);
}

TEST(CatchUp, FollowsTheDstPolicyForTheOwedTime) {
  const tz::CctzTimeZone berlin = tz::CctzTimeZone::Load("Europe/Berlin").value();
  // Down across the spring-forward night: 02:30 did not exist, so the run was due at 03:00.
  EXPECT_EQ(Owed("30 2 * * *", true, At(berlin, 2025, 3, 29, 2, 30), At(berlin, 2025, 3, 30, 5, 0),
                 berlin),
            At(berlin, 2025, 3, 30, 3, 0));
  // Down across the fall-back night: due at the first 02:30 only.
  EXPECT_EQ(Owed("30 2 * * *", true, At(berlin, 2025, 10, 25, 2, 30),
                 At(berlin, 2025, 10, 26, 5, 0), berlin),
            At(berlin, 2025, 10, 26, 2, 30));
}

}  // namespace
}  // namespace immich_maint::core
