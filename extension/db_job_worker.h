// In-database runs each get a background worker of their own, so a long job never delays the
// schedules: the launcher claims a queued run and starts its worker in one transaction; the
// worker runs the job's body (db_jobs.h) and records the outcome in job_run.
#pragma once

namespace immich_maint::pg {

// In the launcher's transaction: claims queued database runs (FOR UPDATE SKIP LOCKED) and starts
// a worker for each; job_run.worker becomes 'postgres:<worker pid>'. Returns how many started;
// *out_of_workers is set when a worker could not be started (the run stays queued).
int DispatchDatabaseRuns(bool* out_of_workers);

}  // namespace immich_maint::pg
