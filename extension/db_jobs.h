// The in-database job bodies, by Immich's job name: the one place a job's code is plugged in.
// A body runs in a background worker of its own (db_job_worker.cpp), outside any transaction.
#pragma once

extern "C" {
#include "postgres.h"
}

namespace immich_maint::pg {

struct DbJobRun {
  int64 run_id;
  const char* job;          // Immich's name, e.g. "TagCleanup"
  const char* params_json;  // the run's params, a JSON object
};

// A body starts and commits its own transactions (short batches, so no lock is held for long),
// may ereport(ERROR) (the run fails with that message), and returns the run's result: a JSON
// object as palloc'd text, e.g. {"deleted": 12}.
using DbJobBody = char* (*)(const DbJobRun& run);

// The body of an in-database job; nullptr when it has none yet (the run then fails with
// "not implemented yet: <job>").
DbJobBody FindDbJobBody(const char* job);

}  // namespace immich_maint::pg
