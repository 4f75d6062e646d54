// The scheduler's per-schedule decision (schedule_step.h): due, not due, missed with or without
// catch-up, @reboot. The extension reads the row, calls this, and writes what it says.
#include "core/schedule_step.h"

#include <algorithm>

#include "core/catch_up.h"
#include "core/cron_next.h"

namespace immich_maint::core {
namespace {

StepPlan Unchanged(const ScheduleRow& row) {
  return StepPlan{std::nullopt, {}, row.next_run, row.last_run};
}

StepPlan PlanReboot(const ScheduleRow& row, const StepClock& clock) {
  StepPlan plan{std::nullopt, {}, std::nullopt, row.last_run};
  if (!clock.started || (row.last_run && *row.last_run >= *clock.started)) return plan;
  if (clock.may_run) plan.fire = RunTrigger::kReboot;
  plan.due = *clock.started;
  plan.last_run = *clock.started;
  return plan;
}

// An instant after the previous due time and before next_run, as OwedRun's last_handled: for
// an interval schedule exactly one interval back, so the due times stay on next_run's grid.
Instant HandledBefore(const CronSchedule& schedule, const ScheduleRow& row) {
  const std::chrono::seconds step(
      schedule.kind == ScheduleKind::kInterval ? schedule.interval_seconds : 1);
  const Instant before = *row.next_run - step;
  return row.last_run ? std::max(before, *row.last_run) : before;
}

std::optional<RunTrigger> DueTrigger(const CronSchedule& schedule, const TimeZone& zone,
                                     const ScheduleRow& row, const StepClock& clock, Instant* due) {
  if (!clock.started || *row.next_run >= *clock.started) {
    *due = *row.next_run;
    return RunTrigger::kSchedule;
  }
  const std::optional<Instant> owed =
      OwedRun(schedule, zone, CatchUpQuery{row.catch_up, HandledBefore(schedule, row), clock.now});
  if (!owed) return std::nullopt;
  *due = *owed;
  return RunTrigger::kCatchUp;
}

}  // namespace

const char* RunTriggerName(RunTrigger trigger) {
  switch (trigger) {
    case RunTrigger::kSchedule:
      return "schedule";
    case RunTrigger::kCatchUp:
      return "catch-up";
    case RunTrigger::kReboot:
      return "reboot";
  }
  return "schedule";
}

StepPlan PlanScheduleStep(const CronSchedule& schedule, const TimeZone& zone,
                          const ScheduleRow& row, const StepClock& clock) {
  if (FiresAtStartup(schedule)) return PlanReboot(row, clock);
  if (!row.next_run)
    return StepPlan{std::nullopt, {}, NextFire(schedule, zone, clock.now), row.last_run};
  if (*row.next_run > clock.now) return Unchanged(row);
  StepPlan plan{std::nullopt, {}, NextFire(schedule, zone, clock.now), row.last_run};
  Instant due{};
  const std::optional<RunTrigger> trigger = DueTrigger(schedule, zone, row, clock, &due);
  if (!trigger || !clock.may_run) return plan;
  plan.fire = trigger;
  plan.due = due;
  plan.last_run = due;
  return plan;
}

}  // namespace immich_maint::core
