// Pins the scheduler's per-schedule decision: due runs fire once however late, missed runs
// catch up only with catch_up on, @reboot fires once per start, a job owned elsewhere skips.
#include "core/schedule_step.h"

#include <gtest/gtest.h>

#include <string>

namespace immich_maint::core {
namespace {

using std::chrono::seconds;

const FixedOffsetTimeZone kUtc;

Instant Utc(int year, int month, int day, int hour, int minute, int second = 0) {
  return kUtc.Lookup({year, month, day, hour, minute, second}).first;
}

StepPlan Step(const std::string& cron, const ScheduleRow& row, Instant now,
              std::optional<Instant> started = std::nullopt, bool may_run = true) {
  return PlanScheduleStep(ParseCronSchedule(cron).value(), kUtc, row,
                          StepClock{now, started, may_run});
}

TEST(ScheduleStep, DueRunFiresOnceAndMovesNextRunPastNow) {
  const StepPlan plan =
      Step("0 0 * * *", {false, Utc(2024, 3, 1, 0, 0), std::nullopt}, Utc(2024, 3, 1, 0, 0, 1));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(*plan.fire, RunTrigger::kSchedule);
  EXPECT_EQ(plan.due, Utc(2024, 3, 1, 0, 0));
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 2, 0, 0));
  EXPECT_EQ(plan.last_run, Utc(2024, 3, 1, 0, 0));
}

TEST(ScheduleStep, DueTimeEqualToNowFires) {
  const StepPlan plan =
      Step("*/5 * * * *", {false, Utc(2024, 3, 1, 10, 5), std::nullopt}, Utc(2024, 3, 1, 10, 5));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 1, 10, 10));
}

TEST(ScheduleStep, NotDueChangesNothing) {
  const ScheduleRow row{true, Utc(2024, 3, 1, 2, 0), Utc(2024, 2, 29, 2, 0)};
  const StepPlan plan = Step("0 2 * * *", row, Utc(2024, 3, 1, 1, 59, 59));
  EXPECT_FALSE(plan.fire);
  EXPECT_EQ(plan.next_run, row.next_run);
  EXPECT_EQ(plan.last_run, row.last_run);
}

TEST(ScheduleStep, MissingNextRunIsComputedWithoutFiring) {
  const StepPlan plan = Step("0 2 * * *", {}, Utc(2024, 3, 1, 12, 0));
  EXPECT_FALSE(plan.fire);
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 2, 2, 0));
}

TEST(ScheduleStep, LateStepWhileRunningStillFiresOnceForTheOldestDueTime) {
  const StepPlan plan = Step("* * * * *", {false, Utc(2024, 3, 1, 10, 0), std::nullopt},
                             Utc(2024, 3, 1, 10, 3, 30), Utc(2024, 3, 1, 9, 0));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(*plan.fire, RunTrigger::kSchedule);
  EXPECT_EQ(plan.due, Utc(2024, 3, 1, 10, 0));
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 1, 10, 4));
}

TEST(ScheduleStep, MissedWithCatchUpFiresOnceForTheLatestDueTime) {
  const ScheduleRow row{true, Utc(2024, 3, 1, 2, 0), Utc(2024, 2, 29, 2, 0)};
  const StepPlan plan = Step("0 2 * * *", row, Utc(2024, 3, 4, 10, 0), Utc(2024, 3, 4, 9, 59));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(*plan.fire, RunTrigger::kCatchUp);
  EXPECT_EQ(plan.due, Utc(2024, 3, 4, 2, 0));
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 5, 2, 0));
  EXPECT_EQ(plan.last_run, Utc(2024, 3, 4, 2, 0));
}

TEST(ScheduleStep, MissedAfterOneHourDownCatchesUpTheHourlyRun) {
  const ScheduleRow row{true, Utc(2024, 3, 1, 11, 0), Utc(2024, 3, 1, 10, 0)};
  const StepPlan plan = Step("@hourly", row, Utc(2024, 3, 1, 11, 20), Utc(2024, 3, 1, 11, 20));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(*plan.fire, RunTrigger::kCatchUp);
  EXPECT_EQ(plan.due, Utc(2024, 3, 1, 11, 0));
}

