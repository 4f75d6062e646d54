// SQL wrappers for the job catalogue and for queueing runs.
#include "core/job_catalog.h"
#include "extension/enqueue.h"
#include "extension/guard.h"
#include "extension/pg_values.h"

extern "C" {
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(immich_maint_job_catalog);
PG_FUNCTION_INFO_V1(immich_run_job);
}

namespace core = immich_maint::core;
namespace pg = immich_maint::pg;

namespace {

void RequireAdmin(const char* action) {
  const Oid admin = get_role_oid("immich_maint_admin", true);
  if (superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin))) return;
  ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to %s", action),
                  errhint("Grant immich_maint_admin to the role, or run as a superuser.")));
}

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
  const std::string_view job = pg::ArgTextView(fcinfo, 0);
  RequireAdmin("queue immich_maint jobs");
  const bool known = pg::Guard([&] { return core::FindJob(job) != nullptr; });
  // palloc'd copies: no C++ object may be alive when ereport or the worker wait longjmps
  char* job_name = pnstrdup(job.data(), job.size());
  if (!known) {
    char* names = pstrdup(pg::Guard([] { return core::JobNamesList(); }).c_str());
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown job: %s", job_name),
                    errdetail("Valid jobs: %s.", names)));
  }
  PG_RETURN_INT64(pg::EnqueueCommitted(job_name, "manual", GetUserNameFromId(GetUserId(), false)));
}
