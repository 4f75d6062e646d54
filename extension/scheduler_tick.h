// One scheduler step, shared by the launcher and immich_maint.run_scheduler_tick(now): queue
// the runs that are due at `now`, then move each due schedule's next_run and last_run on.
#pragma once

extern "C" {
#include "postgres.h"

#include "datatype/timestamp.h"
}

namespace immich_maint::pg {

struct TickClock {
  TimestampTz now;
  bool has_started;      // false: no scheduler start; nothing counts as missed
  TimestampTz started;   // when the scheduler began scheduling
  bool backups_allowed;  // false while another session holds Immich's backup lock (42)
};

struct TickRun {
  const char* job;
  int64 run_id;
  const char* trigger;  // schedule, catch-up or reboot
  TimestampTz due;
};

struct TickResult {
  int run_count;
  TickRun* runs;
  bool has_next_due;
  TimestampTz next_due;  // the earliest next_run of an enabled schedule
};

// Runs in the caller's transaction (with a snapshot); results are palloc'd in the caller's
// memory context. Rows another transaction is changing are skipped (its commit wakes the
// launcher). The decision per schedule is core::PlanScheduleStep.
TickResult RunSchedulerTick(const TickClock& clock);

// Whether no other session holds advisory lock 42 in this database (takes and releases it).
bool BackupLockAvailable();

}  // namespace immich_maint::pg