TEST(ScheduleStep, MissedWithoutCatchUpSkipsToTheNextFireTime) {
  const ScheduleRow row{false, Utc(2024, 3, 1, 0, 0), Utc(2024, 2, 29, 0, 0)};
  const StepPlan plan = Step("0 0 * * *", row, Utc(2024, 3, 4, 10, 0), Utc(2024, 3, 4, 9, 59));
  EXPECT_FALSE(plan.fire);
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 5, 0, 0));
  EXPECT_EQ(plan.last_run, Utc(2024, 2, 29, 0, 0));
}

TEST(ScheduleStep, DueTimeAtTheStartIsNotMissed) {
  const StepPlan plan = Step("0 0 * * *", {false, Utc(2024, 3, 1, 0, 0), std::nullopt},
                             Utc(2024, 3, 1, 0, 0, 2), Utc(2024, 3, 1, 0, 0));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(*plan.fire, RunTrigger::kSchedule);
}

TEST(ScheduleStep, MissedIntervalCatchUpStaysOnTheGrid) {
  const ScheduleRow row{true, Utc(2024, 3, 1, 10, 0, 0), Utc(2024, 3, 1, 9, 59, 30)};
  const StepPlan plan = Step("30 seconds", row, Utc(2024, 3, 1, 10, 5, 10), Utc(2024, 3, 1, 10, 5));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(*plan.fire, RunTrigger::kCatchUp);
  EXPECT_EQ(plan.due, Utc(2024, 3, 1, 10, 5, 0));
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 1, 10, 5, 40));
}

TEST(ScheduleStep, IntervalRunsNSecondsAfterThisStart) {
  const StepPlan plan = Step("2 seconds", {false, Utc(2024, 3, 1, 10, 0, 0), std::nullopt},
                             Utc(2024, 3, 1, 10, 0, 1));
  ASSERT_TRUE(plan.fire);
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 1, 10, 0, 3));
}

TEST(ScheduleStep, JobOwnedElsewhereSkipsWithoutFiring) {
  const ScheduleRow row{true, Utc(2024, 3, 1, 2, 0), Utc(2024, 2, 29, 2, 0)};
  const StepPlan plan = Step("0 2 * * *", row, Utc(2024, 3, 1, 2, 0, 1), std::nullopt, false);
  EXPECT_FALSE(plan.fire);
  EXPECT_EQ(plan.next_run, Utc(2024, 3, 2, 2, 0));
  EXPECT_EQ(plan.last_run, row.last_run);
}

TEST(ScheduleStep, RebootFiresOncePerStart) {
  const Instant started = Utc(2024, 3, 1, 8, 0);
  const StepPlan first = Step("@reboot", {false, std::nullopt, std::nullopt}, started, started);
  ASSERT_TRUE(first.fire);
  EXPECT_EQ(*first.fire, RunTrigger::kReboot);
  EXPECT_EQ(first.due, started);
  EXPECT_EQ(first.next_run, std::nullopt);
  const StepPlan again =
      Step("@reboot", {false, std::nullopt, first.last_run}, started + seconds(60), started);
  EXPECT_FALSE(again.fire);
  const StepPlan next_start = Step("@restart", {false, std::nullopt, first.last_run},
                                   started + seconds(3600), started + seconds(3500));
  EXPECT_TRUE(next_start.fire);
}

TEST(ScheduleStep, RebootNeverFiresWithoutAStart) {
  EXPECT_FALSE(Step("@reboot", {}, Utc(2024, 3, 1, 8, 0)).fire);
}

TEST(ScheduleStep, TriggerNamesMatchJobRunValues) {
  EXPECT_STREQ(RunTriggerName(RunTrigger::kSchedule), "schedule");
  EXPECT_STREQ(RunTriggerName(RunTrigger::kCatchUp), "catch-up");
  EXPECT_STREQ(RunTriggerName(RunTrigger::kReboot), "reboot");
}

}  // namespace
}  // namespace immich_maint::core
