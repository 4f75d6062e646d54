// One scheduler step for one schedule, decided without a clock or a database: given the row's
// next_run and last_run, the time now and when the scheduler started, whether to queue a run
// (and with which trigger and due time) and what next_run and last_run become.
#pragma once

#include <optional>

#include "core/cron_schedule.h"
#include "core/time_zone.h"

namespace immich_maint::core {

enum class RunTrigger { kSchedule, kCatchUp, kReboot };

// "schedule", "catch-up", "reboot": the job_run.trigger values.
const char* RunTriggerName(RunTrigger trigger);

// What the schedule table holds for one enabled schedule.
struct ScheduleRow {
  bool catch_up = false;
  std::optional<Instant> next_run;  // the first due time not yet handled
  std::optional<Instant> last_run;  // the due time of the last run queued by the scheduler
};

struct StepClock {
  Instant now;
  // When the scheduler (the launcher) started scheduling. A due time before it fell while no
  // scheduler was running: it was missed. nullopt: no start to speak of; nothing was missed
  // and @reboot never fires (run_scheduler_tick called without a start).
  std::optional<Instant> started;
  // false when another process owns this job (Immich holds the backup lock): due times pass
  // without a run, as if handled elsewhere.
  bool may_run = true;
};

struct StepPlan {
  std::optional<RunTrigger> fire;   // queue one run with this trigger
  Instant due{};                    // ...for this due time
  std::optional<Instant> next_run;  // new next_run; nullopt: none (@reboot, or never fires)
  std::optional<Instant> last_run;  // new last_run
};

// The rules, in order:
// - @reboot: fires once per scheduler start (trigger reboot, due = started) when last_run is
//   before started; next_run stays empty.
// - no next_run yet: next_run becomes the first fire time after now; nothing fires.
// - next_run after now: nothing changes.
// - next_run due and at or after started: it fell due while the scheduler was running, so one
//   run fires (trigger schedule, due = next_run) however late the step is.
// - next_run due but before started: it was missed. With catch_up, one run fires (trigger
//   catch-up) for the latest due time in [next_run, now] (OwedRun, counting from the later of
//   last_run and the instant before next_run: next_run, not last_run, marks what is handled,
//   because a changed cron resets next_run and owes nothing from before the change). Without
//   catch_up nothing fires, as in pg_cron.
// After a due step, next_run is the first fire time after now (at most one run per step; an
// interval schedule runs N seconds after this start), and last_run the due time that fired.
StepPlan PlanScheduleStep(const CronSchedule& schedule, const TimeZone& zone,
                          const ScheduleRow& row, const StepClock& clock);

}  // namespace immich_maint::core
