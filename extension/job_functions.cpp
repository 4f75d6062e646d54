// SQL wrappers for the job catalogue and for queueing runs.
#include "core/job_catalog.h"
#include "extension/enqueue.h"
#include "extension/guard.h"
#include "extension/job_names.h"
#include "extension/privileges.h"
#include "extension/pg_values.h"

extern "C" {
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(immich_maint_job_catalog);
PG_FUNCTION_INFO_V1(immich_run_job);
}

namespace core = immich_maint::core;
namespace pg = immich_maint::pg;

namespace {

Datum JsonbFromText(const char* text) {
  return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

}  // namespace

extern "C" Datum immich_maint_job_catalog(PG_FUNCTION_ARGS) {
  ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  InitMaterializedSRF(fcinfo, 0);
  for (const core::JobSpec& job : core::JobCatalog()) {
    Datum values[7] = {CStringGetTextDatum(job.name),
                       CStringGetTextDatum(core::JobRunnerName(job.runner)),
                       CStringGetTextDatum(job.default_cron),
                       BoolGetDatum(job.default_enabled),
                       BoolGetDatum(job.default_catch_up),
                       JsonbFromText(job.default_params),
                       CStringGetTextDatum(job.description)};
    bool nulls[7] = {false, false, false, false, false, false, false};
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  return static_cast<Datum>(0);
}

extern "C" Datum immich_run_job(PG_FUNCTION_ARGS) {
  pg::RequireAdmin("queue immich_maint jobs");
  const char* job_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
  pg::RequireKnownJob(job_name);
  PG_RETURN_INT64(pg::EnqueueCommitted(job_name, "manual", GetUserNameFromId(GetUserId(), false)));
}
